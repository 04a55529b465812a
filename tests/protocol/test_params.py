"""Parsing SPARQL 1.1 Protocol requests: the W3C protocol tests about request shape, and more.

Each W3C case names the test of https://w3c.github.io/rdf-tests/sparql/sparql11/protocol/ (the
``protocol/manifest.ttl`` of the W3C SPARQL 1.1 test suite) that it mirrors.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kgservice.errors import InputError, KGServiceError
from kgservice.protocol.errors import MethodNotAllowed, PayloadTooLarge, UnsupportedMediaType
from kgservice.protocol.formats import PROTOCOL_BODY_TYPES
from kgservice.protocol.params import (
    ProtocolRequest,
    QueryRequest,
    UpdateRequest,
    check_body_size,
    decode_utf8,
    has_dataset_clause,
    parse_request,
    parse_urlencoded,
)

FORM = "application/x-www-form-urlencoded"
DIRECT_QUERY = "application/sparql-query"
DIRECT_UPDATE = "application/sparql-update"
KASEI = "http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2F"
DATA = "http://kasei.us/2009/09/sparql/data/"
ASK_12 = f"ASK {{ <{DATA}data1.rdf> a ?type . <{DATA}data2.rdf> a ?type . }}"
ASK_12_GET = (
    "ASK%20%7B%20%3Chttp%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf%3E%20a%20%3Ftype"
    "%20.%20%3Chttp%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf%3E%20a%20%3Ftype%20.%20"
    "%7D"
)
ASK_NAMED = (
    f"ASK {{ GRAPH ?g1 {{ <{DATA}data1.rdf> a ?type }} GRAPH ?g2 {{ <{DATA}data2.rdf> a ?type }} }}"
)
UPDATE_DATASET = f"""PREFIX dc: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
CLEAR ALL ;
INSERT DATA {{
    GRAPH <{DATA}data1.rdf> {{
        <{DATA}data1.rdf> a foaf:Document
    }}
}} ;
INSERT {{
    GRAPH <http://example.org/protocol-update-dataset-test/> {{
        ?s a dc:BibliographicResource
    }}
}}
WHERE {{
    ?s a foaf:Document
}}"""
UPDATE_WITH = """PREFIX foaf:  <http://xmlns.com/foaf/0.1/>
WITH <http://example/addresses>
DELETE { ?person foaf:givenName 'Bill' }
INSERT { ?person foaf:givenName 'William' }
WHERE {
    ?person foaf:givenName 'Bill'
}"""


@dataclass(frozen=True)
class Http:
    """One request as the W3C manifest describes it: method, target, Content-Type, body."""

    method: str
    target: str
    content_type: str | None = None
    body: bytes = b""

    def parse(self) -> ProtocolRequest | None:
        _, _, query_string = self.target.partition("?")
        args = parse_urlencoded(query_string.encode("ascii"), "the query string")
        return parse_request(self.method, self.content_type, args, body=self.body)


def post(target: str, content_type: str | None, body: str | bytes) -> Http:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return Http("POST", target, content_type, data)


ACCEPTED: list[tuple[str, Http, ProtocolRequest]] = [
    (
        "query_post_form",
        post(f"/sparql/?default-graph-uri={KASEI}data0.rdf", FORM, "query=ASK%20%7B%7D"),
        QueryRequest("ASK {}", [f"{DATA}data0.rdf"]),
    ),
    (
        "query_dataset_default_graphs_get",
        Http(
            "GET",
            f"/sparql/?query={ASK_12_GET}&default-graph-uri={KASEI}data1.rdf"
            f"&default-graph-uri={KASEI}data2.rdf",
        ),
        QueryRequest(ASK_12, [f"{DATA}data1.rdf", f"{DATA}data2.rdf"]),
    ),
    (
        "query_dataset_default_graphs_post",
        post(
            f"/sparql/?default-graph-uri={KASEI}data1.rdf&default-graph-uri={KASEI}data2.rdf",
            DIRECT_QUERY,
            ASK_12,
        ),
        QueryRequest(ASK_12, [f"{DATA}data1.rdf", f"{DATA}data2.rdf"]),
    ),
    (
        "query_dataset_named_graphs_post",
        post(
            f"/sparql/?named-graph-uri={KASEI}data1.rdf&named-graph-uri={KASEI}data2.rdf",
            DIRECT_QUERY,
            ASK_NAMED,
        ),
        QueryRequest(ASK_NAMED, [], [f"{DATA}data1.rdf", f"{DATA}data2.rdf"]),
    ),
    (
        "query_dataset_named_graphs_get",
        Http(
            "GET",
            "/sparql/?query=ASK%20%7B%20GRAPH%20%3Fg1%20%7B%20%3C"
            f"{KASEI}data1.rdf%3E%20a%20%3Ftype%20%7D%20GRAPH%20%3Fg2%20%7B%20%3C"
            f"{KASEI}data2.rdf%3E%20a%20%3Ftype%20%7D%20%7D"
            f"&named-graph-uri={KASEI}data1.rdf&named-graph-uri={KASEI}data2.rdf",
        ),
        QueryRequest(ASK_NAMED, [], [f"{DATA}data1.rdf", f"{DATA}data2.rdf"]),
    ),
    (
        "query_dataset_full",
        post(
            f"/sparql/?default-graph-uri={KASEI}data3.rdf&named-graph-uri={KASEI}data1.rdf"
            f"&named-graph-uri={KASEI}data2.rdf",
            DIRECT_QUERY,
            ASK_NAMED,
        ),
        QueryRequest(ASK_NAMED, [f"{DATA}data3.rdf"], [f"{DATA}data1.rdf", f"{DATA}data2.rdf"]),
    ),
    (
        # FROM in the query and a protocol dataset: both pass; the store lets the protocol win.
        "query_multiple_dataset",
        post(
            f"/sparql/?named-graph-uri={KASEI}data1.rdf&named-graph-uri={KASEI}data2.rdf",
            DIRECT_QUERY,
            f"ASK FROM <{DATA}data3.rdf> {{ GRAPH ?g1 {{ ?s ?p ?o }} }}",
        ),
        QueryRequest(
            f"ASK FROM <{DATA}data3.rdf> {{ GRAPH ?g1 {{ ?s ?p ?o }} }}",
            [],
            [f"{DATA}data1.rdf", f"{DATA}data2.rdf"],
        ),
    ),
    (
        "query_get",
        Http("GET", f"/sparql/?query=ASK%20%7B%7D&default-graph-uri={KASEI}data0.rdf"),
        QueryRequest("ASK {}", [f"{DATA}data0.rdf"]),
    ),
    (
        "query_content_type_select",
        post(
            f"/sparql/?default-graph-uri={KASEI}data0.rdf", DIRECT_QUERY, "SELECT (1 AS ?value) {}"
        ),
        QueryRequest("SELECT (1 AS ?value) {}", [f"{DATA}data0.rdf"]),
    ),
    (
        "query_content_type_ask",
        post(f"/sparql/?default-graph-uri={KASEI}data0.rdf", DIRECT_QUERY, "ASK {}"),
        QueryRequest("ASK {}", [f"{DATA}data0.rdf"]),
    ),
    (
        "query_content_type_describe",
        post(
            f"/sparql/?default-graph-uri={KASEI}data0.rdf",
            DIRECT_QUERY,
            "DESCRIBE <http://example.org/>",
        ),
        QueryRequest("DESCRIBE <http://example.org/>", [f"{DATA}data0.rdf"]),
    ),
    (
        "query_content_type_construct",
        post(
            f"/sparql/?default-graph-uri={KASEI}data0.rdf",
            DIRECT_QUERY,
            "CONSTRUCT { <s> <p> 1 } WHERE {}",
        ),
        QueryRequest("CONSTRUCT { <s> <p> 1 } WHERE {}", [f"{DATA}data0.rdf"]),
    ),
    (
        "update_dataset_default_graph",
        post(f"/sparql/?using-graph-uri={KASEI}data1.rdf", DIRECT_UPDATE, UPDATE_DATASET),
        UpdateRequest(UPDATE_DATASET, [f"{DATA}data1.rdf"]),
    ),
    (
        "update_dataset_default_graphs",
        post(
            f"/sparql/?using-graph-uri={KASEI}data1.rdf&using-graph-uri={KASEI}data2.rdf",
            DIRECT_UPDATE,
            UPDATE_DATASET,
        ),
        UpdateRequest(UPDATE_DATASET, [f"{DATA}data1.rdf", f"{DATA}data2.rdf"]),
    ),
    (
        "update_dataset_named_graphs",
        post(
            f"/sparql/?using-named-graph-uri={KASEI}data1.rdf"
            f"&using-named-graph-uri={KASEI}data2.rdf",
            DIRECT_UPDATE,
            UPDATE_DATASET,
        ),
        UpdateRequest(UPDATE_DATASET, [], [f"{DATA}data1.rdf", f"{DATA}data2.rdf"]),
    ),
    (
        "update_dataset_full",
        post(
            f"/sparql/?using-graph-uri={KASEI}data1.rdf&using-named-graph-uri={KASEI}data2.rdf",
            DIRECT_UPDATE,
            UPDATE_DATASET,
        ),
        UpdateRequest(UPDATE_DATASET, [f"{DATA}data1.rdf"], [f"{DATA}data2.rdf"]),
    ),
    (
        "update_post_form",
        post("/sparql/", FORM, "update=CLEAR+ALL"),
        UpdateRequest("CLEAR ALL"),
    ),
    (
        "update_post_direct",
        post("/sparql/", DIRECT_UPDATE, "CLEAR ALL"),
        UpdateRequest("CLEAR ALL"),
    ),
    (
        # The base IRI is the store's business; the protocol layer passes the text unchanged.
        "update_base_uri",
        post(
            "/sparql/",
            DIRECT_UPDATE,
            "INSERT DATA { GRAPH <http://example.org/protocol-base-test/> { <s> <p> <test> } }",
        ),
        UpdateRequest(
            "INSERT DATA { GRAPH <http://example.org/protocol-base-test/> { <s> <p> <test> } }"
        ),
    ),
    (
        "query_post_direct",
        post("/sparql/", DIRECT_QUERY, "ASK {}"),
        QueryRequest("ASK {}"),
    ),
    (
        # Not this layer's to refuse: the store answers the syntax error with 400.
        "bad_query_syntax",
        Http("GET", "/sparql/?query=ASK%20%7B"),
        QueryRequest("ASK {"),
    ),
    (
        # Likewise left to the store.
        "bad_update_syntax",
        post("/sparql/", FORM, "update=CLEAR%20XYZ"),
        UpdateRequest("CLEAR XYZ"),
    ),
]


@pytest.mark.parametrize(("test", "http", "expected"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_w3c_accepted_requests(test: str, http: Http, expected: ProtocolRequest) -> None:
    assert http.parse() == expected


REFUSED: list[tuple[str, Http, type[KGServiceError], str]] = [
    (
        # PUT is not a protocol method: 405 with Allow (RFC 9110 §15.5.6).
        "bad_query_method",
        Http("PUT", f"/sparql/?query=ASK%20%7B%7D&default-graph-uri={KASEI}data0.rdf", FORM),
        MethodNotAllowed,
        "method PUT is not allowed",
    ),
    (
        "bad_multiple_queries",
        Http("GET", "/sparql/?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D"),
        InputError,
        "2 'query' parameters",
    ),
    (
        "bad_query_wrong_media_type",
        post("/sparql/", "text/plain", "ASK {}"),
        UnsupportedMediaType,
        "'text/plain' is not supported",
    ),
    (
        "bad_query_missing_form_type",
        post("/sparql/", None, "query=ASK%20%7B%7D"),
        UnsupportedMediaType,
        "no Content-Type",
    ),
    (
        "bad_query_missing_direct_type",
        post("/sparql/", None, "ASK {}"),
        UnsupportedMediaType,
        "no Content-Type",
    ),
    (
        "bad_query_non_utf8",
        post("/sparql/", "application/sparql-query; charset=UTF-16", "ASK {}".encode("utf-16")),
        UnsupportedMediaType,
        "charset=UTF-16",
    ),
    (
        "bad_update_get",
        Http("GET", "/sparql/?update=CLEAR%20ALL"),
        MethodNotAllowed,
        "must be sent by POST",
    ),
    (
        "bad_multiple_updates",
        post("/sparql/", FORM, "update=CLEAR%20NAMED&update=CLEAR%20DEFAULT"),
        InputError,
        "2 'update' parameters",
    ),
    (
        "bad_update_wrong_media_type",
        post("/sparql/", "text/plain", "CLEAR NAMED"),
        UnsupportedMediaType,
        "'text/plain' is not supported",
    ),
    (
        "bad_update_missing_form_type",
        post("/sparql/", None, "update=CLEAR%20NAMED"),
        UnsupportedMediaType,
        "no Content-Type",
    ),
    (
        "bad_update_non_utf8",
        post(
            "/sparql/", "application/sparql-update; charset=UTF-16", "CLEAR NAMED".encode("utf-16")
        ),
        UnsupportedMediaType,
        "charset=UTF-16",
    ),
    (
        "bad_update_dataset_conflict",
        post(
            "/sparql/?using-named-graph-uri=http%3A%2F%2Fexample%2Fpeople",
            DIRECT_UPDATE,
            UPDATE_WITH,
        ),
        InputError,
        "USING, USING NAMED or WITH",
    ),
]


@pytest.mark.parametrize(("test", "http", "error", "message"), REFUSED, ids=[c[0] for c in REFUSED])
def test_w3c_refused_requests(
    test: str, http: Http, error: type[KGServiceError], message: str
) -> None:
    with pytest.raises(error, match=message) as caught:
        http.parse()
    assert 400 <= caught.value.http_status < 500


def test_methods_in_the_allow_lists() -> None:
    with pytest.raises(MethodNotAllowed) as put:
        Http("PUT", "/sparql/?query=ASK%20%7B%7D").parse()
    assert put.value.allow == ("GET", "HEAD", "POST")
    with pytest.raises(MethodNotAllowed) as get_update:
        Http("GET", "/sparql/?update=CLEAR%20ALL").parse()
    assert get_update.value.allow == ("POST",)


def test_unsupported_media_type_lists_the_protocol_types() -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        post("/sparql/", "text/plain", "ASK {}").parse()
    assert caught.value.supported == PROTOCOL_BODY_TYPES


# --- beyond the W3C suite -------------------------------------------------------------------

MORE_ACCEPTED: list[tuple[str, Http, ProtocolRequest | None]] = [
    ("GET without parameters: service description", Http("GET", "/sparql"), None),
    ("other parameters do not make a query", Http("GET", "/sparql?format=json&x=1"), None),
    ("HEAD is GET", Http("HEAD", "/sparql?query=ASK%7B%7D"), QueryRequest("ASK{}")),
    ("HEAD without parameters", Http("HEAD", "/sparql"), None),
    (
        "GET ignores a body",
        Http("GET", "/sparql?query=ASK%7B%7D", "text/plain", b"\xff"),
        QueryRequest("ASK{}"),
    ),
    (
        "format is not the protocol's",
        Http("GET", "/sparql?query=ASK%7B%7D&format=csv"),
        QueryRequest("ASK{}"),
    ),
    ("empty query passes to the store", Http("GET", "/sparql?query="), QueryRequest("")),
    (
        "form query in the URL of a form POST",
        post("/sparql?query=ASK%7B%7D", FORM, ""),
        QueryRequest("ASK{}"),
    ),
    (
        "form dataset from URL and body together",
        post(
            "/sparql?default-graph-uri=urn%3Aa",
            FORM,
            "query=ASK%7B%7D&default-graph-uri=urn%3Ab&named-graph-uri=urn%3Ac",
        ),
        QueryRequest("ASK{}", ["urn:a", "urn:b"], ["urn:c"]),
    ),
    (
        "form update with its dataset in the body",
        post(
            "/sparql",
            FORM,
            "update=CLEAR+ALL&using-graph-uri=urn%3Aa&using-named-graph-uri=urn%3Ab",
        ),
        UpdateRequest("CLEAR ALL", ["urn:a"], ["urn:b"]),
    ),
    ("form value with + and %2B", post("/sparql", FORM, "query=1+%2B+1"), QueryRequest("1 + 1")),
    (
        "content type is case-insensitive",
        post("/sparql", "Application/SPARQL-Query", "ASK{}"),
        QueryRequest("ASK{}"),
    ),
    (
        "charset=utf-8",
        post("/sparql", "application/sparql-query; charset=UTF-8", "ASK{}"),
        QueryRequest("ASK{}"),
    ),
    (
        "quoted charset",
        post("/sparql", 'application/sparql-update;charset="utf-8"', "CLEAR ALL"),
        UpdateRequest("CLEAR ALL"),
    ),
    (
        "form charset=utf-8",
        post("/sparql", FORM + "; charset=utf-8", "update=CLEAR+ALL"),
        UpdateRequest("CLEAR ALL"),
    ),
    (
        "UTF-8 text",
        post("/sparql", DIRECT_QUERY, 'ASK { ?s ?p "北京" }'),
        QueryRequest('ASK { ?s ?p "北京" }'),
    ),
    (
        "UTF-8 BOM dropped",
        post("/sparql", DIRECT_QUERY, b"\xef\xbb\xbfASK{}"),
        QueryRequest("ASK{}"),
    ),
    (
        "percent-encoded UTF-8 in a form",
        post("/sparql", FORM, "query=ASK%20%7B%20%3Fs%20%3Fp%20%22%E5%8C%97%E4%BA%AC%22%20%7D"),
        QueryRequest('ASK { ?s ?p "北京" }'),
    ),
    (
        "IRIs: URN, fragment, Unicode, IPv6",
        Http(
            "GET",
            "/sparql?query=ASK%7B%7D&default-graph-uri=urn%3Ax&default-graph-uri=http%3A%2F%2Fa%2Fg%23f"
            "&named-graph-uri=http%3A%2F%2F%E4%BE%8B%E5%AD%90.cn%2F%E5%9B%BE"
            "&named-graph-uri=http%3A%2F%2F%5B%3A%3A1%5D%2F",
        ),
        QueryRequest("ASK{}", ["urn:x", "http://a/g#f"], ["http://例子.cn/图", "http://[::1]/"]),
    ),
    (
        "USING in the update without protocol dataset",
        post("/sparql", DIRECT_UPDATE, "DELETE { ?s ?p ?o } USING <urn:g> WHERE { ?s ?p ?o }"),
        UpdateRequest("DELETE { ?s ?p ?o } USING <urn:g> WHERE { ?s ?p ?o }"),
    ),
]


@pytest.mark.parametrize(
    ("case", "http", "expected"), MORE_ACCEPTED, ids=[c[0] for c in MORE_ACCEPTED]
)
def test_more_accepted_requests(case: str, http: Http, expected: ProtocolRequest | None) -> None:
    assert http.parse() == expected


MORE_REFUSED: list[tuple[str, Http, type[KGServiceError], str]] = [
    (
        "methods are case-sensitive",
        Http("get", "/sparql?query=ASK%7B%7D"),
        MethodNotAllowed,
        "method get",
    ),
    ("DELETE", Http("DELETE", "/sparql"), MethodNotAllowed, "use GET or POST"),
    ("PATCH", Http("PATCH", "/sparql", DIRECT_UPDATE, b"CLEAR ALL"), MethodNotAllowed, "PATCH"),
    ("update by HEAD", Http("HEAD", "/sparql?update=CLEAR%20ALL"), MethodNotAllowed, "POST"),
    (
        "GET with query and update",
        Http("GET", "/sparql?query=ASK%7B%7D&update=CLEAR%20ALL"),
        InputError,
        "both a query and an update",
    ),
    (
        "GET with two updates",
        Http("GET", "/sparql?update=CLEAR%20ALL&update=CLEAR%20ALL"),
        InputError,
        "2 'update' parameters",
    ),
    (
        "form with query and update",
        post("/sparql", FORM, "query=ASK%7B%7D&update=CLEAR%20ALL"),
        InputError,
        "both a query and an update",
    ),
    (
        "form query in both URL and body",
        post("/sparql?query=ASK%7B%7D", FORM, "query=ASK%7B%7D"),
        InputError,
        "2 'query' parameters",
    ),
    (
        "form without an operation",
        post("/sparql", FORM, "default-graph-uri=urn%3Aa"),
        InputError,
        "neither",
    ),
    ("empty form", post("/sparql", FORM, ""), InputError, "neither"),
    (
        "direct query with a query in the URL",
        post("/sparql?query=ASK%7B%7D", DIRECT_QUERY, "ASK{}"),
        InputError,
        "query cannot be in the query string",
    ),
    (
        "direct query with an update in the URL",
        post("/sparql?update=CLEAR%20ALL", DIRECT_QUERY, "ASK{}"),
        InputError,
        "update cannot be in the query string",
    ),
    (
        "direct update with a query in the URL",
        post("/sparql?query=ASK%7B%7D", DIRECT_UPDATE, "CLEAR ALL"),
        InputError,
        "query cannot be in the query string",
    ),
    (
        "dataset without a query",
        Http("GET", "/sparql?default-graph-uri=urn%3Aa"),
        InputError,
        "default-graph-uri given without a query",
    ),
    (
        "using-graph-uri on a query",
        Http("GET", "/sparql?query=ASK%7B%7D&using-graph-uri=urn%3Aa"),
        InputError,
        "using-graph-uri apply to updates",
    ),
    (
        "default-graph-uri on an update",
        post(
            "/sparql?default-graph-uri=urn%3Aa&named-graph-uri=urn%3Ab", DIRECT_UPDATE, "CLEAR ALL"
        ),
        InputError,
        "default-graph-uri, named-graph-uri apply to queries",
    ),
    (
        "relative IRI",
        Http("GET", "/sparql?query=ASK%7B%7D&default-graph-uri=data1.rdf"),
        InputError,
        "default-graph-uri must be an absolute IRI, not 'data1.rdf'",
    ),
    (
        "empty IRI",
        Http("GET", "/sparql?query=ASK%7B%7D&named-graph-uri="),
        InputError,
        "named-graph-uri must be an absolute IRI",
    ),
    (
        "IRI with a space",
        post("/sparql?using-graph-uri=http%3A%2F%2Fa%20b", DIRECT_UPDATE, "CLEAR ALL"),
        InputError,
        "using-graph-uri must be an absolute IRI",
    ),
    (
        "IRI with bad percent-encoding",
        post("/sparql", FORM, "update=CLEAR+ALL&using-named-graph-uri=http%3A%2F%2Fa%2F%25zz"),
        InputError,
        "using-named-graph-uri must be an absolute IRI",
    ),
    (
        "USING with using-graph-uri",
        post(
            "/sparql?using-graph-uri=urn%3Aa",
            DIRECT_UPDATE,
            "DELETE { ?s ?p ?o } USING <urn:g> WHERE { ?s ?p ?o }",
        ),
        InputError,
        "§2.2.3",
    ),
    (
        "USING NAMED in a form update",
        post(
            "/sparql",
            FORM,
            "using-graph-uri=urn%3Aa&update=DELETE+%7B%7D+USING+NAMED+%3Curn%3Ag%3E+WHERE+%7B%7D",
        ),
        InputError,
        "§2.2.3",
    ),
    (
        "non-UTF-8 direct body",
        post("/sparql", DIRECT_QUERY, b"ASK { \xff }"),
        InputError,
        "byte 0xff at offset 6",
    ),
    (
        "UTF-16 body without a charset",
        post("/sparql", DIRECT_UPDATE, "CLEAR ALL".encode("utf-16")),
        InputError,
        "not valid UTF-8: byte 0x(ff|fe) at offset 0",
    ),
    (
        "truncated UTF-8 sequence",
        post("/sparql", DIRECT_QUERY, "ASK 北".encode()[:-1]),
        InputError,
        "byte 0xe5 at offset 4",
    ),
    (
        "non-UTF-8 form value",
        post("/sparql", FORM, "query=ASK%20%FF"),
        InputError,
        "parameter 'query' in the request body is not valid UTF-8: byte 0xff at offset 4",
    ),
    (
        "charset=latin1",
        post("/sparql", "application/sparql-query;charset=latin1", "ASK{}"),
        UnsupportedMediaType,
        "charset=latin1",
    ),
    (
        "form charset",
        post("/sparql", FORM + ";charset=iso-8859-1", "query=x"),
        UnsupportedMediaType,
        "must be UTF-8",
    ),
    (
        "malformed content type",
        post("/sparql", "sparql-query", "ASK{}"),
        UnsupportedMediaType,
        "not supported",
    ),
    ("empty content type", post("/sparql", "", "ASK{}"), UnsupportedMediaType, "no Content-Type"),
    (
        "multipart form",
        post("/sparql", "multipart/form-data; boundary=x", "--x--"),
        UnsupportedMediaType,
        "multipart",
    ),
    (
        "JSON body",
        post("/sparql", "application/json", '{"query": "ASK{}"}'),
        UnsupportedMediaType,
        "application/json",
    ),
    (
        "RDF body",
        post("/sparql", "text/turtle", "<s> <p> <o> ."),
        UnsupportedMediaType,
        "text/turtle",
    ),
]


@pytest.mark.parametrize(
    ("case", "http", "error", "message"), MORE_REFUSED, ids=[c[0] for c in MORE_REFUSED]
)
def test_more_refused_requests(
    case: str, http: Http, error: type[KGServiceError], message: str
) -> None:
    with pytest.raises(error, match=message):
        http.parse()


def test_a_decoded_form_is_used_instead_of_the_body() -> None:
    request = parse_request(
        "POST", FORM, [("default-graph-uri", "urn:a")], form=[("query", "ASK{}")], body=b"\xff"
    )
    assert request == QueryRequest("ASK{}", ["urn:a"])


def test_query_args_can_be_any_iterable_of_pairs() -> None:
    pairs = iter([("query", "ASK{}"), ("named-graph-uri", "urn:b")])
    assert parse_request("GET", None, pairs) == QueryRequest("ASK{}", [], ["urn:b"])


# --- parts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "pairs"),
    [
        (b"", []),
        (b"a=1&a=2&b", [("a", "1"), ("a", "2"), ("b", "")]),
        (b"&&a=1&", [("a", "1")]),
        (b"a=x+y%2Bz", [("a", "x y+z")]),
        (b"a=b=c", [("a", "b=c")]),
        (b"a=%zz%4", [("a", "%zz%4")]),
        (b"%61%20b=%E5%8C%97", [("a b", "北")]),
        ("q=北".encode(), [("q", "北")]),
    ],
)
def test_parse_urlencoded(data: bytes, pairs: list[tuple[str, str]]) -> None:
    assert parse_urlencoded(data) == pairs


def test_parse_urlencoded_names_a_bad_name() -> None:
    with pytest.raises(InputError, match=r"a parameter name in the query string .* offset 1"):
        parse_urlencoded(b"a%C0=1", "the query string")


def test_decode_utf8() -> None:
    assert decode_utf8("北京".encode(), "x") == "北京"
    with pytest.raises(InputError, match=r"^the body is not valid UTF-8: byte 0xc0 at offset 2$"):
        decode_utf8(b"ab\xc0\xafcd", "the body")


def test_check_body_size() -> None:
    check_body_size(None, 10)
    check_body_size(10, 10)
    with pytest.raises(PayloadTooLarge, match="11 bytes; the limit is 10") as caught:
        check_body_size(11, 10)
    assert caught.value.http_status == 413
    assert caught.value.limit == 10


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        (UPDATE_WITH, True),  # bad_update_dataset_conflict
        (UPDATE_DATASET, False),  # update_dataset_default_graph
        ("WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", True),
        ("DELETE { ?s ?p ?o } USING <urn:g> WHERE { ?s ?p ?o }", True),
        ("delete { ?s ?p ?o } using named <urn:g> where { ?s ?p ?o }", True),
        ("DELETE{?s ?p ?o}USING<urn:g>WHERE{?s ?p ?o}", True),
        ("WITH\n<urn:g>\nDELETE WHERE { ?s ?p ?o }", True),
        ("PREFIX ex: <http://x/> WITH ex:g DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", True),
        ("CLEAR ALL ; WITH <urn:g> INSERT { <s> <p> 1 } WHERE {}", True),
        ("INSERT DATA { <s> <p> 'using' }", False),
        ('INSERT DATA { <s> <p> "WITH" }', False),
        ("INSERT DATA { <s> <p> 'it\\'s WITH' }", False),
        ('INSERT DATA { <s> <p> """a "WITH" b\nUSING""" }', False),
        ("INSERT DATA { <s> <p> '''with\n'' using''' }", False),
        ("INSERT DATA { <http://x/using> <http://x/with> <s> }", False),
        ("# WITH <urn:g>\nINSERT DATA { <s> <p> <o> }", False),
        ("INSERT DATA { <s> <p> <o> } # USING", False),
        ("INSERT { ?with <p> $using } WHERE { ?with <p> $using }", False),
        ("PREFIX with: <http://x/> INSERT DATA { with:a with:b with:using }", False),
        ("PREFIX ex: <http://x/> INSERT DATA { ex:using ex:with-it ex:a.with }", False),
        ("INSERT DATA { _:with <p> 'x'@with }", False),
        ("INSERT DATA { <s> <p> '#' . <s> <p> <o> }", False),
        ("INSERT DATA { <s> <p> '#' } ; WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", True),
        ("INSERT { <s> <p> ?withx } WHERE { BIND(1 AS ?withx) }", False),
        ("INSERT { <s> <p> 1 } WHERE { FILTER(?a<3&&?b>2) }", False),
    ],
)
def test_has_dataset_clause(update: str, expected: bool) -> None:
    assert has_dataset_clause(update) is expected
