"""The JSON-LD 1.1 ``@context`` of the city vocabulary, generated from the ontology.

Spec: JSON-LD 1.1, https://www.w3.org/TR/json-ld11/ (§3.1 the context, §4.2.3 type coercion,
§4.1.5 compact IRIs). The context document (``{"@context": {...}}``) holds:

* ``"@version": 1.1``;
* one prefix per namespace the project binds (``sccm``, ``city``, ``code``, ``skos``, ``dcterms``,
  ``xsd``, ``geo``, ``sosa`` … see :data:`kgservice.namespaces.PREFIXES`), plus ``id`` and
  ``graph`` for instance and graph IRIs, as in the project's Turtle (so ``"@id":
  "id:division/371302"`` works; ``id`` is therefore not an alias of ``@id``);
* one term per class and property of the ``sccm:`` and ``city:`` namespaces, named by its local
  name (``NaturalPerson``, ``birthDate``); object properties coerce their values to IRIs
  (``"@type": "@id"``), datatype properties to their ``rdfs:range`` datatype
  (``"@type": "xsd:date"``) when it has exactly one. When two namespaces define the same local
  name, or a local name equals a prefix or keyword alias, neither gets a short term: the
  properties are keyed by their compact IRI (``"city:x": {"@id": "city:x", "@type": "@id"}``), so
  coercion still applies, and classes are written as compact IRIs.

Decimal values should be written as JSON strings (``"100.50"``): JSON-LD turns a JSON number with a
fraction into a double's lexical form (``1.005E2``), which is not a valid ``xsd:decimal``.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from typing import Any

from rdflib import OWL, RDF, RDFS, XSD, Graph, URIRef

from kgservice.iri import GRAPH
from kgservice.namespaces import CITY, ID, PREFIXES, SCCM

CONTEXT_VERSION = 1.1
VOCABULARY_NAMESPACES = {"sccm": str(SCCM), "city": str(CITY)}

_CLASS_TYPES = (OWL.Class, RDFS.Class)
_PROPERTY_TYPES = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)


def _prefixes() -> dict[str, str]:
    prefixes = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
    prefixes["id"] = str(ID)
    prefixes["graph"] = str(GRAPH)
    return prefixes


def _compact(iri: str, prefixes: dict[str, str]) -> str:
    """``https://w3id.org/sckm/city/x`` -> ``city:x`` (the longest matching namespace)."""
    matches = [(len(ns), p) for p, ns in prefixes.items() if iri.startswith(ns)]
    if not matches:
        return iri
    _, prefix = max(matches)
    return f"{prefix}:{iri[len(prefixes[prefix]) :]}"


def vocabulary_terms(model: Graph) -> dict[URIRef, str]:
    """Every class and property of the ``sccm:`` and ``city:`` namespaces: IRI -> ``class`` or
    ``object``/``datatype``/``annotation``/``property``."""
    terms: dict[URIRef, str] = {}
    for subject, kind in model.subject_objects(RDF.type):
        if not isinstance(subject, URIRef) or not any(
            str(subject).startswith(ns) for ns in VOCABULARY_NAMESPACES.values()
        ):
            continue
        if kind in _CLASS_TYPES:
            terms.setdefault(subject, "class")
        elif kind == OWL.ObjectProperty:
            terms[subject] = "object"
        elif kind == OWL.DatatypeProperty:
            terms[subject] = "datatype"
        elif kind in _PROPERTY_TYPES and terms.get(subject) not in ("object", "datatype"):
            terms[subject] = "annotation" if kind == OWL.AnnotationProperty else "property"
    return terms


def _definition(
    model: Graph, iri: URIRef, kind: str, prefixes: dict[str, str]
) -> str | dict[str, str]:
    """The term definition: a compact IRI, or ``{"@id": …, "@type": …}`` with coercion."""
    compact = _compact(str(iri), prefixes)
    if kind == "object":
        return {"@id": compact, "@type": "@id"}
    if kind == "datatype":
        ranges = [r for r in model.objects(iri, RDFS.range) if isinstance(r, URIRef)]
        if len(ranges) == 1 and str(ranges[0]).startswith(str(XSD)):
            return {"@id": compact, "@type": _compact(str(ranges[0]), prefixes)}
    return compact


def build_context(model: Graph) -> dict[str, Any]:
    """The context document for the vocabulary of ``model``."""
    prefixes = _prefixes()
    terms = vocabulary_terms(model)
    local = {iri: str(iri).rsplit("/", 1)[-1] for iri in terms}
    taken = Counter(local.values())
    reserved = set(prefixes)
    context: dict[str, Any] = {"@version": CONTEXT_VERSION}
    context.update(dict(sorted(prefixes.items())))
    for iri in sorted(terms, key=lambda i: (local[i], str(i))):
        name, kind = local[iri], terms[iri]
        definition = _definition(model, iri, kind, prefixes)
        if taken[name] == 1 and name not in reserved:
            context[name] = definition
        elif isinstance(definition, dict):
            context[definition["@id"]] = definition
    return {"@context": context}


@cache
def jsonld_context() -> dict[str, Any]:
    """The context document of the bundled ontology (:func:`load_model`), built once."""
    from kgservice.ontology.files import load_model

    return build_context(load_model())
