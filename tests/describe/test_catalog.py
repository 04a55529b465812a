"""The DCAT catalogue: one dataset per named graph, with the loader's provenance."""

from __future__ import annotations

from datetime import datetime

import pyoxigraph as ox
import pytest
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS

from kgservice.describe import serialize, to_rdflib
from kgservice.describe.catalog import (
    CATALOG_IRI,
    PERSONAL_GRAPH,
    catalog_graph,
    catalog_rows,
    minimal_dataset_iri,
)
from kgservice.describe.void import VOID
from kgservice.iri import dataset_iri, graph_iri
from kgservice.loading import CATALOG_GRAPH, ONTOLOGY_GRAPH, ensure_ontology
from kgservice.namespaces import CITY
from kgservice.privacy import is_personal_graph
from kgservice.protocol.formats import JSON_LD, TURTLE
from kgservice.store.embedded import EmbeddedStore, open_embedded
from tests.describe.city import PEOPLE, LoadedCity, loaded_city

ENDPOINT = "https://kg.example.org/sparql"


@pytest.fixture(scope="module")
def city() -> LoadedCity:
    return loaded_city()


@pytest.fixture(scope="module")
def catalog(city: LoadedCity) -> Graph:
    return catalog_graph(city.store, endpoint_url=ENDPOINT)


def graphs_of_datasets(catalog: Graph) -> list[str]:
    """Every graph a dataset names (its own graph or its personal graph), with repeats."""
    return [
        str(g)
        for dataset in catalog.subjects(RDF.type, DCAT.Dataset)
        for p in (CITY.namedGraph, PERSONAL_GRAPH)
        for g in catalog.objects(dataset, p)
    ]


def test_one_dataset_per_named_graph(city: LoadedCity, catalog: Graph) -> None:
    named = graphs_of_datasets(catalog)
    assert sorted(named) == sorted(g.value for g in city.store.graph_names())
    own_graphs = [str(g) for g in catalog.objects(None, CITY.namedGraph)]
    assert (
        len(own_graphs)
        == len(set(own_graphs))
        == len(set(catalog.subjects(RDF.type, DCAT.Dataset)))
    )


def test_record_counts_are_those_the_generator_wrote(city: LoadedCity, catalog: Graph) -> None:
    records = {
        str(dataset).rsplit("/", 1)[-1]: int(value)
        for dataset, value in catalog.subject_objects(CITY.recordCount)
    }
    assert records == city.records
    assert records["population"] == city.manifest["people"] == PEOPLE


def test_the_graphs_the_loader_does_not_describe_get_minimal_entries(
    city: LoadedCity, catalog: Graph
) -> None:
    ontology = dataset_iri("ontology")
    assert catalog.value(ontology, CITY.namedGraph) == URIRef(ONTOLOGY_GRAPH)
    ontology_triples = sum(1 for _ in city.store.triples(ox.NamedNode(ONTOLOGY_GRAPH)))
    assert int(catalog.value(ontology, VOID.triples)) == ontology_triples
    assert catalog.value(dataset_iri("catalog"), CITY.namedGraph) == URIRef(CATALOG_GRAPH)


def test_the_catalog_lists_every_dataset_and_the_service(catalog: Graph) -> None:
    datasets = set(catalog.subjects(RDF.type, DCAT.Dataset))
    assert (CATALOG_IRI, RDF.type, DCAT.Catalog) in catalog
    assert set(catalog.objects(CATALOG_IRI, DCAT.dataset)) == datasets
    service = catalog.value(CATALOG_IRI, DCAT.service)
    assert catalog.value(service, DCAT.endpointURL) == URIRef(ENDPOINT)
    assert set(catalog.objects(service, DCAT.servesDataset)) == datasets


def test_rows_carry_the_provenance(city: LoadedCity, catalog: Graph) -> None:
    rows = {row.graph: row for row in catalog_rows(city.store, catalog)}
    population = rows[str(graph_iri("population"))]
    assert population.title_zh.startswith("人口登记")
    assert population.title_en.startswith("Population register")
    assert population.department_zh == "临沂市公安局"
    assert population.department_en == "Linyi Public Security Bureau"
    assert population.sources == ("population.csv",)
    assert population.records == PEOPLE
    assert population.personal_graph == str(graph_iri("population")) + "/personal"
    assert population.from_loader
    assert datetime.fromisoformat(population.loaded or "").year >= 2024
    public = sum(1 for _ in city.store.triples(ox.NamedNode(population.graph or "")))
    assert population.triples == public
    ontology = rows[ONTOLOGY_GRAPH]
    assert not ontology.from_loader and ontology.records is None and ontology.department is None
    assert ontology.title_en.startswith("Ontology")


def test_hidden_graphs_do_not_exist_in_the_catalogue(city: LoadedCity) -> None:
    catalog = catalog_graph(city.store, hidden=is_personal_graph)
    visible = [g.value for g in city.store.graph_names() if not is_personal_graph(g.value)]
    assert sorted(graphs_of_datasets(catalog)) == sorted(visible)
    assert not list(catalog.objects(None, PERSONAL_GRAPH))


@pytest.mark.parametrize("fmt", [TURTLE, JSON_LD], ids=lambda f: f.label)
def test_it_serialises(catalog: Graph, fmt) -> None:
    # Parsed by pyoxigraph: rdflib's parser would rewrite "…Z" date-times as "…+00:00".
    parsed = to_rdflib(quad.triple for quad in ox.parse(serialize(catalog, fmt), fmt.oxigraph))
    assert parsed.isomorphic(catalog)


def test_a_graph_stored_through_the_graph_store_gets_a_minimal_entry() -> None:
    store: EmbeddedStore = open_embedded(None)
    ensure_ontology(store)
    ex = "http://example.org/graph/people"
    triple = ox.Triple(
        ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/p"), ox.Literal("1")
    )
    store.put_graph(ox.NamedNode(ex), [triple])
    catalog = catalog_graph(store)
    dataset = minimal_dataset_iri(ex)
    assert str(dataset) == str(dataset_iri(ex))
    assert catalog.value(dataset, CITY.namedGraph) == URIRef(ex)
    assert int(catalog.value(dataset, VOID.triples)) == 1
    assert {str(t) for t in catalog.objects(dataset, DCTERMS.title)} == {
        f"命名图 <{ex}>",
        f"Named graph <{ex}>",
    }
    assert sorted(graphs_of_datasets(catalog)) == sorted([ex, ONTOLOGY_GRAPH])
    assert [row.graph for row in catalog_rows(store)] == sorted([ex, ONTOLOGY_GRAPH])


def test_an_empty_store_has_an_empty_catalogue() -> None:
    catalog = catalog_graph(open_embedded(None))
    assert not list(catalog.subjects(RDF.type, DCAT.Dataset))
    assert (CATALOG_IRI, RDF.type, DCAT.Catalog) in catalog
