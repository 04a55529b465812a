"""Anonymous readers never reach a personal graph; the personal-data token does."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from kgservice.privacy import personal_graph
from kgservice.settings import load_settings
from kgservice.web.app import create_app

PUBLIC = "https://w3id.org/sckm/graph/population"
PERSONAL = personal_graph(PUBLIC)
RAW = "371302199001011234"
MASKED = "3713**********1234"
PERSON = "https://w3id.org/sckm/id/person/x"
CITIZEN_ID = "https://w3id.org/sckm/city/citizenId"
READER = {"Authorization": "Bearer reader-token"}


@pytest.fixture
def client(store_factory):
    settings = load_settings(
        {"KGSERVICE_PERSONAL_DATA_TOKEN": "reader-token", "KGSERVICE_WRITE_TOKEN": "writer"}
    )
    store = store_factory(settings)
    for graph, value in ((PUBLIC, MASKED), (PERSONAL, RAW)):
        triple = ox.Triple(ox.NamedNode(PERSON), ox.NamedNode(CITIZEN_ID), ox.Literal(value))
        store.put_graph(ox.NamedNode(graph), [triple])
    return create_app(settings, store).test_client()


PROBES = [
    "SELECT ?id WHERE { ?p <https://w3id.org/sckm/city/citizenId> ?id }",
    "SELECT ?id WHERE { GRAPH ?g { ?p <https://w3id.org/sckm/city/citizenId> ?id } }",
    "SELECT ?p WHERE { ?p ?x ?id FILTER(REGEX(?id, '^3713021990')) }",
    "SELECT ?p WHERE { ?p ?x ?id FILTER(SUBSTR(?id, 5, 6) = '021990') }",
    "SELECT ?g WHERE { GRAPH ?g { } }",
    "CONSTRUCT WHERE { ?s ?p ?o }",
    f"DESCRIBE <{PERSON}>",
]


@pytest.mark.parametrize("query", PROBES)
def test_anonymous_queries_see_only_masked_values(client, query: str) -> None:
    response = client.get(
        "/sparql", query_string={"query": query}, headers={"Accept": "application/n-triples, */*"}
    )
    assert response.status_code == 200
    assert RAW.encode() not in response.data
    assert b"/personal" not in response.data


def test_anonymous_cannot_name_a_personal_graph(client) -> None:
    for params in (
        {"query": f"SELECT * FROM <{PERSONAL}> WHERE {{ ?s ?p ?o }}"},
        {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": PERSONAL},
        {"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": PERSONAL},
    ):
        response = client.get("/sparql", query_string=params)
        assert response.status_code == 400
        assert b"names no graph of this store" in response.data
    assert client.get("/store", query_string={"graph": PERSONAL}).status_code == 404


def test_the_personal_data_token_sees_raw_values(client) -> None:
    response = client.get("/sparql", query_string={"query": PROBES[0]}, headers=READER)
    values = {b["id"]["value"] for b in json.loads(response.data)["results"]["bindings"]}
    assert values == {RAW, MASKED}
    assert client.get("/store", query_string={"graph": PERSONAL}, headers=READER).status_code == 200


def test_an_unknown_token_is_refused_not_downgraded(client) -> None:
    response = client.get(
        "/sparql", query_string={"query": PROBES[0]}, headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401
