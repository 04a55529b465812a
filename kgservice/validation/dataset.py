"""The data validation reads from a store, and its findings, remembered by content.

Validation reads the data as its sources gave it: every graph but the derived ones
(``graph:inferred``, ``graph:quality``), raw personal values instead of their masked copies
(as :func:`kgservice.privacy.unmasked_quads` reads them). :func:`validation_copy` makes that
view an in-memory store of its own, with a *fingerprint* of its content: the sum of its quads'
hashes, which a change of the copy updates in passing. :class:`FindingsCache` keeps the
findings of the last content it validated under that fingerprint, so a write that follows a
write (or a load) does not validate the store "before" it again: the findings of the store as
the previous write left it are those it computed for "after". Any change made outside the
cache's sight (another process, a remote store's other clients) changes the fingerprint, and
the findings are computed anew: the cache is never stale, only missed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import pyoxigraph as ox
from rdflib import Graph

from kgservice.privacy import unmasked_quads
from kgservice.store.embedded import EmbeddedStore, open_embedded
from kgservice.validation.findings import Finding

_MASK = (1 << 64) - 1


@dataclass
class ValidationCopy:
    """The data validation reads, in a store of its own, and the fingerprint of its content."""

    store: EmbeddedStore
    fingerprint: int

    def apply(self, removed: Iterable[ox.Quad], added: Iterable[ox.Quad]) -> None:
        """Remove then add quads, keeping the fingerprint true to the content."""
        quads = self.store.oxigraph
        for quad in removed:
            if quad in quads:
                quads.remove(quad)
                self.fingerprint = (self.fingerprint - hash(quad)) & _MASK
        for quad in added:
            if quad not in quads:
                quads.add(quad)
                self.fingerprint = (self.fingerprint + hash(quad)) & _MASK


def validation_copy(
    store: ox.Store, derived: frozenset[str], properties: frozenset[str] | None = None
) -> ValidationCopy:
    """The quads of ``store`` that validation reads (no graph of ``derived``, raw personal
    values), copied into an in-memory store."""
    fingerprint = 0

    def read() -> Iterable[ox.Quad]:
        nonlocal fingerprint
        for quad in unmasked_quads(store, properties, leave_out=derived):
            fingerprint += hash(quad)
            yield quad

    copy = open_embedded(None)
    copy.oxigraph.bulk_extend(read())
    return ValidationCopy(copy, fingerprint & _MASK)


def run_shapes(copy: EmbeddedStore) -> list[Finding]:
    """The findings of the repository's shapes (fast engine) over ``copy``, unlocated."""
    from kgservice.validation.compile import SubclassIndex, compile_shapes
    from kgservice.validation.engine import run_rules

    return run_rules(copy, compile_shapes(repository_shapes(), SubclassIndex.from_store(copy)))


@cache
def repository_shapes() -> Graph:
    """The shapes of ``shapes/``, parsed once per process."""
    from kgservice.validation.run import default_shapes_dir, load_shapes

    return load_shapes(default_shapes_dir())


class FindingsCache:
    """The findings of the last content validated, by fingerprint (module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fingerprint: int | None = None
        self._findings: list[Finding] = []
        self.hits = self.misses = 0  # how often the findings were remembered, or computed

    def findings(self, copy: ValidationCopy) -> list[Finding]:
        """The findings over ``copy``: remembered if its content was validated last."""
        with self._lock:
            if copy.fingerprint == self._fingerprint:
                self.hits += 1
                return list(self._findings)
            self.misses += 1
        found = run_shapes(copy.store)
        self.remember(copy.fingerprint, found)
        return found

    def remember(self, fingerprint: int, findings: list[Finding]) -> None:
        """Note the findings of the content with ``fingerprint``."""
        with self._lock:
            self._fingerprint, self._findings = fingerprint, list(findings)


FINDINGS = FindingsCache()  # the process's: writes and loads both read and fill it
