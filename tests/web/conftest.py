"""Fixtures of the query-page tests: a small generated city in memory, and the service over it.

``city_store`` (the ontology plus a generated city of 200 people) and ``live_service`` (the real
app on a free local port, in a thread) are built once per session: loading takes a few seconds.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from kgservice.generator import GeneratorConfig, generate_city
from kgservice.loading import ensure_ontology, load_sources, refresh_derived
from kgservice.settings import Settings, load_settings
from kgservice.store.base import Store
from kgservice.store.embedded import EmbeddedStore, open_embedded
from kgservice.store.remote import RemoteStore
from kgservice.web.app import create_app
from tests.servers import OxigraphServer, oxigraph_server

CITY = GeneratorConfig(people=200, seed=11, bad_share=0.05)


@pytest.fixture(scope="session")
def city_store() -> EmbeddedStore:
    """An in-memory store holding the ontology and a generated city of 200 people (5 % bad
    records), loaded as ``kgservice load`` does: reasoning and the quality report included."""
    store = open_embedded(None)
    ensure_ontology(store)
    with tempfile.TemporaryDirectory(prefix="kgservice-city-") as folder:
        generate_city(CITY, Path(folder))
        load_sources(store, [folder])
    refresh_derived(store, "materialize")
    return store


def city_app(store: EmbeddedStore) -> Flask:
    """The service over ``store``, with the query page (registered here if the app has not)."""
    app = create_app(load_settings({"KGSERVICE_AUDIT_LOG": "off"}), store)
    if "ui.index" not in app.view_functions:
        from kgservice.web import ui

        app.register_blueprint(ui.bp)
    return app


@pytest.fixture(scope="session")
def city_client(city_store: EmbeddedStore):
    """A Flask test client of the service over the city."""
    return city_app(city_store).test_client()


@pytest.fixture(scope="session")
def live_service(city_store: EmbeddedStore) -> Iterator[str]:
    """The service over the city on a free port of 127.0.0.1; yields its base URL."""
    server = make_server("127.0.0.1", 0, city_app(city_store), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-service", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


# --- the endpoint tests run on both backends ---------------------------------------------------


@pytest.fixture(scope="session")
def web_oxigraph() -> Iterator[OxigraphServer]:
    """One real ``oxigraph serve`` for the web tests' remote backend."""
    with oxigraph_server() as server:
        yield server


@pytest.fixture(params=["embedded", "remote"])
def store_factory(request: pytest.FixtureRequest) -> Callable[[Settings], Store]:
    """Makes the store of a test app: in memory, or an emptied ``oxigraph serve``."""
    if request.param == "embedded":
        return lambda settings: open_embedded(
            None, union_default_graph=settings.union_default_graph
        )
    server: OxigraphServer = request.getfixturevalue("web_oxigraph")

    def remote(settings: Settings) -> Store:
        store = RemoteStore(
            server.query_url,
            server.update_url,
            server.store_url,
            union_default_graph=settings.union_default_graph,
        )
        store.update("DROP ALL")
        return store

    return remote
