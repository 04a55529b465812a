"""The JSON-LD @context of the city vocabulary: complete, and documents expand as intended."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, URIRef

from kgservice.describe.context import build_context, jsonld_context, vocabulary_terms
from kgservice.namespaces import CITY, ID, SCCM
from kgservice.ontology.files import load_model

PERSON = ID["person/abcdefghijklmnopqrstuvwxyz"]
DIVISION = ID["division/371302001001"]
ENTITY = ID["entity/91371300MA3C000000"]
DOCUMENT = {
    "@id": "id:person/abcdefghijklmnopqrstuvwxyz",
    "@type": "NaturalPerson",
    "personName": "张三",
    "birthDate": "1980-01-01",
    "residence": "id:division/371302001001",
    "legalRepresentativeOf": {
        "@id": "id:entity/91371300MA3C000000",
        "@type": ["LegalEntity", "sccm:Organization"],
        "registeredCapital": "100.50",
        "registrationDate": "2015-03-02",
        "legalName": {"@value": "临沂示例有限公司", "@language": "zh"},
    },
}
EXPECTED = {
    (PERSON, RDF.type, CITY.NaturalPerson),
    (PERSON, CITY.personName, Literal("张三", datatype=XSD.string)),
    (PERSON, CITY.birthDate, Literal("1980-01-01", datatype=XSD.date)),
    (PERSON, CITY.residence, DIVISION),
    (PERSON, CITY.legalRepresentativeOf, ENTITY),
    (ENTITY, RDF.type, CITY.LegalEntity),
    (ENTITY, RDF.type, SCCM.Organization),
    (ENTITY, CITY.registeredCapital, Literal("100.50", datatype=XSD.decimal)),
    (ENTITY, CITY.registrationDate, Literal("2015-03-02", datatype=XSD.date)),
    (ENTITY, CITY.legalName, Literal("临沂示例有限公司", lang="zh")),
}


@pytest.fixture(scope="module")
def context() -> dict:
    return jsonld_context()["@context"]


def document() -> str:
    """The document with the context inlined (no network, no document loader)."""
    return json.dumps({**jsonld_context(), **DOCUMENT}, ensure_ascii=False)


def test_it_is_a_json_ld_1_1_context_with_the_prefixes(context: dict) -> None:
    assert context["@version"] == 1.1
    for prefix in ("sccm", "city", "code", "skos", "dcterms", "xsd", "geo", "sosa", "id"):
        assert context[prefix].startswith("http"), prefix
    assert context["sccm"] == str(SCCM) and context["city"] == str(CITY)
    json.dumps(jsonld_context())  # plain JSON


def test_every_class_and_property_of_sccm_and_city_has_a_term(context: dict) -> None:
    terms = vocabulary_terms(load_model())
    assert len(terms) > 100
    for iri, kind in terms.items():
        local = str(iri).rsplit("/", 1)[-1]
        definition = context[local]
        compact = definition["@id"] if isinstance(definition, dict) else definition
        assert compact == ("sccm:" if iri.startswith(str(SCCM)) else "city:") + local
        if kind == "object":
            assert definition["@type"] == "@id", local


def test_coercions_follow_the_ontology(context: dict) -> None:
    assert context["NaturalPerson"] == "city:NaturalPerson"
    assert context["Agent"] == "sccm:Agent"
    assert context["residence"] == {"@id": "city:residence", "@type": "@id"}
    assert context["birthDate"] == {"@id": "city:birthDate", "@type": "xsd:date"}
    assert context["registeredCapital"] == {"@id": "city:registeredCapital", "@type": "xsd:decimal"}


def test_a_document_expands_with_rdflib() -> None:
    assert set(Graph().parse(data=document(), format="json-ld")) == EXPECTED


def test_a_document_expands_with_pyoxigraph() -> None:
    found = {
        (URIRef(q.subject.value), URIRef(q.predicate.value), _rdflib(q.object))
        for q in ox.parse(document(), ox.RdfFormat.JSON_LD)
    }
    assert found == EXPECTED


def _rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> URIRef | Literal:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    assert isinstance(term, ox.Literal)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def test_clashing_local_names_are_keyed_by_compact_iri() -> None:
    model = Graph()
    for namespace in (SCCM, CITY):
        model.add((namespace.shared, RDF.type, OWL.ObjectProperty))
        model.add((namespace.Thing, RDF.type, OWL.Class))
    model.add((CITY.geo, RDF.type, OWL.DatatypeProperty))  # same name as a prefix
    model.add((CITY.geo, RDFS.range, XSD.string))
    context = build_context(model)["@context"]
    assert "shared" not in context and "Thing" not in context
    assert context["sccm:shared"] == {"@id": "sccm:shared", "@type": "@id"}
    assert context["city:shared"] == {"@id": "city:shared", "@type": "@id"}
    assert context["geo"] == "http://www.opengis.net/ont/geosparql#"
    assert context["city:geo"] == {"@id": "city:geo", "@type": "xsd:string"}
