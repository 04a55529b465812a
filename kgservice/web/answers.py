"""Answering a query as one reader may see the store, with the answer cache
(:mod:`kgservice.sparql.answer_cache`): shared by ``/sparql`` (its Flask view and its fast path,
:mod:`kgservice.web.query_path`), the named questions and the questions answered ahead
(:mod:`kgservice.web.warming`). Nothing here reads the HTTP request: :class:`Reader` carries
what an answer depends on."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from kgservice.privacy import is_personal_graph
from kgservice.protocol.params import QueryRequest
from kgservice.sparql.answer_cache import BodyRecorder, KeptAnswer
from kgservice.sparql.execute import (
    Answer,
    Emit,
    HiddenGraphs,
    PreparedQuery,
    answer_query,
    prepare_query,
)
from kgservice.web.state import ServiceState

#: The response header that tells an answer was cut at ``KGSERVICE_MAX_ROWS``.
TRUNCATED_HEADER = "KGService-Truncated"


@dataclass(frozen=True)
class Reader:
    """What an answer depends on besides the query: the request's ``Accept`` header and
    ``format`` parameter, whether its token lets it see personal data unmasked, and the
    endpoint's URL (the base IRI of a query with relative IRIs, built only for such a query)."""

    accept: str | None
    format_param: str | None
    sees_personal_data: bool
    endpoint_url: Callable[[], str]


def hidden_graphs_for(sees_personal_data: bool) -> HiddenGraphs | None:
    """What a reader must not see: the raw personal graphs, unless its token allows."""
    return None if sees_personal_data else is_personal_graph


def answer_for(
    state: ServiceState, operation: QueryRequest, reader: Reader
) -> tuple[Answer, Iterable[bytes]]:
    """The answer to a query as ``reader`` may see the store, and its body's chunks (a list
    when whole, see :func:`~kgservice.web.runner.whole_body`): kept, or computed under the
    time limit and offered to the answer cache."""
    store, limits = state.store, state.limits
    hidden = hidden_graphs_for(reader.sees_personal_data)
    prepared = prepare_query(
        store,
        operation,
        limits,
        reader.accept,
        reader.format_param,
        hidden=hidden,
        hidden_predicates=state.personal_properties if hidden is not None else frozenset(),
    )
    base = reader.endpoint_url() if prepared.uses_base else None
    key, version = cache_slot(state, prepared, reader.sees_personal_data, base)
    kept = state.answers.get(key, version)
    if kept is not None:
        return Answer(kept.format, _unused, kept.truncated), [kept.body]
    return state.runner.stream(
        lambda: answer_query(store, prepared, limits, base),
        keeping_writer(state, key, version),
        label=operation.query,
    )


def _unused(emit: Emit) -> None:
    raise AssertionError("a kept answer is sent as it was kept")


def answer_headers(answer: Answer) -> list[tuple[str, str]]:
    """The headers of a query's answer besides its length and CORS."""
    headers = [("Content-Type", answer.format.content_type), ("Vary", "Accept")]
    if answer.truncated:
        headers.append((TRUNCATED_HEADER, str(answer.truncated.limit)))
    return headers


def cache_slot(
    state: ServiceState, prepared: PreparedQuery, sees_personal_data: bool, base: str | None
) -> tuple[AnswerKey, int | None]:
    """Where the answer cache keeps this query's answer: its key, and the store's content version
    it is valid for (``None``: not kept, as the cache is off or the answer changes each time)."""
    key = answer_key(prepared, sees_personal_data, base)
    if not state.answers.enabled or prepared.volatile:
        return key, None
    return key, state.store.content_version()


def keeping_writer(
    state: ServiceState, key: AnswerKey, version: int | None, keep_fast: bool = False
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
            whole = KeptAnswer(body, ready.format, ready.truncated, key.query)
            now = state.store.content_version()
            answers.offer(key, version, now, seconds, whole, keep_fast)

    return write


class AnswerKey(NamedTuple):
    """Everything a response body depends on besides the store's contents."""

    query: str
    default_graph_uris: tuple[str, ...]
    named_graph_uris: tuple[str, ...]
    media_type: str
    sees_personal_data: bool
    base: str | None


def answer_key(prepared: PreparedQuery, sees_personal_data: bool, base: str | None) -> AnswerKey:
    """The answer cache's key of a query (the base IRI only when the query has something to
    resolve against it: clients reaching the service by other host names then share an
    answer)."""
    operation = prepared.request
    return AnswerKey(
        operation.query,
        tuple(operation.default_graph_uris),
        tuple(operation.named_graph_uris),
        prepared.format.media_type,
        sees_personal_data,
        base if prepared.uses_base else None,
    )
