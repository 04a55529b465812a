"""What an embedded store tells of its changes between two content versions: the predicates
each write said it touched, or ``None`` when any write between did not say, is still running,
added or dropped a graph, or is no longer remembered."""

from __future__ import annotations

import threading

import pyoxigraph as ox

from kgservice.store.embedded import CHANGES_KEPT, open_embedded

G = "http://example.org/g"
P, Q = "http://example.org/p", "http://example.org/q"


def _insert(predicate: str, value: int, graph: str = G) -> str:
    return f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:s> <{predicate}> {value} }} }}"


def _store():
    store = open_embedded(None)
    store.update(_insert(P, 0))  # the graph exists before the writes looked at
    return store


def test_the_predicates_of_the_writes_between_two_versions() -> None:
    store = _store()
    start = store.content_version()
    store.update(_insert(P, 1), touches=frozenset({P}))
    middle = store.content_version()
    store.update(_insert(Q, 2), touches=frozenset({Q}))
    end = store.content_version()
    assert store.changed_predicates(start, middle) == {P}
    assert store.changed_predicates(middle, end) == {Q}
    assert store.changed_predicates(start, end) == {P, Q}
    assert store.changed_predicates(end, end) == frozenset()


def test_a_write_that_does_not_say_what_it_touches_is_not_known() -> None:
    store = _store()
    start = store.content_version()
    store.update(_insert(P, 1), touches=frozenset({P}))
    store.update(_insert(Q, 2))
    assert store.changed_predicates(start, store.content_version()) is None


def test_a_write_that_adds_or_drops_a_graph_is_not_known() -> None:
    store = _store()
    start = store.content_version()
    store.update(_insert(P, 1, G + "/new"), touches=frozenset({P}))
    assert store.changed_predicates(start, store.content_version()) is None
    start = store.content_version()
    store.update(f"DROP GRAPH <{G}/new>", touches=frozenset({P}))
    assert store.changed_predicates(start, store.content_version()) is None


def test_a_write_still_running_or_begun_before_is_not_known() -> None:
    store = _store()
    start = store.content_version()
    inside = threading.Event()
    release = threading.Event()

    def writing() -> None:
        with store._writing(frozenset({P})):
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=writing)
    thread.start()
    inside.wait(5)
    during = store.content_version()
    assert store.changed_predicates(start, during) is None  # still running
    release.set()
    thread.join()
    assert store.changed_predicates(during, store.content_version()) is None  # begun before
    assert store.changed_predicates(start, store.content_version()) == {P}


def test_writes_older_than_those_remembered_are_not_known() -> None:
    store = _store()
    start = store.content_version()
    for value in range(CHANGES_KEPT + 1):
        store.update(_insert(P, value), touches=frozenset({P}))
    assert store.changed_predicates(start, store.content_version()) is None
    recent = store.content_version() - 2 * CHANGES_KEPT
    assert store.changed_predicates(recent, store.content_version()) == {P}
    assert len(list(store.oxigraph.quads_for_pattern(None, ox.NamedNode(P), None, None))) > 1
