"""VoID: counts per graph, classes and properties equal independent counts of the store."""

from __future__ import annotations

import time
from collections import Counter

import pyoxigraph as ox
import pytest
from rdflib import RDF, Graph, Literal, URIRef

from kgservice.describe import serialize
from kgservice.describe.void import SD, VOID, void_dataset_iri, void_description
from kgservice.namespaces import CITY
from kgservice.privacy import is_personal_graph
from kgservice.protocol.formats import TURTLE
from kgservice.store.embedded import EmbeddedStore, open_embedded
from tests.describe.city import PEOPLE, loaded_city

DATASET = URIRef("https://kg.example.org/void#dataset")
RDF_TYPE = ox.NamedNode(str(RDF.type))


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    return loaded_city().store


@pytest.fixture(scope="module")
def void(store: EmbeddedStore) -> Graph:
    return void_description(store, str(DATASET), sparql_endpoint="https://kg.example.org/sparql")


def count(graph: Graph, node, predicate: URIRef) -> int:
    value = graph.value(node, predicate)
    assert isinstance(value, Literal), f"no {predicate} on {node}"
    return int(value)


def subsets(void: Graph) -> dict[str, object]:
    return {str(void.value(s, SD.name)): s for s in void.objects(DATASET, VOID.subset)}


def test_the_dataset_iri_is_the_void_url_with_a_fragment() -> None:
    assert void_dataset_iri("https://kg.example.org/void") == str(DATASET)


def test_triples_per_graph_equal_the_quads_of_each_graph(store, void) -> None:
    expected = Counter(quad.graph_name.value for quad in store.oxigraph)
    found = {name: count(void, s, VOID.triples) for name, s in subsets(void).items()}
    assert found == dict(expected)
    assert len(found) == len(store.graph_names())
    assert count(void, DATASET, VOID.triples) == len(store.oxigraph) == sum(expected.values())


def test_distinct_subjects_per_graph(store, void) -> None:
    subjects: dict[str, set] = {}
    for quad in store.oxigraph:
        subjects.setdefault(quad.graph_name.value, set()).add(quad.subject)
    found = {name: count(void, s, VOID.distinctSubjects) for name, s in subsets(void).items()}
    assert found == {name: len(values) for name, values in subjects.items()}
    everything = {quad.subject for quad in store.oxigraph}
    assert count(void, DATASET, VOID.distinctSubjects) == len(everything)


def test_class_partitions_count_distinct_instances(store, void) -> None:
    instances: dict[str, set] = {}
    for quad in store.oxigraph.quads_for_pattern(None, RDF_TYPE, None):
        instances.setdefault(quad.object.value, set()).add(quad.subject)
    partitions = {
        str(void.value(p, VOID["class"])): count(void, p, VOID.entities)
        for p in void.objects(DATASET, VOID.classPartition)
    }
    assert partitions == {cls: len(subjects) for cls, subjects in instances.items()}
    assert partitions[str(CITY.NaturalPerson)] == PEOPLE
    assert count(void, DATASET, VOID.classes) == len(partitions)


def test_property_partitions_count_triples(store, void) -> None:
    expected = Counter(quad.predicate.value for quad in store.oxigraph)
    partitions = {
        str(void.value(p, VOID.property)): count(void, p, VOID.triples)
        for p in void.objects(DATASET, VOID.propertyPartition)
    }
    assert partitions == dict(expected)
    assert partitions[str(CITY.birthDate)] == PEOPLE
    assert count(void, DATASET, VOID.properties) == len(partitions)


def test_hidden_graphs_are_left_out_of_every_count(store) -> None:
    hidden = [g.value for g in store.graph_names() if is_personal_graph(g.value)]
    assert hidden, "the loader writes personal graphs for population and legal entities"
    void = void_description(store, str(DATASET), hidden=is_personal_graph)
    visible = [q for q in store.oxigraph if not is_personal_graph(q.graph_name.value)]
    assert set(subsets(void)) == {g.value for g in store.graph_names()} - set(hidden)
    assert count(void, DATASET, VOID.triples) == len(visible)
    partitions = {
        str(void.value(p, VOID.property)): count(void, p, VOID.triples)
        for p in void.objects(DATASET, VOID.propertyPartition)
    }
    assert partitions == dict(Counter(q.predicate.value for q in visible))
    assert count(void, DATASET, VOID.distinctSubjects) == len({q.subject for q in visible})


def test_it_names_the_endpoint_and_serialises(void) -> None:
    assert void.value(DATASET, VOID.sparqlEndpoint) == URIRef("https://kg.example.org/sparql")
    assert Graph().parse(data=serialize(void, TURTLE), format="turtle").isomorphic(void)


def test_a_non_empty_default_graph_is_an_unnamed_subset() -> None:
    store = open_embedded(None, union_default_graph=False)
    ex = "http://example.org/"
    triple = ox.Triple(ox.NamedNode(ex + "a"), ox.NamedNode(ex + "p"), ox.Literal("x"))
    store.add_to_graph(ox.DefaultGraph(), [triple])
    store.add_to_graph(ox.NamedNode(ex + "g"), [triple])
    void = void_description(store, str(DATASET))
    named = [s for s in void.objects(DATASET, VOID.subset) if void.value(s, SD.name)]
    unnamed = [s for s in void.objects(DATASET, VOID.subset) if not void.value(s, SD.name)]
    assert [count(void, s, VOID.triples) for s in named + unnamed] == [1, 1]
    assert count(void, DATASET, VOID.triples) == 2
    assert count(void, DATASET, VOID.distinctSubjects) == 1


def test_an_empty_store_has_zero_triples() -> None:
    void = void_description(open_embedded(None), str(DATASET))
    assert count(void, DATASET, VOID.triples) == 0
    assert not list(void.objects(DATASET, VOID.subset))


def big_store(quads: int = 100_000) -> EmbeddedStore:
    """``quads`` quads over 5 graphs, 20 classes and 40 properties (built in a fraction of a
    second, where generating and mapping a city that large takes 10 s)."""
    store = open_embedded(None)
    ex = "http://example.org/"
    graphs = [ox.NamedNode(f"{ex}graph/{i}") for i in range(5)]
    properties = [ox.NamedNode(f"{ex}p{i}") for i in range(40)]
    classes = [ox.NamedNode(f"{ex}C{i}") for i in range(20)]

    def quad(i: int) -> ox.Quad:
        subject = ox.NamedNode(f"{ex}s{i // 8}")
        graph = graphs[(i // 8) % 5]
        if i % 8 == 0:
            return ox.Quad(subject, RDF_TYPE, classes[(i // 8) % 20], graph)
        return ox.Quad(subject, properties[i % 40], ox.Literal(str(i)), graph)

    store.oxigraph.extend(quad(i) for i in range(quads))
    return store


def test_it_runs_well_under_a_second_on_100k_triples() -> None:
    store = big_store()
    assert len(store.oxigraph) == 100_000
    started = time.perf_counter()
    void = void_description(store, str(DATASET))
    elapsed = time.perf_counter() - started
    assert count(void, DATASET, VOID.triples) == 100_000
    assert count(void, DATASET, VOID.classes) == 20
    assert elapsed < 1.0, f"VoID took {elapsed:.2f} s on 100,000 quads"
