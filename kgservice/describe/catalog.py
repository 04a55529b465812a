"""The DCAT catalogue of the loaded datasets: the directory service (目录服务).

Spec: Data Catalog Vocabulary (DCAT) Version 3, https://www.w3.org/TR/vocab-dcat-3/, with PROV-O
(https://www.w3.org/TR/prov-o/) for provenance and VoID (https://www.w3.org/TR/void/) for sizes.

``kgservice load`` writes one entry per source into ``graph:catalog``
(:mod:`kgservice.mapping.provenance`, docs/data-model.md §3): a ``dcat:Dataset`` with titles
(zh, en), ``dcterms:publisher`` (the department, with ``rdfs:label`` zh/en),
``dcterms:source`` (the source files) and a ``dcat:distribution`` per file,
``prov:generatedAtTime``, ``city:recordCount``, ``void:triples`` and ``city:namedGraph``; when
the source has personal data, ``city:personalGraph`` names the graph of its raw values
(:mod:`kgservice.privacy`).

The catalogue served is that graph, plus:

* for every named graph of the store that no entry names (with ``city:namedGraph`` or
  ``city:personalGraph``: the ontology, the catalogue itself, graphs written through the Graph
  Store Protocol), a minimal ``dcat:Dataset`` with the graph
  (``city:namedGraph``), a title and ``void:triples`` counted now, so there is one dataset per
  named graph;
* a ``dcat:Catalog`` (``id:catalog``) listing every dataset with ``dcat:dataset``;
* when the SPARQL endpoint's URL is given, the ``dcat:DataService`` that serves every dataset
  (``dcat:endpointURL``, ``dcterms:conformsTo`` the SPARQL 1.1 Protocol), as ``dcat:service`` of
  the catalogue.

Graphs hidden from the reader (raw personal data for anonymous readers) are left out: no
minimal entry, and the ``city:personalGraph`` links to them are dropped, as for the reader they
do not exist.

Counts in the loader's entries are those of the load; a graph changed since (Graph Store
Protocol, SPARQL Update) keeps them until it is loaded again.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV
from rdflib.term import Node

from kgservice.describe import new_graph, to_rdflib
from kgservice.describe.void import VOID, HiddenGraphs, graph_stats
from kgservice.iri import GRAPH, dataset_iri
from kgservice.loading import CATALOG_GRAPH, ONTOLOGY_GRAPH
from kgservice.namespaces import CITY, ID
from kgservice.privacy import PERSONAL_GRAPH_PROPERTY
from kgservice.store.base import Store

CATALOG_IRI = ID["catalog"]
PERSONAL_GRAPH = URIRef(PERSONAL_GRAPH_PROPERTY)
SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")
CATALOG_TITLES = {"zh": "临沂市数据目录服务", "en": "Linyi data catalogue service"}

#: Titles of the graphs the service itself writes (zh, en).
KNOWN_GRAPHS: dict[str, tuple[str, str]] = {
    ONTOLOGY_GRAPH: ("本体：智慧城市知识模型", "Ontology: the smart city knowledge model"),
    CATALOG_GRAPH: ("数据目录（DCAT）", "Data catalogue (DCAT)"),
}


@dataclass(frozen=True)
class CatalogEntry:
    """One dataset of the catalogue, as the HTML page shows it."""

    dataset: str
    graph: str | None
    title_zh: str
    title_en: str
    department: str | None = None
    department_zh: str | None = None
    department_en: str | None = None
    sources: tuple[str, ...] = ()
    loaded: str | None = None
    records: int | None = None
    triples: int | None = None
    personal_graph: str | None = None  # the graph of the raw personal values, if visible
    from_loader: bool = True  # False: a minimal entry added for a graph without one


def _catalog_triples(store: Store) -> Graph:
    graph = new_graph()
    graph.bind("void", VOID)
    name = ox.NamedNode(CATALOG_GRAPH)
    if any(g == name for g in store.graph_names()):
        to_rdflib(store.triples(name), graph)
    return graph


def minimal_dataset_iri(graph_name: str) -> URIRef:
    """``id:dataset/<name>`` for ``graph:<name>``, else ``id:dataset/<percent-encoded IRI>``."""
    local = graph_name.removeprefix(str(GRAPH))
    own = local != graph_name and "/" not in local
    return dataset_iri(local if own else graph_name)


def _add_minimal(graph: Graph, graph_name: str, triples: int) -> None:
    dataset = minimal_dataset_iri(graph_name)
    title_zh, title_en = KNOWN_GRAPHS.get(
        graph_name, (f"命名图 <{graph_name}>", f"Named graph <{graph_name}>")
    )
    graph.add((dataset, RDF.type, DCAT.Dataset))
    graph.add((dataset, DCTERMS.title, Literal(title_zh, lang="zh")))
    graph.add((dataset, DCTERMS.title, Literal(title_en, lang="en")))
    graph.add((dataset, CITY.namedGraph, URIRef(graph_name)))
    graph.add((dataset, VOID.triples, Literal(triples, datatype=XSD.integer)))


def _add_service(graph: Graph, endpoint_url: str, datasets: list[Node]) -> None:
    service = ID["service/sparql"]
    graph.add((CATALOG_IRI, DCAT.service, service))
    graph.add((service, RDF.type, DCAT.DataService))
    graph.add((service, DCTERMS.title, Literal("SPARQL 1.1 查询服务", lang="zh")))
    graph.add((service, DCTERMS.title, Literal("SPARQL 1.1 query service", lang="en")))
    graph.add((service, DCAT.endpointURL, URIRef(endpoint_url)))
    graph.add((service, DCTERMS.conformsTo, SPARQL_PROTOCOL))
    for dataset in datasets:
        graph.add((service, DCAT.servesDataset, dataset))


def catalog_graph(
    store: Store, *, endpoint_url: str | None = None, hidden: HiddenGraphs | None = None
) -> Graph:
    """The DCAT catalogue: the loader's entries, a minimal one per other graph, the catalog.

    ``endpoint_url`` (the public URL of ``/sparql``) adds the data service that serves them;
    ``hidden`` marks the graphs the reader must not see.
    """
    graph = _catalog_triples(store)
    if hidden is not None:
        for triple in list(graph.triples((None, PERSONAL_GRAPH, None))):
            if hidden(str(triple[2])):
                graph.remove(triple)
    described = {str(g) for p in (CITY.namedGraph, PERSONAL_GRAPH) for g in graph.objects(None, p)}
    for name, stats in sorted(graph_stats(store, hidden).items()):
        if name not in described:
            _add_minimal(graph, name, stats.triples)
    graph.add((CATALOG_IRI, RDF.type, DCAT.Catalog))
    for lang, title in CATALOG_TITLES.items():
        graph.add((CATALOG_IRI, DCTERMS.title, Literal(title, lang=lang)))
    datasets = sorted(set(graph.subjects(RDF.type, DCAT.Dataset)))
    for dataset in datasets:
        graph.add((CATALOG_IRI, DCAT.dataset, dataset))
    if endpoint_url:
        _add_service(graph, endpoint_url, datasets)
    return graph


def _text(graph: Graph, node: Node, predicate: URIRef, lang: str) -> str | None:
    values = [v for v in graph.objects(node, predicate) if isinstance(v, Literal)]
    tagged = sorted(str(v) for v in values if (v.language or "").split("-")[0] == lang)
    return tagged[0] if tagged else (str(values[0]) if values else None)


def _int(graph: Graph, node: Node, predicate: URIRef) -> int | None:
    value = graph.value(node, predicate)
    try:
        return int(str(value)) if isinstance(value, Literal) else None
    except ValueError:
        return None


def _sources(graph: Graph, dataset: Node) -> tuple[str, ...]:
    """The source file names: the distributions' titles, else the source IRIs' last segment."""
    names = [
        str(title)
        for distribution in graph.objects(dataset, DCAT.distribution)
        for title in graph.objects(distribution, DCTERMS.title)
    ]
    if not names:
        names = [str(s).rsplit("/", 1)[-1] for s in graph.objects(dataset, DCTERMS.source)]
    return tuple(sorted(names))


def _entry(graph: Graph, dataset: Node) -> CatalogEntry:
    named = graph.value(dataset, CITY.namedGraph)
    personal = graph.value(dataset, PERSONAL_GRAPH)
    publisher = graph.value(dataset, DCTERMS.publisher)
    when = graph.value(dataset, PROV.generatedAtTime)
    return CatalogEntry(
        dataset=str(dataset),
        graph=str(named) if named is not None else None,
        title_zh=_text(graph, dataset, DCTERMS.title, "zh") or str(dataset),
        title_en=_text(graph, dataset, DCTERMS.title, "en") or str(dataset),
        department=str(publisher) if publisher is not None else None,
        department_zh=_text(graph, publisher, RDFS.label, "zh") if publisher else None,
        department_en=_text(graph, publisher, RDFS.label, "en") if publisher else None,
        sources=_sources(graph, dataset),
        loaded=str(when) if when is not None else None,
        records=_int(graph, dataset, CITY.recordCount),
        triples=_int(graph, dataset, VOID.triples),
        personal_graph=str(personal) if personal is not None else None,
        from_loader=when is not None,
    )


def catalog_rows(store: Store, graph: Graph | None = None) -> list[CatalogEntry]:
    """The catalogue's datasets for the HTML page, sorted by named graph.

    ``graph`` is a catalogue already built by :func:`catalog_graph` (read from ``store`` if not).
    """
    graph = catalog_graph(store) if graph is None else graph
    entries = [_entry(graph, d) for d in set(graph.subjects(RDF.type, DCAT.Dataset))]
    return sorted(entries, key=lambda e: (e.graph or "\uffff", e.dataset))
