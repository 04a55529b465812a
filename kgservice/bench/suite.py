"""``kgservice bench --people N[,N…]``: every benchmark, one summary table against the targets.

For each city size, in this order (each section is the command of its own, run in process):

* **ingest** (``bench ingest``): map + load beside ``oxigraph load`` on the same quads;
* **validation** (``bench validate``): the fast engine beside Jena's SHACL and pySHACL on an
  rdflib graph (pySHACL only up to 100,000 people: beyond, it runs for hours), same findings;
* **questions** (``bench questions``): p50/p95 of every named question;
* **http** (``bench serve``): throughput and p50/p95 of ``kgservice serve`` beside
  ``oxigraph serve`` on the same data and queries, at each client count, the service's row cap
  off (``--max-rows 0``) so that both send every row of the long answers.

The questions and every HTTP run share one loaded city per size (a copy of it for each HTTP
run): loading is most of a large size's time (35 minutes at 1,000,000 people). ``--store``
keeps it in ``FOLDER/<people>`` for the next run, so a size's sections can be run apart.

A section that fails (a missing tool, servers that disagree) is reported as failed and the next
one runs: its error decides the exit code once everything is printed.

The summary puts each target of the performance work beside its figure; the sections' own
tables follow. ``--json`` writes every figure (each section's JSON) with the machine.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kgservice import __version__
from kgservice.errors import KGServiceError

SECTIONS = ("ingest", "validation", "questions", "http")
LOOKUPS = frozenset({"ask-representative", "construct-entity", "entity-by-iri"})
PYSHACL_MAX_PEOPLE = 100_000
SLICE_SECONDS = 10.0
LONG_SLICE_SECONDS = 30.0
LONG_SLICE_PEOPLE = 1_000_000


@dataclass
class SuiteOptions:
    """What to run: sizes, sections and each section's own settings."""

    people: list[int]
    seed: int = 1
    runs: int = 3
    sections: tuple[str, ...] = SECTIONS
    engines: tuple[str, ...] = ("fast", "jena", "pyshacl")
    validation_timeout: float = 1800.0
    #: HTTP: seconds per query, server and client count; ``None``: :meth:`slice_seconds`
    seconds: float | None = None
    clients: tuple[int, ...] = (1, 4, 16)
    http_client: str = "auto"
    #: Where each size's loaded city is kept (``<store>/<people>``) between runs; ``None``: in
    #: the run's own temporary folder, loaded once for the questions and every HTTP run.
    store: Path | None = None

    def slice_seconds(self, people: int) -> float:
        """The HTTP slice of a city of ``people``: ``seconds`` if given, else 10 s, and 30 s
        from 1,000,000 people (where one answer of the mix's longer questions takes 3 to 9 s,
        and 10 s measured a few requests or none)."""
        if self.seconds is not None:
            return self.seconds
        return LONG_SLICE_SECONDS if people >= LONG_SLICE_PEOPLE else SLICE_SECONDS

    def kept_city(self, people: int, work: Path) -> Path:
        """The folder the questions and HTTP sections of ``people`` share their city in."""
        from kgservice.bench.questions import suite_folder

        return suite_folder(self.store, people) if self.store is not None else work / "city"


@dataclass
class SizeReport:
    """The figures of one city size, section by section (each section's JSON)."""

    people: int
    figures: dict[str, object] = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)
    failures: list[KGServiceError] = field(default_factory=list)


def machine_info() -> dict[str, object]:
    """Cores, memory and the versions the figures depend on."""
    import pyoxigraph as ox

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "python": platform.python_version(),
        "kgservice": __version__,
        "pyoxigraph": ox.__version__,
        "oxigraph": _oxigraph_version(),
        "jena": _jena_version(),
    }


def _oxigraph_version() -> str | None:
    from kgservice.bench.serve import oxigraph_version

    try:
        return oxigraph_version()
    except OSError:  # not installed: the HTTP section says so when it runs
        return None


def _jena_version() -> str | None:
    """Jena's version, as Debian's Maven repository names it (its jars carry none)."""
    folder = Path("/usr/share/maven-repo/org/apache/jena/jena-core")
    versions = sorted(p.name for p in folder.glob("*") if p.name != "debian")
    return f"Jena {versions[-1]}" if versions else None


# ------------------------------------------------------------------------------ sections


def run_ingest(options: SuiteOptions, people: int, work: Path) -> tuple[dict, str]:
    from kgservice.bench.ingest import bench_ingest

    out = work / "ingest.json"
    text = bench_ingest(people, options.seed, options.runs, out)
    return json.loads(out.read_text(encoding="utf-8")), text


def run_validation(options: SuiteOptions, people: int, work: Path) -> tuple[dict, str]:
    from kgservice.bench.validation import bench_validation

    engines = [e for e in options.engines if not (e == "pyshacl" and people > PYSHACL_MAX_PEOPLE)]
    out = work / "validation.json"
    text = bench_validation(people, options.seed, engines, options.validation_timeout, out)
    return json.loads(out.read_text(encoding="utf-8")), text


def run_questions(
    options: SuiteOptions, people: int, kept: Path, echo: Callable[[str], None]
) -> tuple[dict, str]:
    from kgservice.bench import questions

    store = questions.kept_city(people, options.seed, kept, echo)
    timings = questions.time_questions(store, options.runs, echo)
    figures = {
        "people": people,
        "runs": options.runs,
        "questions": [
            {
                "question": t.question,
                "rows": t.rows,
                "median_ms": t.median * 1000,
                "p95_ms": t.p95 * 1000,
                "seconds": t.seconds,
                "cpu_seconds": t.cpu_seconds,
                "peak_mb": t.peak_mb,
            }
            for t in timings
        ],
    }
    return figures, questions.table(people, options.runs, timings)


def run_http(
    options: SuiteOptions, people: int, work: Path, kept: Path, echo: Callable[[str], None]
) -> tuple[dict, str]:
    from kgservice.bench.serve import bench_serve

    figures: dict[str, object] = {}
    tables = []
    for clients in options.clients:
        out = work / f"http-{clients}.json"
        text = bench_serve(
            people,
            options.slice_seconds(people),
            clients,
            out,
            seed=options.seed,
            client=options.http_client,
            max_rows=0,  # both servers send every row (a long answer passes 10,000 rows)
            kept=kept,  # copied for each client count: loaded once
            echo=echo,
        )
        figures[str(clients)] = json.loads(out.read_text(encoding="utf-8"))
        tables.append(f"{clients} concurrent client(s):\n\n{text}")
    return figures, "\n\n".join(tables)


def run_size(options: SuiteOptions, people: int, echo: Callable[[str], None]) -> SizeReport:
    """Every chosen section for one city size."""
    report = SizeReport(people)
    with tempfile.TemporaryDirectory(prefix="kgservice-bench-suite-") as folder:
        work = Path(folder)
        kept = options.kept_city(people, work)
        for section in options.sections:
            echo(f"{people:,} people: {section}")
            part = work / section
            part.mkdir()
            try:
                figures, text = _run_section(section, options, people, part, kept, echo)
            except Exception as error:  # the other sections' figures are kept
                failure = _as_failure(section, error, echo)
                echo(f"{people:,} people: {section} failed: {failure.message}")
                report.failures.append(failure)
                figures, text = {"error": failure.message}, f"{section}: failed: {failure.message}"
            report.figures[section] = figures
            report.tables.append(text)
    return report


class SectionFailed(KGServiceError):
    """A section stopped on an error that is not one of the service's own (a bug, a socket
    error): reported with the others, after the sections that did run."""

    exit_code = 1


def _as_failure(section: str, error: Exception, echo: Callable[[str], None]) -> KGServiceError:
    if isinstance(error, KGServiceError):
        return error
    echo("".join(traceback.format_exception(error)))
    return SectionFailed(f"{section}: {type(error).__name__}: {error}")


def _run_section(
    section: str,
    options: SuiteOptions,
    people: int,
    part: Path,
    kept: Path,
    echo: Callable[[str], None],
) -> tuple[dict, str]:
    if section == "ingest":
        return run_ingest(options, people, part)
    if section == "validation":
        return run_validation(options, people, part)
    if section == "questions":
        return run_questions(options, people, kept, echo)
    return run_http(options, people, part, kept, echo)


# ------------------------------------------------------------------------------ summary


def _median(values: Iterable[float]) -> float | None:
    found = [v for v in values if v is not None]
    return statistics.median(found) if found else None


def ingest_ratio(figures: dict) -> float | None:
    """``oxigraph load`` seconds over kgservice's write seconds (medians): ≥ 0.5 is the target."""
    ours = _median(run["seconds"].get("write") for run in figures.get("kgservice", []))
    theirs = _median(run["seconds"].get("load") for run in figures.get("oxigraph load", []))
    return theirs / ours if ours and theirs else None


def validation_figures(figures: dict) -> dict[str, object]:
    """The fast engine's seconds, its speed-up over pySHACL and Jena (``"> N"`` when the other
    engine was stopped at its time limit), whether the findings agree."""
    runs = {run["engine"]: run for run in figures.get("runs", [])}
    fast = runs.get("fast", {}).get("seconds")

    def speedup(engine: str) -> float | str | None:
        run = runs.get(engine)
        if not fast or run is None:
            return None
        if run.get("stopped_after"):
            return f"> {run['stopped_after'] / fast:,.0f}"
        return run["seconds"] / fast if run.get("seconds") else None

    compared = [run.get("same_findings_as_fast") for e, run in runs.items() if e != "fast"]
    same = [s for s in compared if s is not None]  # a stopped engine has no findings
    return {
        "fast_seconds": fast,
        "pyshacl_speedup": speedup("pyshacl"),
        "jena_speedup": speedup("jena"),
        "same_findings": all(same) if same else None,
    }


def http_ratios(figures: dict) -> dict[str, dict[str, float | None]]:
    """Per client count: the throughput ratio to ``oxigraph serve`` on the question mix (the
    queries with work in the engine) and on simple lookups (geometric means)."""
    from kgservice.bench.serve import geometric_mean

    result = {}
    for clients, report in figures.items():
        ratios = report.get("ratios", {})
        result[clients] = {
            "mix": geometric_mean(r for q, r in ratios.items() if q not in LOOKUPS),
            "lookups": geometric_mean(r for q, r in ratios.items() if q in LOOKUPS),
        }
    return result


def service_peak_memory(figures: dict) -> float | None:
    """The most resident memory (MB) the service's processes held in any HTTP run."""
    from kgservice.bench.serve import SERVICE

    peaks = [
        report.get("setup", {}).get("peak_memory_mb", {}).get(SERVICE)
        for report in figures.values()
    ]
    return max((peak for peak in peaks if peak), default=None)


def _fmt(value: float | str | None, pattern: str = "{:.2f}") -> str:
    if isinstance(value, str):
        return value
    return "—" if value is None else pattern.format(value)


def summary(reports: list[SizeReport]) -> list[str]:
    lines = [
        "| people | ingest: write ÷ `oxigraph load` (≥ 0.5) | validation: fast (s) | "
        "× pySHACL (≥ 10) | × Jena (≥ 1) | same findings | slowest question p95 (≤ 2,000 ms) "
        "| HTTP mix ÷ oxigraph (≥ 0.9 at 16) | HTTP lookups ÷ oxigraph (≥ 0.7) "
        "| service peak memory under HTTP load (≤ 2,048 MB) |",
        "|---:|---:|---:|---:|---:|---|---:|---|---|---:|",
    ]
    for report in reports:
        figures = {
            section: {} if "error" in found else found for section, found in report.figures.items()
        }
        failed = {section for section, found in report.figures.items() if "error" in found}
        ingest = ingest_ratio(figures["ingest"]) if figures.get("ingest") else None
        valid = validation_figures(figures.get("validation", {}))
        questions = figures.get("questions", {}).get("questions", [])
        slowest = max((q["p95_ms"] for q in questions), default=None)
        http = http_ratios(figures.get("http", {}))
        mix = ", ".join(f"{c}: {_fmt(r['mix'])}" for c, r in http.items()) or "—"
        lookups = ", ".join(f"{c}: {_fmt(r['lookups'])}" for c, r in http.items()) or "—"
        same = {True: "yes", False: "NO", None: "—"}[valid["same_findings"]]
        cells = [
            _fmt(ingest),
            _fmt(valid["fast_seconds"], "{:.1f}"),
            _fmt(valid["pyshacl_speedup"], "{:.1f}"),
            _fmt(valid["jena_speedup"], "{:.1f}"),
            same,
            _fmt(slowest, "{:,.0f}"),
            mix,
            lookups,
            _fmt(service_peak_memory(figures.get("http", {})), "{:,.0f} MB"),
        ]
        for section, columns in _COLUMNS.items():
            if section in failed:
                for column in columns:
                    cells[column] = "failed"
        lines.append(f"| {report.people:,} | " + " | ".join(cells) + " |")
    return lines


#: The summary's columns (after ``people``) each section fills.
_COLUMNS = {"ingest": (0,), "validation": (1, 2, 3, 4), "questions": (5,), "http": (6, 7, 8)}


def run_suite(
    options: SuiteOptions,
    json_out: Path | None = None,
    echo: Callable[[str], None] = lambda line: None,
) -> tuple[str, list[KGServiceError]]:
    """Run every chosen section for every size; the summary and the sections' tables, and the
    errors of the sections that failed (the others ran and are reported all the same)."""
    info = machine_info()
    reports = [run_size(options, people, echo) for people in options.people]
    if json_out is not None:
        body = {
            "machine": info,
            "options": vars(options),
            "sizes": [{"people": r.people} | r.figures for r in reports],
        }
        document = json.dumps(body, indent=2, ensure_ascii=False, default=str)  # paths as text
        json_out.write_text(document, encoding="utf-8")
    described = ", ".join(f"{k} {v}" for k, v in info.items() if v is not None)
    lines = [f"Machine: {described}", "", *summary(reports)]
    for report in reports:
        lines += ["", f"## {report.people:,} people", "", "\n\n".join(report.tables)]
    return "\n".join(lines), [error for report in reports for error in report.failures]
