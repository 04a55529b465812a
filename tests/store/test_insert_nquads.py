"""Atomic additions of the embedded store: ``insert_nquads`` and a new graph's ``replace_graph``.

On disk both go through Oxigraph's bulk loader (files RocksDB ingests in one step), which leaves
no write-ahead log behind; in memory, through one transaction. Either way a reader, or the store
reopened after ``kill -9``, sees all of the quads or none (the kill test is in
tests/test_load.py, on ``kgservice load``'s write phase).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from kgservice.store.embedded import open_embedded

G = "https://example.org/graph"
H = "https://example.org/other"
P = "https://example.org/p"


def document(count: int, graph: str = G, salt: str = "x") -> bytes:
    lines = (f'<urn:{salt}:{i}> <{P}> "{salt} {i}" <{graph}> .' for i in range(count))
    return ("\n".join(lines) + "\n").encode()


def wal_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.glob("*.log")) / 2**20


@pytest.mark.parametrize("on_disk", [False, True], ids=["memory", "disk"])
def test_insert_nquads_adds_every_quad_with_fresh_blank_nodes(
    on_disk: bool, tmp_path: Path
) -> None:
    store = open_embedded(tmp_path / "store" if on_disk else None)
    assert store.on_disk is on_disk
    blank = f"_:b <{P}> <urn:o> <{H}> .\n<urn:s> <{P}> _:b <{H}> .\n".encode()
    store.insert_nquads(document(1000) + blank, 1002)
    store.insert_nquads(blank, 2)  # the same label again: another blank node, as INSERT DATA
    assert store.quad_count() == 1004
    assert store.graph_names() == [ox.NamedNode(G), ox.NamedNode(H)]
    nodes = {q.object for q in store.oxigraph.quads_for_pattern(ox.NamedNode("urn:s"), None, None)}
    assert len(nodes) == 2 and all(isinstance(n, ox.BlankNode) for n in nodes)
    for node in nodes:  # one label, one node within a document
        assert len(list(store.oxigraph.quads_for_pattern(node, None, None))) == 1


@pytest.mark.parametrize("on_disk", [False, True], ids=["memory", "disk"])
def test_a_syntax_error_adds_nothing(on_disk: bool, tmp_path: Path) -> None:
    store = open_embedded(tmp_path / "store" if on_disk else None)
    store.insert_nquads(document(10, H), 10)
    broken = document(50_000) + b"<urn:s> <urn:p> .\n"
    with pytest.raises(SyntaxError):
        store.insert_nquads(broken, 50_001)
    assert store.quad_count() == 10
    assert store.graph_names() == [ox.NamedNode(H)]


def test_bulk_additions_leave_no_write_ahead_log(tmp_path: Path) -> None:
    """The store stays compact: a transaction of as many quads logs about 100 MB."""
    store = open_embedded(tmp_path / "store")
    store.insert_nquads(document(150_000), 150_000)
    triples = [
        ox.Triple(ox.NamedNode(f"urn:t:{i}"), ox.NamedNode(P), ox.Literal(str(i)))
        for i in range(50_000)
    ]
    assert store.replace_graph(ox.NamedNode(H), triples) == 50_000  # a new graph: bulk too
    assert store.quad_count() == 200_000
    assert wal_mb(tmp_path / "store") < 2
    store.close()
    store = open_embedded(tmp_path / "store")
    assert store.quad_count() == 200_000


def test_replacing_a_new_graph_on_disk_keeps_blank_node_labels(tmp_path: Path) -> None:
    """As ``Store.extend`` did: a blank node another graph names stays the same node."""
    store = open_embedded(tmp_path / "store")
    node = ox.BlankNode("shared")
    store.replace_graph(ox.NamedNode(G), [ox.Triple(node, ox.NamedNode(P), ox.Literal("a"))])
    store.replace_graph(ox.NamedNode(H), [ox.Triple(node, ox.NamedNode(P), ox.Literal("b"))])
    assert {q.subject for q in store.oxigraph} == {node}


def test_opening_deletes_what_a_killed_bulk_load_left(tmp_path: Path) -> None:
    store = open_embedded(tmp_path / "store")
    store.insert_nquads(document(100), 100)
    store.close()
    leftover = tmp_path / "store" / "bulk-1234567890.sst"  # sorted, never ingested
    leftover.write_bytes(b"not ingested")
    store = open_embedded(tmp_path / "store")
    assert not leftover.exists()
    assert store.quad_count() == 100


def test_a_reader_sees_none_or_all_of_a_bulk_addition(tmp_path: Path) -> None:
    store = open_embedded(tmp_path / "store")
    store.insert_nquads(document(10, H), 10)
    per_graph = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    seen: list[dict[str, int]] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            seen.append({r["g"].value: int(r["n"].value) for r in store.select(per_graph)})

    reader = threading.Thread(target=read)
    reader.start()
    try:
        store.insert_nquads(document(60_000) + document(60_000, H, "y"), 120_000)
    finally:
        done.set()
        reader.join()
    assert len(seen) > 1
    assert all(state in ({H: 10}, {G: 60_000, H: 60_010}) for state in seen)
