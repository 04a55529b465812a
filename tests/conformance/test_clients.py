"""Three real clients against the running service give the same answers.

The clients: SPARQLWrapper (as a Python application would use it: its own content negotiation
and ``format`` parameters), plain HTTP (``requests``, parsing the SPARQL JSON by hand), and
Apache Jena's ``rsparql`` (Debian ``libapache-jena-java``, Jena 4.5, run as ``java -cp …
arq.rsparql`` with the classpath and Xerces fix of :mod:`kgservice.validation.jena`). All ask
the same SELECT over the same graph: Chinese literals, language tags, typed literals (integer,
decimal, date, boolean), a string with a comma, quotes and a tab (for the CSV/TSV writers) and
variables left unbound by OPTIONAL; every client, in every result format, must give
:data:`EXPECTED`. CONSTRUCT comes back as the same graph in Turtle, N-Triples, JSON-LD and
RDF/XML; an update through SPARQLWrapper needs the bearer token (and is refused without it).
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import Unauthorized

from kgservice.validation.jena import JVM_OPTIONS, _java, jena_classpath, xerces_fix_dir
from tests.conformance.conftest import REQUEST_TIMEOUT, TOKEN, LiveService
from tests.conformance.w3c import read_csv, read_query_results, same_graph

EX = "http://example.org/clients/"
XSD = "http://www.w3.org/2001/XMLSchema#"
GRAPH = f"http://example.org/clients/graph/{uuid.uuid4()}"
TRICKY = '逗号, "引号"\t和制表符'
TRICKY_TURTLE = TRICKY.replace('"', '\\"').replace("\t", "\\t")
TURTLE_DATA = f"""
@prefix ex: <{EX}> .
@prefix xsd: <{XSD}> .
ex:p1 ex:name "张三"@zh , "Zhang San"@en ; ex:age 34 ; ex:height 1.75 ;
      ex:born "1990-05-01"^^xsd:date ; ex:resident true .
ex:p2 ex:name "李四"@zh ; ex:age 51 .
ex:p3 ex:name "{TRICKY_TURTLE}" .
"""
SELECT = f"""PREFIX ex: <{EX}>
SELECT ?person ?name ?age ?height ?born ?resident WHERE {{
  GRAPH <{GRAPH}> {{
    ?person ex:name ?name .
    OPTIONAL {{ ?person ex:age ?age }}
    OPTIONAL {{ ?person ex:height ?height }}
    OPTIONAL {{ ?person ex:born ?born }}
    OPTIONAL {{ ?person ex:resident ?resident }}
  }}
}} ORDER BY ?person ?name"""
CONSTRUCT = f"""PREFIX ex: <{EX}>
CONSTRUCT {{ ?person ex:label ?name ; ex:age ?age }}
WHERE {{ GRAPH <{GRAPH}> {{ ?person ex:name ?name OPTIONAL {{ ?person ex:age ?age }} }} }}"""
VARIABLES = ("person", "name", "age", "height", "born", "resident")


def _iri(local: str) -> ox.NamedNode:
    return ox.NamedNode(EX + local)


def _typed(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


P1 = {
    "person": _iri("p1"),
    "age": _typed("34", "integer"),
    "height": _typed("1.75", "decimal"),
    "born": _typed("1990-05-01", "date"),
    "resident": _typed("true", "boolean"),
}
EXPECTED = [
    {**P1, "name": ox.Literal("Zhang San", language="en")},
    {**P1, "name": ox.Literal("张三", language="zh")},
    {
        "person": _iri("p2"),
        "name": ox.Literal("李四", language="zh"),
        "age": _typed("51", "integer"),
    },
    {"person": _iri("p3"), "name": ox.Literal(TRICKY)},
]
"""The SELECT's answer, in ORDER BY order ("Zhang San"@en sorts before "张三"@zh)."""

EXPECTED_CSV = (
    VARIABLES,
    [{name: term.value for name, term in row.items()} for row in EXPECTED],
)
EXPECTED_GRAPH = [ox.Triple(row["person"], _iri("label"), row["name"]) for row in EXPECTED] + [
    ox.Triple(_iri(person), _iri("age"), _typed(age, "integer"))
    for person, age in (("p1", "34"), ("p2", "51"))
]


@pytest.fixture(scope="module")
def service(live_service: LiveService) -> LiveService:
    live_service.put_graph(GRAPH, TURTLE_DATA.encode("utf-8"), "text/turtle")
    return live_service


def _rows(answer: object) -> list[dict]:
    assert not isinstance(answer, bool), answer
    return [dict(row) for row in answer.rows]  # type: ignore[union-attr]


# --- plain HTTP -------------------------------------------------------------------------------


def _json_term(value: dict) -> object:
    """A term of the SPARQL 1.1 JSON results format, read by hand."""
    if value["type"] == "uri":
        return ox.NamedNode(value["value"])
    if value["type"] == "bnode":
        return ox.BlankNode(value["value"])
    if "xml:lang" in value:
        return ox.Literal(value["value"], language=value["xml:lang"])
    if "datatype" in value:
        return ox.Literal(value["value"], datatype=ox.NamedNode(value["datatype"]))
    return ox.Literal(value["value"])


def test_plain_http_get_json(service: LiveService) -> None:
    response = requests.get(
        service.sparql_url,
        params={"query": SELECT},
        headers={"Accept": "application/sparql-results+json"},
        timeout=REQUEST_TIMEOUT,
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/sparql-results+json")
    document = json.loads(response.content.decode("utf-8"))
    assert tuple(document["head"]["vars"]) == VARIABLES
    rows = [
        {name: _json_term(value) for name, value in binding.items()}
        for binding in document["results"]["bindings"]
    ]
    assert rows == EXPECTED


@pytest.mark.parametrize(
    ("method", "media_type"),
    [
        ("POST form", "application/sparql-results+xml"),
        ("POST direct", "text/tab-separated-values"),
        ("GET", "text/csv"),
    ],
)
def test_plain_http_other_formats(service: LiveService, method: str, media_type: str) -> None:
    headers = {"Accept": media_type}
    if method == "GET":
        response = requests.get(
            service.sparql_url, params={"query": SELECT}, headers=headers, timeout=REQUEST_TIMEOUT
        )
    elif method == "POST form":
        response = requests.post(
            service.sparql_url, data={"query": SELECT}, headers=headers, timeout=REQUEST_TIMEOUT
        )
    else:
        response = requests.post(
            service.sparql_url,
            data=SELECT.encode("utf-8"),
            headers={**headers, "Content-Type": "application/sparql-query"},
            timeout=REQUEST_TIMEOUT,
        )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].split(";")[0] == media_type
    if media_type == "text/csv":
        assert read_csv(response.content.decode("utf-8")) == EXPECTED_CSV
    else:
        fmt = ox.QueryResultsFormat.from_media_type(media_type)
        assert _rows(read_query_results(response.content, fmt)) == EXPECTED


# --- SPARQLWrapper ----------------------------------------------------------------------------


def _wrapper(service: LiveService, return_format: str) -> SPARQLWrapper:
    sparql = SPARQLWrapper(service.sparql_url, returnFormat=return_format)
    sparql.setTimeout(REQUEST_TIMEOUT)
    return sparql


def _raw(sparql: SPARQLWrapper) -> tuple[str, bytes]:
    """The response's media type and body (the response is closed)."""
    result = sparql.query()
    try:
        media_type = result.response.headers.get("Content-Type", "").split(";")[0]
        return media_type, result.response.read()
    finally:
        result.response.close()


def test_sparqlwrapper_json(service: LiveService) -> None:
    sparql = _wrapper(service, JSON)
    sparql.setQuery(SELECT)
    result = sparql.query()
    try:
        document = result.convert()
    finally:
        result.response.close()
    assert tuple(document["head"]["vars"]) == VARIABLES
    rows = [
        {name: _json_term(value) for name, value in binding.items()}
        for binding in document["results"]["bindings"]
    ]
    assert rows == EXPECTED


@pytest.mark.parametrize(
    ("return_format", "media_type"),
    [(XML, "application/sparql-results+xml"), (TSV, "text/tab-separated-values")],
)
def test_sparqlwrapper_xml_and_tsv(service: LiveService, return_format: str, media_type) -> None:
    sparql = _wrapper(service, return_format)
    sparql.setQuery(SELECT)
    got_type, body = _raw(sparql)
    assert got_type == media_type
    fmt = ox.QueryResultsFormat.from_media_type(media_type)
    assert _rows(read_query_results(body, fmt)) == EXPECTED


def test_sparqlwrapper_csv(service: LiveService) -> None:
    sparql = _wrapper(service, CSV)
    sparql.setQuery(SELECT)
    result = sparql.query()
    try:
        text = result.convert()
    finally:
        result.response.close()
    text = text.decode("utf-8") if isinstance(text, bytes) else text
    assert read_csv(text) == EXPECTED_CSV


@pytest.mark.parametrize(
    ("return_format", "accept", "media_type"),
    [
        (TURTLE, None, "text/turtle"),
        (N3, "application/n-triples", "application/n-triples"),
        (JSONLD, None, "application/ld+json"),
        (RDFXML, None, "application/rdf+xml"),
    ],
)
def test_sparqlwrapper_construct(
    service: LiveService, return_format: str, accept: str | None, media_type: str
) -> None:
    sparql = _wrapper(service, return_format)
    sparql.setQuery(CONSTRUCT)
    if accept:  # SPARQLWrapper has no N-Triples format of its own: ask for it by header
        sparql.setOnlyConneg(True)
        sparql.addCustomHttpHeader("Accept", accept)
    got_type, body = _raw(sparql)
    assert got_type == media_type
    graph = [q.triple for q in ox.parse(body, ox.RdfFormat.from_media_type(media_type))]
    assert same_graph(EXPECTED_GRAPH, graph)


def test_sparqlwrapper_update_needs_the_token(service: LiveService) -> None:
    graph = f"http://example.org/clients/update/{uuid.uuid4()}"
    update = f'INSERT DATA {{ GRAPH <{graph}> {{ <{EX}p9> <{EX}name> "王五"@zh }} }}'
    sparql = _wrapper(service, JSON)
    sparql.setMethod(POST)
    sparql.setQuery(update)
    with pytest.raises(Unauthorized):
        sparql.query()
    sparql.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    result = sparql.query()
    try:
        assert result.response.status == 204
    finally:
        result.response.close()
    ask = _wrapper(service, JSON)
    ask.setQuery(f'ASK {{ GRAPH <{graph}> {{ ?s ?p "王五"@zh }} }}')
    answer = ask.query()
    try:
        assert answer.convert()["boolean"] is True
    finally:
        answer.response.close()


# --- Jena rsparql -----------------------------------------------------------------------------

RSPARQL_TIMEOUT = 120


def _rsparql(service: LiveService, query: str, results: str, tmp_path: Path) -> bytes:
    query_file = tmp_path / "query.rq"
    query_file.write_text(query, encoding="utf-8")
    classpath = [xerces_fix_dir(), *jena_classpath()]
    command = [
        _java(),
        *JVM_OPTIONS,
        "-Dsun.stdout.encoding=UTF-8",
        "-cp",
        os.pathsep.join(str(path) for path in classpath),
        "arq.rsparql",
        "--service",
        service.sparql_url,
        "--query",
        str(query_file),
        "--results",
        results,
    ]
    done = subprocess.run(command, capture_output=True, timeout=RSPARQL_TIMEOUT, check=False)
    stderr = done.stderr.decode("utf-8", errors="replace")
    assert done.returncode == 0, f"rsparql exited {done.returncode}: {stderr[-3000:]}"
    return done.stdout


@pytest.mark.parametrize(
    ("results", "fmt"),
    [
        ("JSON", ox.QueryResultsFormat.JSON),
        ("XML", ox.QueryResultsFormat.XML),
        ("TSV", ox.QueryResultsFormat.TSV),
        ("CSV", None),
    ],
)
def test_jena_rsparql_select(service: LiveService, tmp_path: Path, results: str, fmt) -> None:
    output = _rsparql(service, SELECT, results, tmp_path)
    if fmt is None:
        assert read_csv(output.decode("utf-8")) == EXPECTED_CSV
    else:
        assert _rows(read_query_results(output, fmt)) == EXPECTED


def test_jena_rsparql_construct(service: LiveService, tmp_path: Path) -> None:
    output = _rsparql(service, CONSTRUCT, "N-Triples", tmp_path)
    graph = [q.triple for q in ox.parse(output, ox.RdfFormat.N_TRIPLES)]
    assert same_graph(EXPECTED_GRAPH, graph)
