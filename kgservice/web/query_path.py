"""SPARQL queries on ``/sparql`` taken in straight from WSGI, beside Flask.

A lookup by IRI costs the engine about 0.06 ms; building Flask's request and response objects,
pushing its contexts, routing and running its hooks cost several times that, on the requests
integrators send most. :class:`QueryPath` wraps the Flask app (``app.wsgi_app``) and answers a
query (GET ``?query=``, POST of a form or of ``application/sparql-query``) itself, with the
functions the Flask view uses (:func:`~kgservice.protocol.params.parse_request`,
:func:`~kgservice.web.answers.answer_for`, the error mapping of :mod:`kgservice.web.errors`, the
CORS headers of :mod:`kgservice.web.cors`) and the same metrics. The answer is the same, byte
for byte and header for header (``tests/web/test_query_path.py`` compares the two ways).

Everything else goes to Flask: other paths, HEAD and OPTIONS, a bare GET (the Service
Description), updates, and a POST body of unknown length or over ``KGSERVICE_MAX_BODY_BYTES``
(werkzeug's checks and its 413).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from werkzeug.wrappers import Response
from werkzeug.wsgi import get_current_url

from kgservice.errors import KGServiceError
from kgservice.protocol.params import QueryRequest, read_request
from kgservice.web.answers import Reader, answer_for, answer_headers
from kgservice.web.auth import token_sees_personal_data
from kgservice.web.cors import add_cors, cors_headers, vary_with
from kgservice.web.errors import handle_service_error, handle_unexpected
from kgservice.web.runner import whole_body
from kgservice.web.state import ServiceState

WSGIApp = Callable[[dict[str, Any], Callable], Iterable[bytes]]
PATH = "/sparql"


class QueryPath:
    """WSGI middleware answering SPARQL queries on ``/sparql``; the rest goes to ``app``."""

    def __init__(self, app: WSGIApp, state: ServiceState, max_body_bytes: int | None) -> None:
        self.app = app
        self.state = state
        self.max_body_bytes = max_body_bytes

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if environ.get("PATH_INFO") != PATH or method not in ("GET", "POST"):
            return self.app(environ, start_response)
        started = time.monotonic()
        body = b""
        if method == "POST":
            body = self._body(environ)
            if body is None:  # length unknown, over the limit or cut short: werkzeug says
                return self.app(environ, start_response)
        try:
            query_string = environ.get("QUERY_STRING", "").encode("latin-1")
            operation, format_param = read_request(
                method, query_string, environ.get("CONTENT_TYPE"), body
            )
            if not isinstance(operation, QueryRequest):  # a bare GET, or an update
                environ["wsgi.input"] = io.BytesIO(body)
                return self.app(environ, start_response)
            answer, chunks = answer_for(self.state, operation, self._reader(environ, format_param))
        except KGServiceError as error:
            return self._error(handle_service_error(error), environ, start_response, started)
        except Exception as error:  # a bug: logged, 500 (as Flask's handler does)
            return self._error(handle_unexpected(error), environ, start_response, started)
        payload = whole_body(chunks)
        headers = [
            (name, vary_with(value, "Origin") if name == "Vary" else value)
            for name, value in answer_headers(answer)
        ]
        headers += cors_headers(environ.get("HTTP_ORIGIN"), self.state.settings.cors_origins)
        if isinstance(payload, bytes):
            headers.append(("Content-Length", str(len(payload))))
            payload = [payload]
        self.state.metrics.observe(PATH, method, 200, time.monotonic() - started)
        start_response("200 OK", headers)
        return payload

    def _body(self, environ: dict[str, Any]) -> bytes | None:
        """A POST's body, if its length is given and within the limit (else ``None``)."""
        if environ.get("HTTP_TRANSFER_ENCODING"):
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None
        if length < 0 or (self.max_body_bytes is not None and length > self.max_body_bytes):
            return None
        body = environ["wsgi.input"].read(length) if length else b""
        if len(body) != length:
            environ["wsgi.input"] = io.BytesIO(body)
            return None
        return body

    def _reader(self, environ: dict[str, Any], format_param: str | None) -> Reader:
        settings = self.state.settings
        sees = token_sees_personal_data(
            environ.get("HTTP_AUTHORIZATION"), settings.personal_data_token, settings.write_token
        )
        endpoint_url = partial(_endpoint_url, environ, settings.public_url)
        return Reader(environ.get("HTTP_ACCEPT"), format_param, sees, endpoint_url)

    def _error(
        self, response: Response, environ: dict[str, Any], start_response: Callable, started: float
    ) -> Iterable[bytes]:
        add_cors(response, environ.get("HTTP_ORIGIN"), self.state.settings.cors_origins)
        method = environ["REQUEST_METHOD"]
        self.state.metrics.observe(PATH, method, response.status_code, time.monotonic() - started)
        return response(environ, start_response)


def _endpoint_url(environ: dict[str, Any], public_url: str) -> str:
    """The endpoint's URL as Flask's ``url_for(..., _external=True)`` builds it (or under
    ``KGSERVICE_PUBLIC_URL``)."""
    root = environ.get("SCRIPT_NAME", "").rstrip("/")
    if public_url:
        return public_url.rstrip("/") + root + PATH
    return get_current_url(environ, root_only=True).rstrip("/") + PATH
