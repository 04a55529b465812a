"""Shared fixtures: the repository's ontology folder and its merged model graph."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from kgservice.ontology.files import CATALOG_NAME, TOP_FILE, load_closure

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def ontology_dir() -> Path:
    return ROOT / "ontology"


@pytest.fixture(scope="session")
def model(ontology_dir: Path) -> Graph:
    """The whole model: the top module's import closure plus the alignment module."""
    catalog = ontology_dir / CATALOG_NAME
    return load_closure(ontology_dir / TOP_FILE, catalog) + load_closure(
        ontology_dir / "alignment.ttl", catalog
    )
