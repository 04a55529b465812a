"""Small generated cities: their source files, or loaded as ``kgservice load`` loads them."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from kgservice.generator import GeneratorConfig, generate_city
from kgservice.loading import ensure_ontology, load_sources, refresh_derived
from kgservice.store.embedded import EmbeddedStore, open_embedded
from kgservice.store.snapshot import copy_quads


def city_sources(
    parent: pytest.TempPathFactory, people: int, seed: int, bad_share: float, name: str = "city"
) -> Path:
    """A new folder under ``parent`` holding a generated city's source files (CSV)."""
    folder = parent.mktemp(name)
    generate_city(GeneratorConfig(people=people, seed=seed, bad_share=bad_share), folder)
    return folder


def loaded_city(people: int = 200, seed: int = 11, bad_share: float = 0.05) -> EmbeddedStore:
    """An in-memory store holding a generated city with its derived graphs (``graph:inferred``,
    ``graph:quality``); ``bad_share`` of its records are bad, so it has findings."""
    store = open_embedded(None)
    ensure_ontology(store)
    with tempfile.TemporaryDirectory(prefix="kgservice-city-") as folder:
        generate_city(GeneratorConfig(people=people, seed=seed, bad_share=bad_share), Path(folder))
        load_sources(store, [folder])
    refresh_derived(store, "materialize")
    return store


def copy_of(store: EmbeddedStore) -> EmbeddedStore:
    """An in-memory copy of ``store``: its quads and its named graphs, empty ones too."""
    copy = open_embedded(None)
    copy_quads(store.oxigraph, copy.oxigraph)
    return copy


def count_inserts(monkeypatch, store: EmbeddedStore) -> list[int]:
    """Make ``store`` note the quad count of every ``insert_nquads`` call in the list returned."""
    calls: list[int] = []
    insert = store.insert_nquads

    def counted(document: bytes, quads: int) -> None:
        calls.append(quads)
        insert(document, quads)

    monkeypatch.setattr(store, "insert_nquads", counted)
    return calls


def record_updates(monkeypatch, store: EmbeddedStore) -> list[str]:
    """Make ``store`` note the text of every SPARQL update it runs in the list returned."""
    texts: list[str] = []
    update = store.update

    def recorded(text: str, *args, **kwargs):
        texts.append(text)
        return update(text, *args, **kwargs)

    monkeypatch.setattr(store, "update", recorded)
    return texts
