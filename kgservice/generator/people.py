"""Synthetic residents: the rows of ``population.csv``.

Each person lives in a real Linyi village (12-digit code); the citizen ID is a valid GB 11643
number built from the county of that village, the birth date and the sex. Ages follow weights
shaped roughly like China's 2020 census pyramid (0-95 years); names and phone numbers are random
combinations. Children under 12 have no phone number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from random import Random

from kgservice.generator.divisions import Divisions
from kgservice.generator.names import person_name
from kgservice.identifiers import MAX_SEQUENCE, make_citizen_id

# (first age, last age, weight in per mille), approximately the 2020 census shape.
AGE_BANDS = (
    (0, 4, 55),
    (5, 9, 64),
    (10, 14, 61),
    (15, 19, 52),
    (20, 24, 53),
    (25, 29, 64),
    (30, 34, 88),
    (35, 39, 69),
    (40, 44, 66),
    (45, 49, 80),
    (50, 54, 88),
    (55, 59, 73),
    (60, 64, 52),
    (65, 69, 50),
    (70, 74, 34),
    (75, 79, 22),
    (80, 84, 14),
    (85, 89, 7),
    (90, 95, 3),
)
EARLIEST_BIRTH = date(1930, 1, 1)
MALE_SHARE = 0.512
PHONE_MIN_AGE = 12
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)


@dataclass(frozen=True, slots=True)
class Person:
    """One row of ``population.csv``."""

    person_id: str
    citizen_id: str
    name: str
    sex: int
    birth_date: date
    residence_code: str
    phone: str


class CitizenIdAllocator:
    """Hands out citizen IDs that are unique within one generated city."""

    def __init__(self) -> None:
        self._next: dict[tuple[str, date, int], int] = {}

    def allocate(self, county: str, birth: date, sex: int) -> tuple[str, date]:
        """Return a new ID and its birth date (a day earlier when all sequences are used)."""
        while True:
            key = (county, birth, sex)
            sequence = self._next.get(key, 0)
            if sequence <= MAX_SEQUENCE:
                self._next[key] = sequence + 1
                return make_citizen_id(county, birth, sequence, sex), birth
            birth -= timedelta(days=1)


def years_before(day: date, years: int) -> date:
    """Return the same calendar day ``years`` earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def random_birth_date(rng: Random, today: date) -> date:
    """Draw a birth date from the age bands, never before 1930-01-01 nor after ``today``."""
    first, last, _ = rng.choices(AGE_BANDS, [band[2] for band in AGE_BANDS])[0]
    earliest = max(years_before(today, last + 1) + timedelta(days=1), EARLIEST_BIRTH)
    latest = years_before(today, first)
    return date.fromordinal(rng.randint(earliest.toordinal(), latest.toordinal()))


def age_on(birth: date, day: date) -> int:
    """Return the age in whole years on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


class PhoneAllocator:
    """Hands out distinct mainland mobile numbers (1[3-9]X + 8 digits)."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def allocate(self, rng: Random) -> str:
        while True:
            number = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
            if number not in self._used:
                self._used.add(number)
                return number


def person_key(index: int) -> str:
    """Return the ``person_id`` of the ``index``-th (0-based) row: ``P0000001``..."""
    return f"P{index + 1:07d}"


def generate_people(
    rng: Random,
    count: int,
    divisions: Divisions,
    today: date,
    ids: CitizenIdAllocator,
    phones: PhoneAllocator,
) -> list[Person]:
    """Return ``count`` synthetic residents of random villages."""
    villages = [village.code for village in divisions.villages]
    people = []
    for index in range(count):
        village = rng.choice(villages)
        sex = 1 if rng.random() < MALE_SHARE else 2
        citizen_id, birth = ids.allocate(village[:6], random_birth_date(rng, today), sex)
        phone = phones.allocate(rng) if age_on(birth, today) >= PHONE_MIN_AGE else ""
        name = person_name(rng, sex)
        people.append(Person(person_key(index), citizen_id, name, sex, birth, village, phone))
    return people
