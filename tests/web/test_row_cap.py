"""The row cap (KGSERVICE_MAX_ROWS) through the service: a result under the cap is sent as the
engine writes it with no cap, byte for byte; one over it is cut and says so, in every format."""

from __future__ import annotations

import csv
import io

import pyoxigraph as ox
import pytest

from tests.web.service import WRITER, make_app

EX = "http://example.org/"
EXTRA = f'INSERT DATA {{ <{EX}wang> <{EX}name> "王\\n五\\t(line break, tab)"@zh ; <{EX}age> 29 }}'
SELECT = f"SELECT ?p ?name ?age WHERE {{ ?p <{EX}name> ?name OPTIONAL {{ ?p <{EX}age> ?age }} }}"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
RESULTS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPHS = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


def _client(max_rows: int):
    client = make_app({"KGSERVICE_MAX_ROWS": str(max_rows)}).test_client()
    response = client.post(
        "/sparql", data=EXTRA.encode(), content_type="application/sparql-update", headers=WRITER
    )
    assert response.status_code == 204
    return client


@pytest.fixture(scope="module")
def clients():
    return {cap: _client(cap) for cap in (0, 2, 3, 100)}


def _get(client, query: str, media_type: str):
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": media_type})
    assert response.status_code == 200, response.data
    return response


@pytest.mark.parametrize("media_type", [*RESULTS, *GRAPHS])
def test_an_answer_under_the_cap_is_the_uncapped_answer(clients, media_type: str) -> None:
    query = SELECT if media_type in RESULTS else CONSTRUCT
    uncapped = _get(clients[0], query, media_type)
    capped = _get(clients[100], query, media_type)
    assert capped.data == uncapped.data
    assert "KGService-Truncated" not in capped.headers


def test_a_select_of_exactly_the_cap_is_whole(clients) -> None:
    response = _get(clients[3], SELECT, "application/sparql-results+json")
    assert "KGService-Truncated" not in response.headers
    assert len(list(ox.parse_query_results(response.data, ox.QueryResultsFormat.JSON))) == 3


def _rows(data: bytes, media_type: str) -> list[tuple[str, ...]]:
    if media_type == "text/csv":  # lossy: no parser in Oxigraph
        return [tuple(row) for row in csv.reader(io.StringIO(data.decode(), newline=""))][1:]
    parsed = ox.parse_query_results(data, RESULTS[media_type])
    return [tuple(str(term) for term in row) for row in parsed]


@pytest.mark.parametrize("media_type", list(RESULTS))
def test_a_select_over_the_cap_is_cut_in_every_format(clients, media_type: str) -> None:
    response = _get(clients[2], SELECT, media_type)
    assert response.headers["KGService-Truncated"] == "2"
    rows = _rows(response.data, media_type)
    every = _rows(_get(clients[0], SELECT, media_type).data, media_type)
    assert len(rows) == 2 and len(every) == 3
    assert set(rows) < set(every)


@pytest.mark.parametrize("media_type", list(GRAPHS))
def test_a_construct_over_the_cap_is_cut_in_every_format(clients, media_type: str) -> None:
    response = _get(clients[2], CONSTRUCT, media_type)
    assert response.headers["KGService-Truncated"] == "2"
    triples = list(ox.parse(response.data, GRAPHS[media_type]))
    every = list(ox.parse(_get(clients[0], CONSTRUCT, media_type).data, GRAPHS[media_type]))
    assert len(triples) == 2 and len(every) > 2
    assert set(triples) < set(every)
    if media_type in ("application/n-triples", "text/turtle"):
        assert response.data.startswith(b"# truncated: ")


@pytest.mark.parametrize("media_type", list(RESULTS))
def test_a_select_whose_limit_keeps_it_under_the_cap_is_the_uncapped_answer(
    clients, media_type: str
) -> None:
    """Its LIMIT bounds the rows, so the engine writes it straight in the format asked."""
    limited = SELECT + " ORDER BY ?p LIMIT 2"
    capped = _get(clients[2], limited, media_type)
    assert "KGService-Truncated" not in capped.headers
    assert capped.data == _get(clients[0], limited, media_type).data
    assert len(_rows(capped.data, media_type)) == 2
    over = _get(clients[2], SELECT + " ORDER BY ?p LIMIT 3", media_type)
    assert over.headers["KGService-Truncated"] == "2"
    assert len(_rows(over.data, media_type)) == 2
