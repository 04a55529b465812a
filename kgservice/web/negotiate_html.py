"""Negotiate "an HTML page or one of the RDF graph formats" (catalogue, term pages).

Built on :mod:`kgservice.protocol.negotiation`: the graph format is chosen exactly as for
CONSTRUCT results (``format`` parameter, else ``Accept``, Turtle by default), then HTML competes
with it by weight (RFC 9110 §12.5.1, https://www.rfc-editor.org/rfc/rfc9110#section-12.5.1):

* HTML is ``text/html`` (``application/xhtml+xml`` counts as an alias); its weight is that of
  the most specific ``Accept`` member matching it (exact or alias > ``text/*`` > ``*/*``), the
  graph format's likewise;
* HTML wins only when its weight is *strictly* higher. So a browser
  (``text/html,…,application/xml;q=0.9,*/*;q=0.8``) gets HTML, while ``*/*``, ``text/*``, no
  ``Accept`` at all, or ``text/html;q=0.5, text/turtle`` get Turtle: the page is never forced on a
  client that did not ask for it first;
* ``format=html`` (or ``text/html``) asks for the page outright; any other ``format`` value is a
  graph format's short name or media type, 406 when unknown;
* when no graph format is acceptable and HTML is, HTML; when neither, 406 listing both.
"""

from __future__ import annotations

from typing import Literal

from kgservice.protocol.errors import NotAcceptable
from kgservice.protocol.formats import Format, default_format, formats, is_utf8
from kgservice.protocol.negotiation import MediaRange, format_from_param, negotiate, parse_accept

HTML = "html"
HTML_MEDIA_TYPE = "text/html"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"
HTML_ALIASES = ("application/xhtml+xml",)

Choice = Format | Literal["html"]


def weight(ranges: list[MediaRange], media_type: str, aliases: tuple[str, ...] = ()) -> int:
    """The weight (thousandths) ``Accept`` gives ``media_type``: that of its most specific match.

    Exact type or alias > ``type/*`` > ``*/*``; among equally specific members the highest
    weight. Members with parameters other than ``charset=utf-8`` do not match. 0 if none does.
    """
    major = media_type.split("/", 1)[0]
    best: tuple[int, int] | None = None
    for member in ranges:
        media = member.media
        if any(name != "charset" or not is_utf8(value) for name, value in media.params):
            continue
        if media.essence == media_type or media.essence in aliases:
            level = 2
        elif media.subtype == "*" and media.type == major:
            level = 1
        elif media.type == "*":
            level = 0
        else:
            continue
        if best is None or (level, member.quality) > best:
            best = (level, member.quality)
    return best[1] if best else 0


def _not_acceptable(header: str) -> NotAcceptable:
    available = [HTML_MEDIA_TYPE, *(f.media_type for f in formats("graph"))]
    return NotAcceptable(
        f"Accept: {header.strip()[:200]!r} matches neither HTML nor an RDF graph format; "
        f"available: {', '.join(available)}",
        available,
    )


def negotiate_page(accept_header: str | None, format_param: str | None = None) -> Choice:
    """``"html"`` for the HTML page, else the graph :class:`Format` to answer in."""
    if format_param and format_param.strip():
        if format_param.strip().lower() in (HTML, HTML_MEDIA_TYPE):
            return HTML
        return format_from_param(format_param, "graph")
    ranges = parse_accept(accept_header)
    if not ranges:
        return default_format("graph")
    html = weight(ranges, HTML_MEDIA_TYPE, HTML_ALIASES)
    try:
        fmt = negotiate(accept_header, "graph")
    except NotAcceptable:
        if html > 0:
            return HTML
        raise _not_acceptable(accept_header or "") from None
    return HTML if html > weight(ranges, fmt.media_type, fmt.aliases) else fmt
