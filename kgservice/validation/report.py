"""Validation reports for people and for CI: text, Turtle, JSON, JUnit XML and SARIF 2.1.0.

The text report groups findings by rule (shape and constraint component) and message, with counts
and example focus nodes, in Chinese and English. JUnit has one test case per rule that ran; SARIF
has one rule per shape, and locates each result in its source file and line where the focus node's
provenance names them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from xml.etree import ElementTree as ET

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from kgservice import __version__
from kgservice.validation.findings import Finding, Severity
from kgservice.validation.run import ValidationResult

EXAMPLES = 3
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {Severity.VIOLATION: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def local_name(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def rule_of(finding: Finding) -> tuple[str, str]:
    return (finding.shape, finding.component)


def _grouped(findings: list[Finding]) -> dict[tuple[str, str, str], list[Finding]]:
    groups: dict[tuple[str, str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        groups[(f.shape, f.component, f.message("en"))].append(f)
    return groups


def _counts(findings: list[Finding]) -> dict[str, int]:
    return {s.label: sum(f.severity is s for f in findings) for s in Severity}


def _where(finding: Finding) -> str:
    if finding.source is None:
        return finding.focus
    return f"{finding.focus} ({finding.source.file}:{finding.source.line})"


def text_report(result: ValidationResult, fail_on: Severity) -> str:
    """Findings grouped by rule and message, most severe first, in Chinese and English."""
    lines = []
    groups = _grouped(result.findings)
    order = sorted(groups, key=lambda k: (-groups[k][0].severity.rank, -len(groups[k]), k))
    for shape, component, _ in order:
        items = groups[(shape, component, _)]
        first = items[0]
        lines.append(
            f"[{first.severity.label}] {local_name(shape)} ({local_name(component)}): "
            f"{len(items)} 项 / {len(items)} finding{'s' * (len(items) != 1)}"
        )
        lines.append(f"    {first.message('zh')}")
        lines.append(f"    {first.message('en')}")
        for example in items[:EXAMPLES]:
            value = f"  值 value: {example.value}" if example.value is not None else ""
            lines.append(f"    - {_where(example)}{value}")
        if len(items) > EXAMPLES:
            lines.append(f"    … 另有 {len(items) - EXAMPLES} 项 / {len(items) - EXAMPLES} more")
    counts = _counts(result.findings)
    verdict = "通过 / conforms" if result.conforms(fail_on) else "未通过 / does not conform"
    lines.append(
        f"{verdict} (fail on {fail_on.label}): {counts['violation']} violations, "
        f"{counts['warning']} warnings, {counts['info']} infos; "
        f"{result.triples} quads checked by the {result.engine} engine in {result.seconds:.1f} s"
    )
    return "\n".join(lines) + "\n"


def json_report(result: ValidationResult, fail_on: Severity) -> str:
    body = {
        "conforms": result.conforms(fail_on),
        "fail_on": fail_on.label,
        "counts": _counts(result.findings),
        "engine": result.engine,
        "inputs": result.inputs,
        "seconds": round(result.seconds, 3),
        "findings": [_finding_json(f) for f in result.findings],
    }
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"


def _finding_json(f: Finding) -> dict[str, object]:
    source = {"file": f.source.file, "line": f.source.line} if f.source else None
    return {
        "focus": f.focus,
        "shape": f.shape,
        "component": f.component,
        "severity": f.severity.label,
        "path": f.path,
        "value": f.value,
        "message": f.messages,
        "source": source,
    }


def turtle_report(result: ValidationResult, fail_on: Severity) -> str:
    """A standard ``sh:ValidationReport``."""
    g = Graph()
    g.bind("sh", SH)
    report = BNode()
    g.add((report, RDF.type, SH.ValidationReport))
    g.add((report, SH.conforms, Literal(result.conforms(fail_on))))
    for f in result.findings:
        node = BNode()
        g.add((report, SH.result, node))
        g.add((node, RDF.type, SH.ValidationResult))
        g.add((node, SH.focusNode, _node(f.focus)))
        g.add((node, SH.sourceShape, URIRef(f.shape)))
        g.add((node, SH.sourceConstraintComponent, URIRef(f.component)))
        g.add((node, SH.resultSeverity, URIRef(f.severity.value)))
        if f.value is not None:
            g.add((node, SH.value, Literal(f.value)))
        for lang, text in f.messages.items():
            g.add((node, SH.resultMessage, Literal(text, lang=lang)))
    return g.serialize(format="turtle")


def _node(text: str) -> URIRef | BNode:
    return URIRef(text) if text.startswith(("http://", "https://", "urn:")) else BNode(text)


def junit_report(result: ValidationResult, fail_on: Severity) -> str:
    """One test case per rule that ran; a rule fails when it has findings at the fail-on level."""
    rules = sorted(set(result.rules) | {rule_of(f) for f in result.findings})
    by_rule: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in result.findings:
        by_rule[rule_of(f)].append(f)
    failing = [r for r in rules if any(f.severity.rank >= fail_on.rank for f in by_rule[r])]
    suite = ET.Element(
        "testsuite",
        name="kgservice validate",
        tests=str(len(rules)),
        failures=str(len(failing)),
        errors="0",
        time=f"{result.seconds:.3f}",
    )
    for shape, component in rules:
        case = ET.SubElement(
            suite, "testcase", classname=local_name(shape), name=local_name(component), time="0"
        )
        found = by_rule[(shape, component)]
        if (shape, component) in failing:
            failure = ET.SubElement(
                case, "failure", message=found[0].message("en"), type=found[0].severity.label
            )
            failure.text = "\n".join(
                f"{_where(f)}: {f.message('zh')} / {f.message('en')}" for f in found
            )
        elif found:
            ET.SubElement(case, "system-out").text = "\n".join(_where(f) for f in found)
    ET.indent(suite)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
    )


def sarif_report(result: ValidationResult, fail_on: Severity) -> str:
    """SARIF 2.1.0: a rule per shape, a result per finding located by file and line if known."""
    shapes = sorted({f.shape for f in result.findings} | {s for s, _ in result.rules})
    index = {shape: i for i, shape in enumerate(shapes)}
    run = {
        "tool": {
            "driver": {
                "name": "kgservice",
                "version": __version__,
                "informationUri": "https://w3id.org/sckm/",
                "rules": [
                    {"id": local_name(s), "name": local_name(s), "helpUri": s} for s in shapes
                ],
            }
        },
        "results": [_sarif_result(f, index) for f in result.findings],
    }
    sarif = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(sarif, ensure_ascii=False, indent=2) + "\n"


def _sarif_result(f: Finding, index: dict[str, int]) -> dict[str, object]:
    location: dict[str, object] = {
        "logicalLocations": [{"fullyQualifiedName": f.focus, "kind": "resource"}]
    }
    if f.source is not None:
        physical: dict[str, object] = {"artifactLocation": {"uri": f.source.file}}
        if f.source.line is not None:
            physical["region"] = {"startLine": f.source.line}
        location["physicalLocation"] = physical
    return {
        "ruleId": local_name(f.shape),
        "ruleIndex": index[f.shape],
        "level": SARIF_LEVEL[f.severity],
        "message": {"text": f"{f.message('en')} / {f.message('zh')}"},
        "locations": [location],
        "properties": {"component": f.component, "focus": f.focus, "value": f.value},
    }


FORMATS: dict[str, Callable[[ValidationResult, Severity], str]] = {
    "text": text_report,
    "turtle": turtle_report,
    "json": json_report,
    "junit": junit_report,
    "sarif": sarif_report,
}
