"""facilities.csv: real townships, existing operators, code-list slugs, coordinates in Linyi."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import SKOS

from kgservice.generator.divisions import load_divisions
from kgservice.generator.facilities import (
    FACILITY_TYPES,
    LAT_RANGE,
    LINYI_CITY,
    LONG_RANGE,
    STATUSES,
    reference_points,
)
from kgservice.namespaces import CODE

from .conftest import read_rows

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def code_lists() -> Graph:
    return Graph().parse(ROOT / "ontology" / "codes.ttl")


def concepts(graph: Graph, scheme: str) -> set[str]:
    """Return the slugs of the concepts of ``code:<scheme>``."""
    prefix = str(CODE[f"{scheme}-"])
    return {
        str(concept)[len(prefix) :]
        for concept in graph.subjects(SKOS.inScheme, CODE[scheme])
        if str(concept).startswith(prefix)
    }


def test_slugs_are_in_the_code_lists(code_lists: Graph) -> None:
    assert set(FACILITY_TYPES) <= concepts(code_lists, "facility-type")
    assert {slug for slug, _ in STATUSES} <= concepts(code_lists, "facility-status")


def good_facilities(folder: Path, bad_keys: dict[str, set[str]]) -> list[dict[str, str]]:
    bad = bad_keys.get("facilities.csv", set())
    return [row for row in read_rows(folder, "facilities.csv") if row["facility_code"] not in bad]


def test_townships_and_operators_exist(city_dir: Path, bad_keys: dict[str, set[str]]) -> None:
    townships = {
        row["code"] for row in read_rows(city_dir, "divisions.csv") if row["level"] == "township"
    }
    bad_entities = bad_keys.get("legal_entities.csv", set())
    operators = {
        row["credit_code"]
        for row in read_rows(city_dir, "legal_entities.csv")
        if row["credit_code"] not in bad_entities
    }
    rows = good_facilities(city_dir, bad_keys)
    assert rows
    for row in rows:
        assert row["township_code"] in townships
        assert row["operator_credit_code"] in operators
        assert row["facility_type"] in FACILITY_TYPES
        assert row["name"]
    assert len({row["facility_code"] for row in rows}) == len(rows)


def test_coordinates_lie_in_linyi(city_dir: Path, bad_keys: dict[str, set[str]]) -> None:
    for row in good_facilities(city_dir, bad_keys):
        lat, long = Decimal(row["latitude"]), Decimal(row["longitude"])
        assert Decimal(LAT_RANGE[0]) / 10**6 <= lat <= Decimal(LAT_RANGE[1]) / 10**6
        assert Decimal(LONG_RANGE[0]) / 10**6 <= long <= Decimal(LONG_RANGE[1]) / 10**6


def test_frequent_types(clean_city_dir: Path) -> None:
    types = Counter(row["facility_type"] for row in read_rows(clean_city_dir, "facilities.csv"))
    assert types["video-camera"] > types["hospital"]
    assert (
        Counter(row["status"] for row in read_rows(clean_city_dir, "facilities.csv")).most_common(
            1
        )[0][0]
        == "in-service"
    )


def test_reference_points() -> None:
    divisions = load_divisions()
    points = reference_points(divisions)
    assert set(points) == {county.code for county in divisions.counties}
    for lat, long in points.values():
        assert LAT_RANGE[0] <= lat <= LAT_RANGE[1]
        assert LONG_RANGE[0] <= long <= LONG_RANGE[1]
    assert points["371322"] == (34_615_200, 118_338_000)  # 郯城, matched by its Chinese name
    assert points["371323"] == (35_784_720, 118_628_060)  # Yishui, matched by the seat table
    assert points["371302"] == LINYI_CITY  # urban district: Linyi city
    assert len(set(points.values())) == 10
