"""The VoID description of the store's dataset, computed by SPARQL over the store.

Spec: Describing Linked Datasets with the VoID Vocabulary, https://www.w3.org/TR/void/
(§4 statistics, §4.5 class and property partitions, §3.3 subsets).

The dataset is the whole store: its named graphs and, when it holds anything, the default graph.
What is stated:

* ``void:triples`` (the number of quads: a triple in two graphs counts twice),
  ``void:distinctSubjects``, ``void:distinctObjects``, ``void:classes``, ``void:properties``;
* one ``void:subset`` per named graph: ``sd:name`` (the graph IRI, as the Service Description
  names graphs, https://www.w3.org/TR/sparql11-service-description/#sd-name),
  ``void:triples`` and ``void:distinctSubjects``; the default graph, when not empty, is a
  subset without a name, labelled "default graph";
* ``void:classPartition`` per class (``void:class``, ``void:entities``: distinct instances over
  all graphs) and ``void:propertyPartition`` per property (``void:property``, ``void:triples``).

Graphs the reader must not see (raw personal data, :mod:`kgservice.privacy`) can be left out of
every count. Subsets and partitions are blank nodes. Five aggregate queries (a GROUP BY or a
single COUNT each) do the work: about 0.2 s on a store of 100,000 to 120,000 quads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef

from kgservice.store.base import Store

VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
DATASET_FRAGMENT = "#dataset"

HiddenGraphs = Callable[[str], bool]

# "#HIDE" becomes a FILTER leaving out the graphs the reader must not see (if any).
PER_GRAPH = """SELECT ?g (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects)
WHERE { GRAPH ?g { ?s ?p ?o } #HIDE } GROUP BY ?g"""
DEFAULT_GRAPH = "SELECT (COUNT(*) AS ?triples) WHERE { ?s ?p ?o }"
DISTINCT = """SELECT (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?o) AS ?objects)
WHERE { { GRAPH ?g { ?s ?p ?o } #HIDE } UNION { ?s ?p ?o } }"""
CLASSES = """SELECT ?class (COUNT(DISTINCT ?s) AS ?entities)
WHERE { { GRAPH ?g { ?s a ?class } #HIDE } UNION { ?s a ?class } } GROUP BY ?class"""
PROPERTIES = """SELECT ?property (COUNT(*) AS ?triples)
WHERE { { GRAPH ?g { ?s ?property ?o } #HIDE } UNION { ?s ?property ?o } } GROUP BY ?property"""


@dataclass(frozen=True)
class GraphStats:
    """The size of one graph: quads and distinct subjects."""

    triples: int
    subjects: int


def void_dataset_iri(void_url: str) -> str:
    """The IRI of the dataset described at ``void_url``: that URL with ``#dataset``."""
    return void_url.split("#", 1)[0] + DATASET_FRAGMENT


def _int(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> int:
    return int(term.value) if isinstance(term, ox.Literal) else 0


def hidden_filter(store: Store, hidden: HiddenGraphs | None) -> str:
    """``FILTER(?g NOT IN (…))`` over the store's graphs that ``hidden`` marks, else ''."""
    if hidden is None:
        return ""
    names = [g.value for g in store.graph_names() if hidden(g.value)]
    if not names:
        return ""
    return "FILTER(?g NOT IN (" + ", ".join(f"<{name}>" for name in names) + "))"


def _select(store: Store, query: str, hide: str = "") -> list[dict]:
    """Run an aggregate SELECT over the store's real default graph (not the union)."""
    return list(store.select(query.replace("#HIDE", hide), union_default_graph=False))


def graph_stats(store: Store, hidden: HiddenGraphs | None = None) -> dict[str, GraphStats]:
    """Quads and distinct subjects of every named graph ``hidden`` does not mark, by graph IRI
    (one GROUP BY query)."""
    return _graph_stats(store, hidden_filter(store, hidden))


def _graph_stats(store: Store, hide: str) -> dict[str, GraphStats]:
    return {
        row["g"].value: GraphStats(_int(row.get("triples")), _int(row.get("subjects")))
        for row in _select(store, PER_GRAPH, hide)
        if isinstance(row.get("g"), ox.NamedNode)
    }


def default_graph_triples(store: Store) -> int:
    """The number of triples in the default graph itself."""
    rows = _select(store, DEFAULT_GRAPH)
    return _int(rows[0].get("triples")) if rows else 0


def _count(value: int) -> Literal:
    return Literal(value, datatype=XSD.integer)


def _add_subset(graph: Graph, dataset: URIRef, name: str | None, stats: GraphStats) -> None:
    subset = BNode()
    graph.add((dataset, VOID.subset, subset))
    graph.add((subset, RDF.type, VOID.Dataset))
    if name is None:
        graph.add((subset, RDFS.label, Literal("default graph", lang="en")))
        graph.add((subset, RDFS.label, Literal("默认图", lang="zh")))
    else:
        graph.add((subset, SD.name, URIRef(name)))
    graph.add((subset, VOID.triples, _count(stats.triples)))
    if stats.subjects:
        graph.add((subset, VOID.distinctSubjects, _count(stats.subjects)))


def _add_partitions(graph: Graph, dataset: URIRef, store: Store, hide: str) -> None:
    classes = _select(store, CLASSES, hide)
    for row in classes:
        if isinstance(row.get("class"), ox.NamedNode):
            part = BNode()
            graph.add((dataset, VOID.classPartition, part))
            graph.add((part, VOID["class"], URIRef(row["class"].value)))
            graph.add((part, VOID.entities, _count(_int(row.get("entities")))))
    properties = _select(store, PROPERTIES, hide)
    for row in properties:
        part = BNode()
        graph.add((dataset, VOID.propertyPartition, part))
        graph.add((part, VOID.property, URIRef(row["property"].value)))
        graph.add((part, VOID.triples, _count(_int(row.get("triples")))))
    graph.add((dataset, VOID.classes, _count(len(classes))))
    graph.add((dataset, VOID.properties, _count(len(properties))))


def void_description(
    store: Store,
    dataset_iri: str,
    *,
    sparql_endpoint: str | None = None,
    hidden: HiddenGraphs | None = None,
) -> Graph:
    """The VoID description of ``store`` as the dataset ``dataset_iri``.

    ``hidden`` marks graphs the reader must not see (:func:`kgservice.privacy.is_personal_graph`
    for anonymous readers): they are left out of every count, as they are of the reader's
    queries.
    """
    graph = Graph(bind_namespaces="core")
    graph.bind("void", VOID)
    graph.bind("sd", SD)
    dataset = URIRef(dataset_iri)
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, RDFS.label, Literal("知识图谱服务的数据集", lang="zh")))
    graph.add(
        (dataset, RDFS.label, Literal("The dataset of the knowledge graph service", lang="en"))
    )
    if sparql_endpoint:
        graph.add((dataset, VOID.sparqlEndpoint, URIRef(sparql_endpoint)))
    hide = hidden_filter(store, hidden)
    per_graph = _graph_stats(store, hide)
    default_triples = default_graph_triples(store)
    for name in sorted(per_graph):
        _add_subset(graph, dataset, name, per_graph[name])
    if default_triples:
        _add_subset(graph, dataset, None, GraphStats(default_triples, 0))
    total = sum(stats.triples for stats in per_graph.values()) + default_triples
    graph.add((dataset, VOID.triples, _count(total)))
    distinct = _select(store, DISTINCT, hide)
    if distinct:
        graph.add((dataset, VOID.distinctSubjects, _count(_int(distinct[0].get("subjects")))))
        graph.add((dataset, VOID.distinctObjects, _count(_int(distinct[0].get("objects")))))
    _add_partitions(graph, dataset, store, hide)
    return graph
