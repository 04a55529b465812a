"""``kgservice serve`` with ``KGSERVICE_WORKER_MEMORY_MB``: a query that really grows the worker
past its limit (a sort of every pair of triples, which Oxigraph gathers in memory before the
first row) is answered 503, and the worker is ended and replaced."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.servers import KGServiceServer as Server

LIMIT_MB = 512
GROWING = "SELECT ?a WHERE { ?a ?p ?x . ?b ?q ?y } ORDER BY ?a"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    server = Server(
        tmp_path_factory.mktemp("memory") / "store",
        {
            "KGSERVICE_WORKER_MEMORY_MB": str(LIMIT_MB),
            "KGSERVICE_QUERY_TIMEOUT": "60",  # the memory limit, not the time limit, stops it
        },
    )
    yield server
    server.stop()


def test_a_query_past_the_memory_limit_gets_503_and_the_worker_is_replaced(
    server: Server,
) -> None:
    metrics = requests.get(server.url + "/metrics", timeout=10).text
    limit = next(x for x in metrics.splitlines() if x.startswith("kgservice_worker_memory_limit"))
    assert float(limit.split()[-1]) == LIMIT_MB * 1024 * 1024
    _wait_until_old_enough(server)
    before = server.health()["pid"]
    started = time.monotonic()
    response = requests.post(server.url + "/sparql", data={"query": GROWING}, timeout=60)
    assert response.status_code == 503, response.text
    assert f"memory limit of {LIMIT_MB} MB (KGSERVICE_WORKER_MEMORY_MB)" in response.text
    assert response.headers["Retry-After"]
    assert time.monotonic() - started < 30
    after = _replaced(server, before)
    assert _gone(before), "the worker that ran the query still runs"
    log = "".join(server.output)
    assert "over its limit of 512 MB" in log and GROWING in log
    ask = requests.get(server.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=10)
    assert ask.json()["boolean"] is True
    assert server.health()["pid"] == after


def test_a_worker_just_started_is_frozen_until_it_may_end(server: Server) -> None:
    """granian stops the whole server when a worker it just started ends again within seconds;
    a worker past its limit sooner is frozen (its memory grows no more) until it may end."""
    first = server.health()["pid"]
    response = requests.post(server.url + "/sparql", data={"query": GROWING}, timeout=60)
    assert response.status_code == 503, response.text
    young = _replaced(server, first)
    response = requests.post(server.url + "/sparql", data={"query": GROWING}, timeout=60)
    assert response.status_code == 503, response.text
    peak = _peak_while_frozen(young, server.output)
    assert peak < 2 * LIMIT_MB, f"a frozen worker reached {peak} MB"
    _replaced(server, young)
    assert _gone(young)
    assert server.process.poll() is None, "".join(server.output[-20:])
    ask = requests.get(server.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=10)
    assert ask.json()["boolean"] is True


def _wait_until_old_enough(server: Server) -> None:
    """A worker is ended no sooner than 6 s after its start; the first test wants the plain
    case."""
    time.sleep(max(0.0, 7 - _age(server.health()["pid"])))


def _age(pid: int) -> float:
    """Seconds since process ``pid`` started (Linux ``/proc``)."""
    ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - ticks / os.sysconf("SC_CLK_TCK")


def _peak_while_frozen(pid: int, server_output: list[str]) -> float:
    """The peak resident memory (MB) of a worker seen stopped (state T) before it ended."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            break
        if state == "T":
            line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
            return int(line.split()[1]) / 1024
        time.sleep(0.05)
    pytest.fail(f"worker {pid} was never seen frozen:\n" + "".join(server_output[-40:]))


def _replaced(server: Server, before: int) -> int:
    """The pid of the worker that replaced ``before``. While a frozen worker waits to end, new
    connections wait in the listen queue: hence the long read timeout."""
    deadline = time.monotonic() + 30
    while (pid := _pid(server)) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert pid != before, "the worker past its memory limit was not replaced:\n" + "".join(
        server.output[-30:]
    )
    return pid


def _pid(server: Server) -> int:
    return requests.get(server.url + "/healthz", timeout=30).json()["pid"]


def _gone(pid: int) -> bool:
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return not Path(f"/proc/{pid}").exists()
