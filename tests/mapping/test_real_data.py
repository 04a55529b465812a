"""The real open data files of ``data/real/`` map without error, and say what they should."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.namespace import RDF, RDFS

from kgservice.mapping import MappedSource, map_sources
from kgservice.mapping.provenance import VOID
from kgservice.namespaces import CITY, SCCM

REAL = Path(__file__).resolve().parents[2] / "data" / "real"
DIVISION = "https://w3id.org/sckm/id/division/"


@pytest.fixture(scope="module")
def real() -> dict[str, MappedSource]:
    paths = [
        REAL / "china-admin-divisions",
        REAL / "linyi-villages",
        REAL / "china-places-geonames",
        REAL / "china-transport-nodes-openflights",
    ]
    return {source.source_id: source for source in map_sources(paths)}


def subjects_of_type(source: MappedSource, type_iri: str) -> set[str]:
    """Subjects typed ``type_iri``, read off the N-Triples lines (fast for big sources)."""
    marker = f" <{RDF.type}> <{type_iri}> ."
    return {line.split(" ", 1)[0][1:-1] for line in source.ntriples if line.endswith(marker)}


def test_divisions_of_china(real: dict[str, MappedSource]) -> None:
    china = real["divisions-china"]
    assert china.record_count == 31 + 342 + 2978 + 41352
    townships = subjects_of_type(china, str(CITY.Township))
    assert len([t for t in townships if t.startswith(DIVISION + "3713")]) == 156
    assert len(subjects_of_type(china, str(CITY.Province))) == 31
    lanshan = f"<{DIVISION}371302> <{CITY.parentDivision}> <{DIVISION}371300> ."
    assert lanshan in china.ntriples
    assert f'<{DIVISION}371302> <{RDFS.label}> "兰山区"@zh .' in china.ntriples


def test_linyi_villages_without_the_placeholder(real: dict[str, MappedSource]) -> None:
    linyi = real["divisions-linyi-villages"]
    assert linyi.record_count == 14 + 156 + 4078
    assert len(subjects_of_type(linyi, str(CITY.Village))) == 4078
    counties = subjects_of_type(linyi, str(CITY.County))
    assert len(counties) == 13
    assert DIVISION + "371301" not in counties


def test_geonames_places(real: dict[str, MappedSource]) -> None:
    places = real["places-geonames"]
    assert places.record_count == 4963
    assert len(subjects_of_type(places, str(SCCM.Place))) == 4963
    linyi = URIRef("https://w3id.org/sckm/id/place/geonames/1803318")
    label = f'<{linyi}> <{RDFS.label}> "临沂"@zh .'
    assert label in places.ntriples


def test_openflights_transport_nodes(real: dict[str, MappedSource]) -> None:
    transport = real["transport-openflights"]
    assert transport.record_count == 457
    facilities = subjects_of_type(transport, str(CITY.Facility))
    assert len(facilities) == 258 + 120 + 13  # airports, stations, ports; no unknown/empty type
    airport = "https://w3id.org/sckm/id/facility/openflights/6385"
    assert f'<{airport}> <{CITY.facilityCode}> "LYI" .' in transport.ntriples


def test_catalog_counts_match(real: dict[str, MappedSource]) -> None:
    for source in real.values():
        catalog = source.catalog
        assert next(catalog.objects(None, CITY.recordCount)).toPython() == source.record_count
        assert next(catalog.objects(None, VOID.triples)).toPython() == source.triple_count
