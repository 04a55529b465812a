"""A real ``kgservice serve`` process for the hostile-input tests, and how to read its store.

One server per module: an on-disk store in a temporary folder with a small demo city, a write
token, a personal-data token, a short query timeout and small request limits so that "too large"
needs only a few kilobytes on the wire.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from tests.servers import KGServiceServer as Server

WRITE_TOKEN = "hostile-writer"
WRITER = {"Authorization": f"Bearer {WRITE_TOKEN}"}
TIMEOUT = 2.0
LIMITS = {
    "KGSERVICE_DEMO_PEOPLE": "30",
    "KGSERVICE_WRITE_TOKEN": WRITE_TOKEN,
    "KGSERVICE_PERSONAL_DATA_TOKEN": "hostile-reader",
    "KGSERVICE_QUERY_TIMEOUT": str(TIMEOUT),
    "KGSERVICE_MAX_BODY_BYTES": str(256 * 1024),
    "KGSERVICE_MAX_QUERY_BYTES": str(16 * 1024),
    "KGSERVICE_MAX_QUERY_DEPTH": "64",
    "KGSERVICE_THREADS": "4",
}
QUADS_PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """``kgservice serve`` on a free port of 127.0.0.1 over a fresh on-disk store."""
    running = Server(tmp_path_factory.mktemp("hostile") / "store", LIMITS)
    # Right after start the worker answers the named questions ahead (and the engine may
    # compact the new store): on a busy machine a write sent then was seen to pass the 2 s
    # limit. The hostile requests are sent once that start-up work is done.
    deadline = time.monotonic() + 120
    while "requests ready" not in "".join(running.output):
        assert time.monotonic() < deadline, "".join(running.output)
        time.sleep(0.1)
    yield running
    running.stop()


def store_state(server: Server) -> dict[str, int]:
    """Quads per named graph, personal graphs included (read with the writer's token), and
    the triples of the default graph under the key ``""``."""
    response = requests.post(
        server.url + "/sparql",
        data={"query": QUADS_PER_GRAPH},
        headers={**WRITER, "Accept": "application/sparql-results+json"},
        timeout=30,
    )
    response.raise_for_status()
    rows = response.json()["results"]["bindings"]
    state = {row["g"]["value"]: int(row["n"]["value"]) for row in rows}
    default = requests.get(
        server.url + "/store?default",
        headers={**WRITER, "Accept": "application/n-triples"},
        timeout=30,
    )
    default.raise_for_status()
    state[""] = sum(1 for line in default.text.splitlines() if line.strip())
    return state
