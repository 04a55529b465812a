"""The format table agrees with pyoxigraph; media type parsing; request body media types."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kgservice.errors import InputError, KGServiceError
from kgservice.protocol import errors
from kgservice.protocol.formats import (
    CSV,
    FORMATS,
    GRAPH_FORMATS,
    JSON,
    JSON_LD,
    N_QUADS,
    N_TRIPLES,
    RDF_UPLOAD_TYPES,
    RDF_XML,
    RESULT_FORMATS,
    TRIG,
    TSV,
    TURTLE,
    XML,
    Format,
    Kind,
    MediaType,
    default_format,
    format_by_media_type,
    format_by_name,
    parse_content_type,
    parse_media_type,
    upload_format,
)

ALL_FORMATS = RESULT_FORMATS + GRAPH_FORMATS


def _oxigraph_lookup(fmt: Format, media_type: str) -> object:
    if fmt.kind == "results":
        return ox.QueryResultsFormat.from_media_type(media_type)
    return ox.RdfFormat.from_media_type(media_type)


@pytest.mark.parametrize("fmt", ALL_FORMATS, ids=lambda f: f.label)
def test_each_format_matches_its_pyoxigraph_enum(fmt: Format) -> None:
    assert fmt.oxigraph.media_type.split(";")[0] == fmt.media_type
    assert fmt.oxigraph.media_type == fmt.content_type
    assert fmt.oxigraph.file_extension == fmt.extension
    assert fmt.extension in fmt.names


@pytest.mark.parametrize("fmt", ALL_FORMATS, ids=lambda f: f.label)
def test_pyoxigraph_reads_every_alias_as_the_same_format(fmt: Format) -> None:
    for media_type in fmt.media_types:
        assert _oxigraph_lookup(fmt, media_type) == fmt.oxigraph


@pytest.mark.parametrize("kind", ["results", "graph"])
def test_names_and_media_types_are_unique_per_kind(kind: Kind) -> None:
    table = FORMATS[kind]
    names = [name for f in table for name in f.names]
    media_types = [m for f in table for m in f.media_types]
    assert len(names) == len(set(names))
    assert len(media_types) == len(set(media_types))
    assert all(f.kind == kind for f in table)


def test_defaults() -> None:
    assert default_format("results") is JSON
    assert default_format("graph") is TURTLE


@pytest.mark.parametrize(
    ("kind", "name", "expected"),
    [
        ("results", "json", JSON),
        ("results", "JSON", JSON),
        ("results", "srj", JSON),
        ("results", "xml", XML),
        ("results", "srx", XML),
        ("results", "csv", CSV),
        ("results", " tsv ", TSV),
        ("results", "ttl", None),
        ("graph", "ttl", TURTLE),
        ("graph", "turtle", TURTLE),
        ("graph", "nt", N_TRIPLES),
        ("graph", "ntriples", N_TRIPLES),
        ("graph", "nq", N_QUADS),
        ("graph", "trig", TRIG),
        ("graph", "jsonld", JSON_LD),
        ("graph", "json", JSON_LD),  # `json` is JSON-LD for graphs
        ("graph", "xml", RDF_XML),  # `xml` is RDF/XML for graphs
        ("graph", "rdfxml", RDF_XML),
        ("graph", "rdf", RDF_XML),
        ("graph", "csv", None),
        ("graph", "", None),
    ],
)
def test_format_by_name(kind: Kind, name: str, expected: Format | None) -> None:
    assert format_by_name(kind, name) is expected


@pytest.mark.parametrize(
    ("kind", "media_type", "expected"),
    [
        ("results", "application/sparql-results+json", JSON),
        ("results", "Application/JSON", JSON),
        ("results", "text/xml", XML),
        ("results", "text/csv; charset=utf-8", CSV),
        ("results", "text/turtle", None),
        ("results", "not a media type", None),
        ("graph", "application/json", JSON_LD),
        ("graph", "application/xml", RDF_XML),
        ("graph", "application/x-turtle", TURTLE),
        ("graph", "text/x-nquads", N_QUADS),
        ("graph", "application/x-trig", TRIG),
        ("graph", "text/csv", None),
    ],
)
def test_format_by_media_type(kind: Kind, media_type: str, expected: Format | None) -> None:
    assert format_by_media_type(kind, media_type) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("text/csv", MediaType("text", "csv")),
        ("Text/CSV", MediaType("text", "csv")),
        ("text/csv;", MediaType("text", "csv")),
        (" text/csv ; Charset=UTF-8 ", MediaType("text", "csv", (("charset", "UTF-8"),))),
        ('text/csv;charset="utf-8"', MediaType("text", "csv", (("charset", "utf-8"),))),
        ('a/b;x="q\\"uote;,"', MediaType("a", "b", (("x", 'q"uote;,'),))),
        ("a/b;x=1;y=2", MediaType("a", "b", (("x", "1"), ("y", "2")))),
        ("*/*", MediaType("*", "*")),
        ("application/sparql-results+json", MediaType("application", "sparql-results+json")),
    ],
)
def test_parse_media_type(text: str, expected: MediaType) -> None:
    assert parse_media_type(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "text",
        "text/",
        "/csv",
        "te xt/csv",
        "text/csv/x",
        "text/csv;x",
        "text/csv;=x",
        'text/csv;x="unterminated',
        'text/csv;x="a"b"',
        "text/csv;x=a b",
    ],
)
def test_parse_media_type_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError):
        parse_media_type(text)


def test_media_type_param_lookup_is_case_insensitive() -> None:
    media = parse_media_type("text/csv;CHARSET=utf-8")
    assert media.param("Charset") == "utf-8"
    assert media.param("header") is None
    assert media.essence == "text/csv"


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("text/turtle", TURTLE),
        ("text/turtle; charset=UTF-8", TURTLE),
        ("application/n-triples", N_TRIPLES),
        ("application/n-quads", N_QUADS),
        ("application/trig", TRIG),
        ("application/ld+json", JSON_LD),
        ("application/json", JSON_LD),
        ("application/rdf+xml", RDF_XML),
        ("application/xml", RDF_XML),
    ],
)
def test_upload_format(content_type: str, expected: Format) -> None:
    assert upload_format(content_type) is expected


@pytest.mark.parametrize(
    "content_type",
    [None, "", "  ", "text/plain", "application/sparql-results+json", "garbage", "*/*"],
)
def test_upload_format_refuses_unsupported_types(content_type: str | None) -> None:
    with pytest.raises(errors.UnsupportedMediaType) as caught:
        upload_format(content_type)
    assert caught.value.http_status == 415
    assert caught.value.supported == RDF_UPLOAD_TYPES
    assert "text/turtle" in caught.value.message


def test_upload_format_refuses_other_charsets() -> None:
    with pytest.raises(errors.UnsupportedMediaType, match="charset=iso-8859-1"):
        upload_format("text/turtle; charset=iso-8859-1")


def test_parse_content_type_returns_the_parsed_type() -> None:
    media = parse_content_type(
        "Application/SPARQL-Query; charset=utf-8", ["application/sparql-query"]
    )
    assert media.essence == "application/sparql-query"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.MethodNotAllowed("m", ["POST"]), 405),
        (errors.NotAcceptable("m", ["text/csv"]), 406),
        (errors.PayloadTooLarge("m", 10), 413),
        (errors.UnsupportedMediaType("m", ["text/turtle"]), 415),
    ],
)
def test_error_statuses(error: KGServiceError, status: int) -> None:
    assert isinstance(error, KGServiceError)
    assert not isinstance(error, InputError)
    assert error.http_status == status
    assert error.exit_code == 2
    assert error.message == "m"


def test_error_attributes_are_tuples() -> None:
    assert errors.MethodNotAllowed("m", ["GET", "POST"]).allow == ("GET", "POST")
    assert errors.NotAcceptable("m", iter(["a/b"])).available == ("a/b",)
    assert errors.UnsupportedMediaType("m", ["a/b"]).supported == ("a/b",)
    assert errors.PayloadTooLarge("m", 5).limit == 5
