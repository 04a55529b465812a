"""Choose the response format: the ``format`` parameter, else the ``Accept`` header.

``Accept`` is parsed as RFC 9110 §12.5.1 says
(https://www.rfc-editor.org/rfc/rfc9110#section-12.5.1):

* each member is a media range with optional parameters and a weight ``q`` (0 to 1, at most
  three decimals, default 1); ``q=0`` means "not acceptable";
* for each format, the most specific matching range decides its weight:
  ``type/subtype;params`` > ``type/subtype`` > ``type/*`` > ``*/*``;
* names are case-insensitive; members that are malformed are skipped, and a header with no
  valid member counts as absent (any format, so the default).

Choices this module makes where the RFC leaves them open:

* A range's parameters must all be satisfied; the only one our formats satisfy is
  ``charset=utf-8`` (everything is served in UTF-8), so ``text/csv;charset=utf-8`` matches CSV
  but ``application/ld+json;profile=...`` matches nothing.
* Aliases (``application/json``, ``application/xml``, ``text/xml``, legacy RDF types; see
  :mod:`kgservice.protocol.formats`) match only exactly and rank just below the canonical type;
  ``type/*`` ranges match canonical types only, so ``text/*`` picks CSV, not XML by ``text/xml``.
* Ties on weight go to the more specific match, then to the member listed first, then to the
  server's order (JSON then XML, CSV, TSV; Turtle then N-Triples, N-Quads, TriG, JSON-LD,
  RDF/XML). So a browser's ``text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8``
  gets SPARQL XML results (or RDF/XML for a graph) by the ``application/xml`` alias at 0.9.

The ``format`` parameter (a short name such as ``json``/``ttl``, or a media type) overrides
``Accept``; an unknown one is answered 406 like an unsatisfiable ``Accept``. Responses whose
format was negotiated should carry ``Vary: Accept`` (RFC 9110 §12.5.5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from kgservice.protocol.errors import NotAcceptable
from kgservice.protocol.formats import (
    KIND_LABELS,
    Format,
    Kind,
    MediaType,
    default_format,
    format_by_media_type,
    format_by_name,
    formats,
    is_utf8,
    parse_media_type,
    split_outside_quotes,
)

_QVALUE = re.compile(r"(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)\Z")
_MAX_ECHO = 200
#: Choices remembered (clients send the same few Accept headers again and again), and the
#: longest header remembered.
CHOICE_CACHE_SIZE = 512
CHOICE_CACHE_MAX_CHARS = 1024

# Specificity levels of a range matching a format.
_ANY, _TYPE_WILDCARD, _ALIAS, _EXACT = 0, 1, 2, 3


@dataclass(frozen=True)
class MediaRange:
    """One member of ``Accept``: the range, its weight in thousandths and its position."""

    media: MediaType
    quality: int
    position: int


def parse_qvalue(text: str) -> int:
    """``"0.5"`` -> 500 (thousandths); raise ``ValueError`` unless it is an RFC 9110 qvalue."""
    if not _QVALUE.match(text):
        raise ValueError(f"invalid qvalue {text!r}")
    whole, _, fraction = text.partition(".")
    return int(whole) * 1000 + int(fraction.ljust(3, "0"))


def _media_range(member: str, position: int) -> MediaRange:
    """Parse one member; the ``q`` parameter ends the range's own parameters."""
    media = parse_media_type(member)
    if media.type == "*" and media.subtype != "*":
        raise ValueError(f"invalid media range {member!r}")
    params: list[tuple[str, str]] = []
    quality = 1000
    for name, value in media.params:
        if name == "q":
            quality = parse_qvalue(value)
            break
        params.append((name, value))
    return MediaRange(MediaType(media.type, media.subtype, tuple(params)), quality, position)


def parse_accept(header: str | None) -> list[MediaRange]:
    """The valid members of an ``Accept`` header, in order; malformed members are skipped."""
    ranges: list[MediaRange] = []
    for position, member in enumerate(split_outside_quotes(header or "", ",")):
        if not member:
            continue
        try:
            ranges.append(_media_range(member, position))
        except ValueError:
            continue
    return ranges


def _specificity(media: MediaType, fmt: Format) -> tuple[int, int] | None:
    """How specifically ``media`` matches ``fmt`` (level, parameter count); ``None`` if not."""
    if any(name != "charset" or not is_utf8(value) for name, value in media.params):
        return None
    canonical = parse_media_type(fmt.media_type)
    if media.type == "*":
        level = _ANY
    elif media.subtype == "*":
        level = _TYPE_WILDCARD if media.type == canonical.type else None
    elif media.essence == canonical.essence:
        level = _EXACT
    elif media.essence in fmt.aliases:
        level = _ALIAS
    else:
        level = None
    return None if level is None else (level, len(media.params))


def _rank(ranges: list[MediaRange], fmt: Format, index: int) -> tuple[int, ...] | None:
    """Sort key of ``fmt`` (smaller is better), or ``None`` when it is not acceptable."""
    matches = [(spec, r) for r in ranges if (spec := _specificity(r.media, fmt)) is not None]
    if not matches:
        return None
    best = max(spec for spec, _ in matches)
    chosen = min((r for spec, r in matches if spec == best), key=lambda r: (-r.quality, r.position))
    if chosen.quality == 0:
        return None
    return (-chosen.quality, -best[0], -best[1], chosen.position, index)


def _not_acceptable(what: str, kind: Kind) -> NotAcceptable:
    available = [f.media_type for f in formats(kind)]
    names = ", ".join(f"{f.names[0]} ({f.media_type})" for f in formats(kind))
    return NotAcceptable(f"{what} no format of {KIND_LABELS[kind]}; available: {names}", available)


def format_from_param(value: str, kind: Kind) -> Format:
    """The format named by a ``format`` request parameter: a short name or a media type.

    A comma-separated list names the first of its members that is known: SPARQLWrapper puts
    its whole Accept list there (``format=application/ld+json,application/x-json+ld``).
    """
    members = [value, *value.split(",")] if "," in value else [value]
    for member in members:
        found = format_by_name(kind, member.strip()) or format_by_media_type(kind, member)
        if found is not None:
            return found
    raise _not_acceptable(f"format={value.strip()[:_MAX_ECHO]!r} names", kind)


def negotiate(accept_header: str | None, kind: Kind, format_param: str | None = None) -> Format:
    """The format of a response of ``kind``; raise :class:`NotAcceptable` (406) if none fits.

    A non-empty ``format_param`` wins over ``accept_header``. Without a (valid) ``Accept``, or
    with ``*/*``, the default is JSON for results and Turtle for graphs. The choice depends on
    the three arguments only, so it is remembered for the headers seen last (a refusal is not).
    """
    if len(accept_header or "") + len(format_param or "") > CHOICE_CACHE_MAX_CHARS:
        return _negotiate(accept_header, kind, format_param)
    return _negotiate_cached(accept_header, kind, format_param)


def _negotiate(accept_header: str | None, kind: Kind, format_param: str | None) -> Format:
    if format_param and format_param.strip():
        return format_from_param(format_param, kind)
    ranges = parse_accept(accept_header)
    if not ranges:
        return default_format(kind)
    ranked = [
        (key, fmt)
        for index, fmt in enumerate(formats(kind))
        if (key := _rank(ranges, fmt, index)) is not None
    ]
    if not ranked:
        header = (accept_header or "").strip()[:_MAX_ECHO]
        raise _not_acceptable(f"Accept: {header!r} matches", kind)
    return min(ranked, key=lambda pair: pair[0])[1]


_negotiate_cached = lru_cache(maxsize=CHOICE_CACHE_SIZE)(_negotiate)
