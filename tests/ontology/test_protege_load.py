"""The project's own model loads in the OWL API (Protégé's parser) as an editor would open it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgservice.namespaces import MODULES, TOP_ONTOLOGY, module_iri
from kgservice.ontology.owlapi import OwlApiReport, check_with_owlapi


@pytest.fixture(scope="module")
def top_report(ontology_dir: Path) -> OwlApiReport:
    return check_with_owlapi(ontology_dir / "sckm.ttl", ontology_dir / "catalog-v001.xml")


def test_top_module_loads_every_imported_module(top_report: OwlApiReport) -> None:
    assert top_report.loaded, top_report.error
    loaded = {o.iri for o in top_report.ontologies}
    expected = {module_iri(m) for m in MODULES if m != "alignment"} | {TOP_ONTOLOGY}
    assert loaded == expected


def test_every_module_is_read_from_its_local_file(top_report: OwlApiReport) -> None:
    for ontology in top_report.ontologies:
        assert ontology.document.startswith("file:"), ontology.document
        assert ontology.format == "Turtle"


def test_no_unparsed_triples_and_no_profile_violation(top_report: OwlApiReport) -> None:
    assert [(o.iri, o.unparsed_examples) for o in top_report.ontologies if o.unparsed_triples] == []
    assert list(top_report.violations) == []
    assert top_report.clean


def test_core_module_has_its_axioms(top_report: OwlApiReport) -> None:
    core = next(o for o in top_report.ontologies if o.iri == module_iri("core"))
    # 22 subclass (5 concepts are roots), 62 domain, 62 range, 31 inverse pairs, 2 transitive,
    # 3 disjointness and 1 equivalence axioms: nothing is lost in parsing
    assert core.logical_axioms >= 22 + 62 + 62 + 31 + 2 + 3 + 1


def test_alignment_loads_on_its_own(ontology_dir: Path) -> None:
    report = check_with_owlapi(ontology_dir / "alignment.ttl", ontology_dir / "catalog-v001.xml")
    assert report.clean, (report.error, report.violations)
    assert module_iri("alignment") in {o.iri for o in report.ontologies}
