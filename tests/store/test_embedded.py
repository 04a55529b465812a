"""The embedded Oxigraph store: atomic graph replacement, staging clean-up, queries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kgservice.errors import InputError
from kgservice.store.embedded import open_embedded

G = ox.NamedNode("https://example.org/graph")
P = ox.NamedNode("https://example.org/p")


def triples(n: int, start: int = 0) -> list[ox.Triple]:
    return [
        ox.Triple(ox.NamedNode(f"https://example.org/s{i}"), P, ox.Literal(str(i)))
        for i in range(start, start + n)
    ]


def test_replace_graph_replaces_its_contents() -> None:
    store = open_embedded(None)
    assert store.replace_graph(G, triples(3)) == 3
    assert store.replace_graph(G, triples(2, start=10)) == 2
    values = sorted(r["o"].value for r in store.select("SELECT ?o WHERE { ?s ?p ?o }"))
    assert values == ["10", "11"]
    assert store.graph_names() == [G]
    assert store.quad_count() == 2


def test_a_failing_source_leaves_the_graph_unchanged() -> None:
    store = open_embedded(None)
    store.replace_graph(G, triples(3))

    def broken() -> Iterator[ox.Triple]:
        yield from triples(5, start=100)
        raise ValueError("the source broke half way")

    with pytest.raises(ValueError, match="half way"):
        store.replace_graph(G, broken())
    assert store.quad_count() == 3
    assert store.graph_names() == [G]


def test_the_store_survives_reopening(tmp_path: Path) -> None:
    store = open_embedded(tmp_path / "store")
    store.replace_graph(G, triples(2))
    store.close()
    reopened = open_embedded(tmp_path / "store")
    assert reopened.graph_names() == [G]
    assert reopened.quad_count() == 2


def test_select_and_ask() -> None:
    store = open_embedded(None)
    store.replace_graph(G, triples(2))
    assert store.ask('ASK { ?s <https://example.org/p> "1" }')
    assert not store.ask('ASK { ?s <https://example.org/p> "9" }')
    with pytest.raises(InputError):
        list(store.select("ASK { ?s ?p ?o }"))
    with pytest.raises(InputError):
        store.ask("SELECT * WHERE { ?s ?p ?o }")


def test_a_store_in_a_folder_that_does_not_exist_yet_is_created(tmp_path: Path) -> None:
    """``var/store`` in a fresh clone: the default path's parent is missing too."""
    path = tmp_path / "var" / "store"
    store = open_embedded(path)
    store.put_graph(
        ox.NamedNode("urn:g"),
        [ox.Triple(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.Literal("c"))],
    )
    store.close()
    assert open_embedded(path).quad_count() == 1
