"""Run one protocol operation on a store and produce the response body: no HTTP here.

:func:`prepare_query` checks the text (size, depth, remote targets), finds the query form and
negotiates the format *before* anything runs, so a 406 or 400 costs no evaluation.
:func:`answer_query` evaluates it and reads as far as it must to know the response's headers:
for a capped result, up to one row past the cap (so the header can say whether it was cut);
then the body is written lazily, chunk by chunk. :func:`run_update` checks and runs an update.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import islice

import pyoxigraph as ox

from kgservice.errors import InputError
from kgservice.protocol.formats import Format, Kind
from kgservice.protocol.negotiation import negotiate
from kgservice.protocol.params import QueryRequest, UpdateRequest
from kgservice.sparql.capped import head_lines
from kgservice.sparql.confine import confine_reads
from kgservice.sparql.guard import Target, check_shape, check_targets, remote_targets
from kgservice.sparql.lexer import Token, depends_on_base, is_volatile, outer_limit
from kgservice.sparql.reach import reads_predicates
from kgservice.sparql.results import HeadEditingSink, Truncation, truncation_note
from kgservice.store.base import QueryDataset, Store, UpdateDataset

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
_STREAM_CHUNK = 64 * 1024
_TSV = ox.QueryResultsFormat.TSV
_NTRIPLES = ox.RdfFormat.N_TRIPLES
#: Query texts whose checks are remembered (most recently used kept), and the longest text
#: remembered: a long query costs more to run than to check, and would fill memory.
ANALYSIS_CACHE_SIZE = 1024
ANALYSIS_CACHE_MAX_CHARS = 16 * 1024


@dataclass(frozen=True)
class Limits:
    """What the service allows a request (from the settings)."""

    max_rows: int  # 0: no cap
    max_query_bytes: int
    max_query_depth: int
    allowed_remote: tuple[str, ...]


@dataclass(frozen=True)
class PreparedQuery:
    """A checked query with its form, response format and the dataset it runs on.

    ``dataset`` is ``None`` when the query's own FROM/FROM NAMED (or the store's default)
    applies.
    """

    request: QueryRequest
    form: str
    format: Format
    dataset: QueryDataset | None = None
    #: the answer depends on the base IRI the query is given (see :class:`QueryAnalysis`)
    uses_base: bool = True
    #: the query calls NOW(), RAND() or the like: its answer is not to be reused
    volatile: bool = False
    #: a SELECT's outermost LIMIT: it has that many rows at most (``None``: no LIMIT, or not
    #: a SELECT)
    most_rows: int | None = None


Emit = Callable[[bytes], None]
BodyWriter = Callable[[Emit], None]


@dataclass
class Answer:
    """A response ready to send: its format, whether it was cut, and how to write its body.

    ``write_body(emit)`` produces the body by calling ``emit`` with each chunk; the web layer
    runs it in a worker thread that feeds the HTTP response, so Oxigraph's own serialisers can
    stream a large result without it ever being whole in memory.
    """

    format: Format
    write_body: BodyWriter
    truncated: Truncation | None = None


def query_form(found: list[Token]) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first of them outside the prologue."""
    for token in found:
        if token.is_keyword(*QUERY_FORMS):
            return token.text.upper()
    raise InputError("the query has no SELECT, ASK, CONSTRUCT or DESCRIBE: it is not a query")


def _kind(form: str) -> Kind:
    return "results" if form in ("SELECT", "ASK") else "graph"


HiddenGraphs = Callable[[str], bool]


def _local_graph_check(store: Store, hidden: HiddenGraphs | None = None) -> Callable[[str], bool]:
    def is_local(iri: str) -> bool:
        if hidden is not None and hidden(iri):
            return False  # a hidden graph does not exist for this reader
        try:
            graph = ox.NamedNode(iri)
        except ValueError:  # a relative FROM <x> (no BASE): no graph of this store
            return False
        return store.has_graph(graph)

    return is_local


def prepare_query(
    store: Store,
    request: QueryRequest,
    limits: Limits,
    accept: str | None,
    format_param: str | None = None,
    hidden: HiddenGraphs | None = None,
    hidden_predicates: frozenset[str] = frozenset(),
) -> PreparedQuery:
    """Check the query, pick its response format and fix its dataset; nothing runs yet.

    ``hidden`` marks graphs this reader must not see (raw personal data for anonymous
    readers): they cannot be named in FROM, FROM NAMED or the protocol's dataset, and a query
    without a dataset of its own runs over the visible graphs only, so no pattern, FILTER or
    GRAPH ?g can reach them. ``hidden_predicates`` are the predicates the hidden graphs are
    meant to hold: when the query provably reads none of them, the store may answer it from
    the union of all graphs, if it finds the hidden graphs hold nothing else.
    """
    text = request.query
    analysis = analyse_query(text, limits.max_query_bytes, limits.max_query_depth)
    fmt = negotiate(accept, _kind(analysis.form), format_param)
    dataset_targets = _dataset_targets(request)
    if analysis.targets or dataset_targets:
        check_targets(
            analysis.targets + tuple(dataset_targets),
            limits.allowed_remote,
            _local_graph_check(store, hidden),
        )
    dataset = _dataset(request) or None
    if dataset is None and hidden is not None and not analysis.has_from:
        dataset = visible_dataset(store, hidden)
        if hidden_predicates:
            request, dataset = _over_union(request, dataset, hidden_predicates)
        if not analysis.names_graphs and request.query is text:
            # No GRAPH pattern reads the named graphs (nor did confine_reads add one): the
            # engine need not be given them.
            dataset = replace(dataset, named_graphs=[])
        elif not analysis.names_graphs:
            # The only GRAPH patterns are those confine_reads added, of hidden predicates.
            dataset = replace(dataset, graphs_confined=True)
    most_rows = analysis.limit if analysis.form == "SELECT" else None
    return PreparedQuery(
        request, analysis.form, fmt, dataset, analysis.uses_base, analysis.volatile, most_rows
    )


def _over_union(
    request: QueryRequest, dataset: QueryDataset, hidden_predicates: frozenset[str]
) -> tuple[QueryRequest, QueryDataset]:
    """The query and dataset that let the store answer over the union of all graphs: as it is
    when it provably reads no hidden predicate, or with its reads of them confined to the
    visible named graphs (:func:`~kgservice.sparql.confine.confine_reads`); else unchanged."""
    if reads_predicates(request.query, None, hidden_predicates):
        confined = confine_reads(request.query, hidden_predicates)
        if confined is None:
            return request, dataset
        request = replace(request, query=confined)
    return request, replace(dataset, unread_predicates=hidden_predicates)


@dataclass(frozen=True)
class QueryAnalysis:
    """What the checks learn from a query's text alone: its form and remote targets."""

    form: str
    targets: tuple[Target, ...]  # SERVICE, FROM and FROM NAMED in the text
    uses_base: bool = True  # a relative IRI, or IRI()/URI(): the base IRI matters
    volatile: bool = False  # NOW(), RAND(), UUID(), STRUUID() or BNODE() is called
    names_graphs: bool = True  # a GRAPH pattern: the named graphs of the dataset are read
    limit: int | None = None  # the outermost LIMIT

    @property
    def has_from(self) -> bool:
        return any(target.clause.startswith("FROM") for target in self.targets)


def analyse_query(text: str, max_bytes: int, max_depth: int) -> QueryAnalysis:
    """Check a query's size and depth (raising as :func:`check_shape` does) and find its form
    and targets. The answer depends on the text and the two limits only, so it is remembered
    for the :data:`ANALYSIS_CACHE_SIZE` texts used last (short ones): a service asked the same
    lookups again and again (with other IRIs, or the same) then checks each text once. Refused
    text raises every time (errors are not remembered)."""
    if len(text) > ANALYSIS_CACHE_MAX_CHARS:
        return _analyse(text, max_bytes, max_depth)
    return _analyse_cached(text, max_bytes, max_depth)


def _analyse(text: str, max_bytes: int, max_depth: int) -> QueryAnalysis:
    found = check_shape(text, max_bytes=max_bytes, max_depth=max_depth)
    form = query_form(found)
    return QueryAnalysis(
        form,
        tuple(remote_targets(text, found)),
        depends_on_base(found),
        is_volatile(found),
        any(token.is_keyword("GRAPH") for token in found),
        outer_limit(found),
    )


_analyse_cached = lru_cache(maxsize=ANALYSIS_CACHE_SIZE)(_analyse)


def visible_dataset(store: Store, hidden: HiddenGraphs) -> QueryDataset:
    """The store's dataset without the hidden graphs (the union of the rest as default graph
    when the store uses a union default graph)."""
    return _visible_dataset(tuple(store.graph_names()), hidden, store.union_default_graph)


@lru_cache(maxsize=64)
def _visible_dataset(
    names: tuple[ox.NamedNode, ...], hidden: HiddenGraphs, union_default_graph: bool
) -> QueryDataset:
    """:func:`visible_dataset` of a store with the named graphs ``names`` (the same for every
    query until a graph is added or dropped: worked out once)."""
    visible = [graph for graph in names if not hidden(graph.value)]
    default: list = list(visible) if union_default_graph else [ox.DefaultGraph()]
    if union_default_graph:
        default.append(ox.DefaultGraph())
    return QueryDataset(default, visible)


def _dataset_targets(request: QueryRequest) -> list[Target]:
    pairs = [("FROM", "default-graph-uri", iri) for iri in request.default_graph_uris]
    pairs += [("FROM NAMED", "named-graph-uri", iri) for iri in request.named_graph_uris]
    return [Target(clause, iri, f"<{iri}>", 0, 0, name) for clause, name, iri in pairs]


def _dataset(request: QueryRequest) -> QueryDataset:
    return QueryDataset(
        [ox.NamedNode(iri) for iri in request.default_graph_uris],
        [ox.NamedNode(iri) for iri in request.named_graph_uris],
    )


def answer_query(
    store: Store, prepared: PreparedQuery, limits: Limits, base_iri: str | None = None
) -> Answer:
    """Evaluate the query; read ahead as far as the headers need; the rest stays lazy.

    ``base_iri`` resolves relative IRIs of a query without BASE (the endpoint's URL: the
    protocol lets the service choose it, and the W3C test ``update_base_uri`` needs one).
    """
    result = store.query(prepared.request.query, prepared.dataset, base_iri=base_iri)
    fmt = prepared.format
    if isinstance(result, ox.QueryBoolean):
        data = result.serialize(format=fmt.oxigraph)
        return Answer(fmt, lambda emit: emit(data))
    if isinstance(result, ox.QuerySolutions):
        cap = limits.max_rows
        if prepared.most_rows is not None and prepared.most_rows <= cap:
            cap = 0  # its LIMIT keeps it under the cap: written as the engine writes it
        return _answer_solutions(result, fmt, cap)
    return _answer_triples(result, fmt, limits.max_rows)


class _Once:
    """A pyoxigraph result handed out once, so that it is freed by the thread that writes it.

    pyoxigraph's ``QuerySolutions`` and ``QueryTriples`` are "unsendable": freeing one in
    another thread than the one that made it raises ``RuntimeError`` (reported as an
    unraisable exception). The runner makes and serialises a result in its worker thread, but
    the request thread holds the :class:`Answer` too, and drops it last when the body was
    written before the view returned. Taking the result out of the writer's closure leaves
    the worker's reference the only one.
    """

    def __init__(self, value: object) -> None:
        self._value = value

    def take(self):
        value, self._value = self._value, None
        return value


def _answer_solutions(solutions: ox.QuerySolutions, fmt: Format, cap: int) -> Answer:
    if cap == 0:
        held = _Once(solutions)
        return Answer(fmt, _oxigraph_writer(lambda out: held.take().serialize(out, fmt.oxigraph)))
    tsv, cut = head_lines(lambda out: solutions.serialize(out, _TSV), cap + 1)  # header + rows
    truncation = Truncation(cap) if cut else None
    if fmt.oxigraph == _TSV:  # the engine's lines are the answer, cut or whole
        return Answer(fmt, lambda emit: emit(tsv), truncation)
    head = _Once(ox.parse_query_results(tsv, _TSV))
    note = truncation_note(fmt.media_type, truncation) if truncation is not None else None

    def serialize(out: io.RawIOBase) -> None:
        if note is None:  # whole (written as with no cap), or CSV: no room for a note
            head.take().serialize(out, fmt.oxigraph)
            return
        sink = HeadEditingSink(out, note)
        head.take().serialize(sink, fmt.oxigraph)
        sink.finish()

    return Answer(fmt, _oxigraph_writer(serialize), truncation)


def _answer_triples(triples: Iterator[ox.Triple], fmt: Format, cap: int) -> Answer:
    if cap == 0:
        held = _Once(triples)
        return Answer(fmt, _oxigraph_writer(lambda out: _serialize_graph(held.take(), out, fmt)))
    if isinstance(triples, ox.QueryTriples):  # the engine writes the first lines
        ntriples, cut = head_lines(lambda out: triples.serialize(out, _NTRIPLES), cap)
        truncation = Truncation(cap) if cut else None
        note = _graph_note(fmt, truncation)
        if fmt.oxigraph == _NTRIPLES:
            return Answer(fmt, lambda emit: emit(note + ntriples), truncation)
        kept = list(ox.parse(ntriples, _NTRIPLES))
    else:
        head = list(islice(triples, cap + 1))
        truncation = Truncation(cap) if len(head) > cap else None
        note, kept = _graph_note(fmt, truncation), head[:cap]
    write = _oxigraph_writer(lambda out: ox.serialize(kept, out, fmt.oxigraph), note)
    return Answer(fmt, write, truncation)


def _serialize_graph(triples: Iterator[ox.Triple], out: io.RawIOBase, fmt: Format) -> None:
    """An embedded store's CONSTRUCT result is serialised by the engine, which walks it without
    calling back into Python for each triple; a remote store's triples by ``ox.serialize``."""
    if isinstance(triples, ox.QueryTriples):
        triples.serialize(out, fmt.oxigraph)
    else:
        ox.serialize(triples, out, fmt.oxigraph)


def _graph_note(fmt: Format, truncation: Truncation | None) -> bytes:
    """A comment saying the graph was cut, for the formats that have comments."""
    if truncation is None:
        return b""
    if fmt.extension in ("ttl", "nt", "nq", "trig"):
        return f"# truncated: {truncation.message}\n".encode()
    return b""  # JSON-LD has no comments, and RDF/XML's must follow its declaration


class EmitSink(io.RawIOBase):
    """A file-like object for Oxigraph's serialisers that passes what they write to ``emit``."""

    def __init__(self, emit: Emit) -> None:
        self.emit = emit

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.emit(bytes(data))
        return len(data)


def _oxigraph_writer(
    serialize: Callable[[io.RawIOBase], object], prefix: bytes = b""
) -> BodyWriter:
    """A body writer around an Oxigraph serialiser (buffered into chunks of 64 KiB)."""

    def write(emit: Emit) -> None:
        if prefix:
            emit(prefix)
        sink = io.BufferedWriter(EmitSink(emit), buffer_size=_STREAM_CHUNK)
        serialize(sink)
        sink.flush()

    return write


def write_graph(triples: Iterable[ox.Triple], fmt: Format, emit: Emit) -> None:
    """Serialise ``triples`` in ``fmt`` through ``emit``, 64 KiB at a time (Graph Store GET)."""
    _oxigraph_writer(lambda out: ox.serialize(triples, out, fmt.oxigraph))(emit)


def check_update(store: Store, request: UpdateRequest, limits: Limits) -> list[Token]:
    """Refuse an update over the size or depth limits or naming a LOAD or SERVICE target the
    settings do not allow (before anything of it runs); its tokens."""
    found = check_shape(
        request.update,
        max_bytes=limits.max_query_bytes,
        max_depth=limits.max_query_depth,
        what="update",
    )
    check_targets(
        remote_targets(request.update, found), limits.allowed_remote, _local_graph_check(store)
    )
    return found


def run_update(
    store: Store, request: UpdateRequest, limits: Limits, base_iri: str | None = None
) -> None:
    """Check an update (:func:`check_update`) and run it as one transaction."""
    check_update(store, request, limits)
    dataset = UpdateDataset(
        [ox.NamedNode(iri) for iri in request.using_graph_uris],
        [ox.NamedNode(iri) for iri in request.using_named_graph_uris],
    )
    store.update(request.update, dataset or None, base_iri=base_iri)
