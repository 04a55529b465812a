"""Where the answer cache (:mod:`kgservice.sparql.answer_cache`) keeps a query's answer, and
the body writer that offers a whole answer to it: shared by ``/sparql`` and the questions
answered ahead (:mod:`kgservice.web.warming`)."""

from __future__ import annotations

import time
from collections.abc import Callable

from kgservice.sparql.answer_cache import BodyRecorder, KeptAnswer
from kgservice.sparql.execute import Answer, Emit, PreparedQuery
from kgservice.web.state import ServiceState


def cache_slot(
    state: ServiceState, prepared: PreparedQuery, sees_personal_data: bool, base: str | None
) -> tuple[tuple, int | None]:
    """Where the answer cache keeps this query's answer: its key, and the store's content version
    it is valid for (``None``: not kept, as the cache is off or the answer changes each time)."""
    key = answer_key(prepared, sees_personal_data, base)
    if not state.answers.enabled or prepared.volatile:
        return key, None
    return key, state.store.content_version()


def keeping_writer(
    state: ServiceState, key: tuple, version: int | None, keep_fast: bool = False
) -> Callable[[Answer, Emit], None]:
    """Writes an answer's body, and offers it to the answer cache once it is whole (the cache
    keeps it if it took long enough, or ``keep_fast``, and the store, at ``version`` before the
    query, did not change meanwhile)."""
    answers, started = state.answers, time.monotonic()

    def write(ready: Answer, emit: Emit) -> None:
        if version is None:
            ready.write_body(emit)
            return
        recorder = BodyRecorder(emit, answers.largest)
        ready.write_body(recorder)
        body = recorder.body()
        if body is not None:
            seconds = time.monotonic() - started
            whole = KeptAnswer(body, ready.format, ready.truncated)
            now = state.store.content_version()
            answers.offer(key, version, now, seconds, whole, keep_fast)

    return write


def answer_key(prepared: PreparedQuery, sees_personal_data: bool, base: str | None) -> tuple:
    """Everything a response body depends on besides the store's contents (the base IRI only
    when the query has something to resolve against it: clients reaching the service by other
    host names then share an answer)."""
    operation = prepared.request
    return (
        operation.query,
        tuple(operation.default_graph_uris),
        tuple(operation.named_graph_uris),
        prepared.format.media_type,
        sees_personal_data,
        base if prepared.uses_base else None,
    )
