"""``kgservice bench validate`` keeps working at a tiny size (figures are never asserted)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kgservice.cli import cli


def test_bench_validate_prints_a_table_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(
        cli, ["bench", "validate", "--people", "60", "--engines", "fast,jena", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = [
        line
        for line in result.output.splitlines()
        if line.startswith("| fast") or line.startswith("| jena")
    ]
    assert len(rows) == 2
    assert rows[1].rstrip().endswith("| yes                  |")
    body = json.loads(out.read_text(encoding="utf-8"))
    assert [run["engine"] for run in body["runs"]] == ["fast", "jena"]
    assert all(run["error"] is None and run["seconds"] > 0 for run in body["runs"])


def test_unknown_engine_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["bench", "validate", "--engines", "fast,nope"])
    assert result.exit_code == 2
    assert "nope" in result.output


def test_bench_questions_times_every_question() -> None:
    from kgservice.questions import load_catalog

    result = CliRunner().invoke(cli, ["bench", "questions", "--people", "60", "--runs", "1"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("| ")][1:]
    assert [row.split("|")[1].strip() for row in rows] == list(load_catalog())
    assert all(float(row.split("|")[3]) >= 0 for row in rows)
    peaks = [float(row.split("|")[7].replace(",", "")) for row in rows]  # MB, this process
    assert all(10 < peak < 100_000 for peak in peaks)
    assert "Over 2 s at p95:" in result.output
