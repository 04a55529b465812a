"""Ontology terms: their descriptions and page data, read from the store's ontology graph."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import OWL, RDF, RDFS, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SKOS

from kgservice.describe import NotFound
from kgservice.describe.terms import curie, describe_term, term_page
from kgservice.loading import ONTOLOGY_GRAPH, ensure_ontology
from kgservice.namespaces import CITY, SCCM, TERM, TOP_ONTOLOGY, module_iri, version_iri
from kgservice.store.embedded import EmbeddedStore, open_embedded
from tests.describe.city import loaded_city


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    return loaded_city().store


def test_a_term_gives_its_description_with_blank_nodes_and_neighbours_labels(store) -> None:
    graph = describe_term(store, str(SCCM.Agent))
    assert (SCCM.Agent, RDFS.label, Literal("主体", lang="zh")) in graph
    assert (SCCM.Agent, RDFS.label, Literal("Agent", lang="en")) in graph
    assert (SCCM.Agent, RDFS.subClassOf, SCCM.Item) in graph
    assert (SCCM.Item, RDFS.label, Literal("条目", lang="zh")) in graph
    union = graph.value(graph.value(SCCM.Agent, OWL.equivalentClass), OWL.unionOf)
    assert set(Collection(graph, union)) == {SCCM.Person, SCCM.Organization}
    assert not list(graph.triples((SCCM.Item, RDFS.subClassOf, None)))  # only labels of others


def test_a_module_iri_gives_the_module(store) -> None:
    core = describe_term(store, module_iri("core"))
    assert (URIRef(module_iri("core")), RDF.type, OWL.Ontology) in core
    assert (SCCM.Person, RDF.type, OWL.Class) in core
    assert not list(core.triples((CITY.NaturalPerson, None, None)))
    assert describe_term(store, version_iri("core")).isomorphic(core)
    assert describe_term(store, str(SCCM)).isomorphic(core)  # the namespace, with its slash
    whole = describe_term(store, TOP_ONTOLOGY)
    stored = sum(1 for _ in store.triples(ox.NamedNode(ONTOLOGY_GRAPH)))
    assert len(whole) == stored


def test_unknown_terms_are_not_found(store) -> None:
    with pytest.raises(NotFound, match="not a term"):
        describe_term(store, str(SCCM.NoSuchThing))
    with pytest.raises(NotFound):
        term_page(store, str(CITY.nothing))


def test_the_page_of_a_class(store) -> None:
    page = term_page(store, str(CITY.NaturalPerson))
    assert (page.label_zh, page.label_en) == ("自然人", "Natural person")
    assert page.curie == "city:NaturalPerson"
    assert ("类", "Class") in page.kinds
    assert "公民身份号码" in page.definition_zh and "citizen identity" in page.definition_en
    assert "GB 11643-1999 公民身份号码" in page.sources
    relations = {en: [r.curie for r in refs] for _, en, refs in page.relations}
    assert relations["Superclasses"] == ["sccm:Person"]
    assert "city:birthDate" in relations["Properties with this domain"]
    assert page.module is not None and page.module.iri == module_iri("city")


def test_the_page_of_a_property(store) -> None:
    page = term_page(store, str(CITY.residence))
    relations = {en: [r.curie for r in refs] for _, en, refs in page.relations}
    assert relations["Domain"] == ["city:NaturalPerson"]
    assert relations["Range"] == ["sccm:Place"]
    assert relations["Inverse"] == ["city:residenceOf"]
    inverse = term_page(store, str(CITY.residenceOf))
    assert {en: [r.curie for r in refs] for _, en, refs in inverse.relations}["Inverse"] == [
        "city:residence"
    ]
    assert term_page(store, str(CITY.citizenId)).personal_data
    assert not page.personal_data


def test_the_page_of_a_gbt_37043_term_cites_its_clause(store) -> None:
    smart_city = next(
        s
        for s in describe_term(store, module_iri("terms")).subjects(SKOS.prefLabel, None)
        if str(s).startswith(str(TERM)) and "2.1.1" in str(s)
    )
    page = term_page(store, str(smart_city))
    assert page.label_zh == "智慧城市"
    assert any("GB/T 37043-2018" in source and "2.1.1" in source for source in page.sources)


def test_a_module_page_lists_its_terms(store) -> None:
    page = term_page(store, module_iri("core"))
    assert page.is_module
    assert {"sccm:Agent", "sccm:Person", "sccm:owns"} <= {m.curie for m in page.members}
    assert page.label_zh == "智慧城市核心概念模型"


def test_without_an_ontology_graph_the_bundled_model_answers() -> None:
    empty = open_embedded(None)
    assert term_page(empty, str(SCCM.Agent)).label_zh == "主体"


def test_a_changed_ontology_graph_is_read_again() -> None:
    store = open_embedded(None)
    ensure_ontology(store)
    assert term_page(store, str(SCCM.Agent)).alt_labels_en == ()
    triple = ox.Triple(
        ox.NamedNode(str(SCCM.Agent)),
        ox.NamedNode(str(SKOS.altLabel)),
        ox.Literal("Actor", language="en"),
    )
    store.add_to_graph(ox.NamedNode(ONTOLOGY_GRAPH), [triple])
    assert term_page(store, str(SCCM.Agent)).alt_labels_en == ("Actor",)


def test_curie() -> None:
    assert curie(str(SCCM.Agent)) == "sccm:Agent"
    assert curie("https://w3id.org/sckm/graph/population") == "graph:population"
    assert curie("http://example.org/x") == "http://example.org/x"
