"""Synthetic legal entities: the rows of ``legal_entities.csv``.

Each entity has a valid GB 32100 credit code: positions 1-2 its type (code:entity-type), 3-8 the
real Linyi county that registered it, 9-17 a valid GB 11714 organization code (repeated in the
``organization_code`` column; codes issued from 2015-10 start with ``MA`` as real new codes do).
Its legal representative is a generated adult resident, with the same name as in
``population.csv``; representatives are drawn with preferential reuse, so some people represent
several entities, and one entity in five is registered outside its representative's county.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from random import Random

from kgservice.generator.divisions import Division, Divisions
from kgservice.generator.names import NameRegistry, organization_name
from kgservice.generator.people import Person, age_on, years_before
from kgservice.identifiers import CREDIT_CODE_CHARS, make_credit_code

ENTITY_TYPES = (
    ("91", 690),
    ("92", 160),
    ("93", 50),
    ("12", 40),
    ("11", 10),
    ("51", 20),
    ("52", 25),
    ("53", 5),
)
INDUSTRIES_BY_TYPE = {
    "91": (
        ("A", 5),
        ("B", 1),
        ("C", 18),
        ("D", 1),
        ("E", 1),
        ("F", 8),
        ("G", 30),
        ("H", 6),
        ("I", 5),
        ("J", 1),
        ("K", 1),
        ("L", 3),
        ("M", 5),
        ("N", 2),
        ("O", 4),
        ("P", 2),
        ("Q", 1),
        ("R", 2),
        ("T", 1),
    ),
    "92": (("G", 55), ("H", 20), ("O", 15), ("C", 5), ("A", 5)),
    "93": (("A", 1),),
    "11": (("S", 1),),
    "12": (("P", 5), ("Q", 3), ("M", 1), ("R", 1)),
    "51": (("S", 1),),
    "52": (("P", 5), ("Q", 2), ("R", 1), ("O", 1)),
    "53": (("S", 1),),
}
STATUSES = (("1", 85), ("2", 7), ("3", 3), ("4", 5))
# Registered capital in 万元: (low, high, weight) per entity type.
CAPITAL_TIERS = {
    "91": ((1, 50, 30), (50, 500, 45), (500, 5000, 20), (5000, 50000, 5)),
    "92": ((1, 10, 70), (10, 50, 30)),
    "93": ((5, 100, 70), (100, 1000, 30)),
}
DEFAULT_CAPITAL_TIERS = ((1, 100, 60), (100, 1000, 40))
ROADS = (
    "人民路",
    "解放路",
    "沂蒙路",
    "滨河路",
    "建设路",
    "新华路",
    "工业大道",
    "通达路",
    "北京路",
    "金雀山路",
    "银雀山路",
    "兰山路",
    "沂河路",
    "商贸大道",
    "文化路",
    "振兴路",
)
FIRST_REGISTRATION = date(1990, 1, 1)
NEW_CODE_DATE = date(2015, 10, 1)  # GB 32100-2015 in force; new organization codes start with MA
ADULT_AGE = 18
REUSE_SHARE = 0.3
HOME_COUNTY_SHARE = 0.8


@dataclass(frozen=True, slots=True)
class LegalEntity:
    """One row of ``legal_entities.csv``."""

    credit_code: str
    organization_code: str
    name: str
    entity_type: str
    registration_date: date
    status: str
    registered_capital: str
    currency: str
    industry: str
    legal_rep_citizen_id: str
    legal_rep_name: str
    address: str
    address_code: str


def weighted(rng: Random, table: tuple[tuple[str, int], ...]) -> str:
    """Draw the first item of one ``(value, weight)`` pair of ``table``."""
    return rng.choices([value for value, _ in table], [weight for _, weight in table])[0]


class CreditCodeAllocator:
    """Hands out credit codes whose organization codes are unique within one city."""

    def __init__(self) -> None:
        self._bodies: set[str] = set()

    def allocate(self, rng: Random, entity_type: str, county: str, registered: date) -> str:
        while True:
            if registered >= NEW_CODE_DATE:
                body = "MA" + "".join(rng.choice(CREDIT_CODE_CHARS) for _ in range(6))
            else:
                body = f"{rng.randrange(10_000_000, 100_000_000)}"
            if body not in self._bodies:
                self._bodies.add(body)
                return make_credit_code(entity_type[0], entity_type[1], county, body)


class RepresentativePicker:
    """Draws legal representatives among eligible adults, reusing earlier ones now and then."""

    def __init__(self, eligible: list[Person]) -> None:
        self._eligible = eligible
        self._used: list[Person] = []
        self._seen: set[str] = set()

    def pick(self, rng: Random) -> Person:
        if self._used and rng.random() < REUSE_SHARE:
            return rng.choice(self._used)
        person = rng.choice(self._eligible)
        if person.citizen_id not in self._seen:
            self._seen.add(person.citizen_id)
            self._used.append(person)
        return person


def eligible_representatives(people: list[Person], excluded: set[int], today: date) -> list[Person]:
    """Return the adults (18 or more on ``today``) whose row index is not in ``excluded``."""
    return [
        person
        for index, person in enumerate(people)
        if index not in excluded and age_on(person.birth_date, today) >= ADULT_AGE
    ]


def capital(rng: Random, entity_type: str) -> str:
    """Return a registered capital in 万元 with two decimals; most are round numbers."""
    tiers = CAPITAL_TIERS.get(entity_type, DEFAULT_CAPITAL_TIERS)
    low, high, _ = rng.choices(tiers, [tier[2] for tier in tiers])[0]
    if rng.random() < 0.8:
        return f"{rng.randint(low, high)}.00"
    cents = rng.randint(low * 100, high * 100)
    return f"{cents // 100}.{cents % 100:02d}"


def registration_date(rng: Random, representative: Person, today: date) -> date:
    """Draw a date from 1990 (or the representative's 18th birthday) to ``today``."""
    adult = years_before(representative.birth_date, -ADULT_AGE)
    earliest = max(FIRST_REGISTRATION, adult)
    return date.fromordinal(rng.randint(earliest.toordinal(), today.toordinal()))


def registering_county(rng: Random, representative: Person, counties: list[Division]) -> str:
    """Mostly the representative's county of residence, sometimes another one."""
    home = representative.residence_code[:6]
    if rng.random() < HOME_COUNTY_SHARE:
        return home
    return rng.choice([county.code for county in counties if county.code != home])


def address(rng: Random, township: Division) -> str:
    """Return a synthetic street address in ``township``."""
    return f"{township.name}{rng.choice(ROADS)}{rng.randint(1, 999)}号"


def make_entity(
    rng: Random,
    representative: Person,
    divisions: Divisions,
    codes: CreditCodeAllocator,
    names: NameRegistry,
    today: date,
) -> LegalEntity:
    """Return one entity represented by ``representative``."""
    entity_type = weighted(rng, ENTITY_TYPES)
    industry = weighted(rng, INDUSTRIES_BY_TYPE[entity_type])
    registered = registration_date(rng, representative, today)
    county = registering_county(rng, representative, divisions.counties)
    township = rng.choice(divisions.townships_by_county[county])
    credit_code = codes.allocate(rng, entity_type, county, registered)
    status = "1" if entity_type == "11" else weighted(rng, STATUSES)
    county_name = divisions.by_code[county].name
    name = names.unique(
        lambda: organization_name(rng, entity_type, industry, county_name, township.name)
    )
    return LegalEntity(
        credit_code=credit_code,
        organization_code=credit_code[8:17],
        name=name,
        entity_type=entity_type,
        registration_date=registered,
        status=status,
        registered_capital=capital(rng, entity_type),
        currency="CNY",
        industry=industry,
        legal_rep_citizen_id=representative.citizen_id,
        legal_rep_name=representative.name,
        address=address(rng, township),
        address_code=township.code,
    )


def generate_entities(
    rng: Random,
    count: int,
    representatives: RepresentativePicker,
    divisions: Divisions,
    codes: CreditCodeAllocator,
    today: date,
) -> list[LegalEntity]:
    """Return ``count`` legal entities with distinct names."""
    names = NameRegistry()
    return [
        make_entity(rng, representatives.pick(rng), divisions, codes, names, today)
        for _ in range(count)
    ]
