"""legal_entities.csv: valid credit codes of Linyi counties, representatives from the population."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

from kgservice.generator import REFERENCE_DATE
from kgservice.identifiers import is_valid_credit_code, is_valid_organization_code

from .conftest import read_rows

CAPITAL = re.compile(r"^[0-9]+\.[0-9]{2}$")
ENTITY_TYPES = {"11", "12", "13", "19", "51", "52", "53", "59", "91", "92", "93", "Y1"}


def good_entities(folder: Path, bad_keys: dict[str, set[str]]) -> list[dict[str, str]]:
    bad = bad_keys.get("legal_entities.csv", set())
    return [row for row in read_rows(folder, "legal_entities.csv") if row["credit_code"] not in bad]


def levels(folder: Path) -> dict[str, str]:
    return {row["code"]: row["level"] for row in read_rows(folder, "divisions.csv")}


def test_credit_codes(city_dir: Path, bad_keys: dict[str, set[str]]) -> None:
    level = levels(city_dir)
    rows = good_entities(city_dir, bad_keys)
    for row in rows:
        code = row["credit_code"]
        assert is_valid_credit_code(code), row
        assert level[code[2:8]] == "county"
        assert code[8:17] == row["organization_code"]
        assert is_valid_organization_code(row["organization_code"])
        assert code[:2] == row["entity_type"]
    assert len({row["credit_code"] for row in rows}) == len(rows)


def test_entity_fields(city_dir: Path, bad_keys: dict[str, set[str]]) -> None:
    level = levels(city_dir)
    rows = good_entities(city_dir, bad_keys)
    for row in rows:
        assert row["entity_type"] in ENTITY_TYPES
        assert row["status"] in {"1", "2", "3", "4", "9"}
        assert row["industry"] in "ABCDEFGHIJKLMNOPQRST"
        assert date(1990, 1, 1) <= date.fromisoformat(row["registration_date"]) <= REFERENCE_DATE
        assert CAPITAL.match(row["registered_capital"])
        assert row["currency"] == "CNY"
        assert level[row["address_code"]] == "township"
        assert row["address"].endswith("号")
        assert row["name"]
    types = Counter(row["entity_type"] for row in rows)
    assert types.most_common(1)[0][0] == "91"
    assert len(types) >= 5
    assert Counter(row["status"] for row in rows).most_common(1)[0][0] == "1"
    assert len({row["name"] for row in rows}) == len(rows)


def test_representatives_are_residents(city_dir: Path, bad_keys: dict[str, set[str]]) -> None:
    people = {row["citizen_id"]: row for row in read_rows(city_dir, "population.csv")}
    bad_people = bad_keys.get("population.csv", set())
    for row in good_entities(city_dir, bad_keys):
        person = people[row["legal_rep_citizen_id"]]
        assert person["name"] == row["legal_rep_name"]
        assert person["person_id"] not in bad_people
        adult = date.fromisoformat(person["birth_date"]).replace(month=1, day=1)
        assert date.fromisoformat(row["registration_date"]) >= adult.replace(year=adult.year + 18)


def test_some_people_represent_several_entities(city_dir: Path) -> None:
    rows = read_rows(city_dir, "legal_entities.csv")
    counts = Counter(row["legal_rep_citizen_id"] for row in rows)
    assert sum(1 for n in counts.values() if n >= 2) >= 5
    assert max(counts.values()) >= 3


def test_some_entities_are_registered_away_from_home(
    city_dir: Path, bad_keys: dict[str, set[str]]
) -> None:
    people = {row["citizen_id"]: row for row in read_rows(city_dir, "population.csv")}
    rows = good_entities(city_dir, bad_keys)
    away = [
        row
        for row in rows
        if people[row["legal_rep_citizen_id"]]["residence_code"][:6] != row["credit_code"][2:8]
    ]
    assert 0.05 * len(rows) < len(away) < 0.5 * len(rows)
