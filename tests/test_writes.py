"""Validated, atomic, audited writes (kgservice/writes.py) over a small generated city.

Every test gets its own in-memory copy of one loaded city (200 people, 5 % bad records, so the
store has findings before any write) and the real app over it.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import PROV, SH

from kgservice.audit import audit_path, fingerprint
from kgservice.iri import graph_iri
from kgservice.privacy import mask_citizen_id, mask_phone, personal_graph
from kgservice.quality import validate_store
from kgservice.settings import SettingsError, load_settings
from kgservice.store.embedded import EmbeddedStore
from kgservice.web.app import create_app
from tests.cities import copy_of, loaded_city

CITY = "https://w3id.org/sckm/city/"
SHAPES = "https://w3id.org/sckm/shapes/"
COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
WRITE_TOKEN = "writer-token-1"
READER_TOKEN = "reader-token-1"
WRITER = {"Authorization": f"Bearer {WRITE_TOKEN}"}
READER = {"Authorization": f"Bearer {READER_TOKEN}"}
UPDATE = {"Content-Type": "application/sparql-update", **WRITER}
NTRIPLES = {"Content-Type": "application/n-triples", **WRITER}
POPULATION = str(graph_iri("population"))
ENTITIES = str(graph_iri("legal-entities"))
FACILITIES = str(graph_iri("facilities"))


@pytest.fixture(scope="module")
def city() -> EmbeddedStore:
    return loaded_city(people=200, seed=11, bad_share=0.05)


@pytest.fixture
def store(city: EmbeddedStore) -> EmbeddedStore:
    return copy_of(city)


@pytest.fixture
def audit_log(tmp_path: Path) -> Path:
    return tmp_path / "audit.jsonl"


def client_for(store: EmbeddedStore, audit_log: Path, **env: str) -> FlaskClient:
    settings = load_settings(
        {
            "KGSERVICE_WRITE_TOKEN": WRITE_TOKEN,
            "KGSERVICE_PERSONAL_DATA_TOKEN": READER_TOKEN,
            "KGSERVICE_REASONING": "off",
            "KGSERVICE_AUDIT_LOG": str(audit_log),
            **env,
        }
    )
    return create_app(settings, store).test_client()


@pytest.fixture
def client(store: EmbeddedStore, audit_log: Path) -> FlaskClient:
    return client_for(store, audit_log)


def quads(store: EmbeddedStore) -> set[ox.Quad]:
    return set(store.oxigraph)


def audit_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def one(store: EmbeddedStore, query: str) -> dict[str, str]:
    row = next(store.select(query))
    return {name: term.value for name, term in row.items()}


def a_person(store: EmbeddedStore) -> str:
    """A person of the population graph without findings of its own."""
    flagged = {f.focus for f in validate_store(store)}
    for row in store.select(
        f"SELECT ?p WHERE {{ GRAPH <{POPULATION}> {{ ?p a <{CITY}NaturalPerson> }} }}"
    ):
        if row["p"].value not in flagged:
            return row["p"].value
    raise AssertionError("no person without findings")


def update(client: FlaskClient, text: str, headers: dict[str, str] | None = None):
    return client.post("/sparql", data=text.encode(), headers={**UPDATE, **(headers or {})})


def select_values(client: FlaskClient, query: str, headers: dict[str, str] | None = None) -> set:
    response = client.get(
        "/sparql",
        query_string={"query": query},
        headers={"Accept": "application/sparql-results+json", **(headers or {})},
    )
    assert response.status_code == 200, response.text
    return {b["v"]["value"] for b in response.get_json()["results"]["bindings"] if "v" in b}


# --- conforming writes commit, and are logged ----------------------------------------------


def test_the_city_has_findings_before_any_write(store: EmbeddedStore) -> None:
    assert validate_store(store)  # so every conforming write below passes despite them


def test_a_conforming_update_commits_and_is_logged(client, store, audit_log) -> None:
    person = a_person(store)
    response = update(
        client,
        f'INSERT DATA {{ GRAPH <{POPULATION}> {{ <{person}> <{COMMENT}> "checked" }} }}',
    )
    assert response.status_code == 204, response.text
    assert ox.Quad(
        ox.NamedNode(person), ox.NamedNode(COMMENT), ox.Literal("checked"), ox.NamedNode(POPULATION)
    ) in quads(store)
    (line,) = audit_lines(audit_log)
    assert line["status"] == "committed" and line["validated"] is True
    assert line["operation"] == "POST /sparql"
    assert line["graphs"] == {POPULATION: {"added": 1, "removed": 0}}
    assert (line["added"], line["removed"]) == (1, 0)
    assert line["who"] == {"role": "writer", "token_sha256": fingerprint(WRITE_TOKEN)}


def test_a_conforming_graph_store_put_and_post_commit_and_are_logged(client, audit_log) -> None:
    graph = "http://example.org/graph/notes"
    body = b'<http://example.org/a> <http://example.org/says> "one" .\n'
    assert client.put(f"/store?graph={graph}", data=body, headers=NTRIPLES).status_code == 201
    more = b'<http://example.org/a> <http://example.org/says> "two" .\n'
    assert client.post(f"/store?graph={graph}", data=more, headers=NTRIPLES).status_code == 204
    assert client.put(f"/store?graph={graph}", data=more, headers=NTRIPLES).status_code == 204
    assert client.delete(f"/store?graph={graph}", headers=WRITER).status_code == 204
    lines = audit_lines(audit_log)
    assert [(x["operation"], x["added"], x["removed"]) for x in lines] == [
        ("PUT /store", 1, 0),
        ("POST /store", 1, 0),
        ("PUT /store", 0, 1),  # "two" was there already
        ("DELETE /store", 0, 1),
    ]
    assert all(x["status"] == "committed" for x in lines)


# --- non-conforming writes: 422, the report, the store unchanged -------------------------


def _refused(client, store, audit_log, send, shape: str, focus: str):
    before = quads(store)
    response = send(client)
    assert response.status_code == 422, response.text
    assert quads(store) == before
    report = response.get_json()
    assert report["conforms"] is False
    assert any(f["shape"] == SHAPES + shape and f["focus"] == focus for f in report["findings"])
    turtle = send(client, {"Accept": "text/turtle"})
    assert turtle.status_code == 422
    assert turtle.content_type.startswith("text/turtle")
    graph = Graph().parse(data=turtle.text, format="turtle")
    assert (None, SH.sourceShape, None) in graph
    shapes = {str(o) for o in graph.objects(None, SH.sourceShape)}
    assert SHAPES + shape in shapes
    assert focus in {str(o) for o in graph.objects(None, SH.focusNode)}
    assert quads(store) == before
    line = audit_lines(audit_log)[-1]
    assert line["status"] == "refused" and line["http_status"] == 422 and line["findings"] > 0
    return report, turtle.text


def test_an_update_with_a_bad_citizen_id_check_digit_is_refused(client, store, audit_log) -> None:
    person = a_person(store)
    private = personal_graph(POPULATION)
    good = one(
        store, f"SELECT ?v WHERE {{ GRAPH <{private}> {{ <{person}> <{CITY}citizenId> ?v }} }}"
    )
    raw = good["v"]
    bad = raw[:-1] + ("0" if raw[-1] != "0" else "1")
    slot = f"<{person}> <{CITY}citizenId>"
    text = (
        f"DELETE DATA {{ GRAPH <{private}> {{ {slot} {json.dumps(raw)} }} }} ;"
        f"INSERT DATA {{ GRAPH <{private}> {{ {slot} {json.dumps(bad)} }} }}"
    )
    report, turtle = _refused(
        client,
        store,
        audit_log,
        lambda c, h=None: update(c, text, h),
        "NaturalPerson-citizenId-checksum",
        person,
    )
    assert bad not in json.dumps(report, ensure_ascii=False) and bad not in turtle  # masked


def test_a_graph_store_post_with_a_bad_credit_code_is_refused(client, store, audit_log) -> None:
    row = one(store, f"SELECT ?e ?c WHERE {{ GRAPH <{ENTITIES}> {{ ?e <{CITY}creditCode> ?c }} }}")
    code = row["c"]
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    body = f'<{row["e"]}> <{CITY}creditCode> "{bad}" .\n'.encode()
    _refused(
        client,
        store,
        audit_log,
        lambda c, h=None: c.post(
            f"/store?graph={ENTITIES}", data=body, headers={**NTRIPLES, **(h or {})}
        ),
        "LegalEntity-creditCode",  # now two codes: maxCount
        row["e"],
    )


def test_a_dangling_reference_is_refused(client, store, audit_log) -> None:
    row = one(
        store,
        f"SELECT ?f ?o WHERE {{ GRAPH <{FACILITIES}> {{ ?f <{CITY}operator> ?o }} }}",
    )
    missing = "https://w3id.org/sckm/id/entity/NO-SUCH-ENTITY"
    text = (
        f"DELETE DATA {{ GRAPH <{FACILITIES}> {{ <{row['f']}> <{CITY}operator> <{row['o']}> }} }} ;"
        f"INSERT DATA {{ GRAPH <{FACILITIES}> {{ <{row['f']}> <{CITY}operator> <{missing}> }} }}"
    )
    _refused(
        client,
        store,
        audit_log,
        lambda c, h=None: update(c, text, h),
        "Facility-operator",
        row["f"],
    )


def test_with_validation_off_for_the_graph_the_write_commits(store, audit_log) -> None:
    client = client_for(
        store, audit_log, KGSERVICE_VALIDATE_WRITES=f"{FACILITIES}, http://example.org/other"
    )
    row = one(store, f"SELECT ?f WHERE {{ GRAPH <{FACILITIES}> {{ ?f <{CITY}operator> ?o }} }}")
    missing = "https://w3id.org/sckm/id/entity/NO-SUCH-ENTITY"
    text = f"INSERT DATA {{ GRAPH <{FACILITIES}> {{ <{row['f']}> <{CITY}operator> <{missing}> }} }}"
    assert update(client, text).status_code == 204
    assert audit_lines(audit_log)[-1]["validated"] is False


def test_validation_none_switches_every_graph_off(store, audit_log) -> None:
    client = client_for(store, audit_log, KGSERVICE_VALIDATE_WRITES="none")
    text = (
        f"INSERT DATA {{ GRAPH <{ENTITIES}> {{ <http://example.org/x> a <{CITY}LegalEntity> }} }}"
    )
    assert update(client, text).status_code == 204


# --- personal data written through the service --------------------------------------------


def _sees(client: FlaskClient, person: str, prop: str, headers=None) -> set:
    return select_values(client, f"SELECT ?v WHERE {{ <{person}> <{CITY}{prop}> ?v }}", headers)


def test_a_personal_property_written_by_update_is_masked_for_anonymous_readers(
    client, store
) -> None:
    person = a_person(store)
    phone = "13912345678"
    text = f'INSERT DATA {{ GRAPH <{POPULATION}> {{ <{person}> <{CITY}phone> "{phone}" }} }}'
    assert update(client, text).status_code == 204, update(client, text).text
    assert phone not in _sees(client, person, "phone")
    assert mask_phone(phone) in _sees(client, person, "phone")
    assert phone in _sees(client, person, "phone", READER)
    stored = {
        (q.object.value, q.graph_name.value)
        for q in store.oxigraph.quads_for_pattern(
            ox.NamedNode(person), ox.NamedNode(CITY + "phone"), None
        )
    }
    assert (phone, personal_graph(POPULATION)) in stored
    assert (phone, POPULATION) not in stored
    removal = f"DELETE WHERE {{ GRAPH <{POPULATION}> {{ <{person}> <{CITY}phone> ?v }} }}"
    assert update(client, removal).status_code == 204
    assert phone not in _sees(client, person, "phone", READER)  # the raw value went too


def test_a_raw_value_that_equals_its_own_mask_is_shown_as_its_mask(client, store) -> None:
    person, name = "https://w3id.org/sckm/id/person/new", "李*"  # mask_name("李*") == "李*"
    text = f'INSERT DATA {{ GRAPH <{POPULATION}> {{ <{person}> <{CITY}personName> "{name}" }} }}'
    assert update(client, text).status_code == 204
    assert name in _sees(client, person, "personName")
    assert name in _sees(client, person, "personName", READER)


def test_a_personal_property_written_by_put_is_masked_for_anonymous_readers(client, store) -> None:
    person, source = a_person(store), str(graph_iri("registry"))
    phone = "13712345678"
    body = f'<{person}> <{CITY}phone> "{phone}" .\n'.encode()
    response = client.put(f"/store?graph={source}", data=body, headers=NTRIPLES)
    assert response.status_code == 201, response.text
    assert _sees(client, person, "phone") >= {mask_phone(phone)}
    assert phone not in _sees(client, person, "phone")
    assert phone in _sees(client, person, "phone", READER)
    public = client.get(f"/store?graph={source}", headers={"Accept": "application/n-triples"})
    assert mask_phone(phone) in public.text and phone not in public.text
    hidden = client.get(f"/store?graph={personal_graph(source)}")
    assert hidden.status_code == 404
    emptied = client.put(f"/store?graph={source}", data=b"", headers=NTRIPLES)
    assert emptied.status_code == 204
    assert phone not in _sees(client, person, "phone", READER)  # PUT replaced both graphs
    assert mask_citizen_id("371302199001011234") == "3713**************"


def test_a_personal_property_in_a_non_source_graph_is_refused(client, store) -> None:
    before = quads(store)
    body = f'<http://example.org/p> <{CITY}phone> "13912345678" .\n'.encode()
    response = client.put("/store?graph=http://example.org/graph/x", data=body, headers=NTRIPLES)
    assert response.status_code == 409
    assert quads(store) == before


# --- derived graphs, the audit log, the settings ------------------------------------------


@pytest.mark.parametrize("graph", ["inferred", "quality"])
def test_adding_to_a_derived_graph_is_refused(client, store, audit_log, graph) -> None:
    before = quads(store)
    body = b"<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n"
    iri = str(graph_iri(graph))
    assert client.post(f"/store?graph={iri}", data=body, headers=NTRIPLES).status_code == 409
    insert = (
        f"INSERT DATA {{ GRAPH <{iri}> {{ <http://example.org/a> <http://example.org/b> 1 }} }}"
    )
    assert update(client, insert).status_code == 409
    assert quads(store) == before
    assert [x["http_status"] for x in audit_lines(audit_log)] == [409, 409]


def test_removing_a_derived_graph_is_allowed(client, store) -> None:
    iri = str(graph_iri("quality"))
    assert store.has_graph(ox.NamedNode(iri))
    assert update(client, f"DROP GRAPH <{iri}>").status_code == 204
    assert not store.has_graph(ox.NamedNode(iri))


def test_drop_all_empties_the_store(client, store) -> None:
    assert update(client, "DROP ALL").status_code == 204
    assert quads(store) == set()


def test_the_audit_log_is_json_lines_without_the_token(client, store, audit_log) -> None:
    person = a_person(store)
    update(client, f'INSERT DATA {{ GRAPH <{POPULATION}> {{ <{person}> <{COMMENT}> "a" }} }}')
    update(client, f"INSERT DATA {{ GRAPH <{ENTITIES}> {{ <{person}> a <{CITY}LegalEntity> }} }}")
    text = audit_log.read_text(encoding="utf-8")
    assert WRITE_TOKEN not in text
    lines = audit_lines(audit_log)
    assert [x["status"] for x in lines] == ["committed", "refused"]
    for line in lines:
        assert set(line) >= {"time", "who", "operation", "graphs", "added", "removed", "status"}


def test_an_empty_update_commits_nothing_and_is_logged(client, store, audit_log) -> None:
    before = quads(store)
    assert (
        update(
            client, "DELETE DATA { <http://example.org/none> <http://example.org/p> 1 }"
        ).status_code
        == 204
    )
    assert quads(store) == before
    assert audit_lines(audit_log)[-1]["added"] == 0


def test_the_validate_writes_setting() -> None:
    assert load_settings({}).validate_writes == ()
    assert load_settings({"KGSERVICE_VALIDATE_WRITES": "none"}).validate_writes == ("*",)
    value = "default, https://w3id.org/sckm/graph/x"
    assert load_settings({"KGSERVICE_VALIDATE_WRITES": value}).validate_writes == (
        "default",
        "https://w3id.org/sckm/graph/x",
    )
    with pytest.raises(SettingsError, match="KGSERVICE_VALIDATE_WRITES"):
        load_settings({"KGSERVICE_VALIDATE_WRITES": "population"})


# --- a real `kgservice serve`: the audit log's default place, a refusal over HTTP -----------


def test_serve_validates_writes_and_logs_beside_the_store(tmp_path: Path) -> None:
    import requests

    from tests.servers import KGServiceServer as Server

    # A write copies and validates the store: give it more than Server's 2 s on a busy machine.
    server = Server(
        tmp_path / "store",
        {"KGSERVICE_WRITE_TOKEN": WRITE_TOKEN, "KGSERVICE_QUERY_TIMEOUT": "60"},
    )
    try:
        headers = {"Content-Type": "application/sparql-update", **WRITER}
        entity = f"<http://example.org/x> a <{CITY}LegalEntity>"  # no code, no name: findings
        bad = f"INSERT DATA {{ GRAPH <{ENTITIES}> {{ {entity} }} }}"
        refused = requests.post(server.url + "/sparql", data=bad, headers=headers, timeout=60)
        assert refused.status_code == 422
        assert refused.headers["Content-Type"].startswith("application/json")
        assert refused.json()["findings"]
        good = f'INSERT DATA {{ GRAPH <{ENTITIES}> {{ <http://example.org/x> <{COMMENT}> "x" }} }}'
        committed = requests.post(server.url + "/sparql", data=good, headers=headers, timeout=60)
        assert committed.status_code == 204
    finally:
        server.stop()
    lines = audit_lines(tmp_path / "audit.jsonl")  # KGSERVICE_AUDIT_LOG empty: beside the store
    assert [(x["status"], x["added"]) for x in lines] == [("refused", 1), ("committed", 1)]


def test_graphs_with_blank_nodes_are_rewritten_whole(client, store) -> None:
    graph = "http://example.org/graph/blank"
    ex = "http://example.org/"
    body = f'_:a <{ex}p> _:b .\n_:b <{ex}q> "x" .\n'.encode()
    assert client.put(f"/store?graph={graph}", data=body, headers=NTRIPLES).status_code == 201
    removal = f"DELETE WHERE {{ GRAPH <{graph}> {{ ?b <{ex}q> ?x }} }}"
    assert update(client, removal).status_code == 204
    (left,) = store.oxigraph.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    assert left.predicate.value == ex + "p" and isinstance(left.object, ox.BlankNode)
    again = f'_:c <{ex}r> "1" .\n'.encode()
    assert client.put(f"/store?graph={graph}", data=again, headers=NTRIPLES).status_code == 204
    (only,) = store.oxigraph.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    assert only.predicate.value == ex + "r"


def test_the_audit_log_goes_beside_the_store_unless_set() -> None:
    assert audit_path("", Path("var/store")) == Path("var/audit.jsonl")
    assert audit_path("/srv/log/writes.jsonl", Path("var/store")) == Path("/srv/log/writes.jsonl")
    assert audit_path("off", Path("var/store")) is None


def test_writes_refused_before_the_pipeline_are_logged_once(client, store, audit_log) -> None:
    """No token, a wrong token, an upload that does not parse, a missing graph to delete: each
    is one "refused" line with the role the request had; a write the pipeline refused is not
    logged twice."""
    no_token = {"Content-Type": "application/sparql-update"}
    assert client.post("/sparql", data=b"CLEAR ALL", headers=no_token).status_code == 401
    wrong = {**no_token, "Authorization": "Bearer not-the-token"}
    assert client.post("/sparql", data=b"CLEAR ALL", headers=wrong).status_code == 401
    broken = {**WRITER, "Content-Type": "text/turtle"}
    put = client.put(f"/store?graph={ENTITIES}", data=b"<http://ex", headers=broken)
    assert put.status_code == 400
    missing = client.delete("/store?graph=http://example.org/none", headers=WRITER)
    assert missing.status_code == 404
    graph = "http://example.org/graph/elsewhere"
    personal = f'INSERT DATA {{ GRAPH <{graph}> {{ <urn:p> <{CITY}citizenId> "x" }} }}'
    assert update(client, personal).status_code == 409  # refused by the pipeline itself
    lines = audit_lines(audit_log)
    assert [(x["status"], x["http_status"], x["who"]["role"]) for x in lines] == [
        ("refused", 401, "anonymous"),
        ("refused", 401, "unknown token"),
        ("refused", 400, "writer"),
        ("refused", 404, "writer"),
        ("refused", 409, "writer"),
    ]
    assert [x["operation"] for x in lines[:4]] == [
        "POST /sparql",
        "POST /sparql",
        "PUT /store",
        "DELETE /store",
    ]
    assert "not-the-token" not in audit_log.read_text(encoding="utf-8")


# --- graph:quality follows writes; the findings before a write are remembered -----------------

SH_RESULT = "http://www.w3.org/ns/shacl#result"
SH_FOCUS = "http://www.w3.org/ns/shacl#focusNode"
QUALITY = str(graph_iri("quality"))


def quality_focus_nodes(store: EmbeddedStore) -> list[str]:
    rows = store.select(
        f"SELECT ?f WHERE {{ GRAPH <{QUALITY}> {{ ?r <{SH_FOCUS}> ?f }} }}",
        union_default_graph=False,
    )
    return sorted(row["f"].value for row in rows)


def unreferenced_focus(store: EmbeddedStore) -> str:
    """The focus node of a finding that nothing refers to: removing it fixes its findings and
    makes no new one."""
    for finding in validate_store(store):
        focus = finding.focus
        derived = f"<{QUALITY}>, <{graph_iri('inferred')}>"
        referenced = f"ASK {{ GRAPH ?g {{ ?x ?p <{focus}> }} FILTER(?g NOT IN ({derived})) }}"
        if focus.startswith("https://") and not store.ask(referenced, union_default_graph=False):
            return focus
    raise AssertionError("every focus node is referenced")


def test_graph_quality_follows_a_validated_write(client, store) -> None:
    """A conforming write that removes a flagged record commits with a new graph:quality in
    the same transaction: the findings of the store as the write left it."""
    focus = unreferenced_focus(store)
    assert focus in quality_focus_nodes(store)
    removal = f"DELETE WHERE {{ GRAPH ?g {{ <{focus}> ?p ?o }} }}"
    assert update(client, removal).status_code == 204
    after = quality_focus_nodes(store)
    assert focus not in after
    assert after == sorted(f.focus for f in validate_store(store))


def quality_report(store: EmbeddedStore) -> Graph:
    """graph:quality as an rdflib graph, without the time it was made."""
    data = store.oxigraph.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(QUALITY))
    report = Graph().parse(data=data, format="nt")
    report.remove((None, PROV.generatedAtTime, None))
    return report


def test_a_write_is_validated_on_the_nodes_it_concerns(client, store, caplog) -> None:
    """Removing a flagged record is validated on the nodes the removal concerns, not the whole
    city; graph:quality afterwards is the report a whole validation writes."""
    from kgservice.quality import refresh_quality

    focus = unreferenced_focus(store)
    removal = f"DELETE WHERE {{ GRAPH ?g {{ <{focus}> ?p ?o }} }}"
    with caplog.at_level(logging.INFO, logger="kgservice.write_validation"):
        assert update(client, removal).status_code == 204
    assert re.search(r"validated the write on [1-9][0-9]* focus node", caplog.text), caplog.text
    patched = quality_report(store)
    assert (None, SH.focusNode, URIRef(focus)) not in patched
    refresh_quality(store)
    assert isomorphic(patched, quality_report(store))


@pytest.mark.parametrize("apart", [False, True], ids=["shared", "apart"])
def test_a_division_code_restored_clears_the_county_warnings(
    client, store, caplog, monkeypatch, apart: bool
) -> None:
    """The county rules read division codes through a computed IRI: a write of a code is
    followed back to the IDs that hold it, and graph:quality loses the warnings the code's
    absence gave (as a whole refresh of the report finds). With more holders than the rules
    share (``apart``), the county rules run apart on them and the report is patched the same."""
    from kgservice.quality import refresh_quality
    from kgservice.validation import local

    if apart:
        monkeypatch.setattr(local, "MAX_FOCUS", 5)

    code = next(
        q
        for q in store.oxigraph.quads_for_pattern(None, ox.NamedNode(f"{CITY}divisionCode"), None)
        if q.object.value == "371302"
    )
    store.oxigraph.remove(code)  # outside the service: people's IDs name an unknown county
    refresh_quality(store)
    county = URIRef(f"{SHAPES}NaturalPerson-citizenId-county")
    assert (None, SH.sourceShape, county) in quality_report(store)
    triple = f"{code.subject} <{CITY}divisionCode> {code.object}"
    restore = f"INSERT DATA {{ GRAPH <{code.graph_name.value}> {{ {triple} }} }}"
    with caplog.at_level(logging.INFO, logger="kgservice.write_validation"):
        assert update(client, restore).status_code == 204
    assert "validated the write on" in caplog.text and "whole city" not in caplog.text
    assert ("run apart" in caplog.text) == apart
    patched = quality_report(store)
    assert (None, SH.sourceShape, county) not in patched
    refresh_quality(store)
    assert isomorphic(patched, quality_report(store))


def test_a_write_refused_on_the_nodes_it_concerns(client, store, caplog) -> None:
    """A second, empty name for a person: refused, validated on that person alone."""
    person = a_person(store)
    name = f'INSERT DATA {{ GRAPH <{POPULATION}> {{ <{person}> <{CITY}personName> "" }} }}'
    with caplog.at_level(logging.INFO, logger="kgservice.write_validation"):
        response = update(client, name, {"Accept": "application/json"})
    assert response.status_code == 422, response.text
    assert "validated the write on 1 focus node" in caplog.text
    shapes = {f["shape"].rsplit("/", 1)[-1] for f in response.get_json()["findings"]}
    assert "NaturalPerson-personName" in shapes


def test_a_write_that_removes_graph_quality_is_not_given_a_new_one(client, store) -> None:
    update(client, f"DROP GRAPH <{QUALITY}>")
    person = a_person(store)
    note = f'INSERT DATA {{ GRAPH <{POPULATION}> {{ <{person}> <{COMMENT}> "x" }} }}'
    assert update(client, note).status_code == 204
    assert not store.has_graph(ox.NamedNode(QUALITY))  # only `kgservice load` makes one


def test_the_findings_before_a_write_are_those_the_previous_write_left(client, store) -> None:
    """A write validated whole (here: one to the ontology graph) runs the shapes once:
    "before" is remembered from the write before, unless the data changed another way since;
    a change the service did not make is seen."""
    from kgservice.loading import ONTOLOGY_GRAPH
    from kgservice.validation.dataset import FINDINGS

    person = a_person(store)

    def note(text: str) -> int:
        body = f'INSERT DATA {{ GRAPH <{ONTOLOGY_GRAPH}> {{ <{person}> <{COMMENT}> "{text}" }} }}'
        return update(client, body).status_code

    assert note("one") == 204
    hits, misses = FINDINGS.hits, FINDINGS.misses
    assert note("two") == 204
    assert (FINDINGS.hits, FINDINGS.misses) == (hits + 1, misses)
    # Outside the service: a facility gets an operator without a record (a dangling reference).
    row = one(store, f"SELECT ?f WHERE {{ GRAPH <{FACILITIES}> {{ ?f <{CITY}operator> ?o }} }}")
    missing = "https://w3id.org/sckm/id/entity/NO-SUCH-ENTITY"
    store.update(
        f"INSERT DATA {{ GRAPH <{FACILITIES}> {{ <{row['f']}> <{CITY}operator> <{missing}> }} }}"
    )
    assert note("three") == 204  # the dangling reference was there before: it does not block
    assert (FINDINGS.hits, FINDINGS.misses) == (hits + 1, misses + 1)
    assert quality_focus_nodes(store) == sorted(f.focus for f in validate_store(store))


def test_an_upload_s_new_blank_nodes_go_in_without_rewriting_the_graph(store) -> None:
    from kgservice.writes import delta_update, post_delta, update_delta

    graph = ox.NamedNode(POPULATION)
    blank = ox.BlankNode()
    upload = [ox.Triple(blank, ox.NamedNode(COMMENT), ox.Literal("new"))]
    text = delta_update(post_delta(store, graph, upload), store)
    assert text.startswith("INSERT DATA") and "DROP" not in text
    store.update(text)
    # An update that adds to a blank node the store has: the graph is rewritten whole.
    add = (
        f'INSERT {{ GRAPH <{POPULATION}> {{ ?b <{COMMENT}> "more" }} }} '
        f'WHERE {{ GRAPH <{POPULATION}> {{ ?b <{COMMENT}> "new" }} }}'
    )
    delta = update_delta(store, lambda copy: copy.update(add))
    text = delta_update(delta, store)
    assert f"DROP SILENT GRAPH <{POPULATION}>" in text
    store.update(text)
    (node,) = {
        q.subject
        for q in store.oxigraph.quads_for_pattern(None, None, None, graph)
        if q.predicate.value == COMMENT
    }
    values = {q.object.value for q in store.oxigraph.quads_for_pattern(node, None, None, graph)}
    assert values == {"new", "more"}


def test_a_write_that_changes_no_finding_leaves_the_results_and_the_kept_answers(
    store, audit_log, caplog
) -> None:
    """A conforming write that changes no finding (a facility's status, to another in the code
    list) restates only the report's conformance and time in graph:quality; an answer kept
    before it, of a query that reads neither the status nor the report, is given again without
    being computed."""
    from kgservice.web.state import EXTENSION

    client = client_for(store, audit_log)
    answers = client.application.extensions[EXTENSION].answers
    answers.min_seconds = 0
    people = f"SELECT (COUNT(?p) AS ?n) WHERE {{ ?p a <{CITY}NaturalPerson> }}"
    first = client.get("/sparql", query_string={"query": people})
    flagged = {f.focus for f in validate_store(store)}
    facility = next(
        row["f"].value
        for row in store.select(
            f"SELECT ?f WHERE {{ GRAPH <{FACILITIES}> {{ ?f <{CITY}facilityStatus> ?s }} }}"
        )
        if row["f"].value not in flagged
    )
    status = "https://w3id.org/sckm/codes/facility-status-out-of-service"
    triple = f"<{facility}> <{CITY}facilityStatus>"
    change = (
        f"DELETE WHERE {{ GRAPH <{FACILITIES}> {{ {triple} ?s }} }} ;"
        f" INSERT DATA {{ GRAPH <{FACILITIES}> {{ {triple} <{status}> }} }}"
    )
    before = quality_report(store)
    with caplog.at_level(logging.INFO, logger="kgservice.write_validation"):
        assert update(client, change).status_code == 204
    assert re.search(r"validated the write on [1-9][0-9]* focus node", caplog.text), caplog.text
    assert isomorphic(quality_report(store), before)
    again = client.get("/sparql", query_string={"query": people})
    assert (again.data, answers.hits) == (first.data, 1)
