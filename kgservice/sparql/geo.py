"""GeoSPARQL 1.1 functions of the embedded store: the engine's own, and Python stand-ins.

Spec: https://docs.ogc.org/is/22-047r1/22-047r1.html (GeoSPARQL 1.1, namespace ``geof:``
http://www.opengis.net/def/function/geosparql/).

pyoxigraph 0.5.13, as published on PyPI, evaluates 43 ``geof:`` functions itself, among them
``geof:distance`` (between two points, in ``uom:metre``/``uom:kilometre``) and the eight
simple-features relations ``geof:sfEquals``, ``sfDisjoint``, ``sfIntersects``, ``sfTouches``,
``sfCrosses``, ``sfWithin``, ``sfContains`` and ``sfOverlaps``. A function it does not know is
an error that fails the whole query ("The custom function … is not supported").

This module asks the engine once per process which functions it has (:func:`engine_functions`),
and registers Python versions, written with shapely, of those of the nine above it lacks
(:func:`registered_functions`, passed as ``custom_functions=`` to every query and update of
:class:`~kgservice.store.embedded.EmbeddedStore`). A custom function named like a built-in one
replaces it, so only missing ones are registered: with pyoxigraph 0.5.13 none is, but a build
without Oxigraph's GeoSPARQL feature still answers these nine.

The Python versions follow the engine's rules: the arguments are ``geo:wktLiteral`` terms whose
text is WKT, with or without the CRS84 IRI in front (longitude, then latitude, in degrees); any
other CRS, another kind of term, or a text that is not WKT gives an unbound result (a SPARQL
error in an expression), never a failed query.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import pyoxigraph as ox
import shapely
from shapely.geometry.base import BaseGeometry

GEOF = "http://www.opengis.net/def/function/geosparql/"
UOM = "http://www.opengis.net/def/uom/OGC/1.0/"
WKT_LITERAL = ox.NamedNode("http://www.opengis.net/ont/geosparql#wktLiteral")
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
XSD_BOOLEAN = ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")
XSD_DOUBLE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#double")

#: Mean Earth radius (IUGG), the sphere the engine's geof:distance uses.
EARTH_RADIUS_METRES = 6_371_008.8
#: Units of geof:distance: metres per unit (the engine accepts both spellings).
DISTANCE_UNITS = {
    UOM + "metre": 1.0,
    UOM + "meter": 1.0,
    UOM + "kilometre": 1000.0,
    UOM + "kilometer": 1000.0,
}

#: The function names of GeoSPARQL 1.1 (§ 8 and § 9; the aggregates left out).
GEOSPARQL_FUNCTIONS = (
    "area", "asDGGS", "asGeoJSON", "asGML", "asKML", "asWKT", "boundary", "boundingCircle",
    "buffer", "centroid", "concaveHull", "convexHull", "coordinateDimension", "difference",
    "dimension", "distance", "envelope", "geometryN", "geometryType", "getSRID", "intersection",
    "is3D", "isEmpty", "isMeasured", "isSimple", "length", "maxX", "maxY", "maxZ", "minX",
    "minY", "minZ", "numGeometries", "perimeter", "relate", "spatialDimension", "symDifference",
    "transform", "union",
    "sfEquals", "sfDisjoint", "sfIntersects", "sfTouches", "sfCrosses", "sfWithin",
    "sfContains", "sfOverlaps",
    "ehEquals", "ehDisjoint", "ehMeet", "ehOverlap", "ehCovers", "ehCoveredBy", "ehInside",
    "ehContains",
    "rcc8eq", "rcc8dc", "rcc8ec", "rcc8po", "rcc8tppi", "rcc8tpp", "rcc8ntpp", "rcc8ntppi",
)  # fmt: skip

Function = Callable[..., ox.Literal | None]


@lru_cache(maxsize=4096)
def parse_wkt(text: str) -> BaseGeometry | None:
    """The geometry of a ``geo:wktLiteral``'s text; None when it is not WKT or names a CRS
    other than CRS84. Cached: a query reads the same literal once per solution."""
    text = text.strip()
    if text.startswith("<"):
        iri, _, text = text[1:].partition(">")
        if iri.strip() != CRS84:
            return None
    try:
        geometry = shapely.from_wkt(text)
    except shapely.errors.ShapelyError:
        return None
    if geometry is None:
        return None
    shapely.prepare(geometry)  # faster repeated relations against the same (cached) geometry
    return geometry


def geometry_of(term: object) -> BaseGeometry | None:
    """The geometry of a ``geo:wktLiteral`` term; None for any other term or a bad text."""
    if not isinstance(term, ox.Literal) or term.datatype != WKT_LITERAL:
        return None
    return parse_wkt(term.value)


def _relation(predicate: Callable[[BaseGeometry, BaseGeometry], bool]) -> Function:
    """A geof:sf… function: two geometries in, ``xsd:boolean`` out (None on bad input)."""

    def evaluate(*args: object) -> ox.Literal | None:
        if len(args) != 2:
            return None
        first, second = geometry_of(args[0]), geometry_of(args[1])
        if first is None or second is None:
            return None
        try:
            holds = bool(predicate(first, second))
        except shapely.errors.ShapelyError:  # e.g. a topology exception on an invalid polygon
            return None
        return ox.Literal("true" if holds else "false", datatype=XSD_BOOLEAN)

    return evaluate


def distance(*args: object) -> ox.Literal | None:
    """geof:distance between two points on the sphere of the engine's (haversine), in the unit
    named by the third argument (:data:`DISTANCE_UNITS`); None for anything else."""
    if len(args) != 3 or not isinstance(args[2], ox.NamedNode):
        return None
    per_unit = DISTANCE_UNITS.get(args[2].value)
    first, second = geometry_of(args[0]), geometry_of(args[1])
    if per_unit is None or not _is_point(first) or not _is_point(second):
        return None
    metres = haversine_metres(first.x, first.y, second.x, second.y)
    return ox.Literal(repr(metres / per_unit), datatype=XSD_DOUBLE)


def _is_point(geometry: BaseGeometry | None) -> bool:
    return (
        geometry is not None
        and geometry.geom_type == "Point"
        and not geometry.is_empty
        and not geometry.has_z
    )


def haversine_metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """The great-circle distance in metres between two (longitude, latitude) points in degrees,
    on a sphere of :data:`EARTH_RADIUS_METRES`."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_METRES * math.asin(min(1.0, math.sqrt(a)))


#: The Python version of each function this module can stand in for, by IRI.
FALLBACKS: dict[str, Function] = {
    GEOF + "sfEquals": _relation(shapely.equals),
    GEOF + "sfDisjoint": _relation(shapely.disjoint),
    GEOF + "sfIntersects": _relation(shapely.intersects),
    GEOF + "sfTouches": _relation(shapely.touches),
    GEOF + "sfCrosses": _relation(shapely.crosses),
    GEOF + "sfWithin": _relation(shapely.within),
    GEOF + "sfContains": _relation(shapely.contains),
    GEOF + "sfOverlaps": _relation(shapely.overlaps),
    GEOF + "distance": distance,
}


@lru_cache(maxsize=1)
def engine_functions() -> frozenset[str]:
    """The IRIs of the GeoSPARQL functions pyoxigraph evaluates itself (asked once: a call
    with no arguments is unbound for a known function and an error for an unknown one)."""
    probe = ox.Store()
    known = set()
    for name in GEOSPARQL_FUNCTIONS:
        try:
            list(probe.query(f"SELECT (<{GEOF}{name}>() AS ?x) {{}}"))
        except RuntimeError:
            continue
        known.add(GEOF + name)
    return frozenset(known)


@lru_cache(maxsize=1)
def registered_functions() -> dict[ox.NamedNode, Function]:
    """The ``custom_functions=`` of the embedded store: the stand-ins the engine lacks."""
    return {
        ox.NamedNode(iri): function
        for iri, function in FALLBACKS.items()
        if iri not in engine_functions()
    }


def extension_functions() -> list[str]:
    """The IRIs of every ``geof:`` function the embedded store answers, built-in or registered
    (the service description's ``sd:extensionFunction``)."""
    registered = {node.value for node in registered_functions()}
    return sorted(engine_functions() | registered)
