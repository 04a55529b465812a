"""Content negotiation: RFC 9110 §12.5.1 Accept parsing and the ``format`` parameter."""

from __future__ import annotations

import pytest

from kgservice.protocol.errors import NotAcceptable
from kgservice.protocol.formats import (
    CSV,
    JSON,
    JSON_LD,
    N_QUADS,
    N_TRIPLES,
    RDF_XML,
    TRIG,
    TSV,
    TURTLE,
    XML,
    Format,
    Kind,
    MediaType,
    formats,
)
from kgservice.protocol.negotiation import negotiate, parse_accept, parse_qvalue

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SPARQL_JSON = "application/sparql-results+json"
SPARQL_XML = "application/sparql-results+xml"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        # No preference: the default. Mirrors query_content_type_select and
        # query_content_type_ask, which send no Accept and expect results.
        (None, JSON),
        ("", JSON),
        ("  ,  ", JSON),
        ("*/*", JSON),
        ("garbage", JSON),  # no valid member: as if absent
        # Exact media types, case-insensitive.
        (SPARQL_JSON, JSON),
        (SPARQL_XML, XML),
        ("text/csv", CSV),
        ("text/tab-separated-values", TSV),
        ("TEXT/CSV", CSV),
        ("Application/Sparql-Results+XML", XML),
        # Aliases (the same as Oxigraph's).
        ("application/json", JSON),
        ("application/xml", XML),
        ("text/xml", XML),
        # A browser: application/xml at 0.9 is XML results; */* is only 0.8.
        (BROWSER, XML),
        # Wildcard types match canonical types only (text/xml does not make XML a text/*).
        ("text/*", CSV),
        ("application/*", JSON),
        # Weights.
        ("text/csv;q=0.5, text/tab-separated-values", TSV),
        ("text/csv;q=0.5, text/tab-separated-values;q=0.4", CSV),
        ("text/csv;Q=0.5, text/tab-separated-values;q=0.6", TSV),
        ("text/csv;q=1.000, text/tab-separated-values;q=0.999", CSV),
        # Equal weights: the more specific match, then the member listed first.
        ("text/csv, text/tab-separated-values", CSV),
        ("text/tab-separated-values, text/csv", TSV),
        ("*/*, " + SPARQL_XML, XML),
        ("text/*, text/tab-separated-values", TSV),
        ("application/xml, " + SPARQL_JSON, JSON),  # canonical beats alias
        # q=0 excludes, and the most specific range decides a format's weight.
        (f"*/*;q=0.1, {SPARQL_JSON};q=0", XML),
        (f"{SPARQL_JSON};q=0, */*", XML),
        ("text/*;q=0.3, text/csv;q=0", TSV),
        ("text/*, text/csv;q=0.2", TSV),
        (f"{SPARQL_XML};q=0, application/xml, text/csv;q=0.5", CSV),
        ("text/csv;q=0.3, text/csv;q=0.6, text/tab-separated-values;q=0.5", CSV),
        ("application/rdf+xml;q=0, application/xml", XML),  # RDF/XML's q=0 is not XML results'
        # Parameters: charset=utf-8 is satisfied, anything else is not.
        ("text/csv;charset=utf-8", CSV),
        ('text/csv; charset="UTF-8"', CSV),
        (f"text/csv;charset=iso-8859-1, {SPARQL_XML};q=0.1", XML),
        ("text/csv;header=present, */*;q=0.1", JSON),
        (f'text/csv;foo="a,b", {SPARQL_XML};q=0.5', XML),  # the comma is quoted
        ("text/csv;charset=utf-8;q=0.5, text/csv;q=0.9, text/tab-separated-values;q=0.7", TSV),
        # Parameters after q are ignored (RFC 9110 has no accept-ext any more).
        ("text/csv; q=0.5 ; foo=bar", CSV),
        # Whitespace around members and parameters.
        (" text/csv ; q=0.5 , application/sparql-results+xml ; q=0.4", CSV),
        # Malformed members are skipped.
        (f"text/csv;q=2, {SPARQL_XML};q=0.1", XML),
        (f"text/csv;q=0.1234, {SPARQL_XML};q=0.1", XML),
        (f"text/csv;q=1.001, {SPARQL_XML};q=0.1", XML),
        (f"text/csv;q=, {SPARQL_XML};q=0.1", XML),
        ("*/json, text/csv;q=0.5", CSV),
        ("text, text/tab-separated-values;q=0.1", TSV),
    ],
)
def test_negotiate_results(accept: str | None, expected: Format) -> None:
    assert negotiate(accept, "results") is expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        # Mirrors query_content_type_describe and query_content_type_construct (no Accept).
        (None, TURTLE),
        ("*/*", TURTLE),
        ("text/turtle", TURTLE),
        ("application/x-turtle", TURTLE),
        ("application/n-triples", N_TRIPLES),
        ("application/n-quads", N_QUADS),
        ("text/x-nquads", N_QUADS),
        ("application/trig", TRIG),
        ("application/ld+json", JSON_LD),
        ("application/json", JSON_LD),
        ("application/rdf+xml", RDF_XML),
        ("application/xml", RDF_XML),
        ("text/xml", RDF_XML),
        (BROWSER, RDF_XML),
        ("text/*", TURTLE),
        ("application/*", N_TRIPLES),
        ("text/turtle;q=0.9, application/rdf+xml", RDF_XML),
        ("application/ld+json, application/json;q=0.9", JSON_LD),
        ("application/n-quads, application/trig", N_QUADS),
    ],
)
def test_negotiate_graphs(accept: str | None, expected: Format) -> None:
    assert negotiate(accept, "graph") is expected


@pytest.mark.parametrize(
    ("accept", "kind"),
    [
        ("text/html", "results"),
        ("text/turtle", "results"),
        (f"{SPARQL_JSON};q=0", "results"),
        ("*/*;q=0", "results"),
        ("text/csv;header=present", "results"),
        (SPARQL_JSON, "graph"),
        ("text/csv", "graph"),
        ('application/ld+json;profile="http://www.w3.org/ns/json-ld#expanded"', "graph"),
        ("application/rdf+xml;q=0, application/xml", "graph"),  # the canonical's q=0 wins
    ],
)
def test_nothing_acceptable_is_406(accept: str, kind: Kind) -> None:
    with pytest.raises(NotAcceptable) as caught:
        negotiate(accept, kind)
    error = caught.value
    assert error.http_status == 406
    first = JSON if kind == "results" else TURTLE
    assert error.available[0] == first.media_type
    for media_type in error.available:
        assert media_type in error.message
    assert accept in error.message


@pytest.mark.parametrize(
    ("format_param", "accept", "kind", "expected"),
    [
        ("json", None, "results", JSON),
        ("JSON", None, "results", JSON),
        ("xml", None, "results", XML),
        ("srx", None, "results", XML),
        ("csv", None, "results", CSV),
        ("tsv", None, "results", TSV),
        (SPARQL_XML, None, "results", XML),
        ("text/csv; charset=utf-8", None, "results", CSV),
        ("application/json", None, "results", JSON),
        # The parameter overrides Accept, even one that would be 406.
        ("json", "text/csv", "results", JSON),
        ("xml", "text/html", "results", XML),
        # Empty: Accept decides.
        ("", "text/csv", "results", CSV),
        ("  ", None, "results", JSON),
        ("ttl", None, "graph", TURTLE),
        ("turtle", None, "graph", TURTLE),
        ("nt", None, "graph", N_TRIPLES),
        ("ntriples", None, "graph", N_TRIPLES),
        ("nq", None, "graph", N_QUADS),
        ("trig", None, "graph", TRIG),
        ("jsonld", None, "graph", JSON_LD),
        ("json", None, "graph", JSON_LD),
        ("xml", None, "graph", RDF_XML),
        ("rdfxml", "text/turtle", "graph", RDF_XML),
        ("application/ld+json", None, "graph", JSON_LD),
    ],
)
def test_format_parameter(
    format_param: str, accept: str | None, kind: Kind, expected: Format
) -> None:
    assert negotiate(accept, kind, format_param) is expected


@pytest.mark.parametrize(
    ("format_param", "kind"),
    [("ttl", "results"), ("foo", "results"), ("text/turtle", "results"), ("csv", "graph")],
)
def test_unknown_format_parameter_is_406(format_param: str, kind: Kind) -> None:
    with pytest.raises(NotAcceptable, match=f"format='{format_param}' names no format") as caught:
        negotiate("*/*", kind, format_param)
    assert caught.value.available == tuple(f.media_type for f in formats(kind))


def test_parse_accept_keeps_order_weights_and_parameters() -> None:
    ranges = parse_accept('text/csv;charset=utf-8;q=0.5, bad, */*;q=0, a/b;x="1,2"')
    assert [(r.media, r.quality, r.position) for r in ranges] == [
        (MediaType("text", "csv", (("charset", "utf-8"),)), 500, 0),
        (MediaType("*", "*"), 0, 2),
        (MediaType("a", "b", (("x", "1,2"),)), 1000, 3),
    ]


@pytest.mark.parametrize(
    ("text", "thousandths"),
    [("0", 0), ("0.", 0), ("0.5", 500), ("0.05", 50), ("0.001", 1), ("1", 1000), ("1.000", 1000)],
)
def test_parse_qvalue(text: str, thousandths: int) -> None:
    assert parse_qvalue(text) == thousandths


@pytest.mark.parametrize("text", ["", "2", "1.5", "0.0001", "-0", ".5", "0,5", "1.001"])
def test_parse_qvalue_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_qvalue(text)
