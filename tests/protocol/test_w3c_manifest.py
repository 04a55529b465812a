"""Run every request of the W3C SPARQL 1.1 protocol manifest through ``parse_request``.

The manifest (``sparql/sparql11/protocol/manifest.ttl`` of https://github.com/w3c/rdf-tests)
describes HTTP exchanges in the HTTP-in-RDF vocabulary (https://www.w3.org/TR/HTTP-in-RDF10/).
A request expected to succeed must parse; one expected to fail with 4xx must raise an error with
a 4xx status, except the two syntax tests, which the store answers. The suite is read from
``$KGSERVICE_W3C_SPARQL11`` (default ``shared/w3c/sparql11`` beside the checkout); it must exist.
The hand-written tables of ``test_params.py`` mirror the same tests and always run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF

from kgservice.errors import KGServiceError
from kgservice.protocol.params import parse_request, parse_urlencoded
from tests.protocol.test_params import ACCEPTED, REFUSED

DEFAULT_SUITE = Path(__file__).resolve().parents[3] / "shared" / "w3c" / "sparql11"
SUITE = Path(os.environ.get("KGSERVICE_W3C_SPARQL11", DEFAULT_SUITE))
MANIFEST = SUITE / "protocol" / "manifest.ttl"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")

# Syntax errors are found by the store's parser, not by the protocol layer.
LEFT_TO_THE_STORE = {"bad_query_syntax", "bad_update_syntax"}


def test_the_w3c_suite_is_present() -> None:
    assert MANIFEST.is_file(), f"no W3C manifest at {MANIFEST}: set KGSERVICE_W3C_SPARQL11"


@dataclass(frozen=True)
class ManifestRequest:
    test: str
    method: str
    target: str
    content_type: str | None
    body: bytes
    succeeds: bool


def _content_type(graph: Graph, request: URIRef) -> str | None:
    headers = graph.value(request, HT.headers)
    for header in Collection(graph, headers) if headers is not None else []:
        if str(graph.value(header, HT.fieldName)).lower() == "content-type":
            return str(graph.value(header, HT.fieldValue))
    return None


def _body(graph: Graph, request: URIRef) -> bytes:
    body = graph.value(request, HT.body)
    if body is None:
        return b""
    encoding = str(graph.value(body, CNT.characterEncoding) or "UTF-8")
    return str(graph.value(body, CNT.chars)).encode(encoding)


def _requests(graph: Graph, test: URIRef) -> list[ManifestRequest]:
    name = str(test).rpartition("#")[2]
    action = graph.value(test, MF.action)
    requests = []
    for request in Collection(graph, graph.value(action, HT.requests)):
        statuses = set(graph.objects(graph.value(request, HT.resp), MF.expectedStatus))
        requests.append(
            ManifestRequest(
                name,
                str(graph.value(request, HT.methodName)),
                str(graph.value(request, HT.absolutePath)),
                _content_type(graph, request),
                _body(graph, request),
                HTS.StatusCode2xx in statuses,
            )
        )
    return requests


def _manifest() -> list[ManifestRequest]:
    if not MANIFEST.is_file():
        return []
    graph = Graph().parse(MANIFEST, format="turtle")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    tests = Collection(graph, graph.value(manifest, MF.entries))
    return [request for test in tests for request in _requests(graph, test)]


REQUESTS = _manifest()


def test_the_manifest_was_read() -> None:
    assert len({r.test for r in REQUESTS}) == 34


def test_every_manifest_test_is_mirrored_in_test_params() -> None:
    mirrored = {case[0] for case in ACCEPTED} | {case[0] for case in REFUSED}
    assert {r.test for r in REQUESTS} == mirrored


@pytest.mark.parametrize("request_", REQUESTS, ids=[f"{r.test}-{r.method}" for r in REQUESTS])
def test_manifest_request(request_: ManifestRequest) -> None:
    _, _, query_string = request_.target.partition("?")
    args = parse_urlencoded(query_string.encode("ascii"), "the query string")
    call = (request_.method, request_.content_type, args)
    if request_.succeeds or request_.test in LEFT_TO_THE_STORE:
        assert parse_request(*call, body=request_.body) is not None
    else:
        with pytest.raises(KGServiceError) as caught:
            parse_request(*call, body=request_.body)
        assert 400 <= caught.value.http_status < 500
