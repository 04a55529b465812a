"""Keep a worker process of ``kgservice serve`` within ``KGSERVICE_WORKER_MEMORY_MB``.

Oxigraph can be told neither to stop a query nor to use less memory: a sort, a ``DISTINCT`` or
an aggregate over a huge join grows until the machine runs out, and the kernel then ends
whichever process it picks. A thread of each worker samples the process's resident memory ten
times a second; past the limit it looks at what the runner is running (:meth:`Runner.running`):

* a write or a reasoning refresh: nothing yet. A write is never cut short (its transaction lands
  whole or not at all, and the client is told which); once it is done the next sample decides.
* reads: those still waiting for their first bytes are answered 503 with a message that says
  why (:class:`~kgservice.web.runner.WorkerOutOfMemory`), the log names every read running,
  and the process is ended at once; granian starts another. Ending the process is the only way
  to stop the engine's work; answers already streaming are cut.
* nothing: the memory is what an earlier answer left behind; the worker retires gracefully.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from enum import Enum

from kgservice.web.runner import Operation, Runner, WorkerOutOfMemory

log = logging.getLogger(__name__)

MB = 1024 * 1024
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_EXCERPT_CHARS = 300


class Verdict(Enum):
    """What one sample of the worker's memory calls for."""

    WITHIN = "within the limit"
    WAIT_FOR_WRITES = "over the limit while a write runs: wait for it"
    RETIRE = "over the limit with nothing running: retire gracefully"
    END = "over the limit while reads run: end the process"


def resident_bytes() -> int | None:
    """This process's resident memory (Linux ``/proc``), or ``None`` where it cannot be read."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_BYTES
    except (OSError, ValueError, IndexError):
        return None


def verdict(resident: int, limit: int, running: list[Operation], writing: bool) -> Verdict:
    """What to do when the worker holds ``resident`` bytes against ``limit``, with ``running``
    the runner's operations and ``writing`` whether a write runs outside the runner (a
    reasoning refresh)."""
    if resident <= limit:
        return Verdict.WITHIN
    if writing or any(operation.kind == "write" for operation in running):
        return Verdict.WAIT_FOR_WRITES
    if running:
        return Verdict.END
    return Verdict.RETIRE


class MemoryGuard:
    """Samples the worker's memory and acts on each :func:`verdict`.

    ``retire`` stops the worker gracefully, ``end`` ends it at once; both come from
    :mod:`kgservice.serve`, which knows how granian replaces a worker."""

    def __init__(
        self,
        limit: int,
        runner: Runner,
        *,
        writing: Callable[[], bool],
        retire: Callable[[], None],
        end: Callable[[], None],
        interval: float = 0.1,
        grace: float = 0.3,
        resident: Callable[[], int | None] = resident_bytes,
    ) -> None:
        self.limit = limit
        self._runner, self._writing = runner, writing
        self._retire, self._end = retire, end
        self._interval, self._grace, self._resident = interval, grace, resident
        self._waiting_noted = False

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._watch, name="memory-guard", daemon=True)
        thread.start()
        return thread

    def _watch(self) -> None:
        while self.check() is not Verdict.END:
            time.sleep(self._interval)

    def check(self) -> Verdict:
        """Take one sample and act on it; returns the verdict."""
        resident = self._resident()
        if resident is None:
            return Verdict.WITHIN
        running = self._runner.running()
        found = verdict(resident, self.limit, running, self._writing())
        if found is Verdict.WAIT_FOR_WRITES and not self._waiting_noted:
            log.warning(
                "this worker holds %s, over its limit of %s (KGSERVICE_WORKER_MEMORY_MB), "
                "while a write runs: it is left to finish",
                _mb(resident),
                _mb(self.limit),
            )
        self._waiting_noted = found is Verdict.WAIT_FOR_WRITES
        if found is Verdict.RETIRE:
            log.warning(
                "this worker holds %s, over its limit of %s (KGSERVICE_WORKER_MEMORY_MB), with "
                "nothing running: retiring it",
                _mb(resident),
                _mb(self.limit),
            )
            self._retire()
        elif found is Verdict.END:
            self._end_now(resident, running)
        return found

    def _end_now(self, resident: int, running: list[Operation]) -> None:
        now = time.monotonic()
        listed = "".join(
            f"\n  {operation.kind} running for {now - operation.started:.1f} s: "
            f"{_excerpt(operation.what)}"
            for operation in running
        )
        log.error(
            "this worker holds %s, over its limit of %s (KGSERVICE_WORKER_MEMORY_MB), while "
            "answering %d request(s); the engine cannot stop them, so the process ends and "
            "another takes its place:%s",
            _mb(resident),
            _mb(self.limit),
            len(running),
            listed,
        )
        self._runner.abort_reads(WorkerOutOfMemory(out_of_memory_message(self.limit)))
        time.sleep(self._grace)  # for those answers to leave
        self._end()


def out_of_memory_message(limit: int) -> str:
    return (
        f"the service stopped this query: the worker process answering it grew past its memory "
        f"limit of {_mb(limit)} (KGSERVICE_WORKER_MEMORY_MB) and is being replaced. A query "
        "that sorts, groups or removes duplicates over a large part of the store can need that "
        "much: narrow it (more specific patterns, a LIMIT in a sub-select), or ask the operator "
        "for a higher limit. Queries answered by the same process at that moment got this "
        "answer too: retry those."
    )


def _mb(size: int) -> str:
    return f"{size / MB:,.0f} MB"


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _EXCERPT_CHARS else flat[: _EXCERPT_CHARS - 1] + "…"
