"""Keep a worker process of ``kgservice serve`` within ``KGSERVICE_WORKER_MEMORY_MB``.

Oxigraph can be told neither to stop a query nor to use less memory: a sort, a ``DISTINCT`` or
an aggregate over a huge join grows until the machine runs out, and the kernel then ends
whichever process it picks. A thread of each worker samples the process's resident memory ten
times a second; past the limit it looks at what the runner is running (:meth:`Runner.running`):

* a write or a reasoning refresh: nothing yet. A write is never cut short (its transaction lands
  whole or not at all, and the client is told which); once it is done the next sample decides.
* reads, and the worker has grown by more than :data:`GROWTH_MARGIN` since it last had
  nothing to run: those still waiting for their first bytes are answered 503 with a message
  that says why (:class:`~kgservice.web.runner.WorkerOutOfMemory`), the log names every read
  running, and the process is ended at once; granian starts another. Ending the process is the
  only way to stop the engine's work; answers already streaming are cut.
* nothing: the memory is what earlier work left behind (the engine's caches, the answer cache,
  the allocator's free lists). The worker retires gracefully, once it is
  :data:`RETIRE_AFTER_SECONDS` old: a limit below what the store needs at rest then costs a
  restart a minute, said in the log, not a restart at every request.
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
#: Growth over the memory held at rest that reads may make past the limit before they are cut.
GROWTH_MARGIN = 64 * MB
#: Age a worker must reach before it retires for memory held at rest.
RETIRE_AFTER_SECONDS = 60.0
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_EXCERPT_CHARS = 300


class Verdict(Enum):
    """What one sample of the worker's memory calls for."""

    WITHIN = "within the limit"
    WAIT_FOR_WRITES = "over the limit while a write runs: wait for it"
    RETIRE = "over the limit with nothing running: retire gracefully"
    HELD_AT_REST = "over the limit, but reads have not grown the worker: let them run"
    END = "over the limit while reads run: end the process"


def resident_bytes(pid: int | None = None) -> int | None:
    """The resident memory of process ``pid`` (this one by default; Linux ``/proc``), or
    ``None`` where it cannot be read (no ``/proc``, or the process is gone)."""
    try:
        with open(f"/proc/{pid or 'self'}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_BYTES
    except (OSError, ValueError, IndexError):
        return None


def verdict(
    resident: int, limit: int, running: list[Operation], writing: bool, at_rest: int
) -> Verdict:
    """What to do when the worker holds ``resident`` bytes against ``limit``, with ``running``
    the runner's operations, ``writing`` whether a write runs outside the runner (a reasoning
    refresh) and ``at_rest`` what it held when it last had nothing to run."""
    if resident <= limit:
        return Verdict.WITHIN
    if writing or any(operation.kind == "write" for operation in running):
        return Verdict.WAIT_FOR_WRITES
    if not running:
        return Verdict.RETIRE
    if resident <= at_rest + GROWTH_MARGIN:
        return Verdict.HELD_AT_REST
    return Verdict.END


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
        self._started = time.monotonic()
        self._at_rest = 0  # what the worker held when it last had nothing to run
        self._noted: Verdict | None = None  # the last verdict said in the log

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._watch, name="memory-guard", daemon=True)
        thread.start()
        return thread

    def _watch(self) -> None:
        while True:
            try:
                if self.check() is Verdict.END:
                    return
            except Exception:  # a failed sample must not end the guard
                log.exception("the memory guard could not check this worker")
            time.sleep(self._interval)

    def check(self) -> Verdict:
        """Take one sample and act on it; returns the verdict."""
        resident = self._resident()
        if resident is None:
            return Verdict.WITHIN
        running = self._runner.running()
        writing = self._writing()
        if not running and not writing:
            self._at_rest = resident
        found = verdict(resident, self.limit, running, writing, self._at_rest)
        if found is Verdict.END:
            self._end_now(resident, running)
            return found
        if found is Verdict.RETIRE and self._old_enough():
            self._retire()
        if found is not self._noted and found is not Verdict.WITHIN:
            log.warning(
                "this worker holds %s, over its limit of %s (KGSERVICE_WORKER_MEMORY_MB), %s",
                _mb(resident),
                _mb(self.limit),
                _NOTES[found],
            )
        self._noted = found
        return found

    def _old_enough(self) -> bool:
        return time.monotonic() - self._started >= RETIRE_AFTER_SECONDS

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


_NOTES = {
    Verdict.WAIT_FOR_WRITES: "while a write runs: it is left to finish",
    Verdict.RETIRE: (
        f"with nothing running: it retires (no sooner than {RETIRE_AFTER_SECONDS:g} s after its "
        "start). If this recurs, the limit is below what the store needs at rest: raise it, or "
        "lower KGSERVICE_ANSWER_CACHE_MB"
    ),
    Verdict.HELD_AT_REST: (
        "as it did at rest: the reads running are let run, and ended if they grow it by "
        f"{GROWTH_MARGIN // MB} MB more"
    ),
}


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
