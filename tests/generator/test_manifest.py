"""manifest.json: every listed record is really bad, in the way its kind says, with its findings."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kgservice.generator import KINDS, REFERENCE_DATE, GeneratorConfig, build_city
from kgservice.identifiers import (
    citizen_id_birth_date,
    citizen_id_check_char,
    credit_code_check_char,
    is_valid_citizen_id,
    is_valid_credit_code,
    is_valid_organization_code,
)
from kgservice.iri import division_iri, entity_iri, facility_iri, person_iri

from .conftest import PEOPLE, SEED, read_manifest, read_rows

SH = "http://www.w3.org/ns/shacl#"
SHAPES = "https://w3id.org/sckm/shapes/"
KEY_COLUMN = {
    "divisions.csv": "code",
    "population.csv": "person_id",
    "legal_entities.csv": "credit_code",
    "facilities.csv": "facility_code",
}


@pytest.fixture(scope="module")
def manifest(city_dir: Path) -> dict[str, Any]:
    return read_manifest(city_dir)


@pytest.fixture(scope="module")
def files(city_dir: Path) -> dict[str, list[dict[str, str]]]:
    return {name: read_rows(city_dir, name) for name in KEY_COLUMN}


def row_of(files: dict[str, list[dict[str, str]]], record: dict[str, Any]) -> dict[str, str]:
    """Return the CSV row at the record's line (line 1 is the header)."""
    return files[record["file"]][record["line"] - 2]


def test_header(manifest: dict[str, Any]) -> None:
    assert list(manifest) == ["seed", "people", "bad_share", "bad_records"]
    assert (manifest["seed"], manifest["people"], manifest["bad_share"]) == (SEED, PEOPLE, 0.01)


def test_every_kind_occurs(manifest: dict[str, Any]) -> None:
    kinds = Counter(record["kind"] for record in manifest["bad_records"])
    assert set(kinds) == set(KINDS)
    population = sum(kinds[k] for k in KINDS[1:4])
    assert population == round(0.01 * PEOPLE)


def test_records_are_sorted_and_keyed(
    manifest: dict[str, Any], files: dict[str, list[dict[str, str]]]
) -> None:
    records = manifest["bad_records"]
    assert records == sorted(records, key=lambda r: (r["file"], r["line"]))
    assert len({(r["file"], r["line"]) for r in records}) == len(records)
    for record in records:
        assert list(record) == ["file", "line", "key", "kind", "findings"]
        assert row_of(files, record)[KEY_COLUMN[record["file"]]] == record["key"]


def test_each_record_is_bad_as_its_kind_says(
    manifest: dict[str, Any], files: dict[str, list[dict[str, str]]]
) -> None:
    checks = {
        "citizen-id-check-character": bad_check_character,
        "impossible-birth-date": impossible_birth_date,
        "duplicate-citizen-id": duplicate_citizen_id,
        "credit-code-check-character": bad_credit_check_character,
        "dangling-legal-representative": dangling_representative,
        "dangling-operator": dangling_operator,
        "coordinates-outside-china": outside_china,
        "township-under-wrong-county": wrong_county,
    }
    for record in manifest["bad_records"]:
        checks[record["kind"]](row_of(files, record), files)


def bad_check_character(row: dict[str, str], files: dict[str, list[dict[str, str]]]) -> None:
    citizen_id = row["citizen_id"]
    assert not is_valid_citizen_id(citizen_id)
    assert citizen_id_check_char(citizen_id[:17]) != citizen_id[17]
    assert citizen_id[6:14] == row["birth_date"].replace("-", "")
    assert citizen_id[:6] == row["residence_code"][:6]


def impossible_birth_date(row: dict[str, str], files: dict[str, list[dict[str, str]]]) -> None:
    assert is_valid_citizen_id(row["citizen_id"])
    birth = date.fromisoformat(row["birth_date"])
    assert REFERENCE_DATE < date(2080, 1, 1) <= birth < date(2100, 1, 1)
    assert citizen_id_birth_date(row["citizen_id"]) == birth


def duplicate_citizen_id(row: dict[str, str], files: dict[str, list[dict[str, str]]]) -> None:
    same = [other for other in files["population.csv"] if other["citizen_id"] == row["citizen_id"]]
    assert len(same) == 2
    first, second = same
    assert second == row
    assert first["name"] != second["name"]
    for column in ("birth_date", "sex", "residence_code", "phone"):
        assert first[column] == second[column]
    assert is_valid_citizen_id(row["citizen_id"])


def bad_credit_check_character(row: dict[str, str], files: dict[str, list[dict[str, str]]]) -> None:
    code = row["credit_code"]
    assert not is_valid_credit_code(code)
    assert credit_code_check_char(code[:17]) != code[17]
    assert code[8:17] == row["organization_code"]
    assert is_valid_organization_code(row["organization_code"])
    operators = {facility["operator_credit_code"] for facility in files["facilities.csv"]}
    assert code not in operators


def dangling_representative(row: dict[str, str], files: dict[str, list[dict[str, str]]]) -> None:
    assert is_valid_credit_code(row["credit_code"])
    assert is_valid_citizen_id(row["legal_rep_citizen_id"])
    assert row["legal_rep_citizen_id"] not in {p["citizen_id"] for p in files["population.csv"]}


def dangling_operator(row: dict[str, str], files: dict[str, list[dict[str, str]]]) -> None:
    assert is_valid_credit_code(row["operator_credit_code"])
    codes = {entity["credit_code"] for entity in files["legal_entities.csv"]}
    assert row["operator_credit_code"] not in codes
    assert row["operator_credit_code"][:17] not in {code[:17] for code in codes}


def outside_china(row: dict[str, str], files: dict[str, list[dict[str, str]]]) -> None:
    lat, long = Decimal(row["latitude"]), Decimal(row["longitude"])
    assert not Decimal("3.8") <= lat <= Decimal("53.6")
    assert not Decimal("73.5") <= long <= Decimal("135.1")


def wrong_county(row: dict[str, str], files: dict[str, list[dict[str, str]]]) -> None:
    levels = {division["code"]: division["level"] for division in files["divisions.csv"]}
    assert row["level"] == "township"
    assert levels[row["parent_code"]] == "county"
    assert not row["code"].startswith(row["parent_code"])


def test_bad_people_and_entities_are_not_linked(
    manifest: dict[str, Any], files: dict[str, list[dict[str, str]]]
) -> None:
    representatives = {entity["legal_rep_citizen_id"] for entity in files["legal_entities.csv"]}
    for record in manifest["bad_records"]:
        if record["file"] == "population.csv":
            assert row_of(files, record)["citizen_id"] not in representatives


def expected_findings(record: dict[str, Any], row: dict[str, str]) -> list[tuple[str, str, str]]:
    """(focus, shape, component) of each finding, recomputed from the row."""
    kind = record["kind"]
    if record["file"] == "population.csv":
        shape, component = {
            "citizen-id-check-character": ("NaturalPerson-citizenId-checksum", "SPARQL"),
            "impossible-birth-date": ("NaturalPerson-birthDate-range", "SPARQL"),
            "duplicate-citizen-id": ("NaturalPerson-personName", "MaxCount"),
        }[kind]
        return [(str(person_iri(row["citizen_id"])), shape, component)]
    if record["file"] == "legal_entities.csv":
        shape, component = {
            "credit-code-check-character": ("LegalEntity-creditCode-checksum", "SPARQL"),
            "dangling-legal-representative": ("LegalEntity-legalRepresentative", "Class"),
        }[kind]
        return [(str(entity_iri(row["credit_code"])), shape, component)]
    if record["file"] == "divisions.csv":
        return [(str(division_iri(row["code"])), "AdministrativeDivision-code-prefix", "SPARQL")]
    focus = str(facility_iri("facilities", row["facility_code"]))
    if kind == "dangling-operator":
        return [(focus, "Facility-operator", "Class")]
    lat, long = Decimal(row["latitude"]), Decimal(row["longitude"])
    return [
        (focus, "Located-lat", "MinInclusive" if lat < Decimal("3.8") else "MaxInclusive"),
        (focus, "Located-long", "MinInclusive" if long < Decimal("73.5") else "MaxInclusive"),
    ]


def test_findings(manifest: dict[str, Any], files: dict[str, list[dict[str, str]]]) -> None:
    for record in manifest["bad_records"]:
        found = [
            (f["focus"], f["shape"], f["component"], f["severity"]) for f in record["findings"]
        ]
        expected = [
            (
                focus,
                SHAPES + shape,
                f"{SH}{component}ConstraintComponent",
                SH
                + ("Warning" if record["kind"] == "credit-code-check-character" else "Violation"),
            )
            for focus, shape, component in expected_findings(record, row_of(files, record))
        ]
        assert found == expected, record


def test_coordinate_faults_cover_both_bounds() -> None:
    city = build_city(GeneratorConfig(people=20_000, seed=2))
    components = {
        finding.component.removeprefix(SH)
        for record in city.bad_records
        if record.kind == "coordinates-outside-china"
        for finding in record.findings
    }
    assert components == {"MinInclusiveConstraintComponent", "MaxInclusiveConstraintComponent"}


def test_person_focus_follows_the_iri_secret() -> None:
    default = build_city(GeneratorConfig(people=400, seed=4, bad_share=0.05))
    other = build_city(GeneratorConfig(people=400, seed=4, bad_share=0.05, iri_secret="other"))
    assert default.people == other.people

    def person_foci(city: Any) -> list[str]:
        return [
            finding.focus
            for record in city.bad_records
            if record.file == "population.csv"
            for finding in record.findings
        ]

    assert person_foci(default)
    assert not set(person_foci(default)) & set(person_foci(other))


def test_no_bad_records_when_the_share_is_zero(clean_city_dir: Path) -> None:
    manifest = read_manifest(clean_city_dir)
    assert manifest["bad_records"] == []
    assert manifest["bad_share"] == 0
    people = read_rows(clean_city_dir, "population.csv")
    assert all(is_valid_citizen_id(row["citizen_id"]) for row in people)
    entities = read_rows(clean_city_dir, "legal_entities.csv")
    assert all(is_valid_credit_code(row["credit_code"]) for row in entities)
    ids = {row["citizen_id"] for row in people}
    assert all(row["legal_rep_citizen_id"] in ids for row in entities)
    codes = {row["credit_code"] for row in entities}
    assert all(
        row["operator_credit_code"] in codes for row in read_rows(clean_city_dir, "facilities.csv")
    )
