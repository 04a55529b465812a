"""Deliberately bad records and the SHACL findings each one must cause (docs/data-model.md §5).

Every kind breaks exactly one rule, and the record is chosen so that no other rule fires:

- ``citizen-id-check-character``: a person's check character is changed.
  ``NaturalPerson-citizenId-checksum``, SPARQL.
- ``impossible-birth-date``: a person is born in 2080-2099 and the ID is rebuilt from that date.
  ``NaturalPerson-birthDate-range``, SPARQL.
- ``duplicate-citizen-id``: an extra population row with the same ID, birth date, sex,
  residence and phone but another name (one node, two names). ``NaturalPerson-personName``,
  MaxCount.
- ``credit-code-check-character``: an entity's check character is changed.
  ``LegalEntity-creditCode-checksum``, SPARQL, Warning.
- ``dangling-legal-representative``: an entity is represented by a valid citizen ID of nobody in
  population.csv. ``LegalEntity-legalRepresentative``, Class.
- ``dangling-operator``: a facility is operated by a valid credit code of no entity.
  ``Facility-operator``, Class.
- ``coordinates-outside-china``: a facility's coordinates are swapped or both signs flipped.
  ``Located-lat`` and ``Located-long``, MinInclusive or MaxInclusive as the values fall.
- ``township-under-wrong-county``: a township row gets another real county as parent.
  ``AdministrativeDivision-code-prefix``, SPARQL.

Side effects are avoided by the generator: bad people never represent an entity (nor does the
original row of a duplicated ID), bad entities never operate a facility, and a misplaced township
keeps its villages, whose codes still start with its own code.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from random import Random
from typing import Any

from kgservice.generator.divisions import Division
from kgservice.generator.entities import CreditCodeAllocator, LegalEntity
from kgservice.generator.facilities import Facility, format_degrees, micro_degrees
from kgservice.generator.names import person_name
from kgservice.generator.people import CitizenIdAllocator, Person, years_before
from kgservice.identifiers import CITIZEN_ID_CHECK_CHARS, CREDIT_CODE_CHARS
from kgservice.iri import division_iri, entity_iri, facility_iri, person_iri

SH = "http://www.w3.org/ns/shacl#"
SHAPES = "https://w3id.org/sckm/shapes/"
VIOLATION = SH + "Violation"
WARNING = SH + "Warning"
SPARQL = SH + "SPARQLConstraintComponent"
CHINA_LAT = (3_800_000, 53_600_000)  # micro-degrees, as Located-lat / Located-long
CHINA_LONG = (73_500_000, 135_100_000)
FUTURE_YEARS = (2080, 2099)  # in the future, yet allowed by the citizen ID pattern (18|19|20)

DIVISIONS = "divisions.csv"
POPULATION = "population.csv"
ENTITIES = "legal_entities.csv"
FACILITIES = "facilities.csv"
FACILITY_SOURCE = "facilities"

KINDS_BY_FILE = {
    DIVISIONS: ("township-under-wrong-county",),
    POPULATION: ("citizen-id-check-character", "impossible-birth-date", "duplicate-citizen-id"),
    ENTITIES: ("credit-code-check-character", "dangling-legal-representative"),
    FACILITIES: ("dangling-operator", "coordinates-outside-china"),
}
KINDS = tuple(kind for kinds in KINDS_BY_FILE.values() for kind in kinds)


@dataclass(frozen=True, slots=True)
class Finding:
    """One expected validation result: full IRIs of focus node, shape, component, severity."""

    focus: str
    shape: str
    component: str
    severity: str = VIOLATION

    def as_json(self) -> dict[str, str]:
        return {
            "focus": self.focus,
            "shape": self.shape,
            "component": self.component,
            "severity": self.severity,
        }


@dataclass(frozen=True, slots=True)
class BadRecord:
    """One entry of ``manifest.json``: where the bad record is and what it must cause."""

    file: str
    line: int
    key: str
    kind: str
    findings: tuple[Finding, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "key": self.key,
            "kind": self.kind,
            "findings": [finding.as_json() for finding in self.findings],
        }


def shape(name: str) -> str:
    """Return the full IRI of the shape ``name`` (e.g. ``Facility-operator``)."""
    return SHAPES + name


def plan_kinds(share: float, rows: int, kinds: tuple[str, ...]) -> list[str]:
    """Return one kind per bad record of a file of ``rows`` records.

    ``share`` of the rows (at least one per kind) are made bad, but never more than half of
    them, so a tiny file may get fewer kinds. The kinds take turns.
    """
    if share <= 0 or rows <= 0:
        return []
    total = min(max(len(kinds), round(share * rows)), rows // 2)
    return [kinds[i % len(kinds)] for i in range(total)]


def pick(rng: Random, rows: int, kinds: list[str]) -> list[tuple[int, str]]:
    """Choose distinct row indices for ``kinds``, returned in row order."""
    indices = rng.sample(range(rows), len(kinds))
    return sorted(zip(indices, kinds, strict=True))


def other_char(rng: Random, current: str, alphabet: str) -> str:
    """Return a character of ``alphabet`` other than ``current``."""
    return rng.choice([c for c in alphabet if c != current])


# --- population.csv --------------------------------------------------------------------------


def person_finding(citizen_id: str, name: str, component: str, secret: str) -> Finding:
    return Finding(str(person_iri(citizen_id, secret)), shape(f"NaturalPerson-{name}"), component)


def wrong_citizen_check(rng: Random, person: Person) -> Person:
    """Keep the 17-digit body, change the check character."""
    check = other_char(rng, person.citizen_id[17], CITIZEN_ID_CHECK_CHARS)
    return replace(person, citizen_id=person.citizen_id[:17] + check)


def future_birth(rng: Random, person: Person, ids: CitizenIdAllocator) -> Person:
    """Move the birth date to 2080-2099 and rebuild a valid ID that agrees with it."""
    first, last = date(FUTURE_YEARS[0], 1, 1), date(FUTURE_YEARS[1], 12, 31)
    birth = date.fromordinal(rng.randint(first.toordinal(), last.toordinal()))
    citizen_id, birth = ids.allocate(person.residence_code[:6], birth, person.sex)
    return replace(person, citizen_id=citizen_id, birth_date=birth)


def duplicate(rng: Random, person: Person, person_id: str) -> Person:
    """A second registration of the same ID under another name."""
    name = person.name
    while name == person.name:
        name = person_name(rng, person.sex)
    return replace(person, person_id=person_id, name=name)


def person_fault(kind: str, person: Person, secret: str) -> tuple[Finding, ...]:
    """Return the findings of a bad population row."""
    rule = {
        "citizen-id-check-character": ("citizenId-checksum", SPARQL),
        "impossible-birth-date": ("birthDate-range", SPARQL),
        "duplicate-citizen-id": ("personName", SH + "MaxCountConstraintComponent"),
    }[kind]
    return (person_finding(person.citizen_id, rule[0], rule[1], secret),)


# --- legal_entities.csv ----------------------------------------------------------------------


def wrong_credit_check(rng: Random, entity: LegalEntity) -> LegalEntity:
    """Keep positions 1-17 (and so the organization code), change the check character."""
    check = other_char(rng, entity.credit_code[17], CREDIT_CODE_CHARS)
    return replace(entity, credit_code=entity.credit_code[:17] + check)


def dangling_representative(
    rng: Random, entity: LegalEntity, ids: CitizenIdAllocator
) -> LegalEntity:
    """Name as representative a valid citizen ID that no population row has."""
    registered = entity.registration_date
    earliest, latest = years_before(registered, 70), years_before(registered, 20)
    birth = date.fromordinal(rng.randint(earliest.toordinal(), latest.toordinal()))
    sex = rng.choice((1, 2))
    citizen_id, _ = ids.allocate(entity.credit_code[2:8], birth, sex)
    return replace(entity, legal_rep_citizen_id=citizen_id, legal_rep_name=person_name(rng, sex))


def entity_fault(kind: str, entity: LegalEntity) -> tuple[Finding, ...]:
    """Return the findings of a bad legal entity row."""
    focus = str(entity_iri(entity.credit_code))
    if kind == "credit-code-check-character":
        return (Finding(focus, shape("LegalEntity-creditCode-checksum"), SPARQL, WARNING),)
    return (
        Finding(focus, shape("LegalEntity-legalRepresentative"), SH + "ClassConstraintComponent"),
    )


# --- facilities.csv --------------------------------------------------------------------------


def dangling_operator(
    rng: Random, facility: Facility, codes: CreditCodeAllocator, county: str, today: date
) -> Facility:
    """Name as operator a valid credit code that no legal entity has."""
    code = codes.allocate(rng, "91", county, today)
    return replace(facility, operator_credit_code=code)


def outside_china(facility: Facility, swap: bool) -> Facility:
    """Swap latitude and longitude, or flip both signs: both values leave China's box."""
    if swap:
        return replace(facility, latitude=facility.longitude, longitude=facility.latitude)
    lat, long = micro_degrees(facility.latitude), micro_degrees(facility.longitude)
    return replace(facility, latitude=format_degrees(-lat), longitude=format_degrees(-long))


def range_component(value: int, bounds: tuple[int, int]) -> str:
    """Return the component a value outside ``bounds`` violates."""
    if value < bounds[0]:
        return SH + "MinInclusiveConstraintComponent"
    if value > bounds[1]:
        return SH + "MaxInclusiveConstraintComponent"
    raise ValueError(f"{value} lies inside {bounds}")


def facility_fault(kind: str, facility: Facility) -> tuple[Finding, ...]:
    """Return the findings of a bad facility row."""
    focus = str(facility_iri(FACILITY_SOURCE, facility.facility_code))
    if kind == "dangling-operator":
        return (Finding(focus, shape("Facility-operator"), SH + "ClassConstraintComponent"),)
    lat, long = micro_degrees(facility.latitude), micro_degrees(facility.longitude)
    return (
        Finding(focus, shape("Located-lat"), range_component(lat, CHINA_LAT)),
        Finding(focus, shape("Located-long"), range_component(long, CHINA_LONG)),
    )


# --- divisions.csv ---------------------------------------------------------------------------


def wrong_county(rng: Random, township: Division, counties: list[Division]) -> Division:
    """Attach the township to another real county."""
    others = [county.code for county in counties if county.code != township.parent_code]
    return replace(township, parent_code=rng.choice(others))


def division_fault(division: Division) -> tuple[Finding, ...]:
    """Return the findings of a township under the wrong county."""
    return (
        Finding(
            str(division_iri(division.code)), shape("AdministrativeDivision-code-prefix"), SPARQL
        ),
    )
