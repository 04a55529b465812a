"""/store: the SPARQL 1.1 Graph Store HTTP Protocol through Flask's client."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from tests.web.service import GRAPH, WRITER, make_app

NEW = "http://example.org/graph/new"
DOC = '<http://example.org/s> <http://example.org/p> "临沂" .\n'


@pytest.fixture
def client(store_factory):
    """A client of the service over each backend (embedded, remote ``oxigraph serve``)."""
    return make_app(store_factory=store_factory).test_client()


def _count(client, graph: str) -> int:
    response = client.get(
        "/store", query_string={"graph": graph}, headers={"Accept": "application/n-triples"}
    )
    return (
        len(list(ox.parse(response.data, ox.RdfFormat.N_TRIPLES)))
        if response.status_code == 200
        else -1
    )


def test_get_in_negotiated_formats_and_head(client) -> None:
    for fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML):
        response = client.get(
            "/store", query_string={"graph": GRAPH}, headers={"Accept": fmt.media_type}
        )
        assert response.status_code == 200
        assert response.mimetype == fmt.media_type
        assert len(list(ox.parse(response.data, fmt))) == 8
    head = client.head("/store", query_string={"graph": GRAPH})
    assert head.status_code == 200 and head.data == b""
    assert client.get("/store", query_string={"graph": NEW}).status_code == 404


def test_put_creates_then_replaces(client) -> None:
    first = client.put(
        "/store",
        query_string={"graph": NEW},
        data=DOC,
        content_type="application/n-triples",
        headers=WRITER,
    )
    assert first.status_code == 201
    second = client.put(
        "/store",
        query_string={"graph": NEW},
        data=DOC + '<http://example.org/s> <http://example.org/p> "2" .\n',
        content_type="application/n-triples",
        headers=WRITER,
    )
    assert second.status_code == 204
    assert _count(client, NEW) == 2


def test_post_merges_and_keeps_blank_nodes_apart(client) -> None:
    doc = "_:b <http://example.org/p> 1 ."
    for expected in (201, 204):
        response = client.post(
            "/store",
            query_string={"graph": NEW},
            data=doc,
            content_type="text/turtle",
            headers=WRITER,
        )
        assert response.status_code == expected
    assert _count(client, NEW) == 2  # two different blank nodes


def test_post_without_a_graph_creates_one(client) -> None:
    response = client.post("/store", data=DOC, content_type="text/turtle", headers=WRITER)
    assert response.status_code == 201
    assert _count(client, response.headers["Location"]) == 1


def test_delete(client) -> None:
    assert client.delete("/store", query_string={"graph": GRAPH}, headers=WRITER).status_code == 204
    assert client.delete("/store", query_string={"graph": GRAPH}, headers=WRITER).status_code == 404
    assert _count(client, GRAPH) == -1


def test_default_graph(client) -> None:
    put = client.put("/store?default", data=DOC, content_type="text/turtle", headers=WRITER)
    assert put.status_code == 201
    response = client.get("/store?default", headers={"Accept": "application/n-triples"})
    assert response.data.decode() == DOC
    assert client.delete("/store?default", headers=WRITER).status_code == 204


def test_broken_upload_is_400_with_position_and_changes_nothing(client) -> None:
    response = client.put(
        "/store",
        query_string={"graph": GRAPH},
        data=DOC + "<http://example.org/s> <http://example.org/p> .\n",
        content_type="application/n-triples",
        headers=WRITER,
    )
    assert response.status_code == 400
    assert b"line 2 column 47" in response.data
    assert _count(client, GRAPH) == 8


def test_entity_expansion_is_refused(client) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;">]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:ex="http://example.org/"><rdf:Description rdf:about="http://example.org/s">'
        "<ex:p>&b;</ex:p></rdf:Description></rdf:RDF>"
    )
    response = client.put(
        "/store",
        query_string={"graph": NEW},
        data=laughs,
        content_type="application/rdf+xml",
        headers=WRITER,
    )
    assert response.status_code == 400
    assert b"DOCTYPE" in response.data


def test_writes_need_the_token_and_a_known_media_type(client) -> None:
    assert (
        client.put(
            "/store", query_string={"graph": NEW}, data=DOC, content_type="text/turtle"
        ).status_code
        == 401
    )
    response = client.put(
        "/store", query_string={"graph": NEW}, data=DOC, content_type="text/plain", headers=WRITER
    )
    assert response.status_code == 415
    assert "text/turtle" in response.headers["Accept-Post"]


def test_graph_and_default_together_is_400(client) -> None:
    response = client.get("/store", query_string={"graph": GRAPH, "default": ""})
    assert response.status_code == 400
