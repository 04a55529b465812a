"""Stopping a real ``kgservice serve``: Ctrl-C (SIGINT to the process group) and SIGTERM reach
the worker's handlers whichever thread the kernel gives them to."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import KGServiceServer as Server

STOPS = (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGTERM - 1))


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path / "store")
    deadline = time.monotonic() + 60
    while "requests ready" not in "".join(server.output):  # the worker is busy no more
        assert time.monotonic() < deadline, "".join(server.output)
        time.sleep(0.1)
    yield server
    server.stop()


def _workers(server: Server) -> list[int]:
    """granian's worker processes (not multiprocessing's resource tracker, left by the
    process that prepared the store)."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [
        int(child)
        for child in children
        if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


def _blocked(task: Path) -> int:
    for line in (task / "status").read_text().splitlines():
        if line.startswith("SigBlk:"):
            return int(line.split()[1], 16)
    raise AssertionError(f"no SigBlk in {task}/status")


def test_only_one_thread_of_a_worker_takes_the_stop_signals(server: Server) -> None:
    """Every thread but the one that waits for them blocks SIGINT and SIGTERM: the engine's,
    granian's and the app's threads cannot swallow a stop."""
    (worker,) = _workers(server)
    tasks = list(Path(f"/proc/{worker}/task").iterdir())
    assert len(tasks) > 5  # the engine's, granian's and the app's threads are there
    taking = [task for task in tasks if _blocked(task) & STOPS != STOPS]
    assert len(taking) == 1  # the one waiting for them (sigwait)


@pytest.mark.parametrize("attempt", range(3))
def test_ctrl_c_stops_the_service(server: Server, attempt: int) -> None:
    os.killpg(server.process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    assert server.process.wait(20) == 0
    assert "Granian shutdown completed" in "".join(server.output)
