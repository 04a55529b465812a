"""The answer cache keeps whole answers while the store's changes cannot touch them."""

from __future__ import annotations

from kgservice.protocol.formats import JSON
from kgservice.sparql.answer_cache import AnswerCache, BodyRecorder, KeptAnswer


def kept(body: bytes) -> KeptAnswer:
    return KeptAnswer(body, JSON, None)


def test_an_answer_offered_is_given_back_at_the_same_version() -> None:
    cache = AnswerCache(1024, min_seconds=0.05)
    assert cache.get("q", 4) is None
    assert cache.offer("q", 4, 4, 0.2, kept(b"answer"))
    assert cache.get("q", 4) == kept(b"answer")
    assert (cache.hits, cache.misses) == (1, 1)


NAME = "https://w3id.org/sckm/city/personName"
STATUS = "https://w3id.org/sckm/city/status"
QUERY = f"SELECT ?name WHERE {{ ?p <{NAME}> ?name }}"


def _changes(known: dict[tuple[int, int], frozenset[str] | None]):
    return lambda since, now: known.get((since, now))


def test_a_new_version_drops_an_answer_when_the_changes_are_not_known() -> None:
    cache = AnswerCache(1024, min_seconds=0)
    cache.offer("q", 4, 4, 1.0, KeptAnswer(b"old", JSON, None, QUERY))
    assert cache.get("q", 6) is None
    assert len(cache) == 0 and cache.size == 0


def test_an_answer_the_changes_cannot_touch_is_given_at_the_new_version() -> None:
    known = {(4, 6): frozenset({STATUS}), (6, 8): frozenset({NAME}), (4, 8): None}
    cache = AnswerCache(1024, min_seconds=0, changes=_changes(known))
    answer = KeptAnswer(b"names", JSON, None, QUERY)
    cache.offer("q", 4, 4, 1.0, answer)
    assert cache.get("q", 6) == answer  # a status was written: the names stand
    assert cache.holds("q", 6)
    assert cache.get("q", 8) is None  # a name was written
    assert len(cache) == 0


def test_an_answer_without_its_query_or_made_later_is_not_given() -> None:
    cache = AnswerCache(1024, min_seconds=0, changes=_changes({(4, 6): frozenset({STATUS})}))
    cache.offer("unknown", 4, 4, 1.0, kept(b"no query"))
    assert cache.get("unknown", 6) is None  # no query: nothing to prove
    cache.offer("later", 6, 6, 1.0, KeptAnswer(b"names", JSON, None, QUERY))
    assert cache.get("later", 4) is None and cache.holds("later", 6)  # kept for its readers
    assert not cache.offer("later", 4, 4, 1.0, KeptAnswer(b"older", JSON, None, QUERY))


def test_what_is_not_worth_keeping_or_not_safe_to_keep_is_not_kept() -> None:
    cache = AnswerCache(800, min_seconds=0.05)
    assert not cache.offer("fast", 2, 2, 0.01, kept(b"x"))  # cheaper to run again
    assert not cache.offer("large", 2, 2, 1.0, kept(b"x" * 101))  # over an eighth (100 bytes)
    assert not cache.offer("overlapped", 2, 3, 1.0, kept(b"x"))  # a write began meanwhile
    assert not cache.offer("remote", None, None, 1.0, kept(b"x"))  # no version: never kept
    assert cache.get("remote", None) is None
    assert len(cache) == 0
    assert not cache.offer("large", 2, 2, 1.0, kept(b"x" * 101), keep_fast=True)
    assert cache.offer("fast", 2, 2, 0.01, kept(b"x"), keep_fast=True)  # asked for
    assert cache.holds("fast", 2) and not cache.holds("fast", 3) and not cache.holds("q", 2)
    assert (cache.hits, cache.misses) == (0, 0)  # holds() is not a use


def test_the_least_recently_used_answers_go_first() -> None:
    cache = AnswerCache(800, min_seconds=0)
    for name in ("a", "b", "c", "d", "e", "f", "g", "h"):
        assert cache.offer(name, 1, 1, 1.0, kept(b"x" * 100))
    assert cache.get("a", 1) is not None  # a is now the most recently used
    cache.offer("i", 1, 1, 1.0, kept(b"x" * 100))
    assert cache.get("b", 1) is None and cache.get("a", 1) is not None
    assert cache.size == 800


def test_a_cache_of_zero_bytes_keeps_nothing() -> None:
    cache = AnswerCache(0)
    assert not cache.enabled
    assert not cache.offer("q", 1, 1, 9.0, kept(b""))
    assert cache.get("q", 1) is None


def test_the_recorder_passes_every_chunk_on_and_copies_up_to_its_limit() -> None:
    sent: list[bytes] = []
    small = BodyRecorder(sent.append, limit=10)
    small(b"abc")
    small(b"def")
    assert small.body() == b"abcdef"
    large = BodyRecorder(sent.append, limit=4)
    large(b"abc")
    large(b"def")
    assert large.body() is None
    assert sent == [b"abc", b"def", b"abc", b"def"]
