"""``kgservice bench writes`` at a tiny size, so it keeps working (figures never asserted)."""

from __future__ import annotations

from click.testing import CliRunner

from kgservice.cli import cli


def test_bench_writes_makes_six_valid_writes_and_times_them() -> None:
    result = CliRunner().invoke(cli, ["bench", "writes", "--people", "60"])
    assert result.exit_code == 0, result.output
    rows = [line.split("|") for line in result.stdout.splitlines() if line.startswith("| ")]
    assert [(row[1].strip(), row[2].strip()) for row in rows[1:]] == [
        ("Graph Store POST: a facility's second name", "201"),
        ("INSERT DATA: a new facility in a village", "204"),
        ("DELETE/INSERT WHERE: a resident moves", "204"),
        ("DELETE WHERE ; INSERT DATA: the second name replaced", "204"),
        ("INSERT DATA: a new village (a division code)", "204"),
        ("DELETE/INSERT WHERE: a county's code restated in another graph", "204"),
    ]  # each write valid and applied: its cost is a write's, not a refusal's
    for row in rows[1:]:
        float(row[3])
        assert row[5].strip().endswith("(around the change)")
    assert "validation on" in result.stdout


def test_bench_writes_counts_the_named_questions_each_write_makes_stale() -> None:
    result = CliRunner().invoke(cli, ["bench", "writes", "--people", "60", "--questions"])
    assert result.exit_code == 0, result.output
    rows = [line.split("|") for line in result.stdout.splitlines() if line.startswith("| ")]
    assert rows[0][6].strip() == "named questions computed again"
    again = [tuple(map(int, row[6].strip().split(" of "))) for row in rows[1:]]
    assert len(again) == 6 and all(0 <= k <= n and n >= 29 for k, n in again)
    assert any(k < n for k, n in again)  # a write keeps the answers it cannot change
