"""The named SPARQL QC checks: the model passes each; each catches its own broken fixture."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from kgservice.ontology import qc
from tests.conftest import DATA, ROOT

CHECKS = qc.qc_files(ROOT / "ontology" / "sparql")
BROKEN = {
    "label-language": "https://w3id.org/sckm/city/Broken",
    "label-untagged": "https://w3id.org/sckm/city/Broken",
    "definition": "https://w3id.org/sckm/city/Broken",
    "source-missing": "https://w3id.org/sckm/city/Broken",
    "defined-by": "https://w3id.org/sckm/city/Broken",
    "undeclared-term": "https://w3id.org/sckm/city/Broken",
    "concept-notation": "https://w3id.org/sckm/codes/broken",
    "inverse-missing": "https://w3id.org/sckm/core/broken",
    "domain-range": "https://w3id.org/sckm/city/broken",
    "ontology-header": "https://w3id.org/sckm/broken",
}


def check_name(path: Path) -> str:
    return path.name.removesuffix(qc.SUFFIX)


def test_every_check_has_a_broken_fixture() -> None:
    assert sorted(map(check_name, CHECKS)) == sorted(BROKEN)


@pytest.mark.parametrize("path", CHECKS, ids=check_name)
def test_model_passes(model: Graph, path: Path) -> None:
    result = qc.run_check(model, path)
    assert result.description, "each check file starts with a comment describing its rule"
    assert result.rows == []


@pytest.mark.parametrize("path", CHECKS, ids=check_name)
def test_check_catches_its_fixture(path: Path) -> None:
    name = check_name(path)
    graph = Graph().parse(DATA / "qc" / f"{name}.ttl")
    result = qc.run_check(graph, path)
    assert not result.passed
    assert BROKEN[name] in {value for row in result.rows for value in row.values()}
