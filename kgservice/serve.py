"""``kgservice serve``: the service under gunicorn, with the demo city loaded on first start.

One gunicorn worker process with threads (``KGSERVICE_THREADS``): an on-disk Oxigraph store can
be open for writing in one process only, and Oxigraph evaluates queries without holding the GIL,
so threads use every core. When a query outlives its time limit inside the engine, the worker is
retired gracefully (in-flight requests finish, new connections wait in the master's listen
queue) and gunicorn starts a fresh one; ending the old process is what stops the work.

Read-only mode (``KGSERVICE_READ_ONLY``) serves a store loaded before in ``KGSERVICE_WORKERS``
worker processes, each holding it open with ``Store.read_only``: Python's per-request work
then runs on every core too. Nothing is loaded or reasoned at start, and writes are refused.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import click
from gunicorn.app.base import BaseApplication

from kgservice.iri import DEFAULT_SECRET
from kgservice.settings import Settings, worker_count
from kgservice.store import open_store
from kgservice.store.base import Store

log = logging.getLogger(__name__)

_worker: Any = None  # the gunicorn worker of this process, set after fork


DEMO_SECRET_WARNING = (
    "warning: KGSERVICE_IRI_SECRET is the public demo secret: anyone can rebuild citizen ID "
    "numbers from person IRIs and the public facts (birth date, residence, sex). It is fine for "
    "the generated demo city only; set a secret of your own before loading real registers."
)


def prepare_store(settings: Settings, echo=click.echo) -> None:
    """Load the ontology and the demo city into the store if it is empty; then release it.

    In read-only mode the store must hold data already (else
    :class:`~kgservice.errors.InputError`), and is left as it is."""
    if settings.iri_secret == DEFAULT_SECRET:
        echo(DEMO_SECRET_WARNING)
    store = open_store(settings)
    if settings.read_only:
        try:
            graphs = len(store.graph_names())
            echo(f"store (read-only): {store.quad_count():,} quads in {graphs} graphs")
        finally:
            store.close()
        return
    try:
        if store.graph_names():
            echo(f"store: {store.quad_count():,} quads in {len(store.graph_names())} graphs")
            follow_reasoning_setting(store, settings, echo)
            return
        load_demo(store, settings, echo)
    finally:
        store.close()


def follow_reasoning_setting(store: Store, settings: Settings, echo=click.echo) -> None:
    """A store loaded under the other ``KGSERVICE_REASONING``: build or drop graph:inferred."""
    from kgservice.loading import ONTOLOGY_GRAPH
    from kgservice.reasoning import INFERRED_GRAPH, MATERIALIZE, apply_mode, describe

    names = {graph.value for graph in store.graph_names()}
    has_inferred = INFERRED_GRAPH.value in names
    if (settings.reasoning == MATERIALIZE) != has_inferred and ONTOLOGY_GRAPH in names:
        echo(describe(apply_mode(store, settings.reasoning)))


def load_demo(store: Store, settings: Settings, echo=click.echo) -> None:
    """The ontology, then a generated city of ``KGSERVICE_DEMO_PEOPLE`` in Linyi's divisions."""
    from kgservice.generator import GeneratorConfig, generate_city
    from kgservice.loading import ensure_ontology, load_sources, refresh_derived

    ensure_ontology(store)  # type: ignore[arg-type]
    echo("store was empty: loaded the ontology")
    if settings.demo_people == 0:
        return
    with tempfile.TemporaryDirectory(prefix="kgservice-demo-") as folder:
        config = GeneratorConfig(people=settings.demo_people, iri_secret=settings.iri_secret)
        generate_city(config, Path(folder))
        for loaded in load_sources(store, [folder]):  # type: ignore[arg-type]
            echo(
                f"demo city: {loaded.source_id}: {loaded.records} records, {loaded.triples} triples"
            )
    for line in refresh_derived(store, settings.reasoning):
        echo(f"demo city: {line}")


class ServiceApplication(BaseApplication):
    """gunicorn running :func:`kgservice.web.app.create_app` in threaded workers (one, or
    ``KGSERVICE_WORKERS`` in read-only mode)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        settings = self.settings
        options = {
            "bind": f"{settings.host}:{settings.port}",
            "workers": worker_count(settings),
            "worker_class": "gthread",
            "threads": settings.threads,
            "timeout": max(30, int(settings.query_timeout) * 2),
            "graceful_timeout": int(settings.query_timeout) + 5,
            "keepalive": 5,
            "loglevel": settings.log_level.lower(),
            "errorlog": "-",
            "post_fork": _remember_worker,
            "worker_exit": _end_worker,
            "when_ready": _announce,
            "control_socket_disable": True,  # no gunicornc socket in $HOME
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from kgservice.web.app import create_app

        logging.basicConfig(level=self.settings.log_level)
        return create_app(self.settings, on_runaway=_retire_worker)


def _remember_worker(server: Any, worker: Any) -> None:
    global _worker
    _worker = worker


def _retire_worker() -> None:
    """Ask this process's worker to finish its requests and exit; gunicorn starts another."""
    if _worker is not None:
        _worker.alive = False


def _end_worker(server: Any, worker: Any) -> None:
    """Leave at once once the worker's loop is over: a runaway query thread must not be waited
    for. The store is not flushed: its writes are committed to Oxigraph's write-ahead log, which
    survives the process (a kill -9 loses nothing: tests/hostile/test_crash_safety.py), and a
    flush would wait for the runaway query still reading inside the engine."""
    logging.shutdown()
    os._exit(0)


def _announce(server: Any) -> None:
    host, port = server.cfg.bind[0].rsplit(":", 1)
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    print(
        f"kgservice: serving http://{shown}:{port}/ (SPARQL endpoint http://{shown}:{port}/sparql)",
        flush=True,
    )


def serve(settings: Settings) -> None:
    """Prepare the store, then run the service until it is stopped."""
    prepare_store(settings)
    ServiceApplication(settings).run()
