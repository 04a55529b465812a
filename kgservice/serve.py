"""``kgservice serve``: the service under granian, with the demo city loaded on first start.

granian (a Rust HTTP server) parses HTTP and hands each request to the WSGI app on one of
``KGSERVICE_THREADS`` threads of one worker process: an on-disk Oxigraph store can be open for
writing in one process only, and Oxigraph evaluates queries without holding the GIL, so threads
use every core. When a query outlives its time limit inside the engine, the worker is retired
gracefully (in-flight requests finish, new connections wait in the listen queue of the main
process) and granian starts a fresh one; ending the old process is what stops the work. A worker
grown past ``KGSERVICE_WORKER_MEMORY_MB`` while answering queries is ended at once
(:mod:`kgservice.web.memory_guard`).

Read-only mode (``KGSERVICE_READ_ONLY``) serves a store loaded before in ``KGSERVICE_WORKERS``
worker processes, each holding it open with ``Store.read_only``: Python's per-request work
then runs on every core too. Nothing is loaded or reasoned at start, and writes are refused.
"""

from __future__ import annotations

import _thread
import logging
import math
import multiprocessing
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import click

from kgservice.iri import DEFAULT_SECRET
from kgservice.settings import Settings, worker_count, worker_memory_limit
from kgservice.store import open_store
from kgservice.store.base import Store

log = logging.getLogger(__name__)

MIN_WORKER_SECONDS = 6.0  # granian stops respawning a worker that ends within 5.5 s of its start
#: How long a retiring worker may take to stop gracefully beyond the query time limit.
RETIRE_GRACE_SECONDS = 5
_started = 0.0  # when this worker process built its app
_retire_deadline = RETIRE_GRACE_SECONDS  # seconds: the query time limit + the grace
_retiring = False  # this worker process is on its way out


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


def granian_server(settings: Settings) -> Any:
    """granian serving :func:`kgservice.web.app.create_app` in ``worker_count`` worker
    processes, each running requests on ``KGSERVICE_THREADS`` threads; a worker that ends
    without being asked (a retired one) is started again."""
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels

    server = _server_class()(
        "kgservice.web.app:create_app",  # informative: the loader below builds the app
        address=settings.host,
        port=settings.port,
        interface=Interfaces.WSGI,
        workers=worker_count(settings),
        blocking_threads=settings.threads,
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(keep_alive=True),
        log_level=LogLevels(settings.log_level.lower()),
        websockets=False,
        respawn_failed_workers=True,
        workers_kill_timeout=int(settings.query_timeout) + 5,
    )
    server.on_startup(partial(_announce, settings))
    logging.getLogger("_granian").addFilter(_drop_thread_count_advice)
    return server


def _drop_thread_count_advice(record: logging.LogRecord) -> bool:
    """granian advises against more than two threads per core for a WSGI app; the service's
    threads mostly wait on the engine, which runs without the GIL, so the advice is left out of
    the log (``KGSERVICE_THREADS`` sets the number)."""
    return "compared to the number of CPU cores" not in record.getMessage()


def _server_class() -> type:
    from granian.net import SocketSpec
    from granian.server import MPServer

    class SharedSocketServer(MPServer):
        """granian's process server with one listening socket, made and held by the main
        process, that every worker accepts from. (On Linux granian lets each worker bind its
        own socket with ``SO_REUSEPORT``; then, while the only worker of a writable store is
        being replaced, nothing listens and clients are refused. With the socket held here
        they wait in its queue, and the announced URL answers as soon as it is printed.)"""

        def _init_shared_socket(self) -> None:
            self._ssp = None
            self._shd = SocketSpec(self.bind_addr, self.bind_port, self.backlog).build()
            self._sfd = self._shd.get_fd()
            self._sso = socket.socket(fileno=self._sfd)
            self._sso.set_inheritable(True)
            self._sso.listen(self.backlog)  # granian's workers listen; queue before they do

    return SharedSocketServer


def _load_app(settings: Settings, target: str) -> Any:
    """The WSGI app of one worker process (called in the worker, after the fork)."""
    from kgservice.web.app import create_app
    from kgservice.web.cockpit_views import opening_requests
    from kgservice.web.state import EXTENSION
    from kgservice.web.warming import start_warming

    global _started, _retire_deadline
    take_stop_signals_on_their_own_thread()  # first: the threads started below inherit it
    _started = time.monotonic()
    _retire_deadline = math.ceil(settings.query_timeout) + RETIRE_GRACE_SECONDS
    logging.basicConfig(level=settings.log_level)
    app = create_app(settings, on_runaway=_retire_worker)
    state = app.extensions[EXTENSION]
    guard_memory(state, worker_memory_limit(settings))
    start_warming(state, also=opening_requests())
    return app


#: The signals that stop a worker (granian's handlers, set after the app is built).
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


def take_stop_signals_on_their_own_thread() -> None:
    """Block :data:`STOP_SIGNALS` in this thread, and so in every thread started from it
    after (the engine's, granian's, the app's), and hand each one that arrives to its Python
    handler from a thread of its own.

    Python runs a handler in the main thread, which in a granian worker waits on a lock for
    the stop; the kernel gives a signal sent to the process to any thread that does not block
    it, and when that is one of the engine's or granian's threads, the main thread's wait is
    not interrupted and the worker does not stop (Ctrl-C, or a retirement's SIGTERM, left
    unanswered)."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    threading.Thread(target=_deliver_stop_signals, name="stop-signals", daemon=True).start()


def _deliver_stop_signals() -> None:
    while True:
        number = signal.sigwait(STOP_SIGNALS)
        handler = signal.getsignal(number)
        if handler is signal.default_int_handler:  # before granian's: KeyboardInterrupt
            _thread.interrupt_main(number)
        elif callable(handler):
            handler(number, None)
        elif handler == signal.SIG_DFL:  # its default action: the process ends
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {number})
            signal.raise_signal(number)


def guard_memory(state: Any, limit: int | None) -> None:
    """Start this worker's memory guard (:mod:`kgservice.web.memory_guard`) if it has a limit."""
    from kgservice.web.memory_guard import MB, MemoryGuard, resident_bytes

    if limit is None or resident_bytes() is None:
        log.info("no memory limit for this worker (KGSERVICE_WORKER_MEMORY_MB)")
        return
    reasoner = state.reasoner
    state.metrics.memory_limit = limit
    MemoryGuard(
        limit,
        state.runner,
        writing=lambda: reasoner is not None and reasoner.busy,
        retire=_retire_worker,
        end=_end_worker_now,
    ).start()
    log.info("this worker may hold %s MB while answering queries", f"{limit // MB:,}")


def _end_worker_now() -> None:
    """End this worker process at once, which granian then starts again: the memory guard's
    last resort (nothing in the process can stop the engine's work).

    As with a retirement, the process ends no sooner than :data:`MIN_WORKER_SECONDS` after its
    start. A younger one is frozen (``SIGSTOP``: its memory grows no more) and ended by a small
    process started to end it once it is old enough."""
    pid = os.getpid()
    wait = _started + MIN_WORKER_SECONDS - time.monotonic()
    if wait > 0:
        try:
            subprocess.Popen(
                ["/bin/sh", "-c", f"sleep {wait:.2f}; kill -KILL {pid}"], start_new_session=True
            )
        except OSError:  # no shell to end it later: wait here, the engine still running
            time.sleep(wait)
        else:
            os.kill(pid, signal.SIGSTOP)  # takes effect at once for the other threads only
            time.sleep(wait + 1)  # this one stops in here; the process ends before it wakes
    os.kill(pid, signal.SIGKILL)


def _retire_worker() -> None:
    """Stop this worker gracefully (requests in flight finish, new connections wait in the
    listen queue) and end its process, which granian then starts again: ending the process is
    what stops a query the engine cannot interrupt. A worker is retired no sooner than
    :data:`MIN_WORKER_SECONDS` after it started, as granian gives up on a worker that ends
    again within seconds of being started."""
    global _retiring
    if _retiring:
        return
    _retiring = True
    threading.Thread(target=_retire_when_old_enough, name="retire", daemon=True).start()


def _retire_when_old_enough() -> None:
    time.sleep(max(0.0, _started + MIN_WORKER_SECONDS - time.monotonic()))
    # A backstop that needs no Python code to run: should the graceful stop not end the
    # process in time (requests in flight end within the query time limit), the alarm's
    # default action ends it and granian starts another.
    signal.alarm(_retire_deadline)
    os.kill(os.getpid(), signal.SIGTERM)


def _announce(settings: Settings) -> None:
    shown = "127.0.0.1" if settings.host in ("0.0.0.0", "") else settings.host
    port = settings.port
    print(
        f"kgservice: serving http://{shown}:{port}/ (SPARQL endpoint http://{shown}:{port}/sparql)",
        flush=True,
    )


def serve(settings: Settings) -> None:
    """Prepare the store, then run the service until it is stopped."""
    prepare_store_apart(settings)
    granian_server(settings).serve(target_loader=partial(_load_app, settings))


def prepare_store_apart(settings: Settings) -> None:
    """:func:`prepare_store` in a process of its own, its errors raised here.

    The process that forks granian's workers must never open the on-disk store: RocksDB runs
    its flushes and compactions on threads of a process-wide pool, started when a store is
    first opened, and a fork copies the pool without its threads. A worker forked after
    :func:`prepare_store` ran here would queue that work for nobody: its first write that
    waits for a flush (a bulk ingestion over unflushed writes, or a write once the memtables
    are full) would never end."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as process:
        process.submit(prepare_store, settings).result()
