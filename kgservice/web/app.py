"""The app factory: ``create_app()`` builds the service from its settings and a store.

The store is opened here (embedded Oxigraph at ``KGSERVICE_STORE``, or the remote store at
``KGSERVICE_STORE_URL``) unless one is passed in, as tests do. Views reach it through
:func:`kgservice.web.state.current_state`; errors become responses in
:mod:`kgservice.web.errors`; CORS (:mod:`kgservice.web.cors`) and metrics are request hooks here;
SPARQL queries take a faster way in (:mod:`kgservice.web.query_path`) that does the same.
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
from kgservice.web.cors import add_cors, cors_methods, preflight
from kgservice.web.errors import register_error_handlers
from kgservice.web.metrics import Metrics
from kgservice.web.query_path import QueryPath
from kgservice.web.runner import Runner
from kgservice.web.state import EXTENSION, ServiceState
from kgservice.write_validation import prepare as prepare_write_validation

log = logging.getLogger(__name__)


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
    answers = AnswerCache(settings.answer_cache_mb * 1024 * 1024, changes=store.changed_predicates)
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
    app.wsgi_app = QueryPath(app.wsgi_app, state, settings.max_body_bytes)  # type: ignore[method-assign]
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
    methods = cors_methods(state.settings.read_only)

    @app.before_request
    def start_clock() -> Response | None:
        g.started = time.monotonic()
        if request.method == "OPTIONS":
            return preflight(request.headers.get("Origin"), origins, methods)
        return None

    @app.after_request
    def finish(response: Response) -> Response:
        add_cors(response, request.headers.get("Origin"), origins)
        rule = request.url_rule.rule if request.url_rule else "unmatched"
        started = g.get("started", time.monotonic())
        state.metrics.observe(
            rule, request.method, response.status_code, time.monotonic() - started
        )
        return response
