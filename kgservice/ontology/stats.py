"""Counts that describe the model: entities per kind, SKOS concepts, label coverage."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kgservice.namespaces import BASE, SCCM

_KINDS = {
    "classes": OWL.Class,
    "object properties": OWL.ObjectProperty,
    "data properties": OWL.DatatypeProperty,
    "annotation properties": OWL.AnnotationProperty,
    "SKOS concepts": SKOS.Concept,
    "SKOS concept schemes": SKOS.ConceptScheme,
}
LANGUAGES = ("zh", "en")


@dataclass
class ModelStats:
    """Entity counts of our namespaces and the share of entities labelled in each language."""

    counts: dict[str, int] = field(default_factory=dict)
    core_classes: int = 0
    entities: int = 0
    labelled: dict[str, int] = field(default_factory=dict)

    def coverage(self, lang: str) -> float:
        return self.labelled.get(lang, 0) / self.entities if self.entities else 0.0


def ours(term: object) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(BASE)


def entities_of(graph: Graph, kind: URIRef) -> set[URIRef]:
    return {s for s in graph.subjects(RDF.type, kind) if isinstance(s, URIRef) and ours(s)}


def label_property(graph: Graph, entity: URIRef) -> URIRef:
    skos_types = {SKOS.Concept, SKOS.ConceptScheme}
    return SKOS.prefLabel if skos_types & set(graph.objects(entity, RDF.type)) else RDFS.label


def has_label(graph: Graph, entity: URIRef, lang: str) -> bool:
    labels = graph.objects(entity, label_property(graph, entity))
    return any(getattr(label, "language", None) == lang for label in labels)


def model_stats(graph: Graph) -> ModelStats:
    """Count the entities of our namespaces in ``graph`` (the merged model)."""
    stats = ModelStats()
    every: set[URIRef] = set()
    for name, kind in _KINDS.items():
        found = entities_of(graph, kind)
        stats.counts[name] = len(found)
        every |= found
    stats.core_classes = sum(1 for c in entities_of(graph, OWL.Class) if str(c).startswith(SCCM))
    stats.entities = len(every)
    stats.labelled = {lang: sum(has_label(graph, e, lang) for e in every) for lang in LANGUAGES}
    return stats
