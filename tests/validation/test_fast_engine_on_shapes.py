"""The fast engine on the project's shapes: every fixture gives exactly its expected findings,
and a generated city gives exactly the findings its manifest lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kgservice.generator import GeneratorConfig, generate_city
from kgservice.ontology.files import load_model
from kgservice.store.embedded import EmbeddedStore
from kgservice.validation.compile import SubclassIndex, compile_shapes
from kgservice.validation.engine import run_rules
from kgservice.validation.run import (
    build_store,
    load_rdf_file,
    load_shapes,
    validate,
)
from tests.shapes.support import COMMON, SHAPES_DIR, expected_findings, fixture_files

FIXTURES = fixture_files()


def fast_keys(store: EmbeddedStore) -> set[tuple[str, str, str]]:
    rules = compile_shapes(load_shapes(SHAPES_DIR), SubclassIndex.from_store(store))
    return {(f.focus, f.shape, f.component) for f in run_rules(store, rules)}


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixture(path: Path) -> None:
    store = build_store([COMMON], load_model(), None)
    load_rdf_file(store, path)
    assert fast_keys(store) == expected_findings(path)


def test_generated_city_findings_equal_its_manifest(tmp_path: Path) -> None:
    city = tmp_path / "city"
    generate_city(GeneratorConfig(people=400, seed=11, bad_share=0.03), city)
    manifest = json.loads((city / "manifest.json").read_text(encoding="utf-8"))
    expected = {
        (f["focus"], f["shape"], f["component"], f["severity"])
        for record in manifest["bad_records"]
        for f in record["findings"]
    }
    assert {record["kind"] for record in manifest["bad_records"]} >= {
        "citizen-id-check-character",
        "duplicate-citizen-id",
        "dangling-legal-representative",
        "township-under-wrong-county",
        "impossible-birth-date",
    }
    result = validate([city])
    assert {f.key for f in result.findings} == expected
    located = [f for f in result.findings if f.source is not None]
    assert located, "findings on mapped records name their file and line"
    assert all(f.source.file.endswith(".csv") and f.source.line for f in located)
