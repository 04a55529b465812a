"""The catalog description of a mapped source (docs/data-model.md §3)."""

from __future__ import annotations

from datetime import UTC, datetime

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV, RDF, RDFS, XSD

from kgservice.mapping.provenance import VOID, FileFacts, describe_source
from kgservice.mapping.sources import SOURCE_KINDS
from kgservice.namespaces import CITY, SCCM
from tests.mapping.conftest import DATA, mapped

ID = "https://w3id.org/sckm/id/"
DATASET = URIRef(ID + "dataset/population")
DEPARTMENT = URIRef(ID + "department/public-security")


def test_catalog_describes_the_population_source() -> None:
    source = mapped("population.csv")
    catalog = source.catalog
    assert (DATASET, RDF.type, DCAT.Dataset) in catalog
    assert (DATASET, RDF.type, PROV.Entity) in catalog
    assert (DATASET, DCTERMS.title, Literal("人口登记 (population.csv)", lang="zh")) in catalog
    assert (
        DATASET,
        DCTERMS.title,
        Literal("Population register (population.csv)", lang="en"),
    ) in catalog
    assert (DATASET, DCTERMS.publisher, DEPARTMENT) in catalog
    source_file = URIRef(ID + "source/population/population.csv")
    assert (DATASET, DCTERMS.source, source_file) in catalog
    assert (DATASET, PROV.wasDerivedFrom, source_file) in catalog
    assert (DATASET, CITY.recordCount, Literal(2, datatype=XSD.integer)) in catalog
    assert (DATASET, VOID.triples, Literal(15, datatype=XSD.integer)) in catalog
    assert source.triple_count == 15
    assert (DATASET, CITY.namedGraph, URIRef("https://w3id.org/sckm/graph/population")) in catalog
    (distribution,) = catalog.objects(DATASET, DCAT.distribution)
    assert (distribution, RDF.type, DCAT.Distribution) in catalog
    assert (distribution, DCAT.mediaType, Literal("text/csv")) in catalog
    size = (DATA / "population.csv").stat().st_size
    assert (distribution, DCAT.byteSize, Literal(size, datatype=XSD.integer)) in catalog
    (when,) = catalog.objects(DATASET, PROV.generatedAtTime)
    assert when.datatype == XSD.dateTime
    assert str(when).endswith("Z")
    assert (DEPARTMENT, RDF.type, CITY.GovernmentDepartment) in catalog
    assert (DEPARTMENT, CITY.legalName, Literal("临沂市公安局")) in catalog


def test_many_file_source_has_one_distribution_per_file() -> None:
    source = mapped("china")
    dataset = URIRef(ID + "dataset/divisions-china")
    catalog = source.catalog
    titles = {
        str(catalog.value(d, DCTERMS.title)) for d in catalog.objects(dataset, DCAT.distribution)
    }
    assert titles == {"provinces.csv", "cities.csv", "areas.csv", "streets.csv"}
    assert len(set(catalog.objects(dataset, DCTERMS.source))) == 4
    assert (dataset, CITY.recordCount, Literal(7, datatype=XSD.integer)) in catalog
    publisher = URIRef(ID + "department/national-bureau-of-statistics")
    assert (publisher, CITY.legalName, Literal("国家统计局")) in catalog


def test_open_data_publisher_is_an_organization() -> None:
    catalog = mapped("cn-cities1000.csv").catalog
    publisher = URIRef(ID + "department/geonames")
    assert (publisher, RDF.type, SCCM.Organization) in catalog
    assert (publisher, RDFS.label, Literal("GeoNames", lang="en")) in catalog
    assert (publisher, RDF.type, CITY.GovernmentDepartment) not in catalog


def test_description_is_deterministic_at_a_given_time() -> None:
    at = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    facts = [FileFacts("population.csv", 812345)]
    kind = SOURCE_KINDS["population"]
    first = describe_source(kind, facts, 10000, 81234, at)
    second = describe_source(kind, facts, 10000, 81234, at)
    assert set(first) == set(second)
    assert any(isinstance(o, BNode) for o in first.objects(DATASET, DCAT.distribution))
    lexical = {str(o) for o in first.objects(DATASET, PROV.generatedAtTime)}
    assert lexical == {"2026-11-22T03:00:00Z"}
