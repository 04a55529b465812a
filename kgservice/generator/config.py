"""Settings of one generated city, checked once, and the fixed reference date.

The generator never reads the clock: ages and dates are relative to :data:`REFERENCE_DATE`, so the
same settings always give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kgservice.errors import InputError

REFERENCE_DATE = date(2025, 12, 31)
"""'Today' of every generated city: no birth or registration date is later (bad records aside)."""
MAX_BAD_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class GeneratorConfig:
    """What ``kgservice generate`` was asked for."""

    people: int
    seed: int = 1
    bad_share: float = 0.01
    entities_per_1000: float = 80
    facilities_per_1000: float = 15
    reference_date: date = REFERENCE_DATE
    iri_secret: str | None = None  # None: $KGSERVICE_IRI_SECRET or the demo secret

    def __post_init__(self) -> None:
        if self.people < 1:
            raise InputError(f"--people must be 1 or more, not {self.people}")
        if not 0 <= self.bad_share <= MAX_BAD_SHARE:
            raise InputError(
                f"--bad-share must be between 0 and {MAX_BAD_SHARE}, not {self.bad_share}"
            )
        if self.entities_per_1000 < 0 or self.facilities_per_1000 < 0:
            raise InputError("--entities-per-1000 and --facilities-per-1000 cannot be negative")
        if self.facilities_per_1000 > 0 and self.entities_per_1000 == 0:
            raise InputError("facilities need operators: --entities-per-1000 cannot be 0")

    @property
    def entity_count(self) -> int:
        """Number of legal entities: at least one when the rate is above 0."""
        return _count(self.people, self.entities_per_1000)

    @property
    def facility_count(self) -> int:
        """Number of facilities: at least one when the rate is above 0."""
        return _count(self.people, self.facilities_per_1000)


def _count(people: int, per_1000: float) -> int:
    return max(1, round(people * per_1000 / 1000)) if per_1000 > 0 else 0
