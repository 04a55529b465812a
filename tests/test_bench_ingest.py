"""``kgservice bench ingest`` keeps working at a tiny size (figures are never asserted)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kgservice.cli import cli


def test_bench_ingest_prints_both_loaders_and_writes_every_run(tmp_path: Path) -> None:
    out = tmp_path / "ingest.json"
    result = CliRunner().invoke(
        cli, ["bench", "ingest", "--people", "30", "--runs", "2", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("| ")][1:]
    steps = [row.split("|")[1].strip() for row in rows]
    assert [step.split(":")[0] for step in steps[:5]] == ["kgservice"] * 5
    assert steps[5].startswith("oxigraph") and steps[5].endswith("load (N-Quads)")
    assert len(steps) == 6
    assert "kgservice write throughput:" in result.output
    assert "kgservice map + write throughput:" in result.output
    figures = json.loads(out.read_text())
    assert figures["people"] == 30 and figures["quads"] > 0
    for loader, phases in (
        ("kgservice", {"map", "write", "derive", "optimize"}),
        ("oxigraph load", {"load"}),
    ):
        assert len(figures[loader]) == 2
        for run in figures[loader]:
            assert set(run["seconds"]) == phases
            assert run["peak_mb"] > 0 and run["store_mb"] > 0
