"""The declared table of result formats, the request body media types, and media type syntax.

Result formats of the SPARQL 1.1 Protocol (https://www.w3.org/TR/sparql11-protocol/#conneg):

* SELECT/ASK results (kind ``"results"``): JSON
  (https://www.w3.org/TR/sparql11-results-json/), XML
  (https://www.w3.org/TR/rdf-sparql-XMLres/), CSV and TSV
  (https://www.w3.org/TR/sparql11-results-csv-tsv/).
* Graphs of CONSTRUCT/DESCRIBE and of the Graph Store Protocol (kind ``"graph"``): Turtle,
  N-Triples, N-Quads, TriG, JSON-LD and RDF/XML.

Each :class:`Format` names its canonical media type, the aliases also recognised in ``Accept``
and ``Content-Type`` (the same ones Oxigraph recognises: ``application/json``,
``application/xml``, ``text/xml`` and a few legacy RDF types), the short names of the ``format``
request parameter, the file extension and the matching pyoxigraph enum member. Short names are
per kind: ``xml`` is SPARQL XML results for SELECT/ASK and RDF/XML for graphs, ``json`` is
SPARQL JSON results and JSON-LD.

Media types are parsed with the grammar of RFC 9110 §8.3.1 and §5.6.6
(https://www.rfc-editor.org/rfc/rfc9110#section-8.3.1): type, subtype and parameter names are
case-insensitive, parameter values may be quoted strings (§5.6.4). All formats here are UTF-8
(https://www.w3.org/TR/sparql11-protocol/#query-operation requires UTF-8 request bodies too).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pyoxigraph as ox

from kgservice.protocol.errors import UnsupportedMediaType

Kind = Literal["results", "graph"]

KIND_LABELS: dict[Kind, str] = {
    "results": "SELECT/ASK results",
    "graph": "RDF graphs (CONSTRUCT/DESCRIBE, Graph Store)",
}

UTF8 = "utf-8"


# --- media type syntax (RFC 9110 §8.3.1, §5.6.6) -------------------------------------------

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
_QUOTED_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"\Z', re.S)


@dataclass(frozen=True)
class MediaType:
    """A parsed media type or media range: lower-case type, subtype and parameter names."""

    type: str
    subtype: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def essence(self) -> str:
        """``type/subtype`` without parameters."""
        return f"{self.type}/{self.subtype}"

    def param(self, name: str) -> str | None:
        """The value of the first parameter called ``name`` (case-insensitive), else ``None``."""
        wanted = name.lower()
        return next((value for key, value in self.params if key == wanted), None)


def split_outside_quotes(text: str, separator: str) -> list[str]:
    """Split ``text`` on ``separator`` except inside quoted strings; strip each part."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return parts


def _parameter_value(raw: str) -> str:
    """A token, or a quoted string with its quoted pairs unescaped (RFC 9110 §5.6.4)."""
    if _TOKEN.match(raw):
        return raw
    quoted = _QUOTED_STRING.match(raw)
    if quoted:
        return re.sub(r"\\(.)", r"\1", quoted.group(1), flags=re.S)
    raise ValueError(f"invalid parameter value {raw!r}")


def _parameter(raw: str) -> tuple[str, str]:
    name, equals, value = raw.partition("=")
    name = name.strip()
    if not equals or not _TOKEN.match(name):
        raise ValueError(f"invalid parameter {raw!r}")
    return name.lower(), _parameter_value(value.strip())


def parse_media_type(value: str) -> MediaType:
    """Parse ``type/subtype *(; name=value)``; raise ``ValueError`` when it is malformed.

    A ``*`` type or subtype is syntactically a token, so media ranges parse too.
    """
    head, *raw_params = split_outside_quotes(value, ";")
    type_, slash, subtype = head.partition("/")
    if not slash or not _TOKEN.match(type_) or not _TOKEN.match(subtype):
        raise ValueError(f"invalid media type {value!r}")
    params = tuple(_parameter(raw) for raw in raw_params if raw)
    return MediaType(type_.lower(), subtype.lower(), params)


def is_utf8(charset: str | None) -> bool:
    """True when ``charset`` is absent or names UTF-8."""
    return charset is None or charset.lower() == UTF8


# --- result formats -------------------------------------------------------------------------


@dataclass(frozen=True)
class Format:
    """One serialisation a response can use."""

    label: str
    kind: Kind
    media_type: str
    names: tuple[str, ...]
    extension: str
    oxigraph: ox.QueryResultsFormat | ox.RdfFormat
    aliases: tuple[str, ...] = ()
    content_type: str = ""

    def __post_init__(self) -> None:
        if not self.content_type:
            object.__setattr__(self, "content_type", self.media_type)

    @property
    def media_types(self) -> tuple[str, ...]:
        """The canonical media type, then its aliases."""
        return (self.media_type, *self.aliases)


_TEXT_UTF8 = "; charset=utf-8"

JSON = Format(
    "SPARQL 1.1 Query Results JSON",
    "results",
    "application/sparql-results+json",
    ("json", "srj"),
    "srj",
    ox.QueryResultsFormat.JSON,
    aliases=("application/json",),
)
XML = Format(
    "SPARQL Query Results XML",
    "results",
    "application/sparql-results+xml",
    ("xml", "srx"),
    "srx",
    ox.QueryResultsFormat.XML,
    aliases=("application/xml", "text/xml"),
)
CSV = Format(
    "SPARQL 1.1 Query Results CSV",
    "results",
    "text/csv",
    ("csv",),
    "csv",
    ox.QueryResultsFormat.CSV,
    content_type="text/csv" + _TEXT_UTF8,
)
TSV = Format(
    "SPARQL 1.1 Query Results TSV",
    "results",
    "text/tab-separated-values",
    ("tsv",),
    "tsv",
    ox.QueryResultsFormat.TSV,
    content_type="text/tab-separated-values" + _TEXT_UTF8,
)
TURTLE = Format(
    "Turtle",
    "graph",
    "text/turtle",
    ("ttl", "turtle"),
    "ttl",
    ox.RdfFormat.TURTLE,
    aliases=("application/x-turtle",),
)
N_TRIPLES = Format(
    "N-Triples",
    "graph",
    "application/n-triples",
    ("nt", "ntriples", "n-triples"),
    "nt",
    ox.RdfFormat.N_TRIPLES,
)
N_QUADS = Format(
    "N-Quads",
    "graph",
    "application/n-quads",
    ("nq", "nquads", "n-quads"),
    "nq",
    ox.RdfFormat.N_QUADS,
    aliases=("text/x-nquads",),
)
TRIG = Format(
    "TriG",
    "graph",
    "application/trig",
    ("trig",),
    "trig",
    ox.RdfFormat.TRIG,
    aliases=("application/x-trig",),
)
JSON_LD = Format(
    "JSON-LD",
    "graph",
    "application/ld+json",
    ("jsonld", "json-ld", "json"),
    "jsonld",
    ox.RdfFormat.JSON_LD,
    aliases=("application/json",),
)
RDF_XML = Format(
    "RDF/XML",
    "graph",
    "application/rdf+xml",
    ("rdfxml", "rdf", "xml"),
    "rdf",
    ox.RdfFormat.RDF_XML,
    aliases=("application/xml", "text/xml"),
)

# In the server's order of preference: the first is the default of its kind.
RESULT_FORMATS: tuple[Format, ...] = (JSON, XML, CSV, TSV)
GRAPH_FORMATS: tuple[Format, ...] = (TURTLE, N_TRIPLES, N_QUADS, TRIG, JSON_LD, RDF_XML)
FORMATS: dict[Kind, tuple[Format, ...]] = {"results": RESULT_FORMATS, "graph": GRAPH_FORMATS}


def formats(kind: Kind) -> tuple[Format, ...]:
    """The formats of ``kind``, the default first."""
    return FORMATS[kind]


def default_format(kind: Kind) -> Format:
    """JSON for SELECT/ASK results, Turtle for graphs."""
    return FORMATS[kind][0]


def format_by_name(kind: Kind, name: str) -> Format | None:
    """The format of ``kind`` with this short name (case-insensitive), e.g. ``ttl``."""
    wanted = name.strip().lower()
    return next((f for f in FORMATS[kind] if wanted in f.names), None)


def format_by_media_type(kind: Kind, media_type: str) -> Format | None:
    """The format of ``kind`` whose canonical media type or an alias is ``media_type``.

    Parameters are ignored; a malformed media type gives ``None``.
    """
    try:
        essence = parse_media_type(media_type).essence
    except ValueError:
        return None
    return next((f for f in FORMATS[kind] if essence in f.media_types), None)


# --- request bodies -------------------------------------------------------------------------

FORM_URLENCODED = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"

# https://www.w3.org/TR/sparql11-protocol/#query-operation and #update-operation
QUERY_BODY_TYPES: tuple[str, ...] = (FORM_URLENCODED, SPARQL_QUERY)
UPDATE_BODY_TYPES: tuple[str, ...] = (FORM_URLENCODED, SPARQL_UPDATE)
PROTOCOL_BODY_TYPES: tuple[str, ...] = (FORM_URLENCODED, SPARQL_QUERY, SPARQL_UPDATE)
# RDF payloads of the Graph Store Protocol (https://www.w3.org/TR/sparql11-http-rdf-update/).
RDF_UPLOAD_TYPES: tuple[str, ...] = tuple(t for f in GRAPH_FORMATS for t in f.media_types)


def parse_content_type(content_type: str | None, supported: Sequence[str]) -> MediaType:
    """Parse a request's ``Content-Type`` and check it is one of ``supported`` and UTF-8.

    A missing, malformed or unsupported type, or a charset other than UTF-8, raises
    :class:`UnsupportedMediaType` (415, RFC 9110 §15.5.16).
    """
    expected = ", ".join(supported)
    if not content_type or not content_type.strip():
        raise UnsupportedMediaType(
            f"the request has no Content-Type; use one of {expected}", supported
        )
    try:
        media = parse_media_type(content_type)
    except ValueError:
        media = None
    if media is None or media.essence not in supported:
        raise UnsupportedMediaType(
            f"Content-Type {content_type.strip()!r} is not supported here; use one of {expected}",
            supported,
        )
    charset = media.param("charset")
    if not is_utf8(charset):
        raise UnsupportedMediaType(
            f"charset={charset} is not supported: request bodies must be UTF-8", supported
        )
    return media


def upload_format(content_type: str | None) -> Format:
    """The graph format of an RDF request body (Graph Store Protocol); 415 when unsupported."""
    media = parse_content_type(content_type, RDF_UPLOAD_TYPES)
    return next(f for f in GRAPH_FORMATS if media.essence in f.media_types)
