"""The real administrative divisions of Linyi (临沂市, 3713) that a synthetic city lives in.

Read from ``data/real/``: the province and prefecture names from ``china-admin-divisions``, the
counties, townships and villages from ``linyi-villages/linyi-345-3713-flat.csv`` (NBS 2021
edition). The ``371301`` 市辖区 row is an empty placeholder and is skipped; ``371371`` (the
high-tech zone) is kept, it has townships and villages.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kgservice.errors import InputError
from kgservice.iri import division_code

DATA_DIR_ENV = "KGSERVICE_REAL_DATA_DIR"
PROVINCE = "37"
PREFECTURE = "3713"
PLACEHOLDER_COUNTY = "371301"
LINYI_FILE = Path("linyi-villages") / "linyi-345-3713-flat.csv"
PROVINCES_FILE = Path("china-admin-divisions") / "provinces.csv"
PREFECTURES_FILE = Path("china-admin-divisions") / "cities.csv"


@dataclass(frozen=True, slots=True)
class Division:
    """One row of ``divisions.csv``."""

    code: str
    name: str
    parent_code: str
    level: str


@dataclass(slots=True)
class Divisions:
    """Linyi's divisions in file order, with look-ups by level."""

    rows: list[Division]
    counties: list[Division] = field(default_factory=list)
    townships: list[Division] = field(default_factory=list)
    villages: list[Division] = field(default_factory=list)
    townships_by_county: dict[str, list[Division]] = field(default_factory=dict)
    by_code: dict[str, Division] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for row in self.rows:
            self.by_code[row.code] = row
            if row.level == "county":
                self.counties.append(row)
                self.townships_by_county[row.code] = []
            elif row.level == "township":
                self.townships.append(row)
                self.townships_by_county[row.parent_code].append(row)
            elif row.level == "village":
                self.villages.append(row)


def real_data_dir() -> Path:
    """Return ``$KGSERVICE_REAL_DATA_DIR`` or ``data/real/`` of this checkout."""
    configured = os.environ.get(DATA_DIR_ENV)
    folder = Path(configured) if configured else Path(__file__).resolve().parents[2] / "data/real"
    if not (folder / LINYI_FILE).is_file():
        raise InputError(f"{folder}: no {LINYI_FILE} here; set {DATA_DIR_ENV}")
    return folder


def read_csv(path: Path) -> Iterator[dict[str, str]]:
    """Yield the rows of a UTF-8 CSV file with a header as dicts; errors become InputError."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            yield from csv.DictReader(handle)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc


def _name_of(path: Path, code: str) -> str:
    for row in read_csv(path):
        if row["code"] == code:
            return row["name"]
    raise InputError(f"{path}: no division {code}")


def load_divisions(data_dir: Path | None = None) -> Divisions:
    """Read the province, the prefecture and Linyi's counties, townships and villages."""
    folder = data_dir or real_data_dir()
    rows = [
        Division(
            division_code(PROVINCE), _name_of(folder / PROVINCES_FILE, PROVINCE), "", "province"
        ),
        Division(
            division_code(PREFECTURE),
            _name_of(folder / PREFECTURES_FILE, PREFECTURE),
            division_code(PROVINCE),
            "prefecture",
        ),
    ]
    for row in read_csv(folder / LINYI_FILE):
        if row["code"] == PLACEHOLDER_COUNTY:
            continue
        parent = division_code(row["parentCode"])
        rows.append(Division(row["code"], row["name"], parent, row["level"]))
    return Divisions(rows)
