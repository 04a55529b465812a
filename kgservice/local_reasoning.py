"""Refreshing ``graph:inferred`` around what a write changed, instead of re-deriving it whole.

:func:`kgservice.reasoning.materialise` reads every fact of the city and runs the rules over
all of them: at 1,000,000 people that is minutes and gigabytes, too much after each write of
the service. The rules (:mod:`kgservice.reasoning`) are one-premise rules, which derive a
triple about the same one or two nodes as their premise, and the transitive rule, which joins
chains of a transitive property. So what a change of some facts can change is bounded:

* **the region**: for each changed fact, the node a chain through it starts from (the subject,
  or the object of a fact that links its nodes the other way, such as ``sccm:contains``), and
  every node below those nodes along the transitive properties (what the store holds as
  contained in them, asserted or already inferred: a village's places when the village moved);
* every entailment with a changed fact in its derivation is about a node of the region (its
  subject or its object), and every entailment about a node of the region can be derived from
  the facts about the region's nodes and the chains above them.

So the rules run, on a scratch store as for the whole city, over the facts that mention a node
of the region plus the transitive chains above it; what they derive about the region replaces
what ``graph:inferred`` holds about it, in one update of the difference. Everything else in
``graph:inferred`` is unaffected by the change and stays.

A transitive property whose inverse is transitive too (``sccm:containedIn`` and
``sccm:contains``) gives the same chains read either way, so only one of the two is followed:
the one whose region costs less to read (going down ``sccm:containedIn`` from a facility finds
nothing, going down ``sccm:contains`` finds its county and everything the county holds).

It is exact only over a ``graph:inferred`` that was right before the changes: the service's
:class:`Refresher` (below) falls back to :func:`materialise` after a failed run, for a change
to the ontology, for changes it does not know, and whenever the region costs too much to read
(:func:`refresh_around` returns ``None``). A write committed while a refresh reads makes the
refresh write nothing (:class:`Overtaken`) and run again with both writes' changes.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sized
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox
from rdflib.namespace import RDF

from kgservice.loading import ONTOLOGY_GRAPH
from kgservice.privacy import is_personal_graph, personal_properties
from kgservice.reasoning import (
    DERIVED_GRAPHS,
    INFERRED_GRAPH,
    Materialised,
    TBox,
    closure,
    describe,
    difference_update,
    has_blank_node,
    materialise,
    read_tbox,
    run_rules,
)
from kgservice.store.base import Store
from kgservice.store.embedded import EmbeddedStore
from kgservice.writes import between_writes

log = logging.getLogger(__name__)

#: A region whose nodes have more quads than this is refreshed by a whole materialisation.
MAX_REGION_QUADS = 500_000
_TYPE = ox.NamedNode(str(RDF.type))
_REFRESH_WHOLE = frozenset({ONTOLOGY_GRAPH, INFERRED_GRAPH.value})  # a change there: whole
_PROBE_FROM = ox.NamedNode("urn:kgservice:probe:a")  # two fresh nodes linked by one probe
_PROBE_TO = ox.NamedNode("urn:kgservice:probe:b")


class Overtaken(Exception):
    """A write was committed while a refresh read the store: its difference was not written."""


@dataclass(frozen=True)
class LocalRefresh:
    """What one refresh around a change did."""

    changed: int  # changed facts the rules read
    region: int  # nodes whose entailments were derived again
    facts: int  # facts the rules read for them
    added: int
    removed: int
    seconds: float


@dataclass(frozen=True)
class Chains:
    """How the properties link nodes along one transitive property ``prop``: a triple of a
    property of ``forward`` entails ``subject prop object``, one of ``backward`` entails
    ``object prop subject``."""

    prop: ox.NamedNode
    forward: frozenset[ox.NamedNode]
    backward: frozenset[ox.NamedNode]

    def starts(self, triple: ox.Triple) -> list[ox.NamedNode]:
        """The node a chain through ``triple`` starts from (below which entailments change)."""
        found = []
        if triple.predicate in self.forward and isinstance(triple.subject, ox.NamedNode):
            found.append(triple.subject)
        if triple.predicate in self.backward and isinstance(triple.object, ox.NamedNode):
            found.append(triple.object)
        return found


def refresh_around(store: EmbeddedStore, changed: Iterable[ox.Triple]) -> LocalRefresh | None:
    """Make ``graph:inferred`` right again after ``changed`` facts were added to or removed
    from the input graphs, given it was right before; ``None`` (nothing written) when the
    change is too wide for a local refresh (then :func:`materialise` it whole).

    Writes may go on meanwhile: the difference is written only if none was committed since
    the refresh began reading (else :class:`Overtaken`, nothing written: refresh again with
    the later write's changes too)."""
    started, version = time.perf_counter(), store.content_version()
    tbox = read_tbox(store)
    facts = [t for t in set(changed) if _is_input_fact(t, tbox)]
    if any(has_blank_node(t) for t in facts):  # a write's blank nodes are new ones in the store
        return None
    if not facts:
        return LocalRefresh(0, 0, 0, 0, 0, time.perf_counter() - started)
    found = _region(store, facts, chain_groups(tbox))
    if found is None:
        return None
    region, followed = found
    read = set(_facts_about(store, tbox, region))
    read |= set(_chains_above(store, region, followed))
    scratch, _ = run_rules(tbox, read)
    now = {t for t in scratch.derived() if _about(t, region) and not has_blank_node(t)}
    held = set(_inferred_about(store, region))
    added, removed = now - held, held - now
    with between_writes():
        if store.content_version() != version:
            raise Overtaken("a write was committed while the refresh read the store")
        if added or removed:
            touches = frozenset(triple.predicate.value for triple in added | removed)
            store.update(difference_update(added, removed), touches=touches)
    seconds = time.perf_counter() - started
    return LocalRefresh(len(facts), len(region), len(read), len(added), len(removed), seconds)


def _is_input_fact(triple: ox.Triple, tbox: TBox) -> bool:
    """Whether reasoning reads ``triple`` (as :func:`kgservice.reasoning.read_facts` does)."""
    predicate = triple.predicate.value
    if predicate == _TYPE.value:
        return isinstance(triple.object, ox.NamedNode) and triple.object.value in tbox.classes
    return predicate in _reasoned_properties(tbox)


@lru_cache(maxsize=4)
def _reasoned_properties(tbox: TBox) -> frozenset[str]:
    return frozenset(tbox.properties - personal_properties())


@lru_cache(maxsize=4)
def chain_groups(tbox: TBox) -> tuple[tuple[Chains, ...], ...]:
    """The transitive properties' chains, grouped: a property and its transitive inverse are
    one group (the same chains read either way), any other transitive property a group alone.

    Which property entails which link is found by the rules themselves: each property is
    probed with one triple between two fresh nodes."""
    entailed = {}
    for name in sorted(_reasoned_properties(tbox)):
        probe = ox.Triple(_PROBE_FROM, ox.NamedNode(name), _PROBE_TO)
        derived, _ = closure(tbox, [probe])
        entailed[ox.NamedNode(name)] = derived | {probe}
    chains = []
    for name in tbox.transitive:
        prop = ox.NamedNode(name)
        there = ox.Triple(_PROBE_FROM, prop, _PROBE_TO)
        back = ox.Triple(_PROBE_TO, prop, _PROBE_FROM)
        forward = frozenset(p for p, derived in entailed.items() if there in derived)
        backward = frozenset(p for p, derived in entailed.items() if back in derived)
        chains.append(Chains(prop, forward, backward))
    groups: list[tuple[Chains, ...]] = []
    for chain in chains:
        mirror = next((g for g in groups if _mirrored(g[0], chain)), None)
        if mirror is None:
            groups.append((chain,))
        else:
            groups[groups.index(mirror)] = (*mirror, chain)
    return tuple(groups)


def _mirrored(one: Chains, other: Chains) -> bool:
    """Whether each property's triples entail the other's the other way round."""
    return other.prop in one.backward and one.prop in other.backward


def _region(
    store: EmbeddedStore, facts: list[ox.Triple], groups: tuple[tuple[Chains, ...], ...]
) -> tuple[set[ox.NamedNode], list[Chains]] | None:
    """The nodes whose entailments may change, and the chains followed (one of each group);
    ``None`` if their quads are too many."""
    chosen: list[Chains] = []
    budget = MAX_REGION_QUADS
    for group in groups:
        best: tuple[int, Chains] | None = None
        for chains in group:  # counting stops past the cheapest so far
            below = _below(store, chains.prop, {n for f in facts for n in chains.starts(f)})
            limit = budget if best is None else min(budget, best[0])
            cost = _cost(store, below, [chains], limit + 1)
            if best is None or cost < best[0]:
                best = (cost, chains)
        if best is None or best[0] > budget:
            return None
        chosen.append(best[1])
    region: set = set()
    for fact in facts:
        starts = [node for chains in chosen for node in chains.starts(fact)]
        region.update(starts or [fact.subject])
    for chains in chosen:
        region |= _below(store, chains.prop, region)
    if _cost(store, region, chosen, budget + 1) > budget:
        return None
    return region, chosen


def _cost(store: EmbeddedStore, region: set, followed: list[Chains], limit: int) -> int:
    """What refreshing ``region`` reads: the quads about its nodes and the facts of the chains
    above them, counted up to ``limit``."""
    about = _quads_about(store, region, limit)
    chains = _chains_above(store, region, followed)
    return about + sum(1 for _ in itertools.islice(chains, max(0, limit - about)))


def _below(store: EmbeddedStore, prop: ox.NamedNode, nodes: Iterable) -> set:
    """``nodes`` and every node the store holds as linked to one of them by ``prop`` (asserted
    or inferred: ``graph:inferred`` holds the chains' closure)."""
    found = set(nodes)
    for node in list(found):
        for quad in store.oxigraph.quads_for_pattern(None, prop, node, None):
            if not isinstance(quad.subject, ox.Triple):
                found.add(quad.subject)
    return found


def _quads_about(store: EmbeddedStore, nodes: Iterable, limit: int) -> int:
    """How many quads have one of ``nodes`` as subject or object, counting up to ``limit``."""
    count = 0
    pattern = store.oxigraph.quads_for_pattern
    for node in nodes:
        for quads in (pattern(node, None, None, None), pattern(None, None, node, None)):
            for _ in quads:
                count += 1
                if count >= limit:
                    return count
    return count


def _facts_about(store: EmbeddedStore, tbox: TBox, region: set) -> Iterator[ox.Triple]:
    """The input facts with a node of ``region`` as subject or object."""
    pattern = store.oxigraph.quads_for_pattern
    for node in region:
        for quad in itertools.chain(
            pattern(node, None, None, None), pattern(None, None, node, None)
        ):
            if _is_reasoning_input(quad.graph_name) and _is_input_fact(quad.triple, tbox):
                yield quad.triple


def _chains_above(store: EmbeddedStore, region: set, followed: list[Chains]) -> Iterator[ox.Triple]:
    """The input facts that link the region's nodes onwards along the followed chains, and
    the nodes they reach onwards, to the end of each chain (looked up node by node: a chain
    is a few links per node)."""
    forward = {p for chains in followed for p in chains.forward}
    backward = {p for chains in followed for p in chains.backward}
    pattern = store.oxigraph.quads_for_pattern
    seen, waiting = set(region), list(region)
    while waiting:
        node = waiting.pop()
        links = [pattern(node, p, None, None) for p in forward]
        links += [pattern(None, p, node, None) for p in backward]
        for quad in itertools.chain.from_iterable(links):
            if not _is_reasoning_input(quad.graph_name):
                continue
            yield quad.triple
            for onward in (quad.subject, quad.object):
                if onward not in seen and not isinstance(onward, ox.Literal):
                    seen.add(onward)
                    waiting.append(onward)


def _inferred_about(store: EmbeddedStore, region: set) -> Iterator[ox.Triple]:
    pattern = store.oxigraph.quads_for_pattern
    for node in region:
        for quad in pattern(node, None, None, INFERRED_GRAPH):
            yield quad.triple
        for quad in pattern(None, None, node, INFERRED_GRAPH):
            yield quad.triple


def _about(triple: ox.Triple, region: set) -> bool:
    return triple.subject in region or triple.object in region


#: From this many triples in graph:inferred, rebuilding it whole is heavy work.
LARGE_INFERRED = 1_000_000


def refresh_cost_warning(store: Store) -> str | None:
    """A warning for whoever starts a writable service with reasoning on over a store whose
    ``graph:inferred`` is large: most writes refresh it around what they change
    (:mod:`kgservice.local_reasoning`), but a write to the ontology, or one whose change
    reaches too far, rebuilds it whole. ``None`` if it is not large (or the store is
    not embedded: counting a remote graph costs a scan over HTTP, and there every write
    rebuilds it whole)."""
    if not isinstance(store, EmbeddedStore):
        return None
    if store.quads_in_graph(INFERRED_GRAPH, LARGE_INFERRED) < LARGE_INFERRED:
        return None
    return (
        f"graph:inferred holds over {LARGE_INFERRED:,} triples: a write to graph:ontology, or "
        f"one whose change reaches more than {MAX_REGION_QUADS:,} quads, makes the service "
        "rebuild it whole (at 1,000,000 people 3 to 7 minutes and about 1 GB of memory); "
        "other writes refresh it around what they change"
    )


#: Changed facts kept for the next refresh; past this many, it materialises whole.
MAX_PENDING = 100_000


class Refresher:
    """Keeps ``graph:inferred`` right after the service's writes, in a background thread.

    :meth:`request` returns at once; the thread waits until no request has come for ``delay``
    seconds, then refreshes once for all of them: around the facts they changed
    (:func:`refresh_around`), or whole (:func:`materialise`) when the changes are unknown, touch
    the ontology, are too many or too wide, or the last refresh failed. A request made while it
    runs makes it run again. So after a write, ``graph:inferred`` is stale for ``delay`` plus
    one refresh.
    """

    def __init__(self, store: Store, delay: float = 0.5) -> None:
        self._store, self._delay = store, delay
        self._condition = threading.Condition()
        self._requested_at: float | None = None
        self._busy = False
        self._thread: threading.Thread | None = None
        self._changed: set[ox.Triple] | None = set()  # None: refresh whole
        self._in_step = True  # graph:inferred was right after the last refresh
        self.last: LocalRefresh | Materialised | None = None  # what the last refresh did

    def request(self, changed: Iterable[ox.Quad] | None = None) -> None:
        """Ask for a refresh soon, after a write was committed that added or removed the
        quads ``changed`` (``None``: not known)."""
        with self._condition:
            self._note(changed)
            self._requested_at = time.monotonic()
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="reasoning", daemon=True)
                self._thread.start()
            self._condition.notify_all()

    def _note(self, changed: Iterable[ox.Quad] | None) -> None:
        if self._changed is None:
            return
        if isinstance(changed, Sized) and len(changed) > MAX_PENDING:
            changed = None  # a bulk write: rebuilt whole, its quads not even sorted out
        inputs = None if changed is None else input_changes(changed)
        if inputs is None or len(self._changed) + len(inputs) > MAX_PENDING:
            self._changed = None
        else:
            self._changed |= inputs

    @property
    def busy(self) -> bool:
        """Whether a refresh is asked for or running."""
        return self._requested_at is not None or self._busy

    def wait(self, timeout: float) -> bool:
        """Wait until nothing is requested or running; False if ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._requested_at is not None or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._condition.wait(left)
        return True

    def _loop(self) -> None:
        while True:
            changed = self._next_quiet_moment()
            try:
                self.last = self._refresh(changed)
                self._in_step = True
            except Overtaken:  # graph:inferred is as it was: refresh again, with both changes
                self._retry(changed)
            except Exception:  # a failed run must not end the thread: the next write retries
                self._in_step = False
                log.exception("refreshing graph:inferred failed")
            with self._condition:
                self._busy = False
                self._condition.notify_all()

    def _refresh(self, changed: set[ox.Triple] | None) -> LocalRefresh | Materialised:
        store = self._store
        if (
            changed is not None
            and self._in_step
            and isinstance(store, EmbeddedStore)
            and store.has_graph(INFERRED_GRAPH)
        ):
            local = refresh_around(store, changed)
            if local is not None:
                log.info(describe_local(local))
                return local
        whole = materialise(store)
        log.info(describe(whole))
        return whole

    def _retry(self, changed: set[ox.Triple] | None) -> None:
        """Refresh again soon, for ``changed`` as well as what was written since."""
        with self._condition:
            if self._changed is not None and changed is not None:
                self._changed |= changed
            else:
                self._changed = None
            self._requested_at = self._requested_at or time.monotonic()

    def _next_quiet_moment(self) -> set[ox.Triple] | None:
        """Block until a request is ``delay`` old with none after it; then mark the run busy
        and take the changes noted so far."""
        with self._condition:
            while True:
                if self._requested_at is None:
                    self._condition.wait()
                    continue
                quiet = self._requested_at + self._delay - time.monotonic()
                if quiet <= 0:
                    self._requested_at, self._busy = None, True
                    changed, self._changed = self._changed, set()
                    return changed
                self._condition.wait(quiet)


def input_changes(quads: Iterable[ox.Quad]) -> set[ox.Triple] | None:
    """The triples of changed ``quads`` that are in reasoning's input graphs; ``None`` if one
    is in the ontology's graph (the rules themselves may change) or in ``graph:inferred`` (a
    client removed entailments): then refresh whole."""
    triples = set()
    for quad in quads:
        graph = quad.graph_name
        if isinstance(graph, ox.NamedNode) and graph.value in _REFRESH_WHOLE:
            return None
        if _is_reasoning_input(graph):
            triples.add(quad.triple)
    return triples


def _is_reasoning_input(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> bool:
    """Whether reasoning reads ``graph`` (as :func:`kgservice.reasoning.input_graphs` says)."""
    if isinstance(graph, ox.DefaultGraph):
        return True
    return not is_personal_graph(graph.value) and graph.value not in DERIVED_GRAPHS


def describe_local(result: LocalRefresh) -> str:
    """One line for the log."""
    return (
        f"graph:inferred refreshed around {result.changed:,} changed facts: "
        f"{result.added:,} added, {result.removed:,} removed, from {result.facts:,} facts "
        f"about {result.region:,} nodes, {result.seconds:.2f} s"
    )
