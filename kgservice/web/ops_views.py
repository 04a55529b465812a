"""Operations: ``/healthz`` (is the store answering?) and ``/metrics`` (Prometheus text)."""

from __future__ import annotations

import os
import time

from flask import Blueprint, Response, jsonify

from kgservice.web.metrics import CONTENT_TYPE
from kgservice.web.state import current_state

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """200 with ``{"status": "ok"}`` when the store answers an ASK, else 503.

    The body also names the backend, how long the ASK took and the serving process's id (it
    changes when a worker is replaced after a runaway query; a worker being ended for memory
    answers 503 with its id until it is gone)."""
    state = current_state()
    started = time.monotonic()
    try:
        state.runner.call(lambda: state.store.ask("ASK { }"), "the health check")
    except Exception as error:  # any failure of the store means unhealthy
        body = {"status": "unavailable", "error": str(error), "pid": os.getpid()}
        return Response(jsonify(body).get_data(), status=503, mimetype="application/json")
    elapsed = round((time.monotonic() - started) * 1000, 2)
    backend = type(state.store).__name__
    return jsonify({"status": "ok", "store": backend, "store_ms": elapsed, "pid": os.getpid()})


@bp.get("/metrics")
def metrics() -> Response:
    """The service's metrics in the Prometheus text exposition format."""
    return Response(current_state().metrics.exposition(), content_type=CONTENT_TYPE)
