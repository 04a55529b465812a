"""The query fast path (:mod:`kgservice.web.query_path`): the same answers as the Flask view.

Every request below is sent twice: to the service as it runs (queries taken in by the fast path)
and to the Flask app it wraps (the view); status, headers and body must be the same. The city
has raw personal graphs, so the anonymous reader's confinement is compared too.
"""

from __future__ import annotations

import io

import pytest
from flask import Flask, request
from werkzeug.test import Client
from werkzeug.wrappers import Response

from kgservice.settings import load_settings
from kgservice.store.embedded import EmbeddedStore
from kgservice.web.app import create_app
from kgservice.web.query_path import QueryPath

READER = "reader-token"
ORIGIN = "https://cockpit.example.org"
PREFIX = "PREFIX city: <https://w3id.org/sckm/city/>\n"
NAMES = PREFIX + "SELECT ?p ?name WHERE { ?p city:personName ?name } ORDER BY ?p LIMIT 5"
GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
FORM = "application/x-www-form-urlencoded"

# (method, query string, headers, body): each a request integrators send
REQUESTS = [
    ("GET", {"query": NAMES}, {"Accept": "application/sparql-results+json"}, None),
    (
        "GET",
        {"query": NAMES},
        {"Accept": "application/sparql-results+json", "Origin": ORIGIN},
        None,
    ),
    ("GET", {"query": NAMES}, {"Origin": "https://elsewhere.example"}, None),
    ("GET", {"query": NAMES}, {"Authorization": f"Bearer {READER}"}, None),
    ("GET", {"query": NAMES}, {"Authorization": "Bearer wrong"}, None),
    ("GET", {"query": NAMES, "format": "csv"}, {}, None),
    ("GET", {"query": NAMES}, {"Accept": "application/sparql-results+xml"}, None),
    ("GET", {"query": NAMES}, {"Accept": "image/png"}, None),
    ("GET", {"query": GRAPHS}, {}, None),
    ("GET", {"query": GRAPHS}, {"Authorization": f"Bearer {READER}"}, None),
    ("GET", {"query": "SELECT * WHERE { ?s ?p ?o }"}, {}, None),  # over the cap: cut
    ("GET", {"query": "ASK { ?s a ?type }"}, {}, None),
    ("GET", {"query": PREFIX + "CONSTRUCT WHERE { ?s city:personName ?o } LIMIT 3"}, {}, None),
    ("GET", {"query": "DESCRIBE <https://w3id.org/sckm/id/division/371302>"}, {}, None),
    ("GET", {"query": 'SELECT (IRI("relative") AS ?iri) WHERE {}'}, {}, None),
    ("GET", {"query": "SELECT WHERE {"}, {}, None),
    (
        "GET",
        {"query": "SELECT * WHERE { SERVICE <http://remote.example/sparql> { ?s ?p ?o } }"},
        {},
        None,
    ),
    ("GET", {"query": NAMES, "update": "CLEAR ALL"}, {}, None),
    ("GET", {}, {"Accept": "text/turtle"}, None),  # the service description: the view's
    ("POST", {}, {"Content-Type": FORM}, f"query={NAMES}&format=tsv"),
    ("POST", {}, {"Content-Type": "application/sparql-query; charset=utf-8"}, NAMES),
    ("POST", {}, {"Content-Type": "application/json"}, "{}"),
    ("POST", {}, {"Content-Type": "application/sparql-update"}, "CLEAR ALL"),  # no token
    ("PUT", {"query": NAMES}, {}, None),
    ("HEAD", {"query": NAMES}, {}, None),
]


@pytest.fixture(scope="module")
def app(city_store: EmbeddedStore) -> Flask:
    settings = load_settings(
        {
            "KGSERVICE_AUDIT_LOG": "off",
            "KGSERVICE_PERSONAL_DATA_TOKEN": READER,
            "KGSERVICE_CORS_ORIGINS": ORIGIN,
            "KGSERVICE_MAX_ROWS": "50",
            "KGSERVICE_ALLOWED_REMOTE": "",
        }
    )
    return create_app(settings, city_store)


def _send(client: Client, method: str, query: dict, headers: dict, body: str | None):
    return client.open("/sparql", method=method, query_string=query, headers=headers, data=body)


@pytest.mark.parametrize(("method", "query", "headers", "body"), REQUESTS)
def test_the_fast_path_answers_as_the_view_does(app, method, query, headers, body) -> None:
    assert isinstance(app.wsgi_app, QueryPath)
    fast = _send(Client(app, Response), method, query, headers, body)
    view = _send(Client(app.wsgi_app.app, Response), method, query, headers, body)
    assert (fast.status_code, fast.data) == (view.status_code, view.data)
    assert sorted(fast.headers.items()) == sorted(view.headers.items())


def test_the_answers_compared_are_real_answers(app) -> None:
    """The comparison above is not of two empty or failed responses: masked names, a cut
    answer with its header, the visible graphs only, and the relative IRI resolved."""
    client = Client(app, Response)
    names = _send(
        client, "GET", {"query": NAMES}, {"Accept": "application/sparql-results+json"}, None
    )
    rows = names.json["results"]["bindings"]
    assert len(rows) == 5 and all("*" in row["name"]["value"] for row in rows)
    cut = _send(client, "GET", {"query": "SELECT * WHERE { ?s ?p ?o }"}, {}, None)
    assert cut.headers["KGService-Truncated"] == "50"
    graphs = _send(client, "GET", {"query": GRAPHS}, {"Accept": "text/csv"}, None).get_data(True)
    privileged = _send(
        client,
        "GET",
        {"query": GRAPHS},
        {"Accept": "text/csv", "Authorization": f"Bearer {READER}"},
        None,
    ).get_data(True)
    assert "/personal" not in graphs and "/personal" in privileged
    relative = _send(
        client,
        "GET",
        {"query": 'SELECT (IRI("relative") AS ?iri) WHERE {}'},
        {"Accept": "text/csv"},
        None,
    )
    assert "http://localhost/relative" in relative.get_data(True)


def test_queries_take_the_fast_path_and_the_rest_goes_to_flask(city_store) -> None:
    app = create_app(load_settings({"KGSERVICE_AUDIT_LOG": "off"}), city_store)
    seen: list[str] = []

    @app.before_request
    def record() -> None:
        seen.append(f"{request.method} {request.path}")

    client = app.test_client()
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200
    assert client.post("/sparql", data={"query": "ASK {}"}).status_code == 200
    assert client.get("/sparql", query_string={"query": "SELECT WHERE {"}).status_code == 400
    assert seen == []
    assert client.get("/sparql", headers={"Accept": "text/turtle"}).status_code == 200
    assert client.post("/sparql", data={"update": "CLEAR ALL"}).status_code == 403
    assert client.head("/sparql", query_string={"query": "ASK {}"}).status_code == 200
    assert seen == ["GET /sparql", "POST /sparql", "HEAD /sparql"]


def test_a_body_over_the_limit_or_of_unknown_length_is_left_to_werkzeug(city_store) -> None:
    settings = load_settings({"KGSERVICE_AUDIT_LOG": "off", "KGSERVICE_MAX_BODY_BYTES": "64"})
    client = create_app(settings, city_store).test_client()
    long_query = "ASK { " + " ".join(f"?s{i} ?p ?o ." for i in range(20)) + " }"
    too_long = client.post("/sparql", data=long_query, content_type="application/sparql-query")
    assert too_long.status_code == 413
    assert "KGSERVICE_MAX_BODY_BYTES" in too_long.get_data(True)
    # A chunked body (no Content-Length) that the server marks whole, as granian does.
    chunked = client.post(
        "/sparql",
        input_stream=io.BytesIO(b"ASK {}"),
        content_type="application/sparql-query",
        headers={"Transfer-Encoding": "chunked", "Accept": "text/csv"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert (chunked.status_code, chunked.get_data(True).strip()) == (200, "true")


def test_the_fast_path_counts_its_requests(city_store) -> None:
    client = create_app(load_settings({"KGSERVICE_AUDIT_LOG": "off"}), city_store).test_client()
    client.get("/sparql", query_string={"query": "ASK {}"})
    client.get("/sparql", query_string={"query": "ASK {"})
    metrics = client.get("/metrics").get_data(True)
    assert 'kgservice_requests_total{endpoint="/sparql",method="GET",status="200"} 1.0' in metrics
    assert 'kgservice_requests_total{endpoint="/sparql",method="GET",status="400"} 1.0' in metrics
