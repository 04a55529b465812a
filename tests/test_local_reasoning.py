"""Refreshing graph:inferred around a change (kgservice/local_reasoning.py): after each change,
what the local refresh leaves in graph:inferred is exactly what materialising it whole gives."""

from __future__ import annotations

import logging
import random

import pyoxigraph as ox
import pytest

from kgservice.loading import ONTOLOGY_GRAPH
from kgservice.local_reasoning import (
    MAX_REGION_QUADS,
    LocalRefresh,
    Overtaken,
    Refresher,
    chain_groups,
    input_changes,
    refresh_around,
)
from kgservice.reasoning import DERIVED_GRAPHS, INFERRED_GRAPH, materialise, read_tbox
from kgservice.store.embedded import EmbeddedStore
from kgservice.web.state import EXTENSION
from tests.test_reasoning import (
    CITY,
    DIVISION,
    SCCM,
    VILLAGE,
    WRITER,
    app_over,
    fixture_store,
    inferred,
)

TOWNSHIP = f"{DIVISION}371302001"  # 兰山街道
OTHER_TOWNSHIP = f"{DIVISION}371302002"
COUNTY = f"{DIVISION}371302"
EDITS = "http://example.org/graph/edits"


@pytest.fixture
def store() -> EmbeddedStore:
    return fixture_store()


def input_quads(store: EmbeddedStore) -> set[ox.Quad]:
    return {
        quad
        for quad in store.oxigraph.quads_for_pattern(None, None, None, None)
        if not (
            isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value in DERIVED_GRAPHS
        )
    }


def change(store: EmbeddedStore, update: str) -> LocalRefresh:
    """Run ``update``, refresh around what it changed; check the result against a whole
    materialisation of the same store."""
    before = input_quads(store)
    store.update(update)
    changed = input_changes(before ^ input_quads(store))
    assert changed is not None
    result = refresh_around(store, changed)
    assert result is not None, "refreshed whole instead of locally"
    assert_same_as_whole(store)
    return result


def assert_same_as_whole(store: EmbeddedStore) -> None:
    local = inferred(store)
    materialise(store)
    whole = inferred(store)
    assert local - whole == set(), "inferred locally, not entailed"
    assert whole - local == set(), "entailed, missed by the local refresh"


def holds(store: EmbeddedStore, s: str, p: str, o: str) -> bool:
    return (
        ox.Quad(ox.NamedNode(s), ox.NamedNode(p), ox.NamedNode(o), INFERRED_GRAPH) in store.oxigraph
    )


def places_in(store: EmbeddedStore, division: str) -> list[str]:
    query = f"SELECT ?place WHERE {{ ?place <{CITY}inDivision> <{division}> }}"
    solutions = store.query(query)
    return [row["place"].value for row in solutions]  # type: ignore[index, union-attr]


# --- the chains ------------------------------------------------------------------------------


def test_containment_is_one_group_of_two_mirrored_chains(store: EmbeddedStore) -> None:
    groups = chain_groups(read_tbox(store))
    assert [sorted(chains.prop.value for chains in group) for group in groups] == [
        [f"{SCCM}containedIn", f"{SCCM}contains"]
    ]
    contained_in = next(c for c in groups[0] if c.prop.value == f"{SCCM}containedIn")
    assert ox.NamedNode(f"{CITY}parentDivision") in contained_in.forward
    assert ox.NamedNode(f"{CITY}inDivision") in contained_in.forward
    assert ox.NamedNode(f"{CITY}childDivision") in contained_in.backward
    assert ox.NamedNode(f"{SCCM}contains") in contained_in.backward
    assert ox.NamedNode(f"{CITY}residence") not in contained_in.forward | contained_in.backward


# --- changes, each checked against the whole materialisation ---------------------------------


def test_a_new_place_in_a_village_is_contained_up_to_the_province(store: EmbeddedStore) -> None:
    place = "http://example.org/place/new-kiosk"
    result = change(
        store,
        f"INSERT DATA {{ GRAPH <{EDITS}> {{ <{place}> a <{CITY}Facility> ; "
        f"<{CITY}inDivision> <{VILLAGE}> }} }}",
    )
    assert holds(store, place, f"{SCCM}containedIn", COUNTY)
    assert holds(store, COUNTY, f"{SCCM}contains", place)
    assert result.region < 5  # the place alone, not the county's contents
    assert result.added > 5


def test_a_village_moved_to_another_township_moves_what_it_holds(store: EmbeddedStore) -> None:
    place = "http://example.org/place/in-the-village"
    store.update(
        f"INSERT DATA {{ GRAPH <{EDITS}> {{ <{place}> <{CITY}inDivision> <{VILLAGE}> }} }}"
    )
    materialise(store)
    assert holds(store, place, f"{SCCM}containedIn", TOWNSHIP)
    change(
        store,
        f"DELETE WHERE {{ GRAPH ?g {{ <{VILLAGE}> <{CITY}parentDivision> ?township }} }} ;\n"
        f"INSERT DATA {{ GRAPH <{EDITS}> {{ <{VILLAGE}> <{CITY}parentDivision> "
        f"<{OTHER_TOWNSHIP}> }} }}",
    )
    assert holds(store, place, f"{SCCM}containedIn", OTHER_TOWNSHIP)
    assert not holds(store, place, f"{SCCM}containedIn", TOWNSHIP)


def test_a_link_written_the_other_way_round(store: EmbeddedStore) -> None:
    village = f"{DIVISION}371302001998"
    change(
        store,
        f"INSERT DATA {{ GRAPH <{EDITS}> {{ <{TOWNSHIP}> <{CITY}childDivision> <{village}> }} }}",
    )
    assert holds(store, village, f"{SCCM}containedIn", COUNTY)
    assert holds(store, village, f"{CITY}parentDivision", TOWNSHIP)


def test_a_triple_asserted_once_inferred_leaves_graph_inferred(store: EmbeddedStore) -> None:
    assert holds(store, VILLAGE, f"{SCCM}containedIn", COUNTY)
    change(
        store,
        f"INSERT DATA {{ GRAPH <{EDITS}> {{ <{VILLAGE}> <{SCCM}containedIn> <{COUNTY}> }} }}",
    )
    assert not holds(store, VILLAGE, f"{SCCM}containedIn", COUNTY)


def test_an_assertion_removed_but_still_entailed_comes_back_inferred(
    store: EmbeddedStore,
) -> None:
    triple = f"<{VILLAGE}> <{SCCM}containedIn> <{COUNTY}>"
    store.update(f"INSERT DATA {{ GRAPH <{EDITS}> {{ {triple} }} }}")
    materialise(store)
    assert not holds(store, VILLAGE, f"{SCCM}containedIn", COUNTY)
    change(store, f"DELETE DATA {{ GRAPH <{EDITS}> {{ {triple} }} }}")
    assert holds(store, VILLAGE, f"{SCCM}containedIn", COUNTY)


def test_a_township_detached_takes_its_villages_out_of_the_county(store: EmbeddedStore) -> None:
    change(store, f"DELETE WHERE {{ GRAPH ?g {{ <{TOWNSHIP}> <{CITY}parentDivision> ?county }} }}")
    assert not holds(store, VILLAGE, f"{SCCM}containedIn", COUNTY)
    assert holds(store, VILLAGE, f"{SCCM}containedIn", TOWNSHIP)


def test_types_and_inverse_properties(store: EmbeddedStore) -> None:
    entity = next(iter(store.query(f"SELECT ?e WHERE {{ ?e <{CITY}registrationDivision> ?d }}")))
    iri = entity["e"].value  # type: ignore[index]
    change(
        store,
        f"DELETE WHERE {{ GRAPH ?g {{ <{iri}> <{CITY}registrationDivision> ?d }} }} ;\n"
        f"INSERT DATA {{ GRAPH <{EDITS}> {{ <{iri}> <{CITY}registrationDivision> <{COUNTY}> ; "
        f"a <{CITY}LegalEntity> }} }}",
    )
    assert holds(store, COUNTY, f"{CITY}registrationDivisionOf", iri)
    change(store, f"DELETE WHERE {{ GRAPH ?g {{ <{iri}> a ?type }} }}")
    assert not holds(store, iri, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", f"{SCCM}Agent")


def test_random_changes_match_the_whole_materialisation(store: EmbeddedStore) -> None:
    """Facts removed and links between the city's nodes added at random, cycles included,
    round after round on the same store."""
    tbox = read_tbox(store)
    properties = sorted(tbox.properties - {f"{SCCM}hasPlan"})
    nodes = sorted(
        {q.subject.value for q in input_quads(store) if isinstance(q.subject, ox.NamedNode)}
        & {
            q.subject.value
            for q in store.oxigraph.quads_for_pattern(None, None, None, None)
            if q.predicate.value in properties
        }
    )
    facts = sorted((q for q in input_quads(store) if q.predicate.value in properties), key=str)
    rng = random.Random(7)
    for _ in range(12):
        removed = rng.sample(facts, 3)
        added = [
            f"<{rng.choice(nodes)}> <{rng.choice(properties)}> <{rng.choice(nodes)}> ."
            for _ in range(3)
        ]
        added.append(f"<{rng.choice(nodes)}> a <{rng.choice(sorted(tbox.classes))}> .")
        deletion = "\n".join(f"GRAPH <{q.graph_name.value}> {{ {q.triple} . }}" for q in removed)
        change(
            store,
            f"DELETE DATA {{ {deletion} }} ;\n"
            f"INSERT DATA {{ GRAPH <{EDITS}> {{ {' '.join(added)} }} }}",
        )
        facts = sorted((q for q in input_quads(store) if q.predicate.value in properties), key=str)


# --- what is not refreshed locally ----------------------------------------------------------


def test_changes_outside_the_inputs_change_nothing(store: EmbeddedStore) -> None:
    personal = ox.Quad(
        ox.NamedNode("http://example.org/p"),
        ox.NamedNode(f"{CITY}personName"),
        ox.Literal("张三"),
        ox.NamedNode("https://w3id.org/sckm/graph/population/personal"),
    )
    quality = ox.Quad(
        ox.NamedNode("http://example.org/p"),
        ox.NamedNode(f"{SCCM}containedIn"),
        ox.NamedNode(COUNTY),
        ox.NamedNode(next(g for g in DERIVED_GRAPHS if g != INFERRED_GRAPH.value)),  # quality
    )
    assert input_changes([personal, quality]) == set()
    ontology = ox.Quad(
        personal.subject, personal.predicate, personal.object, ox.NamedNode(ONTOLOGY_GRAPH)
    )
    assert input_changes([personal, ontology]) is None  # the rules changed: refresh whole
    entailment = ox.Quad(personal.subject, personal.predicate, personal.object, INFERRED_GRAPH)
    assert input_changes([entailment]) is None  # entailments removed by a client: whole
    result = refresh_around(store, [])
    assert result is not None and (result.added, result.removed, result.region) == (0, 0, 0)


def test_a_change_too_wide_is_left_to_the_whole_materialisation(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kgservice.local_reasoning.MAX_REGION_QUADS", 50)
    assert MAX_REGION_QUADS > 50
    before = inferred(store)
    store.update(f"DELETE WHERE {{ GRAPH ?g {{ <{TOWNSHIP}> <{CITY}parentDivision> ?county }} }}")
    triple = ox.Triple(
        ox.NamedNode(TOWNSHIP), ox.NamedNode(f"{CITY}parentDivision"), ox.NamedNode(COUNTY)
    )
    assert refresh_around(store, [triple]) is None
    assert inferred(store) == before  # nothing written


# --- writes meanwhile ----------------------------------------------------------------------------


def write_during_the_rules(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch, update: str, then=None
) -> None:
    """Make the next refresh meet a write committed while it runs its rules."""
    from kgservice import local_reasoning

    rules, pending = local_reasoning.run_rules, [update]

    def rules_beside_a_write(*args, **kwargs):
        if pending:
            before = input_quads(store)
            store.update(pending.pop())
            if then is not None:
                then(before ^ input_quads(store))
        return rules(*args, **kwargs)

    monkeypatch.setattr(local_reasoning, "run_rules", rules_beside_a_write)


def test_a_refresh_overtaken_by_a_write_writes_nothing(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    place = "http://example.org/place/new-kiosk"
    first = f"INSERT DATA {{ GRAPH <{EDITS}> {{ <{place}> <{CITY}inDivision> <{VILLAGE}> }} }}"
    before = input_quads(store)
    store.update(first)
    changed = input_changes(before ^ input_quads(store))
    held = inferred(store)
    write_during_the_rules(
        store,
        monkeypatch,
        f"DELETE WHERE {{ GRAPH ?g {{ <{VILLAGE}> <{CITY}parentDivision> ?t }} }}",
    )
    with pytest.raises(Overtaken):
        refresh_around(store, changed or set())
    assert inferred(store) == held


def test_the_refresher_refreshes_again_after_a_write_meanwhile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = fixture_store()
    refresher = Refresher(store, delay=0.05)
    place = "http://example.org/place/new-kiosk"
    first = f"INSERT DATA {{ GRAPH <{EDITS}> {{ <{place}> <{CITY}inDivision> <{VILLAGE}> }} }}"
    second = f"DELETE WHERE {{ GRAPH ?g {{ <{VILLAGE}> <{CITY}parentDivision> ?t }} }}"
    write_during_the_rules(store, monkeypatch, second, then=refresher.request)
    before = input_quads(store)
    store.update(first)
    refresher.request(before ^ input_quads(store))
    assert refresher.wait(30)
    assert isinstance(refresher.last, LocalRefresh)
    assert refresher.last.changed == 2  # the first write's fact and the second's, together
    assert holds(store, place, f"{SCCM}containedIn", VILLAGE)
    assert not holds(store, place, f"{SCCM}containedIn", COUNTY)
    assert_same_as_whole(store)


def test_entailments_a_client_deleted_come_back() -> None:
    store = fixture_store()
    app = app_over(store, "materialize", KGSERVICE_VALIDATE_WRITES="none")
    reasoner = app.extensions[EXTENSION].reasoner
    triple = f"<{VILLAGE}> <{SCCM}containedIn> <{COUNTY}>"
    update = f"DELETE DATA {{ GRAPH <{INFERRED_GRAPH.value}> {{ {triple} }} }}"
    response = app.test_client().post("/sparql", data={"update": update}, headers=WRITER)
    assert response.status_code == 204
    assert reasoner.wait(30)
    assert holds(store, VILLAGE, f"{SCCM}containedIn", COUNTY)


# --- through the service -----------------------------------------------------------------------


def test_a_service_write_is_refreshed_locally(caplog: pytest.LogCaptureFixture) -> None:
    store = fixture_store()
    app = app_over(store, "materialize", KGSERVICE_VALIDATE_WRITES="none")
    reasoner = app.extensions[EXTENSION].reasoner
    place = "http://example.org/place/new-kiosk"
    update = f"INSERT DATA {{ GRAPH <{EDITS}> {{ <{place}> <{CITY}inDivision> <{VILLAGE}> }} }}"
    with caplog.at_level(logging.INFO, logger="kgservice.local_reasoning"):
        response = app.test_client().post("/sparql", data={"update": update}, headers=WRITER)
        assert response.status_code == 204
        assert reasoner.wait(30)
    assert isinstance(reasoner.last, LocalRefresh)
    assert reasoner.last.changed == 1
    assert holds(store, place, f"{SCCM}containedIn", COUNTY)
    assert "graph:inferred refreshed around 1 changed facts" in caplog.text
    assert_same_as_whole(store)


def test_a_service_write_to_the_ontology_materialises_whole() -> None:
    store = fixture_store()
    app = app_over(store, "materialize", KGSERVICE_VALIDATE_WRITES="none")
    reasoner = app.extensions[EXTENSION].reasoner
    update = (
        f"INSERT DATA {{ GRAPH <{ONTOLOGY_GRAPH}> {{ <{CITY}Facility> "
        f"<http://www.w3.org/2000/01/rdf-schema#subClassOf> <{SCCM}Item> }} }}"
    )
    response = app.test_client().post("/sparql", data={"update": update}, headers=WRITER)
    assert response.status_code == 204
    assert reasoner.wait(30)
    assert not isinstance(reasoner.last, LocalRefresh)
    facility = next(iter(store.query(f"SELECT ?f WHERE {{ ?f a <{CITY}Facility> }}")))
    assert holds(
        store, facility["f"].value, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", f"{SCCM}Item"
    )  # type: ignore[index]


def test_a_bulk_write_is_refreshed_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kgservice.local_reasoning.MAX_PENDING", 2)
    store = fixture_store()
    refresher = Refresher(store, delay=0.05)
    place = ox.NamedNode("http://example.org/place/p")
    quads = [
        ox.Quad(
            place, ox.NamedNode(f"{CITY}inDivision"), ox.NamedNode(VILLAGE), ox.NamedNode(EDITS)
        ),
        ox.Quad(place, ox.NamedNode(f"{CITY}facilityCode"), ox.Literal("1"), ox.NamedNode(EDITS)),
        ox.Quad(place, ox.NamedNode(f"{CITY}facilityCode"), ox.Literal("2"), ox.NamedNode(EDITS)),
    ]
    store.oxigraph.extend(quads)
    refresher.request(set(quads))
    assert refresher.wait(30)
    assert not isinstance(refresher.last, LocalRefresh)  # rebuilt whole
    assert holds(store, place.value, f"{SCCM}containedIn", COUNTY)
