"""An in-memory copy of a store, embedded or remote, for the write pipeline to work on.

The write pipeline (:mod:`kgservice.writes`) computes a SPARQL update's effect by running it on
a copy, and validates a write against the data around it; on a remote store both need the data
in this process. :func:`snapshot` reads every graph once (the Graph Store Protocol, or CONSTRUCT
when the store has no Graph Store endpoint) into an in-memory Oxigraph store. Blank nodes keep
the labels the store wrote, so a copy of an embedded store names them as the store does.
"""

from __future__ import annotations

import pyoxigraph as ox

from kgservice.store.base import Store
from kgservice.store.embedded import EmbeddedStore, open_embedded

NQUADS = ox.RdfFormat.N_QUADS


def snapshot(store: Store) -> EmbeddedStore:
    """Every quad and named graph (empty ones too) of ``store``, in an in-memory store."""
    copy = open_embedded(None, union_default_graph=store.union_default_graph)
    if isinstance(store, EmbeddedStore):
        copy_quads(store.oxigraph, copy.oxigraph)
        return copy
    named: set[ox.Triple] = set()
    for graph in store.graph_names():
        triples = set(store.triples(graph))
        named |= triples
        copy.oxigraph.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
        copy.oxigraph.add_graph(graph)
    default = store.triples(ox.DefaultGraph())
    if getattr(store, "graph_store_url", None) is None:
        # Read by CONSTRUCT: a server whose default graph is the union of its graphs answers
        # with every graph's triples; those of a named graph are not the default graph's.
        default = (t for t in default if t not in named)
    copy.oxigraph.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in default)
    return copy


def copy_quads(source: ox.Store, target: ox.Store) -> bytes:
    """Copy ``source``'s quads and named graphs into ``target``, blank node labels kept; the
    source's N-Quads dump, which the copy was made from."""
    data = source.dump(format=NQUADS)
    target.bulk_extend(ox.parse(data, format=NQUADS))
    for graph in source.named_graphs():
        target.add_graph(graph)
    return data
