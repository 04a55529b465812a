"""The Service Description: parses as Turtle and JSON-LD, lists every format, links VoID."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, Graph, URIRef

from kgservice.describe import serialize
from kgservice.describe.service import FORMAT_IRIS, SD, format_iri, service_description
from kgservice.describe.void import VOID
from kgservice.protocol.formats import FORMATS, JSON_LD, TURTLE

ENDPOINT = "https://kg.example.org/sparql"
VOID_URL = "https://kg.example.org/void"
SERVICE = URIRef(ENDPOINT + "#service")
ALL_FORMATS = [fmt for kind in FORMATS.values() for fmt in kind]


def described(union: bool = True, void_url: str | None = VOID_URL) -> Graph:
    return service_description(ENDPOINT, union_default_graph=union, void_url=void_url)


@pytest.mark.parametrize("fmt", [TURTLE, JSON_LD], ids=lambda f: f.label)
def test_it_parses_back_in_turtle_and_jsonld(fmt) -> None:
    data = serialize(described(), fmt)
    parsed = Graph().parse(data=data, format="turtle" if fmt is TURTLE else "json-ld")
    assert parsed.isomorphic(described())
    assert len(list(ox.parse(data, fmt.oxigraph))) == len(described())


def test_it_names_the_endpoint_languages_and_entailment() -> None:
    graph = described()
    assert (SERVICE, RDF.type, SD.Service) in graph
    assert (SERVICE, SD.endpoint, URIRef(ENDPOINT)) in graph
    assert set(graph.objects(SERVICE, SD.supportedLanguage)) == {
        SD.SPARQL11Query,
        SD.SPARQL11Update,
    }
    assert graph.value(SERVICE, SD.defaultEntailmentRegime) == URIRef(
        "http://www.w3.org/ns/entailment/Simple"
    )


def test_it_lists_all_ten_formats_by_their_w3c_iris() -> None:
    formats = set(described().objects(SERVICE, SD.resultFormat))
    assert len(ALL_FORMATS) == 10
    assert formats == {format_iri(fmt) for fmt in ALL_FORMATS} == set(FORMAT_IRIS.values())
    assert URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON") in formats
    assert URIRef("http://www.w3.org/ns/formats/RDF_XML") in formats
    assert all(str(iri).startswith("http://www.w3.org/ns/formats/") for iri in formats)


def test_union_default_graph_is_a_feature_only_when_on_and_federation_never() -> None:
    assert set(described(union=True).objects(SERVICE, SD.feature)) == {SD.UnionDefaultGraph}
    assert set(described(union=False).objects(SERVICE, SD.feature)) == set()
    assert (None, None, SD.BasicFederatedQuery) not in described()


def test_the_default_dataset_links_the_void_description() -> None:
    graph = described()
    dataset = graph.value(SERVICE, SD.defaultDataset)
    assert dataset == URIRef(VOID_URL + "#dataset")
    assert {SD.Dataset, VOID.Dataset} <= set(graph.objects(dataset, RDF.type))
    assert graph.value(dataset, RDFS.seeAlso) == URIRef(VOID_URL)


def test_without_a_void_url_no_dataset_is_described() -> None:
    assert described(void_url=None).value(SERVICE, SD.defaultDataset) is None
