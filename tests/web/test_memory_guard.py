"""The memory guard: what a worker grown past KGSERVICE_WORKER_MEMORY_MB does, on a real runner
with real threads. Only the memory reading is given (the real one is tested on its own below,
and the whole guard in ``tests/test_serve.py`` with a query that really grows)."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator

import pytest

from kgservice.web.memory_guard import (
    GROWTH_MARGIN,
    MB,
    RETIRE_AFTER_SECONDS,
    MemoryGuard,
    Verdict,
    resident_bytes,
    verdict,
)
from kgservice.web.runner import Operation, Runner, WorkerOutOfMemory

LIMIT = 100 * MB


class Ends:
    """Records what the guard asked of the process."""

    def __init__(self) -> None:
        self.ended = 0
        self.retired = 0

    def end(self) -> None:
        self.ended += 1

    def retire(self) -> None:
        self.retired += 1


def guard(
    runner: Runner, ends: Ends, resident: int, writing: Callable[[], bool] = lambda: False
) -> MemoryGuard:
    return MemoryGuard(
        LIMIT,
        runner,
        writing=writing,
        retire=ends.retire,
        end=ends.end,
        interval=0.01,
        grace=0.0,
        resident=lambda: resident,
    )


class Blocked:
    """Work that runs until released, in the runner's worker thread."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> str:
        self.started.set()
        assert self.release.wait(10)
        return "done"


@pytest.fixture
def blocked() -> Iterator[Blocked]:
    work = Blocked()
    yield work
    work.release.set()


def in_thread(call: Callable[[], object]) -> tuple[threading.Thread, dict[str, object]]:
    """``call()`` in a request thread of its own; its result or error lands in the dict."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except Exception as error:
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


AT_REST = 20 * MB  # the limit is more than GROWTH_MARGIN above it


@pytest.mark.parametrize(
    ("resident", "kinds", "writing", "at_rest", "expected"),
    [
        (LIMIT, ["read"], False, AT_REST, Verdict.WITHIN),
        (LIMIT + 1, [], False, AT_REST, Verdict.RETIRE),
        (LIMIT + 1, ["read"], False, AT_REST, Verdict.END),
        (LIMIT + 1, ["read", "write"], False, AT_REST, Verdict.WAIT_FOR_WRITES),
        (LIMIT + 1, ["read"], True, AT_REST, Verdict.WAIT_FOR_WRITES),
        (LIMIT + 1, [], True, AT_REST, Verdict.WAIT_FOR_WRITES),
        # over the limit at rest already: reads are cut only when they grow it further
        (LIMIT + 10 * MB, ["read"], False, LIMIT + 5 * MB, Verdict.HELD_AT_REST),
        (LIMIT + 5 * MB + GROWTH_MARGIN, ["read"], False, LIMIT + 5 * MB, Verdict.HELD_AT_REST),
        (LIMIT + 6 * MB + GROWTH_MARGIN, ["read"], False, LIMIT + 5 * MB, Verdict.END),
    ],
)
def test_verdict(
    resident: int, kinds: list, writing: bool, at_rest: int, expected: Verdict
) -> None:
    running = [Operation(kind, "work") for kind in kinds]
    assert verdict(resident, LIMIT, running, writing, at_rest) is expected


def test_a_read_waiting_for_its_answer_gets_503_and_the_process_is_ended(
    blocked: Blocked, caplog: pytest.LogCaptureFixture
) -> None:
    runner, ends = Runner(timeout=10), Ends()
    query = "SELECT ?a WHERE { ?a ?p ?x . ?b ?q ?y } ORDER BY ?a"
    request, outcome = in_thread(
        lambda: runner.stream(blocked, lambda value, emit: emit(b"x"), label=query)
    )
    assert blocked.started.wait(5)
    with caplog.at_level(logging.ERROR, logger="kgservice.web.memory_guard"):
        thread = guard(runner, ends, LIMIT + MB).start()
        thread.join(5)
    request.join(5)
    assert not thread.is_alive(), "the guard goes on after ending the process"
    assert ends.ended == 1 and ends.retired == 0
    error = outcome["error"]
    assert isinstance(error, WorkerOutOfMemory)
    assert error.http_status == 503 and error.headers["Retry-After"]
    assert "KGSERVICE_WORKER_MEMORY_MB" in error.message and "100 MB" in error.message
    assert query in caplog.text and "101 MB" in caplog.text


def test_a_read_gets_its_answer_when_the_worker_stays_within_its_limit(blocked: Blocked) -> None:
    runner, ends = Runner(timeout=10), Ends()
    request, outcome = in_thread(lambda: runner.stream(blocked, lambda value, emit: emit(b"x")))
    assert blocked.started.wait(5)
    assert guard(runner, ends, LIMIT).check() is Verdict.WITHIN
    blocked.release.set()
    request.join(5)
    value, body = outcome["value"]  # type: ignore[misc]
    assert value == "done" and b"".join(body) == b"x"
    assert (ends.ended, ends.retired) == (0, 0)
    assert runner.running() == []


def test_a_write_is_never_cut_short(blocked: Blocked, caplog: pytest.LogCaptureFixture) -> None:
    runner, ends = Runner(timeout=10), Ends()
    write, written = in_thread(lambda: runner.call_gated(lambda may_commit: blocked()))
    assert blocked.started.wait(5)
    read, answered = in_thread(lambda: runner.call(lambda: "read"))
    read.join(5)
    checking = guard(runner, ends, LIMIT + MB)
    with caplog.at_level(logging.WARNING, logger="kgservice.web.memory_guard"):
        assert [checking.check() for _ in range(3)] == [Verdict.WAIT_FOR_WRITES] * 3
    assert caplog.text.count("while a write runs") == 1  # said once, not at every sample
    assert runner.abort_reads(WorkerOutOfMemory("gone")) == []  # not even when asked directly
    blocked.release.set()
    write.join(5)
    assert written == {"value": "done"} and answered == {"value": "read"}
    assert (ends.ended, ends.retired) == (0, 0)
    assert checking.check() is Verdict.RETIRE  # the write is done; nothing else runs


def test_a_worker_over_its_limit_at_rest_retires_once_old_enough(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runner, ends = Runner(timeout=10), Ends()
    checking = guard(runner, ends, LIMIT + MB)
    with caplog.at_level(logging.WARNING, logger="kgservice.web.memory_guard"):
        assert checking.check() is Verdict.RETIRE
        assert ends.retired == 0, "a worker retired within a minute of its start"
        checking._started -= RETIRE_AFTER_SECONDS
        assert checking.check() is Verdict.RETIRE
    assert ends.retired == 1 and ends.ended == 0
    assert caplog.text.count("with nothing running") == 1
    assert "raise it, or lower KGSERVICE_ANSWER_CACHE_MB" in caplog.text


def test_reads_that_do_not_grow_a_worker_over_its_limit_at_rest_are_let_run(
    blocked: Blocked,
) -> None:
    """A limit set below what the worker holds at rest must not end it at every request."""
    runner, ends = Runner(timeout=10), Ends()
    memory = {"now": LIMIT + 20 * MB}
    checking = MemoryGuard(
        LIMIT, runner, writing=lambda: False, retire=ends.retire, end=ends.end,
        grace=0.0, resident=lambda: memory["now"],
    )  # fmt: skip
    assert checking.check() is Verdict.RETIRE  # at rest, over the limit
    request, outcome = in_thread(lambda: runner.stream(blocked, lambda value, emit: emit(b"x")))
    assert blocked.started.wait(5)
    memory["now"] += GROWTH_MARGIN // 2
    assert checking.check() is Verdict.HELD_AT_REST
    memory["now"] += GROWTH_MARGIN
    assert checking.check() is Verdict.END and ends.ended == 1
    request.join(5)
    assert isinstance(outcome["error"], WorkerOutOfMemory)


def test_a_reasoning_refresh_holds_the_guard_like_a_write(blocked: Blocked) -> None:
    runner, ends = Runner(timeout=10), Ends()
    request, outcome = in_thread(lambda: runner.call(blocked, "a describe"))
    assert blocked.started.wait(5)
    assert guard(runner, ends, LIMIT + MB, writing=lambda: True).check() is (
        Verdict.WAIT_FOR_WRITES
    )
    blocked.release.set()
    request.join(5)
    assert outcome == {"value": "done"} and ends.ended == 0


def test_a_read_already_streaming_is_not_answered_again() -> None:
    runner, ends = Runner(timeout=10), Ends()
    release = threading.Event()

    def write(value: str, emit) -> None:
        emit(b"x" * 70_000)  # past the head: the headers go, the rest streams
        assert release.wait(10)
        emit(b"end")

    _, body = runner.stream(lambda: "headers", write, label="a long answer")
    assert [operation.what for operation in runner.running()] == ["a long answer"]
    assert guard(runner, ends, LIMIT + MB).check() is Verdict.END
    assert runner.abort_reads(WorkerOutOfMemory("gone")) == []  # its status is sent already
    release.set()
    assert b"".join(body).endswith(b"end")


def test_a_timed_out_read_still_in_the_engine_counts_as_running(blocked: Blocked) -> None:
    """A runaway (answered 503 for its time limit, still inside the engine) is what the guard
    exists for: it stays among the running operations until the engine lets go."""
    runner, ends = Runner(timeout=0.2), Ends()
    with pytest.raises(Exception, match="KGSERVICE_QUERY_TIMEOUT"):
        runner.stream(blocked, lambda value, emit: emit(b"x"), label="the runaway")
    assert [operation.what for operation in runner.running()] == ["the runaway"]
    assert guard(runner, ends, LIMIT + MB).check() is Verdict.END and ends.ended == 1
    blocked.release.set()


def test_resident_bytes_follows_the_process() -> None:
    before = resident_bytes()
    assert before is not None and before > 10 * MB
    block = bytearray(200 * MB)  # zero pages are not resident until written
    block[::4096] = b"x" * len(range(0, len(block), 4096))
    after = resident_bytes()
    assert after is not None and after - before > 150 * MB
    del block


def test_resident_bytes_of_another_process_and_of_none() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        other = resident_bytes(child.pid)
        assert other is not None and 0 < other < resident_bytes()  # a bare interpreter
    finally:
        child.kill()
        child.wait()
    assert resident_bytes(child.pid) is None  # gone


def test_a_failed_sample_does_not_end_the_guard(caplog: pytest.LogCaptureFixture) -> None:
    samples = iter([OSError("gone"), LIMIT + MB])
    runner, ends = Runner(timeout=10), Ends()
    blocked = Blocked()
    request, _ = in_thread(lambda: runner.call(blocked))
    assert blocked.started.wait(5)

    def resident() -> int:
        sample = next(samples)
        if isinstance(sample, Exception):
            raise sample
        return sample

    checking = MemoryGuard(
        LIMIT, runner, writing=lambda: False, retire=ends.retire, end=ends.end,
        interval=0.01, grace=0.0, resident=resident,
    )  # fmt: skip
    with caplog.at_level(logging.ERROR, logger="kgservice.web.memory_guard"):
        checking.start().join(5)
    blocked.release.set()
    request.join(5)
    assert "could not check this worker" in caplog.text
    assert ends.ended == 1


def test_work_asked_for_once_the_process_is_ending_is_refused_at_once() -> None:
    """Between the 503s and the end of the process, a request the worker still takes gets the
    same answer instead of a connection cut mid-way."""
    runner = Runner(timeout=10)
    assert runner.abort_reads(WorkerOutOfMemory("being replaced")) == []
    ran = []
    with pytest.raises(WorkerOutOfMemory, match="being replaced"):
        runner.call(lambda: ran.append("read"))
    with pytest.raises(WorkerOutOfMemory, match="being replaced"):
        runner.stream(lambda: ran.append("query"), lambda value, emit: emit(b"x"))
    assert ran == [] and runner.running() == []
