"""Descriptions the service publishes about itself, its data and its vocabulary.

* :mod:`~kgservice.describe.service`: the SPARQL 1.1 Service Description of ``/sparql``
  (https://www.w3.org/TR/sparql11-service-description/);
* :mod:`~kgservice.describe.void`: the VoID description of the store's dataset
  (https://www.w3.org/TR/void/);
* :mod:`~kgservice.describe.catalog`: the DCAT catalogue of the loaded datasets, one per named
  graph (https://www.w3.org/TR/vocab-dcat-3/);
* :mod:`~kgservice.describe.terms`: ontology terms for dereferencing and their HTML pages;
* :mod:`~kgservice.describe.context`: the JSON-LD 1.1 ``@context`` of the city vocabulary
  (https://www.w3.org/TR/json-ld11/#the-context).

Everything here is plain functions over a :class:`~kgservice.store.base.Store`, returning rdflib
graphs or dataclasses; the Flask views are :mod:`kgservice.web.describe_views`. This module holds
what they share: the 404 error, conversion between pyoxigraph and rdflib terms, and serialising a
graph in one of the formats of :mod:`kgservice.protocol.formats`.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kgservice.errors import KGServiceError
from kgservice.iri import GRAPH
from kgservice.namespaces import ID, PREFIXES
from kgservice.protocol.formats import Format

RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class NotFound(KGServiceError):
    """404: the thing asked for (a term, a graph) is not there."""

    http_status = 404


def rdflib_term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Node:
    """The rdflib term equal to a pyoxigraph term (literals keep their lexical form)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == XSD_STRING:  # rdflib keeps simple literals untyped
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value), normalize=False)


def oxigraph_term(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """The pyoxigraph term equal to an rdflib term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None and str(term.datatype) != RDF_LANG_STRING:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def new_graph() -> Graph:
    """An empty rdflib graph with the project's prefixes (and rdflib's core ones) bound."""
    graph = Graph(bind_namespaces="core")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    graph.bind("id", ID)
    graph.bind("graph", GRAPH)
    return graph


def to_rdflib(triples: Iterable[ox.Triple], graph: Graph | None = None) -> Graph:
    """Add pyoxigraph triples to ``graph`` (a new one by default) and return it."""
    graph = new_graph() if graph is None else graph
    for triple in triples:
        graph.add(
            (
                rdflib_term(triple.subject),
                rdflib_term(triple.predicate),
                rdflib_term(triple.object),
            )
        )
    return graph


def to_oxigraph(graph: Graph) -> list[ox.Triple]:
    """The triples of an rdflib graph as pyoxigraph triples, sorted (stable output)."""
    triples = [ox.Triple(oxigraph_term(s), oxigraph_term(p), oxigraph_term(o)) for s, p, o in graph]
    return sorted(triples, key=str)


def serialize(graph: Graph, fmt: Format) -> bytes:
    """Serialise ``graph`` in a graph format of :mod:`kgservice.protocol.formats`.

    Turtle is written by rdflib, which nests blank nodes (``[ void:class … ]``) and lists
    (``( … )``) and so reads best; every other format by pyoxigraph, the writers of the SPARQL
    endpoint. The graph's bound prefixes are used where the format has prefixes.
    """
    if fmt.oxigraph == ox.RdfFormat.TURTLE:
        return graph.serialize(format="turtle", encoding="utf-8")
    iris = {str(node) for triple in graph for node in triple if isinstance(node, URIRef)}
    prefixes = {
        prefix: str(namespace)
        for prefix, namespace in graph.namespaces()
        if prefix and any(iri.startswith(str(namespace)) for iri in iris)
    }
    return ox.serialize(to_oxigraph(graph), format=fmt.oxigraph, prefixes=prefixes)
