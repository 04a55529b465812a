"""``kgservice ontology check``: every check of the ontology, in one report.

The steps: the catalog resolves every module through relative paths; every module parses and
round-trips Turtle ↔ RDF/XML without loss; the named SPARQL QC checks find nothing; the OWL API
(Protégé's parser) loads the model with no unparsed triple and no OWL 2 DL profile violation; a DL
reasoner finds the model consistent with no unsatisfiable class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from rdflib import Graph
from rdflib.compare import isomorphic

from kgservice.errors import KGServiceError
from kgservice.ontology import owlapi, qc, reasoner
from kgservice.ontology.files import (
    CATALOG_NAME,
    TOP_FILE,
    catalog_entries,
    load_closure,
    module_files,
    parse_file,
)
from kgservice.ontology.stats import ModelStats, model_stats

ALIGNMENT_FILE = "alignment.ttl"


@dataclass
class StepResult:
    """One step of the check: its name, whether it passed, a summary line and the problems."""

    name: str
    passed: bool
    summary: str
    problems: list[str] = field(default_factory=list)


@dataclass
class OntologyReport:
    """All steps plus the model's counts."""

    folder: Path
    steps: list[StepResult]
    stats: ModelStats | None
    profile_violations: int | None = None

    @property
    def passed(self) -> bool:
        return all(step.passed for step in self.steps)


def check_catalog(folder: Path) -> StepResult:
    """Every catalog entry is a relative path to an existing file, and every module is listed."""
    entries = catalog_entries(folder / CATALOG_NAME)
    problems = [
        f"{name}: {uri!r} is not a relative path" for name, uri in entries if not _relative(uri)
    ]
    problems += [
        f"{name}: {uri} does not exist" for name, uri in entries if not (folder / uri).is_file()
    ]
    listed = {Path(uri).name for _, uri in entries}
    problems += [
        f"{p.name} is not in the catalog" for p in folder.glob("*.ttl") if p.name not in listed
    ]
    return StepResult("catalog", not problems, f"{len(entries)} entries", problems)


def _relative(uri: str) -> bool:
    parsed = urlparse(uri)
    return not parsed.scheme and not parsed.netloc and not uri.startswith("/") and ".." not in uri


def check_round_trip(folder: Path) -> StepResult:
    """Each module parses, and Turtle → RDF/XML → graph gives back the same graph."""
    files = sorted(set(module_files(folder / CATALOG_NAME).values()))
    problems = [problem for path in files if (problem := _round_trip_problem(path))]
    return StepResult("parse and round trip", not problems, f"{len(files)} modules", problems)


def _round_trip_problem(path: Path) -> str | None:
    try:
        graph = parse_file(path)
    except KGServiceError as exc:
        return exc.message
    again = Graph().parse(data=graph.serialize(format="xml"), format="xml")
    if not isomorphic(graph, again):
        changed = f"{len(graph)} → {len(again)} triples"
        return f"{path.name}: RDF/XML round trip changed the graph ({changed})"
    return None


def check_qc(graph: Graph, folder: Path) -> StepResult:
    """Run the named SPARQL checks; each row is a problem."""
    results = qc.run_all(graph, folder / "sparql")
    problems = [f"{r.name}: {_row_text(row)}" for r in results for row in r.rows]
    failed = sum(not r.passed for r in results)
    return StepResult(
        "QC SPARQL checks", not problems, f"{len(results)} checks, {failed} failing", problems
    )


def _row_text(row: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in row.items())


def check_owlapi(folder: Path, files: list[str]) -> tuple[StepResult, int]:
    """Load each file with the OWL API through the catalog: no unparsed triple, no violation."""
    problems, violations, loaded = [], 0, 0
    for name in files:
        report = owlapi.check_with_owlapi(folder / name, folder / CATALOG_NAME)
        if not report.loaded:
            problems.append(f"{name}: not loaded: {report.error}")
            continue
        loaded += len(report.ontologies)
        violations += len(report.violations)
        problems += [f"{name}: {v.type}: {v.axiom}" for v in report.violations]
        problems += [
            f"{name}: {o.iri}: {o.unparsed_triples} unparsed triples"
            for o in report.ontologies
            if o.unparsed_triples
        ]
    summary = f"{loaded} ontologies loaded, {violations} OWL 2 DL profile violations"
    return StepResult("OWL API (Protégé's parser)", not problems, summary, problems), violations


def check_reasoner(folder: Path, files: list[str]) -> StepResult:
    """A DL reasoner finds every file's import closure consistent, with no unsatisfiable class."""
    problems, used = [], ""
    for name in files:
        report = reasoner.reason(folder / name, folder / CATALOG_NAME)
        used = report.reasoner
        if not report.consistent:
            problems.append(f"{name}: inconsistent: {report.explanation}")
        problems += [f"{name}: unsatisfiable class {iri}" for iri in report.unsatisfiable]
    return StepResult("DL reasoner", not problems, used or "not run", problems)


def _guarded(name: str, step: Callable[[], StepResult]) -> StepResult:
    try:
        return step()
    except KGServiceError as exc:
        return StepResult(name, False, "could not run", [exc.message])


def run_checks(folder: Path) -> OntologyReport:
    """Run every step over the ontology in ``folder``; a step that cannot run fails."""
    steps = [_guarded("catalog", lambda: check_catalog(folder))]
    steps.append(_guarded("parse and round trip", lambda: check_round_trip(folder)))
    catalog = folder / CATALOG_NAME
    try:
        graph = load_closure(folder / TOP_FILE, catalog) + load_closure(
            folder / ALIGNMENT_FILE, catalog
        )
    except KGServiceError as exc:
        steps.append(StepResult("load", False, "could not load the model", [exc.message]))
        return OntologyReport(folder, steps, None)
    steps.append(check_qc(graph, folder))
    entry_points = [TOP_FILE, ALIGNMENT_FILE]
    violations: list[int] = []

    def owlapi_step() -> StepResult:
        step, count = check_owlapi(folder, entry_points)
        violations.append(count)
        return step

    steps.append(_guarded("OWL API (Protégé's parser)", owlapi_step))
    steps.append(_guarded("DL reasoner", lambda: check_reasoner(folder, entry_points)))
    return OntologyReport(folder, steps, model_stats(graph), violations[0] if violations else None)
