"""``kgservice bench questions``: the latency of every named question on a generated city.

A seeded city is generated and loaded as ``kgservice load`` does (ontology, sources, quality
report) into an on-disk store; then each question's ``example_query`` (its defaults bound) runs
once to warm caches up and then ``runs`` times the way the service runs an anonymous reader's
query (same dataset, masked view, row cap), its whole answer written as SPARQL JSON. The table
gives the median, p95 and slowest time and the number of result rows. The target is under 2 s
per question; figures are printed, never asserted.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kgservice.bench.serve import machine

TARGET_SECONDS = 2.0


@dataclass
class Timing:
    question: str
    rows: int
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p95(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _load_city(people: int, seed: int, folder: Path, echo: Callable[[str], None]) -> Path:
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
        for line in refresh_derived(store, load_settings().reasoning):  # as `kgservice load`
            echo(line)
        store.oxigraph.optimize()
    finally:
        store.close()
    return folder / "store"


def time_questions(store_path: Path, runs: int, echo: Callable[[str], None]) -> list[Timing]:
    """Each question's example query, ``runs`` times, as an anonymous reader of the service."""
    import json

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
            text = example_query(question)
            seconds, body = [], b""
            for run in range(runs + 1):  # the first run warms up (parse, caches): not counted
                started = time.perf_counter()
                prepared = prepare_query(
                    store, QueryRequest(text), limits, "application/sparql-results+json",
                    hidden=is_personal_graph, hidden_predicates=personal_properties(),
                )  # fmt: skip
                chunks: list[bytes] = []
                answer_query(store, prepared, limits).write_body(chunks.append)
                if run:
                    seconds.append(time.perf_counter() - started)
                body = b"".join(chunks)
            parsed = json.loads(body)
            rows = len(parsed["results"]["bindings"]) if "results" in parsed else 1
            timings.append(Timing(question.id, rows, seconds))
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
        "| question | rows | median (ms) | p95 (ms) | slowest (ms) |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {t.question} | {t.rows:,} | {t.median * 1000:.1f} | {t.p95 * 1000:.1f} | "
        f"{max(t.seconds) * 1000:.1f} |"
        for t in timings
    ]
    lines += [
        "",
        f"Over {TARGET_SECONDS:g} s at p95: " + (", ".join(slow) if slow else "none"),
    ]
    return "\n".join(lines)


def bench_questions(
    people: int, runs: int, seed: int = 1, echo: Callable[[str], None] = lambda line: None
) -> str:
    """Generate and load a city, time every question; the table."""
    with tempfile.TemporaryDirectory(prefix="kgservice-bench-questions-") as folder:
        store = _load_city(people, seed, Path(folder), echo)
        timings = time_questions(store, runs, echo)
    return table(people, runs, timings)
