"""``kgservice bench validate``: validation time and peak memory, engine beside engine.

A seeded city is generated and mapped once, merged with the ontology into one N-Triples file;
then each engine validates that same file against the same shapes in a process of its own:
``fast`` (shapes compiled to SPARQL on Oxigraph), ``pyshacl`` (the reference, on an rdflib
in-memory graph) and ``jena`` (Apache Jena's SHACL). Findings are compared with the fast engine's.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kgservice import __version__
from kgservice.validation.run import default_shapes_dir

WORKER = "kgservice.bench.worker"


@dataclass
class EngineRun:
    """One engine's figures; ``error`` is set when it failed or ran out of time."""

    engine: str
    seconds: float | None = None
    peak_mb: float | None = None
    findings: list[list[str]] | None = None
    error: str | None = None
    stopped_after: float | None = None  # seconds, when it ran out of time


def prepare(people: int, seed: int, workdir: Path) -> tuple[Path, int]:
    """Generate and map a city into ``workdir/city.nt`` in a child process: (file, triples)."""
    command = [sys.executable, "-m", WORKER, "prepare", str(people), str(seed), str(workdir)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return workdir / "city.nt", json.loads(done.stdout)["triples"]


def run_engine(engine: str, data: Path, shapes: Path, timeout: float) -> EngineRun:
    command = [sys.executable, "-m", WORKER, engine, str(data), str(shapes)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return EngineRun(engine, error=f"timed out after {timeout:g} s", stopped_after=timeout)
    if done.returncode != 0:
        return EngineRun(
            engine, error=done.stderr.strip().splitlines()[-1] if done.stderr else "failed"
        )
    body = json.loads(done.stdout)
    return EngineRun(engine, body["seconds"], body["peak_mb"], body["findings"])


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}, "
        f"kgservice {__version__}, pyoxigraph {ox.__version__}"
    )


def table(people: int, triples: int, runs: list[EngineRun]) -> str:
    reference = next((r.findings for r in runs if r.engine == "fast"), None)
    lines = [
        f"Validation of a generated city: {people:,} people, {triples:,} triples with the ontology",
        f"Machine: {machine()}",
        "",
        "| engine  | time (s) | peak memory (MB) | findings | same findings as fast |",
        "|---------|---------:|-----------------:|---------:|----------------------|",
    ]
    for run in runs:
        if run.error:
            lines.append(f"| {run.engine:<7} | {run.error} | | | |")
            continue
        same = (
            "—"
            if run.engine == "fast" or reference is None
            else ("yes" if run.findings == reference else "NO")
        )
        lines.append(
            f"| {run.engine:<7} | {run.seconds:8.1f} | {run.peak_mb:16.0f} | "
            f"{len(run.findings or []):8d} | {same:<20} |"
        )
    return "\n".join(lines)


def bench_validation(
    people: int, seed: int, engines: list[str], timeout: float, json_out: Path | None
) -> str:
    with tempfile.TemporaryDirectory(prefix="kgservice-bench-") as tmp:
        data, triples = prepare(people, seed, Path(tmp))
        shapes = default_shapes_dir()
        runs = [run_engine(engine, data, shapes, timeout) for engine in engines]
    if json_out is not None:
        reference = next((r.findings for r in runs if r.engine == "fast"), None)
        body = {
            "people": people,
            "triples": triples,
            "machine": machine(),
            "runs": [
                {k: v for k, v in r.__dict__.items() if k != "findings"}
                | {
                    "findings": len(r.findings or []),
                    "same_findings_as_fast": None
                    if r.findings is None or reference is None
                    else r.findings == reference,
                }
                for r in runs
            ],
        }
        json_out.write_text(json.dumps(body, indent=2), encoding="utf-8")
    return table(people, triples, runs)
