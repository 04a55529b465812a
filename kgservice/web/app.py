"""The app factory: ``create_app()`` builds the service from its settings and a store.

The store is opened here (embedded Oxigraph at ``KGSERVICE_STORE``, or the remote store at
``KGSERVICE_STORE_URL``) unless one is passed in, as tests do. Views reach it through
:func:`kgservice.web.state.current_state`; errors become responses in
:mod:`kgservice.web.errors`; CORS and metrics are request hooks here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from flask import Flask, Response, g, request

from kgservice.local_reasoning import Refresher, refresh_cost_warning
from kgservice.privacy import personal_properties
from kgservice.reasoning import DERIVED_GRAPHS, MATERIALIZE
from kgservice.settings import Settings, load_settings
from kgservice.sparql.answer_cache import AnswerCache
from kgservice.sparql.execute import Limits
from kgservice.store import open_store
from kgservice.store.base import Store
from kgservice.store.embedded import EmbeddedStore
from kgservice.web import (
    cockpit_views,
    describe_views,
    graph_store_views,
    ops_views,
    question_views,
    sparql_views,
    ui,
)
from kgservice.web.errors import register_error_handlers
from kgservice.web.metrics import Metrics
from kgservice.web.runner import Runner
from kgservice.web.state import EXTENSION, ServiceState
from kgservice.write_validation import prepare as prepare_write_validation

log = logging.getLogger(__name__)

_CORS_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS"
_CORS_READ_ONLY_METHODS = "GET, HEAD, POST, OPTIONS"  # POST: queries may be sent as forms
_CORS_HEADERS = "Accept, Authorization, Content-Type"
_CORS_EXPOSE = "KGService-Truncated, Location"


def create_app(
    settings: Settings | None = None,
    store: Store | None = None,
    *,
    on_runaway: Callable[[], None] | None = None,
) -> Flask:
    """Build the service. ``on_runaway`` is called when timed-out work cannot be stopped."""
    settings = settings or load_settings()
    store = store if store is not None else open_store(settings)
    app = Flask(__name__, static_folder=None)  # the ui blueprint serves /static
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    runner = Runner(settings.query_timeout, on_runaway)
    answers = AnswerCache(settings.answer_cache_mb * 1024 * 1024)
    state = ServiceState(
        store=store,
        settings=settings,
        runner=runner,
        limits=Limits(
            max_rows=settings.max_rows,
            max_query_bytes=settings.max_query_bytes,
            max_query_depth=settings.max_query_depth,
            allowed_remote=settings.allowed_remote,
        ),
        metrics=Metrics(
            quads=store.quad_count,
            graphs=lambda: len(store.graph_names()),
            timeouts=lambda: runner.timeouts,
            answers=answers,
        ),
        personal_properties=personal_properties(),
        reasoner=(
            Refresher(store)
            if settings.reasoning == MATERIALIZE and not settings.read_only
            else None
        ),
        answers=answers,
    )
    app.extensions[EXTENSION] = state
    if state.reasoner is not None and (warning := refresh_cost_warning(store)):
        log.warning(warning)
    if validates_writes(settings) and isinstance(store, EmbeddedStore):
        prepare_write_validation(store, DERIVED_GRAPHS)
    for blueprint in _blueprints():
        app.register_blueprint(blueprint)
    register_error_handlers(app)
    _install_hooks(app, state)
    return app


def validates_writes(settings: Settings) -> bool:
    """Whether this service takes writes and validates some."""
    return (
        bool(settings.write_token)
        and not settings.read_only
        and ("*" not in settings.validate_writes)
    )


def _blueprints() -> list:
    return [
        sparql_views.bp,
        graph_store_views.bp,
        question_views.bp,
        cockpit_views.bp,
        ops_views.bp,
        ui.bp,
        *describe_views.blueprints,
    ]


def _install_hooks(app: Flask, state: ServiceState) -> None:
    origins = state.settings.cors_origins
    methods = _CORS_READ_ONLY_METHODS if state.settings.read_only else _CORS_METHODS

    @app.before_request
    def start_clock() -> Response | None:
        g.started = time.monotonic()
        if request.method == "OPTIONS":
            return _preflight(origins, methods)
        return None

    @app.after_request
    def finish(response: Response) -> Response:
        _add_cors(response, origins)
        rule = request.url_rule.rule if request.url_rule else "unmatched"
        started = g.get("started", time.monotonic())
        state.metrics.observe(
            rule, request.method, response.status_code, time.monotonic() - started
        )
        return response


def _allowed_origin(origins: tuple[str, ...]) -> str | None:
    origin = request.headers.get("Origin")
    if not origin:
        return None
    if "*" in origins:
        return "*"
    return origin if origin in origins else None


def _add_cors(response: Response, origins: tuple[str, ...]) -> None:
    allowed = _allowed_origin(origins)
    _vary_on(response, "Origin")
    if allowed:
        response.headers["Access-Control-Allow-Origin"] = allowed
        response.headers["Access-Control-Expose-Headers"] = _CORS_EXPOSE


def _vary_on(response: Response, header: str) -> None:
    """Add ``header`` to the response's ``Vary`` (read as text: werkzeug's ``response.vary``
    parses it into a set and writes it back, a cost on every request)."""
    vary = response.headers.get("Vary")
    if not vary:
        response.headers["Vary"] = header
    elif header.lower() not in (part.strip().lower() for part in vary.split(",")):
        response.headers["Vary"] = f"{vary}, {header}"


def _preflight(origins: tuple[str, ...], methods: str) -> Response:
    """The answer to a CORS preflight: the methods this service takes (no writes when it is
    read-only)."""
    response = Response(status=204, headers={"Allow": methods})
    if _allowed_origin(origins):
        response.headers["Access-Control-Allow-Methods"] = methods
        response.headers["Access-Control-Allow-Headers"] = _CORS_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
    return response
