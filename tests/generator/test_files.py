"""The five files: same seed same bytes, the contract's columns, UTF-8 and ``\\n`` line ends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kgservice.generator import FILES, GeneratorConfig, generate_city
from kgservice.generator.writer import (
    DIVISION_COLUMNS,
    ENTITY_COLUMNS,
    FACILITY_COLUMNS,
    POPULATION_COLUMNS,
)

from .conftest import read_rows

CONTRACT_COLUMNS = {
    "divisions.csv": "code,name,parent_code,level",
    "population.csv": "person_id,citizen_id,name,sex,birth_date,residence_code,phone",
    "legal_entities.csv": (
        "credit_code,organization_code,name,entity_type,registration_date,status,"
        "registered_capital,currency,industry,legal_rep_citizen_id,legal_rep_name,address,"
        "address_code"
    ),
    "facilities.csv": (
        "facility_code,name,facility_type,operator_credit_code,township_code,longitude,"
        "latitude,status"
    ),
}


def code_prefix(code: str) -> str:
    """A division code without the trailing ``00`` pairs of a 6-digit code."""
    while len(code) in (2, 4, 6) and code.endswith("00"):
        code = code[:-2]
    return code


def generate(folder: Path, seed: int, people: int = 500) -> dict[str, bytes]:
    generate_city(GeneratorConfig(people=people, seed=seed), folder)
    return {name: (folder / name).read_bytes() for name in FILES}


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", seed=11)
    second = generate(tmp_path / "b", seed=11)
    assert first == second


def test_another_seed_gives_another_city(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", seed=11)
    second = generate(tmp_path / "b", seed=12)
    for name in ("population.csv", "legal_entities.csv", "facilities.csv", "manifest.json"):
        assert first[name] != second[name], name


def test_files_are_written(city_dir: Path) -> None:
    assert sorted(path.name for path in city_dir.iterdir()) == sorted(FILES)


@pytest.mark.parametrize("name", sorted(CONTRACT_COLUMNS))
def test_columns_are_the_contracts(city_dir: Path, name: str) -> None:
    text = (city_dir / name).read_bytes().decode("utf-8")
    assert text.split("\n", 1)[0] == CONTRACT_COLUMNS[name]
    assert "\r" not in text
    assert text.endswith("\n")
    assert not text.startswith("\ufeff")
    width = len(CONTRACT_COLUMNS[name].split(","))
    assert all(len(row) == width for row in read_rows(city_dir, name))


def test_writer_columns_match_the_contract() -> None:
    assert ",".join(DIVISION_COLUMNS) == CONTRACT_COLUMNS["divisions.csv"]
    assert ",".join(POPULATION_COLUMNS) == CONTRACT_COLUMNS["population.csv"]
    assert ",".join(ENTITY_COLUMNS) == CONTRACT_COLUMNS["legal_entities.csv"]
    assert ",".join(FACILITY_COLUMNS) == CONTRACT_COLUMNS["facilities.csv"]


def test_divisions_are_linyis(clean_city_dir: Path) -> None:
    rows = read_rows(clean_city_dir, "divisions.csv")
    levels: dict[str, int] = {}
    for row in rows:
        levels[row["level"]] = levels.get(row["level"], 0) + 1
    assert levels == {
        "province": 1,
        "prefecture": 1,
        "county": 13,
        "township": 156,
        "village": 4078,
    }
    assert rows[0] == {"code": "370000", "name": "山东省", "parent_code": "", "level": "province"}
    assert rows[1] == {
        "code": "371300",
        "name": "临沂市",
        "parent_code": "370000",
        "level": "prefecture",
    }
    by_code = {row["code"]: row for row in rows}
    assert "371301" not in by_code
    assert by_code["371323"]["name"] == "沂水县"
    assert by_code["371371"]["level"] == "county"
    parent_level = {"prefecture": "province", "county": "prefecture", "township": "county"}
    parent_level["village"] = "township"
    for row in rows[1:]:
        parent = by_code[row["parent_code"]]
        assert parent["level"] == parent_level[row["level"]]
        assert row["code"].startswith(code_prefix(parent["code"]))


def test_a_small_city_works(tmp_path: Path) -> None:
    city = generate_city(GeneratorConfig(people=100, seed=3), tmp_path)
    assert len(read_rows(tmp_path, "population.csv")) == len(city.people) >= 100
    assert len(read_rows(tmp_path, "legal_entities.csv")) == 8
    assert len(read_rows(tmp_path, "facilities.csv")) == 2


def test_bytes_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path;"
        "from kgservice.generator import GeneratorConfig, generate_city;"
        "generate_city(GeneratorConfig(people=300, seed=4), Path(sys.argv[1]))"
    )
    outputs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / hash_seed
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", script, str(out)], env=env, check=True)
        outputs.append({name: (out / name).read_bytes() for name in FILES})
    assert outputs[0] == outputs[1]
