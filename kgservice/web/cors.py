"""Cross-origin reads and writes from browsers (CORS): the headers, in one place for the Flask
hooks (:mod:`kgservice.web.app`) and the query fast path (:mod:`kgservice.web.query_path`).

``KGSERVICE_CORS_ORIGINS`` lists the origins allowed (``*``: any); a response always varies on
``Origin``, so a cache never hands one origin's answer to another.
"""

from __future__ import annotations

from flask import Response

_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS"
_READ_ONLY_METHODS = "GET, HEAD, POST, OPTIONS"  # POST: queries may be sent as forms
_REQUEST_HEADERS = "Accept, Authorization, Content-Type"
_EXPOSED = "KGService-Truncated, Location"


def cors_methods(read_only: bool) -> str:
    """The methods a preflight allows: no writes when the service is read-only."""
    return _READ_ONLY_METHODS if read_only else _METHODS


def allowed_origin(origin: str | None, origins: tuple[str, ...]) -> str | None:
    """The ``Access-Control-Allow-Origin`` a request from ``origin`` gets, if any."""
    if not origin:
        return None
    if "*" in origins:
        return "*"
    return origin if origin in origins else None


def cors_headers(origin: str | None, origins: tuple[str, ...]) -> list[tuple[str, str]]:
    """The CORS headers of a response to a request from ``origin`` (none: not allowed)."""
    allowed = allowed_origin(origin, origins)
    if not allowed:
        return []
    return [("Access-Control-Allow-Origin", allowed), ("Access-Control-Expose-Headers", _EXPOSED)]


def add_cors(response: Response, origin: str | None, origins: tuple[str, ...]) -> None:
    """Vary ``response`` on ``Origin`` and add its CORS headers."""
    response.headers["Vary"] = vary_with(response.headers.get("Vary"), "Origin")
    for name, value in cors_headers(origin, origins):
        response.headers[name] = value


def vary_with(vary: str | None, header: str) -> str:
    """A ``Vary`` value with ``header`` added to ``vary`` (unless it is there already); read as
    text: werkzeug's ``response.vary`` parses it into a set and writes it back, a cost on every
    request."""
    if not vary:
        return header
    if header.lower() in (part.strip().lower() for part in vary.split(",")):
        return vary
    return f"{vary}, {header}"


def preflight(origin: str | None, origins: tuple[str, ...], methods: str) -> Response:
    """The answer to a CORS preflight: the methods this service takes."""
    response = Response(status=204, headers={"Allow": methods})
    if allowed_origin(origin, origins):
        response.headers["Access-Control-Allow-Methods"] = methods
        response.headers["Access-Control-Allow-Headers"] = _REQUEST_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
    return response
