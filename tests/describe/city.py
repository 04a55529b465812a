"""A small generated city loaded into an in-memory store, built once per test process.

Shared by ``tests/describe`` and ``tests/web/test_describe_views.py``: the ontology (via
``ensure_ontology``) plus the generator's four registers, each in its named graph with its
catalogue entry, as ``kgservice load`` writes them.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kgservice.generator import GeneratorConfig, generate_city
from kgservice.loading import ensure_ontology, load_sources
from kgservice.store.embedded import EmbeddedStore, open_embedded

PEOPLE = 150


@dataclass(frozen=True)
class LoadedCity:
    """The store and what the generator says it wrote."""

    store: EmbeddedStore
    manifest: dict
    records: dict[str, int]  # source id -> records the generator wrote


@cache
def loaded_city() -> LoadedCity:
    """Generate, map and load the city (about 4 s); the same object for every caller."""
    store = open_embedded(None)
    ensure_ontology(store)
    with tempfile.TemporaryDirectory(prefix="kgservice-describe-") as folder:
        city = generate_city(GeneratorConfig(people=PEOPLE, seed=11, bad_share=0), Path(folder))
        load_sources(store, [Path(folder)])
        manifest = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    records = {
        "divisions": len(city.divisions),
        "population": len(city.people),
        "legal-entities": len(city.entities),
        "facilities": len(city.facilities),
    }
    return LoadedCity(store, manifest, records)
