"""Write a generated city: four UTF-8 CSV files with ``\\n`` line ends and ``manifest.json``.

The columns are those of docs/data-model.md §1, in that order.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from kgservice.errors import InputError
from kgservice.generator.city import City
from kgservice.generator.faults import DIVISIONS, ENTITIES, FACILITIES, POPULATION

MANIFEST = "manifest.json"
DIVISION_COLUMNS = ("code", "name", "parent_code", "level")
POPULATION_COLUMNS = (
    "person_id",
    "citizen_id",
    "name",
    "sex",
    "birth_date",
    "residence_code",
    "phone",
)
ENTITY_COLUMNS = (
    "credit_code",
    "organization_code",
    "name",
    "entity_type",
    "registration_date",
    "status",
    "registered_capital",
    "currency",
    "industry",
    "legal_rep_citizen_id",
    "legal_rep_name",
    "address",
    "address_code",
)
FACILITY_COLUMNS = (
    "facility_code",
    "name",
    "facility_type",
    "operator_credit_code",
    "township_code",
    "longitude",
    "latitude",
    "status",
)
FILES = (DIVISIONS, POPULATION, ENTITIES, FACILITIES, MANIFEST)


def cell(value: object) -> str:
    """Render one value: dates as ``YYYY-MM-DD`` (``str`` of a date), the rest with ``str``."""
    return str(value)


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[object]) -> None:
    """Write dataclass rows whose fields are ``columns``, in that order."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([cell(getattr(row, column)) for column in columns] for row in rows)


def manifest(city: City) -> dict[str, object]:
    """Return the manifest of the city's bad records (docs/data-model.md §5)."""
    return {
        "seed": city.config.seed,
        "people": city.config.people,
        "bad_share": city.config.bad_share,
        "bad_records": [record.as_json() for record in city.bad_records],
    }


def write_city(city: City, out: Path) -> list[Path]:
    """Write the five files into ``out`` (created when missing); return their paths."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_csv(out / DIVISIONS, DIVISION_COLUMNS, city.divisions)
        write_csv(out / POPULATION, POPULATION_COLUMNS, city.people)
        write_csv(out / ENTITIES, ENTITY_COLUMNS, city.entities)
        write_csv(out / FACILITIES, FACILITY_COLUMNS, city.facilities)
        text = json.dumps(manifest(city), ensure_ascii=False, indent=2) + "\n"
        (out / MANIFEST).write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise InputError(f"{out}: cannot write the city: {exc}") from exc
    return [out / name for name in FILES]
