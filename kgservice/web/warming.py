"""Answer the catalogue's questions before anyone asks (``KGSERVICE_WARM_QUESTIONS``).

On a city of a million people some named questions walk every person or legal entity and take
seconds; the cockpit and dashboards ask them with their defaults, and an answer cache only helps
the second asker. :class:`QuestionWarmer` is a background thread of each service process that
answers every question of the catalogue with its defaults, and the requests the caller names
besides (the cockpit's opening view: :func:`kgservice.web.cockpit_views.opening_requests`), as
an anonymous reader asking for SPARQL JSON (the cockpit's request), and offers each answer to
the answer cache under the key that request has. It does so once the store has been quiet for
:data:`QUIET_SECONDS` after the service starts and again after each write (the cache forgets
every answer at a write), so while data keeps changing it waits rather than compute answers
that would be stale at once.

The questions run one at a time, without the request time limit (no client waits for them;
the engine cannot be stopped anyway). Their answers are kept however fast they were (the
cache's threshold keeps out floods of cheap lookups, not these few); one too large for the
cache is not kept. A question that fails is logged and the others
still run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kgservice.privacy import is_personal_graph
from kgservice.protocol.params import QueryRequest
from kgservice.questions import ParameterError, Question, bind, bound_query, load_catalog
from kgservice.sparql.execute import answer_query, prepare_query
from kgservice.web.answers import cache_slot, keeping_writer
from kgservice.web.state import ServiceState

log = logging.getLogger(__name__)

#: The media type the cockpit asks for (the default of a SELECT or ASK too).
RESULTS_JSON = "application/sparql-results+json"
#: How long the store's contents must stay unchanged before the answers are computed again.
QUIET_SECONDS = 2.0
#: How often the thread looks at the store's content version.
POLL_SECONDS = 0.5


@dataclass(frozen=True)
class WarmRequest:
    """A question asked with some parameters: its id (for the log) and its bound query."""

    question_id: str
    query: str


def warm_request(question: Question, params: Mapping[str, str] | None = None) -> WarmRequest:
    """``question`` asked with ``params`` (none: its defaults); a :class:`ParameterError` if it
    does not take them."""
    return WarmRequest(question.id, bound_query(question, bind(question, dict(params or {}))))


def warm_requests(
    questions: Iterable[Question], also: Iterable[tuple[str, Mapping[str, str]]] = ()
) -> list[WarmRequest]:
    """Each question with its defaults, then each ``(question id, parameters)`` of ``also``
    whose question is among them, whose parameters it takes (a catalogue of one's own may
    change them: such a request is logged and left out) and whose bound query is not one of
    those already listed."""
    by_id = {question.id: question for question in questions}
    requests = [warm_request(question) for question in by_id.values()]
    seen = {request.query for request in requests}
    for question_id, params in also:
        if question_id not in by_id:
            continue
        try:
            request = warm_request(by_id[question_id], params)
        except ParameterError as error:
            log.warning("not answering %s ahead with %s: %s", question_id, dict(params), error)
            continue
        if request.query not in seen:
            seen.add(request.query)
            requests.append(request)
    return requests


@dataclass(frozen=True)
class Warmed:
    """One round: the store's content version it answered, and how it went."""

    version: int | None
    kept: int  # answers in the cache at the end (computed now or before)
    computed: int  # questions run in this round
    failed: int
    seconds: float


def warm_questions(state: ServiceState, requests: Iterable[WarmRequest]) -> Warmed:
    """Answer each request for an anonymous reader (SPARQL JSON) and offer the answer to the
    cache, unless it holds one for the store's current contents."""
    started = time.monotonic()
    outcomes = {"cached": 0, "kept": 0, "not kept": 0, "failed": 0}
    version = state.store.content_version()
    for request in requests:
        try:
            outcome = _warm_one(state, request)
        except Exception:  # one broken question must not stop the others
            log.exception("answering question %s ahead of time failed", request.question_id)
            outcome = "failed"
        outcomes[outcome] += 1
    return Warmed(
        version,
        kept=outcomes["cached"] + outcomes["kept"],
        computed=outcomes["kept"] + outcomes["not kept"],
        failed=outcomes["failed"],
        seconds=time.monotonic() - started,
    )


def _warm_one(state: ServiceState, request: WarmRequest) -> str:
    """``cached`` (the cache holds the answer already), ``kept`` (answered now and kept) or
    ``not kept``. A question whose query needs the endpoint's URL as base IRI is not run: its
    answer depends on the host name a client uses."""
    prepared = prepare_query(
        state.store,
        QueryRequest(request.query),
        state.limits,
        RESULTS_JSON,
        hidden=is_personal_graph,
        hidden_predicates=state.personal_properties,
    )
    key, version = cache_slot(state, prepared, sees_personal_data=False, base=None)
    if version is None or prepared.uses_base:
        return "not kept"
    if state.answers.holds(key, version):
        return "cached"
    writer = keeping_writer(state, key, version, keep_fast=True)
    writer(answer_query(state.store, prepared, state.limits), _discard)
    return "kept" if state.answers.holds(key, version) else "not kept"


def _discard(chunk: bytes) -> None:
    """Nobody reads the body: the cache keeps its copy."""


class QuestionWarmer:
    """The background thread: a round of :func:`warm_questions` whenever the store's contents
    are new and have been quiet for ``quiet_seconds``."""

    def __init__(
        self,
        state: ServiceState,
        questions: Iterable[Question] | None = None,
        quiet_seconds: float = QUIET_SECONDS,
        poll_seconds: float = POLL_SECONDS,
        also: Iterable[tuple[str, Mapping[str, str]]] = (),
    ) -> None:
        self.state = state
        questions = load_catalog().values() if questions is None else questions
        self.requests = warm_requests(questions, also)
        self.quiet_seconds = quiet_seconds
        self.poll_seconds = poll_seconds
        self.rounds: list[Warmed] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kgservice-warm", daemon=True)

    def start(self) -> QuestionWarmer:
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the question being answered (if any)."""
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        answered: int | None = None  # the version the last round answered
        seen, seen_since = None, time.monotonic()
        while not self._stop.is_set():
            version = self.state.store.content_version()
            if version != seen:
                seen, seen_since = version, time.monotonic()
            quiet = time.monotonic() - seen_since >= self.quiet_seconds
            if version is not None and version != answered and quiet:
                try:
                    self._round()
                except Exception:  # the store failed: try again after the next write
                    log.exception("answering the named questions ahead of time failed")
                answered = version
            self._stop.wait(self.poll_seconds)

    def _round(self) -> None:
        warmed = warm_questions(self.state, self.requests)
        self.rounds.append(warmed)
        log.info(
            "answers of %d of %d named-question requests ready in %.1f s (%d run, %d failed)",
            warmed.kept,
            len(self.requests),
            warmed.seconds,
            warmed.computed,
            warmed.failed,
        )


def start_warming(
    state: ServiceState, also: Iterable[tuple[str, Mapping[str, str]]] = ()
) -> QuestionWarmer | None:
    """Start warming every question with its defaults and the requests of ``also`` when the
    settings ask for it and answers can be kept (embedded store, answer cache on); the warmer,
    else ``None``."""
    if not state.settings.warm_questions or not state.answers.enabled:
        return None
    if state.store.content_version() is None:  # a remote store: nothing is kept
        return None
    return QuestionWarmer(state, also=also).start()
