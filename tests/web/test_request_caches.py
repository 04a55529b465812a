"""The per-request caches (query checks, reach verdicts, negotiation, parameter decoding) keep
answers right: they remember what follows from the request's text alone, never a result, so
a write is seen by the next identical query, and a limit or refusal still applies."""

from __future__ import annotations

import pytest

from kgservice.protocol.errors import NotAcceptable
from kgservice.protocol.negotiation import negotiate
from kgservice.protocol.params import parse_urlencoded
from kgservice.sparql.execute import analyse_query
from kgservice.sparql.guard import QueryRefused
from kgservice.sparql.reach import reads_predicates
from tests.web.service import EX, GRAPH, WRITER, make_app

AGES = f"SELECT ?age WHERE {{ <{EX}zhang> <{EX}age> ?age }}"
PEOPLE = f"ASK {{ <{EX}wang> <{EX}name> ?name }}"


def _ages(client) -> list[str]:
    response = client.get("/sparql", query_string={"query": AGES})
    assert response.status_code == 200, response.text
    return [row["age"]["value"] for row in response.json["results"]["bindings"]]


def test_a_query_asked_again_after_a_graph_store_write_sees_the_write() -> None:
    client = make_app({"KGSERVICE_VALIDATE_WRITES": "none"}).test_client()
    assert _ages(client) == ["34"]
    assert _ages(client) == ["34"]  # now remembered
    turtle = f'<{EX}zhang> <{EX}age> 35 ; <{EX}name> "张三"@zh .'
    put = client.put(
        "/store",
        query_string={"graph": GRAPH},
        data=turtle.encode(),
        headers={**WRITER, "Content-Type": "text/turtle"},
    )
    assert put.status_code == 204, put.text
    assert _ages(client) == ["35"]


def test_a_query_asked_again_after_an_update_sees_the_update() -> None:
    client = make_app({"KGSERVICE_VALIDATE_WRITES": "none"}).test_client()
    ask = client.get("/sparql", query_string={"query": PEOPLE})
    assert ask.json["boolean"] is False
    update = f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <{EX}wang> <{EX}name> "王五"@zh }} }}'
    done = client.post("/sparql", data={"update": update}, headers=WRITER)
    assert done.status_code == 204, done.text
    again = client.get("/sparql", query_string={"query": PEOPLE})
    assert again.json["boolean"] is True


def test_the_analysis_is_keyed_on_the_limits_too() -> None:
    query = "SELECT * WHERE { { { ?s ?p ?o } } }"
    assert analyse_query(query, 10_000, 10).form == "SELECT"
    with pytest.raises(QueryRefused, match="nested more than 2"):
        analyse_query(query, 10_000, 2)
    with pytest.raises(QueryRefused, match="limit is 10"):
        analyse_query(query, 10, 10)
    assert analyse_query(query, 10_000, 10).form == "SELECT"


def test_a_refused_query_is_refused_every_time() -> None:
    for _ in range(2):
        with pytest.raises(QueryRefused):
            analyse_query("SELECT * WHERE { ((((?s)))) }", 10_000, 3)


def test_the_reach_verdict_is_keyed_on_the_predicates() -> None:
    query = "SELECT ?n WHERE { ?s <http://example.org/name> ?n }"
    assert reads_predicates(query, None, frozenset({"http://example.org/name"})) is True
    assert reads_predicates(query, None, frozenset({"http://example.org/phone"})) is False
    assert reads_predicates(query, None, frozenset({"http://example.org/name"})) is True


def test_negotiation_is_remembered_but_a_refusal_is_not() -> None:
    assert negotiate("text/csv", "results") is negotiate("text/csv", "results")
    assert negotiate("text/csv", "results", "json").extension == "srj"
    for _ in range(2):
        with pytest.raises(NotAcceptable):
            negotiate("image/png", "results")


def test_decoded_parameters_are_copies() -> None:
    first = parse_urlencoded(b"query=ASK%20%7B%7D&format=json", "the query string")
    first.append(("extra", "x"))
    assert parse_urlencoded(b"query=ASK%20%7B%7D&format=json", "the query string") == [
        ("query", "ASK {}"),
        ("format", "json"),
    ]
