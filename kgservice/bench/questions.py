"""``kgservice bench questions``: the latency of every named question on a generated city.

A seeded city is generated and loaded as ``kgservice load`` does (ontology, sources, quality
report) into an on-disk store; then each question's ``example_query`` (its defaults bound) runs
once to warm caches up and then ``runs`` times the way the service runs an anonymous reader's
query (same dataset, masked view, row cap), its whole answer written as SPARQL JSON. The table
gives the median, p95 and slowest time and the number of result rows, the median CPU time
of this process (on a shared machine the wall time also counts waiting for a core; a query runs
on one thread), and the peak resident memory of the process while the question ran (started
afresh before each question, so it is the store's caches and the query's working memory). The
target is under 2 s per question; figures are printed, never asserted.

With ``store`` (a folder) the loaded city is kept there and reused by the next run with the same
people and seed (a marker file ``bench-city.json`` beside the store tells which city it holds), so a
100,000- or 1,000,000-person city is generated and loaded once (a kept store is not loaded
again when the loader or the reasoning rules change: delete the folder, or run
``kgservice reason --store FOLDER/store`` after a change of rules). ``only`` times some questions.
``python -m kgservice.bench.questions --people N --runs R --store FOLDER [--only ID,ID]`` runs it.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kgservice.bench.serve import machine
from kgservice.bench.worker import own_peak_mb, reset_peak_memory

TARGET_SECONDS = 2.0


@dataclass
class Timing:
    question: str
    rows: int
    seconds: list[float]
    cpu_seconds: list[float] = field(default_factory=list)  # this process's CPU time per run
    peak_mb: float | None = None  # the process's peak resident memory while it ran

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p95(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def load_city(people: int, seed: int, folder: Path, echo: Callable[[str], None]) -> Path:
    """Generate a city into ``folder/city`` and load it into ``folder/store`` as ``kgservice
    load`` does (derived graphs included); the store's path."""
    from kgservice.generator import GeneratorConfig, generate_city
    from kgservice.loading import ensure_ontology, load_sources, refresh_derived
    from kgservice.settings import load_settings
    from kgservice.store import open_embedded

    generate_city(GeneratorConfig(people=people, seed=seed), folder / "city")
    store = open_embedded(folder / "store")
    try:
        ensure_ontology(store)
        for loaded in load_sources(store, [folder / "city"]):
            echo(f"loaded {loaded.source_id}: {loaded.triples:,} triples")
        for line in refresh_derived(store, load_settings().reasoning):
            echo(line)
        store.optimize()  # as `kgservice load`
    finally:
        store.close()
    return folder / "store"


def suite_folder(store: Path, people: int) -> Path:
    """Where a suite run with ``--store store`` keeps its city of ``people``."""
    return store / str(people)


def kept_city(people: int, seed: int, folder: Path, echo: Callable[[str], None]) -> Path:
    """The store in ``folder``, loaded now unless it already holds this city.

    ``folder`` may also be the ``--store`` folder of a suite run: the city it keeps of this size
    (:func:`suite_folder`) is the one used."""
    in_suite = suite_folder(folder, people)
    if not (folder / "bench-city.json").is_file() and (in_suite / "bench-city.json").is_file():
        folder = in_suite
    marker = folder / "bench-city.json"
    wanted = {"people": people, "seed": seed}
    kept = marker.is_file() and json.loads(marker.read_text(encoding="utf-8")) == wanted
    if kept and (folder / "store").is_dir():
        echo(f"reusing the city of {people:,} people in {folder / 'store'}")
        return folder / "store"
    if any(folder.glob("*")) and not marker.is_file():
        from kgservice.errors import InputError

        raise InputError(f"{folder}: not empty and not a kept bench city (no bench-city.json)")
    import shutil

    marker.unlink(missing_ok=True)
    for part in ("city", "store"):
        shutil.rmtree(folder / part, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    store = load_city(people, seed, folder, echo)
    echo(f"generated and loaded in {time.perf_counter() - started:.0f} s")
    marker.write_text(json.dumps(wanted), encoding="utf-8")
    return store


def scratch_city(
    people: int, seed: int, kept: Path | None, folder: Path, echo: Callable[[str], None]
) -> Path:
    """A loaded city in ``folder`` that a benchmark may change: a copy of the city kept in
    ``kept`` (loaded there first if it is not yet), or one generated and loaded now."""
    if kept is None:
        return load_city(people, seed, folder, echo)
    import shutil

    shutil.copytree(kept_city(people, seed, kept, echo), folder / "copy")
    return folder / "copy"


def time_questions(
    store_path: Path,
    runs: int,
    echo: Callable[[str], None],
    only: frozenset[str] | None = None,
) -> list[Timing]:
    """Each question's example query, ``runs`` times, as an anonymous reader of the service."""
    from kgservice.privacy import is_personal_graph, personal_properties
    from kgservice.protocol.params import QueryRequest
    from kgservice.questions import example_query, load_catalog
    from kgservice.sparql.execute import Limits, answer_query, prepare_query
    from kgservice.store import open_embedded

    limits = Limits(
        max_rows=10_000, max_query_bytes=1 << 20, max_query_depth=200, allowed_remote=()
    )
    store = open_embedded(store_path)
    timings = []
    try:
        for question in load_catalog().values():
            if only is not None and question.id not in only:
                continue
            text = example_query(question)
            seconds, cpu, body = [], [], b""
            reset_peak_memory()
            for run in range(runs + 1):  # the first run warms up (parse, caches): not counted
                started, cpu_started = time.perf_counter(), time.process_time()
                prepared = prepare_query(
                    store, QueryRequest(text), limits, "application/sparql-results+json",
                    hidden=is_personal_graph, hidden_predicates=personal_properties(),
                )  # fmt: skip
                chunks: list[bytes] = []
                answer_query(store, prepared, limits).write_body(chunks.append)
                if run:
                    seconds.append(time.perf_counter() - started)
                    cpu.append(time.process_time() - cpu_started)
                body = b"".join(chunks)
            parsed = json.loads(body)
            rows = len(parsed["results"]["bindings"]) if "results" in parsed else 1
            timings.append(Timing(question.id, rows, seconds, cpu, own_peak_mb()))
            echo(f"{question.id}: {statistics.median(seconds) * 1000:.0f} ms")
    finally:
        store.close()
    return timings


def table(people: int, runs: int, timings: list[Timing]) -> str:
    slow = [t.question for t in timings if t.p95 > TARGET_SECONDS]
    lines = [
        f"Named questions on a generated city of {people:,} people (anonymous reader, "
        f"{runs} runs each after a warm-up, whole answer written as SPARQL JSON)",
        f"Machine: {machine()}",
        "",
        "| question | rows | median (ms) | p95 (ms) | slowest (ms) | CPU median (ms) "
        "| peak memory (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {t.question} | {t.rows:,} | {t.median * 1000:.1f} | {t.p95 * 1000:.1f} | "
        f"{max(t.seconds) * 1000:.1f} | {statistics.median(t.cpu_seconds or [0]) * 1000:.1f} | "
        f"{'—' if t.peak_mb is None else f'{t.peak_mb:,.0f}'} |"
        for t in timings
    ]
    lines += [
        "",
        f"Over {TARGET_SECONDS:g} s at p95: " + (", ".join(slow) if slow else "none"),
    ]
    return "\n".join(lines)


def bench_questions(
    people: int,
    runs: int,
    seed: int = 1,
    echo: Callable[[str], None] = lambda line: None,
    store: Path | None = None,
    only: frozenset[str] | None = None,
) -> str:
    """Generate and load a city (or reuse the one kept in ``store``), time the questions."""
    if store is not None:
        timings = time_questions(kept_city(people, seed, store, echo), runs, echo, only)
        return table(people, runs, timings)
    with tempfile.TemporaryDirectory(prefix="kgservice-bench-questions-") as folder:
        loaded = load_city(people, seed, Path(folder), echo)
        timings = time_questions(loaded, runs, echo, only)
    return table(people, runs, timings)


def main(argv: list[str] | None = None) -> None:
    """``python -m kgservice.bench.questions``: the bench with ``--store`` and ``--only``."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m kgservice.bench.questions")
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--store", type=Path, help="keep the loaded city here and reuse it")
    parser.add_argument("--only", help="comma-separated question ids")
    args = parser.parse_args(argv)
    only = frozenset(q.strip() for q in args.only.split(",")) if args.only else None
    echo = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    print(bench_questions(args.people, args.runs, args.seed, echo, args.store, only))


if __name__ == "__main__":
    main()
