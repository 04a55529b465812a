"""Updates of several operations (kgservice/sparql/update_sequence.py and
writes.looked_up_delta): the effect folded over the store, operation after operation, is the
one a run on a copy of the store finds; an operation whose WHERE may read what an earlier one
changed is left to the copy."""

from __future__ import annotations

import pytest

from kgservice.protocol.params import UpdateRequest
from kgservice.store.embedded import EmbeddedStore
from kgservice.writes import looked_up_delta, update_delta
from tests.sparql.test_modify_update import same_effect
from tests.sparql.updates import BASE, EX, LIMITS, G, small_store


@pytest.fixture
def store() -> EmbeddedStore:
    return small_store()


SEQUENCES = {
    "replace a record's values": (
        f"DELETE WHERE {{ <{EX}s> <{EX}age> ?a }} ; INSERT DATA {{ <{EX}s> <{EX}age> 31 }}"
    ),
    "replace in a graph, then add a note": (
        f"DELETE {{ GRAPH <{G}> {{ ?s <{EX}p> ?o }} }} INSERT {{ GRAPH <{G}> {{ ?s <{EX}p> 2 }} }} "
        f"WHERE {{ GRAPH <{G}> {{ ?s <{EX}p> ?o FILTER(isLiteral(?o)) }} }} ;\n"
        f"INSERT DATA {{ GRAPH <{G}> {{ <{EX}s> <{EX}note> 'checked' }} }}"
    ),
    "data first, then a WHERE over other predicates": (
        f"INSERT DATA {{ <{EX}u> <{EX}p> 'new' }} ; "
        f"INSERT {{ ?s a <{EX}Old> }} WHERE {{ ?s <{EX}age> ?a FILTER(?a > 60) }}"
    ),
    "two WHEREs over different predicates": (
        f"DELETE {{ ?s <{EX}age> ?a }} INSERT {{ ?s <{EX}age> 0 }} WHERE {{ ?s <{EX}age> ?a }} ;"
        f"DELETE WHERE {{ GRAPH <{EX}graph/b> {{ ?s <{EX}p> ?o }} }}"
    ),
    "an insertion undone by a later deletion": (
        f"INSERT DATA {{ <{EX}s> <{EX}p> 'tmp' }} ; DELETE DATA {{ <{EX}s> <{EX}p> 'tmp' }} ; "
        f"DELETE WHERE {{ <{EX}t> <{EX}age> ?a }}"
    ),
    "a batch replacing two records' values": (
        f"DELETE WHERE {{ <{EX}s> <{EX}age> ?a }} ; INSERT DATA {{ <{EX}s> <{EX}age> 31 }} ;\n"
        f"DELETE WHERE {{ <{EX}t> <{EX}age> ?a }} ; INSERT DATA {{ <{EX}t> <{EX}age> 71 }}"
    ),
    "a WHERE over what was just inserted": (
        f"INSERT DATA {{ <{EX}u> <{EX}p> 'x', 'y' }} ; DELETE WHERE {{ <{EX}u> <{EX}p> ?o }}"
    ),
    "a WHERE over what was just deleted": (
        f"DELETE DATA {{ <{EX}s> <{EX}p> 'one' }} ; "
        f"INSERT {{ ?s <{EX}q> ?o }} WHERE {{ ?s <{EX}p> ?o }}"
    ),
    "a WHERE that says `a` after types were written": (
        f"INSERT DATA {{ <{EX}u> a <{EX}Old> }} ; "
        f"INSERT {{ ?s <{EX}note> 'old' }} WHERE {{ ?s a <{EX}Old> }}"
    ),
    "a WHERE over any predicate after a change": (
        f"DELETE DATA {{ <{EX}s> <{EX}p> 'one' }} ; DELETE WHERE {{ <{EX}s> ?p ?o }}"
    ),
    "a WHERE over named graphs after a new graph": (
        f"INSERT DATA {{ GRAPH <{EX}graph/new> {{ <{EX}u> <{EX}p> 1 }} }} ; "
        f"INSERT {{ <{EX}u> <{EX}in> ?g }} WHERE {{ GRAPH ?g {{ ?s <{EX}p> ?o }} }}"
    ),
    "a prologue for every operation": (
        f"PREFIX ex: <{EX}>\n"
        "DELETE WHERE { ex:t ex:age ?a } ; INSERT DATA { ex:t ex:age 71 } ;\n"
        "INSERT { ?s ex:seen true } WHERE { ?s ex:p 'one' }"
    ),
}


@pytest.mark.parametrize("update", list(SEQUENCES.values()), ids=list(SEQUENCES))
def test_the_effect_is_the_one_a_copy_finds(store: EmbeddedStore, update: str) -> None:
    quick = looked_up_delta(store, UpdateRequest(update), LIMITS, BASE)
    assert quick is not None, "left to the copy"
    copied = update_delta(store, lambda copy: copy.update(update, base_iri=BASE))
    same_effect(quick, copied)


LEFT_TO_THE_COPY = {
    "a WHERE over a predicate written before it": (
        f"INSERT DATA {{ <{EX}u> <{EX}age> 90 }} ; "
        f"INSERT {{ ?s a <{EX}Old> }} WHERE {{ ?s <{EX}age> ?a FILTER(?a > 60) }}"
    ),
    "two patterns over a predicate written before": (
        f"INSERT DATA {{ <{EX}u> <{EX}age> 90 }} ; "
        f"INSERT {{ ?s <{EX}twin> ?t }} WHERE {{ ?s <{EX}age> ?a . ?t <{EX}age> ?a }}"
    ),
    "a blank node in a WHERE over a change": (
        f"INSERT DATA {{ <{EX}u> <{EX}p> 'x' }} ; INSERT {{ <{EX}u> <{EX}has> 1 }} "
        f"WHERE {{ <{EX}u> <{EX}p> [] }}"
    ),
    "a prologue between operations": (
        f"INSERT DATA {{ <{EX}u> <{EX}q> 1 }} ; PREFIX ex: <{EX}> DELETE WHERE {{ ex:s ex:age ?a }}"
    ),
    "WITH in a later operation": (
        f"INSERT DATA {{ <{EX}u> <{EX}q> 1 }} ; "
        f"WITH <{G}> DELETE {{ ?s <{EX}p> ?o }} WHERE {{ ?s <{EX}p> ?o }}"
    ),
    "a graph operation": f"INSERT DATA {{ <{EX}u> <{EX}q> 1 }} ; CLEAR GRAPH <{G}>",
}


@pytest.mark.parametrize("update", list(LEFT_TO_THE_COPY.values()), ids=list(LEFT_TO_THE_COPY))
def test_other_sequences_are_left_to_the_copy(store: EmbeddedStore, update: str) -> None:
    assert looked_up_delta(store, UpdateRequest(update), LIMITS, BASE) is None


def test_a_where_that_reads_an_earlier_change_would_be_wrong_on_the_store(
    store: EmbeddedStore,
) -> None:
    """Why such an update is left to the copy: on the store, the WHERE misses the new value."""
    update = LEFT_TO_THE_COPY["a WHERE over a predicate written before it"]
    copied = update_delta(store, lambda copy: copy.update(update, base_iri=BASE))
    assert f"<{EX}u> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{EX}Old>" in {
        f"{q.subject} {q.predicate} {q.object}" for q in copied.added
    }
