"""Ontology terms by IRI: their RDF description and the data of their HTML page.

The terms are read from the store's ontology graph (``graph:ontology``, written by
:func:`kgservice.loading.ensure_ontology`), so a remote store serves them too; when the store has
no ontology graph the bundled model (:func:`kgservice.ontology.files.load_model`) is used. The
graph is copied into rdflib once and kept per store until the ontology graph's size changes (one
``COUNT`` query per request checks it).

What a term IRI gives (Cool URIs for the Semantic Web, https://www.w3.org/TR/cooluris/, and
Best Practice Recipes for Publishing RDF Vocabularies, https://www.w3.org/TR/swbp-vocab-pub/):

* a term (class, property, SKOS concept or scheme): its concise bounded description (every
  triple with the term as subject, following blank nodes, e.g. ``owl:unionOf`` lists), plus the
  ``rdfs:label``/``skos:prefLabel`` of the IRIs it points to;
* a module IRI (``https://w3id.org/sckm/core``), its version IRI or its namespace
  (``https://w3id.org/sckm/core/``): the module, i.e. its header
  and every term of its namespace (``vann:preferredNamespaceUri``); the top ontology IRI
  (``https://w3id.org/sckm/ontology``) gives the whole model.

Definitions cite their source in ``dcterms:source`` ("<standard>, <clause>", see
``ontology/README.md``); the page shows every such value.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

import pyoxigraph as ox
from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, SKOS, VANN
from rdflib.term import Node

from kgservice.describe import NotFound, new_graph, to_rdflib
from kgservice.iri import GRAPH
from kgservice.loading import ONTOLOGY_GRAPH
from kgservice.namespaces import BASE, ID, PREFIXES, TOP_ONTOLOGY
from kgservice.store.base import Store

CITY_PERSONAL_DATA = URIRef(BASE + "city/personalData")
LABELS = (RDFS.label, SKOS.prefLabel)
LANGUAGES = ("zh", "en")
KIND_NAMES: dict[URIRef, tuple[str, str]] = {
    OWL.Ontology: ("本体模块", "Ontology module"),
    OWL.Class: ("类", "Class"),
    OWL.ObjectProperty: ("对象属性", "Object property"),
    OWL.DatatypeProperty: ("数据属性", "Datatype property"),
    OWL.AnnotationProperty: ("注释属性", "Annotation property"),
    OWL.FunctionalProperty: ("函数型属性", "Functional property"),
    OWL.InverseFunctionalProperty: ("反函数型属性", "Inverse functional property"),
    OWL.TransitiveProperty: ("传递属性", "Transitive property"),
    OWL.SymmetricProperty: ("对称属性", "Symmetric property"),
    SKOS.Concept: ("概念", "Concept"),
    SKOS.ConceptScheme: ("概念体系", "Concept scheme"),
    OWL.NamedIndividual: ("个体", "Individual"),
}

_SIZE = "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"


# --- the ontology graph ------------------------------------------------------------------------


@dataclass
class _Cached:
    size: int
    graph: Graph


_cache: weakref.WeakKeyDictionary[Store, _Cached] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


@cache
def bundled_model() -> Graph:
    """The ontology files' model (:func:`load_model`), read once."""
    from kgservice.ontology.files import load_model

    return load_model()


def _ontology_size(store: Store) -> int:
    rows = list(store.select(_SIZE.format(graph=ONTOLOGY_GRAPH), union_default_graph=False))
    term = rows[0].get("n") if rows else None
    return int(term.value) if isinstance(term, ox.Literal) else 0


def ontology_graph(store: Store) -> Graph:
    """The ontology as the store holds it (the bundled model when the store holds none)."""
    size = _ontology_size(store)
    if size == 0:
        return bundled_model()
    cached = None
    with _cache_lock, contextlib.suppress(TypeError):  # TypeError: a store without weakrefs
        cached = _cache.get(store)
    if cached is not None and cached.size == size:
        return cached.graph
    graph = to_rdflib(store.triples(ox.NamedNode(ONTOLOGY_GRAPH)))
    with _cache_lock, contextlib.suppress(TypeError):
        _cache[store] = _Cached(size, graph)
    return graph


# --- RDF descriptions --------------------------------------------------------------------------


def _add_description(source: Graph, node: Node, target: Graph) -> None:
    """Add the triples of ``node`` to ``target``, following blank-node objects (a CBD)."""
    pending, seen = [node], {node}
    while pending:
        subject = pending.pop()
        for _, predicate, obj in source.triples((subject, None, None)):
            target.add((subject, predicate, obj))
            if isinstance(obj, BNode) and obj not in seen:
                seen.add(obj)
                pending.append(obj)


def ontology_of(model: Graph, iri: str) -> URIRef | None:
    """The ontology whose IRI, version IRI or namespace (``vann:preferredNamespaceUri``, e.g.
    ``https://w3id.org/sckm/core/``) is ``iri``, if any."""
    node = URIRef(iri)
    if (node, RDF.type, OWL.Ontology) in model:
        return node
    candidates = [
        *model.subjects(OWL.versionIRI, node),
        *model.subjects(VANN.preferredNamespaceUri, Literal(iri)),
        *model.subjects(VANN.preferredNamespaceUri, node),
    ]
    return next((o for o in candidates if (o, RDF.type, OWL.Ontology) in model), None)


def module_namespace(model: Graph, ontology: URIRef) -> str:
    """The namespace of a module's terms: its ``vann:preferredNamespaceUri``, else IRI + ``/``."""
    declared = model.value(ontology, VANN.preferredNamespaceUri)
    return str(declared) if declared is not None else str(ontology) + "/"


def module_terms(model: Graph, ontology: URIRef) -> list[URIRef]:
    """The IRIs of the module's namespace that are subjects in the model, sorted."""
    namespace = module_namespace(model, ontology)
    subjects = {s for s in model.subjects() if isinstance(s, URIRef)}
    return sorted(s for s in subjects if str(s).startswith(namespace) and s != ontology)


def module_graph(model: Graph, ontology: URIRef) -> Graph:
    """A module: its header and the description of every term of its namespace."""
    graph = new_graph()
    if str(ontology) == TOP_ONTOLOGY:
        for triple in model:
            graph.add(triple)
        return graph
    _add_description(model, ontology, graph)
    for term in module_terms(model, ontology):
        _add_description(model, term, graph)
    return graph


def describe_term(store: Store, iri: str) -> Graph:
    """The RDF description of the ontology term or module ``iri``; :class:`NotFound` if none."""
    model = ontology_graph(store)
    ontology = ontology_of(model, iri)
    if ontology is not None:
        return module_graph(model, ontology)
    node = URIRef(iri)
    if (node, None, None) not in model:
        raise NotFound(f"<{iri}> is not a term of the ontology / 本体中没有这个术语")
    graph = new_graph()
    _add_description(model, node, graph)
    for obj in set(graph.objects()):
        if isinstance(obj, URIRef):
            for label in LABELS:
                for value in model.objects(obj, label):
                    graph.add((obj, label, value))
    return graph


# --- the HTML page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TermRef:
    """A link to another term: its IRI, compact IRI and labels."""

    iri: str
    curie: str
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class TermPage:
    """What the HTML page of a term (or module) shows."""

    iri: str
    curie: str
    kinds: tuple[tuple[str, str], ...]  # (zh, en) names of its OWL/SKOS types
    label_zh: str
    label_en: str
    alt_labels_zh: tuple[str, ...] = ()
    alt_labels_en: tuple[str, ...] = ()
    definition_zh: str = ""
    definition_en: str = ""
    sources: tuple[str, ...] = ()
    notes: tuple[tuple[str, str], ...] = ()  # (language, text)
    notation: str = ""
    personal_data: bool = False
    module: TermRef | None = None
    relations: tuple[tuple[str, str, tuple[TermRef, ...]], ...] = ()  # (zh, en, targets)
    members: tuple[TermRef, ...] = field(default_factory=tuple)  # a module's terms

    @property
    def is_module(self) -> bool:
        """Whether the page is a module's."""
        return any(en == "Ontology module" for _, en in self.kinds)


#: Relations the page lists: (zh, en, predicate, direction). ``"out"`` reads ``term p ?x``,
#: ``"in"`` reads ``?x p term``, ``"both"`` either (``owl:inverseOf`` is stated one way only).
RELATIONS: tuple[tuple[str, str, URIRef, str], ...] = (
    ("导入", "Imports", OWL.imports, "out"),
    ("上位类", "Superclasses", RDFS.subClassOf, "out"),
    ("下位类", "Subclasses", RDFS.subClassOf, "in"),
    ("等价类", "Equivalent classes", OWL.equivalentClass, "both"),
    ("不相交类", "Disjoint classes", OWL.disjointWith, "both"),
    ("定义域", "Domain", RDFS.domain, "out"),
    ("值域", "Range", RDFS.range, "out"),
    ("逆属性", "Inverse", OWL.inverseOf, "both"),
    ("上位属性", "Superproperties", RDFS.subPropertyOf, "out"),
    ("下位属性", "Subproperties", RDFS.subPropertyOf, "in"),
    ("以此为定义域的属性", "Properties with this domain", RDFS.domain, "in"),
    ("以此为值域的属性", "Properties with this range", RDFS.range, "in"),
    ("广义概念", "Broader", SKOS.broader, "out"),
    ("狭义概念", "Narrower", SKOS.narrower, "out"),
    ("所属概念体系", "In scheme", SKOS.inScheme, "out"),
    ("顶层概念", "Top concepts", SKOS.hasTopConcept, "out"),
    ("精确匹配", "Exact match", SKOS.exactMatch, "both"),
)


#: The prefixes of compact IRIs on pages: the project's, plus ``id:`` and ``graph:``.
CURIE_PREFIXES: dict[str, str] = {
    **{prefix: str(namespace) for prefix, namespace in PREFIXES.items()},
    "id": str(ID),
    "graph": str(GRAPH),
}


def curie(iri: str) -> str:
    """``https://w3id.org/sckm/core/Agent`` -> ``sccm:Agent``; the IRI when no prefix fits."""
    matches = [(len(ns), p) for p, ns in CURIE_PREFIXES.items() if iri.startswith(ns)]
    if not matches:
        return iri
    _, prefix = max(matches)
    return f"{prefix}:{iri[len(CURIE_PREFIXES[prefix]) :]}"


def _texts(model: Graph, node: Node, predicates: Iterable[URIRef], lang: str) -> list[str]:
    values = [
        str(v)
        for p in predicates
        for v in model.objects(node, p)
        if isinstance(v, Literal) and (v.language or "").lower().split("-")[0] == lang
    ]
    return sorted(set(values))


def label(model: Graph, node: Node, lang: str) -> str:
    """The ``rdfs:label``/``skos:prefLabel`` of ``node`` in ``lang``, else a plain one, else ''."""
    found = _texts(model, node, LABELS, lang)
    if found:
        return found[0]
    plain = sorted(str(v) for p in LABELS for v in model.objects(node, p) if isinstance(v, Literal))
    return plain[0] if plain else ""


def term_ref(model: Graph, iri: URIRef) -> TermRef:
    """A link to ``iri`` with its labels (the compact IRI stands in for a missing label)."""
    short = curie(str(iri))
    return TermRef(
        str(iri), short, label(model, iri, "zh") or short, label(model, iri, "en") or short
    )


def _named(nodes: Iterable[Node]) -> list[URIRef]:
    return sorted({n for n in nodes if isinstance(n, URIRef)})


def _relations(model: Graph, node: URIRef) -> tuple[tuple[str, str, tuple[TermRef, ...]], ...]:
    rows = []
    for zh, en, predicate, direction in RELATIONS:
        targets: list[Node] = []
        if direction in ("out", "both"):
            targets += model.objects(node, predicate)
        if direction in ("in", "both"):
            targets += model.subjects(predicate, node)
        refs = tuple(term_ref(model, t) for t in _named(targets) if t != node)
        if refs:
            rows.append((zh, en, refs))
    unions = [
        member
        for expression in model.objects(node, OWL.equivalentClass)
        if isinstance(expression, BNode)
        for union in model.objects(expression, OWL.unionOf)
        for member in Collection(model, union)
    ]
    if unions:
        refs = tuple(term_ref(model, t) for t in _named(unions))
        rows.append(("等价于以下类的并集", "Equivalent to the union of", refs))
    return tuple(rows)


def _kinds(model: Graph, node: URIRef) -> tuple[tuple[str, str], ...]:
    types = set(model.objects(node, RDF.type))
    return tuple(names for kind, names in KIND_NAMES.items() if kind in types)


def term_page(store: Store, iri: str) -> TermPage:
    """The page data of the term or module ``iri``; :class:`NotFound` if the ontology lacks it."""
    model = ontology_graph(store)
    ontology = ontology_of(model, iri)
    node = ontology if ontology is not None else URIRef(iri)
    if (node, None, None) not in model:
        raise NotFound(f"<{iri}> is not a term of the ontology / 本体中没有这个术语")
    titles = (RDFS.label, SKOS.prefLabel, DCTERMS.title)
    definitions = (SKOS.definition, DCTERMS.description)
    defined_by = model.value(node, RDFS.isDefinedBy)
    members: tuple[TermRef, ...] = ()
    if ontology is not None:
        members = tuple(term_ref(model, t) for t in module_terms(model, ontology))
    return TermPage(
        iri=str(node),
        curie=curie(str(node)),
        kinds=_kinds(model, node),
        label_zh=(_texts(model, node, titles, "zh") or [curie(str(node))])[0],
        label_en=(_texts(model, node, titles, "en") or [curie(str(node))])[0],
        alt_labels_zh=tuple(_texts(model, node, (SKOS.altLabel,), "zh")),
        alt_labels_en=tuple(_texts(model, node, (SKOS.altLabel,), "en")),
        definition_zh=" ".join(_texts(model, node, definitions, "zh")),
        definition_en=" ".join(_texts(model, node, definitions, "en")),
        sources=tuple(sorted(str(s) for s in model.objects(node, DCTERMS.source))),
        notes=tuple(
            (lang, text)
            for lang in LANGUAGES
            for text in _texts(model, node, (SKOS.scopeNote, SKOS.note), lang)
        ),
        notation=" ".join(sorted(str(n) for n in model.objects(node, SKOS.notation))),
        personal_data=str(model.value(node, CITY_PERSONAL_DATA) or "").lower() == "true",
        module=term_ref(model, defined_by) if isinstance(defined_by, URIRef) else None,
        relations=_relations(model, node),
        members=members,
    )
