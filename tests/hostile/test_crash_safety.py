"""kill -9 during a large load and during an update: the store reopens at the state before or
after, never between.

Each trial starts ``kgservice serve`` (granian's main process and worker in their own process
group) on the same on-disk store, sends one large write, SIGKILLs the whole group at a random
moment while the write runs, starts the service again and reads the store. Ten trials of each
kind; the moments are drawn from a seeded generator so a failure can be replayed.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from tests.hostile.conftest import WRITE_TOKEN, WRITER, store_state
from tests.servers import KGSERVICE
from tests.servers import KGServiceServer as Server

TRIALS = 10
LOADED = "https://w3id.org/sckm/graph/crash-load"
COPY = "https://w3id.org/sckm/graph/crash-copy"
MARKER = "https://w3id.org/sckm/graph/crash-marker"


class KillableServer(Server):
    """``kgservice serve`` in a process group of its own, so SIGKILL reaches every process."""

    def __init__(self, store: Path) -> None:
        super().__init__(
            store,
            {
                "KGSERVICE_DEMO_PEOPLE": "0",
                "KGSERVICE_WRITE_TOKEN": WRITE_TOKEN,
                "KGSERVICE_QUERY_TIMEOUT": "300",  # the writes must not be stopped by the limit
                "KGSERVICE_REASONING": "off",  # no background rebuild between the trials
            },
        )

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture(autouse=True)
def _own_process_group(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start the servers of this module with ``start_new_session`` (a group to kill)."""
    original = subprocess.Popen

    def popen(*args, **kwargs):
        if args and args[0] and args[0][0] == KGSERVICE:
            kwargs["start_new_session"] = True
        return original(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", popen)


def n_triples(count: int, salt: str) -> bytes:
    """``count`` distinct triples, different for each ``salt``."""
    lines = (
        f'<urn:crash:{salt}:{i}> <https://w3id.org/sckm/city/note> "{salt} {i}" .'
        for i in range(count)
    )
    return ("\n".join(lines) + "\n").encode()


def put_graph(url: str, body: bytes) -> None:
    requests.put(
        f"{url}/store?graph={LOADED}",
        data=body,
        headers={"Content-Type": "application/n-triples", **WRITER},
        timeout=120,
    )


def copy_update(url: str, trial: int) -> None:
    """One update of four operations: copy LOADED with a mark per subject into COPY, and make
    MARKER hold ``trial`` triples (so each trial's outcome differs from the one before)."""
    marks = " ".join(f"<urn:crash> <urn:trial> {n} ." for n in range(1, trial + 1))
    update = (
        f"DROP SILENT GRAPH <{COPY}> ;\n"
        f"INSERT {{ GRAPH <{COPY}> {{ ?s ?p ?o . ?s <urn:trial> {trial} }} }} "
        f"WHERE {{ GRAPH <{LOADED}> {{ ?s ?p ?o }} }} ;\n"
        f"DROP SILENT GRAPH <{MARKER}> ;\n"
        f"INSERT DATA {{ GRAPH <{MARKER}> {{ {marks} }} }}"
    )
    requests.post(
        f"{url}/sparql",
        data=update.encode(),
        headers={"Content-Type": "application/sparql-update", **WRITER},
        timeout=120,
    )


def _killed_while(store: Path, write: Callable[[str], None], delay: float) -> None:
    server = KillableServer(store)
    writer = threading.Thread(target=_swallow(write, server.url), daemon=True)
    writer.start()
    time.sleep(delay)
    server.kill()
    writer.join(30)


def _swallow(write: Callable[[str], None], url: str) -> Callable[[], None]:
    def run() -> None:
        with contextlib.suppress(requests.RequestException):  # the server died under it
            write(url)

    return run


def _state(store: Path) -> dict[str, int]:
    server = KillableServer(store)
    try:
        return store_state(server)
    finally:
        server.kill()


def _timed(store: Path, write: Callable[[str], None]) -> tuple[float, dict[str, int]]:
    """Run ``write`` to the end once; how long it took and the state after it."""
    server = KillableServer(store)
    try:
        started = time.monotonic()
        write(server.url)
        elapsed = time.monotonic() - started
        return elapsed, store_state(server)
    finally:
        server.kill()


def _moment(draw: random.Random, elapsed: float) -> float:
    """When to kill: mostly while the write runs, sometimes just after it has committed."""
    return draw.uniform(0.2, 1.4) * elapsed


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("crash") / "store"


def test_kill_during_a_large_load_leaves_the_state_before_or_after(store: Path) -> None:
    # Three sizes a triple apart: each trial's outcome differs from the state before it.
    bodies = [n_triples(100_001, "a"), n_triples(100_002, "b")]
    _timed(store, lambda url: put_graph(url, n_triples(99_999, "d")))
    # Timed as the trials run: replacing a graph (deletion is the slow part), not creating one.
    elapsed, _ = _timed(store, lambda url: put_graph(url, n_triples(100_000, "c")))
    draw = random.Random(20261205)
    for trial in range(TRIALS):
        body = bodies[trial % 2]
        before = _state(store)
        after = {**before, LOADED: body.count(b"\n")}
        _killed_while(store, lambda url, body=body: put_graph(url, body), _moment(draw, elapsed))
        state = _state(store)
        assert state in (before, after), f"trial {trial}: {state} is neither {before} nor {after}"


def test_kill_during_an_update_leaves_the_state_before_or_after(store: Path) -> None:
    body = n_triples(40_000, "u")
    _timed(store, lambda url: put_graph(url, body))
    _timed(store, lambda url: copy_update(url, 0))
    elapsed, _ = _timed(store, lambda url: copy_update(url, 1))  # replacing COPY, as trials do
    draw = random.Random(5122026)
    for trial in range(2, TRIALS + 2):
        before = _state(store)
        after = {**before, COPY: 2 * 40_000, MARKER: trial}
        _killed_while(
            store, lambda url, trial=trial: copy_update(url, trial), _moment(draw, elapsed)
        )
        state = _state(store)
        assert state in (before, after), f"trial {trial}: {state} is neither {before} nor {after}"
