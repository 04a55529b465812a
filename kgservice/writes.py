"""Validated, atomic, audited writes: the one pipeline of SPARQL updates and Graph Store writes.

One writer at a time (a process-wide lock). Each write:

1. **Delta.** Its effect is computed as quads removed and added, without touching the store: a
   Graph Store PUT/POST/DELETE from the uploaded triples and the graph's current content; a
   SPARQL update of ``INSERT DATA``/``DELETE DATA``/``DELETE``–``INSERT … WHERE`` operations by
   folding their quads over the store (:func:`looked_up_delta`); any other update by running it
   on a scratch in-memory copy of the data and comparing the quads before and after. On a
   remote store both are computed on an in-memory snapshot of it
   (:mod:`kgservice.store.snapshot`), read under the write lock; only a Graph Store write with
   validation switched off everywhere reads the remote store directly, and only an update with
   validation switched off everywhere is sent as it is (:func:`commit_unknown`).
2. **Derived graphs.** A write that would add to ``graph:inferred`` or ``graph:quality`` is
   refused (409): the service builds them from the data. Removing from them is allowed.
3. **Personal data** (:mod:`kgservice.privacy`). A personal property written into a source graph
   ``graph:<id>`` goes raw into ``graph:<id>/personal`` and masked into ``graph:<id>``, as
   ``kgservice load`` splits it; removing a masked copy removes the raw values it masks, and a
   raw value written into (or removed from) a personal graph gets (or loses) its masked copy.
   A personal property written into any other graph is refused (409): there is no personal
   graph to hide it in.
4. **Validation** (``KGSERVICE_VALIDATE_WRITES``, :mod:`kgservice.write_validation`). Unless
   every graph the delta touches is switched off, the shapes run over the data as it would be
   after the delta; findings that are new make the write non-conforming (422 with the SHACL
   report). A store that keeps a ``graph:quality`` gets the report of the data after the write
   in the same transaction.
5. **Apply.** The whole delta, public and personal graphs, is one SPARQL update (``DROP``/
   ``DELETE DATA``/``INSERT DATA``/``CREATE``), one transaction: readers, and a store killed
   mid-write, see the store before or after it.
6. **Audit** (:mod:`kgservice.audit`): one JSON line per write, committed or refused.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pyoxigraph as ox

from kgservice.audit import Entry, audit_path, record
from kgservice.errors import KGServiceError, NonConformingWrite, WriteConflict
from kgservice.privacy import mask_literal, personal_graph, public_graph_of
from kgservice.protocol.params import UpdateRequest
from kgservice.quality import QUALITY_GRAPH
from kgservice.reasoning import DERIVED_GRAPHS
from kgservice.settings import Settings
from kgservice.sparql.data_update import DataOperation
from kgservice.sparql.execute import Limits, check_update
from kgservice.sparql.modify_update import solve
from kgservice.sparql.update_sequence import (
    one_triple_pattern,
    update_operations,
    where_sees_changes,
)
from kgservice.store.base import GraphTarget, Store, StoreTimeout
from kgservice.store.embedded import EmbeddedStore
from kgservice.store.snapshot import NQUADS, copy_quads, snapshot
from kgservice.write_validation import CheckedWrite, check_delta

log = logging.getLogger(__name__)
_LOCK = threading.Lock()
DEFAULT = ""  # the default graph's key in counts and settings
GraphName = ox.NamedNode | ox.DefaultGraph


@dataclass
class Delta:
    """What a write changes: quads removed and added; named graphs created empty or dropped."""

    removed: set[ox.Quad] = field(default_factory=set)
    added: set[ox.Quad] = field(default_factory=set)
    created: set[ox.NamedNode] = field(default_factory=set)
    dropped: set[ox.NamedNode] = field(default_factory=set)

    def graphs(self) -> set[str]:
        """Every graph the write touches (``""`` for the default graph)."""
        quads = self.removed | self.added
        return {key(q.graph_name) for q in quads} | {g.value for g in self.created | self.dropped}

    def counts(self) -> dict[str, dict[str, int]]:
        """Triples added and removed per graph."""
        counts: dict[str, dict[str, int]] = {g: {"added": 0, "removed": 0} for g in self.graphs()}
        for quad in self.added:
            counts[key(quad.graph_name)]["added"] += 1
        for quad in self.removed:
            counts[key(quad.graph_name)]["removed"] += 1
        return counts

    def __bool__(self) -> bool:
        return bool(self.removed or self.added or self.created or self.dropped)


def key(graph: object) -> str:
    """A graph's name as text: its IRI, or ``""`` for the default graph."""
    return graph.value if isinstance(graph, ox.NamedNode) else DEFAULT


def _quad(triple: ox.Triple, graph: GraphName) -> ox.Quad:
    return ox.Quad(triple.subject, triple.predicate, triple.object, graph)


def graph_quads(store: Store, graph: GraphName) -> set[ox.Quad]:
    """The quads of one graph."""
    if isinstance(graph, ox.NamedNode) and not store.has_graph(graph):
        return set()
    return {_quad(t, graph) for t in store.triples(graph)}


# ---------------------------------------------------------------------------- 1. the delta


def put_delta(store: Store, graph: GraphTarget, triples: Iterable[ox.Triple]) -> Delta:
    """Graph Store PUT: ``graph`` holds exactly ``triples`` (an empty PUT leaves it empty)."""
    before = graph_quads(store, graph)
    after = {_quad(t, graph) for t in triples}
    created = {graph} if isinstance(graph, ox.NamedNode) and not after else set()
    return Delta(before - after, after - before, created)


def post_delta(store: Store, graph: GraphTarget, triples: Iterable[ox.Triple]) -> Delta:
    """Graph Store POST: ``triples`` are added to ``graph`` (which exists afterwards)."""
    added = {_quad(t, graph) for t in triples} - graph_quads(store, graph)
    created = {graph} if isinstance(graph, ox.NamedNode) and not added else set()
    return Delta(added=added, created=created)


def delete_delta(store: Store, graph: GraphTarget) -> Delta:
    """Graph Store DELETE: ``graph`` is dropped (the default graph emptied)."""
    dropped = {graph} if isinstance(graph, ox.NamedNode) else set()
    return Delta(removed=graph_quads(store, graph), dropped=dropped)


def update_delta(store: EmbeddedStore, run: Callable[[EmbeddedStore], None]) -> Delta:
    """The effect of ``run`` (a SPARQL update) on a scratch in-memory copy of ``store``.

    The quads before and after are compared as N-Quads lines (one serialiser, one line per
    quad, blank node labels kept by the copy): far cheaper than sets of quad objects.
    """
    graphs_before = {g for g in store.oxigraph.named_graphs() if isinstance(g, ox.NamedNode)}
    scratch = ox.Store()
    before = set(copy_quads(store.oxigraph, scratch).splitlines())
    run(EmbeddedStore(scratch, union_default_graph=store.union_default_graph))
    after = set(scratch.dump(format=NQUADS).splitlines())
    graphs_after = {g for g in scratch.named_graphs() if isinstance(g, ox.NamedNode)}
    removed, added = _parsed(before - after), _parsed(after - before)
    return Delta(
        removed,
        added,
        created={g for g in graphs_after - graphs_before if not _holds_quads(scratch, g)},
        dropped=graphs_before - graphs_after,
    )


class _Fold:
    """Quads removed and added by operations applied in order over a store, found by looking
    each up (a quad inserted then deleted, or deleted then inserted, is no change)."""

    def __init__(self, held: ox.Store) -> None:
        self.held = held
        self.removed: set[ox.Quad] = set()
        self.added: set[ox.Quad] = set()

    def present(self, quad: ox.Quad) -> bool:
        return quad in self.added or (quad not in self.removed and quad in self.held)

    def insert(self, quad: ox.Quad) -> None:
        if not self.present(quad):
            if quad in self.removed:
                self.removed.discard(quad)
            else:
                self.added.add(quad)

    def delete(self, quad: ox.Quad) -> None:
        if self.present(quad):
            if quad in self.added:
                self.added.discard(quad)
            else:
                self.removed.add(quad)

    def stores(self) -> tuple[ox.Store, ox.Store]:
        """The quads removed so far, and those added, each in an in-memory store."""
        removed, added = ox.Store(), ox.Store()
        removed.extend(self.removed)
        added.extend(self.added)
        return removed, added


def data_delta(store: EmbeddedStore, operations: Iterable[DataOperation]) -> Delta:
    """The effect of ``INSERT DATA``/``DELETE DATA`` operations, in order, on ``store``: what
    :func:`update_delta` finds by running them on a copy, found by looking each quad up."""
    fold = _Fold(store.oxigraph)
    for operation in operations:
        for quad in operation.quads:
            (fold.insert if operation.insert else fold.delete)(quad)
    return Delta(fold.removed, fold.added)


def looked_up_delta(
    store: EmbeddedStore, operation: UpdateRequest, limits: Limits, base: str | None
) -> Delta | None:
    """The effect of an update made of ``INSERT DATA``, ``DELETE DATA`` and ``DELETE``/``INSERT
    … WHERE`` operations, found by looking its quads up in the store instead of running it on
    a copy of it (:mod:`kgservice.sparql.update_sequence`); ``None`` for any other update, or
    one whose ``WHERE`` may read what an operation before it changed."""
    if operation.using_graph_uris or operation.using_named_graph_uris:
        return None
    text = operation.update
    found = check_update(store, operation, limits)  # LOAD and SERVICE targets too
    operations = update_operations(text, found, base)
    if operations is None:
        return None
    fold = _Fold(store.oxigraph)
    graphs: set[ox.NamedNode | ox.DefaultGraph] | None = None
    for step in operations:
        if isinstance(step, DataOperation):
            for quad in step.quads:
                (fold.insert if step.insert else fold.delete)(quad)
            continue
        overlay = None
        if fold.removed or fold.added:
            graphs = graphs or set(store.oxigraph.named_graphs())  # type: ignore[arg-type]
            if where_sees_changes(step, fold.removed | fold.added, graphs):
                if not one_triple_pattern(step):
                    return None  # its WHERE must see the store as the operations before left it
                overlay = fold.stores()
        modify = solve(store.oxigraph, step, base, overlay)
        if modify is None:
            return None
        for quad in modify.deleted:  # deletions first, then insertions (SPARQL 1.1 Update)
            fold.delete(quad)
        for quad in modify.inserted:
            fold.insert(quad)
    return Delta(fold.removed, fold.added)


def _parsed(lines: set[bytes]) -> set[ox.Quad]:
    return set(ox.parse(b"\n".join(lines), format=NQUADS)) if lines else set()


def _holds_quads(store: ox.Store, graph: ox.NamedNode) -> bool:
    return next(iter(store.quads_for_pattern(None, None, None, graph)), None) is not None


# ---------------------------------------------------------------- 2. derived graphs, refused


def refuse_derived(delta: Delta, derived: frozenset[str]) -> None:
    """409 if the write would add to a graph the service derives (graph:inferred, :quality).

    Removing from them (``DROP ALL``, ``CLEAR``, a Graph Store DELETE) is allowed: nothing false
    comes of it, ``graph:inferred`` is rebuilt after the write and ``graph:quality`` at the next
    load.
    """
    written = {key(q.graph_name) for q in delta.added} | {g.value for g in delta.created}
    touched = sorted(written & derived)
    if touched:
        raise WriteConflict(
            f"the write would add to {', '.join(f'<{g}>' for g in touched)}, which the service "
            "derives from the other graphs; write the data it is derived from instead"
        )


# --------------------------------------------------------------------------- 3. personal data


def _source_graph(iri: str) -> bool:
    return public_graph_of(iri) == iri


def _public_of(graph: object) -> str | None:
    """The public source graph a quad's graph belongs to for personal data, if any."""
    return public_graph_of(key(graph))


Slot = tuple[str, ox.NamedNode | ox.BlankNode, ox.NamedNode]  # public graph, subject, predicate


def _masked(predicate: ox.NamedNode, value: object) -> ox.Literal | None:
    return mask_literal(predicate, value) if isinstance(value, ox.Literal) else None


def split_personal_delta(delta: Delta, store: Store, properties: frozenset[str]) -> Delta:
    """The delta with personal triples laid out as loading lays them out (module docstring)."""
    slots: set[Slot] = set()
    for quad in delta.removed | delta.added:
        if quad.predicate.value not in properties:
            continue
        public = _public_of(quad.graph_name)
        if public is None:
            if quad in delta.added:
                raise WriteConflict(
                    f"<{quad.predicate.value}> is personal data: write it into a source graph "
                    f"graph:<id> (its raw value is kept in graph:<id>/personal, a masked copy in "
                    f"the graph), not into {key(quad.graph_name) or 'the default graph'}"
                )
            continue
        slots.add((public, quad.subject, quad.predicate))
    if not slots:
        return delta

    def in_a_slot(quad: ox.Quad) -> bool:
        public = _public_of(quad.graph_name)
        return public is not None and (public, quad.subject, quad.predicate) in slots

    result = Delta(
        {q for q in delta.removed if not in_a_slot(q)},
        {q for q in delta.added if not in_a_slot(q)},
        set(delta.created),
        set(delta.dropped),
    )
    removed, added, stored = _index(delta.removed), _index(delta.added), _Stored(store)
    for slot in slots:
        _resplit(result, slot, removed, added, stored)
    for graph in list(result.dropped):
        if _source_graph(graph.value):
            private = ox.NamedNode(personal_graph(graph.value))
            if store.has_graph(private):
                result.dropped.add(private)
    return result


SlotIndex = dict[tuple[str, object, object], set]  # (graph, subject, predicate) -> objects


def _index(quads: Iterable[ox.Quad]) -> SlotIndex:
    index: SlotIndex = defaultdict(set)
    for q in quads:
        index[(key(q.graph_name), q.subject, q.predicate)].add(q.object)
    return index


class _Stored:
    """The objects a graph holds for a subject and predicate, before the write."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._graphs: dict[str, SlotIndex] = {}  # remote: each graph read once

    def objects(self, graph: str, subject: object, predicate: object) -> set:
        node = ox.NamedNode(graph)
        if isinstance(self._store, EmbeddedStore):
            found = self._store.oxigraph.quads_for_pattern(subject, predicate, None, node)
            return {q.object for q in found}
        if graph not in self._graphs:
            self._graphs[graph] = _index(graph_quads(self._store, node))
        return set(self._graphs[graph].get((graph, subject, predicate), ()))


def _resplit(
    result: Delta, slot: Slot, removed: SlotIndex, added: SlotIndex, stored: _Stored
) -> None:
    """Lay out one subject's values of one personal property: raw values in the personal
    graph, their masked copies in the public graph."""
    public, subject, predicate = slot
    private = personal_graph(public)
    pub_before = stored.objects(public, subject, predicate)
    raw_before = stored.objects(private, subject, predicate)
    pub_removed = removed.get((public, subject, predicate), set())
    raw_removed = removed.get((private, subject, predicate), set()) | {
        o for o in raw_before if o in pub_removed or _masked(predicate, o) in pub_removed
    }
    raw_added = added.get((private, subject, predicate), set()) | added.get(
        (public, subject, predicate), set()
    )
    raw_after = (raw_before - raw_removed) | raw_added
    masks_after = {m for o in raw_after if (m := _masked(predicate, o)) is not None}
    lost = {m for o in raw_removed if (m := _masked(predicate, o)) is not None}
    # Raw values the write put in the public graph leave it, unless one is also a mask shown
    # there anyway (a raw value that equals its own mask: "李*").
    pub_after = ((pub_before - pub_removed - lost) | masks_after) - (
        (raw_added - pub_before) - masks_after
    )
    for graph, before, after in ((public, pub_before, pub_after), (private, raw_before, raw_after)):
        node = ox.NamedNode(graph)
        result.removed |= {ox.Quad(subject, predicate, o, node) for o in before - after}
        result.added |= {ox.Quad(subject, predicate, o, node) for o in after - before}


# ---------------------------------------------------------------------------- 5. the update


def _data(quads: Iterable[ox.Quad]) -> str:
    """Quads as the body of ``INSERT DATA``/``DELETE DATA``: triples, then ``GRAPH`` blocks."""
    by_graph: dict[str, list[ox.Triple]] = defaultdict(list)
    for quad in quads:
        by_graph[key(quad.graph_name)].append(quad.triple)
    parts = []
    for graph in sorted(by_graph):
        text = ox.serialize(by_graph[graph], format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
        parts.append(f"GRAPH <{graph}> {{\n{text}}}" if graph else text)
    return "\n".join(parts)


def _blanks(quad: ox.Quad) -> set[ox.BlankNode]:
    return {t for t in (quad.subject, quad.object) if isinstance(t, ox.BlankNode)}


def _rewritten_graphs(delta: Delta, store: Store) -> set[GraphName]:
    """The graphs :func:`delta_update` rewrites whole (its docstring)."""
    graphs = {q.graph_name for q in delta.removed if _blanks(q)}
    if isinstance(store, EmbeddedStore):  # a remote store's own blank nodes cannot be named
        known = {b for q in delta.added for b in _blanks(q) if _known(store.oxigraph, b)}
        graphs |= {q.graph_name for q in delta.added if _blanks(q) & known}
    return graphs - delta.dropped


def _known(store: ox.Store, node: ox.BlankNode) -> bool:
    as_subject = store.quads_for_pattern(node, None, None, None)
    as_object = store.quads_for_pattern(None, None, node, None)
    return any(True for _ in as_subject) or any(True for _ in as_object)


def delta_update(delta: Delta, store: Store) -> str:
    """One SPARQL update (one transaction) that applies ``delta`` to the store it was computed
    on (``store``: the store itself, or the pipeline's in-memory snapshot of a remote one).

    ``DELETE DATA`` cannot name a blank node, and ``INSERT DATA`` makes its blank nodes fresh,
    so a graph whose change removes a blank node's triple, or adds one to a blank node the store
    already has, is rewritten whole (dropped and inserted in the same update); a blank node
    shared with a graph that is not rewritten is split in two. Blank nodes new with the write
    (an upload's) are inserted as they are.
    """
    rewrite = _rewritten_graphs(delta, store)
    untouched = set(delta.dropped) | rewrite
    inserted = {q for q in delta.added if q.graph_name not in rewrite}
    for graph in rewrite:
        inserted |= (graph_quads(store, graph) - delta.removed) | {
            q for q in delta.added if q.graph_name == graph
        }
    operations = [f"DROP SILENT GRAPH <{g.value}>" for g in sorted(delta.dropped, key=str)]
    operations += [
        f"DROP SILENT GRAPH <{g.value}>" if isinstance(g, ox.NamedNode) else "CLEAR SILENT DEFAULT"
        for g in sorted(rewrite, key=str)
    ]
    deleted = [q for q in delta.removed if q.graph_name not in untouched]
    if deleted:
        operations.append(f"DELETE DATA {{\n{_data(deleted)}\n}}")
    if inserted:
        operations.append(f"INSERT DATA {{\n{_data(inserted)}\n}}")
    operations += [f"CREATE SILENT GRAPH <{g.value}>" for g in sorted(delta.created, key=str)]
    return " ;\n".join(operations)


def touched_predicates(delta: Delta) -> frozenset[str] | None:
    """The predicates of the triples :func:`delta_update` adds or removes; ``None`` when it
    drops a graph, or may rewrite one whole (a quad with a blank node: the graph's blank nodes
    may get new names), not looked up again here."""
    if delta.dropped or any(_blanks(quad) for quad in delta.added | delta.removed):
        return None
    return frozenset(quad.predicate.value for quad in delta.added | delta.removed)


# ------------------------------------------------------------------------- the whole pipeline


@dataclass(frozen=True)
class Write:
    """One write request: who sends it, what it is, and how to compute its delta."""

    token: str
    operation: str  # e.g. "PUT /store", "POST /sparql"
    #: the write's delta, computed on the store it is given: the store itself, or the
    #: pipeline's in-memory snapshot of a remote store (``reads_store``)
    compute: Callable[[Store], Delta] | None = None  # None: the effect cannot be known
    role: str = "writer"
    #: asked right before the store is changed: False when the request has given up (its time
    #: limit passed), and the write must not happen; once True, the request waits for it
    may_commit: Callable[[], bool] = lambda: True
    #: the delta needs an in-process copy of the data (a SPARQL update runs on one)
    reads_store: bool = False


@dataclass(frozen=True)
class Policy:
    """What the pipeline checks, from the settings."""

    personal_properties: frozenset[str]
    derived_graphs: frozenset[str]
    skip_validation: tuple[str, ...]  # graph IRIs ("default": the default graph), "*": all
    audit: Callable[[Entry], None]
    lock_timeout: float = 30.0


def validation_on(policy: Policy, graphs: set[str]) -> bool:
    """Whether a write touching ``graphs`` is validated: unless every one is switched off."""
    skip = policy.skip_validation
    if "*" in skip:
        return False
    names = {graph or "default" for graph in graphs}
    return bool(names) and not names <= set(skip)


def commit(store: Store, write: Write, policy: Policy) -> Delta:
    """Run ``write`` through the pipeline; the committed delta. Raises and logs on refusal."""
    if not _LOCK.acquire(timeout=policy.lock_timeout):
        raise StoreTimeout("another write is still running; try again")
    try:
        return _commit_locked(store, write, policy)
    finally:
        _LOCK.release()


@contextmanager
def between_writes() -> Iterator[None]:
    """Run a block while no write of this process is being committed (a write waits for it
    as for another write), so what the block reads of the store is one state."""
    with _LOCK:
        yield


def working_copy(store: Store, write: Write, policy: Policy) -> Store:
    """What the delta is computed on and validated against: the embedded store itself; for a
    remote store, an in-memory snapshot of it when the write runs on a copy or may be
    validated (the store itself only for Graph Store writes with validation switched off)."""
    if isinstance(store, EmbeddedStore):
        return store
    if write.reads_store or "*" not in policy.skip_validation:
        return snapshot(store)
    return store


def keeps_quality(store: EmbeddedStore, delta: Delta) -> bool:
    """Whether ``store`` has a ``graph:quality`` that still holds a report after ``delta``."""
    held = store.oxigraph.quads_for_pattern(None, None, None, QUALITY_GRAPH)
    return QUALITY_GRAPH not in delta.dropped and any(q not in delta.removed for q in held)


def _commit_locked(store: Store, write: Write, policy: Policy) -> Delta:
    delta: Delta | None = None
    checked: CheckedWrite | None = None
    try:
        if write.compute is None:
            raise ValueError("commit() needs a write whose delta can be computed")
        base = working_copy(store, write, policy)
        delta = write.compute(base)
        refuse_derived(delta, policy.derived_graphs)
        delta = split_personal_delta(delta, base, policy.personal_properties)
        if isinstance(base, EmbeddedStore) and delta and validation_on(policy, delta.graphs()):
            checked = check_delta(
                base,
                delta,
                policy.personal_properties,
                policy.derived_graphs,
                report=keeps_quality(base, delta),
            )
        if delta:
            if not write.may_commit():
                raise StoreTimeout("the write passed its time limit before it was applied")
            update = delta_update(delta, base)
            touches = touched_predicates(delta)
            if checked is not None and checked.quality_update:
                update += f" ;\n{checked.quality_update}"
                touches = None if touches is None else touches | checked.quality_touches
            store.update(update, touches=touches)
            if checked is not None:
                checked.remember()
    except KGServiceError as refused:
        findings = refused.findings if isinstance(refused, NonConformingWrite) else 0
        _log(policy, write, delta, "refused", refused.http_status, checked, findings, refused)
        raise
    _log(policy, write, delta, "committed", None, checked, 0)
    return delta


def _log(
    policy: Policy,
    write: Write,
    delta: Delta | None,
    status: str,
    http_status: int | None,
    checked: CheckedWrite | None,
    findings: int,
    refused: KGServiceError | None = None,
) -> None:
    entry = Entry(
        role=write.role,
        token=write.token,
        operation=write.operation,
        status=status,
        http_status=http_status,
        validated=checked is not None or isinstance(refused, NonConformingWrite),
        graphs=None if delta is None else delta.counts(),
        findings=findings,
        reason=refused.message if refused is not None else None,
    )
    if refused is not None:
        refused.audited = True  # type: ignore[attr-defined]  # the web layer logs it no more
    audit(policy, entry)


def audit(policy: Policy, entry: Entry) -> None:
    """Append ``entry`` to the audit log; a failure is logged, it does not undo the write."""
    try:
        policy.audit(entry)
    except OSError as error:  # the write stands; the missing line must not go unnoticed
        log.error("could not append to the audit log: %s; entry: %s", error, entry)


def commit_unknown(store: Store, write: Write, policy: Policy, run: Callable[[], None]) -> None:
    """A write whose delta the service does not compute (an update on a remote store with
    validation switched off everywhere): run as is, logged with unknown counts."""
    if not _LOCK.acquire(timeout=policy.lock_timeout):
        raise StoreTimeout("another write is still running; try again")
    try:
        try:
            run()
        except KGServiceError as refused:
            _log(policy, write, None, "refused", refused.http_status, None, 0, refused)
            raise
        _log(policy, write, None, "committed", None, None, 0)
    finally:
        _LOCK.release()


def policy_for(settings: Settings, properties: frozenset[str]) -> Policy:
    """The pipeline's checks as the settings configure them."""
    path = audit_path(settings.audit_log, settings.store)
    return Policy(
        personal_properties=properties,
        derived_graphs=DERIVED_GRAPHS,
        skip_validation=settings.validate_writes,
        audit=lambda entry: record(path, entry),
        lock_timeout=settings.query_timeout,
    )
