"""Writes through a real ``kgservice serve`` (granian's forked worker over the on-disk store):
the storage engine's background work (flushes, compactions) must run in the worker, or the
first write that waits for a flush never ends."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.servers import KGServiceServer as Server

WRITER = {"Authorization": "Bearer t"}  # tests.servers' write token
ONTOLOGY = "https://w3id.org/sckm/graph/ontology"
INFERRED = "https://w3id.org/sckm/graph/inferred"
AXIOM = (
    "<https://w3id.org/sckm/city/residence> "
    "<http://www.w3.org/2000/01/rdf-schema#subPropertyOf> <urn:test:livesIn>"
)
WAIT = 60.0  # seconds: the demo city's whole rebuild takes about one


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("serve-writes") / "store")
    yield server
    server.stop()


def _update(server: Server, update: str) -> None:
    answer = requests.post(
        server.url + "/sparql", data={"update": update}, headers=WRITER, timeout=WAIT
    )
    assert answer.status_code == 204, answer.text


def _lives_in(server: Server) -> int:
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{INFERRED}> {{ ?s <urn:test:livesIn> ?o }} }}"
    answer = requests.get(
        server.url + "/sparql",
        params={"query": query},
        headers={**WRITER, "Accept": "application/sparql-results+json"},
        timeout=WAIT,
    )
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def _settles(server: Server, wanted) -> int:
    deadline = time.monotonic() + WAIT
    while not wanted(count := _lives_in(server)):
        assert time.monotonic() < deadline, "".join(server.output[-20:])
        time.sleep(0.2)
    return count


def test_ontology_writes_rebuild_the_inferred_graph_again_and_again(server: Server) -> None:
    residents = None
    for _ in range(3):  # each round writes the store while the rebuild before it may run
        _update(server, f"INSERT DATA {{ GRAPH <{ONTOLOGY}> {{ {AXIOM} }} }}")
        count = _settles(server, lambda n: n > 0)
        assert residents in (None, count)  # every resident, each time
        residents = count
        _update(server, f"DELETE DATA {{ GRAPH <{ONTOLOGY}> {{ {AXIOM} }} }}")
        _settles(server, lambda n: n == 0)


def test_the_workers_run_the_engines_background_threads(server: Server) -> None:
    """The engine flushes and compacts in threads it starts when a store is first opened in a
    process; a worker forked from a process that had opened one has none, and waits forever
    for the first flush it needs."""
    assert _threads_of_workers(server, "rocksdb:")


def _threads_of_workers(server: Server, prefix: str) -> list[str]:
    """The names of the worker processes' threads that start with ``prefix``."""
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    names = []
    for pid in children.read_text().split():
        for comm in Path(f"/proc/{pid}/task").glob("*/comm"):
            name = comm.read_text().strip()
            if name.startswith(prefix):
                names.append(name)
    return names
