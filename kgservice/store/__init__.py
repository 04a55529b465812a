"""The store: one interface, an embedded Oxigraph backend (and, later, a remote SPARQL one)."""

from kgservice.store.base import GraphName, Store
from kgservice.store.embedded import EmbeddedStore, open_embedded

__all__ = ["EmbeddedStore", "GraphName", "Store", "open_embedded"]
