"""Which focus nodes a change of data can concern, read from a compiled rule's query.

A rule (:mod:`kgservice.validation.compile`) is a SPARQL query whose rows are findings about
``?this``. Its triple patterns, with property paths cut into steps, form a small graph over its
variables: a step ``?a p ?b`` joins ``?a`` and ``?b``, ``BIND(?a AS ?b)`` makes them one. A
quad ``S p O`` can change the rule's findings about a focus node F only if it matches one of
the steps in a solution for F (in the data before the change or after it); in that solution
the step's variables are joined to ``?this`` by other steps, each matched by a quad. So F is
found from S and O by following, in the data, the steps of a path of that graph from the
step's ends to ``?this``: :meth:`Reach.paths_to_this` lists them (simple paths, not through
the step itself). The same graph, walked from ``?this``, tells which quads an evaluation for
given focus nodes reads (:meth:`Reach.paths_from_this`).

What cannot be followed this way is *global*: a step whose variables are joined to ``?this``
only through an expression (``BIND(IRI(CONCAT(...)) AS ?division)``), constants or ``VALUES``,
and the predicates of ``*``, ``+`` and ``?`` paths. The quads of such a predicate are read
whole. A change of one may concern any focus node, unless the step's end is *computed* from a
variable joined to ``?this`` by expressions of that one variable which the analysis can write
back as SPARQL (constants, ``STR``, ``SUBSTR``, ``CONCAT``, ``IRI``: :class:`Derived`), and
that variable is bound in every solution by a triple pattern outside ``OPTIONAL``, ``UNION``
and ``MINUS`` (:attr:`Reach.mandatory`). Then the focus nodes are found by running those
expressions over that pattern's quads in the store, keeping the values that give the changed
term or fail (a failed expression leaves the end unbound, which matches any term):
:meth:`Reach.origin`, :meth:`Reach.followable`. A variable predicate or a negated property set
makes the whole rule :attr:`Reach.opaque`.

The analysis uses rdflib's SPARQL algebra; it is slow (about 20 ms a rule), so it is
remembered per query text.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from rdflib import Literal, URIRef, Variable
from rdflib.paths import AlternativePath, InvPath, MulPath, Path, SequencePath
from rdflib.plugins.sparql.parserutils import CompValue

from kgservice.sparql.reach import parse_algebra

THIS = Variable("this")


@dataclass(frozen=True)
class Step:
    """A triple pattern with one predicate: its ends are variables or constants."""

    subject: object
    predicate: str
    object: object


@dataclass(frozen=True)
class Hop:
    """One edge of a path between variables: along ``step`` (forward: subject to object),
    or an identity (``step`` None: ``BIND(?a AS ?b)``)."""

    step: Step | None
    forward: bool
    to: Variable


@dataclass(frozen=True)
class Derived:
    """``BIND(expression AS ?target)`` where the expression's one variable is ``source`` and
    ``expression`` is its SPARQL text (full IRIs, no prefixes)."""

    source: Variable
    target: Variable
    expression: str


@dataclass(frozen=True)
class Origin:
    """Where a computed variable comes from: ``source``, a variable joined to ``?this`` whose
    every value is in the quads of ``step``, and the expressions from it, in the order they
    apply (the last binds the computed variable)."""

    source: Variable
    step: Step
    chain: tuple[Derived, ...]


@dataclass
class Reach:
    """The variable graph of one rule (module docstring)."""

    steps: list[Step] = field(default_factory=list)
    same: list[tuple[Variable, Variable]] = field(default_factory=list)
    computed: set[Variable] = field(default_factory=set)
    unbounded: set[str] = field(default_factory=set)  # predicates of * + ? paths
    opaque: bool = False
    #: the computed variables whose expressions can be run again (target → how)
    derived: dict[Variable, Derived] = field(default_factory=dict)
    #: the steps every solution matches (in no OPTIONAL, UNION or MINUS)
    mandatory: set[Step] = field(default_factory=set)
    #: variables a ``VALUES`` block of constants restricts wherever a step reads them (the
    #: class of a rule's ``sh:targetClass``): only the quads with those values are read
    values: dict[Variable, frozenset[URIRef | Literal]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._anchored: frozenset[Variable] | None = None
        self._paths: dict[tuple[Variable, Step] | None, list[list[Hop]]] = {}
        self._by_predicate: dict[str, list[Step]] | None = None

    # --- the graph ------------------------------------------------------------------------------

    def hops(self, var: Variable) -> Iterator[Hop]:
        """The edges leaving ``var``."""
        for step in self.steps:
            if step.subject == var and isinstance(step.object, Variable):
                yield Hop(step, True, step.object)
            if step.object == var and isinstance(step.subject, Variable):
                yield Hop(step, False, step.subject)
        for a, b in self.same:
            if a == var:
                yield Hop(None, True, b)
            elif b == var:
                yield Hop(None, True, a)

    def anchored(self) -> frozenset[Variable]:
        """The variables joined to ``?this`` by steps and identities, ``?this`` included."""
        if self._anchored is None:
            seen, pending = {THIS}, [THIS]
            while pending:
                for hop in self.hops(pending.pop()):
                    if hop.to not in seen and hop.to not in self.computed:
                        seen.add(hop.to)
                        pending.append(hop.to)
            self._anchored = frozenset(seen)
        return self._anchored

    def global_predicates(self) -> set[str]:
        """Predicates whose quads may concern any focus node: read whole, a change of one
        is not followed."""
        anchored = self.anchored()
        loose = {
            step.predicate for step in self.steps if not {step.subject, step.object} & anchored
        }
        return loose | self.unbounded

    def steps_of(self, predicate: str) -> list[Step]:
        """The steps a quad of ``predicate`` can match."""
        if self._by_predicate is None:
            by_predicate: dict[str, list[Step]] = {}
            for step in self.steps:
                by_predicate.setdefault(step.predicate, []).append(step)
            self._by_predicate = by_predicate
        return self._by_predicate.get(predicate, [])

    def predicates(self) -> set[str]:
        return {step.predicate for step in self.steps} | self.unbounded

    # --- ends computed from anchored variables --------------------------------------------------

    def origin(self, var: Variable) -> Origin | None:
        """Where ``var`` is computed from, if it is computed by :class:`Derived` expressions
        from a variable joined to ``?this`` and bound in every solution by a step."""
        chain: list[Derived] = []
        while var in self.derived and len(chain) < len(self.derived):
            chain.append(self.derived[var])
            var = self.derived[var].source
        step = self._source_step(var)
        if not chain or var == THIS or var not in self.anchored() or step is None:
            return None
        return Origin(var, step, tuple(reversed(chain)))

    def _source_step(self, var: Variable) -> Step | None:
        """A step every solution matches with ``var`` at one end: its quads hold every value
        ``var`` takes."""
        for step in sorted(self.mandatory, key=repr):
            if var in (step.subject, step.object):
                return step
        return None

    def computed_end(self, step: Step) -> tuple[Variable, Origin] | None:
        """The end of a step with no anchored end that is computed from an anchored variable,
        with its :meth:`origin`, if there is one."""
        for end in (step.subject, step.object):
            if isinstance(end, Variable) and (origin := self.origin(end)) is not None:
                return end, origin
        return None

    def followable(self) -> set[str]:
        """The global predicates whose changes can be followed back all the same: each of their
        steps has an end computed from an anchored variable."""
        return {
            predicate
            for predicate in self.global_predicates() - self.unbounded
            if all(self.computed_end(step) for step in self.steps_of(predicate))
        }

    # --- paths ----------------------------------------------------------------------------------

    def paths_to_this(self, start: Variable, avoid: Step) -> list[list[Hop]]:
        """Every simple path from ``start`` to ``?this`` that does not go along ``avoid``."""
        if start == THIS:
            return [[]]
        if (start, avoid) in self._paths:
            return self._paths[start, avoid]
        found: list[list[Hop]] = []

        def walk(var: Variable, path: list[Hop], seen: set[Variable]) -> None:
            for hop in self.hops(var):
                if hop.step == avoid or hop.to in seen or hop.to in self.computed:
                    continue
                if hop.to == THIS:
                    found.append([*path, hop])
                else:
                    walk(hop.to, [*path, hop], seen | {hop.to})

        walk(start, [], {start})
        self._paths[start, avoid] = found
        return found

    def paths_from_this(self) -> list[list[Hop]]:
        """Every simple path leaving ``?this`` (each prefix listed): the steps an evaluation
        for given focus nodes reads, in the order they are reached."""
        if None in self._paths:
            return self._paths[None]
        found: list[list[Hop]] = []

        def walk(var: Variable, path: list[Hop], seen: set[Variable]) -> None:
            for hop in self.hops(var):
                if hop.to in seen or hop.to in self.computed:
                    continue
                found.append([*path, hop])
                walk(hop.to, [*path, hop], seen | {hop.to})

        walk(THIS, [], {THIS})
        self._paths[None] = found
        return found


@lru_cache(maxsize=1024)
def reach_of(query: str) -> Reach:
    """The variable graph of ``query`` (a compiled rule)."""
    reach = Reach()
    algebra = parse_algebra(query)  # under the lock pyparsing's shared state needs
    if algebra is None:
        reach.opaque = True
        return reach
    _Builder(reach).walk(algebra)
    unique: dict[Step, None] = dict.fromkeys(reach.steps)  # the same pattern twice is one
    reach.steps = list(unique)
    reach.mandatory = {Step(s, str(p), o) for s, p, o in _mandatory(algebra)} & set(unique)
    reach.values = _values(algebra, reach)
    return reach


def _values(algebra: object, reach: Reach) -> dict[Variable, frozenset[URIRef | Literal]]:
    """The variables restricted to constants: bound by one ``VALUES`` block (no ``UNDEF``)
    joined with a group pattern in whose mandatory steps is every triple pattern of the query
    that reads the variable (the same pattern written twice counts twice: steps are told
    apart by their terms only); none renamed or computed by a ``BIND``, none ``?this``."""
    found: dict[Variable, list[tuple[frozenset[URIRef | Literal], object]]] = {}
    for rows, other in _joined_values(algebra):
        for var in {v for row in rows for v in row}:
            constants = [row.get(var) for row in rows]
            if all(isinstance(c, (URIRef, Literal)) for c in constants):
                found.setdefault(var, []).append((frozenset(constants), other))  # type: ignore[arg-type]
    aliased = {v for pair in reach.same for v in pair} | reach.computed | {THIS}
    everywhere = _triples(algebra)
    restricted: dict[Variable, frozenset[URIRef | Literal]] = {}
    for var, blocks in found.items():
        if len(blocks) != 1 or var in aliased:
            continue
        constants, other = blocks[0]
        reading = [t for t in everywhere if var in t]
        joined = [t for t in _triples(other) if var in t]
        if reading and len(joined) == len(reading) and set(joined) <= _mandatory(other):
            restricted[var] = constants
    return restricted


def _triples(node: object) -> list[tuple[object, object, object]]:
    """Every triple pattern written in ``node``, as often as it is written (paths whole)."""
    if isinstance(node, CompValue):
        if node.name == "BGP":
            return list(node.triples)
        if node.name == "TriplesBlock":
            return list(_in_threes(node.triples))
        return [t for value in node.values() for t in _triples(value)]
    if isinstance(node, (list, tuple)):
        return [t for item in node for t in _triples(item)]
    return []


def _joined_values(node: object) -> Iterator[tuple[list[dict], object]]:
    """Each ``VALUES`` block of the algebra joined with a pattern: its rows and the pattern;
    a block seen elsewhere gives an empty pattern (it restricts no step)."""
    if isinstance(node, CompValue):
        if node.name == "Join":
            for block, other in ((node.p1, node.p2), (node.p2, node.p1)):
                rows = _rows(block)
                if rows is not None:
                    yield rows, other
        elif (rows := _rows(node)) is not None:
            yield rows, None
            return
        for value in node.values():
            if not (node.name == "Join" and _rows(value) is not None):
                yield from _joined_values(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _joined_values(item)


def _rows(node: object) -> list[dict] | None:
    """The rows of a ``VALUES`` block (``ToMultiSet`` of ``values``), or None."""
    if isinstance(node, CompValue) and node.name == "ToMultiSet":
        node = node.p
    if isinstance(node, CompValue) and node.name == "values":
        return list(node.res)
    return None


def _mandatory(node: object) -> set[tuple[object, URIRef, object]]:
    """The triple patterns (with an IRI predicate) that every solution of ``node`` matches."""
    if not isinstance(node, CompValue):
        return set()
    if node.name == "BGP":
        return {(s, p, o) for s, p, o in node.triples if isinstance(p, URIRef)}
    if node.name == "Join":
        return _mandatory(node.p1) | _mandatory(node.p2)
    if node.name in ("LeftJoin", "Minus"):
        return _mandatory(node.p1)
    if node.name == "Union":
        return _mandatory(node.p1) & _mandatory(node.p2)
    if node.name == "ToMultiSet" and getattr(node.p, "name", None) == "Project":
        seen = set(node.p.PV)  # a sub-select: only what it projects is seen outside
        return {
            triple
            for triple in _mandatory(node.p)
            if all(term in seen for term in triple if isinstance(term, Variable))
        }
    if node.name in _PASS_THROUGH:
        return _mandatory(node.p)
    return set()


#: Algebra nodes whose every solution extends one of their pattern's (filtered, extended,
#: sorted, cut, or projected by the rule's own SELECT, within which its BINDs are; variables
#: are told apart by name only, as everywhere here, but a sub-select's unprojected ones are
#: left out above).
_PASS_THROUGH = frozenset(
    {
        "SelectQuery",
        "AskQuery",
        "ConstructQuery",
        "Project",
        "ToMultiSet",
        "Distinct",
        "Reduced",
        "Slice",
        "OrderBy",
        "Filter",
        "Extend",
        "Graph",
    }
)


class _Builder:
    def __init__(self, reach: Reach) -> None:
        self.reach = reach
        self.fresh = itertools.count()

    def walk(self, node: object) -> None:
        if isinstance(node, CompValue):
            if node.name == "BGP":
                for s, p, o in node.triples:
                    self.pattern(s, p, o)
            elif node.name == "TriplesBlock":
                for s, p, o in _in_threes(node.triples):
                    self.pattern(s, p, o)
            elif node.name in ("Extend", "Bind"):
                self.bind(node.var, node.expr)
            for value in node.values():
                self.walk(value)
        elif isinstance(node, (list, tuple)):
            for item in node:
                self.walk(item)

    def bind(self, var: Variable, expr: object) -> None:
        if isinstance(expr, Variable):
            self.reach.same.append((expr, var))
            return
        self.reach.computed.add(var)
        written = _expression(expr)
        if written is not None and len(written[1]) == 1:
            (source,) = written[1]
            self.reach.derived[var] = Derived(source, var, written[0])

    def pattern(self, s: object, p: object, o: object) -> None:
        if isinstance(p, URIRef):
            self.reach.steps.append(Step(s, str(p), o))
        elif isinstance(p, SequencePath):
            ends = [s] + [Variable(f"_step{next(self.fresh)}") for _ in p.args[1:]] + [o]
            for inner, (a, b) in zip(p.args, itertools.pairwise(ends), strict=True):
                self.pattern(a, inner, b)
        elif isinstance(p, InvPath):
            self.pattern(o, p.arg, s)
        elif isinstance(p, AlternativePath):
            for inner in p.args:
                self.pattern(s, inner, o)
        elif isinstance(p, MulPath):
            iris = _iris(p.path)
            if iris is None:
                self.reach.opaque = True
            else:
                self.reach.unbounded |= iris
        else:  # a variable predicate, a negated property set, a form not known here
            self.reach.opaque = True


def _in_threes(flat: list[object]) -> Iterator[tuple[object, object, object]]:
    for triples in flat:
        items = list(triples)  # type: ignore[call-overload]
        for i in range(0, len(items) - 2, 3):
            yield items[i], items[i + 1], items[i + 2]


def _iris(path: object) -> set[str] | None:
    """The IRIs of a path, or None if it holds something else (a negated set)."""
    if isinstance(path, URIRef):
        return {str(path)}
    if isinstance(path, (SequencePath, AlternativePath)):
        parts = [_iris(arg) for arg in path.args]
        return None if any(p is None for p in parts) else set().union(*parts)  # type: ignore[arg-type]
    if isinstance(path, (InvPath, MulPath)):
        inner = path.arg if isinstance(path, InvPath) else path.path
        return _iris(inner)
    if isinstance(path, Path):
        return None
    return None


#: The SPARQL functions an expression of :class:`Derived` may call: deterministic, and none
#: reads the store.
_FUNCTIONS = {
    "Builtin_STR": "STR",
    "Builtin_IRI": "IRI",
    "Builtin_URI": "URI",
    "Builtin_SUBSTR": "SUBSTR",
    "Builtin_CONCAT": "CONCAT",
}


def _expression(expr: object) -> tuple[str, frozenset[Variable]] | None:
    """The SPARQL text of an expression of constants and :data:`_FUNCTIONS`, with its
    variables; ``None`` for any other expression."""
    if isinstance(expr, Variable):
        return expr.n3(), frozenset({expr})
    if isinstance(expr, (URIRef, Literal)):
        return expr.n3(), frozenset()
    if not isinstance(expr, CompValue) or expr.name not in _FUNCTIONS:
        return None
    args = expr.get("arg")
    arguments = list(args) if isinstance(args, list) else [args]
    if expr.name == "Builtin_SUBSTR":
        arguments += [expr.get("start")] + ([expr["length"]] if expr.get("length") else [])
    written = [_expression(arg) for arg in arguments]
    if any(part is None for part in written):
        return None
    texts = ", ".join(part[0] for part in written)  # type: ignore[index]
    variables = frozenset().union(*(part[1] for part in written))  # type: ignore[index]
    return f"{_FUNCTIONS[expr.name]}({texts})", variables
