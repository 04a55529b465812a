"""Reading the Protégé catalog and following owl:imports through it, never the network."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDFS, XSD

from kgservice.errors import InputError
from kgservice.ontology.files import load_closure, parse_file, read_catalog

DATA = Path(__file__).resolve().parents[1] / "data" / "reasoner"
CATALOG = DATA / "catalog-v001.xml"
BASE = "https://example.org/r/base/"


def test_read_catalog_resolves_paths_against_the_catalog() -> None:
    assert read_catalog(CATALOG) == {
        "https://example.org/r/base": DATA / "base.ttl",
        "https://example.org/r/top": DATA / "top.ttl",
    }


def test_load_closure_follows_imports_recursively() -> None:
    graph = load_closure(DATA / "unsatisfiable.ttl", CATALOG)
    # unsatisfiable.ttl -> top.ttl -> base.ttl
    assert (URIRef(BASE + "PersonOrganization"), RDFS.subClassOf, URIRef(BASE + "Person")) in graph
    assert (URIRef(BASE + "zhangsan"), URIRef(BASE + "birthDate"), None) in graph
    assert (URIRef(BASE + "Person"), RDFS.label, Literal("自然人", lang="zh")) in graph
    assert (URIRef(BASE + "birthDate"), RDFS.range, XSD.date) in graph


def test_import_missing_from_the_catalog_is_an_input_error() -> None:
    with pytest.raises(InputError, match=re.escape("https://example.org/r/not-in-catalog")):
        load_closure(DATA / "missing_import.ttl", CATALOG)


def test_import_without_a_catalog_is_an_input_error() -> None:
    with pytest.raises(InputError, match=re.escape("https://example.org/r/base")):
        load_closure(DATA / "top.ttl", None)


def test_parse_error_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix ex: <https://example.org/> .\nex:a ex:b .\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"broken\.ttl"):
        parse_file(broken)
