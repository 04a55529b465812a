"""``kgservice validate``: exit codes, --fail-on, every report format, --output, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner, Result
from rdflib import Graph
from rdflib.namespace import SH

from kgservice.cli import cli

DATA = Path(__file__).parent / "data"
SHAPES = DATA / "mini-shapes"
INPUTS = [str(DATA / "mini-data.ttl"), str(DATA / "mini-ontology.ttl")]
FINDINGS = 23  # see test_engines.EXPECTED


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["validate", "--shapes", str(SHAPES), *args])


def test_text_report_groups_findings_by_rule() -> None:
    result = run(*INPUTS)
    assert result.exit_code == 1
    out = result.output
    assert "[violation] Thing-name (MaxCountConstraintComponent): 1 项 / 1 finding" in out
    assert "    名称须为 2–8 个字符" in out and "    name must have 2-8 characters" in out
    assert "- https://example.org/mini/bad (things.csv:3)" in out
    assert "[info] Thing-tag (HasValueConstraintComponent)" in out
    assert (
        "未通过 / does not conform (fail on violation): 18 violations, 4 warnings, 1 infos" in out
    )


def test_warnings_fail_only_when_asked(tmp_path: Path) -> None:
    data = tmp_path / "warn.ttl"
    data.write_text(
        '@prefix ex: <https://example.org/mini/> .\nex:t a ex:Thing ; ex:name "ok" ; '
        'ex:code "1234" ; ex:tag "core" .\n',
        encoding="utf-8",
    )
    assert run(str(data)).exit_code == 0
    assert run(str(data), "--fail-on", "warning").exit_code == 1
    assert run(str(data), "--fail-on", "info").exit_code == 1


def test_json_report() -> None:
    result = run(*INPUTS, "--format", "json")
    report = json.loads(result.output)
    assert report["conforms"] is False
    assert report["counts"] == {"violation": 18, "warning": 4, "info": 1}
    assert len(report["findings"]) == FINDINGS
    odd = next(f for f in report["findings"] if f["value"] == "7")
    assert odd["message"] == {"zh": "分数 7 不是偶数", "en": "score 7 is odd"}
    assert odd["source"] == {"file": "things.csv", "line": 3}


def test_turtle_report_is_a_shacl_report() -> None:
    graph = Graph().parse(data=run(*INPUTS, "--format", "turtle").output, format="turtle")
    assert [c.toPython() for c in graph.objects(None, SH.conforms)] == [False]
    assert len(list(graph.objects(None, SH.result))) == FINDINGS


def test_junit_report_has_a_case_per_rule() -> None:
    suite = ET.fromstring(run(*INPUTS, "--format", "junit").output)
    cases = suite.findall("testcase")
    assert suite.get("tests") == str(len(cases))
    failed = {(c.get("classname"), c.get("name")) for c in cases if c.find("failure") is not None}
    assert ("Thing-name", "MinCountConstraintComponent") in failed
    assert ("Thing-code", "PatternConstraintComponent") not in failed  # a warning
    assert suite.get("failures") == str(len(failed))
    passing = {(c.get("classname"), c.get("name")) for c in cases} - failed
    assert ("Thing-date", "DatatypeConstraintComponent") not in passing


def test_sarif_report_locates_results() -> None:
    sarif = json.loads(run(*INPUTS, "--format", "sarif").output)
    assert sarif["version"] == "2.1.0"
    run_ = sarif["runs"][0]
    rules = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert "Thing-even" in rules
    result = next(r for r in run_["results"] if r["ruleId"] == "Thing-even")
    assert rules[result["ruleIndex"]] == "Thing-even"
    assert result["level"] == "error"
    location = result["locations"][0]["physicalLocation"]
    assert location == {"artifactLocation": {"uri": "things.csv"}, "region": {"startLine": 3}}
    warnings = [r for r in run_["results"] if r["level"] == "warning"]
    assert len(warnings) == 4


def test_output_file(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "report.json"
    result = run(*INPUTS, "--format", "json", "--output", str(out))
    assert result.exit_code == 1
    assert result.output == ""
    assert len(json.loads(out.read_text(encoding="utf-8"))["findings"]) == FINDINGS


def test_reference_engine_agrees() -> None:
    fast = json.loads(run(*INPUTS, "--format", "json").output)["findings"]
    reference = json.loads(run(*INPUTS, "--format", "json", "--engine", "pyshacl").output)
    keys = ("focus", "shape", "component", "severity", "value")
    assert sorted(tuple(f[k] for k in keys) for f in fast) == sorted(
        tuple(f[k] for k in keys) for f in reference["findings"]
    )


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("@prefix ex: <https://example.org/> .\nex:a ex:b .\n", "broken.ttl:2:"),
        (
            "<https://example.org/a> <https://example.org/b> <https://example.org/c>\n",
            "broken.ttl:",
        ),
    ],
)
def test_broken_rdf_is_an_input_error(tmp_path: Path, content: str, where: str) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text(content, encoding="utf-8")
    out = tmp_path / "report.txt"
    result = run(str(broken), "--output", str(out))
    assert result.exit_code == 2
    assert where in result.output
    assert not out.exists()


def test_missing_input_and_nothing_to_do() -> None:
    assert run("no-such-file.ttl").exit_code == 2
    assert "nothing to validate" in run().output


@pytest.mark.parametrize("fmt", ["nt", "nquads", "json-ld", "xml", "trig"])
def test_every_rdf_format_gives_the_same_findings(tmp_path: Path, fmt: str) -> None:
    from rdflib import Dataset

    extension = {"nt": "nt", "nquads": "nq", "json-ld": "jsonld", "xml": "rdf", "trig": "trig"}
    data = Dataset()
    data.parse(DATA / "mini-data.ttl", format="turtle")
    converted = tmp_path / f"mini-data.{extension[fmt]}"
    converted.write_bytes(data.serialize(format=fmt, encoding="utf-8"))
    expected = json.loads(run(*INPUTS, "--format", "json").output)["findings"]
    found = json.loads(run(str(converted), INPUTS[1], "--format", "json").output)["findings"]
    keys = ("focus", "shape", "component", "severity", "value")
    assert sorted(tuple(f[k] for k in keys) for f in found) == sorted(
        tuple(f[k] for k in keys) for f in expected
    )
