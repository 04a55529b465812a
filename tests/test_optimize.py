"""Compaction of the on-disk store: ``EmbeddedStore.optimize``, ``kgservice optimize``, and the
compaction at the end of ``kgservice load``."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kgservice.cli import cli
from kgservice.store import open_embedded
from tests.cities import city_sources

GRAPH = ox.NamedNode("https://w3id.org/sckm/graph/scratch")


def table_bytes(folder: Path) -> int:
    """The bytes of RocksDB's table files: the data, and the deletion marks not yet compacted."""
    return sum(path.stat().st_size for path in folder.glob("*.sst"))


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(arguments))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return city_sources(tmp_path_factory, people=300, seed=11, bad_share=0)


def test_optimize_drops_what_deleted_triples_left_on_disk(tmp_path: Path) -> None:
    store = open_embedded(tmp_path / "store")
    kept = ox.Quad(ox.NamedNode("urn:x:kept"), ox.NamedNode("urn:x:p"), ox.Literal("k"))
    store.oxigraph.add(kept)
    store.oxigraph.extend(
        ox.Quad(ox.NamedNode(f"urn:x:s{i}"), ox.NamedNode("urn:x:p"), ox.Literal(f"v{i}"), GRAPH)
        for i in range(100_000)
    )
    store.oxigraph.flush()
    assert store.drop_graph(GRAPH)
    store.oxigraph.flush()
    before = table_bytes(tmp_path / "store")

    seconds = store.optimize()

    after = table_bytes(tmp_path / "store")
    assert seconds >= 0
    assert after < before / 2, (before, after)
    assert list(store.oxigraph.quads_for_pattern(None, None, None, None)) == [kept]
    store.close()


def test_optimize_of_an_in_memory_store_does_nothing() -> None:
    store = open_embedded(None)
    store.oxigraph.add(ox.Quad(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal("o")))
    assert store.optimize() >= 0
    assert store.quad_count() == 1


def test_a_reload_leaves_the_store_the_size_of_one_load(city: Path, tmp_path: Path) -> None:
    """Reloading replaces every source's graphs: without compaction the old triples and their
    deletion marks stay in the files beside the new ones."""
    code, output = run("load", "--store", str(tmp_path / "once"), str(city))
    assert code == 0, output
    assert "store compacted in" in output
    for _ in range(2):
        code, output = run("load", "--store", str(tmp_path / "reloaded"), str(city))
        assert code == 0, output

    once, reloaded = table_bytes(tmp_path / "once"), table_bytes(tmp_path / "reloaded")
    assert reloaded < 1.2 * once, (once, reloaded)
    quads = [open_embedded(tmp_path / name).quad_count() for name in ("once", "reloaded")]
    assert quads[0] == quads[1] > 0


def test_optimize_command_compacts_a_store_and_keeps_its_content(
    city: Path, tmp_path: Path
) -> None:
    store_path = tmp_path / "store"
    assert run("load", "--store", str(store_path), str(city))[0] == 0
    store = open_embedded(store_path)
    before = sorted(map(str, store.oxigraph.quads_for_pattern(None, None, None, None)))
    store.update("DROP GRAPH <https://w3id.org/sckm/graph/inferred>")  # deletion marks
    store.close()

    code, output = run("optimize", "--store", str(store_path))

    assert code == 0, output
    assert output.startswith("store compacted in ")
    reopened = open_embedded(store_path)
    after = sorted(map(str, reopened.oxigraph.quads_for_pattern(None, None, None, None)))
    reopened.close()
    assert len(after) == len(before) - sum("/graph/inferred>" in quad for quad in before)


def test_optimize_command_refuses_a_folder_without_a_store(tmp_path: Path) -> None:
    code, output = run("optimize", "--store", str(tmp_path))
    assert code == 2
    assert f"{tmp_path}: no store there to optimize" in output
    assert list(tmp_path.iterdir()) == []  # nothing created


def test_optimize_command_refuses_a_store_in_use(city: Path, tmp_path: Path) -> None:
    store_path = tmp_path / "store"
    assert run("load", "--store", str(store_path), str(city))[0] == 0
    holder = open_embedded(store_path)  # as a running `kgservice serve` holds it
    try:
        code, output = run("optimize", "--store", str(store_path))
    finally:
        holder.close()
    assert code == 2
    assert "cannot open the store: another process has it open for writing" in output
