"""``kgservice validate --store``: a loaded store validates like the sources it came from."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kgservice.cli import cli
from kgservice.generator import GeneratorConfig, generate_city


def test_store_findings_equal_the_manifest(tmp_path: Path) -> None:
    city, store = tmp_path / "city", tmp_path / "store"
    generate_city(GeneratorConfig(people=300, seed=4, bad_share=0.02), city)
    assert CliRunner().invoke(cli, ["load", "--store", str(store), str(city)]).exit_code == 0
    result = CliRunner().invoke(cli, ["validate", "--store", str(store), "--format", "json"])
    assert result.exit_code == 1
    found = {
        (
            f["focus"],
            f["shape"],
            f["component"],
            f"http://www.w3.org/ns/shacl#{f['severity'].title()}",
        )
        for f in json.loads(result.output)["findings"]
    }
    manifest = json.loads((city / "manifest.json").read_text(encoding="utf-8"))
    expected = {
        (f["focus"], f["shape"], f["component"], f["severity"])
        for record in manifest["bad_records"]
        for f in record["findings"]
    }
    assert found == expected


def test_missing_store_is_an_input_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", "--store", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "no store here" in result.output
