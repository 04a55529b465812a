"""A whole materialisation of ``graph:inferred`` on the embedded store, in bounded memory.

:func:`kgservice.reasoning.run_rules` keeps every fact and every entailment in a scratch
in-memory store: at 1,000,000 people ten million triples and 6 GB, for a rebuild that the
service runs after a write to the ontology. Yet every rule but one has a single premise
(``prp-spo1``, ``prp-eqp1/2``, ``prp-inv1/2``, ``prp-symp``, and the class rules, which types
are reasoned by apart already): what a fact entails through them depends on the axioms alone.
So it is worked out once per property (:class:`PropertySteps`) and applied to each fact as the
facts stream from the store; nothing of them is kept. Only ``prp-trp`` joins facts: its input,
the triples of the transitive properties (place containment, tens of thousands of triples in a
city of a million people), is the one thing held in a scratch store (:class:`_Chains`) and
closed there; what the closed chains entail through the one-premise rules streams out like the
rest. One pass, where the rounds took as many as the longest derivation.

Whether an entailment is asserted, already in ``graph:inferred`` or already written is a
lookup in the store; what ``graph:inferred`` holds that is no longer entailed is found by
looking up, for each of its triples, the facts that would entail it (:meth:`_Lookups.holds`),
unless the stream found every one of them entailed again (counted by their hashes, which a
rebuild after nothing changed, or after an axiom was added, does: then that pass is skipped).
Memory then holds the chains, the hashes and at most one batch of the difference.

The difference is written as the rounds write theirs: in one atomic
step when both its additions and its removals are under :data:`WRITE_BATCH` (after a write of
the service, a few triples), else a batch at a time, each batch atomic.

Not for every ontology: when ``rdf:type`` is itself in a property axiom, a property entails
types, which entail types in turn; :func:`kgservice.reasoning.materialise` keeps the rounds
then (:func:`applies`).
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pyoxigraph as ox
from rdflib.namespace import OWL, RDF, RDFS

from kgservice.privacy import personal_properties
from kgservice.reasoning import (
    INFERRED_GRAPH,
    Materialised,
    TBox,
    classes_above,
    difference_update,
    has_blank_node,
    input_graphs,
    read_facts_stream,
)
from kgservice.store.base import GraphTarget
from kgservice.store.embedded import EmbeddedStore

#: Additions (or removals) written in one step; past it, each batch is one.
WRITE_BATCH = 200_000
_RDF_TYPE = ox.NamedNode(str(RDF.type))
_CHAIN_BATCH = 100_000  # chain triples added to the scratch store at once

Step = tuple[ox.NamedNode, bool]  # a property entailed, and whether the triple turns round


@dataclass(frozen=True)
class PropertySteps:
    """For each property, what one triple of it entails through the one-premise rules: the
    properties of the triples it entails, each with whether the entailed triple goes the other
    way (``x p y`` entails ``y q x``). ``from_literal`` is for a triple whose object is a
    literal, which no inverse or symmetric property turns round."""

    steps: dict[str, tuple[Step, ...]]
    from_literal: dict[str, tuple[Step, ...]]
    transitive: frozenset[str]

    @classmethod
    def of(cls, axioms: Iterable[ox.Triple]) -> PropertySteps:
        up: dict[str, set[str]] = {}  # subPropertyOf and equivalentProperty (either way)
        inverse: dict[str, set[str]] = {}
        symmetric, transitive, properties = set(), set(), set()
        sub, equivalent, inverse_of = (
            str(RDFS.subPropertyOf),
            str(OWL.equivalentProperty),
            str(OWL.inverseOf),
        )
        for triple in axioms:
            s, p, o = triple.subject.value, triple.predicate.value, triple.object.value
            if p in (sub, equivalent):
                up.setdefault(s, set()).add(o)
                properties |= {s, o}
            if p == equivalent:
                up.setdefault(o, set()).add(s)
            if p == inverse_of:
                inverse.setdefault(s, set()).add(o)
                inverse.setdefault(o, set()).add(s)
                properties |= {s, o}
            if p == str(RDF.type) and o == str(OWL.SymmetricProperty):
                symmetric.add(s)
                properties.add(s)
            if p == str(RDF.type) and o == str(OWL.TransitiveProperty):
                transitive.add(s)
                properties.add(s)

        def reached(start: str, turning: bool) -> tuple[Step, ...]:
            seen, todo = {(start, False)}, [(start, False)]
            while todo:
                name, turned = todo.pop()
                following = [(above, turned) for above in up.get(name, ())]
                if turning:
                    following += [(other, not turned) for other in inverse.get(name, ())]
                    if name in symmetric:
                        following.append((name, not turned))
                for state in following:
                    if state not in seen:
                        seen.add(state)
                        todo.append(state)
            seen.discard((start, False))  # the triple itself
            return tuple((ox.NamedNode(name), turned) for name, turned in sorted(seen))

        return cls(
            {name: reached(name, True) for name in properties},
            {name: reached(name, False) for name in properties},
            frozenset(transitive),
        )

    def entailed(self, triple: ox.Triple) -> Iterator[ox.Triple]:
        """The triples ``triple`` entails through the one-premise property rules."""
        s, p, o = triple.subject, triple.predicate, triple.object
        table = self.from_literal if isinstance(o, ox.Literal) else self.steps
        for q, turned in table.get(p.value, ()):
            yield ox.Triple(o, q, s) if turned else ox.Triple(s, q, o)  # type: ignore[arg-type]

    def entails(self, premise: str, literal: bool, conclusion: str, turned: bool) -> bool:
        """Whether a triple of ``premise`` entails one of ``conclusion`` (turned round or not)."""
        table = self.from_literal if literal else self.steps
        return (ox.NamedNode(conclusion), turned) in table.get(premise, ())


def applies(properties: set[str]) -> bool:
    """Whether the streamed materialisation can run: no property axiom names ``rdf:type``."""
    return str(RDF.type) not in properties


@dataclass
class _Chains:
    """The triples of the transitive properties, asserted or entailed by one-premise rules, in
    a scratch store, closed under ``prp-trp`` (:meth:`close`)."""

    steps: PropertySteps
    store: ox.Store = field(default_factory=ox.Store)
    waiting: list[ox.Quad] = field(default_factory=list)

    def offer(self, triple: ox.Triple) -> None:
        """Keep ``triple`` if its property is transitive (added in batches)."""
        if triple.predicate.value in self.steps.transitive:
            self.waiting.append(ox.Quad(triple.subject, triple.predicate, triple.object))
            if len(self.waiting) >= _CHAIN_BATCH:
                self.store.extend(self.waiting)
                self.waiting = []

    def close(self) -> None:
        """Close each transitive property (on a store of its triples alone: the scratch store
        looks a pattern up by one term).

        Nothing the new triples entail needs closing in turn: a one-premise rule maps every
        link of a chain to a link of the same property (all turned round, or none), so a
        chain's entailment is the end-to-end triple of the mapped chain, which the closure of
        that property, over links all added before any closure, holds already."""
        self.store.extend(self.waiting)
        self.waiting = []
        for name in sorted(self.steps.transitive):
            prop = ox.NamedNode(name)
            alone = ox.Store()
            alone.extend(self.store.quads_for_pattern(None, prop, None))
            path = f"CONSTRUCT {{ ?x <{name}> ?z }} WHERE {{ ?x <{name}>/<{name}>+ ?z }}"
            closed: Iterable[ox.Triple] = alone.query(path)  # type: ignore[assignment]
            self.store.extend([ox.Quad(t.subject, t.predicate, t.object) for t in closed])
            del alone

    def triples(self) -> Iterator[ox.Triple]:
        return (quad.triple for quad in self.store.quads_for_pattern(None, None, None))

    def __contains__(self, triple: ox.Triple) -> bool:
        return ox.Quad(triple.subject, triple.predicate, triple.object) in self.store

    def linking(self, a: ox.NamedNode | ox.BlankNode, b: ox.Term) -> Iterator[ox.NamedNode]:
        """The transitive properties of the chains' triples from ``a`` to ``b``."""
        return (quad.predicate for quad in self.store.quads_for_pattern(a, None, b))  # type: ignore[arg-type, misc]


class _Lookups:
    """What the city's store says about one triple or node, in reasoning's input graphs."""

    def __init__(
        self,
        store: EmbeddedStore,
        inputs: Iterable[GraphTarget],
        steps: PropertySteps,
        above: dict[str, dict[str, ox.NamedNode]],
    ) -> None:
        self.oxigraph = store.oxigraph
        self.inputs = set(inputs)
        self.personal = personal_properties()
        self.steps = steps
        self.above = above
        self._typed: tuple[ox.Term, set[str]] | None = None

    def asserted(self, triple: ox.Triple) -> bool:
        """Whether an input graph states ``triple`` (a fact of reasoning)."""
        found = self.oxigraph.quads_for_pattern(triple.subject, triple.predicate, triple.object)
        return triple.predicate.value in self._facts(found)

    def _facts(self, quads: Iterable[ox.Quad]) -> set[str]:
        """The properties of those of ``quads`` that are facts (in an input graph, of a
        property that is not personal)."""
        return {
            quad.predicate.value
            for quad in quads
            if quad.graph_name in self.inputs and quad.predicate.value not in self.personal
        }

    def own_types(self, node: ox.NamedNode | ox.BlankNode) -> set[str]:
        if self._typed is not None and self._typed[0] == node:
            return self._typed[1]  # graph:inferred is read node by node: each type asks again
        found = self.oxigraph.quads_for_pattern(node, _RDF_TYPE, None)
        own = {quad.object.value for quad in found if quad.graph_name in self.inputs}
        self._typed = (node, own)
        return own

    def entailed_types(self, fact: ox.Triple) -> Iterator[ox.Triple]:
        """The types a type fact entails (``cax-sco``, ``cax-eqc1/2``, closed at once), the
        node's own among them (:meth:`_Difference.add` finds those asserted)."""
        for node in self.above.get(fact.object.value, {}).values():
            yield ox.Triple(fact.subject, _RDF_TYPE, node)

    def holds(self, triple: ox.Triple, chains: _Chains) -> bool:
        """Whether ``triple`` is entailed and not a fact: the facts (and chains) that would
        entail it are looked up."""
        s, p, o = triple.subject, triple.predicate, triple.object
        if p == _RDF_TYPE:
            own = self.own_types(s)  # type: ignore[arg-type]
            return o.value not in own and any(o.value in self.above.get(c, ()) for c in own)
        forward = self._facts(self.oxigraph.quads_for_pattern(s, None, o))
        if p.value in forward:
            return False  # asserted
        if triple in chains:
            return True
        literal = isinstance(o, ox.Literal)
        forward |= {name.value for name in chains.linking(s, o)}  # type: ignore[arg-type]
        if any(self.steps.entails(name, literal, p.value, False) for name in forward):
            return True
        if literal:
            return False  # no triple turns round to end in a literal
        back = self._facts(self.oxigraph.quads_for_pattern(o, None, s))  # type: ignore[arg-type]
        back |= {name.value for name in chains.linking(o, s)}  # type: ignore[arg-type]
        return any(self.steps.entails(name, False, p.value, True) for name in back)


class _Difference:
    """The triples to add to ``graph:inferred``, written a batch at a time once they are more
    than :data:`WRITE_BATCH` (before that, held for one atomic write with the removals)."""

    def __init__(self, store: EmbeddedStore, lookups: _Lookups, old: int | None) -> None:
        self.store, self.lookups = store, lookups
        self.pending: dict[ox.Triple, None] = {}  # ordered: the batches are written as found
        self.written = 0
        self.removed = 0
        self.old = old  # triples graph:inferred held at the start (None: no graph)
        # Hashes of the entailments found in graph:inferred, and of the triples written to it:
        # if the first, less the second, are as many as the graph held, nothing is to remove.
        self.found, self.written_hashes = array("q"), array("q")

    @property
    def added(self) -> int:
        return self.written + len(self.pending)

    def add(self, triple: ox.Triple) -> None:
        """Add ``triple`` unless it has a blank node (an update cannot name one of the store),
        is added already, is in the graph or is a fact."""
        if has_blank_node(triple) or triple in self.pending:
            return
        s, p, o = triple.subject, triple.predicate, triple.object
        if ox.Quad(s, p, o, INFERRED_GRAPH) in self.store.oxigraph:
            if self.old is not None and not self.lookups.asserted(triple):
                self.found.append(hash(triple))
            return
        if self.lookups.asserted(triple):
            return
        self.pending[triple] = None
        if len(self.pending) >= WRITE_BATCH:
            self.write_added()

    def write_added(self) -> None:
        if not self.pending:
            return
        quads = [ox.Quad(t.subject, t.predicate, t.object, INFERRED_GRAPH) for t in self.pending]
        self.store.insert_nquads(ox.serialize(quads, format=ox.RdfFormat.N_QUADS), len(quads))
        if self.old is not None:
            self.written_hashes.extend(hash(triple) for triple in self.pending)
        self.written += len(quads)
        self.pending = {}

    def all_old_entailed(self) -> bool:
        """Whether every triple graph:inferred held at the start was found entailed (exact:
        two triples of one hash count once, and can only make this say no)."""
        if self.old is None:
            return False
        found = np.unique(np.frombuffer(self.found, dtype=np.int64))
        written = np.frombuffer(self.written_hashes, dtype=np.int64)
        return len(np.setdiff1d(found, written, assume_unique=False)) == self.old

    def remove(self, triples: list[ox.Triple]) -> None:
        self.store.update(difference_update(set(), set(triples)))
        self.removed += len(triples)

    def write_both(self, removed: list[ox.Triple]) -> None:
        """The pending additions and ``removed`` in one atomic step."""
        if removed:
            self.store.update(difference_update(set(self.pending), set(removed)))
            self.written += len(self.pending)
            self.removed += len(removed)
            self.pending = {}
        else:
            self.write_added()


def materialise_streamed(store: EmbeddedStore, tbox: TBox) -> Materialised:
    """Make ``graph:inferred`` hold what the ontology entails of the input graphs, the facts
    streamed from the store (see the module's text)."""
    started = time.perf_counter()
    steps = PropertySteps.of(tbox.axioms)
    lookups = _Lookups(store, input_graphs(store), steps, classes_above(tbox))
    old = _size(store) if store.has_graph(INFERRED_GRAPH) else None
    chains, difference = _Chains(steps), _Difference(store, lookups, old)
    facts = 0
    for fact in read_facts_stream(store, tbox):
        facts += 1
        if fact.predicate == _RDF_TYPE:
            for entailed in lookups.entailed_types(fact):
                difference.add(entailed)
            continue
        chains.offer(fact)
        for entailed in steps.entailed(fact):
            if entailed.predicate.value in steps.transitive:
                chains.offer(entailed)
            else:
                difference.add(entailed)
    chains.close()
    for chained in chains.triples():
        difference.add(chained)
        for entailed in steps.entailed(chained):
            if entailed.predicate.value not in steps.transitive:
                difference.add(entailed)
    if old is None or difference.all_old_entailed():  # nothing to remove: no pass over it
        count = (old or 0) + difference.added
        difference.write_added()
    else:
        count = _remove_unentailed(store, lookups, chains, difference)
    seconds = time.perf_counter() - started
    return Materialised(count, difference.added, difference.removed, facts, 1, seconds)


def _size(store: EmbeddedStore) -> int:
    graph = INFERRED_GRAPH.value
    result = store.oxigraph.query(f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return int(next(iter(result))["n"].value)  # type: ignore[index, arg-type, call-overload]


def _remove_unentailed(
    store: EmbeddedStore, lookups: _Lookups, chains: _Chains, difference: _Difference
) -> int:
    """Remove what ``graph:inferred`` holds and is no longer entailed (with the additions in
    one step if both are few); how many triples it holds then."""
    if difference.written:  # the additions go a batch at a time: the last one before the pass
        difference.write_added()
    atomic = not difference.written
    removed: list[ox.Triple] = []
    kept = blank = 0
    for quad in store.oxigraph.quads_for_pattern(None, None, None, INFERRED_GRAPH):
        triple = quad.triple
        if has_blank_node(triple):
            blank += 1  # never written by reasoning: dropped below
        elif lookups.holds(triple, chains):
            kept += 1
        else:
            removed.append(triple)
            if len(removed) >= WRITE_BATCH:
                if atomic:  # too many for one step: the additions go first, on their own
                    kept += len(difference.pending)  # (after the pass's snapshot was taken)
                    difference.write_added()
                    atomic = False
                difference.remove(removed)
                removed = []
    if atomic:
        kept += len(difference.pending)
        difference.write_both(removed)
    elif removed:
        difference.remove(removed)
    if blank:
        graph = INFERRED_GRAPH.value
        store.update(
            f"DELETE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{graph}> "
            "{ ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) } }"
        )
        difference.removed += blank
    return kept
