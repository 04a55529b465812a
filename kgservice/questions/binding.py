"""Bind a question's parameters as typed RDF terms: never by pasting text into the query.

Each raw value (from a URL, the command line) is parsed by its parameter's type into RDF terms;
a value that does not parse is an :class:`~kgservice.errors.InputError` naming the parameter.
The terms are then written with Oxigraph's own N-Triples serialisation (IRIs and literals
escaped by it) into one ``VALUES ?name { … }`` block per parameter at the start of the query's
top-level WHERE group, and of each sub-select's group that uses the parameter's variable.
Nothing a caller sends can change the shape of the query: it only ever becomes an IRI or a
literal in a VALUES block. The bound text is plain SPARQL 1.1, runnable on
any endpoint (the question's ``example_query``).
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox
import shapely

from kgservice.errors import InputError
from kgservice.iri import division_iri, entity_iri
from kgservice.namespaces import CODE, ID
from kgservice.questions.catalog import CatalogError, Parameter, Question
from kgservice.sparql.lexer import tokens

XSD = "http://www.w3.org/2001/XMLSchema#"
WKT_LITERAL = ox.NamedNode("http://www.opengis.net/ont/geosparql#wktLiteral")
CRS84 = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
MAX_STRING = 500
MAX_VALUES = 100
MAX_POLYGON_TEXT = 50_000  # characters of a polygon parameter's WKT
MAX_POLYGON_VERTICES = 1000  # coordinates, the closing one of each ring counted

_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|^`\\]*$")
_DIVISION_CODE = re.compile(r"^(?:[0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})$")
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_CODE_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]*$")


class ParameterError(InputError):
    """A parameter is missing, unknown or has a value its type refuses (400)."""


def _iri(value: str, parameter: Parameter) -> ox.Term:
    if not _ABSOLUTE_IRI.match(value):
        raise ValueError("expected an absolute IRI, e.g. https://w3id.org/sckm/id/…")
    return ox.NamedNode(value)


def _division(value: str, parameter: Parameter) -> ox.Term:
    if _DIVISION_CODE.match(value):
        return ox.NamedNode(str(division_iri(value)))
    if value.startswith(str(ID) + "division/") and _ABSOLUTE_IRI.match(value):
        return ox.NamedNode(value)
    raise ValueError("expected a division code (2, 4, 6, 9 or 12 digits, e.g. 371302) or its IRI")


def _entity(value: str, parameter: Parameter) -> ox.Term:
    if _CREDIT_CODE.match(value):
        return ox.NamedNode(str(entity_iri(value)))
    if value.startswith(str(ID) + "entity/") and _ABSOLUTE_IRI.match(value):
        return ox.NamedNode(value)
    raise ValueError("expected an 18-character unified social credit code or an entity IRI")


def _string(value: str, parameter: Parameter) -> ox.Term:
    if len(value) > MAX_STRING:
        raise ValueError(f"longer than {MAX_STRING} characters")
    if any(ord(c) < 32 and c not in "\t" for c in value):
        raise ValueError("contains control characters")
    return ox.Literal(value)


def _in_range(number: float | Decimal, parameter: Parameter) -> None:
    if parameter.minimum is not None and number < parameter.minimum:
        raise ValueError(f"less than the minimum {parameter.minimum:g}")
    if parameter.maximum is not None and number > parameter.maximum:
        raise ValueError(f"more than the maximum {parameter.maximum:g}")


def _integer(value: str, parameter: Parameter) -> ox.Term:
    if not re.fullmatch(r"[+-]?[0-9]{1,18}", value):
        raise ValueError("expected a whole number")
    number = int(value)
    _in_range(number, parameter)
    return ox.Literal(str(number), datatype=ox.NamedNode(XSD + "integer"))


def _decimal(value: str, parameter: Parameter) -> ox.Term:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError("expected a decimal number, e.g. 2.5") from None
    if not number.is_finite() or len(value) > 40:
        raise ValueError("expected a finite decimal number")
    _in_range(number, parameter)
    return ox.Literal(format(number, "f"), datatype=ox.NamedNode(XSD + "decimal"))


def _date(value: str, parameter: Parameter) -> ox.Term:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("expected a date YYYY-MM-DD")
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError("not a calendar date") from None
    return ox.Literal(day.isoformat(), datatype=ox.NamedNode(XSD + "date"))


def _boolean(value: str, parameter: Parameter) -> ox.Term:
    lowered = value.lower()
    if lowered not in ("true", "false", "1", "0"):
        raise ValueError("expected true or false")
    return ox.Literal(
        "true" if lowered in ("true", "1") else "false", datatype=ox.NamedNode(XSD + "boolean")
    )


def _point(value: str, parameter: Parameter) -> ox.Term:
    """``longitude,latitude`` (WGS 84 degrees) as a GeoSPARQL WKT point."""
    parts = value.split(",")
    try:
        longitude, latitude = (float(part) for part in parts)
    except ValueError:
        raise ValueError("expected longitude,latitude in degrees, e.g. 118.35,35.05") from None
    if not (math.isfinite(longitude) and math.isfinite(latitude)):
        raise ValueError("expected finite coordinates")
    if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
        raise ValueError("longitude must be within ±180 and latitude within ±90")
    return ox.Literal(
        f"{CRS84} POINT({_coordinate(longitude)} {_coordinate(latitude)})", datatype=WKT_LITERAL
    )


def _coordinate(degrees: float) -> str:
    """Degrees to 7 decimals (about 1 cm), trailing zeros dropped: ``:g`` kept 6 significant
    digits only, so 118.34278 became 118.343 (some 200 m off)."""
    return format(degrees, ".7f").rstrip("0").rstrip(".")


def _polygon(value: str, parameter: Parameter) -> ox.Term:
    """A WKT ``POLYGON`` or ``MULTIPOLYGON`` in CRS84 (longitude latitude, in degrees; the CRS84
    IRI in front is optional) as a GeoSPARQL WKT literal, written anew from the parsed shape."""
    if len(value) > MAX_POLYGON_TEXT:
        raise ValueError(f"longer than {MAX_POLYGON_TEXT} characters")
    text = value
    if text.startswith("<"):
        iri, _, text = text[1:].partition(">")
        if f"<{iri.strip()}>" != CRS84:
            raise ValueError(f"only CRS84 (longitude latitude) is supported, not <{iri[:100]}>")
    try:
        shape = shapely.from_wkt(text.strip())
    except shapely.errors.ShapelyError as error:
        raise ValueError(f"not WKT: {error}") from None
    _check_polygon(shape)
    wkt = shapely.to_wkt(shape, rounding_precision=7, trim=True)
    _check_polygon(shapely.from_wkt(wkt))  # still valid at 7 decimals (about 1 cm)
    return ox.Literal(f"{CRS84} {wkt}", datatype=WKT_LITERAL)


def _check_polygon(shape: object) -> None:
    if not isinstance(shape, shapely.Polygon | shapely.MultiPolygon) or shape.is_empty:
        raise ValueError("expected a WKT POLYGON((lon lat, …)) or MULTIPOLYGON in CRS84")
    if shape.has_z:
        raise ValueError("expected two coordinates (longitude latitude) per vertex")
    if shapely.get_num_coordinates(shape) > MAX_POLYGON_VERTICES:
        raise ValueError(f"more than {MAX_POLYGON_VERTICES} vertices")
    west, south, east, north = shape.bounds
    if not all(math.isfinite(c) for c in shape.bounds):
        raise ValueError("expected finite coordinates")
    if not (west >= -180 and east <= 180 and south >= -90 and north <= 90):
        raise ValueError("longitude must be within ±180 and latitude within ±90")
    if not shape.is_valid:
        raise ValueError(f"not a valid polygon: {shapely.is_valid_reason(shape)}")


def _code(value: str, parameter: Parameter) -> ox.Term:
    if not _CODE_VALUE.match(value):
        raise ValueError("expected a code value: letters, digits and '-'")
    return ox.NamedNode(f"{CODE}{parameter.scheme}-{value}")


#: Parameter types and the parser of each (raw text → RDF term).
PARAMETER_TYPES: dict[str, Callable[[str, Parameter], ox.Term]] = {
    "iri": _iri,
    "division": _division,
    "entity": _entity,
    "string": _string,
    "integer": _integer,
    "decimal": _decimal,
    "date": _date,
    "boolean": _boolean,
    "point": _point,
    "polygon": _polygon,
    "code": _code,
}


def parse_value(parameter: Parameter, raw: str) -> list[ox.Term]:
    """The terms of one raw value (several for a ``multiple`` parameter)."""
    values = [part.strip() for part in raw.split(",")] if parameter.multiple else [raw.strip()]
    if not values or any(value == "" for value in values):
        raise ParameterError(f"parameter {parameter.name}: empty value")
    if len(values) > MAX_VALUES:
        raise ParameterError(f"parameter {parameter.name}: more than {MAX_VALUES} values")
    terms = []
    for value in values:
        if parameter.choices and value not in parameter.choices:
            raise ParameterError(
                f"parameter {parameter.name}: {value!r} is not one of "
                f"{', '.join(parameter.choices)}"
            )
        try:
            terms.append(PARAMETER_TYPES[parameter.type](value, parameter))
        except ValueError as error:
            shown = value if len(value) <= 120 else value[:117] + "..."
            raise ParameterError(
                f"parameter {parameter.name} ({parameter.type}): {shown!r}: {error}"
            ) from None
    return terms


def bind(question: Question, raw: Mapping[str, str]) -> dict[str, list[ox.Term]]:
    """The terms of every parameter: the caller's values, else the defaults. An unknown or
    missing parameter, or a value its type refuses, is a :class:`ParameterError` naming it."""
    if unknown := sorted(set(raw) - {p.name for p in question.parameters}):
        known = ", ".join(p.name for p in question.parameters) or "none"
        raise ParameterError(
            f"unknown parameter(s) {', '.join(unknown)} for question {question.id} "
            f"(its parameters: {known})"
        )
    bound: dict[str, list[ox.Term]] = {}
    for parameter in question.parameters:
        value = raw.get(parameter.name, parameter.default)
        if value is None:
            if parameter.required:
                raise ParameterError(
                    f"parameter {parameter.name} is required by question {question.id}"
                )
            continue
        bound[parameter.name] = parse_value(parameter, str(value))
    return bound


def bound_query(question: Question, terms: Mapping[str, list[ox.Term]]) -> str:
    """The question's query with a VALUES block per bound parameter: at the start of the
    top-level WHERE group, and of every sub-select's group that names the parameter's variable
    (a sub-select is evaluated on its own, so the outer block would not reach it)."""
    if not terms:
        return question.sparql
    places = [(where_group_start(question), list(terms))]
    places += [
        (at, [name for name in terms if name in named])
        for at, named in subselect_groups(question.sparql)
    ]
    text = question.sparql
    for at, names in sorted(places, reverse=True):
        blocks = "".join(
            f"\n  VALUES ?{name} {{ {' '.join(str(term) for term in terms[name])} }}"
            for name in names
        )
        text = text[:at] + blocks + text[at:]
    return text


def example_query(question: Question) -> str:
    """The query with its default parameters bound: plain SPARQL for any endpoint."""
    return bound_query(question, bind(question, {}))


def where_group_start(question: Question) -> int:
    """The offset just after the ``{`` that opens the top-level WHERE group."""
    depth = 0
    after_where = False
    for token in tokens(question.sparql):
        if token.kind == "punct" and token.text == "{":
            if depth == 0 and after_where:
                return token.start + 1
            depth += 1
        elif token.kind == "punct" and token.text == "}":
            depth -= 1
        elif depth == 0 and token.is_keyword("WHERE"):
            after_where = True
    raise CatalogError(f"{question.path}: the query needs an explicit top-level WHERE {{ … }}")


def subselect_groups(sparql: str) -> list[tuple[int, frozenset[str]]]:
    """For each sub-select: the offset just after the ``{`` that opens its WHERE group, and the
    names of the variables the sub-select uses (its projection, group, its GROUP BY, HAVING and
    ORDER BY, its own sub-selects)."""
    found: list[tuple[int, frozenset[str]]] = []
    depth = 0
    open_selects: list[list] = []  # [enclosing depth, offset of its group or None, names]
    for token in tokens(sparql):
        if token.kind == "punct" and token.text == "{":
            depth += 1
            if open_selects and open_selects[-1][1] is None:
                open_selects[-1][1] = token.start + 1
        elif token.kind == "punct" and token.text == "}":
            depth -= 1
            while open_selects and depth < open_selects[-1][0]:
                _, offset, names = open_selects.pop()
                if offset is not None:
                    found.append((offset, frozenset(names)))
        elif token.is_keyword("SELECT") and depth > 0:
            open_selects.append([depth, None, set()])
        elif token.kind == "var":
            for _, _, names in open_selects:
                names.add(token.text[1:])
    return found
