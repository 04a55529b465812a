"""A generated city shared by the generator tests, and helpers to read its files."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from kgservice.generator import GeneratorConfig, generate_city

PEOPLE = 3000
SEED = 5


def read_rows(folder: Path, name: str) -> list[dict[str, str]]:
    """Return the rows of one generated CSV file as dicts."""
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def city_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A city of 3,000 people (seed 5, 1 % bad records), written once per session."""
    out = tmp_path_factory.mktemp("city")
    generate_city(GeneratorConfig(people=PEOPLE, seed=SEED), out)
    return out


@pytest.fixture(scope="session")
def clean_city_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A city of 3,000 people without bad records."""
    out = tmp_path_factory.mktemp("clean-city")
    generate_city(GeneratorConfig(people=PEOPLE, seed=SEED, bad_share=0), out)
    return out


@pytest.fixture(scope="session")
def bad_keys(city_dir: Path) -> dict[str, set[str]]:
    """The manifest's keys, by file."""
    keys: dict[str, set[str]] = {}
    for record in read_manifest(city_dir)["bad_records"]:
        keys.setdefault(record["file"], set()).add(record["key"])
    return keys
