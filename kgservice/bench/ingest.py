"""``kgservice bench ingest``: map + load throughput, store size and peak memory, beside
``oxigraph load`` on the same quads.

A seeded city is generated once (CSV files, as departments deliver them). Each run then starts
from an empty store in a process of its own:

* ``kgservice``: map the sources (Morph-KGC, personal data split) and write them into an on-disk
  store exactly as ``kgservice load`` does, timed per phase; then the derived graphs
  (``graph:inferred``, ``graph:quality``) as the load command builds them, and its compaction
  of the store, timed apart;
* ``oxigraph load``: the quads the kgservice load wrote (its sources' graphs, dumped as N-Quads
  by the first run) into an empty store by Oxigraph's own bulk loader (PyPI ``oxigraph``).

Peak memory is each child's own maximum resident set (``wait4``); store size is the folder's
bytes after the process ended. Each figure is the median of ``runs`` runs.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

CHILD = "kgservice.bench.ingest"


@dataclass
class IngestRun:
    """One run of one loader: seconds per phase, peak memory and store size."""

    seconds: dict[str, float]
    peak_mb: float
    store_mb: float


@dataclass
class Figures:
    """The medians of one loader's runs."""

    loader: str
    runs: list[IngestRun] = field(default_factory=list)

    def seconds(self, phase: str) -> float:
        return statistics.median(run.seconds[phase] for run in self.runs)

    @property
    def peak_mb(self) -> float:
        return statistics.median(run.peak_mb for run in self.runs)

    @property
    def store_mb(self) -> float:
        return statistics.median(run.store_mb for run in self.runs)


def _folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def _run_child(command: list[str], env: dict[str, str] | None = None) -> tuple[str, float]:
    """Run ``command`` to its end: (stdout, its own peak resident memory in MB)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            message = err.read().decode(errors="replace").strip().splitlines()
            raise RuntimeError(f"{command[0]} failed: {message[-1] if message else 'no output'}")
        return out.read().decode(), usage.ru_maxrss / 1024  # KiB on Linux


def run_kgservice(city: Path, store: Path, dump: Path | None) -> IngestRun:
    command = [sys.executable, "-m", CHILD, str(city), str(store), str(dump or "")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KGSERVICE_")}
    output, peak = _run_child(command, env)
    return IngestRun(json.loads(output), peak, _folder_mb(store))


def run_oxigraph(quads: Path, store: Path) -> IngestRun:
    from kgservice.bench.serve import oxigraph_command

    started = time.perf_counter()
    _, peak = _run_child(
        [oxigraph_command(), "load", "--location", str(store), "--file", str(quads)]
    )
    return IngestRun({"load": time.perf_counter() - started}, peak, _folder_mb(store))


def bench_ingest(people: int, seed: int, runs: int, json_out: Path | None) -> str:
    """Generate the city, run both loaders ``runs`` times, and return the table."""
    from kgservice.generator import GeneratorConfig, generate_city

    with tempfile.TemporaryDirectory(prefix="kgservice-bench-ingest-") as folder:
        work = Path(folder)
        generate_city(GeneratorConfig(people=people, seed=seed), work / "city")
        ours, theirs = Figures("kgservice"), Figures("oxigraph load")
        quads = work / "city.nq"
        for n in range(runs):
            store = work / f"store-{n}"
            ours.runs.append(run_kgservice(work / "city", store, quads if n == 0 else None))
            shutil.rmtree(store)
            store = work / f"oxigraph-{n}"
            theirs.runs.append(run_oxigraph(quads, store))
            shutil.rmtree(store)
        with quads.open("rb") as lines:
            count = sum(1 for line in lines if line.strip())
    if json_out is not None:
        body = {"people": people, "seed": seed, "quads": count}
        body |= {f.loader: [asdict(run) for run in f.runs] for f in (ours, theirs)}
        json_out.write_text(json.dumps(body, indent=2), encoding="utf-8")
    return table(people, count, runs, ours, theirs)


def table(people: int, quads: int, runs: int, ours: Figures, theirs: Figures) -> str:
    from kgservice.bench.serve import oxigraph_version
    from kgservice.bench.validation import machine

    loaded = ours.seconds("map") + ours.seconds("write")
    derived = ours.seconds("derive") + ours.seconds("optimize")
    rows = [
        ("kgservice: map (CSV → RDF, Morph-KGC)", ours.seconds("map"), None, None),
        ("kgservice: write (personal data split, catalogue)", ours.seconds("write"), None, None),
        ("kgservice: map + write", loaded, None, None),
        ("kgservice: reasoning + quality report + compaction", derived, None, None),
        ("kgservice: all, as `kgservice load`", loaded + derived, ours.peak_mb, ours.store_mb),
        (f"{oxigraph_version()} load (N-Quads)", theirs.seconds("load"), theirs.peak_mb,
         theirs.store_mb),
    ]  # fmt: skip
    lines = [
        f"Ingest of a generated city: {people:,} people, {quads:,} quads from its sources "
        f"(median of {runs} run{'s' if runs > 1 else ''})",
        f"Machine: {machine()}",
        "",
        "| step | seconds | quads/s | peak memory (MB) | store on disk (MB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, seconds, peak, size in rows:
        rate = f"{quads / seconds:,.0f}"
        shown_peak = f"{peak:,.0f}" if peak is not None else ""
        shown_size = f"{size:,.0f}" if size is not None else ""
        lines.append(f"| {name} | {seconds:.2f} | {rate} | {shown_peak} | {shown_size} |")
    ratio = theirs.seconds("load") / loaded
    write_ratio = theirs.seconds("load") / ours.seconds("write")
    lines += [
        "",
        f"kgservice write throughput: {write_ratio:.2f}× `oxigraph load` (target ≥ 0.5×)",
        f"kgservice map + write throughput: {ratio:.2f}× `oxigraph load`",
    ]
    return "\n".join(lines)


def _child(city: Path, store_path: Path, dump: str) -> None:
    """In the child process: load ``city`` into a new store as ``kgservice load`` does."""
    import pyoxigraph as ox

    from kgservice.loading import ensure_ontology, refresh_derived, write_sources
    from kgservice.mapping.run import map_sources
    from kgservice.reasoning import MATERIALIZE
    from kgservice.store import open_embedded

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    mapped = map_sources([city])
    seconds["map"] = time.perf_counter() - started
    store = open_embedded(store_path)
    try:
        started = time.perf_counter()
        ensure_ontology(store)
        write_sources(store, mapped)
        seconds["write"] = time.perf_counter() - started
        if dump:
            with open(dump, "wb") as out:
                store.oxigraph.dump(out, format=ox.RdfFormat.N_QUADS)
        started = time.perf_counter()
        refresh_derived(store, MATERIALIZE)
        seconds["derive"] = time.perf_counter() - started
        seconds["optimize"] = store.optimize()
    finally:
        store.close()
    print(json.dumps(seconds))


if __name__ == "__main__":
    _child(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
