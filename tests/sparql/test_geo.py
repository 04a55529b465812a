"""GeoSPARQL on the embedded store, with real coordinates from the shipped data (data/real/).

Places: GeoNames' Linyi (临沂, 1803318) and Jinan (济南, 1805753); airports: OpenFlights'
Shubuling Airport of Linyi (LYI, 6385) and Yaoqiang Airport of Jinan (TNA, 4108), read from the
CSV files the project ships. Each relation is checked twice: as the engine evaluates it
(pyoxigraph's own GeoSPARQL, what the service uses) and as the shapely stand-ins of
kgservice.sparql.geo do inside the same engine (``custom_functions``, which take precedence
over built-in functions): both must agree.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import pytest

from kgservice.settings import load_settings
from kgservice.sparql import geo
from kgservice.store.embedded import open_embedded
from kgservice.web.app import create_app
from tests.web.service import make_app

DATA = Path(__file__).resolve().parents[2] / "data" / "real"
GEONAMES = DATA / "china-places-geonames" / "cn-cities1000.csv"
OPENFLIGHTS = DATA / "china-transport-nodes-openflights" / "china-airports-stations-ports.csv"
CRS84 = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
EPSG4326 = "<http://www.opengis.net/def/crs/EPSG/0/4326>"
PREFIXES = """PREFIX geo: <http://www.opengis.net/ont/geosparql#>
PREFIX geof: <http://www.opengis.net/def/function/geosparql/>
PREFIX uom: <http://www.opengis.net/def/uom/OGC/1.0/>
"""


def _row(path: Path, column: str, value: str) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as table:
        return next(row for row in csv.DictReader(table) if row[column] == value)


def _lon_lat(row: dict[str, str]) -> tuple[str, str]:
    return row["longitude"], row["latitude"]


LINYI = _lon_lat(_row(GEONAMES, "geonameid", "1803318"))  # 118.34278, 35.06306
JINAN = _lon_lat(_row(GEONAMES, "geonameid", "1805753"))  # 116.99722, 36.66833
SHUBULING = _lon_lat(_row(OPENFLIGHTS, "openflightsId", "6385"))  # 118.41200…, 35.04610…
YAOQIANG = _lon_lat(_row(OPENFLIGHTS, "openflightsId", "4108"))  # 117.21600…, 36.85720…


def point(lon_lat: tuple[str, str], crs: str = CRS84) -> str:
    return f"{crs} POINT({lon_lat[0]} {lon_lat[1]})".strip()


def box(west: float, south: float, east: float, north: float) -> str:
    ring = f"{west} {south}, {east} {south}, {east} {north}, {west} {north}, {west} {south}"
    return f"{CRS84} POLYGON(({ring}))"


LANSHAN_AREA = box(118.2, 35.0, 118.45, 35.2)  # around Linyi's centre and its airport
JINAN_AREA = box(116.8, 36.5, 117.3, 36.95)  # around Jinan and Yaoqiang Airport
EAST_OF_LANSHAN = box(118.45, 35.0, 118.7, 35.2)  # shares the 118.45° E edge
OVERLAPPING = box(118.4, 34.9, 118.6, 35.1)  # takes in the airport, not the centre
LANSHAN_ROTATED = (  # the same square, its ring starting at another corner, no CRS IRI
    "POLYGON((118.45 35.2, 118.2 35.2, 118.2 35.0, 118.45 35.0, 118.45 35.2))"
)
TO_JINAN = f"LINESTRING({' '.join(LINYI)}, {' '.join(JINAN)})"  # leaves the Lanshan area
TO_AIRPORT = f"LINESTRING({' '.join(LINYI)}, {' '.join(SHUBULING)})"  # stays inside it


def wkt(text: str) -> str:
    """``text`` as a SPARQL geo:wktLiteral."""
    return f'"{text}"^^geo:wktLiteral'


Evaluate = Callable[[str], ox.NamedNode | ox.BlankNode | ox.Literal | None]


def _value(solutions: ox.QuerySolutions) -> ox.Term | None:
    return next(iter(solutions))["x"]


def _engine(expression: str) -> ox.Term | None:
    """The expression as the service evaluates it: the embedded store's query."""
    return _value(
        open_embedded(None).query(f"{PREFIXES}SELECT ?x WHERE {{ BIND({expression} AS ?x) }}")
    )


STAND_INS = {ox.NamedNode(iri): function for iri, function in geo.FALLBACKS.items()}


def _stand_ins(expression: str) -> ox.Term | None:
    """The expression with geo's shapely stand-ins in place of the engine's functions."""
    query = f"{PREFIXES}SELECT ?x WHERE {{ BIND({expression} AS ?x) }}"
    return _value(ox.Store().query(query, custom_functions=STAND_INS))


@pytest.fixture(params=["engine", "stand-ins"])
def evaluate(request: pytest.FixtureRequest) -> Evaluate:
    return _engine if request.param == "engine" else _stand_ins


def holds(evaluate: Evaluate, function: str, first: str, second: str) -> bool | None:
    term = evaluate(f"geof:{function}({wkt(first)}, {wkt(second)})")
    if term is None:
        return None
    assert isinstance(term, ox.Literal) and term.datatype == geo.XSD_BOOLEAN
    return term.value == "true"


RELATIONS = [  # (function, first, second, expected)
    ("sfEquals", LANSHAN_AREA, LANSHAN_ROTATED, True),
    ("sfEquals", point(LINYI), point(LINYI, crs=""), True),
    ("sfEquals", LANSHAN_AREA, EAST_OF_LANSHAN, False),
    ("sfDisjoint", LANSHAN_AREA, JINAN_AREA, True),
    ("sfDisjoint", LANSHAN_AREA, point(SHUBULING), False),
    ("sfDisjoint", LANSHAN_AREA, EAST_OF_LANSHAN, False),  # they share an edge
    ("sfIntersects", LANSHAN_AREA, EAST_OF_LANSHAN, True),
    ("sfIntersects", point(YAOQIANG), JINAN_AREA, True),
    ("sfIntersects", point(JINAN), LANSHAN_AREA, False),
    ("sfTouches", LANSHAN_AREA, EAST_OF_LANSHAN, True),
    ("sfTouches", LANSHAN_AREA, OVERLAPPING, False),
    ("sfCrosses", TO_JINAN, LANSHAN_AREA, True),
    ("sfCrosses", TO_AIRPORT, LANSHAN_AREA, False),
    ("sfWithin", point(SHUBULING), LANSHAN_AREA, True),
    ("sfWithin", point(SHUBULING), JINAN_AREA, False),
    ("sfWithin", point(YAOQIANG), JINAN_AREA, True),
    ("sfWithin", TO_AIRPORT, LANSHAN_AREA, True),
    ("sfWithin", "POINT(118.45 35.1)", LANSHAN_AREA, False),  # on the boundary: not within
    ("sfContains", LANSHAN_AREA, point(LINYI), True),
    ("sfContains", JINAN_AREA, point(LINYI), False),
    ("sfOverlaps", LANSHAN_AREA, OVERLAPPING, True),
    ("sfOverlaps", LANSHAN_AREA, EAST_OF_LANSHAN, False),
]


@pytest.mark.parametrize(
    ("function", "first", "second", "expected"),
    RELATIONS,
    ids=[f"{f}-{e}-{i}" for i, (f, _, _, e) in enumerate(RELATIONS)],
)
def test_each_simple_features_relation_is_true_and_false_on_real_places(
    evaluate: Evaluate, function: str, first: str, second: str, expected: bool
) -> None:
    assert holds(evaluate, function, first, second) is expected


def test_every_relation_has_a_true_and_a_false_case() -> None:
    functions = {iri.rsplit("/", 1)[1] for iri in geo.FALLBACKS} - {"distance"}
    cases = {(f, e) for f, _, _, e in RELATIONS}
    assert cases == {(f, e) for f in functions for e in (True, False)}


# Linyi's centre to Shubuling Airport, by hand: on a sphere of the mean Earth radius
# R = 6,371,008.8 m (the engine's), haversine with φ1 = 35.06306°, φ2 = 35.04610062°,
# Δλ = 0.06922256°: a = sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2) = 2.6643e-7, d = 2R·asin(√a)
# = 6577.12 m (a flat estimate agrees: 6300.98 m east, 1885.80 m south). The WGS 84 ellipsoid
# (Vincenty) gives 6589.33 m: the sphere is 0.19 % short here.
LINYI_TO_AIRPORT_M = 6577.12
LINYI_TO_AIRPORT_WGS84_M = 6589.33
LINYI_TO_JINAN_KM = 215.779  # the same way; 215.617 km on the WGS 84 ellipsoid


def distance(evaluate: Evaluate, first: str, second: str, unit: str) -> float | None:
    term = evaluate(f"geof:distance({wkt(first)}, {wkt(second)}, {unit})")
    if term is None:
        return None
    assert isinstance(term, ox.Literal) and term.datatype == geo.XSD_DOUBLE
    return float(term.value)


def test_distance_from_linyi_to_its_airport_matches_the_hand_computed_value(
    evaluate: Evaluate,
) -> None:
    metres = distance(evaluate, point(LINYI), point(SHUBULING), "uom:metre")
    assert metres is not None and abs(metres - LINYI_TO_AIRPORT_M) < 0.01
    assert abs(metres - LINYI_TO_AIRPORT_WGS84_M) / LINYI_TO_AIRPORT_WGS84_M < 0.005
    kilometres = distance(evaluate, point(LINYI), point(JINAN, crs=""), "uom:kilometre")
    assert kilometres is not None and abs(kilometres - LINYI_TO_JINAN_KM) < 0.001
    assert math.isclose(geo.haversine_metres(*map(float, LINYI + SHUBULING)), metres, abs_tol=1e-6)


@pytest.mark.parametrize(
    "unit", ["<http://www.opengis.net/def/uom/OGC/1.0/degree>", "uom:mile", '"metre"']
)
def test_distance_in_an_unknown_unit_or_to_a_polygon_is_unbound(
    evaluate: Evaluate, unit: str
) -> None:
    assert distance(evaluate, point(LINYI), point(SHUBULING), unit) is None
    assert distance(evaluate, point(LINYI), LANSHAN_AREA, "uom:metre") is None


BAD_WKT = [
    "POLYGON((118.2 35.0, 118.45 35.0, 118.45",  # cut short
    "POINT(118.34278)",  # one coordinate
    "not wkt at all",
    "",
]


@pytest.mark.parametrize("bad", BAD_WKT)
def test_malformed_wkt_gives_unbound(evaluate: Evaluate, bad: str) -> None:
    assert holds(evaluate, "sfWithin", bad, LANSHAN_AREA) is None
    assert holds(evaluate, "sfContains", LANSHAN_AREA, bad) is None
    assert distance(evaluate, bad, point(LINYI), "uom:metre") is None


def test_a_crs_other_than_crs84_gives_unbound(evaluate: Evaluate) -> None:
    # EPSG:4326 puts latitude first: read as CRS84 the airport would land in the Indian Ocean
    lat_first = f"{EPSG4326} POINT({SHUBULING[1]} {SHUBULING[0]})"
    assert holds(evaluate, "sfWithin", lat_first, LANSHAN_AREA) is None
    assert distance(evaluate, lat_first, point(LINYI), "uom:metre") is None


def test_terms_that_are_not_wkt_literals_give_unbound(evaluate: Evaluate) -> None:
    text = point(SHUBULING)
    area = wkt(LANSHAN_AREA)
    assert evaluate(f'geof:sfWithin("{text}", {area})') is None  # a plain string
    assert evaluate(f"geof:sfWithin(<urn:x>, {area})") is None
    assert evaluate(f"geof:sfWithin({wkt(text)})") is None  # one argument


FACILITIES = f"""@prefix geo: <http://www.opengis.net/ont/geosparql#> .
<urn:airport> geo:hasGeometry [ geo:asWKT {wkt(point(SHUBULING))} ] .
<urn:linyi> geo:hasGeometry [ geo:asWKT {wkt(point(LINYI, crs=""))} ] .
<urn:broken> geo:hasGeometry [ geo:asWKT {wkt("POINT(118.3 35.1")} ] .
<urn:jinan> geo:hasGeometry [ geo:asWKT {wkt(point(JINAN))} ] .
"""
WITHIN_LANSHAN = f"""{PREFIXES}SELECT ?feature WHERE {{
  ?feature geo:hasGeometry/geo:asWKT ?wkt .
  FILTER(geof:sfWithin(?wkt, {wkt(LANSHAN_AREA)}))
}} ORDER BY ?feature"""


def test_a_malformed_wkt_in_the_data_does_not_fail_the_query() -> None:
    store = open_embedded(None)
    store.oxigraph.load(FACILITIES, format=ox.RdfFormat.TURTLE)
    found = [row["feature"].value for row in store.select(WITHIN_LANSHAN)]
    assert found == ["urn:airport", "urn:linyi"]
    stand_ins = ox.Store()
    stand_ins.load(FACILITIES, format=ox.RdfFormat.TURTLE)
    answer = stand_ins.query(WITHIN_LANSHAN, custom_functions=STAND_INS)
    assert [row["feature"].value for row in answer] == found


def test_the_parse_cache_is_bounded_and_shared_by_equal_literals() -> None:
    geo.parse_wkt.cache_clear()
    stand_ins = ox.Store()
    stand_ins.load(FACILITIES, format=ox.RdfFormat.TURTLE)
    for _ in range(3):
        list(stand_ins.query(WITHIN_LANSHAN, custom_functions=STAND_INS))
    info = geo.parse_wkt.cache_info()
    assert info.maxsize == 4096
    assert info.misses == info.currsize == 5  # four features and the area, each parsed once
    assert info.hits >= 3 * 4 * 2 - 5  # every later reading of them came from the cache


def test_each_stand_in_is_built_in_or_registered() -> None:
    built_in = geo.engine_functions()
    registered = {node.value for node in geo.registered_functions()}
    assert set(geo.FALLBACKS) <= built_in | registered
    assert not built_in & registered  # a registered function would hide the engine's
    assert set(geo.extension_functions()) == built_in | registered
    assert geo.GEOF + "sfWithin" in geo.extension_functions()


def test_an_update_may_use_the_functions() -> None:
    store = open_embedded(None)
    store.oxigraph.load(FACILITIES, format=ox.RdfFormat.TURTLE)
    store.update(
        f"""{PREFIXES}INSERT {{ ?feature <urn:in> <urn:lanshan> }} WHERE {{
          ?feature geo:hasGeometry/geo:asWKT ?wkt .
          FILTER(geof:sfWithin(?wkt, {wkt(LANSHAN_AREA)}))
        }}"""
    )
    tagged = store.select("SELECT ?f WHERE { ?f <urn:in> <urn:lanshan> } ORDER BY ?f")
    assert [row["f"].value for row in tagged] == ["urn:airport", "urn:linyi"]


# --- over HTTP ---------------------------------------------------------------------------------


def test_sf_within_through_the_service() -> None:
    store = open_embedded(None)
    store.put_graph(
        ox.NamedNode("https://w3id.org/sckm/graph/places"),
        [quad.triple for quad in ox.parse(FACILITIES, ox.RdfFormat.TURTLE)],
    )
    client = create_app(load_settings({}), store).test_client()
    response = client.get(
        "/sparql?query=" + quote(WITHIN_LANSHAN),
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.data
    bindings = response.json["results"]["bindings"]
    assert [row["feature"]["value"] for row in bindings] == ["urn:airport", "urn:linyi"]


def test_the_service_description_lists_the_geosparql_functions() -> None:
    client = make_app().test_client()
    response = client.get("/sparql", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    listed = {
        triple.object.value
        for triple in ox.parse(response.data, ox.RdfFormat.N_TRIPLES)
        if triple.predicate.value.endswith("#extensionFunction")
    }
    assert listed == set(geo.extension_functions())
    assert {geo.GEOF + name for name in ("distance", "sfWithin", "sfContains")} <= listed


def test_over_a_remote_store_no_function_is_claimed() -> None:
    """The remote store's own Service Description tells what it evaluates, not ours."""
    from kgservice.store.remote import RemoteStore
    from tests.servers import oxigraph_server

    with oxigraph_server() as server:
        store = RemoteStore(server.query_url, server.update_url, server.store_url)
        client = create_app(load_settings({}), store).test_client()
        response = client.get("/sparql", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    triples = list(ox.parse(response.data, ox.RdfFormat.N_TRIPLES))
    assert any(t.predicate.value.endswith("#endpoint") for t in triples)
    assert not any(t.predicate.value.endswith("#extensionFunction") for t in triples)


def test_a_function_the_engine_lacks_is_a_bad_request() -> None:
    client = make_app().test_client()
    buffer = f"geof:buffer({wkt(point(LINYI))}, 1, uom:metre)"
    query = f"{PREFIXES}SELECT ?x WHERE {{ BIND({buffer} AS ?x) }}"
    response = client.get("/sparql?query=" + quote(query))
    assert response.status_code == 400
    assert b"geosparql/buffer> is not supported" in response.data


def test_the_engine_is_lenient_where_the_stand_ins_are_strict() -> None:
    """Text after the geometry: the engine ignores it, the stand-ins (GEOS) refuse it."""
    trailing = wkt(f"{LANSHAN_AREA} and more")
    expression = f"geof:sfWithin({wkt(point(SHUBULING))}, {trailing})"
    assert _engine(expression) == ox.Literal("true", datatype=geo.XSD_BOOLEAN)
    assert _stand_ins(expression) is None
