"""One DELETE/INSERT … WHERE operation (kgservice/sparql/modify_update.py and
writes.looked_up_delta): the effect found by instantiating its templates is the one a run on a
copy of the store finds; other updates are left to the copy."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kgservice.protocol.params import UpdateRequest
from kgservice.store.embedded import EmbeddedStore
from kgservice.writes import Delta, looked_up_delta, update_delta
from tests.sparql.updates import BASE, EX, LIMITS, G, small_store


@pytest.fixture
def store() -> EmbeddedStore:
    return small_store()


MODIFY_UPDATES = {
    "replace a value": (
        f"DELETE {{ ?s <{EX}p> ?o }} INSERT {{ ?s <{EX}p> 'new' }} "
        f"WHERE {{ ?s <{EX}p> ?o FILTER(?o = 'one') }}"
    ),
    "insert only": f"INSERT {{ ?s a <{EX}Old> }} WHERE {{ ?s <{EX}age> ?a FILTER(?a > 60) }}",
    "delete only": f"DELETE {{ ?s <{EX}age> ?a }} WHERE {{ ?s <{EX}age> ?a }}",
    "copy between graphs": (
        f"INSERT {{ GRAPH <{EX}graph/c> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{G}> {{ ?s ?p ?o }} }}"
    ),
    "graph variable": (
        f"DELETE {{ GRAPH ?g {{ ?s <{EX}p> ?o }} }} WHERE {{ GRAPH ?g {{ ?s <{EX}p> ?o }} }}"
    ),
    "DELETE WHERE": f"DELETE WHERE {{ <{EX}s> ?p ?o }}",
    "DELETE WHERE in a graph": f"DELETE WHERE {{ GRAPH ?g {{ ?s <{EX}p> <{EX}o> }} }}",
    "an unbound variable skips its triple": (
        f"INSERT {{ ?s <{EX}label> ?l ; <{EX}seen> true }} "
        f"WHERE {{ ?s <{EX}age> ?a OPTIONAL {{ ?s <{EX}nick> ?l }} }}"
    ),
    "delete and insert the same": (
        f"DELETE {{ ?s <{EX}age> ?a }} INSERT {{ ?s <{EX}age> ?a }} WHERE {{ ?s <{EX}age> ?a }}"
    ),
    "no solution": f"DELETE {{ ?s ?p ?o }} WHERE {{ ?s <{EX}missing> ?o ; ?p ?o }}",
    "no variable": (f"INSERT {{ <{EX}x> <{EX}p> 1 }} WHERE {{ <{EX}s> <{EX}p> 'one' }}"),
    "prefixes, BASE and a trailing semicolon": (
        f"BASE <{EX}base/>\nPREFIX ex: <{EX}>\n"
        "DELETE { ?s ex:p ?o } INSERT { ?s ex:q <rel> } WHERE { ?s ex:p ?o FILTER(isIRI(?o)) } ;"
    ),
    "a computed value": (
        f"INSERT {{ ?s <{EX}older> ?b }} WHERE {{ ?s <{EX}age> ?a BIND(?a + 1 AS ?b) }}"
    ),
}


def same_effect(quick: Delta, copied: Delta) -> None:
    assert quick.removed == copied.removed
    assert quick.added == copied.added
    assert (quick.created, quick.dropped) == (copied.created, copied.dropped)


@pytest.mark.parametrize("update", list(MODIFY_UPDATES.values()), ids=list(MODIFY_UPDATES))
def test_the_effect_is_the_one_a_copy_finds(store: EmbeddedStore, update: str) -> None:
    quick = looked_up_delta(store, UpdateRequest(update), LIMITS, BASE)
    assert quick is not None
    copied = update_delta(store, lambda copy: copy.update(update, base_iri=BASE))
    same_effect(quick, copied)


def test_inserted_blank_nodes_are_fresh_per_solution(store: EmbeddedStore) -> None:
    update = f"INSERT {{ ?s <{EX}record> [ <{EX}age> ?a ] }} WHERE {{ ?s <{EX}age> ?a }}"
    quick = looked_up_delta(store, UpdateRequest(update), LIMITS, BASE)
    assert quick is not None
    copied = update_delta(store, lambda copy: copy.update(update))
    canonical = ox.CanonicalizationAlgorithm.UNSTABLE
    mine, theirs = ox.Dataset(quick.added), ox.Dataset(copied.added)
    mine.canonicalize(canonical)
    theirs.canonicalize(canonical)
    assert set(mine) == set(theirs)
    records = {q.object for q in quick.added if q.predicate.value == f"{EX}record"}
    assert len(records) == 2 and all(isinstance(node, ox.BlankNode) for node in records)


OTHER_UPDATES = {
    "WITH": f"WITH <{G}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
    "USING": f"DELETE {{ ?s ?p ?o }} USING <{G}> WHERE {{ ?s ?p ?o }}",
    "a blank node in a DELETE template": f"DELETE {{ _:b <{EX}p> ?o }} WHERE {{ ?s <{EX}p> ?o }}",
    "an unclosed brace": "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o",
    "a WHERE Oxigraph refuses": "DELETE { ?s ?p ?o } WHERE { ?s ?p }",
    "a graph operation": f"CLEAR GRAPH <{G}>",
}


@pytest.mark.parametrize("update", list(OTHER_UPDATES.values()), ids=list(OTHER_UPDATES))
def test_other_updates_are_left_to_the_copy(store: EmbeddedStore, update: str) -> None:
    assert left_to_the_copy(store, update)


def left_to_the_copy(store: EmbeddedStore, update: str) -> bool:
    return looked_up_delta(store, UpdateRequest(update), LIMITS, BASE) is None


def test_solutions_with_blank_nodes_are_left_to_the_copy(store: EmbeddedStore) -> None:
    store.update(f"INSERT DATA {{ _:x <{EX}p> 'blank' }}")
    update = f"DELETE {{ ?s <{EX}p> ?o }} WHERE {{ ?s <{EX}p> ?o }}"
    assert left_to_the_copy(store, update)


def test_too_many_solutions_are_left_to_the_copy(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kgservice.sparql.modify_update.MAX_SOLUTIONS", 1)
    update = f"DELETE {{ ?s <{EX}age> ?a }} WHERE {{ ?s <{EX}age> ?a }}"
    assert left_to_the_copy(store, update)


def test_remote_targets_are_refused_before_anything_runs(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SERVICE in the WHERE is refused before the WHERE is evaluated (it would fetch)."""
    from kgservice.sparql.guard import QueryRefused

    def evaluated(*args, **kwargs):
        raise AssertionError("the WHERE of a refused update was evaluated")

    monkeypatch.setattr("kgservice.writes.solve", evaluated)
    update = "INSERT { ?s ?p ?o } WHERE { SERVICE <http://remote.example/sparql> { ?s ?p ?o } }"
    with pytest.raises(QueryRefused, match="KGSERVICE_ALLOWED_REMOTE"):
        looked_up_delta(store, UpdateRequest(update), LIMITS, BASE)
