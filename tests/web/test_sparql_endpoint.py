"""/sparql through Flask's client: the protocol, formats, limits, writes and errors."""

from __future__ import annotations

import json
import os
import threading
import time

import pyoxigraph as ox
import pytest

from tests.web.service import GRAPH, TOKEN, WRITER, make_app

AGES = "SELECT ?age WHERE { ?p <http://example.org/age> ?age } ORDER BY ?age"
RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}


@pytest.fixture
def client(store_factory):
    """A client of the service over each backend (embedded, remote ``oxigraph serve``)."""
    return make_app(store_factory=store_factory).test_client()


def _ages(data: bytes, fmt: ox.QueryResultsFormat) -> list[int]:
    return [int(row["age"].value) for row in ox.parse_query_results(data, fmt)]


@pytest.mark.parametrize("media_type", list(RESULT_TYPES))
def test_select_by_get_post_form_and_post_direct(client, media_type: str) -> None:
    accept = {"Accept": media_type}
    answers = [
        client.get("/sparql", query_string={"query": AGES}, headers=accept),
        client.post("/sparql", data={"query": AGES}, headers=accept),
        client.post(
            "/sparql", data=AGES.encode(), content_type="application/sparql-query", headers=accept
        ),
    ]
    for response in answers:
        assert response.status_code == 200
        assert response.mimetype == media_type
        assert response.headers["Vary"].startswith("Accept")
        assert _ages(response.data, RESULT_TYPES[media_type]) == [34, 51]


def test_csv_and_format_parameter(client) -> None:
    response = client.get("/sparql", query_string={"query": AGES, "format": "csv"})
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.data == b"age\r\n34\r\n51\r\n"


def test_construct_in_every_graph_format(client) -> None:
    query = (
        "CONSTRUCT { ?p <http://example.org/name> ?n } WHERE { ?p <http://example.org/name> ?n }"
    )
    for fmt in (
        ox.RdfFormat.TURTLE,
        ox.RdfFormat.N_TRIPLES,
        ox.RdfFormat.N_QUADS,
        ox.RdfFormat.TRIG,
        ox.RdfFormat.JSON_LD,
        ox.RdfFormat.RDF_XML,
    ):
        response = client.get(
            "/sparql", query_string={"query": query}, headers={"Accept": fmt.media_type}
        )
        assert response.status_code == 200, fmt
        names = {q.object.value for q in ox.parse(response.data, fmt)}
        assert names == {"张三", "李四"}, fmt


def test_ask_and_describe(client) -> None:
    response = client.get("/sparql", query_string={"query": "ASK { ?s ?p 34 }"})
    assert json.loads(response.data)["boolean"] is True
    response = client.get(
        "/sparql",
        query_string={"query": "DESCRIBE <http://example.org/zhang>"},
        headers={"Accept": "application/n-triples"},
    )
    assert len(list(ox.parse(response.data, ox.RdfFormat.N_TRIPLES))) == 3


def test_dataset_parameters(client) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    with_graph = client.get("/sparql", query_string={"query": query, "default-graph-uri": GRAPH})
    assert json.loads(with_graph.data)["results"]["bindings"][0]["n"]["value"] == "8"
    named_only = client.get(
        "/sparql", query_string={"query": query, "named-graph-uri": GRAPH}
    )  # the default graph is then empty
    assert json.loads(named_only.data)["results"]["bindings"][0]["n"]["value"] == "0"


def test_union_default_graph_can_be_switched_off() -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    client = make_app({"KGSERVICE_UNION_DEFAULT_GRAPH": "false"}).test_client()
    response = client.get("/sparql", query_string={"query": query})
    assert json.loads(response.data)["results"]["bindings"][0]["n"]["value"] == "0"


def test_syntax_error_is_400_with_the_parsers_position(client) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p }"})
    assert response.status_code == 400
    assert response.content_type == "text/plain; charset=utf-8"
    text = response.get_data(as_text=True)
    assert "SPARQL syntax error at line 1, column 25" in text
    assert "  SELECT * WHERE { ?s ?p }\n" + " " * 26 + "^" in text


def test_not_acceptable_lists_what_is_available(client) -> None:
    response = client.get("/sparql", query_string={"query": AGES}, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert b"application/sparql-results+json" in response.data


def test_row_cap_cuts_and_says_so() -> None:
    client = make_app({"KGSERVICE_MAX_ROWS": "1"}).test_client()
    response = client.get("/sparql", query_string={"query": AGES})
    assert response.headers["KGService-Truncated"] == "1"
    body = json.loads(response.data)
    assert body["truncated"]["limit"] == 1
    assert len(body["results"]["bindings"]) == 1
    exact = client.get("/sparql", query_string={"query": AGES + " LIMIT 1"})
    assert "KGService-Truncated" not in exact.headers


def test_remote_targets_are_refused(client) -> None:
    for query in (
        "SELECT * WHERE { SERVICE <http://169.254.169.254/> { ?s ?p ?o } }",
        "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
    ):
        response = client.get("/sparql", query_string={"query": query})
        assert response.status_code == 400
        assert b"KGSERVICE_ALLOWED_REMOTE" in response.data
    local = client.get("/sparql", query_string={"query": f"SELECT * FROM <{GRAPH}> {{ ?s ?p ?o }}"})
    assert local.status_code == 200


def test_deep_query_is_refused_before_the_engine(client) -> None:
    deep = "SELECT * WHERE " + "{" * 5000 + "}" * 5000
    response = client.post("/sparql", data={"query": deep})
    assert response.status_code == 400
    assert b"nested more than" in response.data


UPDATE = (
    "INSERT DATA { GRAPH <http://example.org/g2> "
    '{ <http://example.org/x> <http://example.org/p> "1" } }'
)


def test_update_needs_the_token(client) -> None:
    missing = client.post("/sparql", data={"update": UPDATE})
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.post("/sparql", data={"update": UPDATE}, headers={"Authorization": "Bearer x"})
    assert wrong.status_code == 401
    ok = client.post("/sparql", data={"update": UPDATE}, headers=WRITER)
    assert ok.status_code == 204
    ask = client.get("/sparql", query_string={"query": "ASK { GRAPH <http://example.org/g2> {} }"})
    assert json.loads(ask.data)["boolean"] is True


def test_without_a_configured_token_writes_are_refused() -> None:
    client = make_app({"KGSERVICE_WRITE_TOKEN": ""}).test_client()
    response = client.post(
        "/sparql", data={"update": UPDATE}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 403
    assert b"read-only" in response.data


def test_update_with_using_graph_uri(client) -> None:
    # A fixed predicate: a remote store refuses templates with a variable one (they could copy
    # raw personal values where anonymous readers see them).
    update = (
        "INSERT { GRAPH <http://example.org/copy> { ?s <http://example.org/name> ?o } } "
        "WHERE { ?s <http://example.org/name> ?o }"
    )
    response = client.post(
        "/sparql",
        data=update.encode(),
        content_type="application/sparql-update",
        query_string={"using-graph-uri": GRAPH},
        headers=WRITER,
    )
    assert response.status_code == 204
    count = client.get(
        "/sparql",
        query_string={
            "query": "SELECT (COUNT(*) AS ?n) { GRAPH <http://example.org/copy> { ?s ?p ?o } }"
        },
    )
    assert json.loads(count.data)["results"]["bindings"][0]["n"]["value"] == "2"


def test_update_syntax_error_changes_nothing(client) -> None:
    before = client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"})
    response = client.post(
        "/sparql", data={"update": UPDATE + " ; INSERT DATA { broken"}, headers=WRITER
    )
    assert response.status_code == 400
    after = client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"})
    assert before.data == after.data


def test_body_over_the_limit_is_413() -> None:
    client = make_app({"KGSERVICE_MAX_BODY_BYTES": "100"}).test_client()
    response = client.post("/sparql", data={"query": "SELECT * { ?s ?p ?o } # " + "x" * 200})
    assert response.status_code == 413
    assert b"KGSERVICE_MAX_BODY_BYTES" in response.data


def test_wrong_method_and_media_type(client) -> None:
    response = client.delete("/sparql")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, POST"
    response = client.post("/sparql", data=b"{}", content_type="application/json")
    assert response.status_code == 415


def test_cors_allowlist() -> None:
    client = make_app({"KGSERVICE_CORS_ORIGINS": "https://cockpit.example.org"}).test_client()
    allowed = client.get(
        "/sparql",
        query_string={"query": AGES},
        headers={"Origin": "https://cockpit.example.org"},
    )
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://cockpit.example.org"
    other = client.get(
        "/sparql", query_string={"query": AGES}, headers={"Origin": "https://evil.example"}
    )
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = client.options(
        "/sparql",
        headers={
            "Origin": "https://cockpit.example.org",
            "Access-Control-Request-Method": "POST",
        },
    )
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "PUT" in preflight.headers["Access-Control-Allow-Methods"]


def test_a_read_only_service_offers_no_write_method_to_browsers() -> None:
    settings = {"KGSERVICE_CORS_ORIGINS": "*", "KGSERVICE_READ_ONLY": "true"}
    client = make_app(settings).test_client()
    preflight = client.options(
        "/store", headers={"Origin": "https://x.example", "Access-Control-Request-Method": "PUT"}
    )
    methods = {m.strip() for m in preflight.headers["Access-Control-Allow-Methods"].split(",")}
    assert methods == {"GET", "HEAD", "POST", "OPTIONS"}
    assert preflight.headers["Allow"] == preflight.headers["Access-Control-Allow-Methods"]


# A 4-way join over ~70 triples: about 2 s of engine time, inside one COUNT.
EXPLOSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z . ?d ?s ?w }"


def test_timeout_answers_503_and_reports_the_runaway() -> None:
    runaways: list[float] = []
    app = make_app({"KGSERVICE_QUERY_TIMEOUT": "0.5"}, on_runaway=lambda: runaways.append(1))
    _grow(app, 60)
    client = app.test_client()
    started = time.monotonic()
    response = client.get("/sparql", query_string={"query": EXPLOSIVE})
    assert response.status_code == 503
    assert b"KGSERVICE_QUERY_TIMEOUT" in response.data
    assert time.monotonic() - started < 0.5 + 1.5
    assert runaways == [1]
    assert client.get("/sparql", query_string={"query": AGES}).status_code == 200
    metrics = client.get("/metrics").data.decode()
    assert "kgservice_query_timeouts_total 1.0" in metrics


def test_a_streaming_result_is_stopped_at_the_deadline_without_a_runaway() -> None:
    runaways: list[int] = []
    app = make_app(
        {"KGSERVICE_QUERY_TIMEOUT": "0.5", "KGSERVICE_MAX_ROWS": "0"},
        on_runaway=lambda: runaways.append(1),
    )
    _grow(app, 200)
    before = set(threading.enumerate())
    response = app.test_client().get(
        "/sparql",
        query_string={"query": "SELECT * WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z }"},
        buffered=False,
    )
    assert response.status_code == 200
    with pytest.raises(Exception, match="KGSERVICE_QUERY_TIMEOUT"):
        for _ in response.response:
            pass
    time.sleep(0.3)
    assert runaways == []  # the serialiser noticed and returned: nothing left running
    assert not [t for t in set(threading.enumerate()) - before if t.name == "kgservice-query"]


def _grow(app, count: int) -> None:
    store = app.extensions["kgservice"].store
    store.add_to_graph(
        ox.NamedNode(GRAPH),
        [
            ox.Triple(
                ox.NamedNode(f"http://example.org/n{i}"),
                ox.NamedNode("http://example.org/v"),
                ox.Literal(str(i)),
            )
            for i in range(count)
        ],
    )


def test_healthz_and_metrics(client) -> None:
    assert client.get("/healthz").json["status"] == "ok"
    client.get("/sparql", query_string={"query": AGES})
    client.get("/sparql", query_string={"query": "nonsense"})
    text = client.get("/metrics").data.decode()
    assert 'kgservice_requests_total{endpoint="/sparql",method="GET",status="200"} 1.0' in text
    assert 'kgservice_requests_total{endpoint="/sparql",method="GET",status="400"} 1.0' in text
    assert 'kgservice_request_seconds_bucket{endpoint="/sparql",le="0.005"}' in text
    assert "kgservice_store_quads 8.0" in text
    resident = next(x for x in text.splitlines() if x.startswith("process_resident_memory_bytes"))
    assert float(resident.split()[-1]) > 10e6
    assert "kgservice_worker_memory_limit_bytes" not in text  # no guard outside kgservice serve


def test_a_worker_being_ended_for_memory_is_unhealthy_and_says_which(client) -> None:
    from kgservice.web.runner import WorkerOutOfMemory
    from kgservice.web.state import EXTENSION

    client.application.extensions[EXTENSION].runner.abort_reads(WorkerOutOfMemory("ending"))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "error": "ending", "pid": os.getpid()}
    answer = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "10"


def test_bare_get_gives_the_service_description(client) -> None:
    sd = "http://www.w3.org/ns/sparql-service-description#"
    for fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.JSON_LD):
        response = client.get("/sparql", headers={"Accept": fmt.media_type})
        assert response.status_code == 200
        assert response.mimetype == fmt.media_type
        quads = list(ox.parse(response.data, fmt, base_iri="http://localhost/sparql"))
        endpoints = {q.object.value for q in quads if q.predicate.value == sd + "endpoint"}
        assert endpoints == {"http://localhost/sparql"}
        void = [q for q in quads if q.predicate.value == sd + "defaultDataset"]
        assert void, "the description links the VoID dataset"


def test_a_browser_asking_the_endpoint_is_sent_to_the_query_page(client) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/sparql", headers={"Accept": browser})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/")


def test_answers_vary_on_the_origin_too(client) -> None:
    """Caches must keep CORS answers apart by Origin: every response says so, once."""
    answer = client.get("/sparql", query_string={"query": AGES})
    assert answer.headers["Vary"] == "Accept, Origin"
    page = client.get("/metrics")  # no Vary of its own
    assert page.headers["Vary"] == "Origin"
