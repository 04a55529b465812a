"""``kgservice bench`` (the whole suite) keeps working at a tiny size; figures never asserted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kgservice.bench.suite import (
    SuiteOptions,
    http_ratios,
    ingest_ratio,
    service_peak_memory,
    validation_figures,
)
from kgservice.cli import cli


def test_the_suite_runs_every_section_and_sums_them_up(tmp_path: Path) -> None:
    out = tmp_path / "suite.json"
    result = CliRunner().invoke(
        cli,
        [
            "bench", "--people", "30", "--runs", "1", "--engines", "fast,jena",
            "--seconds", "0.2", "--clients", "1,2", "--client", "python", "--json", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    (machine,) = [line for line in lines if line.startswith("Machine: cores ")]
    assert "pyoxigraph" in machine and "kgservice" in machine
    (row,) = [line for line in lines if line.startswith("| 30 |")]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert len(cells) == 10 and "—" not in cells[:3] + cells[4:]  # pySHACL was not asked for
    assert cells[5] == "yes"  # Jena's findings equal the fast engine's
    assert cells[7].startswith("1: ") and ", 2: " in cells[7]
    assert cells[9].endswith(" MB") and float(cells[9][:-3].replace(",", "")) > 10
    for title in ("Ingest of a generated city", "Validation of a generated city",
                  "Named questions on a generated city", "1 concurrent client(s):",
                  "2 concurrent client(s):"):  # fmt: skip
        assert title in result.output, title

    body = json.loads(out.read_text(encoding="utf-8"))
    assert body["machine"]["cores"] >= 1 and body["machine"]["pyoxigraph"]
    (size,) = body["sizes"]
    assert size["people"] == 30
    assert set(size) == {"people", "ingest", "validation", "questions", "http"}
    assert ingest_ratio(size["ingest"]) > 0
    assert validation_figures(size["validation"])["same_findings"] is True
    assert {q["question"] for q in size["questions"]["questions"]} >= {"division-summary"}
    ratios = http_ratios(size["http"])
    assert set(ratios) == {"1", "2"} and all(r["lookups"] > 0 for r in ratios.values())
    assert service_peak_memory(size["http"]) == max(
        size["http"][clients]["setup"]["peak_memory_mb"]["kgservice"] for clients in ("1", "2")
    )


def test_sizes_sections_and_clients_are_checked() -> None:
    for arguments in (
        ["--people", "ten"],
        ["--people", "0"],
        ["--sections", "ingest,nope"],
        ["--clients", ""],
    ):
        result = CliRunner().invoke(cli, ["bench", *arguments])
        assert result.exit_code == 2, (arguments, result.output)


def test_a_failed_section_keeps_the_others_and_sets_the_exit_code(monkeypatch) -> None:
    from kgservice.bench import serve
    from kgservice.errors import CheckFailed

    def disagree(*args, **kwargs):
        raise CheckFailed("residents-of-county: the servers disagree on the results")

    monkeypatch.setattr(serve, "bench_serve", disagree)
    result = CliRunner().invoke(
        cli, ["bench", "--people", "30", "--runs", "1", "--sections", "questions,http"]
    )
    assert result.exit_code == 1
    assert "Named questions on a generated city" in result.output  # the section before it
    assert "http: failed: residents-of-county: the servers disagree" in result.output
    (row,) = [line for line in result.output.splitlines() if line.startswith("| 30 |")]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[6] != "—" and cells[7:] == ["failed", "failed", "failed"]


@pytest.fixture
def loads(monkeypatch) -> list[Path]:
    """The folders cities are generated and loaded into (the real loader, counted)."""
    from kgservice.bench import questions

    folders: list[Path] = []
    real_load = questions.load_city

    def counted_load(people, seed, folder, echo):
        folders.append(folder)
        return real_load(people, seed, folder, echo)

    monkeypatch.setattr(questions, "load_city", counted_load)
    return folders


def _questions_and_http(people: str, *more: str) -> list[str]:
    return ["bench", "--people", people, "--runs", "1", "--seconds", "0.2", "--clients", "1,2",
            "--client", "python", "--sections", "questions,http", *more]  # fmt: skip


def test_questions_and_every_http_run_share_one_loaded_city_kept_with_store(
    tmp_path: Path, loads: list[Path]
) -> None:
    kept, out = tmp_path / "kept", tmp_path / "suite.json"
    result = CliRunner().invoke(
        cli, _questions_and_http("30", "--store", str(kept), "--json", str(out))
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["options"]["store"] == str(kept)
    assert loads == [kept / "30"]  # once, for the questions and both HTTP runs
    assert "1 concurrent client(s):" in result.output
    assert "2 concurrent client(s):" in result.output
    assert json.loads((kept / "30" / "bench-city.json").read_text()) == {"people": 30, "seed": 1}

    only_questions = ["bench", "--people", "30", "--runs", "1", "--sections", "questions"]
    again = CliRunner().invoke(cli, [*only_questions, "--store", str(kept)])
    assert again.exit_code == 0, again.output
    assert loads == [kept / "30"]  # the kept city is reused
    assert f"reusing the city of 30 people in {kept / '30' / 'store'}" in again.output


def test_without_store_the_suite_loads_each_size_once_in_its_own_folder(
    loads: list[Path],
) -> None:
    result = CliRunner().invoke(cli, _questions_and_http("20,30"))
    assert result.exit_code == 0, result.output
    assert len(loads) == 2 and all(folder.name == "city" for folder in loads)
    assert not any(folder.exists() for folder in loads)  # the run's temporary folder is gone


def test_an_unexpected_error_in_a_section_keeps_the_others_and_the_json(
    tmp_path: Path, monkeypatch
) -> None:
    from kgservice.bench import serve

    def time_out(*args, **kwargs):
        raise TimeoutError("timed out")

    monkeypatch.setattr(serve, "bench_serve", time_out)
    out = tmp_path / "suite.json"
    result = CliRunner().invoke(
        cli,
        [
            "bench",
            "--people",
            "30",
            "--runs",
            "1",
            "--sections",
            "questions,http",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 1
    assert "http failed: http: TimeoutError: timed out" in result.output
    assert "Named questions on a generated city" in result.output
    (size,) = json.loads(out.read_text(encoding="utf-8"))["sizes"]
    assert size["http"] == {"error": "http: TimeoutError: timed out"}
    assert {q["question"] for q in size["questions"]["questions"]} >= {"division-summary"}


def test_the_http_slice_grows_with_the_city_unless_given() -> None:
    options = SuiteOptions(people=[10_000, 1_000_000])
    assert options.slice_seconds(100_000) == 10.0
    assert options.slice_seconds(1_000_000) == 30.0
    assert SuiteOptions(people=[1_000_000], seconds=5.0).slice_seconds(1_000_000) == 5.0
