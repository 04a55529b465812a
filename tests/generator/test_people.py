"""population.csv: valid, consistent and unique citizen IDs, plausible people."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

from kgservice.generator import REFERENCE_DATE
from kgservice.identifiers import (
    citizen_id_birth_date,
    citizen_id_sex,
    is_valid_citizen_id,
)

from .conftest import PEOPLE, read_rows

PHONE = re.compile(r"^1[3-9][0-9]{9}$")


def good_people(folder: Path, bad_keys: dict[str, set[str]]) -> list[dict[str, str]]:
    bad = bad_keys.get("population.csv", set())
    return [row for row in read_rows(folder, "population.csv") if row["person_id"] not in bad]


def test_ids_are_valid_and_consistent(city_dir: Path, bad_keys: dict[str, set[str]]) -> None:
    villages = {
        row["code"] for row in read_rows(city_dir, "divisions.csv") if row["level"] == "village"
    }
    for row in good_people(city_dir, bad_keys):
        citizen_id = row["citizen_id"]
        assert is_valid_citizen_id(citizen_id), row
        assert row["residence_code"] in villages
        assert citizen_id[:6] == row["residence_code"][:6]
        assert citizen_id_birth_date(citizen_id).isoformat() == row["birth_date"]
        assert str(citizen_id_sex(citizen_id)) == row["sex"]


def test_ids_are_unique_outside_bad_records(city_dir: Path, bad_keys: dict[str, set[str]]) -> None:
    ids = [row["citizen_id"] for row in good_people(city_dir, bad_keys)]
    assert len(ids) == len(set(ids))


def test_a_clean_city_has_exactly_the_people_asked_for(clean_city_dir: Path) -> None:
    rows = read_rows(clean_city_dir, "population.csv")
    assert len(rows) == PEOPLE
    assert [row["person_id"] for row in rows[:2]] == ["P0000001", "P0000002"]
    assert len({row["citizen_id"] for row in rows}) == PEOPLE
    assert all(is_valid_citizen_id(row["citizen_id"]) for row in rows)


def test_ages_are_realistic(clean_city_dir: Path) -> None:
    births = [
        date.fromisoformat(row["birth_date"]) for row in read_rows(clean_city_dir, "population.csv")
    ]
    assert min(births) >= date(1930, 1, 1)
    assert max(births) <= REFERENCE_DATE
    ages = Counter((REFERENCE_DATE.year - birth.year) // 20 for birth in births)
    assert all(ages[band] > 0.05 * PEOPLE for band in range(4))  # 0-79 year olds are common
    assert ages[4] < 0.05 * PEOPLE  # 80 or older are few


def test_sexes_names_and_phones(clean_city_dir: Path) -> None:
    rows = read_rows(clean_city_dir, "population.csv")
    sexes = Counter(row["sex"] for row in rows)
    assert set(sexes) == {"1", "2"}
    assert abs(sexes["1"] - sexes["2"]) < 0.1 * PEOPLE
    assert all(2 <= len(row["name"]) <= 3 for row in rows)
    assert len({row["name"] for row in rows}) > 0.8 * PEOPLE
    phones = [row["phone"] for row in rows if row["phone"]]
    assert all(PHONE.match(phone) for phone in phones)
    assert len(phones) == len(set(phones)) > 0.8 * PEOPLE
    for row in rows:
        if not row["phone"]:
            assert REFERENCE_DATE.year - int(row["birth_date"][:4]) <= 13
