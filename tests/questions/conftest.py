"""Fixtures of the question tests: the fixture city in memory, and GeoSPARQL on it."""

from __future__ import annotations

import pytest

from kgservice.store.embedded import EmbeddedStore, open_embedded
from tests.questions.support import GEO_PROBE, load_fixture


@pytest.fixture(scope="session")
def city() -> EmbeddedStore:
    """The fixture city in memory; queries see the union of its graphs as the default graph."""
    return load_fixture(open_embedded(None))


@pytest.fixture(scope="session")
def geosparql(city: EmbeddedStore) -> None:
    """Skip a test when the embedded store has no GeoSPARQL geof:distance."""
    solution = next(iter(city.query(GEO_PROBE)))
    if solution["d"] is None:
        pytest.skip(
            "geof:distance (GeoSPARQL) is not available on the embedded store "
            "(kgservice/sparql/geo.py registers it)"
        )
