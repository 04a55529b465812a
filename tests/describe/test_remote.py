"""Over a remote store (a real ``oxigraph serve``) the descriptions equal the embedded ones."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rdflib import Graph

from kgservice.describe.catalog import catalog_graph
from kgservice.describe.terms import describe_term, term_page
from kgservice.describe.void import void_description
from kgservice.namespaces import CITY, SCCM
from kgservice.privacy import is_personal_graph
from kgservice.store.remote import RemoteStore
from tests.describe.city import loaded_city
from tests.servers import oxigraph_server

DATASET = "https://kg.example.org/void#dataset"


@pytest.fixture(scope="module")
def remote() -> Iterator[RemoteStore]:
    """A remote store holding a copy of the city, graph by graph."""
    embedded = loaded_city().store
    with oxigraph_server() as server:
        store = RemoteStore(server.query_url, server.update_url, server.store_url, timeout=30.0)
        for graph in embedded.graph_names():
            store.put_graph(graph, list(embedded.triples(graph)))
        yield store
        store.close()


def same(a: Graph, b: Graph) -> bool:
    return len(a) == len(b) and a.isomorphic(b)


def test_void(remote: RemoteStore) -> None:
    embedded = loaded_city().store
    for hidden in (None, is_personal_graph):
        assert same(
            void_description(remote, DATASET, hidden=hidden),
            void_description(embedded, DATASET, hidden=hidden),
        )


def test_catalog(remote: RemoteStore) -> None:
    assert same(catalog_graph(remote), catalog_graph(loaded_city().store))


def test_terms(remote: RemoteStore) -> None:
    embedded = loaded_city().store
    assert same(describe_term(remote, str(SCCM.Agent)), describe_term(embedded, str(SCCM.Agent)))
    assert term_page(remote, str(CITY.NaturalPerson)) == term_page(
        embedded, str(CITY.NaturalPerson)
    )
