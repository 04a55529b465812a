"""The runner: work in worker threads under a deadline; short bodies handed over whole."""

from __future__ import annotations

import threading
import time

import pytest

from kgservice.web.runner import QueryTimeout, Runner, StreamAborted, Workers


def test_a_short_body_comes_whole_with_the_value() -> None:
    runner = Runner(timeout=5)
    value, body = runner.stream(lambda: "headers", lambda v, emit: [emit(b"a"), emit(b"b")])
    assert value == "headers"
    assert b"".join(body) == b"ab"


def test_an_error_while_writing_a_short_body_is_raised_before_anything_is_sent() -> None:
    def write(value: str, emit) -> None:
        emit(b"partial")
        raise ValueError("the serialiser failed")

    with pytest.raises(ValueError, match="the serialiser failed"):
        Runner(timeout=5).stream(lambda: "headers", write)


def test_a_long_body_streams_and_an_error_midway_aborts_the_stream() -> None:
    def write(value: str, emit) -> None:
        for _ in range(40):
            emit(b"x" * 4096)
        raise ValueError("the serialiser failed")

    value, body = Runner(timeout=5).stream(lambda: "headers", write)
    assert value == "headers"
    received = bytearray()
    with pytest.raises(StreamAborted, match="the serialiser failed"):
        for chunk in body:
            received += chunk
    assert len(received) == 40 * 4096


def test_work_past_the_deadline_is_a_timeout_and_is_cancelled() -> None:
    stopped = threading.Event()

    def write(value: str, emit) -> None:
        try:
            while True:
                emit(b"x")
                time.sleep(0.01)
        finally:
            stopped.set()

    runner = Runner(timeout=0.3)
    with pytest.raises(QueryTimeout, match="KGSERVICE_QUERY_TIMEOUT"):
        runner.stream(lambda: "headers", write)
    assert stopped.wait(2)
    assert runner.timeouts == 1 and runner.runaways == 0


def test_stuck_work_is_reported_as_a_runaway() -> None:
    release = threading.Event()
    retired = []
    runner = Runner(timeout=0.2, on_runaway=lambda: retired.append(True))
    with pytest.raises(QueryTimeout):
        runner.call(release.wait)
    release.set()
    assert retired == [True] and runner.runaways == 1


def test_workers_are_reused() -> None:
    workers = Workers("test-worker")
    names: list[int] = []
    for _ in range(5):
        done = threading.Event()
        workers.submit(lambda done=done: (names.append(threading.get_ident()), done.set()))
        assert done.wait(2)
        time.sleep(0.01)  # the thread is idle again
    assert len(set(names)) == 1


def test_a_write_that_reaches_its_gate_after_the_time_limit_does_not_happen() -> None:
    applied = threading.Event()
    gate_answer: list[bool] = []

    def write(may_commit) -> str:
        time.sleep(0.4)  # computing the change, past the limit
        gate_answer.append(may_commit())
        if gate_answer[-1]:
            applied.set()
        return "written"

    with pytest.raises(QueryTimeout):
        Runner(timeout=0.1).call_gated(write, "the write")
    time.sleep(0.5)  # the worker thread reaches its gate after the request gave up
    assert gate_answer == [False] and not applied.is_set()


def test_a_write_past_its_gate_is_waited_for_whatever_the_time() -> None:
    def write(may_commit) -> str:
        assert may_commit()
        time.sleep(0.4)  # applying, past the limit
        return "written"

    assert Runner(timeout=0.1).call_gated(write, "the write") == "written"
