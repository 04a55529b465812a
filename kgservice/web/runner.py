"""Run store work under a time limit that really stops it.

Each operation runs in a worker thread (kept between requests: starting a thread per request
cost more than a lookup by IRI); the request thread waits for it until the deadline.
Oxigraph releases the GIL while it evaluates, so threads use every core, but it cannot be told
to stop. Two cases:

* Work that is writing a response body is stopped at once: every chunk passes through
  ``emit``, which raises :class:`Cancelled` once the request has given up (timeout or client
  gone), and Oxigraph's serialiser returns.
* Work stuck inside the engine (an aggregate over a huge join, a sort) cannot be interrupted in
  the process. After a short grace the runner calls ``on_runaway``: under ``kgservice serve``
  that retires the worker process gracefully (requests in flight finish, new ones wait in the
  listen queue) and a fresh process takes over, which is what ends the work for good. Without a
  supervisor (tests, ``flask run``) the thread is left to finish and a warning is logged.

A timed-out request gets :class:`QueryTimeout` (503) if nothing was sent yet; if the body had
started, the stream ends early without its closing chunk, which HTTP clients report as an
incomplete response.

The runner also knows what is running (:meth:`Runner.running`): the memory guard
(:mod:`kgservice.web.memory_guard`) reads it, and answers the reads waiting for their first
bytes with an error (:meth:`Runner.abort_reads`) before it ends a worker grown past its limit.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import ClassVar, Literal, TypeVar

from kgservice.store.base import StoreTimeout, StoreUnavailable

T = TypeVar("T")
log = logging.getLogger(__name__)

_DONE = object()
_GRACE_SECONDS = 0.5
_QUEUE_CHUNKS = 8
_HEAD_BYTES = 64 * 1024  # a body this short is written whole before the headers go


def whole_body(body: Iterable[bytes]) -> bytes | Iterable[bytes]:
    """The body as bytes when :meth:`Runner.stream` had all of it (the response then has a
    ``Content-Length`` and is sent without chunked framing), else the body as it is."""
    return b"".join(body) if isinstance(body, list) else body


class _Signal:
    """A one-way flag set by any thread and awaited by others: a lock held until it is set.

    Cheaper than ``threading.Event`` (no condition variable, no lock made per wait) on the
    path every request takes."""

    __slots__ = ("_lock", "_set")
    _setting = threading.Lock()  # one set() at a time, so the lock is released once

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()
        self._set = False

    def set(self) -> None:
        """Set the flag (again: no effect)."""
        with _Signal._setting:
            if self._set:
                return
            self._set = True
        self._lock.release()

    def is_set(self) -> bool:
        return self._set

    def wait(self, timeout: float | None = None) -> bool:
        """Whether the flag was set within ``timeout`` seconds (``None``: no limit)."""
        if self._set:
            return True
        if not self._lock.acquire(timeout=-1 if timeout is None else timeout):
            return False
        self._lock.release()  # for the next waiter
        return True


class _Flag:
    """A flag threads set and read (a bool: reading and writing one is atomic)."""

    __slots__ = ("_set",)

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set


class _Default:
    """Marker type: "use the runner's own timeout"."""


_DEFAULT = _Default()


class QueryTimeout(StoreTimeout):
    """The operation ran past ``KGSERVICE_QUERY_TIMEOUT`` and was stopped (503)."""


class Cancelled(Exception):
    """Raised inside the worker thread when the request no longer wants its output."""


class StreamAborted(Exception):
    """Raised from a response body that cannot be completed, so the server drops the
    connection instead of ending the body as if it were whole."""


class WorkerOutOfMemory(StoreUnavailable):
    """The worker process answering the request grew past ``KGSERVICE_WORKER_MEMORY_MB`` and
    is being replaced (503, with ``Retry-After``)."""

    headers: ClassVar[dict[str, str]] = {"Retry-After": "10"}


@dataclass(eq=False)
class Operation:
    """A piece of work the runner is running: a read (a query, a download, a check) or a write
    (which is never cut short: its transaction either lands whole or not at all)."""

    kind: Literal["read", "write"]
    what: str
    started: float = field(default_factory=time.monotonic)
    #: set by :meth:`Runner.abort_reads`: the error the waiting request answers with
    aborted: StoreUnavailable | None = None
    #: wakes the request thread waiting for a read (``None`` once its answer has started, and
    #: for a write, which is never cut short)
    wake: Callable[[], None] | None = None


class Workers:
    """Daemon threads that take tasks from a queue; one more starts when none is idle.

    They never exit (their number stays at the peak concurrency) and, being daemons, never
    hold up the process's exit, even while a runaway query keeps one busy.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._tasks: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._idle = 0
        self._lock = threading.Lock()

    def submit(self, task: Callable[[], None]) -> None:
        with self._lock:
            start = self._idle == 0
            if not start:
                self._idle -= 1
        if start:
            threading.Thread(target=self._serve, name=self._name, daemon=True).start()
        self._tasks.put(task)

    def _serve(self) -> None:
        while True:
            task = self._tasks.get()
            try:
                task()
            except BaseException:  # a task reports its own errors; keep the thread
                log.exception("a worker task failed")
            with self._lock:
                self._idle += 1


class Runner:
    """Runs operations in worker threads under ``timeout`` seconds; counts timeouts."""

    def __init__(self, timeout: float, on_runaway: Callable[[], None] | None = None) -> None:
        self.timeout = timeout
        self.on_runaway = on_runaway
        self.timeouts = 0
        self.runaways = 0
        self._workers = Workers("kgservice-work")
        self._running: set[Operation] = set()
        self._running_lock = threading.Lock()
        self._refusing: StoreUnavailable | None = None  # set when the process is ending

    def running(self) -> list[Operation]:
        """The operations running now, oldest first."""
        with self._running_lock:
            return sorted(self._running, key=lambda operation: operation.started)

    def abort_reads(self, error: StoreUnavailable) -> list[Operation]:
        """Answer every read still waiting for its work with ``error`` (its work goes on in
        the engine, which cannot be stopped), and any work asked for from now on; returns the
        reads it answered. Reads already sending their body are not reached."""
        with self._running_lock:  # so no read is tracked between the flag and the pass below
            self._refusing = error
            running = sorted(self._running, key=lambda operation: operation.started)
        answered = []
        for operation in running:
            if operation.wake is not None:  # a write has none: it is never cut short
                operation.aborted = error
                operation.wake()
                answered.append(operation)
        return answered

    def _track(self, operation: Operation) -> None:
        with self._running_lock:
            if self._refusing is not None:
                raise self._refusing
            self._running.add(operation)

    def _untrack(self, operation: Operation) -> None:
        with self._running_lock:
            self._running.discard(operation)

    def call(self, work: Callable[[], T], what: str = "the operation") -> T:
        """Run ``work()``, a read, and return its result, or raise :class:`QueryTimeout`."""
        return self._call(lambda may_commit: work(), what, "read")

    def call_gated(self, work: Callable[[Callable[[], bool]], T], what: str = "the write") -> T:
        """Like :meth:`call`, for work that changes the store: ``work`` gets a gate to call right
        before the change. If the request gave up first (its time limit passed), the gate
        answers False and the work must not change anything; once the gate has answered True,
        the request waits for the work's outcome whatever the time, so a write the client was
        told failed (503) never lands."""
        return self._call(work, what, "write")

    def _call(
        self,
        work: Callable[[Callable[[], bool]], T],
        what: str,
        kind: Literal["read", "write"],
    ) -> T:
        lock = threading.Lock()
        phase = {"now": "running"}  # running -> committing | abandoned

        def may_commit() -> bool:
            with lock:
                if phase["now"] == "abandoned":
                    return False
                phase["now"] = "committing"
                return True

        box: dict[str, object] = {}
        finished = threading.Event()
        answered = threading.Event()  # the work finished, or the memory guard gave up on it

        operation = Operation(kind, what, wake=answered.set if kind == "read" else None)

        def target() -> None:
            try:
                box["value"] = work(may_commit)
            except BaseException as error:  # handed to the request thread
                box["error"] = error
            finally:
                finished.set()
                answered.set()
                self._untrack(operation)

        self._track(operation)
        self._workers.submit(target)
        if not answered.wait(self.timeout):
            with lock:
                if phase["now"] == "running":
                    phase["now"] = "abandoned"
            if phase["now"] == "abandoned":
                self._timed_out(finished)
                raise QueryTimeout(self._message(what))
            finished.wait()  # being applied: its outcome is the answer
        if operation.aborted is not None:
            raise operation.aborted
        if "error" in box:
            raise box["error"]  # type: ignore[misc]
        return box["value"]  # type: ignore[return-value]

    def stream(
        self,
        prepare: Callable[[], T],
        write_body: Callable[[T, Callable[[bytes], None]], None],
        timeout: float | _Default | None = _DEFAULT,
        label: str = "a query",
    ) -> tuple[T, Iterable[bytes]]:
        """Run ``prepare()`` (the headers' worth of work) then ``write_body`` in one thread.

        Returns ``prepare``'s result and the body's chunks that the response sends, once the
        body is complete or its first 64 KiB are written: a short answer crosses between the
        threads once, and an error while writing it still gets a proper error response, since
        nothing was sent. A complete body comes as a list (so its length is known: see
        :func:`whole_body`), a longer one as an iterator that streams the rest. One deadline
        bounds both, serialisation included (as Fuseki's overall timeout does): ``timeout``,
        the runner's own by default, or ``None`` for none (a Graph Store download, which is a
        plain scan). ``label`` says what the work is in :meth:`running` (the memory guard's log).
        """
        limit = self.timeout if isinstance(timeout, _Default) else timeout
        deadline = time.monotonic() + (limit if limit is not None else 10**9)
        # The queue for a long body is made when the body turns out long: most answers are
        # short, and cross between the threads once, with the headers.
        chunks: list[queue.Queue[object]] = []
        ready = _Signal()
        cancelled = _Flag()
        finished = _Signal()
        box: dict[str, object] = {}
        head: list[bytes] = []  # the body's start, handed over with the headers
        mode = {"streaming": False, "size": 0}

        def put(item: object) -> None:
            while True:
                if cancelled.is_set():
                    raise Cancelled()
                try:
                    chunks[0].put(item, timeout=0.2)
                    return
                except queue.Full:
                    continue

        def emit(chunk: bytes) -> None:
            if mode["streaming"]:
                put(chunk)
                return
            if cancelled.is_set():
                raise Cancelled()
            head.append(chunk)
            mode["size"] += len(chunk)
            if mode["size"] >= _HEAD_BYTES:  # a long body: send what there is, stream the rest
                chunks.append(queue.Queue(maxsize=_QUEUE_CHUNKS))
                mode["streaming"] = True
                ready.set()

        operation = Operation("read", label, wake=ready.set)

        def target() -> None:
            try:
                box["value"] = prepared = prepare()
                write_body(prepared, emit)
                if mode["streaming"]:
                    put(_DONE)
            except Cancelled:
                pass
            except BaseException as error:
                box["error"] = error
                if mode["streaming"] and not cancelled.is_set():
                    with contextlib.suppress(Cancelled):
                        put(error)
            finally:
                ready.set()
                finished.set()
                self._untrack(operation)

        self._track(operation)
        self._workers.submit(target)
        if not ready.wait(limit):
            cancelled.set()
            self._timed_out(finished)
            raise QueryTimeout(self._message("the query"))
        operation.wake = None  # past its first bytes: the memory guard cannot answer it now
        if operation.aborted is not None:
            cancelled.set()
            raise operation.aborted
        if not mode["streaming"]:  # the whole answer is here (or its error: nothing was sent)
            if "error" in box:
                raise box["error"]  # type: ignore[misc]
            return box["value"], head  # type: ignore[return-value]
        body = self._body(chunks[0], deadline, cancelled, finished)
        return box["value"], itertools.chain(head, body)  # type: ignore[return-value]

    def _body(
        self,
        chunks: queue.Queue[object],
        deadline: float,
        cancelled: _Flag,
        finished: _Signal,
    ) -> Iterator[bytes]:
        try:
            while True:
                remaining = deadline - time.monotonic()
                try:
                    if remaining <= 0:
                        raise queue.Empty
                    item = chunks.get(timeout=remaining)
                except queue.Empty:
                    cancelled.set()
                    self._timed_out(finished)
                    raise StreamAborted(self._message("the query")) from None
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise StreamAborted(f"writing the response failed: {item}") from item
                yield item  # type: ignore[misc]
        finally:
            cancelled.set()  # the client went away, or the body is done

    def _timed_out(self, finished: threading.Event | _Signal) -> None:
        self.timeouts += 1
        if finished.wait(_GRACE_SECONDS):
            return
        self.runaways += 1
        if self.on_runaway is not None:
            log.warning("work past its time limit is still running: retiring this worker")
            self.on_runaway()
        else:
            log.warning("work past its time limit is still running and cannot be stopped here")

    def _message(self, what: str) -> str:
        return (
            f"{what} ran longer than the service's limit of {self.timeout:g} s "
            "(KGSERVICE_QUERY_TIMEOUT) and was stopped; narrow it (LIMIT, more specific "
            "patterns) or ask the operator for a longer limit"
        )
