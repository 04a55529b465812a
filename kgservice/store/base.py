"""The store interface every backend implements. No HTTP, no Flask here.

Two backends: :mod:`kgservice.store.embedded` (pyoxigraph in this process) and
:mod:`kgservice.store.remote` (any SPARQL 1.1 Protocol + Graph Store Protocol server). Both hand
back pyoxigraph objects, so everything above the store (result serialisation, validation, the
web layer) is written once: SELECT gives ``ox.QuerySolutions``, ASK ``ox.QueryBoolean``,
CONSTRUCT/DESCRIBE an iterator of ``ox.Triple``.

Errors: a query or update the store cannot parse raises :class:`StoreSyntaxError` (the web layer
answers 400 with the parser's message); a store that cannot be reached or fails raises
:class:`StoreUnavailable` (503); a stopped operation raises :class:`StoreTimeout` (503).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import pyoxigraph as ox

from kgservice.errors import InputError, KGServiceError

GraphName = ox.NamedNode
GraphTarget = ox.NamedNode | ox.DefaultGraph
Row = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]
QueryResult = ox.QuerySolutions | ox.QueryBoolean | Iterator[ox.Triple]


class StoreSyntaxError(InputError):
    """The store's parser refused a query, an update or an RDF payload (400)."""


class StoreRefused(InputError):
    """The store could not apply an operation as given, e.g. CREATE of a graph that exists (400)."""


class StoreUnavailable(KGServiceError):
    """The store cannot be reached or failed while answering (503)."""

    exit_code = 2
    http_status = 503


class StoreTimeout(KGServiceError):
    """An operation ran past its time limit and was stopped (503)."""

    exit_code = 2
    http_status = 503


@dataclass(frozen=True)
class QueryDataset:
    """The RDF dataset of a query (SPARQL 1.1 Protocol ``default-graph-uri``/``named-graph-uri``).

    Empty lists leave the query's own FROM/FROM NAMED (or the store's default) in force.

    ``unread_predicates``: predicates the query provably matches no triple of outside its
    ``GRAPH`` patterns (:func:`kgservice.sparql.reach.reads_predicates`,
    :func:`kgservice.sparql.confine.confine_reads`). While every named graph outside
    ``default_graphs`` holds only triples of these predicates, the union of all graphs is an
    equivalent default graph; a store may use it when that is faster (the embedded one does,
    after checking the condition) or ignore it.

    ``graphs_confined``: the query's only ``GRAPH`` patterns are those
    :func:`~kgservice.sparql.confine.confine_reads` added, which match only triples of
    ``unread_predicates``; a named graph holding none of those adds nothing to its answer, so a
    store may leave it out of ``named_graphs`` (Oxigraph looks a ``GRAPH ?g`` pattern up once
    per named graph).
    """

    default_graphs: list[GraphTarget] = field(default_factory=list)
    named_graphs: list[GraphName] = field(default_factory=list)
    unread_predicates: frozenset[str] = frozenset()
    graphs_confined: bool = False

    def __bool__(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


@dataclass(frozen=True)
class UpdateDataset:
    """The dataset of an update's WHERE (``using-graph-uri``/``using-named-graph-uri``)."""

    using_graphs: list[GraphName] = field(default_factory=list)
    using_named_graphs: list[GraphName] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.using_graphs or self.using_named_graphs)


class Store(Protocol):
    """A quad store that answers SPARQL and reads and writes whole graphs."""

    union_default_graph: bool

    # --- SPARQL
    def query(
        self, query: str, dataset: QueryDataset | None = None, *, base_iri: str | None = None
    ) -> QueryResult:
        """Run a SPARQL 1.1 query; results are read lazily where the backend can."""
        ...

    def update(
        self,
        update: str,
        dataset: UpdateDataset | None = None,
        *,
        base_iri: str | None = None,
        touches: frozenset[str] | None = None,
    ) -> None:
        """Run a SPARQL 1.1 update as one transaction. ``touches``: the caller knows the update
        adds or removes only triples of these predicates, and no graph (``None``: not known); a
        store that keeps track of its changes (:meth:`changed_predicates`) records it."""
        ...

    def select(self, query: str, *, union_default_graph: bool = True) -> Iterator[Row]:
        """Run a SPARQL SELECT and yield each solution as ``{variable: term}`` (unbound omitted)."""
        ...

    def ask(self, query: str, *, union_default_graph: bool = True) -> bool:
        """Run a SPARQL ASK."""
        ...

    # --- graphs (SPARQL 1.1 Graph Store HTTP Protocol)
    def triples(self, graph: GraphTarget) -> Iterator[ox.Triple]:
        """The triples of one graph (the default graph with ``ox.DefaultGraph()``)."""
        ...

    def has_graph(self, graph: GraphTarget) -> bool:
        """Whether ``graph`` exists (the default graph always does)."""
        ...

    def replace_graph(
        self, graph: GraphName, triples: Iterable[ox.Triple], also: str | None = None
    ) -> int:
        """Make ``graph`` hold exactly ``triples``, all at once or not at all; return the count.

        ``also`` is a SPARQL update applied in the same transaction (e.g. a catalog entry).
        """
        ...

    def put_graph(self, graph: GraphTarget, triples: Iterable[ox.Triple]) -> bool:
        """Replace ``graph`` by ``triples`` in one transaction; True if it existed before."""
        ...

    def add_to_graph(self, graph: GraphTarget, triples: Iterable[ox.Triple]) -> bool:
        """Add ``triples`` to ``graph`` in one transaction; True if it existed before."""
        ...

    def drop_graph(self, graph: GraphTarget) -> bool:
        """Remove ``graph`` (clear the default graph); False if there was no such graph."""
        ...

    def graph_names(self) -> list[GraphName]:
        """The named graphs that hold at least one quad."""
        ...

    def quad_count(self) -> int:
        """The number of quads in the store."""
        ...

    def changed_predicates(self, since: int, now: int) -> frozenset[str] | None:
        """The predicates of every triple added or removed between content versions ``since``
        and ``now``, when every write in between said which (``None``: not known, or a graph
        was added or dropped)."""
        ...

    def content_version(self) -> int | None:
        """A number that moves at the start and at the end of every write to the store, for
        what is derived from its contents (kept answers); ``None`` when the store cannot tell
        (others may write it)."""
        ...

    def close(self) -> None:
        """Flush and release the store."""
        ...
