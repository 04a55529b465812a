"""Validate a write on the focus nodes it can concern, not on the whole city.

A write changes a few quads; each rule's findings can change only for the focus nodes those
quads reach through the rule's own patterns (:mod:`kgservice.validation.reach`). This module
finds, for each rule, those nodes in the store (from each changed quad, along every path of
the rule's variable graph to ``?this``, over the data before the write and the quads it adds),
copies the quads each rule reads for its nodes (again along its patterns), runs the rules over
that copy before and after the write, and keeps each rule's findings about its own nodes
(:class:`_Run`: the copy holds partial data about other nodes, whose findings mean nothing).
A rule's findings about other nodes are the same before and after, so the write's new
findings are those of the "after" run missing from the "before" run: what a whole validation
would find new. What is said about each node found is copied too, for masking and source
location.

A rule that reads a changed predicate *globally* (through a computed IRI, as the citizen-ID
county rule reads ``city:divisionCode`` of ``id:division/`` and the ID's first six
characters) is followed back through the computation when the analysis can run it again
(:meth:`~kgservice.validation.reach.Reach.origin`): the store evaluates the rule's own
expressions over the quads that give their input (every citizen ID) and keeps the values that
give the changed term, or fail. When it cannot, or when that finds more than
:data:`MAX_COMPUTED` values, the rule runs over all its focus nodes, on a copy of every quad of
the predicates it reads, before and after.

A rule that reaches more than :data:`MAX_FOCUS` nodes (a county's code is in the IDs of
everyone registered there) runs *apart*, on a copy of its own: each rule runs once over all of
its copy, and the other rules would run over those nodes' data too.

Left to the whole validation (:class:`WholeNeeded`): a change to the ontology graph or to
``rdfs:subClassOf`` (the rules are compiled with the class tree), a rule the analysis cannot
follow, a focus node that is not an IRI, more than :data:`MAX_FOCUS` focus nodes of the rules
that are not run apart, a rule reaching more than :data:`MAX_APART`, and more than
:data:`MAX_CHANGES` changed quads (a bulk write, which concerns much of the city anyway).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

import pyoxigraph as ox
from rdflib import Literal, URIRef, Variable
from rdflib.namespace import RDFS

from kgservice.describe import oxigraph_term
from kgservice.loading import ONTOLOGY_GRAPH
from kgservice.store.embedded import EmbeddedStore, open_embedded
from kgservice.validation.compile import Rule, SubclassIndex, compile_shapes
from kgservice.validation.engine import run_rules
from kgservice.validation.findings import Finding
from kgservice.validation.reach import Hop, Origin, Reach, Step, reach_of

#: More focus nodes than this for the rules that share a copy (all their nodes together), or
#: more changed quads, and the write is validated whole. A rule reaching more than
#: ``MAX_FOCUS`` nodes runs apart, on a copy of its own.
MAX_FOCUS = 20_000
MAX_CHANGES = 50_000
#: More nodes than this reached by one rule, and the write is validated whole.
MAX_APART = 200_000
#: More values than this found back through a computation, and the rule runs over every
#: focus node.
MAX_COMPUTED = MAX_APART
SUBCLASS_OF = str(RDFS.subClassOf)

Node = ox.NamedNode | ox.BlankNode | ox.Literal
RuleKey = tuple[str, str]  # (shape, component): what a finding says of the rule that found it


class WholeNeeded(Exception):
    """The write cannot be validated on the nodes it concerns; the reason says why."""


class _TooWide(Exception):
    """A rule cannot be followed back from a change through a computation: it is run over
    every focus node instead."""


@dataclass
class LocalCheck:
    """The findings about the focus nodes a write concerns, before and after it: each rule's
    about the nodes the write reaches through that rule, and every finding of the rules run
    over the city."""

    checked: dict[RuleKey, list[ox.NamedNode]]  # each rule's focus nodes
    before: list[Finding]
    after: list[Finding]
    after_data: EmbeddedStore  # what the rules read after the write (locate, masking)
    whole_rules: list[RuleKey] = field(default_factory=list)  # ran over the city
    apart: int = 0  # how many rules ran apart, each on a copy of its own

    @cached_property
    def focus(self) -> list[ox.NamedNode]:
        """Every node some rule was checked on."""
        nodes = {node for own in self.checked.values() for node in own}
        return sorted(nodes, key=lambda node: node.value)

    def concerns(self, finding: Finding) -> bool:
        """Whether ``finding`` is one this check computed (it may have changed)."""
        key = (finding.shape, finding.component)
        return key in self._whole or finding.focus in self._checked.get(key, ())

    def new(self) -> list[Finding]:
        before = set(self.before)
        return [finding for finding in self.after if finding not in before]

    @cached_property
    def _whole(self) -> set[RuleKey]:
        return set(self.whole_rules)

    @cached_property
    def _checked(self) -> dict[RuleKey, set[str]]:
        return {key: {node.value for node in own} for key, own in self.checked.items()}


class ValidationView:
    """Which quads of a store validation reads: none of a derived graph, and the raw personal
    values only (not the masked copies in the public graphs)."""

    def __init__(self, derived: frozenset[str], properties: frozenset[str], hidden: set[str]):
        self.derived = derived
        self.properties = properties
        self.hidden = hidden  # graphs whose personal triples are masked copies

    def reads(self, quad: ox.Quad) -> bool:
        graph = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else ""
        masked_copy = quad.predicate.value in self.properties and graph in self.hidden
        return graph not in self.derived and not masked_copy


def check_locally(
    store: ox.Store, view: ValidationView, removed: list[ox.Quad], added: list[ox.Quad]
) -> LocalCheck:
    """Validate the write (``removed`` and ``added``: the quads it changes that validation
    reads) on the focus nodes it concerns; :class:`WholeNeeded` if it cannot be."""
    if len(removed) + len(added) > MAX_CHANGES:
        raise WholeNeeded(f"the write changes more than {MAX_CHANGES} quads")
    _refuse_global_changes(removed + added)
    rules = rules_for(store, view)
    changed = {quad.predicate.value for quad in removed + added}
    followed: list[tuple[Rule, Reach]] = []
    whole: list[tuple[Rule, Reach]] = []
    for rule, reach in rules:
        unfollowed = reach.global_predicates() - reach.followable()
        (whole if unfollowed & changed else followed).append((rule, reach))
    data = _Data(store, view, added)
    checked = _focus_nodes(followed, whole, data, removed + added)
    if not checked and not whole:
        return LocalCheck({}, [], [], open_embedded(None))
    reaching = [pair for pair in followed if _key(pair[0]) in checked]
    apart = [pair for pair in reaching if len(checked[_key(pair[0])]) > MAX_FOCUS]
    shared = [pair for pair in reaching if pair not in apart]
    runs = [_run(shared, checked, data, store, added)]
    runs += [_run([pair], checked, data, store, added) for pair in apart]  # a copy of its own
    if whole:
        predicates = sorted({p for _, reach in whole for p in reach.predicates()})
        read = _Copy(store, added, (q for p in predicates for q in data.stored(p)))
        runs.append(_Run([rule for rule, _ in whole], read, None))
    found_before = _found(runs)
    for run in runs:
        run.data.apply(removed, added)
    found_after = _found(runs)
    after = runs[0].data.store  # masking and source location read what is said about each node
    gone = set(removed)
    after.oxigraph.extend(
        q
        for node in sorted({f.focus for f in found_before + found_after})
        if node.startswith(("http://", "https://", "urn:"))
        for q in data.about(ox.NamedNode(node))
        if q not in gone
    )
    kinds = sorted({_key(rule) for rule, _ in whole})
    return LocalCheck(checked, found_before, found_after, after, kinds, len(apart))


def _key(rule: Rule) -> RuleKey:
    return (str(rule.shape), str(rule.component))


def _run(
    pairs: list[tuple[Rule, Reach]],
    checked: dict[RuleKey, list[ox.NamedNode]],
    data: _Data,
    store: ox.Store,
    added: list[ox.Quad],
) -> _Run:
    """The ``pairs``' rules on a copy of what each reads about its own focus nodes."""
    quads: list[ox.Quad] = []
    for pair in pairs:
        quads += _read_quads(pair[1], data, checked[_key(pair[0])])
    for predicate in sorted({p for _, reach in pairs for p in reach.global_predicates()}):
        quads += [*data.stored(predicate), *data.added_of.get(predicate, [])]
    keep = {_key(rule): {node.value for node in checked[_key(rule)]} for rule, _ in pairs}
    return _Run([rule for rule, _ in pairs], _Copy(store, added, quads), keep)


class _Copy:
    """An in-memory store of the quads some rules read, as the store holds them before the
    write; :meth:`apply` makes it what the write leaves."""

    def __init__(self, store: ox.Store, added: list[ox.Quad], quads: Iterable[ox.Quad]) -> None:
        new = set(added)  # the only quads read that the store may not hold
        self.store = open_embedded(None)
        self.store.oxigraph.extend(q for q in dict.fromkeys(quads) if q not in new or q in store)

    def apply(self, removed: list[ox.Quad], added: list[ox.Quad]) -> None:
        for quad in removed:
            self.store.oxigraph.remove(quad)
        self.store.oxigraph.extend(added)


@dataclass
class _Run:
    """Rules run once over a copy of what they read, each keeping its findings about its own
    focus nodes (``keep`` None: every finding, the rules run over the city); the copy holds
    partial data about other nodes, whose findings mean nothing.

    Not restricted with a ``VALUES`` block: that restricts a rule's focus nodes, not the
    constraint joined with them, which the engine evaluates over all of the copy once per
    block of nodes (a write reaching ten thousand legal entities took minutes). A rule
    reaching more than :data:`MAX_FOCUS` nodes runs apart, on a copy of its own, so that the
    other rules do not run over those nodes' data too."""

    rules: list[Rule]
    data: _Copy
    keep: dict[RuleKey, set[str]] | None

    def findings(self) -> list[Finding]:
        if not self.rules:
            return []
        found = run_rules(self.data.store, self.rules)
        if self.keep is None:
            return found
        return [f for f in found if f.focus in self.keep.get((f.shape, f.component), ())]


def _found(runs: list[_Run]) -> list[Finding]:
    found = {finding for run in runs for finding in run.findings()}
    return sorted(found, key=lambda f: (f.shape, f.component, f.focus, f.value or ""))


def _refuse_global_changes(changed: Iterable[ox.Quad]) -> None:
    for quad in changed:
        if isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value == ONTOLOGY_GRAPH:
            raise WholeNeeded("the write changes the ontology")
        if quad.predicate.value == SUBCLASS_OF:
            raise WholeNeeded("the write changes the class tree (rdfs:subClassOf)")


# --- the rules, compiled with the store's class tree ---------------------------------------------

_RULES_LOCK = threading.Lock()
_RULES: dict[frozenset[tuple[str, str]], list[tuple[Rule, Reach]]] = {}


def rules_for(store: ox.Store, view: ValidationView) -> list[tuple[Rule, Reach]]:
    """The repository's rules compiled with ``store``'s class tree, each with its reach."""
    from kgservice.validation.dataset import repository_shapes

    pairs = frozenset(
        (q.subject.value, q.object.value)
        for q in store.quads_for_pattern(None, ox.NamedNode(SUBCLASS_OF), None, None)
        if view.reads(q)
        and isinstance(q.subject, ox.NamedNode)
        and isinstance(q.object, ox.NamedNode)
    )
    with _RULES_LOCK:
        if pairs not in _RULES:
            rules = compile_shapes(repository_shapes(), SubclassIndex(pairs))
            _RULES.clear()  # one class tree at a time: the store's
            _RULES[pairs] = [(rule, reach_of(rule.query)) for rule in rules]
        rules_and_reaches = _RULES[pairs]
    for rule, reach in rules_and_reaches:
        if reach.opaque:
            raise WholeNeeded(f"rule {rule.shape} reads patterns that cannot be followed")
    return rules_and_reaches


# --- the data, looked up along the rules' steps --------------------------------------------------


class _Data:
    """Lookups of one predicate from one node, over what validation reads of the store plus
    the quads the write adds (remembered: paths share their first steps)."""

    def __init__(self, store: ox.Store, view: ValidationView, added: list[ox.Quad]) -> None:
        self.store = store
        self.view = view
        self.by_subject: dict[tuple[Node, str], list[ox.Quad]] = defaultdict(list)
        self.by_object: dict[tuple[Node, str], list[ox.Quad]] = defaultdict(list)
        self.added_about: dict[Node, list[ox.Quad]] = defaultdict(list)
        self.added_of: dict[str, list[ox.Quad]] = defaultdict(list)
        for quad in added:
            self.by_subject[quad.subject, quad.predicate.value].append(quad)
            self.by_object[quad.object, quad.predicate.value].append(quad)
            self.added_about[quad.subject].append(quad)
            self.added_of[quad.predicate.value].append(quad)
        self._memo: dict[tuple[Node, str, bool, frozenset[Node] | None], list[ox.Quad]] = {}
        self._computed: dict[tuple[Origin, Node], set[Node]] = {}

    def along(
        self, node: Node, predicate: str, forward: bool, ends: frozenset[Node] | None = None
    ) -> list[ox.Quad]:
        """The quads ``node predicate ?x`` (forward) or ``?x predicate node``; with ``ends``,
        those whose other end is one of them, a lookup of each (the types of a rule's target
        class, where a person has half a dozen types)."""
        key = (node, predicate, forward, ends)
        if key not in self._memo:
            name, found = ox.NamedNode(predicate), []
            for end in (None,) if ends is None else sorted(ends, key=str):
                subject, obj = (node, end) if forward else (end, node)
                if not isinstance(subject, ox.Literal):
                    stored = self.store.quads_for_pattern(subject, name, obj, None)
                    found += [q for q in stored if self.view.reads(q)]
            extra = (self.by_subject if forward else self.by_object).get((node, predicate), [])
            found += [
                q for q in extra if ends is None or (q.object if forward else q.subject) in ends
            ]
            self._memo[key] = found
        return self._memo[key]

    def follow(
        self,
        nodes: set[Node],
        hop: Hop,
        read: list[ox.Quad] | None = None,
        ends: frozenset[Node] | None = None,
    ) -> set[Node]:
        """The nodes one hop from ``nodes`` (among ``ends``, if given); the quads passed along
        go to ``read``."""
        if hop.step is None:
            return set(nodes)
        out: set[Node] = set()
        for node in nodes:
            for quad in self.along(node, hop.step.predicate, hop.forward, ends):
                end = quad.object if hop.forward else quad.subject
                if _matches(end, hop.step.object if hop.forward else hop.step.subject):
                    out.add(end)
                    if read is not None:
                        read.append(quad)
        return out

    def stored(self, predicate: str) -> Iterator[ox.Quad]:
        """Every quad of ``predicate`` the store holds that validation reads, graph by graph."""
        named = ox.NamedNode(predicate)
        for graph in self.graphs_read(predicate):
            yield from self.store.quads_for_pattern(None, named, None, graph)

    def graphs_read(self, predicate: str) -> list[ox.NamedNode | ox.DefaultGraph]:
        """The graphs whose quads of ``predicate`` validation reads: not the derived graphs,
        nor the masked copies of personal values."""
        graphs: list[ox.NamedNode | ox.DefaultGraph] = []
        for graph in (ox.DefaultGraph(), *self.store.named_graphs()):
            name = graph.value if isinstance(graph, ox.NamedNode) else ""
            masked = predicate in self.view.properties and name in self.view.hidden
            if name not in self.view.derived and not masked:
                graphs.append(graph)
        return graphs

    def computed_from(self, origin: Origin, term: Node) -> set[Node]:
        """The values of ``origin.source`` in its step's quads (stored or added) for which the
        expressions give ``term``, or fail; :class:`_TooWide` past :data:`MAX_COMPUTED` of
        them, or for a blank node (a query cannot name one). The step's quads found are
        remembered as :meth:`along` from each value: they are all of that value's (the
        expressions read the value alone), and the way back to ``?this`` goes along them."""
        if isinstance(term, ox.BlankNode):
            raise _TooWide()
        key = (origin, term)
        if key not in self._computed:
            step, source = origin.step, origin.source
            graphs = self.graphs_read(step.predicate)
            query = _computed_query(origin, term, ox.DefaultGraph() in graphs)
            named = [graph for graph in graphs if isinstance(graph, ox.NamedNode)]
            found: dict[Node, list[ox.Quad]] = defaultdict(list)  # value → its step's quads
            ends = _computed_ends(origin)
            # the quads found are all of each value's, unless the other end is a constant or
            # the source again (then only those are): remembered for the way back
            complete = all(isinstance(end, Variable) for end in ends) and ends[0] != ends[1]
            predicate = ox.NamedNode(step.predicate)
            for row in self.store.query(query, named_graphs=named):  # type: ignore[union-attr]
                quads = found[row[str(source)]]
                if complete:
                    subject, obj = (row[str(end)] for end in ends)
                    graph = row["kgservice_graph"]
                    graph = ox.DefaultGraph() if graph is None else graph
                    quads.append(ox.Quad(subject, predicate, obj, graph))
                if len(found) > MAX_COMPUTED:
                    raise _TooWide()
            forward = ends[0] == source
            extra = self.by_subject if forward else self.by_object
            for value, quads in found.items() if complete else ():
                known = extra.get((value, step.predicate), [])
                self._memo[value, step.predicate, forward, None] = quads + known
            values = set(found)
            added = self.added_of.get(step.predicate)
            if added:
                scratch = ox.Store()  # in their graphs: the query reads them by graph
                scratch.extend(added)
                values |= {row[str(source)] for row in scratch.query(query)}  # type: ignore
            if len(values) > MAX_COMPUTED:
                raise _TooWide()
            self._computed[key] = values
        return self._computed[key]

    def about(self, node: ox.NamedNode) -> list[ox.Quad]:
        stored = self.store.quads_for_pattern(node, None, None, None)
        return [q for q in stored if self.view.reads(q)] + self.added_about.get(node, [])


def _computed_query(origin: Origin, term: Node, default_graph: bool) -> str:
    """A SELECT of the quads of ``origin``'s step (their graph as ``?kgservice_graph``; the
    default graph's too, with ``default_graph``) whose value of ``origin.source`` the
    expressions, applied in turn, make ``term``, or fail on."""
    subject, obj = _computed_ends(origin)
    pattern = f"{subject.n3()} <{origin.step.predicate}> {obj.n3()}"
    union = f" UNION {{ {pattern} }}" if default_graph else ""
    binds = " ".join(f"BIND({d.expression} AS {d.target.n3()})" for d in origin.chain)
    result = origin.chain[-1].target.n3()
    return (
        f"SELECT * WHERE {{ {{ GRAPH ?kgservice_graph {{ {pattern} }} }}{union} {binds} "
        f"FILTER(!BOUND({result}) || sameTerm({result}, {term})) }}"
    )


def _computed_ends(origin: Origin) -> list[object]:
    """The ends of ``origin``'s step, its other variable renamed (the expressions may bind
    any variable of the rule but the source)."""
    other = Variable("kgservice_other")
    return [
        origin.source if end == origin.source else other if isinstance(end, Variable) else end
        for end in (origin.step.subject, origin.step.object)
    ]


def _matches(term: Node, end: object) -> bool:
    """Whether ``term`` can stand where a step has ``end`` (a variable matches anything)."""
    if isinstance(end, Variable):
        return True
    if isinstance(end, URIRef):
        return isinstance(term, ox.NamedNode) and term.value == str(end)
    if isinstance(end, Literal):
        return isinstance(term, ox.Literal) and term.value == str(end)
    return True


def _focus_nodes(
    followed: list[tuple[Rule, Reach]],
    whole: list[tuple[Rule, Reach]],
    data: _Data,
    changed: list[ox.Quad],
) -> dict[RuleKey, list[ox.NamedNode]]:
    """For each ``followed`` rule the changed quads reach, the focus nodes whose findings they
    can change. A rule that cannot be followed back through a computation moves to
    ``whole``, with every rule that finds under its key (shape and component: a finding is
    known by them)."""
    by_predicate: dict[str, list[ox.Quad]] = defaultdict(list)
    for quad in changed:
        by_predicate[quad.predicate.value].append(quad)
    reached: dict[RuleKey, set[Node]] = defaultdict(set)
    wide: set[RuleKey] = set()
    for rule, reach in followed:
        nodes = reached[_key(rule)]
        try:
            for predicate, quads in by_predicate.items():
                for step in reach.steps_of(predicate):
                    for quad in quads:
                        nodes |= _reached_from(reach, step, quad, data)
                if len(nodes) > MAX_APART:
                    raise WholeNeeded(
                        f"the write concerns more than {MAX_APART} focus nodes of one rule"
                    )
        except _TooWide:
            wide.add(_key(rule))
    for pair in [pair for pair in followed if _key(pair[0]) in wide]:
        followed.remove(pair)
        whole.append(pair)
    checked = {key: _iris(nodes) for key, nodes in reached.items() if nodes and key not in wide}
    shared = {node for own in checked.values() if len(own) <= MAX_FOCUS for node in own}
    if len(shared) > MAX_FOCUS:
        raise WholeNeeded(f"the write concerns more than {MAX_FOCUS} focus nodes")
    return checked


def _iris(nodes: set[Node]) -> list[ox.NamedNode]:
    """``nodes`` in order; :class:`WholeNeeded` if one is not an IRI (a query cannot name a
    blank node)."""
    if not all(isinstance(node, ox.NamedNode) for node in nodes):
        raise WholeNeeded("the write concerns a focus node that is not an IRI")
    return sorted(nodes, key=lambda node: node.value)  # type: ignore[union-attr,return-value]


def _reached_from(reach: Reach, step: Step, quad: ox.Quad, data: _Data) -> set[Node]:
    if not (_matches(quad.subject, step.subject) and _matches(quad.object, step.object)):
        return set()
    found: set[Node] = set()
    anchored = reach.anchored()
    for end, term in ((step.subject, quad.subject), (step.object, quad.object)):
        if not isinstance(end, Variable) or end not in anchored:
            continue
        found |= _follow_to_this(reach, end, {term}, step, data)
    if {step.subject, step.object} & anchored:
        return found
    computed = reach.computed_end(step)  # a global step: back through the computation, if any
    if computed is not None:
        end, origin = computed
        term = quad.subject if end == step.subject else quad.object
        start = data.computed_from(origin, term)
        found |= _follow_to_this(reach, origin.source, start, step, data)
    return found


def _follow_to_this(
    reach: Reach, start: Variable, nodes: set[Node], avoid: Step, data: _Data
) -> set[Node]:
    """The focus nodes reached from ``nodes``, the values of ``start``, along every path to
    ``?this`` that does not go along ``avoid``."""
    found: set[Node] = set()
    for path in reach.paths_to_this(start, avoid):
        reached = nodes
        for hop in path:
            reached = data.follow(reached, hop)
        found |= reached
    return found


def _read_quads(reach: Reach, data: _Data, focus: list[ox.NamedNode]) -> list[ox.Quad]:
    """The quads a rule reads along its paths to evaluate the ``focus`` nodes, before or after
    the write (not those of the predicates it reads globally)."""
    read: list[ox.Quad] = []
    reached: dict[tuple[Hop, ...], set[Node]] = {(): set(focus)}
    for path in reach.paths_from_this():
        nodes, hop = reached[tuple(path[:-1])], path[-1]
        ends = _constants(reach, hop.to)
        reached[tuple(path)] = data.follow(nodes, hop, read, ends) if nodes else set()
    return read


def _constants(reach: Reach, var: Variable) -> frozenset[Node] | None:
    """The values ``var`` is restricted to (:attr:`Reach.values`), as store terms."""
    values = reach.values.get(var)
    return None if values is None else frozenset(oxigraph_term(value) for value in values)
