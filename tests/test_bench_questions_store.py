"""``bench questions`` with a kept store: the city is loaded once and reused."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgservice.bench.questions import bench_questions
from kgservice.errors import InputError


def test_a_kept_city_is_loaded_once_and_reused(tmp_path: Path) -> None:
    folder = tmp_path / "bench"
    first: list[str] = []
    table = bench_questions(
        60, 1, echo=first.append, store=folder, only=frozenset({"quality-by-rule"})
    )
    assert any(line.startswith("generated and loaded") for line in first)
    assert (folder / "store").is_dir() and (folder / "bench-city.json").is_file()
    assert [row.split("|")[1].strip() for row in table.splitlines() if row.startswith("| q")] == [
        "question",
        "quality-by-rule",
    ]
    again: list[str] = []
    bench_questions(60, 1, echo=again.append, store=folder, only=frozenset({"quality-by-rule"}))
    assert any(line.startswith("reusing the city of 60 people") for line in again)
    assert not any(line.startswith("generated and loaded") for line in again)


def test_the_folder_of_a_suite_run_gives_its_city_of_that_size(tmp_path: Path) -> None:
    """``kgservice bench --store var/bench`` keeps a size in ``var/bench/<people>``; the
    subcommands given ``var/bench`` use it."""
    bench_questions(60, 1, store=tmp_path / "60", only=frozenset({"quality-by-rule"}))
    again: list[str] = []
    bench_questions(60, 1, echo=again.append, store=tmp_path, only=frozenset({"quality-by-rule"}))
    assert f"reusing the city of 60 people in {tmp_path / '60' / 'store'}" in again
    assert sorted(path.name for path in tmp_path.iterdir()) == ["60"]


def test_a_folder_that_is_not_a_kept_city_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="not a kept bench city"):
        bench_questions(60, 1, store=tmp_path)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_bench_serve_serves_a_copy_of_the_kept_city(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kgservice.cli import cli
    from kgservice.store import open_embedded

    folder = tmp_path / "bench"
    bench_questions(60, 1, store=folder, only=frozenset({"quality-by-rule"}))
    kept = open_embedded(folder / "store")
    quads = kept.quad_count()
    kept.close()
    result = CliRunner().invoke(
        cli,
        [
            "bench",
            "serve",
            "--people",
            "60",
            "--seconds",
            "0.2",
            "--concurrency",
            "1",
            "--client",
            "python",
            "--store",
            str(folder),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "reusing the city of 60 people" in result.output
    assert "generated and loaded" not in result.output
    assert f"{quads:,} quads" in result.output  # the servers held the kept city's quads
    assert (folder / "store").is_dir()  # served from a copy: the kept city stays
