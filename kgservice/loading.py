"""``kgservice load``: map sources and write them into the store, one named graph each.

Every source is read, checked and mapped before anything is written; then each source replaces its
named graph, its personal graph and its catalog entry in one transaction. A broken file changes
nothing.

Personal data (:mod:`kgservice.privacy`, docs/data-model.md §6): the source's graph
``graph:<source id>`` gets every non-personal triple and a masked copy of each personal one; the
raw personal triples go to ``graph:<source id>/personal``, and the catalog entry names that graph
(``city:personalGraph``). A source without personal data has no personal graph: loading it drops
any personal graph an earlier load left.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT

from kgservice.errors import InputError
from kgservice.iri import graph_iri
from kgservice.privacy import (
    PERSONAL_GRAPH_PROPERTY,
    personal_graph,
    personal_properties,
    split_personal,
)
from kgservice.store.base import Store
from kgservice.store.embedded import EmbeddedStore

if TYPE_CHECKING:
    from kgservice.mapping.run import MappedSource

CATALOG_GRAPH = str(graph_iri("catalog"))
ONTOLOGY_GRAPH = str(graph_iri("ontology"))


@dataclass(frozen=True)
class LoadedSource:
    """What one source put in the store."""

    source_id: str
    graph: str
    records: int
    triples: int  # in ``graph`` (personal values masked)
    seconds: float
    personal_graph: str | None = None  # the graph of the raw personal values, if any
    personal_triples: int = 0


def catalog_update(dataset: URIRef, description: Graph) -> str:
    """A SPARQL update that replaces ``dataset``'s entry in the catalog graph by ``description``."""
    entry = description.serialize(format="nt", encoding="utf-8").decode("utf-8")
    return (
        f"DELETE {{ GRAPH <{CATALOG_GRAPH}> {{ ?part ?p ?o }} }} WHERE {{ GRAPH <{CATALOG_GRAPH}> "
        f"{{ <{dataset}> <{DCAT.distribution}> ?part . ?part ?p ?o }} }} ;\n"
        f"DELETE WHERE {{ GRAPH <{CATALOG_GRAPH}> {{ <{dataset}> ?p ?o }} }} ;\n"
        f"INSERT DATA {{ GRAPH <{CATALOG_GRAPH}> {{\n{entry}}} }}"
    )


def personal_update(graph: str, triples: list[ox.Triple]) -> str:
    """A SPARQL update that makes the personal graph ``graph`` hold exactly ``triples`` (none:
    the graph is dropped)."""
    drop = f"DROP SILENT GRAPH <{graph}>"
    if not triples:
        return drop
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    return f"{drop} ;\nINSERT DATA {{ GRAPH <{graph}> {{\n{data}}} }}"


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
    """Map every source in ``paths``, then replace each one's graph, personal graph and catalog
    entry (one transaction per source)."""
    from kgservice.mapping.run import map_sources

    if not paths:
        raise InputError("nothing to load: give source files or folders")
    return write_sources(store, map_sources(paths))


def write_sources(store: EmbeddedStore, mapped: list[MappedSource]) -> list[LoadedSource]:
    """Replace each mapped source's graph, personal graph and catalog entry (one transaction
    per source)."""
    properties = personal_properties()
    loaded = []
    for source in mapped:
        started = time.perf_counter()
        dataset = next(source.catalog.subjects(DCAT.distribution, None), None)
        if not isinstance(dataset, URIRef):
            raise InputError(f"{source.source_id}: the mapping gave no dataset description")
        public, personal = split_personal(source.triples(), properties)
        private_graph = personal_graph(str(source.graph))
        description = source.catalog
        if personal:
            description = Graph() + source.catalog
            description.add((dataset, URIRef(PERSONAL_GRAPH_PROPERTY), URIRef(private_graph)))
        also = (
            personal_update(private_graph, personal) + " ;\n" + catalog_update(dataset, description)
        )
        # One update, one transaction: the public graph, the personal graph, the catalog entry.
        count = store.replace_graph(ox.NamedNode(str(source.graph)), public, also)
        seconds = time.perf_counter() - started
        loaded.append(
            LoadedSource(
                source.source_id,
                str(source.graph),
                source.record_count,
                count,
                seconds,
                private_graph if personal else None,
                len(personal),
            )
        )
    return loaded


def refresh_derived(store: Store, reasoning: str) -> list[str]:
    """After a load: apply ``KGSERVICE_REASONING`` to ``graph:inferred``, then refresh
    ``graph:quality`` (embedded store only: validation reads the store in process). Neither
    reads the other, so the order only decides which is stale for less long. One line each."""
    from kgservice.quality import refresh_quality
    from kgservice.reasoning import apply_mode, describe

    lines = [describe(apply_mode(store, reasoning))]
    if isinstance(store, EmbeddedStore):
        lines.append(f"quality report: {refresh_quality(store):,} findings")
    return lines
