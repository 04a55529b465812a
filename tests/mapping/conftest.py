"""Shared helpers of the mapping tests: fixture files, expected Turtle, graph comparison."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from rdflib import Graph

from kgservice.mapping import MappedSource, map_source

DATA = Path(__file__).resolve().parent / "data"

#: Prefixes of the expected Turtle in the tests; relative IRIs resolve against id:.
TURTLE_HEADER = """
@base <https://w3id.org/sckm/id/> .
@prefix city: <https://w3id.org/sckm/city/> .
@prefix code: <https://w3id.org/sckm/codes/> .
@prefix sccm: <https://w3id.org/sckm/core/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix wgs: <http://www.w3.org/2003/01/geo/wgs84_pos#> .
"""


@pytest.fixture(autouse=True)
def demo_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """Person and address tokens in the expected triples use the demo secret."""
    monkeypatch.delenv("KGSERVICE_IRI_SECRET", raising=False)


def turtle(body: str) -> Graph:
    """Parse expected triples written in Turtle with :data:`TURTLE_HEADER`."""
    return Graph().parse(data=TURTLE_HEADER + body, format="turtle")


def assert_same_triples(actual: Graph, expected: Graph) -> None:
    """The two graphs hold exactly the same triples (no blank nodes in mapped data)."""
    missing = set(expected) - set(actual)
    extra = set(actual) - set(expected)
    assert not missing and not extra, (
        "missing:\n"
        + "\n".join(map(str, sorted(missing)))
        + "\nextra:\n"
        + "\n".join(map(str, sorted(extra)))
    )


@functools.cache
def mapped(name: str) -> MappedSource:
    """Map a fixture file (or folder) of ``data/`` once per test session."""
    return map_source(DATA / name)
