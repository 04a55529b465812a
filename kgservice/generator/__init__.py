"""Seeded synthetic-city generator (``kgservice generate``) over Linyi's real divisions.

It writes ``divisions.csv``, ``population.csv``, ``legal_entities.csv``, ``facilities.csv`` and
``manifest.json`` (docs/data-model.md §1 and §5). Same settings, same bytes.
"""

from __future__ import annotations

from pathlib import Path

from kgservice.generator.city import City, build_city
from kgservice.generator.config import REFERENCE_DATE, GeneratorConfig
from kgservice.generator.faults import KINDS, BadRecord, Finding
from kgservice.generator.writer import FILES, write_city


def generate_city(config: GeneratorConfig, out: Path, data_dir: Path | None = None) -> City:
    """Build the city of ``config`` and write its five files into ``out``."""
    city = build_city(config, data_dir)
    write_city(city, out)
    return city


__all__ = [
    "FILES",
    "KINDS",
    "REFERENCE_DATE",
    "BadRecord",
    "City",
    "Finding",
    "GeneratorConfig",
    "build_city",
    "generate_city",
    "write_city",
]
