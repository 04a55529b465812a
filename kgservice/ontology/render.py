"""Render an :class:`OntologyReport` for people (text) and for CI (JSON)."""

from __future__ import annotations

import json
from dataclasses import asdict

from kgservice.ontology.check import OntologyReport
from kgservice.ontology.stats import LANGUAGES

MAX_PROBLEMS_SHOWN = 50


def report_text(report: OntologyReport) -> str:
    """A counts table followed by one PASS/FAIL line per step and its problems."""
    lines = [f"Ontology: {report.folder}", ""]
    if report.stats:
        stats = report.stats
        rows = [("core classes (SCCM concepts)", str(stats.core_classes))]
        rows += [(name, str(count)) for name, count in stats.counts.items()]
        rows += [
            (f"label coverage @{lang}", f"{stats.coverage(lang):.0%} of {stats.entities} entities")
            for lang in LANGUAGES
        ]
        violations = "not run" if report.profile_violations is None else report.profile_violations
        rows.append(("OWL 2 DL profile violations", str(violations)))
        width = max(len(name) for name, _ in rows)
        lines += [f"  {name.ljust(width)}  {value}" for name, value in rows]
        lines.append("")
    for step in report.steps:
        lines.append(f"{'PASS' if step.passed else 'FAIL'}  {step.name}: {step.summary}")
        lines += [f"      - {p}" for p in step.problems[:MAX_PROBLEMS_SHOWN]]
        if len(step.problems) > MAX_PROBLEMS_SHOWN:
            lines.append(f"      … and {len(step.problems) - MAX_PROBLEMS_SHOWN} more")
    lines += ["", "clean" if report.passed else "NOT clean"]
    return "\n".join(lines)


def report_json(report: OntologyReport) -> str:
    """The whole report as JSON (steps, problems, counts)."""
    stats = None
    if report.stats:
        stats = {
            "core_classes": report.stats.core_classes,
            "counts": report.stats.counts,
            "entities": report.stats.entities,
            "label_coverage": {lang: report.stats.coverage(lang) for lang in LANGUAGES},
        }
    body = {
        "ontology_dir": str(report.folder),
        "passed": report.passed,
        "profile_violations": report.profile_violations,
        "stats": stats,
        "steps": [asdict(step) for step in report.steps],
    }
    return json.dumps(body, ensure_ascii=False, indent=2)
