"""Answers asked again come from the cache until a write that may change them; readers and
formats keep apart."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from kgservice.privacy import personal_graph
from kgservice.settings import load_settings
from kgservice.store.embedded import open_embedded
from kgservice.web.app import create_app
from kgservice.web.state import EXTENSION

PUBLIC = "https://w3id.org/sckm/graph/population"
NAME = "https://w3id.org/sckm/city/personName"
PERSON = "https://w3id.org/sckm/id/person/a"
WRITER = {"Authorization": "Bearer writer"}
READER = {"Authorization": "Bearer reader"}
QUERY = f"SELECT ?name WHERE {{ ?p <{NAME}> ?name }} ORDER BY ?name"


def app_over(**env: str):
    settings = load_settings(
        {
            "KGSERVICE_WRITE_TOKEN": "writer",
            "KGSERVICE_PERSONAL_DATA_TOKEN": "reader",
            "KGSERVICE_AUDIT_LOG": "off",
            "KGSERVICE_REASONING": "off",
            "KGSERVICE_VALIDATE_WRITES": "none",
            **env,
        }
    )
    store = open_embedded(None)
    for graph, value in ((PUBLIC, "张*"), (personal_graph(PUBLIC), "张三")):
        triple = ox.Triple(ox.NamedNode(PERSON), ox.NamedNode(NAME), ox.Literal(value))
        store.put_graph(ox.NamedNode(graph), [triple])
    app = create_app(settings, store)
    app.extensions[EXTENSION].answers.min_seconds = 0  # keep even the fast answers of a test
    return app


@pytest.fixture
def app():
    return app_over()


def names(response) -> list[str]:
    assert response.status_code == 200, response.data
    return [row["name"]["value"] for row in json.loads(response.data)["results"]["bindings"]]


def ask(client, query: str = QUERY, headers: dict | None = None):
    return client.get("/sparql", query_string={"query": query}, headers=headers or {})


def test_an_answer_asked_again_comes_from_the_cache(app) -> None:
    client, answers = app.test_client(), app.extensions[EXTENSION].answers
    first = ask(client)
    again = ask(client)
    assert names(first) == names(again) == ["张*"]
    assert again.data == first.data and again.content_type == first.content_type
    assert answers.hits == 1 and len(answers) == 1
    assert b"kgservice_answer_cache_hits_total 1.0" in client.get("/metrics").data


@pytest.mark.parametrize(
    "write",
    [
        lambda c: c.post(
            "/sparql",
            data={"update": f'INSERT DATA {{ GRAPH <{PUBLIC}> {{ <{PERSON}b> <{NAME}> "李*" }} }}'},
            headers=WRITER,
        ),
        lambda c: c.post(
            "/store",
            query_string={"graph": PUBLIC},
            data=f'<{PERSON}b> <{NAME}> "李*" .\n'.encode(),
            headers=WRITER | {"Content-Type": "application/n-triples"},
        ),
    ],
    ids=["update", "graph store POST"],
)
def test_a_write_of_a_predicate_the_query_reads_makes_its_answer_stale(app, write) -> None:
    client = app.test_client()
    assert names(ask(client)) == ["张*"]
    assert write(client).status_code in (200, 201, 204)
    assert names(ask(client)) == ["张*", "李*"]


AGE = "https://w3id.org/sckm/city/age"


@pytest.mark.parametrize("validate", ["none", "all"])
@pytest.mark.parametrize(
    "write",
    [
        f"INSERT DATA {{ GRAPH <{PUBLIC}> {{ <{PERSON}> <{AGE}> 34 }} }}",
        f"DELETE WHERE {{ GRAPH <{PUBLIC}> {{ <{PERSON}> <{AGE}> ?age }} }} ; "
        f"INSERT DATA {{ GRAPH <{PUBLIC}> {{ <{PERSON}> <{AGE}> 35 }} }}",
    ],
    ids=["insert", "replace"],
)
def test_an_answer_outlives_writes_of_predicates_its_query_cannot_read(validate, write) -> None:
    app = app_over(KGSERVICE_VALIDATE_WRITES=validate)
    client, answers = app.test_client(), app.extensions[EXTENSION].answers
    first = ask(client)
    response = client.post("/sparql", data={"update": write}, headers=WRITER)
    assert response.status_code == 204, response.data
    again = ask(client)
    assert (again.data, answers.hits) == (first.data, 1)
    ages = f"SELECT ?age WHERE {{ ?p <{AGE}> ?age }}"
    assert [
        row["age"]["value"] for row in json.loads(ask(client, ages).data)["results"]["bindings"]
    ] in (["34"], ["35"])


@pytest.mark.parametrize(
    ("query", "update"),
    [
        # a variable predicate may read any triple
        (
            "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
            f"INSERT DATA {{ GRAPH <{PUBLIC}> {{ <{PERSON}> <{AGE}> 34 }} }}",
        ),
        # a new graph: GRAPH ?g may see it, whatever it holds
        (
            "SELECT ?g WHERE { GRAPH ?g { } }",
            f"INSERT DATA {{ GRAPH <{PUBLIC}/new> {{ <{PERSON}> <{AGE}> 34 }} }}",
        ),
        # the service does not read what a graph's drop removes (here only ages)
        (QUERY, f"DROP GRAPH <{PUBLIC}/ages>"),
    ],
    ids=["variable predicate", "new graph", "dropped graph"],
)
def test_an_answer_a_write_may_touch_is_computed_again(app, query: str, update: str) -> None:
    client, answers = app.test_client(), app.extensions[EXTENSION].answers
    ages = f"INSERT DATA {{ GRAPH <{PUBLIC}/ages> {{ <{PERSON}> <{AGE}> 33 }} }}"
    assert client.post("/sparql", data={"update": ages}, headers=WRITER).status_code == 204
    first = ask(client, query, READER)
    assert first.status_code == 200
    assert client.post("/sparql", data={"update": update}, headers=WRITER).status_code == 204
    again = ask(client, query, READER)
    assert answers.hits == 0 and again.status_code == 200
    if query != QUERY:  # the names stand; the count and the graphs do not
        assert again.data != first.data


def test_readers_who_see_personal_data_get_their_own_answers(app) -> None:
    client = app.test_client()
    assert names(ask(client)) == ["张*"]
    assert names(ask(client, headers=READER)) == ["张*", "张三"]
    assert names(ask(client)) == ["张*"]  # the anonymous answer, kept, still masked
    assert names(ask(client, headers=READER)) == ["张*", "张三"]


def test_each_format_is_kept_apart(app) -> None:
    client = app.test_client()
    json_answer = ask(client, headers={"Accept": "application/sparql-results+json"})
    xml_answer = ask(client, headers={"Accept": "application/sparql-results+xml"})
    assert xml_answer.content_type.startswith("application/sparql-results+xml")
    assert ask(client, headers={"Accept": "application/sparql-results+json"}).data == (
        json_answer.data
    )
    assert ask(client, headers={"Accept": "application/sparql-results+xml"}).data == (
        xml_answer.data
    )


def test_a_truncated_answer_keeps_its_header() -> None:
    app = app_over(KGSERVICE_MAX_ROWS="1")
    client = app.test_client()
    first, again = ask(client, headers=READER), ask(client, headers=READER)  # two names
    assert names(first) == names(again) == ["张*"]
    assert first.headers["KGService-Truncated"] == again.headers["KGService-Truncated"] == "1"
    assert app.extensions[EXTENSION].answers.hits == 1


def test_no_answer_is_kept_when_the_cache_is_off() -> None:
    app = app_over(KGSERVICE_ANSWER_CACHE_MB="0")
    client = app.test_client()
    ask(client)
    ask(client)
    answers = app.extensions[EXTENSION].answers
    assert (answers.hits, len(answers)) == (0, 0)


def test_an_answer_whose_query_overlapped_a_write_is_not_kept(app, monkeypatch) -> None:
    """The version is read before the query and after its body: a write that began or ended
    in between moves it, and the answer may mix two states of the store."""
    store = app.extensions[EXTENSION].store
    versions = iter(range(100, 200, 2))  # every read sees another write
    monkeypatch.setattr(store, "content_version", lambda: next(versions))
    client = app.test_client()
    ask(client)
    ask(client)
    answers = app.extensions[EXTENSION].answers
    assert (answers.hits, len(answers)) == (0, 0)


def test_clients_reaching_the_service_by_other_host_names_share_an_answer(app) -> None:
    client, answers = app.test_client(), app.extensions[EXTENSION].answers
    first = client.get("/sparql", query_string={"query": QUERY}, base_url="http://10.0.0.5:8080")
    again = client.get("/sparql", query_string={"query": QUERY}, base_url="https://kg.city.example")
    assert names(first) == names(again) == ["张*"]
    assert answers.hits == 1


def test_a_query_with_a_relative_iri_is_kept_per_host_name(app) -> None:
    """A relative IRI resolves against the endpoint's URL, which differs by host name."""
    client, answers = app.test_client(), app.extensions[EXTENSION].answers
    query = "SELECT ?iri WHERE { BIND(<relative> AS ?iri) }"
    one = client.get("/sparql", query_string={"query": query}, base_url="http://one.example")
    two = client.get("/sparql", query_string={"query": query}, base_url="http://two.example")
    iris = [json.loads(r.data)["results"]["bindings"][0]["iri"]["value"] for r in (one, two)]
    assert iris == ["http://one.example/relative", "http://two.example/relative"]
    assert answers.hits == 0


@pytest.mark.parametrize("call", ["NOW()", "RAND()", "UUID()", "STRUUID()", "BNODE()"])
def test_an_answer_made_new_by_each_evaluation_is_never_kept(app, call) -> None:
    client, answers = app.test_client(), app.extensions[EXTENSION].answers
    query = f"SELECT ?value WHERE {{ BIND({call} AS ?value) }}"
    assert ask(client, query).status_code == ask(client, query).status_code == 200
    assert (answers.hits, len(answers)) == (0, 0)
