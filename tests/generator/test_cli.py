"""The ``generate`` command: arguments, InputError for bad ones, and its output."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kgservice.errors import InputError
from kgservice.generator import FILES, GeneratorConfig
from kgservice.generator.cli import generate_command


def test_generate_writes_the_files(tmp_path: Path) -> None:
    out = tmp_path / "new" / "city"
    result = CliRunner().invoke(generate_command, ["--people", "100", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in out.iterdir()) == sorted(FILES)
    assert "legal entities" in result.output


def test_options_are_used(tmp_path: Path) -> None:
    args = ["--people", "200", "--seed", "9", "--bad-share", "0", "--out", str(tmp_path)]
    args += ["--entities-per-1000", "100", "--facilities-per-1000", "50"]
    result = CliRunner().invoke(generate_command, args)
    assert result.exit_code == 0, result.output
    lines = {name: (tmp_path / name).read_text(encoding="utf-8").count("\n") for name in FILES}
    assert lines["population.csv"] == 201
    assert lines["legal_entities.csv"] == 21
    assert lines["facilities.csv"] == 11
    assert '"bad_records": []' in (tmp_path / "manifest.json").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "extra",
    [
        ["--people", "0"],
        ["--people", "-5"],
        ["--people", "10", "--bad-share", "-0.1"],
        ["--people", "10", "--bad-share", "0.6"],
        ["--people", "10", "--bad-share", "nan"],
        ["--people", "10", "--entities-per-1000", "-1"],
        ["--people", "10", "--entities-per-1000", "0"],
    ],
)
def test_bad_arguments_raise_input_error(tmp_path: Path, extra: list[str]) -> None:
    result = CliRunner().invoke(generate_command, [*extra, "--out", str(tmp_path / "city")])
    assert isinstance(result.exception, InputError), result.output
    assert not (tmp_path / "city").exists()


def test_missing_required_options_are_usage_errors(tmp_path: Path) -> None:
    assert CliRunner().invoke(generate_command, ["--out", str(tmp_path)]).exit_code == 2
    assert CliRunner().invoke(generate_command, ["--people", "5"]).exit_code == 2


def test_config_checks() -> None:
    with pytest.raises(InputError, match="--people"):
        GeneratorConfig(people=0)
    with pytest.raises(InputError, match="--bad-share"):
        GeneratorConfig(people=10, bad_share=-0.01)
    config = GeneratorConfig(people=10, entities_per_1000=0, facilities_per_1000=0)
    assert (config.entity_count, config.facility_count) == (0, 0)
    assert GeneratorConfig(people=1).entity_count == 1
