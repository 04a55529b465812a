"""What :func:`kgservice.sparql.execute.prepare_query` gives an anonymous reader's query: the
visible graphs as its dataset, without the named graphs when no ``GRAPH`` pattern reads them."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kgservice.privacy import is_personal_graph, personal_properties
from kgservice.protocol.params import QueryRequest
from kgservice.sparql.execute import Limits, analyse_query, prepare_query
from kgservice.store.embedded import EmbeddedStore, open_embedded

LIMITS = Limits(max_rows=0, max_query_bytes=1 << 20, max_query_depth=200, allowed_remote=())
GRAPH = "https://w3id.org/sckm/graph/population"
CITY = "https://w3id.org/sckm/city/"
PERSON = ox.NamedNode("https://w3id.org/sckm/id/person/p1")


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    store = open_embedded(None)
    name = ox.NamedNode(CITY + "personName")
    store.put_graph(ox.NamedNode(GRAPH), [ox.Triple(PERSON, name, ox.Literal("张*"))])
    store.put_graph(
        ox.NamedNode(GRAPH + "/personal"), [ox.Triple(PERSON, name, ox.Literal("张三"))]
    )
    return store


@pytest.mark.parametrize(
    ("query", "names_graphs"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", False),
        ('SELECT * WHERE { ?s ?p "GRAPH" } # GRAPH', False),
        ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", True),
        ("ASK { FILTER EXISTS { graph <urn:g> { ?s ?p ?o } } }", True),
    ],
)
def test_the_analysis_tells_whether_a_graph_pattern_is_read(query: str, names_graphs: bool) -> None:
    assert analyse_query(query, 1 << 20, 200).names_graphs is names_graphs


def _dataset(store: EmbeddedStore, query: str):
    prepared = prepare_query(
        store,
        QueryRequest(query),
        LIMITS,
        "text/csv",
        hidden=is_personal_graph,
        hidden_predicates=personal_properties(),
    )
    return prepared.request.query, prepared.dataset


def test_a_query_without_graph_patterns_is_given_no_named_graphs(store) -> None:
    _, dataset = _dataset(store, "SELECT ?s WHERE { ?s a ?type }")
    assert dataset.named_graphs == []
    assert ox.NamedNode(GRAPH) in dataset.default_graphs
    assert ox.NamedNode(GRAPH + "/personal") not in dataset.default_graphs


def test_a_graph_pattern_gets_the_visible_named_graphs(store) -> None:
    _, dataset = _dataset(store, "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert dataset.named_graphs == [ox.NamedNode(GRAPH)]


def test_a_query_confined_to_the_visible_graphs_keeps_them(store) -> None:
    """A read of a personal property becomes a GRAPH pattern over the visible named graphs:
    those must stay in the dataset, and the answer is the masked value."""
    query = f"SELECT ?name WHERE {{ ?p <{CITY}personName> ?name }}"
    confined, dataset = _dataset(store, query)
    assert "GRAPH" in confined
    assert dataset.named_graphs == [ox.NamedNode(GRAPH)]
    assert dataset.graphs_confined
    rows = list(store.query(confined, dataset))
    assert [row["name"] for row in rows] == [ox.Literal("张*")]


def test_a_confined_query_with_graph_patterns_of_its_own_reads_every_visible_graph(store) -> None:
    """Its own GRAPH pattern may read any predicate: no named graph may be left out."""
    query = f"SELECT ?name ?g WHERE {{ ?p <{CITY}personName> ?name . GRAPH ?g {{ ?p a ?o }} }}"
    confined, dataset = _dataset(store, query)
    assert confined.count("GRAPH") == 2
    assert dataset.named_graphs == [ox.NamedNode(GRAPH)]
    assert not dataset.graphs_confined


@pytest.mark.parametrize(
    ("query", "most_rows"),
    [
        ("SELECT ?s WHERE { ?s ?p ?o } LIMIT 5", 5),
        ("SELECT ?s WHERE { { SELECT ?s WHERE { ?s ?p ?o } LIMIT 5 } }", None),
        ("CONSTRUCT { ?s ?p ?o . ?o ?p ?s } WHERE { ?s ?p ?o } LIMIT 5", None),  # 10 triples
    ],
)
def test_a_select_knows_the_most_rows_its_limit_allows(store, query: str, most_rows) -> None:
    prepared = prepare_query(store, QueryRequest(query), LIMITS, None)
    assert prepared.most_rows == most_rows
