"""The store interface every backend implements. No HTTP, no Flask here."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

import pyoxigraph as ox

GraphName = ox.NamedNode
Row = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]


class Store(Protocol):
    """A quad store that answers SPARQL and replaces named graphs atomically."""

    def select(self, query: str, *, union_default_graph: bool = True) -> Iterator[Row]:
        """Run a SPARQL SELECT and yield each solution as ``{variable: term}`` (unbound omitted)."""
        ...

    def ask(self, query: str, *, union_default_graph: bool = True) -> bool:
        """Run a SPARQL ASK."""
        ...

    def replace_graph(
        self, graph: GraphName, triples: Iterable[ox.Triple], also: str | None = None
    ) -> int:
        """Make ``graph`` hold exactly ``triples``, all at once or not at all; return the count.

        ``also`` is a SPARQL update applied in the same transaction (e.g. a catalog entry).
        """
        ...

    def graph_names(self) -> list[GraphName]:
        """The named graphs that hold at least one quad."""
        ...

    def quad_count(self) -> int:
        """The number of quads in the store."""
        ...

    def close(self) -> None:
        """Flush and release the store."""
        ...
