"""The one place where errors become HTTP responses.

Every error the project raises on purpose is a :class:`~kgservice.errors.KGServiceError` with an
``http_status``; the response is ``text/plain`` with the message (as Oxigraph and Fuseki answer
SPARQL protocol errors), plus the headers some statuses need: ``Allow`` (405), ``Accept-Post``
(415 on the Graph Store), ``WWW-Authenticate`` (401). A write refused for new validation
findings (422, :class:`~kgservice.errors.NonConformingWrite`) is the exception: its body is the
SHACL report, JSON or Turtle by the ``Accept`` header. Werkzeug's own HTTP errors (404 for an
unknown path, 413 for a body over ``MAX_CONTENT_LENGTH``) get the same treatment. Anything else is
a bug: it is logged with its traceback and answered 500 without details.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from kgservice.errors import KGServiceError, NonConformingWrite
from kgservice.protocol.errors import MethodNotAllowed, NotAcceptable, UnsupportedMediaType

log = logging.getLogger(__name__)
TEXT = "text/plain; charset=utf-8"


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """A plain-text error response."""
    return Response(
        message.rstrip("\n") + "\n",
        status=status,
        headers=headers,
        mimetype=None,
        content_type=TEXT,
    )


def _headers(error: KGServiceError) -> dict[str, str]:
    if isinstance(error, MethodNotAllowed):
        return {"Allow": ", ".join(error.allow)}
    if isinstance(error, UnsupportedMediaType):
        return {"Accept-Post": ", ".join(error.supported)}
    if isinstance(error, NotAcceptable):
        return {"Vary": "Accept"}
    return dict(getattr(error, "headers", {}) or {})


def _negotiated(error: NonConformingWrite) -> Response:
    """A 422 write refusal: its SHACL report in the type the client's Accept prefers."""
    offered = list(error.representations)
    chosen = request.accept_mimetypes.best_match(offered) or offered[0]
    return Response(
        error.representations[chosen],
        status=error.http_status,
        content_type=f"{chosen}; charset=utf-8",
        headers={"Vary": "Accept"},
    )


def handle_service_error(error: KGServiceError) -> Response:
    if isinstance(error, NonConformingWrite) and error.representations:
        return _negotiated(error)
    if error.http_status >= 500:
        log.warning("%s: %s", type(error).__name__, error.message)
    return error_response(error.http_status, error.message, _headers(error))


def handle_http_exception(error: HTTPException) -> Response:
    if isinstance(error, RequestEntityTooLarge):
        message = "the request body is larger than the limit (KGSERVICE_MAX_BODY_BYTES)"
    else:
        message = error.description or error.name
    headers = {k: v for k, v in error.get_headers() if k.lower() in ("allow",)}
    return error_response(error.code or 500, f"{error.name}: {message}", headers)


def handle_unexpected(error: Exception) -> Response:
    log.exception("unexpected error while answering a request")
    return error_response(500, "internal error: the service could not answer; see its log")


def register_error_handlers(app: Flask) -> None:
    """Install the mapping on ``app``."""
    app.register_error_handler(KGServiceError, handle_service_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
