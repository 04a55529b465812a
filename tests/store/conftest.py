"""Fixtures for the store tests: one real ``oxigraph serve`` per session, and a ``store`` fixture
parametrized over the backends, each test starting from an empty store.

* ``embedded``: an in-memory pyoxigraph store.
* ``remote``: :class:`RemoteStore` on the server's query, update and Graph Store URLs.
* ``remote-sparql``: the same server without a Graph Store URL, so graphs are read and written
  with SPARQL queries and updates only (what a store without the Graph Store Protocol gets).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from kgservice.store.base import Store
from kgservice.store.embedded import open_embedded
from kgservice.store.remote import RemoteStore
from tests.servers import OxigraphServer, oxigraph_server

BACKENDS = ("embedded", "remote", "remote-sparql")


@pytest.fixture(scope="session")
def oxigraph() -> Iterator[OxigraphServer]:
    """A real ``oxigraph serve`` on 127.0.0.1 for the whole session."""
    with oxigraph_server() as server:
        yield server


def remote_store(server: OxigraphServer, *, graph_store: bool = True, **options) -> RemoteStore:
    """A :class:`RemoteStore` on ``server``; ``graph_store=False`` leaves out its /store URL."""
    return RemoteStore(
        server.query_url,
        server.update_url,
        server.store_url if graph_store else None,
        timeout=options.pop("timeout", 20.0),
        **options,
    )


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make_store(backend: str, request: pytest.FixtureRequest) -> Iterator[Callable[..., Store]]:
    """Open stores of the test's backend (all on the same data); the first one empties it."""
    opened: list[Store] = []
    shared = open_embedded(None).oxigraph if backend == "embedded" else None
    server = request.getfixturevalue("oxigraph") if backend != "embedded" else None

    def make(*, union_default_graph: bool = True, **options) -> Store:
        if shared is not None:
            from kgservice.store.embedded import EmbeddedStore

            store: Store = EmbeddedStore(shared, union_default_graph=union_default_graph)
        else:
            assert server is not None
            store = remote_store(
                server,
                graph_store=backend == "remote",
                union_default_graph=union_default_graph,
                **options,
            )
            if not opened:
                store.update("DROP ALL")
        opened.append(store)
        return store

    yield make
    for store in opened:
        if isinstance(store, RemoteStore):
            store.close()


@pytest.fixture
def store(make_store: Callable[..., Store]) -> Store:
    """An empty store of the test's backend, union default graph on (the service's default)."""
    return make_store()
