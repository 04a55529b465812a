"""GeoSPARQL on every backend: the embedded store (pyoxigraph's own functions, plus any that
kgservice.sparql.geo registers) and a real ``oxigraph serve``, which answers the same
``geof:`` functions itself (its service description lists 43). Real coordinates: GeoNames'
Linyi (1803318) and Jinan (1805753), OpenFlights' Shubuling Airport (6385)."""

from __future__ import annotations

import pyoxigraph as ox

from kgservice.store.base import Store

GRAPH = ox.NamedNode("https://w3id.org/sckm/graph/places")
CRS84 = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
AREA = f"{CRS84} POLYGON((118.2 35.0, 118.45 35.0, 118.45 35.2, 118.2 35.2, 118.2 35.0))"
PLACES = f"""@prefix geo: <http://www.opengis.net/ont/geosparql#> .
<urn:linyi> geo:asWKT "{CRS84} POINT(118.34278 35.06306)"^^geo:wktLiteral .
<urn:jinan> geo:asWKT "{CRS84} POINT(116.99722 36.66833)"^^geo:wktLiteral .
<urn:airport> geo:asWKT "{CRS84} POINT(118.41200256347656 35.04610061645508)"^^geo:wktLiteral .
<urn:broken> geo:asWKT "POINT(118.3"^^geo:wktLiteral .
"""
QUERY = f"""PREFIX geo: <http://www.opengis.net/ont/geosparql#>
PREFIX geof: <http://www.opengis.net/def/function/geosparql/>
PREFIX uom: <http://www.opengis.net/def/uom/OGC/1.0/>
SELECT ?place ?km WHERE {{
  <urn:linyi> geo:asWKT ?centre .
  ?place geo:asWKT ?wkt .
  FILTER(geof:sfWithin(?wkt, "{AREA}"^^geo:wktLiteral))
  BIND(geof:distance(?centre, ?wkt, uom:kilometre) AS ?km)
}} ORDER BY ?place"""


def test_within_and_distance_answer_alike_on_every_backend(store: Store) -> None:
    store.put_graph(GRAPH, [quad.triple for quad in ox.parse(PLACES, ox.RdfFormat.TURTLE)])
    rows = list(store.select(QUERY))
    assert [row["place"].value for row in rows] == ["urn:airport", "urn:linyi"]
    # haversine on a sphere of 6,371,008.8 m: 6.57712 km (tests/sparql/test_geo.py)
    assert abs(float(rows[0]["km"].value) - 6.57712) < 1e-5
    assert float(rows[1]["km"].value) == 0.0
