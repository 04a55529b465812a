"""Property-based fuzzing of the HTTP interface with Hypothesis, against a real server.

Whatever the input, the service answers with a status below 500 (or 503 with its time-limit
message), stays up, and a refused write changes nothing. Examples are derandomised (the same
inputs on every run, so CI is repeatable) and bounded in number.
"""

from __future__ import annotations

import string

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile.conftest import WRITER, store_state
from tests.servers import KGServiceServer as Server

FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SPARQL_TOKENS = [
    "SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "{", "}", "(", ")", "[", "]", ".", ";",
    ",", "*", "?s", "?p", "?o", "$x", "a", "<urn:a>", "<https://w3id.org/sckm/city/LegalEntity>",
    "city:legalName", "PREFIX", "city:", "<https://w3id.org/sckm/city/>", "FILTER", "OPTIONAL",
    "UNION", "MINUS", "GRAPH", "BIND", "AS", "VALUES", "UNDEF", "GROUP", "BY", "ORDER", "DESC",
    "LIMIT", "OFFSET", "10", "-1", "1e999", "\"x\"", "\"张三\"@zh", "'''", "\"\\u0000\"",
    "^^", "<http://www.w3.org/2001/XMLSchema#integer>", "COUNT", "SUM", "REGEX", "SUBSTR",
    "STRLEN", "NOW()", "RAND()", "SERVICE", "<http://127.0.0.1/>", "FROM", "NAMED", "EXISTS",
    "NOT", "IN", "|", "/", "^", "+", "?", "!", "&&", "||", "=", "!=", "<", ">", "#", "\n",
    "_:b", "[]", "()", "DISTINCT", "REDUCED", "HAVING", "SEPARATOR", "GROUP_CONCAT", "IRI",
    "BNODE", "STRDT", "LANGMATCHES", "geof:distance", "INSERT", "DELETE", "DATA", "LOAD",
]  # fmt: skip
MEDIA_TYPES = [
    "application/sparql-query",
    "application/sparql-update",
    "application/x-www-form-urlencoded",
    "text/turtle",
    "application/n-triples",
    "application/rdf+xml",
    "application/ld+json",
    "application/trig",
    "text/plain",
    "multipart/form-data; boundary=x",
    "",
]
QUESTIONS = ["division-summary", "facilities-in-area", "troubled-operators-nearby", "no-such"]

token_soup = st.lists(st.sampled_from(SPARQL_TOKENS), max_size=40).map(" ".join)
any_text = st.text(max_size=300)
any_bytes = st.binary(max_size=2_000)
param_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=80)


def fine(response: requests.Response) -> bool:
    """Below 500, or the time limit's 503 naming its setting."""
    if response.status_code == 503:
        return "KGSERVICE_QUERY_TIMEOUT" in response.text
    return response.status_code < 500


def _get(server: Server, path: str, **kwargs) -> requests.Response:
    return requests.get(server.url + path, timeout=30, **kwargs)


@pytest.fixture(scope="module")
def state_before(server: Server) -> dict[str, int]:
    return store_state(server)


@FUZZ
@given(query=st.one_of(token_soup, any_text))
def test_any_query_text(server: Server, query: str) -> None:
    response = _get(server, "/sparql", params={"query": query})
    assert fine(response), (query, response.status_code, response.text[:300])


@FUZZ
@given(
    body=st.one_of(token_soup.map(str.encode), any_bytes), media_type=st.sampled_from(MEDIA_TYPES)
)
def test_any_body_to_the_endpoint_without_a_token(
    server: Server, state_before: dict[str, int], body: bytes, media_type: str
) -> None:
    response = requests.post(
        server.url + "/sparql", data=body, headers={"Content-Type": media_type}, timeout=30
    )
    assert fine(response), (body, media_type, response.status_code, response.text[:300])
    assert store_state(server) == state_before


@FUZZ
@given(body=any_bytes, media_type=st.sampled_from(MEDIA_TYPES), graph=param_text)
def test_any_upload_that_is_refused_changes_nothing(
    server: Server, body: bytes, media_type: str, graph: str
) -> None:
    before = store_state(server)
    response = requests.put(
        server.url + "/store",
        params={"graph": "https://w3id.org/sckm/graph/fuzz/" + graph},
        data=body,
        headers={"Content-Type": media_type, **WRITER},
        timeout=30,
    )
    assert fine(response), (body, media_type, response.status_code, response.text[:300])
    if response.status_code >= 400:
        assert store_state(server) == before


@FUZZ
@given(graph=param_text, accept=st.sampled_from(["text/turtle", "application/ld+json", "*/*", "x"]))
def test_any_graph_parameter(server: Server, graph: str, accept: str) -> None:
    response = _get(server, "/store", params={"graph": graph}, headers={"Accept": accept})
    assert fine(response), (graph, response.status_code, response.text[:300])


@FUZZ
@given(
    question=st.sampled_from(QUESTIONS),
    params=st.dictionaries(
        st.sampled_from(["parent", "division", "area", "point", "radius", "type", "limit", "x"]),
        param_text,
        max_size=4,
    ),
    accept=st.sampled_from(["application/sparql-results+json", "text/csv", "text/html", "x/y"]),
)
def test_any_question_parameters(
    server: Server, question: str, params: dict[str, str], accept: str
) -> None:
    response = _get(server, f"/questions/{question}", params=params, headers={"Accept": accept})
    assert fine(response), (question, params, response.status_code, response.text[:300])


@FUZZ
@given(
    method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
    path=st.text(alphabet=string.ascii_letters + string.digits + "/._-%~", max_size=40),
)
def test_any_path_and_method(server: Server, method: str, path: str) -> None:
    response = requests.request(method, f"{server.url}/{path}", timeout=30)
    assert fine(response), (method, path, response.status_code, response.text[:300])
    assert server.health()["status"] == "ok"
