"""Updates made only of INSERT DATA / DELETE DATA (kgservice/sparql/data_update.py and
writes.looked_up_delta): the effect found by looking quads up is the one a run on a copy of the
store finds; any other update is left to the copy."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kgservice.protocol.params import UpdateRequest
from kgservice.sparql.guard import QueryRefused, check_shape
from kgservice.sparql.update_sequence import update_operations
from kgservice.store.embedded import EmbeddedStore
from kgservice.writes import looked_up_delta, update_delta
from tests.sparql.updates import BASE, EX, LIMITS, G, small_store


@pytest.fixture
def store() -> EmbeddedStore:
    return small_store()


DATA_UPDATES = {
    "insert new": f"INSERT DATA {{ <{EX}s> <{EX}p> 'three' }}",
    "insert held": f"INSERT DATA {{ <{EX}s> <{EX}p> 'one' }}",
    "delete held": f"DELETE DATA {{ GRAPH <{G}> {{ <{EX}s> <{EX}p> 1 }} }}",
    "delete missing": f"DELETE DATA {{ <{EX}s> <{EX}p> 'none' }}",
    "delete the last quad of a graph": (
        f"DELETE DATA {{ GRAPH <{EX}graph/b> {{ <{EX}t> <{EX}p> <{EX}o> }} }}"
    ),
    "into a new graph": f"INSERT DATA {{ GRAPH <{EX}graph/new> {{ <{EX}n> <{EX}p> 2.5 }} }}",
    "replace a value": (
        f"DELETE DATA {{ <{EX}s> <{EX}p> 'one' }} ;\nINSERT DATA {{ <{EX}s> <{EX}p> 'uno' }}"
    ),
    "delete then insert the same": (
        f"DELETE DATA {{ <{EX}s> <{EX}p> 'one' }} ; INSERT DATA {{ <{EX}s> <{EX}p> 'one' }}"
    ),
    "insert then delete the same": (
        f"INSERT DATA {{ <{EX}s> <{EX}p> 'x' }} ; DELETE DATA {{ <{EX}s> <{EX}p> 'x' }}"
    ),
    "prefixes and relative IRIs": (
        f"PREFIX ex: <{EX}>\nPREFIX g: <{EX}graph/>\nINSERT DATA {{ ex:s ex:p <rel> }} ;\n"
        'DELETE DATA { GRAPH g:a { ex:s ex:p ex:o } } ; INSERT DATA { <r2> ex:p "v"^^ex:t }'
    ),
    "a BASE": f"BASE <{EX}base/>\nINSERT DATA {{ <r> <{EX}p> <../up> }}",
    "a trailing semicolon and comments": (
        f"# fix\nINSERT DATA {{ <{EX}s> <{EX}p> 'c' }} ; # done\n"
    ),
}


@pytest.mark.parametrize("update", list(DATA_UPDATES.values()), ids=list(DATA_UPDATES))
def test_the_effect_is_the_one_a_copy_finds(store: EmbeddedStore, update: str) -> None:
    quick = looked_up_delta(store, UpdateRequest(update), LIMITS, BASE)
    assert quick is not None
    copied = update_delta(store, lambda copy: copy.update(update, base_iri=BASE))
    assert (quick.removed, quick.added) == (copied.removed, copied.added)
    assert (quick.created, quick.dropped) == (copied.created, copied.dropped)


OTHER_UPDATES = {
    "a blank node label": f"INSERT DATA {{ _:b <{EX}p> 1 }}",
    "an anonymous blank node": f"INSERT DATA {{ <{EX}s> <{EX}p> [ <{EX}q> 1 ] }}",
    "a graph operation": f"DROP GRAPH <{G}>",
    "CLEAR after data": f"INSERT DATA {{ <{EX}a> <{EX}p> 1 }} ; CLEAR ALL",
    "a prologue between operations": (
        f"INSERT DATA {{ <{EX}a> <{EX}p> 1 }} ; PREFIX ex: <{EX}> INSERT DATA {{ ex:b ex:p 2 }}"
    ),
    "text Oxigraph refuses": f"INSERT DATA {{ <{EX}s> <{EX}p> ?o }}",
    "an unclosed brace": f"INSERT DATA {{ <{EX}s> <{EX}p> 1",
}


@pytest.mark.parametrize("update", list(OTHER_UPDATES.values()), ids=list(OTHER_UPDATES))
def test_other_updates_are_left_to_the_copy(update: str) -> None:
    found = check_shape(update, max_bytes=10_000, max_depth=20, what="update")
    assert update_operations(update, found, BASE) is None


def test_using_graphs_are_left_to_the_copy(store: EmbeddedStore) -> None:
    request = UpdateRequest(f"INSERT DATA {{ <{EX}a> <{EX}p> 1 }}", using_graph_uris=[G])
    assert looked_up_delta(store, request, LIMITS, BASE) is None


def test_the_size_limit_still_holds(store: EmbeddedStore) -> None:
    big = "INSERT DATA { " + " ".join(f"<{EX}s> <{EX}p> {n} ." for n in range(2_000)) + " }"
    with pytest.raises(QueryRefused, match="the update has"):
        looked_up_delta(store, UpdateRequest(big), LIMITS, BASE)


def test_the_operations_keep_their_order_and_kind() -> None:
    update = DATA_UPDATES["replace a value"]
    found = check_shape(update, max_bytes=10_000, max_depth=20, what="update")
    operations = update_operations(update, found, BASE)
    assert operations is not None
    assert [(op.insert, [str(q.object) for q in op.quads]) for op in operations] == [
        (False, ['"one"']),
        (True, ['"uno"']),
    ]
    assert all(isinstance(q.graph_name, ox.DefaultGraph) for op in operations for q in op.quads)
