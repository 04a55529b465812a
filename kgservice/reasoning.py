"""Reasoning: the entailments of the ontology's hierarchies, materialised in ``graph:inferred``.

A query for a core concept (``sccm:Agent``, ``sccm:Place``, ``sccm:Item`` …) should find the
instances of its subclasses, and a village should be ``sccm:containedIn`` its county without a
property path. :func:`materialise` writes what the ontology entails of the data into one named
graph, ``graph:inferred``. The rules are a subset of OWL 2 RL
(https://www.w3.org/TR/owl2-profiles/#Reasoning_in_OWL_2_RL_and_RDF_Graphs_using_Rules), applied
with the axioms read from ``graph:ontology`` at run time:

* ``cax-sco``, ``cax-eqc1/2``: an instance of a class is an instance of its superclasses and
  equivalent classes (``rdfs:subClassOf``, ``owl:equivalentClass``, transitively);
* ``prp-spo1``, ``prp-eqp1/2``: a triple of a property holds of its superproperties and
  equivalent properties (``rdfs:subPropertyOf``, ``owl:equivalentProperty``, transitively);
* ``prp-inv1/2``: ``owl:inverseOf``;  ``prp-symp``: ``owl:SymmetricProperty``;
* ``prp-trp``: ``owl:TransitiveProperty`` (place containment: ``city:parentDivision`` and
  ``city:inDivision`` are subproperties of the transitive ``sccm:containedIn``).

How: the facts the rules can use (types of the hierarchy's classes, triples of the properties
named in property axioms) are read from the store with one CONSTRUCT. On the embedded store they
stream through the rules once, the one-premise rules worked out per property beforehand and only
the transitive properties' triples held (:mod:`kgservice.streamed_reasoning`: at 1,000,000
people a rebuild peaks at about 1 GB where the rounds below held 6.2 GB). Otherwise (a
remote store, or an ontology that puts ``rdf:type`` in a property axiom) the rules run as SPARQL
CONSTRUCT queries on a scratch in-memory Oxigraph store, semi-naively (each round applies the
rules to the triples the previous round added) until a round adds nothing. A transitive
property's closure is one path query on a scratch store holding that property's triples only
(Oxigraph's in-memory store looks a pattern up by one term, so a county's thousands of other
triples would slow every step of the path). Types are reasoned apart: the rounds never store
them, the types they entail are worked out from the class tree when asked (half of a city's
entailments; at 100,000 people this cut the peak memory of a rebuild from 1.26 to 0.92 GB). Only
triples no input graph asserts are kept, so a count over asserted and inferred triples counts
nothing twice.

Writing: ``graph:inferred`` changes in one update (readers see the old graph or the new one,
never half of it): the first time by :meth:`~kgservice.store.base.Store.replace_graph`, then by
one ``DELETE DATA``/``INSERT DATA`` of the difference, which after a small write to the store is
a few triples instead of the whole graph. The streamed path writes a difference of more than
:data:`~kgservice.streamed_reasoning.WRITE_BATCH` triples a batch at a time instead (a first
materialisation of a large city too), each batch atomic. After the service's writes,
:mod:`kgservice.local_reasoning` runs these rules only around what the writes changed.

Left out on purpose: ``rdfs:domain``/``rdfs:range`` typing (``prp-dom``/``prp-rng``). A record
with a wrong link (a facility whose operator is a person's IRI) would silently make that node an
instance of the range class, hiding the error from every query that relies on types. Also left
out: ``owl:sameAs``, ``owl:FunctionalProperty`` and every rule that equates or invents nodes, and
triples with a blank node (an update cannot name a blank node of the store).

Inputs: the default graph and every named graph except the personal graphs (raw personal values,
:func:`kgservice.privacy.is_personal_graph`) and the derived graphs, ``graph:quality`` (made from
the data by validation, after reasoning) and ``graph:inferred`` itself; triples of personal
properties (the masked copies) are not read either. So nothing inferred comes from a raw personal
value, and the personal graphs still hold only personal properties.

Only the :class:`~kgservice.store.base.Store` interface is used, so a remote store is reasoned
over the same way (its facts and the old ``graph:inferred`` travel over HTTP once per run).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

import pyoxigraph as ox
from rdflib.namespace import OWL, RDF, RDFS

from kgservice.iri import graph_iri
from kgservice.loading import ONTOLOGY_GRAPH
from kgservice.privacy import is_personal_graph, personal_properties
from kgservice.store.base import GraphTarget, QueryDataset, Store
from kgservice.store.embedded import EmbeddedStore

log = logging.getLogger(__name__)

INFERRED_GRAPH = ox.NamedNode(str(graph_iri("inferred")))
#: Graphs made from the others: never inputs of reasoning.
DERIVED_GRAPHS = frozenset({INFERRED_GRAPH.value, str(graph_iri("quality"))})
MATERIALIZE, OFF = "materialize", "off"
MODES = (MATERIALIZE, OFF)

_TBOX = "urn:kgservice:reasoning:tbox"  # graphs of the scratch store
_DELTA = "urn:kgservice:reasoning:delta"
_CLASS_AXIOMS = (str(RDFS.subClassOf), str(OWL.equivalentClass))
_PROPERTY_AXIOMS = (str(RDFS.subPropertyOf), str(OWL.equivalentProperty), str(OWL.inverseOf))
_PROPERTY_KINDS = (str(OWL.TransitiveProperty), str(OWL.SymmetricProperty))

_TBOX_QUERY = f"""
CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{
  {{ VALUES ?p {{ {" ".join(f"<{p}>" for p in (*_CLASS_AXIOMS, *_PROPERTY_AXIOMS))} }} ?s ?p ?o }}
  UNION
  {{ VALUES ?o {{ {" ".join(f"<{k}>" for k in _PROPERTY_KINDS)} }} ?s ?p ?o
     FILTER(?p = <{RDF.type}>) }}
  FILTER(isIRI(?s) && isIRI(?o))
}} }}"""

_SUPER_CLASS = f"(<{RDFS.subClassOf}>|<{OWL.equivalentClass}>|^<{OWL.equivalentClass}>)+"
_SUPER_PROPERTY = (
    f"(<{RDFS.subPropertyOf}>|<{OWL.equivalentProperty}>|^<{OWL.equivalentProperty}>)+"
)
#: The rules with one premise, over the triples the last round added (graph _DELTA).
_RULES = (
    # cax-sco, cax-eqc1, cax-eqc2
    f"""CONSTRUCT {{ ?x a ?d }} WHERE {{
      GRAPH <{_DELTA}> {{ ?x a ?c }} GRAPH <{_TBOX}> {{ ?c {_SUPER_CLASS} ?d }}
    }}""",
    # prp-spo1, prp-eqp1, prp-eqp2
    f"""CONSTRUCT {{ ?x ?q ?y }} WHERE {{
      GRAPH <{_TBOX}> {{ ?p {_SUPER_PROPERTY} ?q }} GRAPH <{_DELTA}> {{ ?x ?p ?y }}
    }}""",
    # prp-inv1, prp-inv2
    f"""CONSTRUCT {{ ?y ?q ?x }} WHERE {{
      GRAPH <{_TBOX}> {{ ?p <{OWL.inverseOf}>|^<{OWL.inverseOf}> ?q }}
      GRAPH <{_DELTA}> {{ ?x ?p ?y }} FILTER(!isLiteral(?y))
    }}""",
    # prp-symp
    f"""CONSTRUCT {{ ?y ?p ?x }} WHERE {{
      GRAPH <{_TBOX}> {{ ?p a <{OWL.SymmetricProperty}> }}
      GRAPH <{_DELTA}> {{ ?x ?p ?y }} FILTER(!isLiteral(?y))
    }}""",
)


def _transitive_rule(prop: str) -> str:
    """prp-trp for one property, its closure at once (a path names a property, not a variable)."""
    return f"CONSTRUCT {{ ?x <{prop}> ?z }} WHERE {{ ?x <{prop}>/<{prop}>+ ?z }}"


@dataclass(frozen=True)
class TBox:
    """The axioms reasoning uses, and the terms whose triples it reads."""

    axioms: frozenset[ox.Triple]

    @property
    def classes(self) -> set[str]:
        """Classes in a class axiom (either side)."""
        return self._terms(_CLASS_AXIOMS)

    @property
    def properties(self) -> set[str]:
        """Properties in a property axiom (either side) or of a reasoned kind."""
        declared = {t.subject.value for t in self.axioms if t.object.value in _PROPERTY_KINDS}
        return self._terms(_PROPERTY_AXIOMS) | declared

    @property
    def transitive(self) -> list[str]:
        """The transitive properties."""
        kind = str(OWL.TransitiveProperty)
        return sorted(t.subject.value for t in self.axioms if t.object.value == kind)

    def _terms(self, predicates: Iterable[str]) -> set[str]:
        wanted = set(predicates)
        terms: set[str] = set()
        for triple in self.axioms:
            if triple.predicate.value in wanted:
                terms |= {triple.subject.value, triple.object.value}
        return terms


@dataclass(frozen=True)
class Materialised:
    """What one materialisation did."""

    triples: int  # in graph:inferred now
    added: int
    removed: int
    facts: int  # input triples the rules read
    rounds: int  # rounds until one added nothing (1: streamed in one pass)
    seconds: float


def read_tbox(store: Store) -> TBox:
    """The class and property axioms of ``graph:ontology`` (IRIs only)."""
    return TBox(frozenset(_triples(store.query(_TBOX_QUERY))))


def input_graphs(store: Store) -> list[GraphTarget]:
    """The graphs reasoning reads: the default graph and every named graph that is neither
    personal nor derived."""
    named = [
        graph
        for graph in store.graph_names()
        if not is_personal_graph(graph) and graph.value not in DERIVED_GRAPHS
    ]
    return [ox.DefaultGraph(), *named]


def read_facts(store: Store, tbox: TBox) -> set[ox.Triple]:
    """The input triples the rules can use: types of the hierarchy's classes and triples of the
    reasoned properties (personal properties excepted)."""
    return set(read_facts_stream(store, tbox))


def read_facts_stream(store: Store, tbox: TBox) -> Iterator[ox.Triple]:
    """:func:`read_facts` as they come (possibly repeated), not held in a set."""
    properties = tbox.properties - personal_properties()
    if not tbox.classes and not properties:
        return iter(())
    query = (
        "CONSTRUCT { ?s ?p ?o } WHERE {\n"
        f"  {{ VALUES ?o {{ {_iris(tbox.classes)} }} ?s ?p ?o FILTER(?p = <{RDF.type}>) }}\n"
        f"  UNION {{ VALUES ?p {{ {_iris(properties)} }} ?s ?p ?o }}\n"
        "}"
    )
    return _triples(store.query(query, QueryDataset(input_graphs(store))))


def _as_update(rule: str) -> str:
    """A rule's CONSTRUCT as an update that adds its new triples (those not in the default
    graph) to the default graph and to :data:`_NEXT`."""
    head, body = rule.split("} WHERE {", 1)
    template = head.split("{", 1)[1]
    body = body.rstrip().removesuffix("}")
    return (
        f"INSERT {{ {template} GRAPH <{_NEXT}> {{ {template} }} }} "
        f"WHERE {{ {body} FILTER NOT EXISTS {{ {template} }} }}"
    )


_NEXT = "urn:kgservice:reasoning:next"  # the triples the current round added
_FACTS = "urn:kgservice:reasoning:facts"  # the input triples (after the first round)
_TYPES = "urn:kgservice:reasoning:types"  # the input types, when they are reasoned apart
_RDF_TYPE = ox.NamedNode(str(RDF.type))
_UPDATES = tuple(_as_update(rule) for rule in _RULES)
_ADD_BATCH = 100_000  # transitive-closure triples added to the scratch store at once


class _Scratch:
    """The in-memory store the rules run on: the axioms (graph ``_TBOX``), every triple known so
    far (the default graph: facts and derived), the last round's triples (``_DELTA``; in the
    first round the facts, which then become ``_FACTS``) and this round's (``_NEXT``). What the
    rounds derived is the default graph less ``_FACTS`` (the facts are fewer than what they
    entail, so they are the ones kept twice).

    Types are reasoned apart (:class:`_Types`): a type only ever entails the types above its
    class, and no rule reads a type to derive anything else, so the input types are kept once
    (graph ``_TYPES``) and the types they entail are worked out when asked, never stored. In a
    city they are about half of the facts and of the entailments (at 100,000 people 122,203
    input types entail 343,960), each kept two or three times in the rounds' graphs.
    Unless ``rdf:type`` is itself in a property axiom: then types go through the rounds too.

    Triples stay in the store rather than in Python sets: a Python ``ox.Triple`` takes about
    400 bytes, and a city of a million people has about ten million facts and entailments.
    """

    def __init__(self, tbox: TBox, facts: Iterable[ox.Triple]) -> None:
        self.store = ox.Store()
        self.types = _Types(self.store, tbox) if _RDF_TYPE.value not in tbox.properties else None
        self.store.extend(_quads(tbox.axioms, ox.NamedNode(_TBOX)))
        for block in _blocks(facts, _ADD_BATCH):
            if self.types is None:
                self.store.extend(_quads(block, ox.DefaultGraph()))
                continue
            self.store.extend(
                _quads((t for t in block if t.predicate != _RDF_TYPE), ox.DefaultGraph())
            )
            self.store.extend(
                _quads((t for t in block if t.predicate == _RDF_TYPE), self.types.graph)
            )
        self.store.update(f"INSERT {{ GRAPH <{_DELTA}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}")
        self.facts = self._count(None) + (self._count(_TYPES) if self.types else 0)
        self.first = True

    def _count(self, graph: str | None) -> int:
        where = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
        result = self.store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")
        return int(next(iter(result))["n"].value)  # type: ignore[index, arg-type]

    def predicates(self, graph: str) -> set[str]:
        """The predicates of a graph's triples."""
        result = self.store.query(f"SELECT DISTINCT ?p WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        return {row["p"].value for row in result}  # type: ignore[index, union-attr]

    def apply_rules(self) -> None:
        """Each one-premise rule over ``_DELTA``: new triples to the default graph and ``_NEXT``."""
        for update in _UPDATES:
            self.store.update(update)

    def transitive(self, prop: str) -> None:
        """The closure of one transitive property, on a store of its triples alone; the new
        triples to the default graph and ``_NEXT``."""
        alone = ox.Store()
        found = self.store.quads_for_pattern(None, ox.NamedNode(prop), None, ox.DefaultGraph())
        alone.extend(_quads((quad.triple for quad in found), ox.DefaultGraph()))
        closed = _triples(alone.query(_transitive_rule(prop)))
        del alone
        following = ox.NamedNode(_NEXT)
        for block in _blocks(closed, _ADD_BATCH):
            new = [q for q in _quads(block, ox.DefaultGraph()) if q not in self.store]
            self.store.extend(new)
            self.store.extend(ox.Quad(q.subject, q.predicate, q.object, following) for q in new)

    def next_round(self) -> bool:
        """Make this round's triples the delta (and add them to the derived); False if none."""
        if self.first:  # the delta was the facts: keep them
            self.store.update(f"MOVE SILENT GRAPH <{_DELTA}> TO GRAPH <{_FACTS}>")
            self.first = False
        if not self._count(_NEXT):
            return False
        self.store.update(f"MOVE SILENT GRAPH <{_NEXT}> TO GRAPH <{_DELTA}>")
        return True

    def derived(self) -> Iterator[ox.Triple]:
        """Every triple the rounds derived (none of them a fact)."""
        facts, store = ox.NamedNode(_FACTS), self.store
        for quad in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
            if ox.Quad(quad.subject, quad.predicate, quad.object, facts) not in store:
                yield quad.triple
        if self.types is not None:
            yield from self.types.derived()


class _Types:
    """The input types (graph ``_TYPES`` of the scratch store) and the types they entail:
    ``x a D`` for every class ``D`` above a class of ``x`` (``rdfs:subClassOf``,
    ``owl:equivalentClass`` either way, transitively: the ``cax-sco``/``cax-eqc`` rules closed
    at once) that is not a class of ``x`` already."""

    def __init__(self, store: ox.Store, tbox: TBox) -> None:
        self.store = store
        self.graph = ox.NamedNode(_TYPES)
        self.above = classes_above(tbox)

    def _own(self, node: ox.NamedNode | ox.BlankNode) -> list[str]:
        found = self.store.quads_for_pattern(node, _RDF_TYPE, None, self.graph)
        return [quad.object.value for quad in found]

    def derived(self) -> Iterator[ox.Triple]:
        """Each entailed type once: from the first class of its node (by IRI) it is above."""
        for quad in self.store.quads_for_pattern(None, _RDF_TYPE, None, self.graph):
            above = self.above.get(quad.object.value)
            if not above:
                continue
            own = self._own(quad.subject)  # type: ignore[arg-type]
            mine = quad.object.value
            others = [self.above.get(c, {}) for c in own if c < mine]
            for name, node in above.items():
                if name not in own and not any(name in other for other in others):
                    yield ox.Triple(quad.subject, _RDF_TYPE, node)


def classes_above(tbox: TBox) -> dict[str, dict[str, ox.NamedNode]]:
    """For each class of a class axiom, the classes above it (itself too when in a cycle)."""
    sub_class, equivalent = str(RDFS.subClassOf), str(OWL.equivalentClass)
    up: dict[str, set[str]] = {}
    for triple in tbox.axioms:
        s, p, o = triple.subject.value, triple.predicate.value, triple.object.value
        if p in (sub_class, equivalent):
            up.setdefault(s, set()).add(o)
        if p == equivalent:
            up.setdefault(o, set()).add(s)
    above: dict[str, dict[str, ox.NamedNode]] = {}
    for start in up:
        seen: set[str] = set()
        todo = list(up[start])
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(up.get(name, ()))
        above[start] = {name: ox.NamedNode(name) for name in sorted(seen)}
    return above


def run_rules(tbox: TBox, facts: Iterable[ox.Triple]) -> tuple[_Scratch, int]:
    """Apply the rules to ``facts`` until a round adds nothing; the scratch store and the rounds."""
    scratch, rounds = _Scratch(tbox, facts), 0
    unclosed = scratch.predicates(_DELTA)  # properties with triples since their closure
    while scratch.facts:
        rounds += 1
        scratch.apply_rules()
        unclosed |= scratch.predicates(_NEXT)
        for prop in tbox.transitive:
            if prop in unclosed:
                scratch.transitive(prop)
                unclosed.discard(prop)
        if not scratch.next_round():
            break
    return scratch, rounds


def closure(tbox: TBox, facts: Iterable[ox.Triple]) -> tuple[set[ox.Triple], int]:
    """Everything the rules derive from ``facts`` and not among them; and the rounds it took."""
    scratch, rounds = run_rules(tbox, facts)
    return set(scratch.derived()), rounds


def materialise(store: Store) -> Materialised:
    """Make ``graph:inferred`` hold what the ontology entails of the input graphs: on the
    embedded store with the facts streamed (:mod:`kgservice.streamed_reasoning`), else with
    the rounds on a scratch store (a remote store's facts travel once; an ontology that puts
    ``rdf:type`` in a property axiom)."""
    from kgservice import streamed_reasoning as streamed  # it builds on this module

    tbox = read_tbox(store)
    if isinstance(store, EmbeddedStore) and streamed.applies(tbox.properties):
        return streamed.materialise_streamed(store, tbox)
    started = time.perf_counter()
    scratch, rounds = run_rules(tbox, read_facts_stream(store, tbox))
    triples = set(_entailed(scratch))
    added, removed = write_inferred(store, triples)
    count = len(triples)
    seconds = time.perf_counter() - started
    return Materialised(count, added, removed, scratch.facts, rounds, seconds)


def _entailed(scratch: _Scratch) -> Iterator[ox.Triple]:
    return (t for t in scratch.derived() if not has_blank_node(t))


def _blocks(items: Iterable[ox.Triple], size: int) -> Iterator[list[ox.Triple]]:
    iterator = iter(items)
    while block := list(islice(iterator, size)):
        yield block


def write_inferred(store: Store, triples: set[ox.Triple]) -> tuple[int, int]:
    """Make ``graph:inferred`` hold ``triples`` in one update; (added, removed)."""
    old = set(store.triples(INFERRED_GRAPH)) if store.has_graph(INFERRED_GRAPH) else set()
    if not old or any(has_blank_node(t) for t in old):  # DELETE DATA cannot name a blank node
        store.replace_graph(INFERRED_GRAPH, sorted(triples, key=str))
        return len(triples), len(old)
    added, removed = triples - old, old - triples
    if added or removed:
        store.update(difference_update(added, removed))
    return len(added), len(removed)


def difference_update(added: set[ox.Triple], removed: set[ox.Triple]) -> str:
    graph = INFERRED_GRAPH.value
    parts = []
    if removed:
        parts.append(f"DELETE DATA {{ GRAPH <{graph}> {{\n{_ntriples(removed)}}} }}")
    if added:
        parts.append(f"INSERT DATA {{ GRAPH <{graph}> {{\n{_ntriples(added)}}} }}")
    return " ;\n".join(parts)


def drop_inferred(store: Store) -> bool:
    """Remove ``graph:inferred`` (reasoning off); True if there was one."""
    return store.has_graph(INFERRED_GRAPH) and store.drop_graph(INFERRED_GRAPH)


def apply_mode(store: Store, mode: str) -> Materialised | None:
    """Do what ``KGSERVICE_REASONING`` asks: materialise, or (``off``) drop ``graph:inferred``."""
    if mode == MATERIALIZE:
        return materialise(store)
    drop_inferred(store)
    return None


def describe(result: Materialised | None) -> str:
    """One line for the command line."""
    if result is None:
        return f"reasoning is off: no <{INFERRED_GRAPH.value}>"
    return (
        f"reasoning → <{INFERRED_GRAPH.value}>: {result.triples:,} triples "
        f"({result.added:,} added, {result.removed:,} removed) from {result.facts:,} facts "
        f"in {_passes(result.rounds)}, {result.seconds:.2f} s"
    )


def _passes(rounds: int) -> str:
    return "one pass" if rounds == 1 else f"{rounds} rounds"


def _iris(terms: Iterable[str]) -> str:
    return " ".join(f"<{term}>" for term in sorted(terms))


def _triples(result: object) -> Iterator[ox.Triple]:
    if isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
        raise TypeError("expected the triples of a CONSTRUCT query")
    return iter(result)  # type: ignore[call-overload]


def _quads(triples: Iterable[ox.Triple], graph: ox.NamedNode | ox.DefaultGraph) -> list[ox.Quad]:
    return [ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples]


def _ntriples(triples: Iterable[ox.Triple]) -> str:
    return ox.serialize(sorted(triples, key=str), format=ox.RdfFormat.N_TRIPLES).decode("utf-8")


def has_blank_node(triple: ox.Triple) -> bool:
    return isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode)
