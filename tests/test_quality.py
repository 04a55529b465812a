"""``graph:quality``: the store's findings as a SHACL report, with no raw personal value."""

from __future__ import annotations

import datetime
import json

import pyoxigraph as ox
import pytest

from kgservice.generator import GeneratorConfig, generate_city
from kgservice.loading import ensure_ontology, load_sources
from kgservice.privacy import is_personal_graph
from kgservice.quality import (
    QUALITY_GRAPH,
    REPORT_PREDICATES,
    REPORT_STATE_PREDICATES,
    refresh_quality,
)
from kgservice.store.embedded import EmbeddedStore, open_embedded

SH = "http://www.w3.org/ns/shacl#"
AT = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[EmbeddedStore, dict]:
    folder = tmp_path_factory.mktemp("quality") / "city"
    generate_city(GeneratorConfig(people=300, seed=4, bad_share=0.02), folder)
    store = open_embedded(None)
    ensure_ontology(store)
    load_sources(store, [folder])
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return store, manifest


def findings(store: EmbeddedStore) -> set[tuple[str, str, str, str]]:
    query = f"""SELECT ?focus ?shape ?component ?severity WHERE {{
      GRAPH <{QUALITY_GRAPH.value}> {{
        ?report a <{SH}ValidationReport> ; <{SH}result> ?r .
        ?r a <{SH}ValidationResult> ; <{SH}focusNode> ?focus ; <{SH}sourceShape> ?shape ;
           <{SH}sourceConstraintComponent> ?component ; <{SH}resultSeverity> ?severity .
      }} }}"""
    return {tuple(term.value for term in row) for row in store.oxigraph.query(query)}


def test_the_report_holds_exactly_the_manifest_findings(city) -> None:
    store, manifest = city
    count = refresh_quality(store, AT)
    expected = {
        (f["focus"], f["shape"], f["component"], f["severity"])
        for record in manifest["bad_records"]
        for f in record["findings"]
    }
    assert findings(store) == expected
    assert count == len(expected)
    stamp = next(
        iter(
            store.oxigraph.quads_for_pattern(
                None, ox.NamedNode("http://www.w3.org/ns/prov#generatedAtTime"), None, QUALITY_GRAPH
            )
        )
    )
    assert stamp.object.value == "2026-01-02T03:04:05Z"  # Oxigraph canonical form


def test_the_report_quotes_no_raw_personal_value(city) -> None:
    store, _ = city
    refresh_quality(store, AT)
    raw = {
        quad.object.value
        for quad in store.oxigraph.quads_for_pattern(None, None, None, None)
        if isinstance(quad.graph_name, ox.NamedNode)
        and is_personal_graph(quad.graph_name)
        and isinstance(quad.object, ox.Literal)
    }
    assert raw, "the city has personal data"
    quoted = [
        quad.object.value
        for quad in store.oxigraph.quads_for_pattern(None, None, None, QUALITY_GRAPH)
        if isinstance(quad.object, ox.Literal)
    ]
    leaks = [value for value in raw for text in quoted if value in text]
    assert not leaks
    # the messages still say what is wrong: a checksum finding names the expected character
    messages = [text for text in quoted if "GB 11643" in text or "校验" in text]
    assert messages


def test_refreshing_replaces_the_graph(city) -> None:
    store, _ = city
    refresh_quality(store, AT)
    before = sum(1 for _ in store.oxigraph.quads_for_pattern(None, None, None, QUALITY_GRAPH))
    refresh_quality(store, AT)
    after = sum(1 for _ in store.oxigraph.quads_for_pattern(None, None, None, QUALITY_GRAPH))
    assert before == after > 0


def test_every_predicate_of_the_report_is_declared(city) -> None:
    """What a write of graph:quality may touch (kept answers rely on it) is every predicate
    the report holds."""
    store, _ = city
    held = {
        quad.predicate.value
        for quad in store.oxigraph.quads_for_pattern(None, None, None, QUALITY_GRAPH)
    }
    assert held and held <= REPORT_PREDICATES
    assert REPORT_STATE_PREDICATES < REPORT_PREDICATES
