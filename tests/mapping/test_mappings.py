"""Each source kind on a small fixture gives exactly the triples written out here by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD

from kgservice import iri
from kgservice.mapping import map_source, map_sources, run
from kgservice.namespaces import CITY
from tests.mapping.conftest import DATA, assert_same_triples, mapped, turtle

PERSON_1 = "742krxva5pcdwlfq5mo5n3maka"  # HMAC token of 11010519491231002X (demo secret)
PERSON_2 = "qk6nhacvbagwx3ftw7ij2gmwml"  # HMAC token of 371302198001010022
ADDRESS_1 = "lq65owg6qqy2ibpm4ervjhs6af"  # HMAC token of 371302001001|兰山区金雀山路1号
CRS84 = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"

POPULATION = f"""
<person/{PERSON_1}> a city:NaturalPerson ;
    city:citizenId "11010519491231002X" ; city:personName "张三" ;
    city:birthDate "1949-12-31"^^xsd:date ; city:sex code:sex-1 ;
    city:residence <division/371302001001> ; city:phone "13800138000" ;
    prov:wasDerivedFrom <source/population/population.csv#row=2> .
<person/{PERSON_2}> a city:NaturalPerson ;
    city:citizenId "371302198001010022" ; city:personName "李\\"四\\"" ;
    city:birthDate "2023-02-30"^^xsd:date ; city:sex code:sex-2 ;
    city:residence <division/371302001> ;
    prov:wasDerivedFrom <source/population/population.csv#row=3> .
"""

LEGAL_ENTITIES = f"""
<entity/91371302MA3C0J8X6K> a city:LegalEntity ;
    city:creditCode "91371302MA3C0J8X6K" ; city:organizationCode "MA3C0J8X6" ;
    city:legalName "临沂示例商贸有限公司" ; city:entityType code:entity-type-91 ;
    city:registrationDate "2015-03-02"^^xsd:date ; city:status code:entity-status-1 ;
    city:registeredCapital "100.50"^^xsd:decimal ; city:capitalCurrency "CNY" ;
    city:industry code:industry-F ; city:legalRepresentative <person/{PERSON_1}> ;
    city:registrationDivision <division/371302> ;
    city:registeredAddress <address/{ADDRESS_1}> ;
    prov:wasDerivedFrom <source/legal-entities/legal_entities.csv#row=2> .
<person/{PERSON_1}> city:citizenId "11010519491231002X" ; city:personName "张三" .
<address/{ADDRESS_1}> a city:Address ;
    city:addressText "兰山区金雀山路1号" ; city:inDivision <division/371302001001> ;
    prov:wasDerivedFrom <source/legal-entities/legal_entities.csv#row=2> .
<entity/92371300000000000X> a city:LegalEntity ;
    city:creditCode "92371300000000000X" ; city:legalName "个体工商户王五" ;
    city:entityType code:entity-type-92 ; city:status code:entity-status-9 ;
    city:registrationDivision <division/371300> ;
    prov:wasDerivedFrom <source/legal-entities/legal_entities.csv#row=3> .
"""

FACILITIES = f"""
<facility/facilities/F0001> a city:Facility ;
    rdfs:label "兰山第一小学"@zh ; city:facilityCode "F0001" ;
    city:facilityType code:facility-type-school-primary ;
    city:operator <entity/91371302MA3C0J8X6K> ; sccm:atPlace <division/371302001> ;
    city:facilityStatus code:facility-status-in-service ;
    wgs:lat "35.0631"^^xsd:decimal ; wgs:long "118.3428"^^xsd:decimal ;
    geo:hasGeometry <facility/facilities/F0001#geometry> ;
    prov:wasDerivedFrom <source/facilities/facilities.csv#row=2> .
<facility/facilities/F0001#geometry> a geo:Geometry ;
    geo:asWKT "{CRS84} POINT(118.3428 35.0631)"^^geo:wktLiteral ;
    prov:wasDerivedFrom <source/facilities/facilities.csv#row=2> .
<facility/facilities/F0002> a city:Facility , city:Sensor ;
    rdfs:label "金雀山路口摄像头"@zh ; city:facilityCode "F0002" ;
    city:facilityType code:facility-type-video-camera ; sccm:atPlace <division/371302001> ;
    city:facilityStatus code:facility-status-planned ;
    prov:wasDerivedFrom <source/facilities/facilities.csv#row=3> .
"""

DIVISIONS = """
<division/370000> a city:Province ; rdfs:label "山东省"@zh ; city:divisionCode "370000" ;
    prov:wasDerivedFrom <source/divisions/divisions.csv#row=2> .
<division/371300> a city:Prefecture ; rdfs:label "临沂市"@zh ; city:divisionCode "371300" ;
    city:parentDivision <division/370000> ;
    prov:wasDerivedFrom <source/divisions/divisions.csv#row=3> .
<division/371302> a city:County ; rdfs:label "兰山区"@zh ; city:divisionCode "371302" ;
    city:parentDivision <division/371300> ;
    prov:wasDerivedFrom <source/divisions/divisions.csv#row=4> .
<division/371302001> a city:Township ; rdfs:label "兰山街道"@zh ;
    city:divisionCode "371302001" ; city:parentDivision <division/371302> ;
    prov:wasDerivedFrom <source/divisions/divisions.csv#row=5> .
<division/371302001001> a city:Village ; rdfs:label "金雀山社区居委会"@zh ;
    city:divisionCode "371302001001" ; city:parentDivision <division/371302001> ;
    prov:wasDerivedFrom <source/divisions/divisions.csv#row=6> .
"""

DIVISIONS_CHINA = """
<division/110000> a city:Province ; rdfs:label "北京市"@zh ; city:divisionCode "110000" ;
    prov:wasDerivedFrom <source/divisions-china/provinces.csv#row=2> .
<division/370000> a city:Province ; rdfs:label "山东省"@zh ; city:divisionCode "370000" ;
    prov:wasDerivedFrom <source/divisions-china/provinces.csv#row=3> .
<division/110100> a city:Prefecture ; rdfs:label "市辖区"@zh ; city:divisionCode "110100" ;
    city:parentDivision <division/110000> ;
    prov:wasDerivedFrom <source/divisions-china/cities.csv#row=2> .
<division/371300> a city:Prefecture ; rdfs:label "临沂市"@zh ; city:divisionCode "371300" ;
    city:parentDivision <division/370000> ;
    prov:wasDerivedFrom <source/divisions-china/cities.csv#row=3> .
<division/110101> a city:County ; rdfs:label "东城区"@zh ; city:divisionCode "110101" ;
    city:parentDivision <division/110100> ;
    prov:wasDerivedFrom <source/divisions-china/areas.csv#row=2> .
<division/371302> a city:County ; rdfs:label "兰山区"@zh ; city:divisionCode "371302" ;
    city:parentDivision <division/371300> ;
    prov:wasDerivedFrom <source/divisions-china/areas.csv#row=3> .
<division/371302001> a city:Township ; rdfs:label "兰山街道"@zh ;
    city:divisionCode "371302001" ; city:parentDivision <division/371302> ;
    prov:wasDerivedFrom <source/divisions-china/streets.csv#row=2> .
"""

LINYI_VILLAGES = """
<division/371302> a city:County ; rdfs:label "兰山区"@zh ; city:divisionCode "371302" ;
    city:parentDivision <division/371300> ;
    prov:wasDerivedFrom <source/divisions-linyi-villages/linyi-345-3713-flat.csv#row=3> .
<division/371302001> a city:Township ; rdfs:label "兰山街道"@zh ;
    city:divisionCode "371302001" ; city:parentDivision <division/371302> ;
    prov:wasDerivedFrom <source/divisions-linyi-villages/linyi-345-3713-flat.csv#row=4> .
<division/371302001001> a city:Village ; rdfs:label "金雀山社区居委会"@zh ;
    city:divisionCode "371302001001" ; city:parentDivision <division/371302001> ;
    prov:wasDerivedFrom <source/divisions-linyi-villages/linyi-345-3713-flat.csv#row=5> .
"""

GEONAMES = f"""
<place/geonames/1803318> a sccm:Place ; rdfs:label "Linyi"@en , "临沂"@zh ;
    wgs:lat "35.06306"^^xsd:decimal ; wgs:long "118.34278"^^xsd:decimal ;
    geo:hasGeometry <place/geonames/1803318#geometry> ;
    rdfs:seeAlso <https://sws.geonames.org/1803318/> ;
    prov:wasDerivedFrom <source/places-geonames/cn-cities1000.csv#row=2> .
<place/geonames/1803318#geometry> a geo:Geometry ;
    geo:asWKT "{CRS84} POINT(118.34278 35.06306)"^^geo:wktLiteral ;
    prov:wasDerivedFrom <source/places-geonames/cn-cities1000.csv#row=2> .
<place/geonames/1279429> a sccm:Place ; rdfs:label "Zongga"@en ;
    wgs:lat "29.0"^^xsd:decimal ; wgs:long "85.25"^^xsd:decimal ;
    geo:hasGeometry <place/geonames/1279429#geometry> ;
    rdfs:seeAlso <https://sws.geonames.org/1279429/> ;
    prov:wasDerivedFrom <source/places-geonames/cn-cities1000.csv#row=3> .
<place/geonames/1279429#geometry> a geo:Geometry ;
    geo:asWKT "{CRS84} POINT(85.25 29.0)"^^geo:wktLiteral ;
    prov:wasDerivedFrom <source/places-geonames/cn-cities1000.csv#row=3> .
"""

OPENFLIGHTS = f"""
<facility/openflights/6385> a city:Facility ; rdfs:label "Shubuling Airport"@en ;
    city:facilityType code:facility-type-airport ; city:facilityCode "LYI" , "ZSLY" ;
    wgs:lat "35.0461"^^xsd:decimal ; wgs:long "118.412"^^xsd:decimal ;
    geo:hasGeometry <facility/openflights/6385#geometry> ;
    prov:wasDerivedFrom <source/transport-openflights/china-airports-stations-ports.csv#row=2> .
<facility/openflights/6385#geometry> a geo:Geometry ;
    geo:asWKT "{CRS84} POINT(118.412 35.0461)"^^geo:wktLiteral ;
    prov:wasDerivedFrom <source/transport-openflights/china-airports-stations-ports.csv#row=2> .
<facility/openflights/8001> a city:Facility ; rdfs:label "Linyi Railway Station"@en ;
    city:facilityType code:facility-type-railway-station ; city:facilityCode "8001" ;
    wgs:lat "35.11"^^xsd:decimal ; wgs:long "118.31"^^xsd:decimal ;
    geo:hasGeometry <facility/openflights/8001#geometry> ;
    prov:wasDerivedFrom <source/transport-openflights/china-airports-stations-ports.csv#row=3> .
<facility/openflights/8001#geometry> a geo:Geometry ;
    geo:asWKT "{CRS84} POINT(118.31 35.11)"^^geo:wktLiteral ;
    prov:wasDerivedFrom <source/transport-openflights/china-airports-stations-ports.csv#row=3> .
"""

CASES = [
    ("population.csv", "population", 2, POPULATION),
    ("legal_entities.csv", "legal-entities", 2, LEGAL_ENTITIES),
    ("facilities.csv", "facilities", 2, FACILITIES),
    ("divisions.csv", "divisions", 5, DIVISIONS),
    ("china", "divisions-china", 7, DIVISIONS_CHINA),
    ("linyi-345-3713-flat.csv", "divisions-linyi-villages", 4, LINYI_VILLAGES),
    ("cn-cities1000.csv", "places-geonames", 2, GEONAMES),
    ("china-airports-stations-ports.csv", "transport-openflights", 4, OPENFLIGHTS),
]


@pytest.mark.parametrize(("path", "source_id", "records", "expected"), CASES)
def test_source_maps_to_the_expected_triples(
    path: str, source_id: str, records: int, expected: str
) -> None:
    source = mapped(path)
    assert source.source_id == source_id
    assert source.graph == URIRef(f"https://w3id.org/sckm/graph/{source_id}")
    assert source.record_count == records
    expected_graph = turtle(expected)
    assert_same_triples(source.data_graph(), expected_graph)
    assert source.triple_count == len(expected_graph)


def test_lexical_forms_are_kept() -> None:
    """Decimals and dates keep the text of the file (rdflib would normalise them)."""
    lines = mapped("legal_entities.csv").ntriples
    assert any('"100.50"^^<http://www.w3.org/2001/XMLSchema#decimal>' in line for line in lines)
    lines = mapped("population.csv").ntriples
    assert any('"2023-02-30"^^<http://www.w3.org/2001/XMLSchema#date>' in line for line in lines)


def test_record_iri_names_file_and_line() -> None:
    graph = mapped("population.csv").data_graph()
    person = next(graph.subjects(CITY.citizenId, Literal("371302198001010022")))
    (record,) = graph.objects(person, PROV.wasDerivedFrom)
    assert record == URIRef("https://w3id.org/sckm/id/source/population/population.csv#row=3")
    assert record == iri.record_iri("population", "population.csv", 3)


def test_forced_kind_uses_the_file_name_in_record_iris(tmp_path: Path) -> None:
    path = tmp_path / "people 2024.csv"
    path.write_bytes((DATA / "population.csv").read_bytes())
    (mapped,) = map_sources([f"population={path}"])
    records = set(mapped.data_graph().objects(None, PROV.wasDerivedFrom))
    assert iri.record_iri("population", "people 2024.csv", 2) in records


def test_iris_agree_with_kgservice_iri() -> None:
    """The mappings mint the IRIs that kgservice.iri mints for the same values."""
    graph = mapped("legal_entities.csv").data_graph()
    entity = iri.entity_iri("91371302MA3C0J8X6K")
    assert (entity, RDF.type, CITY.LegalEntity) in graph
    assert (entity, CITY.legalRepresentative, iri.person_iri("11010519491231002X")) in graph
    address = iri.address_iri("371302001001", "兰山区金雀山路1号")
    assert (entity, CITY.registeredAddress, address) in graph
    facilities = mapped("facilities.csv").data_graph()
    assert (iri.facility_iri("facilities", "F0001"), RDF.type, CITY.Facility) in facilities
    places = mapped("cn-cities1000.csv").data_graph()
    assert (iri.place_iri("geonames", "1803318"), RDF.type, None) in places
    divisions = mapped("china").data_graph()
    assert (iri.division_iri("3713"), CITY.divisionCode, Literal("371300")) in divisions


@pytest.mark.parametrize("path", ["population.csv", "legal_entities.csv"])
def test_person_iris_never_contain_the_citizen_id(path: str) -> None:
    graph = mapped(path).data_graph()
    ids = {str(value) for value in graph.objects(None, CITY.citizenId)}
    assert ids
    iris = {str(term) for triple in graph for term in triple if isinstance(term, URIRef)}
    for citizen_id in ids:
        assert not [i for i in iris if citizen_id in i or citizen_id[:17] in i]
    for person in graph.subjects(CITY.citizenId, None):
        assert re.fullmatch(r"https://w3id\.org/sckm/id/person/[a-z2-7]{26}", str(person))


def test_mapping_is_deterministic() -> None:
    first = mapped("facilities.csv")
    second = map_source(DATA / "facilities.csv")
    assert first.ntriples == second.ntriples
    assert list(first.ntriples) == sorted(first.ntriples)


def test_header_only_file_maps_to_nothing(tmp_path: Path) -> None:
    path = tmp_path / "population.csv"
    path.write_text((DATA / "population.csv").read_text("utf-8").splitlines()[0] + "\n", "utf-8")
    source = map_source(path)
    assert source.record_count == 0
    assert source.triple_count == 0


def test_literal_datatypes() -> None:
    graph = mapped("population.csv").data_graph()
    dates = list(graph.objects(None, CITY.birthDate))
    assert {d.datatype for d in dates} == {XSD.date}


def test_mapping_in_chunks_gives_the_same_triples(monkeypatch: pytest.MonkeyPatch) -> None:
    """Big inputs are mapped a chunk at a time; the union is the triples of the whole."""
    monkeypatch.setattr(run, "CHUNK_ROWS", 1)
    for name in ("legal_entities.csv", "facilities.csv"):
        assert map_source(DATA / name).ntriples == mapped(name).ntriples


def test_triples_and_quads_parse_block_by_block(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "PARSE_LINES", 2)
    source = mapped("facilities.csv")
    triples = list(source.triples())
    assert len(triples) == source.triple_count
    quads = list(source.quads())
    assert {q.graph_name.value for q in quads} == {"https://w3id.org/sckm/graph/facilities"}
    assert [q.triple for q in quads] == triples


def test_statements_behave_as_their_sorted_tuple(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mapped statements are kept as one UTF-8 text; they read as the sorted tuple of strings."""
    monkeypatch.setattr(run, "PARSE_LINES", 3)
    lines = sorted({'<urn:b> <urn:p> "é" .', '<urn:a> <urn:p> "z" .', "<urn:c> <urn:p> <urn:o> ."})
    lines += ['<urn:d> <urn:p> "临沂" .', '<urn:d> <urn:q> "😀" .']
    runs = [run.Statements(line.encode() for line in part) for part in (lines[::2], lines[1::2])]
    statements = run.Statements.merged([*runs, runs[0]])  # a repeated run: kept once
    assert statements == tuple(lines) and list(statements) == lines
    assert len(statements) == 5 and statements[-1] == lines[-1] and statements[1:4] == lines[1:4]
    assert lines[3] in statements and '<urn:e> <urn:p> "x" .' not in statements
    assert run.Statements() == () and list(run.Statements()) == []
    source = mapped("population.csv")
    assert isinstance(source.ntriples, run.Statements)
    assert list(source.ntriples) == sorted(set(source.ntriples))
