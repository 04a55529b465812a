"""The store: one interface, two backends (embedded Oxigraph, or a remote SPARQL 1.1 store)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kgservice.store.base import GraphName, Store
from kgservice.store.embedded import EmbeddedStore, open_embedded, open_read_only

if TYPE_CHECKING:
    from kgservice.settings import Settings


def open_store(settings: Settings) -> Store:
    """The remote store at ``KGSERVICE_STORE_URL`` if set, else the embedded one on disk
    (opened read-only under ``KGSERVICE_READ_ONLY``)."""
    if settings.read_only:
        return open_read_only(settings.store, union_default_graph=settings.union_default_graph)
    if settings.store_url:
        from kgservice.store.remote import open_remote

        return open_remote(settings)
    return open_embedded(settings.store, union_default_graph=settings.union_default_graph)


__all__ = [
    "EmbeddedStore",
    "GraphName",
    "Store",
    "open_embedded",
    "open_read_only",
    "open_store",
]
