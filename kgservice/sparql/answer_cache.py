"""Answers of queries asked again, kept until the store changes.

A city's cockpit, dashboards and integrators' reports ask the same questions over and over; on
a large city some take seconds. :class:`AnswerCache` keeps the whole response body of an answer
that took at least :data:`MIN_SECONDS`, under a key made of everything the body depends on (the
query text as it runs, the protocol dataset, the response format, whether the reader sees
personal data, the base IRI), and gives it back while the store's *content version* is the one
the answer was computed at.

The version (:meth:`kgservice.store.embedded.EmbeddedStore.content_version`) moves at the start
and at the end of every write, so an answer is kept only when the version was the same before
the query and after its body was written: no write began or ended in between, so the body
reflects one state of the store, and the next write makes it stale. Seeing a new version empties
the cache. A remote store has no version (other clients may write it directly): its answers are
never kept.

Bounded by bytes (``KGSERVICE_ANSWER_CACHE_MB``; ``0`` turns it off): the answers used least
recently go first, and an answer larger than an eighth of the cache is not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from kgservice.protocol.formats import Format
from kgservice.sparql.results import Truncation

#: Answers faster than this are not kept: a lookup costs less to run again than to churn the
#: cache, and thousands of different lookups would push out the answers worth keeping.
MIN_SECONDS = 0.05
#: The largest answer kept, as a share of the cache.
LARGEST_SHARE = 8


@dataclass(frozen=True)
class KeptAnswer:
    """A whole response: its body, format and whether it was cut at the row cap."""

    body: bytes
    format: Format
    truncated: Truncation | None


class AnswerCache:
    """Whole answers by key, valid for one content version of the store."""

    def __init__(self, max_bytes: int, min_seconds: float = MIN_SECONDS) -> None:
        self.max_bytes = max_bytes
        self.largest = max_bytes // LARGEST_SHARE
        self.min_seconds = min_seconds
        self._entries: OrderedDict[Hashable, KeptAnswer] = OrderedDict()
        self._size = 0
        self._version: int | None = None
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def get(self, key: Hashable, version: int | None) -> KeptAnswer | None:
        """The answer kept under ``key`` at ``version``, or ``None``."""
        if not self.enabled or version is None:
            return None
        with self._lock:
            self._follow(version)
            kept = self._entries.get(key)
            if kept is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return kept

    def holds(self, key: Hashable, version: int | None) -> bool:
        """Whether an answer is kept under ``key`` at ``version`` (not counted as a hit or a
        miss, nor as a use)."""
        if not self.enabled or version is None:
            return False
        with self._lock:
            return self._version == version and key in self._entries

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
            self._follow(version)
            if self._version != version:  # a newer version was seen meanwhile
                return False
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._size -= len(previous.body)
            self._entries[key] = kept
            self._size += size
            while self._size > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped.body)
            return True

    def _follow(self, version: int) -> None:
        """Forget every answer when the store has moved past the version they were made at."""
        if self._version is None or version > self._version:
            self._entries.clear()
            self._size = 0
            self._version = version

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
