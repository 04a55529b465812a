"""The embedded store answers a listed-graphs query from its union default graph only while
that is proven equivalent (the anonymous reader's fast path)."""

from __future__ import annotations

import pyoxigraph as ox

from kgservice.store.base import QueryDataset
from kgservice.store.embedded import EmbeddedStore, open_embedded

PUBLIC = ox.NamedNode("https://example.org/graph/public")
HIDDEN = ox.NamedNode("https://example.org/graph/hidden")
SECRET = ox.NamedNode("https://example.org/secret")
NAME = ox.NamedNode("https://example.org/name")
PERSON = ox.NamedNode("https://example.org/person")
QUERY = "SELECT ?v WHERE { ?s ?p ?v }"


def listed(unread: frozenset[str]) -> QueryDataset:
    return QueryDataset([PUBLIC, ox.DefaultGraph()], [PUBLIC], unread)


def store_with(hidden: list[ox.Triple]) -> EmbeddedStore:
    store = open_embedded(None)
    store.add_to_graph(PUBLIC, [ox.Triple(PERSON, NAME, ox.Literal("public"))])
    store.add_to_graph(HIDDEN, hidden)
    return store


def values(store: EmbeddedStore, dataset: QueryDataset) -> set[str]:
    return {row["v"].value for row in store.query(QUERY, dataset)}


def test_the_union_answers_when_unlisted_graphs_hold_only_unread_predicates() -> None:
    """The caller claims (wrongly, on purpose) that ``?s ?p ?v`` reads no ``SECRET`` triple:
    the answer shows the store took its union default graph, as the contract allows."""
    store = store_with([ox.Triple(PERSON, SECRET, ox.Literal("raw"))])
    assert values(store, listed(frozenset())) == {"public"}
    assert values(store, listed(frozenset({SECRET.value}))) == {"public", "raw"}


def test_an_unlisted_graph_with_other_predicates_keeps_the_listed_dataset() -> None:
    store = store_with(
        [ox.Triple(PERSON, SECRET, ox.Literal("raw")), ox.Triple(PERSON, NAME, ox.Literal("x"))]
    )
    assert values(store, listed(frozenset({SECRET.value}))) == {"public"}


def test_a_write_is_seen_by_the_next_check() -> None:
    store = store_with([ox.Triple(PERSON, SECRET, ox.Literal("raw"))])
    assert values(store, listed(frozenset({SECRET.value}))) == {"public", "raw"}
    store.update(
        f'INSERT DATA {{ GRAPH <{HIDDEN.value}> {{ <{PERSON.value}> <{NAME.value}> "x" }} }}'
    )
    assert values(store, listed(frozenset({SECRET.value}))) == {"public"}
    store.drop_graph(HIDDEN)
    store.add_to_graph(HIDDEN, [ox.Triple(PERSON, NAME, ox.Literal("y"))])
    assert values(store, listed(frozenset({SECRET.value}))) == {"public"}


def test_a_write_between_the_check_and_the_query_sends_it_to_the_listed_graphs() -> None:
    """A write that begins after the check may already be in the query's snapshot."""
    store = store_with([ox.Triple(PERSON, SECRET, ox.Literal("raw"))])
    dataset = listed(frozenset({SECRET.value}))
    assert values(store, dataset) == {"public", "raw"}  # checked, cached
    query_once = store._query
    written = []

    def query_after_a_write(query: str, options: dict):
        if not written:
            written.append(True)
            triple = ox.Triple(PERSON, NAME, ox.Literal("stray"))
            store.add_to_graph(HIDDEN, [triple])
        return query_once(query, options)

    store._query = query_after_a_write  # type: ignore[method-assign]
    assert values(store, dataset) == {"public"}


def test_graph_names_follow_writes() -> None:
    store = store_with([])
    assert store.graph_names() == [HIDDEN, PUBLIC]
    store.drop_graph(HIDDEN)
    assert store.graph_names() == [PUBLIC]
    store.update("INSERT DATA { GRAPH <https://example.org/graph/new> { <a:b> <a:c> <a:d> } }")
    assert store.graph_names() == [ox.NamedNode("https://example.org/graph/new"), PUBLIC]


OTHER = ox.NamedNode("https://example.org/graph/other")
GRAPHS_QUERY = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?v } }"


def graph_names_seen(store: EmbeddedStore, confined: bool) -> set[str]:
    """The named graphs ``GRAPH ?g { ?s ?p ?v }`` sees when the caller claims (wrongly, on
    purpose) that it reads only ``SECRET`` triples, with ``confined`` as given."""
    dataset = QueryDataset(
        [PUBLIC, OTHER, ox.DefaultGraph()], [PUBLIC, OTHER], frozenset({SECRET.value}), confined
    )
    return {row["g"].value for row in store.query(GRAPHS_QUERY, dataset)}


def test_confined_graph_patterns_skip_the_graphs_holding_no_unread_predicate() -> None:
    store = store_with([ox.Triple(PERSON, SECRET, ox.Literal("raw"))])
    store.add_to_graph(PUBLIC, [ox.Triple(PERSON, SECRET, ox.Literal("masked"))])
    store.add_to_graph(OTHER, [ox.Triple(PERSON, NAME, ox.Literal("other"))])
    assert graph_names_seen(store, confined=False) == {PUBLIC.value, OTHER.value}
    assert graph_names_seen(store, confined=True) == {PUBLIC.value}


def test_a_write_of_an_unread_predicate_into_another_graph_is_seen_by_the_next_query() -> None:
    store = store_with([ox.Triple(PERSON, SECRET, ox.Literal("raw"))])
    store.add_to_graph(PUBLIC, [ox.Triple(PERSON, SECRET, ox.Literal("masked"))])
    store.add_to_graph(OTHER, [ox.Triple(PERSON, NAME, ox.Literal("other"))])
    assert graph_names_seen(store, confined=True) == {PUBLIC.value}
    store.add_to_graph(OTHER, [ox.Triple(PERSON, SECRET, ox.Literal("masked too"))])
    assert graph_names_seen(store, confined=True) == {PUBLIC.value, OTHER.value}
    store.update(f"DELETE WHERE {{ GRAPH <{PUBLIC.value}> {{ ?s <{SECRET.value}> ?o }} }}")
    assert graph_names_seen(store, confined=True) == {OTHER.value}
