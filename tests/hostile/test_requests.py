"""Hostile and malformed requests against a real ``kgservice serve`` process.

Every request gets a 4xx (503 for a query stopped at its time limit), never a 500; after each one
the server still answers and the store holds exactly the quads it held before. The requests are
bounded in number and time and go to 127.0.0.1 only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests.hostile.conftest import TIMEOUT, WRITER, store_state
from tests.servers import KGServiceServer as Server

DIRECT_QUERY = {"Content-Type": "application/sparql-query"}
DIRECT_UPDATE = {"Content-Type": "application/sparql-update", **WRITER}
GRAPH = "https://w3id.org/sckm/graph/hostile"


@dataclass(frozen=True)
class Hostile:
    """One request and the statuses it may get."""

    name: str
    method: str
    path: str
    expected: frozenset[int]
    params: dict[str, str] | None = None
    data: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    says: str | None = None  # what the answer must name, where the status alone is ambiguous


# Refused by the HTTP server (granian) before the app sees the request: the status line
# (414 URI Too Long, 431 Request Header Fields Too Large) is the whole message.
REFUSED_BY_HTTP_SERVER = frozenset({414, 431})


def _case(name: str, method: str, path: str, *expected: int, **request: Any) -> Any:
    return pytest.param(Hostile(name, method, path, frozenset(expected), **request), id=name)


def _get_query(name: str, query: str, *expected: int) -> Any:
    return _case(name, "GET", "/sparql", *(expected or (400,)), params={"query": query})


def _update(name: str, update: str, *expected: int, headers: dict | None = None) -> Any:
    return _case(
        name,
        "POST",
        "/sparql",
        *(expected or (400,)),
        data=update.encode("utf-8"),
        headers=DIRECT_UPDATE if headers is None else headers,
    )


def _upload(name: str, body: bytes, content_type: str, *expected: int, method="PUT") -> Any:
    return _case(
        name,
        method,
        f"/store?graph={GRAPH}",
        *(expected or (400,)),
        data=body,
        headers={"Content-Type": content_type, **WRITER},
    )


SYNTAX_ERRORS = [
    _get_query("misspelt-select", "SELEC * WHERE { ?s ?p ?o }"),
    _get_query("unclosed-group", "SELECT * WHERE { ?s ?p ?o"),
    _get_query("missing-object", "SELECT * WHERE { ?s ?p }"),
    _get_query("unclosed-ask", "ASK {"),
    _get_query("construct-without-where", "CONSTRUCT WHERE"),
    _get_query("unclosed-filter", "SELECT ?x WHERE { FILTER( }"),
    _get_query("unterminated-prefix", "PREFIX : <http://example.org/ SELECT * {}"),
    _get_query("space-in-iri", "SELECT * { <http://a b> ?p ?o }"),
    _get_query("unterminated-string", 'SELECT * { ?s ?p "unterminated }'),
    _get_query("aggregate-without-as", "SELECT (COUNT(*) ?n) {}"),
    _get_query("empty-group-by", "SELECT * { ?s ?p ?o } GROUP BY"),
    _get_query("negative-limit", "SELECT * { ?s ?p ?o } LIMIT -1"),
    _get_query("word-limit", "SELECT * { ?s ?p ?o } LIMIT many"),
    _get_query("describe-nothing", "DESCRIBE"),
    _get_query("empty-query", ""),
    _get_query("blank-query", " \n\t "),
    _get_query("double-dot", "SELECT * { ?s ?p ?o . . }"),
    _get_query("rebound-variable", "SELECT * { BIND(1 AS ?x) BIND(2 AS ?x) }"),
    _get_query("empty-order-by", "SELECT ?x { } ORDER BY"),
    _get_query("unclosed-values", "SELECT * { ?s ?p ?o } VALUES ?x { 1 2"),
    _get_query("update-as-query", "INSERT DATA { <urn:a> <urn:b> <urn:c> }"),
    _get_query("undefined-prefix", "SELECT * { ex:a ?p ?o }"),
    _get_query("ungrouped-variable", "SELECT ?s (COUNT(*) AS ?n) { ?s ?p ?o }"),
    _get_query("unknown-keyword", "SELECT * { ?s ?p ?o } LIMITS 3"),
    _update("update-missing-object", f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <urn:a> <urn:b> }} }}"),
    _update("update-unclosed-delete", "DELETE WHERE {"),
    _update("bare-clear", "CLEAR"),
    _update("bare-drop", "DROP GRAPH"),
    _update("bare-load", "LOAD"),
    _update("variable-in-insert-data", "INSERT DATA { ?s <urn:b> <urn:c> }"),
    _update("query-as-update", "SELECT * { ?s ?p ?o }"),
    _update("unterminated-update-string", 'INSERT DATA { <urn:a> <urn:b> "open }'),
]

TOO_LARGE_OR_DEEP = [
    _case(
        "url-query-over-byte-limit",
        "GET",
        "/sparql",
        400,
        params={"query": "ASK {} #" + "x" * 20_000},
        says="the limit is 16384",
    ),
    _get_query("url-over-request-line-limit", "ASK {} #" + "x" * 70_000, 414),
    _case(
        "form-query-over-byte-limit",
        "POST",
        "/sparql",
        400,
        data={"query": "SELECT * { ?s ?p ?o } #" + "x" * 20_000},
    ),
    _case(
        "direct-query-over-byte-limit",
        "POST",
        "/sparql",
        400,
        413,
        data=b"SELECT * { ?s ?p ?o } #" + b"x" * 40_000,
        headers=DIRECT_QUERY,
    ),
    _case(
        "body-over-body-limit",
        "POST",
        "/sparql",
        413,
        data=b"SELECT * { ?s ?p ?o } #" + b"x" * 300_000,
        headers=DIRECT_QUERY,
    ),
    _upload("upload-over-body-limit", b"<urn:a> <urn:b> <urn:c> .\n" * 12_000, "text/turtle", 413),
    _get_query(
        "nested-parentheses-100", "SELECT * { FILTER(" + "(" * 100 + "1" + ")" * 100 + ") }"
    ),
    _get_query("nested-groups-100", "SELECT * " + "{" * 100 + "}" * 100),
    _case(
        "nested-groups-10000",
        "POST",
        "/sparql",
        400,
        data=("SELECT * " + "{" * 7_000 + "}" * 7_000).encode(),
        headers=DIRECT_QUERY,
    ),
    _case(
        "unbalanced-nesting-10000",
        "POST",
        "/sparql",
        400,
        data=("ASK " + "{" * 15_000).encode(),
        headers=DIRECT_QUERY,
    ),
    _get_query("nested-subqueries-80", "SELECT * { " + "{ SELECT * " * 80 + "{}" + " }" * 81),
    _update("nested-update-100", "INSERT { <urn:a> <urn:b> 1 } WHERE " + "{" * 100 + "}" * 100),
    _get_query("deep-property-path", "SELECT * { ?s " + "(" * 90 + "<urn:p>" + ")" * 90 + " ?o }"),
    _case(
        "deep-unary-minus",
        "POST",
        "/sparql",
        400,
        data=("SELECT (" + "-" * 16_000 + "1 AS ?x) {}").encode(),
        headers=DIRECT_QUERY,
    ),
]

BAD_BYTES = [
    _case(
        "invalid-utf8-direct-query",
        "POST",
        "/sparql",
        400,
        data=b'SELECT * { ?s ?p "\xff\xfe" }',
        headers=DIRECT_QUERY,
    ),
    _case(
        "invalid-utf8-form-query",
        "POST",
        "/sparql",
        400,
        data=b"query=SELECT%20*%20%7B%20%3Fs%20%3Fp%20%22%FF%22%20%7D",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    _case("invalid-utf8-get-query", "GET", "/sparql?query=ASK%20%7B%FF%7D", 400),
    _case("nul-in-get-query", "GET", "/sparql?query=ASK%20%7B%7D%00", 400),
    _case("nul-in-direct-query", "POST", "/sparql", 400, data=b"ASK {}\x00", headers=DIRECT_QUERY),
    _update("nul-in-update", "INSERT DATA { <urn:a> <urn:b> <urn:c> }\x00"),
    _case(
        "invalid-utf8-update",
        "POST",
        "/sparql",
        400,
        data=f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <urn:a> <urn:b> "'.encode() + b'\xc3\x28" } }',
        headers=DIRECT_UPDATE,
    ),
    _upload("invalid-utf8-turtle", b'<urn:a> <urn:b> "\xff\xfe" .\n', "text/turtle"),
    _upload("invalid-utf8-n-triples", b'<urn:a> <urn:b> "\xc0\xaf" .\n', "application/n-triples"),
    _upload("nul-in-iri", b"<urn:a\x00> <urn:b> <urn:c> .\n", "text/turtle"),
    _case("nul-in-graph-parameter", "GET", "/store?graph=http://example.org/a%00b", 400),
    _case("invalid-utf8-graph-parameter", "GET", "/store?graph=http://example.org/%FF", 400),
    _case("not-an-iri-graph-parameter", "GET", "/store?graph=not%20an%20iri", 400),
    _case(
        "invalid-utf8-question-parameter",
        "GET",
        "/questions/division-summary?parent=%FF%FE",
        400,
        says="parameter parent",
    ),
    _case(
        "nul-in-question-parameter",
        "GET",
        "/questions/division-summary?parent=37%001",
        400,
        says="parameter parent",
    ),
]

WRONG_METHODS_AND_TYPES = [
    _case("put-sparql", "PUT", "/sparql", 405, data=b"ASK {}", headers=DIRECT_QUERY),
    _case("delete-sparql", "DELETE", "/sparql", 405),
    _case("patch-sparql", "PATCH", "/sparql", 405, data=b"ASK {}", headers=DIRECT_QUERY),
    _case("patch-store", "PATCH", "/store?default", 405, headers=WRITER),
    _case("post-healthz", "POST", "/healthz", 405),
    _case("delete-questions", "DELETE", "/questions", 405),
    _case("put-catalog", "PUT", "/catalog", 405),
    _case("post-metrics", "POST", "/metrics", 405),
    _case(
        "png-to-sparql",
        "POST",
        "/sparql",
        415,
        data=b"\x89PNG",
        headers={"Content-Type": "image/png"},
    ),
    _case(
        "text-plain-to-sparql",
        "POST",
        "/sparql",
        415,
        data=b"ASK {}",
        headers={"Content-Type": "text/plain"},
    ),
    _case(
        "json-to-sparql",
        "POST",
        "/sparql",
        415,
        data=b'{"query": "ASK {}"}',
        headers={"Content-Type": "application/json"},
    ),
    _case("no-content-type", "POST", "/sparql", 400, 415, data=b"ASK {}"),
    _upload("html-to-store", b"<html></html>", "text/html", 415),
    _upload("unknown-type-to-store", b"a b c", "application/x-unknown", 415),
    _upload("sparql-to-store", b"ASK {}", "application/sparql-query", 415),
    _case(
        "form-without-query",
        "POST",
        "/sparql",
        400,
        data={"nothing": "here"},
    ),
    _case(
        "form-with-query-and-update",
        "POST",
        "/sparql",
        400,
        data={"query": "ASK {}", "update": "CLEAR ALL"},
        headers=WRITER,
    ),
    _case("update-by-get", "GET", "/sparql", 400, 405, params={"update": "CLEAR ALL"}),
    _case("two-queries", "GET", "/sparql?query=ASK%7B%7D&query=ASK%7B%7D", 400),
    _case(
        "png-accepted-only",
        "GET",
        "/sparql",
        406,
        params={"query": "SELECT * { ?s ?p ?o } LIMIT 1"},
        headers={"Accept": "image/png"},
    ),
    _case(
        "garbage-accept",
        "GET",
        "/sparql",
        406,
        params={"query": "ASK {}"},
        headers={"Accept": "x/y;q=1, a/b"},
    ),
    _case(
        "unknown-format", "GET", "/sparql", 400, 406, params={"query": "ASK {}", "format": "exe"}
    ),
    _case(
        "construct-as-csv",
        "GET",
        "/sparql",
        406,
        params={"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1"},
        headers={"Accept": "text/csv"},
    ),
    _case("store-two-graphs", "GET", f"/store?graph={GRAPH}&default", 400),
    _case("store-graph-and-graph", "GET", f"/store?graph={GRAPH}&graph={GRAPH}/2", 400),
    _case("unknown-question", "GET", "/questions/no-such-question", 404),
    _case("unknown-question-parameter", "GET", "/questions/division-summary?colour=red", 400),
    _case(
        "bad-division-parameter",
        "GET",
        "/questions/division-summary?parent=12345",
        400,
        says="parameter parent",
    ),
    _case("path-traversal", "GET", "/static/../../../../etc/passwd", 404),
    _case("encoded-path-traversal", "GET", "/static/..%2f..%2f..%2fetc%2fpasswd", 404),
    _case("unknown-path", "GET", "/admin", 404),
]

REMOTE_TARGETS = [
    "http://127.0.0.1:1/sparql",
    "http://169.254.169.254/latest/",
    "file:///etc/passwd",
]

REACHING_OUT = [
    *[
        _get_query(f"service-{i}", f"SELECT * {{ SERVICE <{target}> {{ ?s ?p ?o }} }}")
        for i, target in enumerate(REMOTE_TARGETS)
    ],
    *[
        _get_query(
            f"service-silent-{i}", f"SELECT * {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }}"
        )
        for i, target in enumerate(REMOTE_TARGETS)
    ],
    *[
        _get_query(f"from-{i}", f"SELECT * FROM <{target}> {{ ?s ?p ?o }}")
        for i, target in enumerate(REMOTE_TARGETS)
    ],
    *[
        _get_query(
            f"from-named-{i}", f"SELECT * FROM NAMED <{target}> {{ GRAPH ?g {{ ?s ?p ?o }} }}"
        )
        for i, target in enumerate(REMOTE_TARGETS)
    ],
    *[_update(f"load-{i}", f"LOAD <{target}>") for i, target in enumerate(REMOTE_TARGETS)],
    *[
        _update(f"load-silent-into-{i}", f"LOAD SILENT <{target}> INTO GRAPH <{GRAPH}>")
        for i, target in enumerate(REMOTE_TARGETS)
    ],
    *[
        _update(
            f"service-in-update-{i}",
            f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{t}> {{ ?s ?p ?o }} }}",
        )
        for i, t in enumerate(REMOTE_TARGETS)
    ],
    _case(
        "default-graph-uri-file",
        "GET",
        "/sparql",
        400,
        params={"query": "ASK { ?s ?p ?o }", "default-graph-uri": "file:///etc/passwd"},
    ),
    _case(
        "named-graph-uri-metadata",
        "GET",
        "/sparql",
        400,
        params={"query": "ASK { ?s ?p ?o }", "named-graph-uri": "http://169.254.169.254/"},
    ),
]

EXPLOSIVE_QUERIES = [
    _get_query(
        "cartesian-count", "SELECT (COUNT(*) AS ?n) { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z }", 503
    ),
    _get_query(
        "path-star-cartesian",
        "SELECT (COUNT(*) AS ?n) { ?a (<urn:none>|!<urn:none>)* ?b . ?c ?p ?d }",
        503,
    ),
    _case(
        "explosive-update",
        "POST",
        "/sparql",
        503,
        # An update's default graph is the store's real (empty) default graph: name the graphs.
        data=f"INSERT {{ GRAPH <{GRAPH}> {{ ?a <urn:b> ?c }} }} WHERE {{ GRAPH ?g {{ ?a ?p ?x }} "
        "GRAPH ?h { ?b ?q ?y } GRAPH ?i { ?c ?r ?z } }".encode(),
        headers=DIRECT_UPDATE,
    ),
]

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
 <rdf:Description rdf:about="http://example.org/x"><ex:p>&e;</ex:p></rdf:Description>
</rdf:RDF>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
 <rdf:Description rdf:about="http://example.org/x"><ex:p>&secret;</ex:p></rdf:Description>
</rdf:RDF>
"""

GOOD_TRIPLES = b"<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n" * 3

BROKEN_UPLOADS = [
    _upload("truncated-turtle", GOOD_TRIPLES + b"<http://example.org/a> <http://ex", "text/turtle"),
    _upload("undefined-prefix-turtle", GOOD_TRIPLES + b"ex:a ex:b ex:c .", "text/turtle"),
    _upload("billion-laughs", BILLION_LAUGHS, "application/rdf+xml"),
    _upload("external-entity", EXTERNAL_ENTITY, "application/rdf+xml"),
    _upload(
        "truncated-rdf-xml",
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description rdf:about="http://example.org/x"><rdf:value>1</rdf:value>'
        b"</rdf:Description><rdf:Description rdf:about=",
        "application/rdf+xml",
    ),
    _upload("garbage-json-ld", b'{"@context": {"@vocab": 5}, "@id": [}', "application/ld+json"),
    _upload(
        "json-ld-remote-context",
        b'{"@context": "file:///etc/passwd", "@id": "urn:x"}',
        "application/ld+json",
    ),
    _upload("relative-iri-n-triples", b"<a> <b> <c> .\n", "application/n-triples"),
    _upload(
        "turtle-as-n-triples",
        b"@prefix ex: <http://example.org/> . ex:a ex:b ex:c .",
        "application/n-triples",
    ),
    _upload(
        "literal-subject", b'"s" <http://example.org/b> <http://example.org/c> .', "text/turtle"
    ),
    _upload("bad-language-tag", b'<urn:a> <urn:b> "x"@-- .', "text/turtle"),
    _upload("n-quads-to-graph", b"<urn:a> <urn:b> <urn:c> <urn:g> .\n", "application/n-triples"),
    _upload("post-truncated-turtle", GOOD_TRIPLES + b"<urn:a", "text/turtle", method="POST"),
    _case(
        "truncated-turtle-to-default",
        "PUT",
        "/store?default",
        400,
        data=GOOD_TRIPLES + b"<urn:a",
        headers={"Content-Type": "text/turtle", **WRITER},
    ),
    _case(
        "truncated-trig-to-store",
        "POST",
        "/store",
        400,
        415,
        data=b"<urn:g> { <urn:a> <urn:b> <urn:c> . ",
        headers={"Content-Type": "application/trig", **WRITER},
    ),
]

NO_OR_WRONG_TOKEN = [
    _update(
        "update-without-token",
        "CLEAR ALL",
        401,
        headers={"Content-Type": "application/sparql-update"},
    ),
    _update(
        "update-with-wrong-token",
        "CLEAR ALL",
        401,
        403,
        headers={"Content-Type": "application/sparql-update", "Authorization": "Bearer nope"},
    ),
    _update(
        "update-with-reader-token",
        "CLEAR ALL",
        401,
        403,
        headers={
            "Content-Type": "application/sparql-update",
            "Authorization": "Bearer hostile-reader",
        },
    ),
    _update(
        "update-with-basic-auth",
        "CLEAR ALL",
        401,
        403,
        headers={"Content-Type": "application/sparql-update", "Authorization": "Basic dTpw"},
    ),
    _case("form-update-without-token", "POST", "/sparql", 401, data={"update": "DROP ALL"}),
    _case(
        "put-without-token",
        "PUT",
        f"/store?graph={GRAPH}",
        401,
        data=GOOD_TRIPLES,
        headers={"Content-Type": "application/n-triples"},
    ),
    _case(
        "post-with-wrong-token",
        "POST",
        "/store?default",
        401,
        403,
        data=GOOD_TRIPLES,
        headers={"Content-Type": "application/n-triples", "Authorization": "Bearer x"},
    ),
    _case(
        "delete-graph-without-token",
        "DELETE",
        "/store?graph=https://w3id.org/sckm/graph/population",
        401,
    ),
    _case(
        "delete-default-with-empty-bearer",
        "DELETE",
        "/store?default",
        401,
        403,
        headers={"Authorization": "Bearer "},
    ),
    _case(
        "load-without-token",
        "POST",
        "/sparql",
        401,
        data=b"LOAD <file:///etc/passwd>",
        headers={"Content-Type": "application/sparql-update"},
    ),
]

EVERY_CASE = [
    *SYNTAX_ERRORS,
    *TOO_LARGE_OR_DEEP,
    *BAD_BYTES,
    *WRONG_METHODS_AND_TYPES,
    *REACHING_OUT,
    *BROKEN_UPLOADS,
    *NO_OR_WRONG_TOKEN,
    *EXPLOSIVE_QUERIES,
]


def test_there_are_at_least_a_hundred_hostile_requests() -> None:
    assert len(EVERY_CASE) >= 100
    names = [case.values[0].name for case in EVERY_CASE]
    assert len(names) == len(set(names))


@pytest.fixture(scope="module")
def state_before(server: Server) -> dict[str, int]:
    return store_state(server)


@pytest.mark.parametrize("hostile", EVERY_CASE)
def test_hostile_request_is_refused_and_changes_nothing(
    server: Server, state_before: dict[str, int], hostile: Hostile
) -> None:
    started = time.monotonic()
    response = requests.request(
        hostile.method,
        server.url + hostile.path,
        params=hostile.params,
        data=hostile.data,
        headers=hostile.headers,
        timeout=TIMEOUT + 30,
    )
    elapsed = time.monotonic() - started
    assert response.status_code in hostile.expected, (
        f"{hostile.name}: {response.status_code} {response.text[:300]}"
    )
    if response.status_code == 503:
        assert elapsed < TIMEOUT + 1.0
    if response.status_code not in REFUSED_BY_HTTP_SERVER:
        assert response.text.strip(), "an error names its cause"
    if hostile.says:
        assert hostile.says in response.text, response.text
    assert server.health()["status"] == "ok"
    assert store_state(server) == state_before
