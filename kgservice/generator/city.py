"""Build one synthetic city from a seed: divisions, people, entities, facilities and bad records.

Only ``random.Random(seed)`` is drawn from, in a fixed order, over lists in file order; nothing
depends on the clock, on set order or on hash seeds, so the same settings give the same city.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from random import Random

from kgservice.generator import faults
from kgservice.generator.config import GeneratorConfig
from kgservice.generator.divisions import Division, Divisions, load_divisions
from kgservice.generator.entities import (
    CreditCodeAllocator,
    LegalEntity,
    RepresentativePicker,
    eligible_representatives,
    generate_entities,
)
from kgservice.generator.facilities import (
    Facility,
    OperatorPools,
    generate_facilities,
    reference_points,
)
from kgservice.generator.faults import BadRecord
from kgservice.generator.people import (
    CitizenIdAllocator,
    Person,
    PhoneAllocator,
    generate_people,
    person_key,
)
from kgservice.iri import iri_secret

HEADER_LINES = 1


@dataclass(frozen=True, slots=True)
class City:
    """The content of the five files ``kgservice generate`` writes."""

    config: GeneratorConfig
    divisions: list[Division]
    people: list[Person]
    entities: list[LegalEntity]
    facilities: list[Facility]
    bad_records: list[BadRecord]


@dataclass(slots=True)
class Context:
    """What the generation steps share: the random stream, allocators and the settings."""

    config: GeneratorConfig
    rng: Random
    secret: str
    divisions: Divisions
    ids: CitizenIdAllocator
    codes: CreditCodeAllocator

    @property
    def today(self) -> date:
        return self.config.reference_date


def line_of(index: int) -> int:
    """Return the 1-based line of the ``index``-th (0-based) record of a CSV file."""
    return index + HEADER_LINES + 1


def break_people(
    ctx: Context, people: list[Person]
) -> tuple[list[Person], set[int], list[BadRecord]]:
    """Make the planned population rows bad; return the rows, the indices to spare, the records."""
    kinds = faults.plan_kinds(
        ctx.config.bad_share, len(people), faults.KINDS_BY_FILE[faults.POPULATION]
    )
    chosen = faults.pick(ctx.rng, len(people), kinds)
    rows, extra, records = list(people), [], []
    for index, kind in chosen:
        if kind == "citizen-id-check-character":
            rows[index] = faults.wrong_citizen_check(ctx.rng, rows[index])
            bad, line = rows[index], line_of(index)
        elif kind == "impossible-birth-date":
            rows[index] = faults.future_birth(ctx.rng, rows[index], ctx.ids)
            bad, line = rows[index], line_of(index)
        else:
            bad = faults.duplicate(ctx.rng, rows[index], person_key(len(rows) + len(extra)))
            extra.append(bad)
            line = line_of(len(rows) + len(extra) - 1)
        findings = faults.person_fault(kind, bad, ctx.secret)
        records.append(BadRecord(faults.POPULATION, line, bad.person_id, kind, findings))
    return rows + extra, {index for index, _ in chosen}, records


def break_entities(
    ctx: Context, entities: list[LegalEntity]
) -> tuple[list[LegalEntity], list[LegalEntity], list[BadRecord]]:
    """Make the planned entity rows bad; return all rows, the good ones and the records."""
    kinds = faults.plan_kinds(
        ctx.config.bad_share, len(entities), faults.KINDS_BY_FILE[faults.ENTITIES]
    )
    chosen = faults.pick(ctx.rng, len(entities), kinds)
    rows, records = list(entities), []
    for index, kind in chosen:
        if kind == "credit-code-check-character":
            rows[index] = faults.wrong_credit_check(ctx.rng, rows[index])
        else:
            rows[index] = faults.dangling_representative(ctx.rng, rows[index], ctx.ids)
        findings = faults.entity_fault(kind, rows[index])
        records.append(
            BadRecord(faults.ENTITIES, line_of(index), rows[index].credit_code, kind, findings)
        )
    bad = {index for index, _ in chosen}
    return rows, [entity for i, entity in enumerate(rows) if i not in bad], records


def break_facilities(
    ctx: Context, facilities: list[Facility]
) -> tuple[list[Facility], list[BadRecord]]:
    """Make the planned facility rows bad; return the rows and the records."""
    kinds = faults.plan_kinds(
        ctx.config.bad_share, len(facilities), faults.KINDS_BY_FILE[faults.FACILITIES]
    )
    chosen = faults.pick(ctx.rng, len(facilities), kinds)
    rows, records = list(facilities), []
    for number, (index, kind) in enumerate(chosen):
        if kind == "dangling-operator":
            county = ctx.rng.choice(ctx.divisions.counties).code
            rows[index] = faults.dangling_operator(
                ctx.rng, rows[index], ctx.codes, county, ctx.today
            )
        else:
            rows[index] = faults.outside_china(rows[index], swap=number % 4 < 2)
        findings = faults.facility_fault(kind, rows[index])
        records.append(
            BadRecord(faults.FACILITIES, line_of(index), rows[index].facility_code, kind, findings)
        )
    return rows, records


def break_divisions(ctx: Context) -> tuple[list[Division], list[BadRecord]]:
    """Attach the planned townships to a wrong county; return the rows and the records."""
    townships = ctx.divisions.townships
    kinds = faults.plan_kinds(
        ctx.config.bad_share, len(townships), faults.KINDS_BY_FILE[faults.DIVISIONS]
    )
    chosen = faults.pick(ctx.rng, len(townships), kinds)
    rows = list(ctx.divisions.rows)
    position = {row.code: index for index, row in enumerate(rows)}
    records = []
    for township_index, kind in chosen:
        township = townships[township_index]
        index = position[township.code]
        rows[index] = faults.wrong_county(ctx.rng, township, ctx.divisions.counties)
        findings = faults.division_fault(rows[index])
        records.append(BadRecord(faults.DIVISIONS, line_of(index), township.code, kind, findings))
    return rows, records


def build_city(config: GeneratorConfig, data_dir: Path | None = None) -> City:
    """Generate a city in memory (``data_dir``: the real data folder, default ``data/real``)."""
    divisions = load_divisions(data_dir)
    secret = config.iri_secret if config.iri_secret is not None else iri_secret()
    ctx = Context(
        config, Random(config.seed), secret, divisions, CitizenIdAllocator(), CreditCodeAllocator()
    )
    people = generate_people(
        ctx.rng, config.people, divisions, ctx.today, ctx.ids, PhoneAllocator()
    )
    people, spared, bad_people = break_people(ctx, people)
    representatives = eligible_representatives(people[: config.people], spared, ctx.today)
    entity_count = config.entity_count if representatives else 0
    entities = generate_entities(
        ctx.rng,
        entity_count,
        RepresentativePicker(representatives),
        divisions,
        ctx.codes,
        ctx.today,
    )
    entities, good_entities, bad_entities = break_entities(ctx, entities)
    facility_count = config.facility_count if good_entities else 0
    points = reference_points(divisions, data_dir)
    facilities = generate_facilities(
        ctx.rng, facility_count, OperatorPools(good_entities), divisions, points
    )
    facilities, bad_facilities = break_facilities(ctx, facilities)
    division_rows, bad_divisions = break_divisions(ctx)
    records = sorted(
        bad_people + bad_entities + bad_facilities + bad_divisions,
        key=lambda record: (record.file, record.line),
    )
    return City(config, division_rows, people, entities, facilities, records)
