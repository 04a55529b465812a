"""Anonymous readers never reach a personal graph; the personal-data token does."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from kgservice.privacy import personal_graph
from kgservice.settings import load_settings
from kgservice.store.embedded import EmbeddedStore
from kgservice.web.app import create_app

PUBLIC = "https://w3id.org/sckm/graph/population"
PERSONAL = personal_graph(PUBLIC)
RAW = "371302199001011234"
MASKED = "3713**********1234"
PERSON = "https://w3id.org/sckm/id/person/x"
CITIZEN_ID = "https://w3id.org/sckm/city/citizenId"
READER = {"Authorization": "Bearer reader-token"}


def client_over(store_factory, **env: str):
    settings = load_settings(
        {
            "KGSERVICE_PERSONAL_DATA_TOKEN": "reader-token",
            "KGSERVICE_WRITE_TOKEN": "writer",
            "KGSERVICE_AUDIT_LOG": "off",
            **env,
        }
    )
    store = store_factory(settings)
    for graph, value in ((PUBLIC, MASKED), (PERSONAL, RAW)):
        triple = ox.Triple(ox.NamedNode(PERSON), ox.NamedNode(CITIZEN_ID), ox.Literal(value))
        store.put_graph(ox.NamedNode(graph), [triple])
    return create_app(settings, store).test_client()


@pytest.fixture
def client(store_factory):
    return client_over(store_factory)


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


CONFINED_PROBES = [  # each read of the property is confined to the visible graphs, and runs fast
    f"SELECT ?id WHERE {{ ?p <{CITIZEN_ID}> ?id }}",
    f"SELECT ?id WHERE {{ VALUES ?p {{ <{PERSON}> }} OPTIONAL {{ ?p <{CITIZEN_ID}> ?id }} }}",
    f"SELECT ?id WHERE {{ {{ ?p <{CITIZEN_ID}> ?id }} FILTER EXISTS {{ ?p <{CITIZEN_ID}> ?id }} }}",
    f"SELECT (MAX(?id) AS ?id) WHERE {{ ?p <{CITIZEN_ID}> ?id }} GROUP BY ?p",
]


@pytest.mark.parametrize("query", CONFINED_PROBES)
def test_confined_reads_see_the_masked_value_only(client, query: str) -> None:
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 200, response.data
    values = [b["id"]["value"] for b in json.loads(response.data)["results"]["bindings"]]
    assert values == [MASKED]


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


LENGTH_ZERO_AND_NEGATED_PROBES = [
    # a path of possible length zero binds its ends to every term of the default graph
    "SELECT ?t WHERE { ?t <https://w3id.org/sckm/city/none>* ?t }",
    "SELECT ?t WHERE { ?t <https://w3id.org/sckm/city/none>? ?t }",
    "SELECT ?o WHERE { ?s !<https://w3id.org/sckm/city/none> ?o }",
    "SELECT ?o WHERE { ?s (<https://w3id.org/sckm/city/a>|!<https://w3id.org/sckm/city/b>)+ ?o }",
    "PREFIX c: <https://w3id.org/sckm/> SELECT ?id WHERE { ?p c:city\\/citizenId ?id }",
    "BASE <https://w3id.org/sckm/city/> SELECT ?id WHERE { ?p <citizenId> ?id }",
    "SELECT ?id WHERE { ?p ?x ?id FILTER EXISTS { ?p <https://w3id.org/sckm/city/none>* ?p } }",
]


@pytest.mark.parametrize("query", LENGTH_ZERO_AND_NEGATED_PROBES)
def test_paths_and_spellings_reach_no_raw_value(client, query: str) -> None:
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 200, response.data
    assert RAW.encode() not in response.data


def test_a_zero_length_path_cannot_test_for_a_raw_value(client) -> None:
    query = f'ASK {{ "{RAW}" <https://w3id.org/sckm/city/none>* "{RAW}" }}'
    anonymous = client.get("/sparql", query_string={"query": query})
    assert json.loads(anonymous.data)["boolean"] is False
    privileged = client.get("/sparql", query_string={"query": query}, headers=READER)
    assert json.loads(privileged.data)["boolean"] is True  # the probe would work on raw data


def test_a_personal_graph_holding_other_triples_stays_hidden(client) -> None:
    """Queries that read no personal property may run over the union of all graphs only while
    the personal graphs hold nothing else: a writer's stray triple there stays hidden."""
    label = "https://www.w3.org/2000/01/rdf-schema#label"
    query = f"SELECT ?l WHERE {{ ?p <{label}> ?l }}"
    assert (
        json.loads(client.get("/sparql", query_string={"query": query}).data)["results"]["bindings"]
        == []
    )
    stray = f'<{PERSON}> <{CITIZEN_ID}> "{RAW}" .\n<{PERSON}> <{label}> "stray" .\n'
    put = client.put(
        "/store",
        query_string={"graph": PERSONAL},
        data=stray.encode(),
        headers={"Authorization": "Bearer writer", "Content-Type": "application/n-triples"},
    )
    assert put.status_code == 204
    anonymous = client.get("/sparql", query_string={"query": query})
    assert anonymous.status_code == 200
    assert json.loads(anonymous.data)["results"]["bindings"] == []
    privileged = client.get("/sparql", query_string={"query": query}, headers=READER)
    assert [b["l"]["value"] for b in json.loads(privileged.data)["results"]["bindings"]] == [
        "stray"
    ]


#: Questions whose answer would differ if the raw value could be read: the anonymous answer must
#: be the one the masked value gives.
ORACLES = [
    (f"ASK {{ ?p ?x ?id FILTER(STR(?id) = '{RAW}') }}", False),
    ("ASK { ?p ?x ?id FILTER(STRLEN(?id) = 18 && !CONTAINS(?id, '*')) }", False),
    ("ASK { ?p ?x ?id FILTER(REGEX(?id, '^3713021990')) }", False),
    ("ASK { ?p ?x ?id FILTER(SUBSTR(?id, 5, 6) = '021990') }", False),
    (f"ASK {{ ?p ?x ?id FILTER(?id = '{MASKED}') }}", True),
]


@pytest.mark.parametrize(("query", "expected"), ORACLES)
def test_filters_on_the_raw_value_answer_as_on_the_masked_one(client, query, expected) -> None:
    response = client.get(
        "/sparql", query_string={"query": query}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    assert json.loads(response.data)["boolean"] is expected


def test_order_by_sorts_by_the_masked_value(client) -> None:
    """Two people whose raw numbers sort one way and whose masked numbers sort the other: the
    anonymous order is the masked one, so ORDER BY cannot rank people by raw value."""
    other, other_raw, other_masked = PERSON + "-b", "371301200001015678", "3713**********5678"
    store = client.application.extensions["kgservice"].store
    for graph, value in ((PUBLIC, other_masked), (PERSONAL, other_raw)):
        triple = ox.Triple(ox.NamedNode(other), ox.NamedNode(CITIZEN_ID), ox.Literal(value))
        store.add_to_graph(ox.NamedNode(graph), [triple])
    assert sorted([RAW, other_raw]) == [other_raw, RAW]
    assert sorted([MASKED, other_masked]) == [MASKED, other_masked]
    query = f"SELECT ?p WHERE {{ ?p <{CITIZEN_ID}> ?id }} ORDER BY ?id"
    anonymous = client.get("/sparql", query_string={"query": query}, headers={"Accept": "text/csv"})
    assert anonymous.text.split()[1:] == [PERSON, other]
    reader = client.get(
        "/sparql", query_string={"query": query}, headers={"Accept": "text/csv", **READER}
    )
    # The reader sees both copies: masked ones first ("*" < "0"), then the raw order (b before a).
    assert reader.text.split()[1:] == [PERSON, other, other, PERSON]


SELECT_FORMATS = [
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
]
GRAPH_FORMATS = [
    "text/turtle",
    "application/n-triples",
    "application/n-quads",
    "application/trig",
    "application/ld+json",
    "application/rdf+xml",
]


@pytest.mark.parametrize("accept", SELECT_FORMATS)
def test_select_in_every_format_is_masked(client, accept: str) -> None:
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200 and response.content_type.startswith(accept)
    assert RAW.encode() not in response.data and MASKED.encode() in response.data


@pytest.mark.parametrize("accept", GRAPH_FORMATS)
def test_construct_describe_and_graph_store_in_every_format_are_masked(client, accept) -> None:
    for response in (
        client.get(
            "/sparql",
            query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
            headers={"Accept": accept},
        ),
        client.get(
            "/sparql", query_string={"query": f"DESCRIBE <{PERSON}>"}, headers={"Accept": accept}
        ),
        client.get("/store", query_string={"graph": PUBLIC}, headers={"Accept": accept}),
    ):
        assert response.status_code == 200, (accept, response.data[:200])
        assert RAW.encode() not in response.data and MASKED.encode() in response.data


def test_a_graph_store_write_of_a_personal_property_is_split_on_both_backends(client) -> None:
    """PUT into a public source graph: the raw value goes to its personal graph (embedded and
    remote store alike), anonymous readers see only the masked copy."""
    phone, masked = "13912345678", "139****5678"
    body = f'<{PERSON}> <https://w3id.org/sckm/city/phone> "{phone}" .\n'
    put = client.post(
        "/store",
        query_string={"graph": PUBLIC},
        data=body.encode(),
        headers={"Authorization": "Bearer writer", "Content-Type": "application/n-triples"},
    )
    assert put.status_code == 204, put.text
    query = f"SELECT ?v WHERE {{ <{PERSON}> <https://w3id.org/sckm/city/phone> ?v }}"
    headers = {"Accept": "application/sparql-results+json"}
    anonymous = client.get("/sparql", query_string={"query": query}, headers=headers)
    assert [b["v"]["value"] for b in anonymous.get_json()["results"]["bindings"]] == [masked]
    privileged = client.get("/sparql", query_string={"query": query}, headers=headers | READER)
    assert sorted(b["v"]["value"] for b in privileged.get_json()["results"]["bindings"]) == [
        masked,  # the masked copy in the public graph
        phone,  # the raw value in the personal graph
    ]


UPDATE_HEADERS = {"Authorization": "Bearer writer", "Content-Type": "application/sparql-update"}


def _everything(client) -> bytes:
    return client.get(
        "/sparql",
        query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
        headers={"Accept": "application/n-triples"},
    ).data


def test_an_update_writing_a_personal_property_is_split_on_both_backends(client) -> None:
    """The update runs on a copy of the data (of the embedded store, or of a snapshot of the
    remote one), so its effect is split as a Graph Store write is: the raw value goes to the
    personal graph, anonymous readers see the masked copy."""
    phone, masked = "13912345678", "139****5678"
    update = (
        f"INSERT DATA {{ GRAPH <{PUBLIC}> {{ <{PERSON}> <https://w3id.org/sckm/city/phone> "
        f'"{phone}" }} }}'
    )
    response = client.post("/sparql", data=update.encode(), headers=UPDATE_HEADERS)
    assert response.status_code == 204, response.text
    everything = _everything(client)
    assert phone.encode() not in everything and masked.encode() in everything
    query = f"SELECT ?v WHERE {{ GRAPH <{PERSONAL}> {{ <{PERSON}> ?p ?v }} }}"
    headers = {"Accept": "application/sparql-results+json"} | READER
    privileged = client.get("/sparql", query_string={"query": query}, headers=headers)
    values = {b["v"]["value"] for b in privileged.get_json()["results"]["bindings"]}
    assert values == {RAW, phone}


def test_without_validation_a_remote_update_runs_as_is_unless_it_could_expose(
    store_factory,
) -> None:
    """With validation switched off everywhere, the service reads nothing of a remote store for
    an update: it sends it as it is, and refuses (409) one that could put a raw value where
    anonymous readers see it, since it could not mask it."""
    client = client_over(store_factory, KGSERVICE_VALIDATE_WRITES="none")
    store = client.application.extensions["kgservice"].store
    phone = "13912345678"
    update = (
        f"INSERT DATA {{ GRAPH <{PUBLIC}> {{ <{PERSON}> <https://w3id.org/sckm/city/phone> "
        f'"{phone}" }} }}'
    )
    response = client.post("/sparql", data=update.encode(), headers=UPDATE_HEADERS)
    if isinstance(store, EmbeddedStore):
        assert response.status_code == 204, response.text
    else:
        assert response.status_code == 409, response.text
        assert "Graph Store" in response.text and "city/phone" in response.text
    assert phone.encode() not in _everything(client)
    harmless = f'INSERT DATA {{ GRAPH <{PUBLIC}> {{ <{PERSON}> <urn:note> "ok" }} }}'
    response = client.post("/sparql", data=harmless.encode(), headers=UPDATE_HEADERS)
    assert response.status_code == 204
    assert b"<urn:note>" in _everything(client)
