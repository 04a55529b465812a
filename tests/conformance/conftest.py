"""The real service over real HTTP, for the conformance and client tests.

``live_service`` starts the app on 127.0.0.1 (a free port) with werkzeug's threaded server in a
background thread, over a fresh in-memory store: writes allowed with :data:`TOKEN`, no row cap
(conformance tests compare whole results) and a plain default graph (the W3C tests expect one,
not the union of the named graphs). Each test module gets its own service and store; the
server is shut down and its socket closed at teardown.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from werkzeug.serving import make_server

from kgservice.settings import load_settings
from kgservice.store.embedded import open_embedded
from kgservice.web.app import create_app

TOKEN = "conformance-write-token"
WRITER = {"Authorization": f"Bearer {TOKEN}"}
ENV = {
    "KGSERVICE_WRITE_TOKEN": TOKEN,
    "KGSERVICE_MAX_ROWS": "0",
    "KGSERVICE_UNION_DEFAULT_GRAPH": "false",
    "KGSERVICE_QUERY_TIMEOUT": "30",
    "KGSERVICE_AUDIT_LOG": "off",
}
REQUEST_TIMEOUT = 30  # seconds: every HTTP call of these tests is bounded
SHUTDOWN_TIMEOUT = 10


@dataclass(frozen=True)
class LiveService:
    """A running service: its base URL, endpoints and an HTTP session for the tests."""

    base_url: str
    http: requests.Session
    token: str = TOKEN

    @property
    def sparql_url(self) -> str:
        return self.base_url + "/sparql"

    @property
    def store_url(self) -> str:
        return self.base_url + "/store"

    def update(self, text: str) -> None:
        """Run a SPARQL update (POST direct, with the write token); fail on any error."""
        response = self.http.post(
            self.sparql_url,
            data=text.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update", **WRITER},
            timeout=REQUEST_TIMEOUT,
        )
        assert response.status_code == 204, f"{response.status_code}: {response.text}"

    def put_graph(self, graph: str | None, data: bytes, content_type: str) -> None:
        """Replace a named graph (or the default graph, ``graph=None``) via the Graph Store."""
        self._write_graph("PUT", graph, data, content_type)

    def post_graph(self, graph: str | None, data: bytes, content_type: str) -> None:
        """Add to a named graph (or the default graph, ``graph=None``) via the Graph Store."""
        self._write_graph("POST", graph, data, content_type)

    def _write_graph(self, method: str, graph: str | None, data: bytes, content_type: str) -> None:
        params = {"graph": graph} if graph is not None else {"default": ""}
        response = self.http.request(
            method,
            self.store_url,
            params=params,
            data=data,
            headers={"Content-Type": content_type, **WRITER},
            timeout=REQUEST_TIMEOUT,
        )
        assert response.status_code in (201, 204), f"{response.status_code}: {response.text}"

    def clear(self) -> None:
        """Empty the store: every named graph dropped, the default graph cleared."""
        self.update("DROP ALL")


@pytest.fixture(scope="module")
def live_service() -> Iterator[LiveService]:
    settings = load_settings(ENV)
    store = open_embedded(None, union_default_graph=settings.union_default_graph)
    app = create_app(settings, store)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-service", daemon=True)
    thread.start()
    session = requests.Session()
    try:
        yield LiveService(f"http://127.0.0.1:{server.server_port}", session)
    finally:
        session.close()
        server.shutdown()
        server.server_close()
        thread.join(timeout=SHUTDOWN_TIMEOUT)
        assert not thread.is_alive(), "the live service did not stop"
