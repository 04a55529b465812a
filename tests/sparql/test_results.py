"""The truncation note put into the engine's own serialisation of a capped result."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest

from kgservice.sparql.results import HeadEditingSink, Truncation, truncation_note

DATA = """
@prefix ex: <http://example.org/> .
ex:a ex:name "临沂市"@zh , "Linyi \\"city\\"\\n\\ttab, comma"@en ;
     ex:count 42 ; ex:day "2025-12-31"^^<http://www.w3.org/2001/XMLSchema#date> ;
     ex:knows [ ex:name "无名" ] ; ex:plain "plain <&> text" .
"""
# A variable named after the JSON member the note goes before, and one after the XML element.
QUERY = "SELECT ?results ?head ?o WHERE { ?results ?head ?o }"
NOTED = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
}
SPARQL_XML = "{http://www.w3.org/2005/sparql-results#}"


@pytest.fixture(scope="module")
def store() -> ox.Store:
    store = ox.Store()
    store.load(DATA, ox.RdfFormat.TURTLE)
    return store


def _noted(store: ox.Store, media_type: str, piece: int | None = None) -> bytes:
    """The engine's serialisation through the sink, written ``piece`` bytes at a time."""
    edit = truncation_note(media_type, Truncation(7))
    assert edit is not None
    out = io.BytesIO()
    sink = HeadEditingSink(out, edit)
    body = store.query(QUERY).serialize(format=NOTED[media_type])
    step = piece or len(body)
    for start in range(0, len(body), step):
        sink.write(body[start : start + step])
    sink.finish()
    return out.getvalue()


def _rows(data: bytes, fmt: ox.QueryResultsFormat) -> list[tuple[str, ...]]:
    solutions = ox.parse_query_results(data, fmt)
    names = [v.value for v in solutions.variables]
    return sorted(tuple(str(row[name]) for name in names) for row in solutions)


@pytest.mark.parametrize("media_type", list(NOTED))
def test_the_note_leaves_the_rows_as_the_engine_wrote_them(store, media_type: str) -> None:
    fmt = NOTED[media_type]
    plain = store.query(QUERY).serialize(format=fmt)
    noted = _noted(store, media_type)
    assert b"KGSERVICE_MAX_ROWS" in noted and b"KGSERVICE_MAX_ROWS" not in plain
    assert len(_rows(noted, fmt)) == 7
    assert _rows(noted, fmt) == _rows(plain, fmt)
    assert noted.endswith(plain[-200:])  # the rows pass through untouched


@pytest.mark.parametrize("media_type", list(NOTED))
def test_a_head_written_in_small_pieces_is_noted_once(store, media_type: str) -> None:
    whole = _noted(store, media_type)
    assert _noted(store, media_type, piece=3) == whole
    assert whole.count(b"KGSERVICE_MAX_ROWS") == 1


def test_json_says_the_limit_between_head_and_results(store) -> None:
    body = json.loads(_noted(store, "application/sparql-results+json"))
    assert list(body) == ["head", "truncated", "results"]
    assert body["head"]["vars"] == ["results", "head", "o"]
    assert body["truncated"]["limit"] == 7
    assert "LIMIT/OFFSET" in body["truncated"]["message"]


def test_xml_has_a_comment_and_a_link_in_its_head(store) -> None:
    body = _noted(store, "application/sparql-results+xml")
    assert b"<!-- truncated: The result was cut to its first 7 rows" in body
    head = ET.fromstring(body).find(f"{SPARQL_XML}head")
    assert [child.tag.removeprefix(SPARQL_XML) for child in head] == [
        "variable",
        "variable",
        "variable",
        "link",
    ]
    assert head[-1].attrib["href"] == "urn:kgservice:truncated"


def test_formats_without_room_get_no_edit() -> None:
    for media_type in ("text/csv", "text/tab-separated-values"):
        assert truncation_note(media_type, Truncation(1)) is None


def test_a_body_whose_head_never_ends_is_passed_on_as_it_is() -> None:
    edit = truncation_note("application/sparql-results+json", Truncation(1))
    out = io.BytesIO()
    sink = HeadEditingSink(out, edit)
    sink.write(b'{"head":{"vars":["a"')
    assert out.getvalue() == b""  # held until the head ends
    sink.finish()
    assert out.getvalue() == b'{"head":{"vars":["a"'
