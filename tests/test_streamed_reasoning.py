"""The streamed whole materialisation against the rounds on a scratch store (and owlrl, through
``tests/test_reasoning.py``'s fixture test, which runs it)."""

from __future__ import annotations

import random

import pyoxigraph as ox
import pytest
from rdflib.namespace import OWL, RDF, RDFS

from kgservice.loading import ONTOLOGY_GRAPH
from kgservice.reasoning import (
    INFERRED_GRAPH,
    closure,
    has_blank_node,
    materialise,
    read_facts,
    read_tbox,
)
from kgservice.store.embedded import EmbeddedStore, open_embedded
from kgservice.streamed_reasoning import PropertySteps
from tests.cities import count_inserts, record_updates

EX = "http://example.org/"
DATA = ox.NamedNode(f"{EX}graph/data")


def iri(name: str) -> ox.NamedNode:
    return ox.NamedNode(EX + name)


def store_of(axioms: list[ox.Triple], data: list[ox.Triple]) -> EmbeddedStore:
    store = open_embedded(None)
    store.add_to_graph(ox.NamedNode(ONTOLOGY_GRAPH), axioms)
    store.add_to_graph(DATA, data)
    return store


def by_rounds(store: EmbeddedStore) -> set[ox.Triple]:
    """What the rounds on a scratch store derive from the store's facts, as graph:inferred
    holds it (no blank node)."""
    tbox = read_tbox(store)
    derived, _ = closure(tbox, read_facts(store, tbox))
    return {t for t in derived if not has_blank_node(t)}


def inferred(store: EmbeddedStore) -> set[ox.Triple]:
    return set(store.triples(INFERRED_GRAPH))


def axiom(s: str, p: str, o: str) -> ox.Triple:
    return ox.Triple(iri(s), ox.NamedNode(p), ox.NamedNode(o) if ":" in o else iri(o))


def random_city(seed: int) -> tuple[list[ox.Triple], list[ox.Triple]]:
    """Axioms of every kind the rules read over eight properties and six classes, and data
    with literals and blank nodes (some in the middle of a transitive chain)."""
    rng = random.Random(seed)
    props, classes = [f"p{i}" for i in range(8)], [f"C{i}" for i in range(6)]
    kinds = [str(RDFS.subPropertyOf), str(OWL.equivalentProperty), str(OWL.inverseOf)]
    axioms = [axiom(rng.choice(props), rng.choice(kinds), rng.choice(props)) for _ in range(7)]
    axioms += [axiom(p, str(RDF.type), str(OWL.TransitiveProperty)) for p in rng.sample(props, 2)]
    axioms += [axiom(rng.choice(props), str(RDF.type), str(OWL.SymmetricProperty))]
    class_kinds = [str(RDFS.subClassOf), str(OWL.equivalentClass)]
    axioms += [
        axiom(rng.choice(classes), rng.choice(class_kinds), rng.choice(classes)) for _ in range(6)
    ]
    nodes: list[ox.NamedNode | ox.BlankNode] = [iri(f"n{i}") for i in range(14)]
    nodes += [ox.BlankNode(f"b{i}") for i in range(2)]
    data = []
    for _ in range(40):
        subject, prop = rng.choice(nodes), iri(rng.choice(props))
        value = ox.Literal(str(rng.randrange(3))) if rng.random() < 0.15 else rng.choice(nodes)
        data.append(ox.Triple(subject, prop, value))
    data += [
        ox.Triple(rng.choice(nodes), ox.NamedNode(str(RDF.type)), iri(rng.choice(classes)))
        for _ in range(12)
    ]
    return axioms, data


@pytest.mark.parametrize("batch", [None, 3], ids=["one step", "batches of 3"])
@pytest.mark.parametrize("seed", range(40))
def test_streamed_equals_the_rounds_and_a_refresh_equals_a_fresh_run(
    seed: int, batch: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kgservice import streamed_reasoning

    if batch is not None:  # triples written early are found again: not among the old ones
        monkeypatch.setattr(streamed_reasoning, "WRITE_BATCH", batch)
    axioms, data = random_city(seed)
    store = store_of(axioms, data)
    first = materialise(store)
    assert inferred(store) == by_rounds(store)
    assert first.triples == first.added == len(inferred(store))
    again = materialise(store)
    assert (again.added, again.removed, again.triples) == (0, 0, first.triples)

    rng = random.Random(seed + 1000)  # some facts go, others come, a derived one is asserted
    gone = rng.sample([t for t in data if not has_blank_node(t)], 8)
    lines = " ".join(f"{t.subject} {t.predicate} {t.object} ." for t in gone)
    store.update(f"DELETE DATA {{ GRAPH <{DATA.value}> {{ {lines} }} }}")
    extra = random_city(seed + 2000)[1][:10]
    store.add_to_graph(ox.NamedNode(f"{EX}graph/more"), extra)
    if inferred(store):
        store.add_to_graph(DATA, [sorted(inferred(store), key=str)[0]])
    refreshed = materialise(store)
    assert inferred(store) == by_rounds(store)
    assert refreshed.triples == len(inferred(store))


def test_a_chain_through_a_blank_node_entails_its_ends() -> None:
    axioms = [
        axiom("partOf", str(RDF.type), str(OWL.TransitiveProperty)),
        axiom("partOf", str(OWL.inverseOf), "hasPart"),
    ]
    middle = ox.BlankNode("m")
    data = [ox.Triple(iri("a"), iri("partOf"), middle), ox.Triple(middle, iri("partOf"), iri("c"))]
    store = store_of(axioms, data)
    materialise(store)
    assert inferred(store) == {
        ox.Triple(iri("a"), iri("partOf"), iri("c")),
        ox.Triple(iri("c"), iri("hasPart"), iri("a")),
    }


def test_a_literal_is_never_turned_round() -> None:
    steps = PropertySteps.of(
        [
            axiom("code", str(RDFS.subPropertyOf), "identifier"),
            axiom("code", str(OWL.inverseOf), "codeOf"),
            axiom("identifier", str(RDF.type), str(OWL.SymmetricProperty)),
        ]
    )
    literal = ox.Triple(iri("a"), iri("code"), ox.Literal("371302"))
    node = ox.Triple(iri("a"), iri("code"), iri("b"))
    assert set(steps.entailed(literal)) == {
        ox.Triple(iri("a"), iri("identifier"), ox.Literal("371302"))
    }
    assert set(steps.entailed(node)) == {
        ox.Triple(iri("a"), iri("identifier"), iri("b")),
        ox.Triple(iri("b"), iri("identifier"), iri("a")),
        ox.Triple(iri("b"), iri("codeOf"), iri("a")),
    }


def test_a_small_difference_is_one_update(monkeypatch: pytest.MonkeyPatch) -> None:
    axioms = [
        axiom("partOf", str(RDF.type), str(OWL.TransitiveProperty)),
        axiom("Town", str(RDFS.subClassOf), "Place"),
    ]
    data = [
        ox.Triple(iri("a"), iri("partOf"), iri("b")),
        ox.Triple(iri("b"), iri("partOf"), iri("c")),
        ox.Triple(iri("a"), ox.NamedNode(str(RDF.type)), iri("Town")),
    ]
    store = store_of(axioms, data)
    materialise(store)
    store.update(
        f"DELETE DATA {{ GRAPH <{DATA.value}> {{ <{EX}b> <{EX}partOf> <{EX}c> }} }} ;"
        f"INSERT DATA {{ GRAPH <{DATA.value}> {{ <{EX}b> <{EX}partOf> <{EX}d> }} }}"
    )
    updates, inserts = record_updates(monkeypatch, store), count_inserts(monkeypatch, store)
    result = materialise(store)
    assert (result.added, result.removed) == (1, 1)
    assert inserts == [] and len(updates) == 1
    assert "DELETE DATA" in updates[0] and "INSERT DATA" in updates[0]
    assert inferred(store) == {
        ox.Triple(iri("a"), iri("partOf"), iri("d")),
        ox.Triple(iri("a"), ox.NamedNode(str(RDF.type)), iri("Place")),
    }


def test_types_through_a_property_keep_the_rounds() -> None:
    """An ontology that puts ``rdf:type`` in a property axiom is reasoned in rounds."""
    axioms = [
        axiom("kind", str(RDFS.subPropertyOf), str(RDF.type)),
        axiom("Town", str(RDFS.subClassOf), "Place"),
    ]
    store = store_of(axioms, [ox.Triple(iri("q"), iri("kind"), iri("Town"))])
    materialise(store)
    assert ox.Triple(iri("q"), ox.NamedNode(str(RDF.type)), iri("Place")) in inferred(store)
    assert inferred(store) == by_rounds(store)


def test_a_rebuild_that_removes_nothing_reads_no_triple_of_the_graph_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When every triple graph:inferred held is found entailed again (counted by hash), no pass
    looks each of them up to find what to remove."""
    from kgservice import streamed_reasoning

    axioms, data = random_city(7)
    store = store_of(axioms, data)
    materialise(store)

    def fresh(term: ox.Term) -> ox.Term:  # new nodes: no triple inferred before is asserted
        return iri(f"new-{term.value[len(EX) :]}") if isinstance(term, ox.NamedNode) else term

    more = [ox.Triple(fresh(t.subject), t.predicate, fresh(t.object)) for t in data[:20]]
    store.add_to_graph(ox.NamedNode(f"{EX}graph/more"), more)  # type: ignore[arg-type]

    def no_pass(*args: object) -> int:
        raise AssertionError("the removal pass ran")

    monkeypatch.setattr(streamed_reasoning, "_remove_unentailed", no_pass)
    result = materialise(store)
    assert result.added > 0 and result.removed == 0
    assert inferred(store) == by_rounds(store)
    assert result.triples == len(inferred(store))


def test_a_triple_written_by_this_rebuild_is_not_taken_for_an_old_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A new entailment written in a batch and derived again is found in graph:inferred: it
    must not count as one of the old triples found entailed, or the stale one would stay."""
    from kgservice import streamed_reasoning

    rdf_type = ox.NamedNode(str(RDF.type))
    axioms = [axiom("Town", str(RDFS.subClassOf), "Place")]
    axioms.append(axiom("Village", str(RDFS.subClassOf), "Place"))
    store = store_of(axioms, [ox.Triple(iri("y"), rdf_type, iri("Town"))])
    materialise(store)  # y a Place
    store.update(f"DELETE DATA {{ GRAPH <{DATA.value}> {{ <{EX}y> a <{EX}Town> }} }}")
    two = [
        ox.Triple(iri("x"), rdf_type, iri("Town")),
        ox.Triple(iri("x"), rdf_type, iri("Village")),
    ]
    store.add_to_graph(DATA, two)  # x a Place, derived twice
    monkeypatch.setattr(streamed_reasoning, "WRITE_BATCH", 1)
    result = materialise(store)
    assert (result.added, result.removed, result.triples) == (1, 1, 1)
    assert inferred(store) == {ox.Triple(iri("x"), rdf_type, iri("Place"))}
