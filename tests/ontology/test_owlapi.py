"""Tests of the Protégé-parser check (kgservice.ontology.owlapi), with the real OWL API."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kgservice.errors import InputError, ToolMissingError
from kgservice.ontology.owlapi import (
    OWLAPI_JARS,
    OwlApiReport,
    check_with_owlapi,
    compile_checker,
    owlapi_classpath,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "owlapi"
CATALOG = DATA / "catalog-v001.xml"
TEST = "https://example.org/test/"


@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Compile the checker into a throw-away cache, once for the module."""
    cache = tmp_path_factory.mktemp("xdg-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(cache))
        yield cache


def check(name: str, catalog: Path | None = None) -> OwlApiReport:
    return check_with_owlapi(DATA / name, catalog)


# --- clean ontologies ---------------------------------------------------------------------


def test_clean_two_module_pair_resolves_the_import_through_the_catalog() -> None:
    report = check("top.ttl", CATALOG)

    assert report.loaded
    assert report.error is None
    assert report.clean
    assert report.profile == "OWL 2 DL"
    assert report.violations == ()
    top, base = report.ontologies
    assert (top.iri, top.version_iri) == (TEST + "top", None)
    assert (base.iri, base.version_iri) == (TEST + "base", TEST + "base/1.0.0")
    assert top.document == (DATA / "top.ttl").as_uri().replace("file:///", "file:/")
    assert base.document.endswith("/tests/data/owlapi/base.ttl")
    assert {top.format, base.format} == {"Turtle"}  # the Rio Turtle parser, as in Protégé
    # top: 2 class declarations, 2 subclass axioms, 1 disjointness, 3 labels
    assert (top.axioms, top.logical_axioms) == (8, 3)
    # base: declarations of Facility, openedOn and xsd:date, domain, range, 3 labels
    assert (base.axioms, base.logical_axioms) == (8, 2)
    assert (top.unparsed_triples, base.unparsed_triples) == (0, 0)
    assert report.unparsed_triples == 0


def test_each_import_is_read_by_the_parser_its_extension_names() -> None:
    report = check("mixed/top.ttl", DATA / "mixed" / "catalog-v001.xml")

    assert report.clean, report
    assert [(o.iri, o.format) for o in report.ontologies] == [
        (TEST + "mixed", "Turtle"),
        (TEST + "base", "RDF/XML Syntax"),
        (TEST + "extra", "OWL/XML Syntax"),
    ]
    assert report.ontologies[1].document.endswith("/mixed/modules/base.owl")
    assert report.ontologies[2].document.endswith("/mixed/modules/extra.owx")
    assert [o.axioms for o in report.ontologies] == [3, 8, 2]


# --- loaded, but not clean ----------------------------------------------------------------


def test_undeclared_datatype_and_property_are_profile_violations() -> None:
    report = check("undeclared_datatype.ttl")

    assert report.loaded
    assert not report.clean
    assert report.unparsed_triples == 0
    by_type = {v.type: v for v in report.violations}
    assert sorted(by_type) == ["UseOfUndeclaredAnnotationProperty", "UseOfUndeclaredDatatype"]
    datatype = by_type["UseOfUndeclaredDatatype"]
    assert datatype.ontology == TEST + "undeclared"
    assert datatype.axiom == f"DataPropertyRange(<{TEST}undeclared#startsOn> xsd:date)"
    assert datatype.message.startswith("Use of undeclared datatype: xsd:date")
    annotation = by_type["UseOfUndeclaredAnnotationProperty"]
    # Non-ASCII text survives the Java -> JSON -> Python trip.
    assert annotation.axiom is not None
    assert '"市政活动"@zh' in annotation.axiom
    assert f"<{TEST}undeclared#remark>" in annotation.message


def test_triples_the_owl_api_cannot_map_are_reported_as_unparsed() -> None:
    report = check("unparsed.ttl")

    assert report.loaded
    assert not report.clean
    assert report.violations == ()
    (ontology,) = report.ontologies
    assert ontology.iri == TEST + "unparsed"
    assert ontology.unparsed_triples == 2
    assert report.unparsed_triples == 2
    assert len(ontology.unparsed_examples) == 2
    union, disjoint = ontology.unparsed_examples
    assert "<http://www.w3.org/2002/07/owl#unionOf>" in union
    assert "<http://www.w3.org/2002/07/owl#AllDisjointClasses>" in disjoint
    assert (ontology.axioms, ontology.logical_axioms) == (2, 0)  # only the two declarations


# --- not loaded ---------------------------------------------------------------------------


def test_broken_turtle_is_a_load_failure_not_an_empty_ontology() -> None:
    report = check("broken.ttl")

    assert not report.loaded
    assert not report.clean
    assert report.ontologies == ()
    assert report.error is not None
    assert "broken.ttl" in report.error
    assert "RDFParseException: Expected '.', found ':' [line 9]" in report.error
    # Exactly one parser was tried: the Turtle one.
    assert "1) org.semanticweb.owlapi.rio.RioParserImpl" in report.error
    assert "2)" not in report.error


def test_parser_comes_from_the_extension_so_turtle_named_owl_fails() -> None:
    report = check("turtle_named.owl")

    assert not report.loaded
    assert report.error is not None
    assert "RDFXMLParser" in report.error
    assert "Content is not allowed in prolog" in report.error
    assert "Rio" not in report.error


def test_unresolvable_import_fails_and_names_the_iri() -> None:
    report = check("missing_import.ttl", CATALOG)

    assert not report.loaded
    assert report.error is not None
    assert "Could not load imported ontology: <https://example.invalid/missing>" in report.error
    assert "not mapped to a local file by the catalog" in report.error


def test_broken_import_fails_with_the_parse_error() -> None:
    report = check("imports_broken.ttl", DATA / "catalog-broken-import.xml")

    assert not report.loaded
    assert report.error is not None
    assert f"Could not load imported ontology: <{TEST}broken>" in report.error
    assert "[line 9]" in report.error


def test_an_owl_api_crash_is_reported_not_raised() -> None:
    report = check("crash.ttl")

    assert not report.loaded
    assert report.error is not None
    assert report.error.startswith("the OWL API failed while loading ")
    assert "crash.ttl" in report.error
    assert "NullPointerException" in report.error


# --- the Java program itself --------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "exit_code", "ok"),
    [
        (["--catalog", str(CATALOG), str(DATA / "top.ttl")], 0, True),
        ([str(DATA / "unparsed.ttl")], 1, False),
        ([str(DATA / "undeclared_datatype.ttl")], 1, False),
        ([str(DATA / "broken.ttl")], 2, False),
        ([str(DATA / "catalog-v001.xml")], 2, False),  # unsupported extension
        ([], 2, False),  # usage error
    ],
)
def test_java_exit_code_and_stdout_is_one_json_object(
    args: list[str], exit_code: int, ok: bool
) -> None:
    classpath = owlapi_classpath() + os.pathsep + str(compile_checker())
    result = subprocess.run(
        ["java", "-Dfile.encoding=UTF-8", "-cp", classpath, "OntologyCheck", *args],
        capture_output=True,
        check=False,
        timeout=120,
    )

    assert result.returncode == exit_code, result.stderr
    lines = result.stdout.decode("utf-8").splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert list(data) == ["ok", "error", "ontologies", "profile", "violations"]
    assert data["ok"] is ok
    assert (data["error"] is None) == (exit_code != 2)


# --- errors and the compile cache ---------------------------------------------------------


def test_missing_files_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"ontology file not found: .*nope\.ttl"):
        check_with_owlapi(tmp_path / "nope.ttl")
    with pytest.raises(InputError, match=r"catalog file not found: .*nope\.xml"):
        check_with_owlapi(DATA / "top.ttl", tmp_path / "nope.xml")


def test_missing_jars_are_listed(tmp_path: Path) -> None:
    (tmp_path / "guava.jar").write_bytes(b"")
    with pytest.raises(ToolMissingError) as excinfo:
        owlapi_classpath(tmp_path)
    message = excinfo.value.message
    assert "owlapi-distribution.jar" in message
    assert "rdf4j-rio-turtle.jar" in message
    assert "guava.jar," not in message
    assert "apt-get install libowlapi-java openjdk-17-jdk-headless" in message


def test_classpath_uses_unversioned_debian_jar_names() -> None:
    classpath = owlapi_classpath().split(os.pathsep)
    assert classpath[0] == "/usr/share/java/owlapi-distribution.jar"
    assert len(classpath) == len(OWLAPI_JARS) == len(set(OWLAPI_JARS))
    assert not [jar for jar in classpath if re.search(r"-\d+(\.\d+)+\.jar$", jar)]


def test_missing_java_is_a_tool_missing_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissingError, match=r"`javac` not found.*scripts/bootstrap"):
        check_with_owlapi(DATA / "top.ttl", CATALOG)


def test_compile_checker_compiles_once_even_when_racing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with ThreadPoolExecutor(max_workers=3) as pool:
        directories = set(pool.map(lambda _: compile_checker(), range(3)))

    (directory,) = directories
    assert directory.parent == tmp_path / "kgservice" / "owlapi"
    assert [p.name for p in directory.parent.iterdir()] == [directory.name]  # no leftovers
    compiled = directory / "OntologyCheck.class"
    stamp = compiled.stat().st_mtime_ns
    assert compile_checker() == directory
    assert compiled.stat().st_mtime_ns == stamp
