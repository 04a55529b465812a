"""``kgservice bench refresh`` at a tiny size, so it keeps working (figures never asserted)."""

from __future__ import annotations

from click.testing import CliRunner

from kgservice.cli import cli


def test_bench_refresh_prints_a_row_per_write_and_the_whole_rebuild_agrees() -> None:
    result = CliRunner().invoke(cli, ["bench", "refresh", "--people", "60", "--check"])
    assert result.exit_code == 0, result.output
    rows = [line.split("|") for line in result.stdout.splitlines() if line.startswith("| ")]
    assert [row[1].strip() for row in rows[1:]] == [
        "new facility in a village",
        "legal entity moved to another county",
        "resident moved to another village",
        "village moved to another township",
        "township moved to another county",
        "county detached from its prefecture",
    ]
    for row in rows[1:]:
        float(row[2])  # refreshed locally: a time, not "too wide"
        assert int(row[4].replace(",", "")) >= 1  # changed facts
    assert int(rows[-1][8].replace(",", "")) > 0  # the county's places left the prefecture
    assert "0 added, 0 removed (same as the local refreshes)" in result.stdout
