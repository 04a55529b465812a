"""Readers and a writer at once, and a runaway query beside simple ones, on a real server.

Bounded: the load runs for a fixed number of seconds against 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import requests

from tests.hostile.conftest import LIMITS, TIMEOUT, WRITER
from tests.servers import EXPLOSIVE
from tests.servers import KGServiceServer as Server

READERS = 16
SECONDS = 30.0
WRITTEN = "https://w3id.org/sckm/graph/concurrency"
READS = [
    {"query": "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 20"},
    {"query": "ASK { ?s a <https://w3id.org/sckm/city/NaturalPerson> }"},
    {
        "query": "SELECT ?type (COUNT(*) AS ?n) WHERE { ?x a ?type } GROUP BY ?type "
        "ORDER BY DESC(?n) LIMIT 5"
    },
    {"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{WRITTEN}> {{ ?s ?p ?o }} }}"},
]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """The hostile tests' server: a 2 s time limit; writes to WRITTEN are not validated, so that
    they stay well inside it."""
    limits = {**LIMITS, "KGSERVICE_VALIDATE_WRITES": WRITTEN}
    running = Server(tmp_path_factory.mktemp("concurrency") / "store", limits)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory) -> Iterator[Server]:
    """A server with the default 30 s limit: under 16 readers a validated write (a copy of the
    store, the shapes before and after) can take longer than the hostile tests' 2 s."""
    limits = {**LIMITS, "KGSERVICE_QUERY_TIMEOUT": "30"}
    running = Server(tmp_path_factory.mktemp("concurrency-busy") / "store", limits)
    yield running
    running.stop()


class Load:
    """What the threads saw: failures (request, status or exception) and acknowledged writes."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.acknowledged: list[int] = []
        self.reads = 0
        self.lock = threading.Lock()

    def fail(self, what: str) -> None:
        with self.lock:
            self.failures.append(what)


def _reader(url: str, index: int, stop_at: float, load: Load) -> None:
    session = requests.Session()
    n = index
    while time.monotonic() < stop_at:
        params = READS[n % len(READS)]
        n += 1
        try:
            response = session.get(url + "/sparql", params=params, timeout=30)
        except requests.RequestException as error:
            load.fail(f"reader {index}: {error!r}")
            continue
        if response.status_code != 200:
            load.fail(f"reader {index}: {response.status_code} {response.text[:200]}")
        with load.lock:
            load.reads += 1


def _writer(url: str, stop_at: float, load: Load) -> None:
    session = requests.Session()
    n = 0
    while time.monotonic() < stop_at:
        n += 1
        update = f"INSERT DATA {{ GRAPH <{WRITTEN}> {{ <urn:write:{n}> <urn:number> {n} }} }}"
        try:
            response = session.post(
                url + "/sparql",
                data=update.encode(),
                headers={"Content-Type": "application/sparql-update", **WRITER},
                timeout=30,
            )
        except requests.RequestException as error:
            load.fail(f"writer: {error!r}")
            continue
        if response.status_code == 204:
            load.acknowledged.append(n)
        else:
            load.fail(f"writer: {response.status_code} {response.text[:200]}")
        time.sleep(0.02)


def test_sixteen_readers_and_a_writer(busy_server: Server) -> None:
    server = busy_server
    load = Load()
    stop_at = time.monotonic() + SECONDS
    threads = [
        threading.Thread(target=_reader, args=(server.url, i, stop_at, load))
        for i in range(READERS)
    ]
    threads.append(threading.Thread(target=_writer, args=(server.url, stop_at, load)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SECONDS + 60)
    assert not any(thread.is_alive() for thread in threads)
    assert load.failures == []
    assert load.reads > READERS and load.acknowledged
    stored = requests.get(
        server.url + "/sparql",
        params={"query": f"SELECT ?n WHERE {{ GRAPH <{WRITTEN}> {{ ?s <urn:number> ?n }} }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    ).json()["results"]["bindings"]
    assert sorted(int(row["n"]["value"]) for row in stored) == load.acknowledged


def _written(server: Server) -> int:
    response = requests.get(server.url + "/sparql", params=READS[3], timeout=30)
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_a_runaway_query_is_stopped_while_simple_queries_answer(server: Server) -> None:
    """The worker running it is replaced; the next one opens the store with every write."""
    outcome: dict[str, float | int] = {}
    for n in range(3):
        update = f"INSERT DATA {{ GRAPH <{WRITTEN}> {{ <urn:write:{n}> <urn:number> {n} }} }}"
        requests.post(
            server.url + "/sparql",
            data=update.encode(),
            headers={"Content-Type": "application/sparql-update", **WRITER},
            timeout=30,
        ).raise_for_status()
    written = _written(server)
    assert written == 3

    def runaway() -> None:
        started = time.monotonic()
        response = requests.post(server.url + "/sparql", data={"query": EXPLOSIVE}, timeout=60)
        outcome["status"] = response.status_code
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    answered = []
    deadline = time.monotonic() + TIMEOUT + 3
    while time.monotonic() < deadline:
        response = requests.get(
            server.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=30
        )
        answered.append((response.status_code, response.json()["boolean"]))
        time.sleep(0.1)
    thread.join(60)
    assert outcome["status"] == 503
    assert outcome["seconds"] < TIMEOUT + 1.0
    assert answered and all(answer == (200, True) for answer in answered)
    assert _written(server) == written
