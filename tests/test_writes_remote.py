"""Writes to a remote store (a real ``oxigraph serve``) go through the same pipeline as the
embedded store's: computed and validated on an in-memory snapshot of it, applied as one update.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from flask.testing import FlaskClient

from kgservice.iri import graph_iri
from kgservice.settings import load_settings
from kgservice.store.embedded import EmbeddedStore
from kgservice.store.remote import RemoteStore
from kgservice.web.app import create_app
from tests.cities import loaded_city
from tests.servers import OxigraphServer, oxigraph_server

CITY = "https://w3id.org/sckm/city/"
COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
WRITER = {"Authorization": "Bearer writer"}
UPDATE = {"Content-Type": "application/sparql-update", **WRITER}
ENTITIES = str(graph_iri("legal-entities"))
FACILITIES = str(graph_iri("facilities"))
QUALITY = str(graph_iri("quality"))
MISSING = "https://w3id.org/sckm/id/entity/NO-SUCH-ENTITY"


@pytest.fixture(scope="module")
def city() -> EmbeddedStore:
    return loaded_city(people=200, seed=11, bad_share=0.05)


@pytest.fixture(scope="module")
def server() -> Iterator[OxigraphServer]:
    with oxigraph_server(extra_args=["--union-default-graph"]) as running:
        yield running


@pytest.fixture
def remote(server: OxigraphServer, city: EmbeddedStore) -> RemoteStore:
    """The remote store holding exactly the city."""
    store = RemoteStore(server.query_url, server.update_url, server.store_url)
    store.update("DROP ALL")
    data = city.oxigraph.dump(format=ox.RdfFormat.N_QUADS)
    sent = requests.post(
        server.store_url, data=data, headers={"Content-Type": "application/n-quads"}, timeout=60
    )
    assert sent.status_code in (200, 204), sent.text
    return store


@pytest.fixture
def audit_log(tmp_path: Path) -> Path:
    return tmp_path / "audit.jsonl"


@pytest.fixture
def client(remote: RemoteStore, audit_log: Path) -> FlaskClient:
    settings = load_settings(
        {
            "KGSERVICE_WRITE_TOKEN": "writer",
            "KGSERVICE_REASONING": "off",
            "KGSERVICE_AUDIT_LOG": str(audit_log),
        }
    )
    return create_app(settings, remote).test_client()


def everything(store: RemoteStore) -> set[str]:
    """The remote store's quads as N-Quads lines (blank nodes left out: their labels vary)."""
    rows = store.select(
        "SELECT ?g ?s ?p ?o WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }",
        union_default_graph=False,
    )
    return {
        " ".join(str(row.get(name)) for name in ("s", "p", "o", "g"))
        for row in rows
        if not any(isinstance(term, ox.BlankNode) for term in row.values())
    }


def a_facility(store: RemoteStore) -> str:
    query = f"SELECT ?f WHERE {{ GRAPH <{FACILITIES}> {{ ?f <{CITY}operator> ?o }} }} LIMIT 1"
    return next(store.select(query, union_default_graph=False))["f"].value


def quality_focus_nodes(store: RemoteStore) -> set[str]:
    focus = "http://www.w3.org/ns/shacl#focusNode"
    query = f"SELECT ?f WHERE {{ GRAPH <{QUALITY}> {{ ?r <{focus}> ?f }} }}"
    return {row["f"].value for row in store.select(query, union_default_graph=False)}


def last_audit(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8").splitlines()[-1])


def test_a_non_conforming_update_is_refused_and_the_remote_store_is_unchanged(
    client, remote, audit_log
) -> None:
    facility = a_facility(remote)
    before = everything(remote)
    text = f"INSERT DATA {{ GRAPH <{FACILITIES}> {{ <{facility}> <{CITY}operator> <{MISSING}> }} }}"
    response = client.post("/sparql", data=text.encode(), headers=UPDATE)
    assert response.status_code == 422, response.text
    report = response.get_json()
    assert any(f["focus"] == facility for f in report["findings"])
    assert everything(remote) == before
    line = last_audit(audit_log)
    assert (line["status"], line["http_status"], line["validated"]) == ("refused", 422, True)


def test_a_non_conforming_graph_store_post_is_refused(client, remote) -> None:
    facility = a_facility(remote)
    before = everything(remote)
    body = f"<{facility}> <{CITY}operator> <{MISSING}> .\n".encode()
    headers = {"Content-Type": "application/n-triples", **WRITER}
    response = client.post(f"/store?graph={FACILITIES}", data=body, headers=headers)
    assert response.status_code == 422, response.text
    assert everything(remote) == before


def test_a_conforming_update_lands_as_its_delta_with_counts_and_a_new_quality_report(
    client, remote, audit_log
) -> None:
    facility = a_facility(remote)
    flagged = quality_focus_nodes(remote)
    text = (
        f'INSERT {{ GRAPH <{FACILITIES}> {{ ?f <{COMMENT}> "checked" }} }} '
        f"WHERE {{ GRAPH <{FACILITIES}> {{ ?f <{CITY}operator> ?o }} FILTER(?f = <{facility}>) }}"
    )
    response = client.post("/sparql", data=text.encode(), headers=UPDATE)
    assert response.status_code == 204, response.text
    assert f'<{facility}> <{COMMENT}> "checked" <{FACILITIES}>' in everything(remote)
    line = last_audit(audit_log)
    assert line["status"] == "committed" and line["validated"] is True
    assert line["graphs"] == {FACILITIES: {"added": 1, "removed": 0}}
    assert quality_focus_nodes(remote) == flagged  # rebuilt: the same findings, no more


def test_without_validation_graph_store_writes_read_only_their_graph(remote, audit_log) -> None:
    settings = load_settings(
        {
            "KGSERVICE_WRITE_TOKEN": "writer",
            "KGSERVICE_REASONING": "off",
            "KGSERVICE_AUDIT_LOG": str(audit_log),
            "KGSERVICE_VALIDATE_WRITES": "none",
        }
    )
    client = create_app(settings, remote).test_client()
    facility = a_facility(remote)
    body = f"<{facility}> <{CITY}operator> <{MISSING}> .\n".encode()
    headers = {"Content-Type": "application/n-triples", **WRITER}
    assert client.post(f"/store?graph={FACILITIES}", data=body, headers=headers).status_code == 204
    assert f"<{facility}> <{CITY}operator> <{MISSING}> <{FACILITIES}>" in everything(remote)
    line = last_audit(audit_log)
    assert line["validated"] is False and line["graphs"] == {FACILITIES: {"added": 1, "removed": 0}}
