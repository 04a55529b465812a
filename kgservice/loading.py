"""``kgservice load``: map sources and write them into the store, one named graph each.

Every source is read, checked and mapped before anything is written; then each source replaces its
named graph and its catalog entry in one transaction. A broken file changes nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT

from kgservice.errors import InputError
from kgservice.iri import graph_iri
from kgservice.store.embedded import EmbeddedStore

CATALOG_GRAPH = str(graph_iri("catalog"))
ONTOLOGY_GRAPH = str(graph_iri("ontology"))


@dataclass(frozen=True)
class LoadedSource:
    """What one source put in the store."""

    source_id: str
    graph: str
    records: int
    triples: int
    seconds: float


def catalog_update(dataset: URIRef, description: Graph) -> str:
    """A SPARQL update that replaces ``dataset``'s entry in the catalog graph by ``description``."""
    entry = description.serialize(format="nt", encoding="utf-8").decode("utf-8")
    return (
        f"DELETE {{ GRAPH <{CATALOG_GRAPH}> {{ ?part ?p ?o }} }} WHERE {{ GRAPH <{CATALOG_GRAPH}> "
        f"{{ <{dataset}> <{DCAT.distribution}> ?part . ?part ?p ?o }} }} ;\n"
        f"DELETE WHERE {{ GRAPH <{CATALOG_GRAPH}> {{ <{dataset}> ?p ?o }} }} ;\n"
        f"INSERT DATA {{ GRAPH <{CATALOG_GRAPH}> {{\n{entry}}} }}"
    )


def ensure_ontology(store: EmbeddedStore) -> bool:
    """Load the ontology into ``graph:ontology`` if the store has none; True if it loaded it."""
    if ox.NamedNode(ONTOLOGY_GRAPH) in store.graph_names():
        return False
    from kgservice.ontology.files import load_model

    data = load_model().serialize(format="nt", encoding="utf-8")
    triples = [q.triple for q in ox.parse(data, ox.RdfFormat.N_TRIPLES)]
    store.replace_graph(ox.NamedNode(ONTOLOGY_GRAPH), triples)
    return True


def load_sources(store: EmbeddedStore, paths: list[Path | str]) -> list[LoadedSource]:
    """Map every source in ``paths``, then replace each one's graph and catalog entry."""
    from kgservice.mapping.run import map_sources

    if not paths:
        raise InputError("nothing to load: give source files or folders")
    mapped = map_sources(paths)
    loaded = []
    for source in mapped:
        started = time.perf_counter()
        dataset = next(source.catalog.subjects(DCAT.distribution, None), None)
        if not isinstance(dataset, URIRef):
            raise InputError(f"{source.source_id}: the mapping gave no dataset description")
        count = store.replace_graph(
            ox.NamedNode(str(source.graph)),
            source.triples(),
            catalog_update(dataset, source.catalog),
        )
        seconds = time.perf_counter() - started
        loaded.append(
            LoadedSource(source.source_id, str(source.graph), source.record_count, count, seconds)
        )
    return loaded
