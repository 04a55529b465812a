"""The W3C SPARQL 1.1 Protocol manifest, replayed over HTTP against the running service.

Each test of ``protocol/manifest.ttl`` describes HTTP requests and what their responses must be
(HTTP-in-RDF: https://www.w3.org/TR/HTTP-in-RDF10/). For each test the store is emptied, the
graphs the test needs are loaded through the Graph Store endpoint, and the requests are sent in
order, the manifest's ``/sparql/`` path rewritten to our ``/sparql``, with
``allow_redirects=False`` so that the status is the service's own. Checked: the status class
(2xx/3xx or 4xx), the content type where the test prescribes a kind of result (``boolean``:
SPARQL XML or JSON results; ``tabular``: XML, JSON, CSV or TSV; ``RDF``: RDF/XML, Turtle,
N-Triples or RDFa) and the content where it defines one (``mf:expectedBoolean``; a tabular
or RDF body must also parse in its content type).

Data: the tests name graphs by their original W3C addresses (``http://kasei.us/2009/09/sparql/
data/dataN.rdf``); ``ut:graphData`` gives a local file for some of them. Every such graph a test
names (in its ``ut:graphData``, its dataset parameters or its query text) is PUT under that IRI
from the suite's ``dataN.nt``. ``data0.rdf`` has no file in the suite: the tests that name it
only ask ``ASK {}`` or check content types, so it is PUT as an empty graph. (The service does
not fetch remote graphs; a dataset naming a graph it does not hold is refused with 400.)

Updates carry the write token (``Authorization: Bearer …``), the refused ones too, so that a
4xx is the protocol's verdict and not a missing token; a 4xx must not be 401 or 403.

No test of this manifest needs a remote fetch (SERVICE, LOAD from the web): :data:`REMOTE_FETCH`
is empty, and a test below fails if the manifest grows one that is not listed there.
:data:`ALLOWED_FAILURES` (also empty) would list tests the service does not pass, with the
reason; each would have to keep failing.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

import pyoxigraph as ox
import pytest
import requests

from tests.conformance.conftest import REQUEST_TIMEOUT, WRITER, LiveService
from tests.conformance.w3c import (
    Exchange,
    ProtocolTest,
    local_path,
    protocol_tests,
    read_query_results,
    require_suite,
    suite_iri,
)

ALLOWED_FAILURES: dict[str, str] = {}
"""Test name → why the service does not pass it (none)."""

REMOTE_FETCH: dict[str, str] = {}
"""Test name → the remote fetch it needs (none in this manifest); these tests are not run."""

TESTS = protocol_tests()
KASEI = re.compile(r"http://kasei\.us/2009/09/sparql/data/data\d+\.rdf")
REMOTE_OPERATION = re.compile(r"\b(SERVICE|LOAD)\b", re.IGNORECASE)

BOOLEAN_TYPES = {
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
}
TABULAR_TYPES = {
    **BOOLEAN_TYPES,
    "text/csv": None,  # pyoxigraph cannot read CSV results; checked by hand below
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
RDF_TYPES = {
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/html": None,  # RDFa: allowed by the manifest, not produced by this service
    "application/xhtml+xml": None,
}


def test_the_suite_is_present() -> None:
    assert (require_suite("protocol") / "manifest.ttl").is_file()


def test_the_manifest_was_read() -> None:
    assert len(TESTS) == 34
    assert sum(len(test.exchanges) for test in TESTS) == 39
    names = {test.name for test in TESTS}
    assert set(ALLOWED_FAILURES) | set(REMOTE_FETCH) <= names, "a listed test is no test"


def _texts(exchange: Exchange) -> str:
    body = exchange.body.decode("utf-8", errors="replace") if exchange.body else ""
    return unquote_plus(exchange.path) + "\n" + unquote_plus(body)


def test_no_test_needs_a_remote_fetch_unless_listed() -> None:
    remote = {
        test.name
        for test in TESTS
        if any(REMOTE_OPERATION.search(_texts(exchange)) for exchange in test.exchanges)
    }
    assert remote <= set(REMOTE_FETCH), remote - set(REMOTE_FETCH)


def _graphs(test: ProtocolTest) -> dict[str, bytes]:
    """Graph IRI → N-Triples to PUT: the test's graph data and every kasei.us graph it names."""
    graphs = {label: local_path(file).read_bytes() for file, label in test.graph_data}
    for exchange in test.exchanges:
        for iri in KASEI.findall(_texts(exchange)):
            if iri not in graphs:
                name = iri.rpartition("/")[2].removesuffix(".rdf") + ".nt"
                path = local_path(suite_iri("protocol", name))
                graphs[iri] = path.read_bytes() if path.is_file() else b""
    return graphs


def _is_update(exchange: Exchange) -> bool:
    content_type = (exchange.header("content-type") or "").lower()
    query_string = exchange.path.partition("?")[2]
    body = exchange.body or b""
    return (
        "sparql-update" in content_type
        or re.search(r"(^|&)update=", query_string) is not None
        or re.match(rb"(.*&)?update=", body) is not None
    )


def _send(service: LiveService, exchange: Exchange) -> requests.Response:
    assert exchange.path.startswith("/sparql/"), exchange.path
    url = service.sparql_url + exchange.path[len("/sparql/") :]
    headers = dict(exchange.headers)
    if _is_update(exchange):
        headers.update(WRITER)
    return service.http.request(
        exchange.method,
        url,
        data=exchange.body,
        headers=headers,
        allow_redirects=False,
        timeout=REQUEST_TIMEOUT,
    )


def _media_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def _check(exchange: Exchange, response: requests.Response, step: str) -> None:
    status = response.status_code
    shown = f"{step}: {exchange.method} {exchange.path} → {status} {response.text[:500]!r}"
    assert status // 100 in exchange.status_classes, shown
    if 4 in exchange.status_classes:
        assert status not in (401, 403), f"refused for want of authorisation, {shown}"
    media_type = _media_type(response)
    if exchange.expected_format == "boolean":
        assert media_type in BOOLEAN_TYPES, f"{step}: not a boolean result type: {media_type}"
    elif exchange.expected_format == "tabular":
        assert media_type in TABULAR_TYPES, f"{step}: not a tabular result type: {media_type}"
        if TABULAR_TYPES[media_type] is not None:
            read_query_results(response.content, TABULAR_TYPES[media_type])
        else:
            assert response.text.splitlines()[0].strip(), f"{step}: empty CSV"
    elif exchange.expected_format == "RDF":
        assert media_type in RDF_TYPES, f"{step}: not an RDF type of the test: {media_type}"
        if RDF_TYPES[media_type] is not None:
            list(ox.parse(response.content, RDF_TYPES[media_type]))
    if exchange.expected_boolean is not None:
        answer = read_query_results(response.content, BOOLEAN_TYPES[media_type])
        assert answer is exchange.expected_boolean, f"{step}: ASK answered {answer}"


def _run(service: LiveService, test: ProtocolTest) -> None:
    service.clear()
    for iri, data in _graphs(test).items():
        service.put_graph(iri, data, "application/n-triples")
    for number, exchange in enumerate(test.exchanges, start=1):
        response = _send(service, exchange)
        _check(exchange, response, f"{test.name}, request {number}")


RUN = [test for test in TESTS if test.name not in REMOTE_FETCH]


@pytest.mark.parametrize("test", RUN or [None], ids=[test.name for test in RUN] or ["missing"])
def test_protocol(live_service: LiveService, test: ProtocolTest | None) -> None:
    if test is None:  # no manifest was read: fail (an empty parameter set would only skip)
        require_suite("protocol")
        pytest.fail("the W3C protocol manifest has no tests")
    if test.name not in ALLOWED_FAILURES:
        _run(live_service, test)
        return
    with pytest.raises(AssertionError) as failure:
        _run(live_service, test)
    print(f"{test.name} still fails as allowed ({ALLOWED_FAILURES[test.name]}): {failure.value}")
