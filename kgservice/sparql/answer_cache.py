"""Answers of queries asked again, kept while the store's changes cannot touch them.

A city's cockpit, dashboards and integrators' reports ask the same questions over and over; on
a large city some take seconds. :class:`AnswerCache` keeps the whole response body of an answer
that took at least :data:`MIN_SECONDS`, under a key made of everything the body depends on (the
query text as it runs, the protocol dataset, the response format, whether the reader sees
personal data, the base IRI), with the store's *content version* it was computed at.

The version (:meth:`kgservice.store.embedded.EmbeddedStore.content_version`) moves at the start
and at the end of every write, so an answer is kept only when the version was the same before
the query and after its body was written: no write began or ended in between, so the body
reflects one state of the store. When the version has moved since, the answer is given back only
if the store can tell which predicates the writes in between touched
(:meth:`~kgservice.store.embedded.EmbeddedStore.changed_predicates`: each of them said so, and
none added or dropped a graph) and :func:`~kgservice.sparql.reach.reads_predicates` proves the
query matches no triple of any of them: its answer is then the one it would get now. Otherwise
the answer is dropped. After a write to one legal entity's status, the questions that never read
a status keep their answers. A remote store has no version (other clients may write it
directly): its answers are never kept.

Bounded by bytes (``KGSERVICE_ANSWER_CACHE_MB``; ``0`` turns it off): the answers used least
recently go first, and an answer larger than an eighth of the cache is not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from kgservice.protocol.formats import Format
from kgservice.sparql.reach import reads_predicates
from kgservice.sparql.results import Truncation

#: What changed in the store between two content versions (``None``: not known).
Changes = Callable[[int, int], frozenset[str] | None]

#: Answers faster than this are not kept: a lookup costs less to run again than to churn the
#: cache, and thousands of different lookups would push out the answers worth keeping.
MIN_SECONDS = 0.05
#: The largest answer kept, as a share of the cache.
LARGEST_SHARE = 8


@dataclass(frozen=True)
class KeptAnswer:
    """A whole response: its body, format and whether it was cut at the row cap, and the query
    it answers (``""``: not known, so no write keeps it)."""

    body: bytes
    format: Format
    truncated: Truncation | None
    query: str = ""


class AnswerCache:
    """Whole answers by key, each with the content version of the store it holds for."""

    def __init__(
        self, max_bytes: int, min_seconds: float = MIN_SECONDS, changes: Changes | None = None
    ) -> None:
        self.max_bytes = max_bytes
        self.largest = max_bytes // LARGEST_SHARE
        self.min_seconds = min_seconds
        self._changes = changes
        self._entries: OrderedDict[Hashable, tuple[KeptAnswer, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def get(self, key: Hashable, version: int | None) -> KeptAnswer | None:
        """The answer kept under ``key`` that holds at ``version``, or ``None``."""
        if not self.enabled or version is None:
            return None
        kept = self._current(key, version)
        with self._lock:
            if kept is None:
                self.misses += 1
                return None
            if key in self._entries:
                self._entries.move_to_end(key)
            self.hits += 1
            return kept

    def holds(self, key: Hashable, version: int | None) -> bool:
        """Whether an answer that holds at ``version`` is kept under ``key`` (not counted as a
        hit or a miss, nor as a use)."""
        if not self.enabled or version is None:
            return False
        return self._current(key, version) is not None

    def _current(self, key: Hashable, version: int) -> KeptAnswer | None:
        """The answer under ``key`` if it holds at ``version``: made at it, or at an earlier
        version whose later writes cannot touch it (then it is marked as holding at ``version``);
        one that no longer holds is dropped."""
        with self._lock:
            held = self._entries.get(key)
        if held is None:
            return None
        kept, made_at = held
        if made_at == version:
            return kept
        if made_at > version:  # made after the reader's version: not the answer it may see
            return None
        holds = self._untouched(kept, made_at, version)  # outside the lock: it may parse
        with self._lock:
            if self._entries.get(key) is not held:
                return None  # replaced or dropped meanwhile: ask again
            if holds:
                self._entries[key] = (kept, version)
                return kept
            del self._entries[key]
            self._size -= len(kept.body)
            return None

    def _untouched(self, kept: KeptAnswer, since: int, now: int) -> bool:
        """Whether the writes between versions ``since`` and ``now`` provably leave the answer
        as it was."""
        if not kept.query or self._changes is None:
            return False
        changed = self._changes(since, now)
        if changed is None:
            return False
        return not changed or not reads_predicates(kept.query, None, changed)

    def offer(
        self,
        key: Hashable,
        version: int | None,
        now: int | None,
        seconds: float,
        kept: KeptAnswer,
        keep_fast: bool = False,
    ) -> bool:
        """Keep ``kept``, computed in ``seconds`` between ``version`` and ``now``, if it is worth
        keeping (``keep_fast``: however fast it was) and no write began or ended meanwhile;
        whether it was kept."""
        size = len(kept.body)
        if (
            not self.enabled
            or version is None
            or now != version
            or (seconds < self.min_seconds and not keep_fast)
            or size > self.largest
        ):
            return False
        with self._lock:
            previous = self._entries.get(key)
            if previous is not None and previous[1] > version:
                return False  # the one kept holds at a later version
            if previous is not None:
                del self._entries[key]
                self._size -= len(previous[0].body)
            self._entries[key] = (kept, version)
            self._size += size
            while self._size > self.max_bytes:
                _, (dropped, _) = self._entries.popitem(last=False)
                self._size -= len(dropped.body)
            return True

    @property
    def size(self) -> int:
        """Bytes of the bodies kept."""
        return self._size

    def __len__(self) -> int:
        return len(self._entries)


class BodyRecorder:
    """Passes a body's chunks on and keeps a copy of them while it stays under ``limit``."""

    def __init__(self, emit: Callable[[bytes], None], limit: int) -> None:
        self._emit = emit
        self._limit = limit
        self._chunks: list[bytes] | None = []
        self._size = 0

    def __call__(self, chunk: bytes) -> None:
        if self._chunks is not None:
            self._size += len(chunk)
            if self._size > self._limit:
                self._chunks = None  # too large to keep: stop copying
            else:
                self._chunks.append(chunk)
        self._emit(chunk)

    def body(self) -> bytes | None:
        """The whole body, or ``None`` when it grew past the limit."""
        return None if self._chunks is None else b"".join(self._chunks)
