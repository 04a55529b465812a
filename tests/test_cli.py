"""The command line: ``kgservice ontology check`` and ``docs``, their output and exit codes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kgservice.cli import cli


@pytest.fixture(scope="module")
def clean_check(ontology_dir: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["ontology", "check", "--ontology-dir", str(ontology_dir)])
    return result.exit_code, result.output


def broken_copy(ontology_dir: Path, tmp_path: Path, module: str, old: str, new: str) -> Path:
    """Copy the ontology folder and replace ``old`` by ``new`` once in ``module``."""
    copy = tmp_path / "ontology"
    shutil.copytree(ontology_dir, copy)
    path = copy / module
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy


def test_check_passes_on_the_model(clean_check: tuple[int, str]) -> None:
    code, output = clean_check
    assert code == 0, output
    assert output.rstrip().endswith("clean")
    assert "FAIL" not in output


def counts_table(output: str) -> dict[str, str]:
    """The ``name  value`` rows printed before the step lines."""
    rows = [line.strip() for line in output.split("\n\n")[1].splitlines()]
    return dict(re.split(r"\s{2,}", row, maxsplit=1) for row in rows)


def test_check_prints_the_counts(clean_check: tuple[int, str]) -> None:
    table = counts_table(clean_check[1])
    assert table["core classes (SCCM concepts)"] == "27"
    assert table["OWL 2 DL profile violations"] == "0"
    assert table["label coverage @zh"].startswith("100% of ")
    assert table["label coverage @en"].startswith("100% of ")
    assert int(table["object properties"]) >= 62
    assert int(table["SKOS concepts"]) > 100


def test_check_json(ontology_dir: Path) -> None:
    result = CliRunner().invoke(
        cli, ["ontology", "check", "--ontology-dir", str(ontology_dir), "--json"]
    )
    report = json.loads(result.output)
    assert result.exit_code == 0
    assert report["passed"] is True
    assert report["stats"]["core_classes"] == 27
    assert report["profile_violations"] == 0
    assert [step["name"] for step in report["steps"]] == [
        "catalog",
        "parse and round trip",
        "QC SPARQL checks",
        "OWL API (Protégé's parser)",
        "DL reasoner",
    ]


def test_missing_label_fails_with_the_entity_named(ontology_dir: Path, tmp_path: Path) -> None:
    copy = broken_copy(ontology_dir, tmp_path, "core.ttl", '"建筑物"@zh , ', "")
    result = CliRunner().invoke(cli, ["ontology", "check", "--ontology-dir", str(copy)])
    assert result.exit_code == 1
    assert "FAIL  QC SPARQL checks" in result.output
    assert "label-language: entity=https://w3id.org/sckm/core/Building, lang=zh" in result.output


def test_absolute_catalog_path_fails(ontology_dir: Path, tmp_path: Path) -> None:
    copy = broken_copy(ontology_dir, tmp_path, "catalog-v001.xml", 'uri="core.ttl"', "")
    catalog = copy / "catalog-v001.xml"
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(
        text.replace(
            'name="https://w3id.org/sckm/core" ',
            f'name="https://w3id.org/sckm/core" uri="{copy}/core.ttl" ',
            1,
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["ontology", "check", "--ontology-dir", str(copy)])
    assert result.exit_code == 1
    assert "is not a relative path" in result.output


def test_syntax_error_names_file_and_line(ontology_dir: Path, tmp_path: Path) -> None:
    copy = broken_copy(ontology_dir, tmp_path, "city.ttl", "city:Facility\n", "city:Facility ;;\n")
    result = CliRunner().invoke(cli, ["ontology", "check", "--ontology-dir", str(copy)])
    assert result.exit_code == 1
    assert "city.ttl" in result.output
    assert "line" in result.output


def test_unknown_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["ontology", "check", "--ontology-dir", str(tmp_path / "x")])
    assert result.exit_code == 2


def test_folder_without_catalog_is_an_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KGSERVICE_ONTOLOGY_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["ontology", "check"])
    assert result.exit_code == 2
    assert "no catalog-v001.xml" in result.output


def test_console_script_runs() -> None:
    bin_dir = Path(sys.executable).parent
    done = subprocess.run([bin_dir / "kgservice", "--version"], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stdout.startswith("kgservice, version ")
