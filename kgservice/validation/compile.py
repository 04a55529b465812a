"""Compile SHACL shapes into SPARQL queries that find every violation of a rule at once.

pySHACL checks one focus node at a time through rdflib; on a city of 100,000 people that is far
too slow. Here every constraint of a shape becomes one SPARQL SELECT over all focus nodes, which
Oxigraph evaluates natively. Each query selects ``?this`` (the focus node), and ``?value`` where
the constraint is about a value node; SHACL-SPARQL constraints are joined with the target pattern
as a subquery, their other projected variables fill the message templates.

Class targets and ``sh:class`` use the subclass closure of the data graph (which holds the
ontology), computed once and written into each query as a ``VALUES`` list: the same answers as
``rdfs:subClassOf*``, without a property path per node.

Supported: ``sh:targetClass``, ``sh:targetNode``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``;
predicate, inverse, sequence, alternative and ``*``/``+``/``?`` paths; ``sh:minCount``,
``sh:maxCount``, ``sh:datatype``, ``sh:nodeKind``, ``sh:class``, ``sh:in``, ``sh:hasValue``,
``sh:pattern`` (+ ``sh:flags``), ``sh:minLength``, ``sh:maxLength``, ``sh:min/maxInclusive``,
``sh:min/maxExclusive``, ``sh:sparql`` and ``sh:deactivated``. Anything else is refused at compile
time (:class:`UnsupportedShape`), never silently skipped; ``kgservice validate --engine pyshacl``
runs any shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD

from kgservice.errors import InputError
from kgservice.store.embedded import EmbeddedStore
from kgservice.validation.findings import Severity

# Datatypes whose lexical forms SPARQL can check by casting (an ill-typed literal fails the cast).
CASTABLE = {
    XSD.string,
    XSD.boolean,
    XSD.decimal,
    XSD.integer,
    XSD.float,
    XSD.double,
    XSD.date,
    XSD.dateTime,
    XSD.time,
    XSD.duration,
}
UNSUPPORTED = {
    SH.node,
    SH["and"],
    SH["not"],
    SH.xone,
    SH.qualifiedValueShape,
    SH.closed,
    SH.equals,
    SH.disjoint,
    SH.lessThan,
    SH.lessThanOrEquals,
    SH.uniqueLang,
    SH.languageIn,
}


class UnsupportedShape(InputError):
    """A shape uses a SHACL feature this engine does not compile."""


@dataclass(frozen=True)
class Rule:
    """One constraint of one shape, as a query whose rows are its validation results."""

    shape: URIRef
    component: URIRef
    severity: Severity
    query: str
    path: str | None
    messages: tuple[Literal, ...]


def compile_shapes(shapes: Graph, classes: SubclassIndex) -> list[Rule]:
    """Compile every active shape of ``shapes`` into rules, with the data graph's class tree."""
    compiler = _Compiler(shapes, classes)
    return [rule for shape in compiler.shapes() for rule in compiler.rules(shape)]


class SubclassIndex:
    """The reflexive-transitive ``rdfs:subClassOf`` closure of the data graph, downwards."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.children: dict[URIRef, set[URIRef]] = {}
        for sub, sup in pairs:
            self.children.setdefault(URIRef(sup), set()).add(URIRef(sub))

    @classmethod
    def from_store(cls, store: EmbeddedStore) -> SubclassIndex:
        query = (
            f"SELECT ?sub ?sup WHERE {{ ?sub <{RDFS.subClassOf}> ?sup "
            "FILTER(isIRI(?sub) && isIRI(?sup)) }"
        )
        return cls((row["sub"].value, row["sup"].value) for row in store.select(query))

    def closure(self, cls: URIRef) -> list[URIRef]:
        seen, pending = {cls}, [cls]
        while pending:
            for child in self.children.get(pending.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    pending.append(child)
        return sorted(seen)


def term(node: object) -> str:
    """A SPARQL term for an rdflib IRI or literal."""
    if isinstance(node, (URIRef, Literal)):
        return node.n3()
    raise InputError(f"expected an IRI or a literal in the shapes, got {node!r}")


class _Compiler:
    def __init__(self, shapes: Graph, classes: SubclassIndex) -> None:
        self.g = shapes
        self.classes = classes

    # --- which shapes, and their targets ------------------------------------------------------

    def shapes(self) -> list[URIRef | BNode]:
        kinds = set(self.g.subjects(RDF.type, SH.NodeShape))
        kinds |= set(self.g.subjects(RDF.type, SH.PropertyShape))
        kinds |= set(self.g.objects(None, SH.property))
        return sorted((s for s in kinds if self.active(s)), key=str)

    def active(self, shape: URIRef | BNode) -> bool:
        return not self.g.value(shape, SH.deactivated, default=Literal(False))

    def focus_pattern(self, shape: URIRef | BNode) -> str | None:
        """A group pattern binding ``?this`` to each focus node of ``shape``, or None."""
        parents = [p for p in self.g.subjects(SH.property, shape) if self.active(p)]
        patterns = self._own_targets(shape) + [
            p for parent in parents if (p := self.focus_pattern(parent)) is not None
        ]
        if not patterns:
            return None
        union = " UNION ".join(f"{{ {p} }}" for p in patterns)
        return f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}"

    def _own_targets(self, shape: URIRef | BNode) -> list[str]:
        out = []
        for cls in self.g.objects(shape, SH.targetClass):
            types = " ".join(term(c) for c in self.classes.closure(cls))  # type: ignore[arg-type]
            out.append(f"VALUES ?_type {{ {types} }} ?this a ?_type .")
        for node in self.g.objects(shape, SH.targetNode):
            out.append(f"VALUES ?this {{ {term(node)} }}")
        for prop in self.g.objects(shape, SH.targetSubjectsOf):
            out.append(f"?this {term(prop)} ?_object .")
        for prop in self.g.objects(shape, SH.targetObjectsOf):
            out.append(f"?_subject {term(prop)} ?this .")
        return out

    # --- constraints ----------------------------------------------------------------------------

    def rules(self, shape: URIRef | BNode) -> Iterator[Rule]:
        self._refuse_unsupported(shape)
        focus = self.focus_pattern(shape)
        if focus is None:
            return
        severity = Severity.parse(str(self.g.value(shape, SH.severity, default=SH.Violation)))
        messages = tuple(m for m in self.g.objects(shape, SH.message) if isinstance(m, Literal))
        path_node = self.g.value(shape, SH.path)
        path = self.path(path_node) if path_node is not None else None
        for component, query in self._constraint_queries(shape, focus, path):
            yield Rule(_iri(shape), component, severity, query, path, messages)
        for constraint in self.g.objects(shape, SH.sparql):
            yield self._sparql_rule(shape, constraint, focus, severity)

    def _refuse_unsupported(self, shape: URIRef | BNode) -> None:
        used = set(self.g.predicates(shape, None)) & UNSUPPORTED
        if used:
            names = ", ".join(sorted(u.n3(self.g.namespace_manager) for u in used))
            raise UnsupportedShape(f"shape {shape}: {names} not supported by the fast engine")

    def _constraint_queries(
        self, shape: URIRef | BNode, focus: str, path: str | None
    ) -> Iterator[tuple[URIRef, str]]:
        values = f"?this {path} ?value ." if path else "BIND(?this AS ?value)"
        g = self.g
        if path and (n := g.value(shape, SH.minCount)) is not None:
            yield SH.MinCountConstraintComponent, _min_count(focus, path, int(n))
        if path and (n := g.value(shape, SH.maxCount)) is not None:
            yield SH.MaxCountConstraintComponent, _max_count(focus, path, int(n))
        if path and (v := g.value(shape, SH.hasValue)) is not None:
            query = (
                f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ ?this {path} {term(v)} }} }}"
            )
            yield SH.HasValueConstraintComponent, query
        for component, test in self.value_tests(shape):
            yield component, f"SELECT ?this ?value WHERE {{ {focus} {values} FILTER({test}) }}"
        for members in g.objects(shape, SH["or"]):
            test = self._or_test(shape, members)
            yield (
                SH.OrConstraintComponent,
                f"SELECT ?this ?value WHERE {{ {focus} {values} FILTER({test}) }}",
            )

    def value_tests(self, shape: URIRef | BNode) -> list[tuple[URIRef, str]]:
        """The (component, violation test on ``?value``) pairs of a shape's value constraints."""
        return [
            (component, condition(self.g.value(shape, parameter)))
            for parameter, component, condition in self._value_conditions(shape)
            if self.g.value(shape, parameter) is not None
        ]

    def _or_test(self, shape: URIRef | BNode, members: object) -> str:
        """``sh:or`` is violated when every member shape is: each by one of its value tests."""
        parts = []
        for member in Collection(self.g, members):  # type: ignore[arg-type]
            own = set(self.g.predicates(member, None)) - {RDF.type, SH.message, SH.name}
            value_params = {parameter for parameter, _, _ in self._value_conditions(member)}
            if not own or own - value_params:
                raise UnsupportedShape(
                    f"shape {shape}: sh:or members may only hold value constraints (sh:class, "
                    "sh:datatype, sh:nodeKind, sh:in, sh:pattern, lengths, ranges)"
                )
            parts.append("(" + " || ".join(test for _, test in self.value_tests(member)) + ")")
        return " && ".join(parts) or "true"

    def _value_conditions(
        self, shape: URIRef | BNode
    ) -> list[tuple[URIRef, URIRef, Callable[[object], str]]]:
        flags = self.g.value(shape, SH.flags)
        return [
            (SH.datatype, SH.DatatypeConstraintComponent, _not_datatype),
            (SH.nodeKind, SH.NodeKindConstraintComponent, _not_node_kind),
            (SH["class"], SH.ClassConstraintComponent, self._not_class),
            (SH["in"], SH.InConstraintComponent, self._not_in),
            (SH.pattern, SH.PatternConstraintComponent, lambda p: _not_pattern(p, flags)),
            (SH.minLength, SH.MinLengthConstraintComponent, lambda n: _length(n, "<")),
            (SH.maxLength, SH.MaxLengthConstraintComponent, lambda n: _length(n, ">")),
            (SH.minInclusive, SH.MinInclusiveConstraintComponent, lambda x: _compare(x, ">=")),
            (SH.maxInclusive, SH.MaxInclusiveConstraintComponent, lambda x: _compare(x, "<=")),
            (SH.minExclusive, SH.MinExclusiveConstraintComponent, lambda x: _compare(x, ">")),
            (SH.maxExclusive, SH.MaxExclusiveConstraintComponent, lambda x: _compare(x, "<")),
        ]

    def _not_class(self, cls: object) -> str:
        types = " ".join(term(c) for c in self.classes.closure(cls))  # type: ignore[arg-type]
        return f"NOT EXISTS {{ VALUES ?_class {{ {types} }} ?value a ?_class }}"

    def _not_in(self, head: object) -> str:
        members = list(Collection(self.g, head))  # type: ignore[arg-type]
        same = " || ".join(f"sameTerm(?value, {term(m)})" for m in members)
        return f"!({same or 'false'})"

    def _sparql_rule(
        self, shape: URIRef | BNode, constraint: object, focus: str, severity: Severity
    ) -> Rule:
        select = self.g.value(constraint, SH.select)  # type: ignore[arg-type]
        if select is None:
            raise UnsupportedShape(f"shape {shape}: sh:sparql without sh:select")
        own = self.g.value(constraint, SH.severity)  # type: ignore[arg-type]
        if own is not None:
            severity = Severity.parse(str(own))
        prefixes = self._prefixes(constraint)
        query = f"{prefixes}\nSELECT * WHERE {{ {focus} {{ {select} }} }}"
        messages = tuple(
            m
            for m in self.g.objects(constraint, SH.message)
            if isinstance(m, Literal)  # type: ignore[arg-type]
        ) or tuple(m for m in self.g.objects(shape, SH.message) if isinstance(m, Literal))
        return Rule(_iri(shape), SH.SPARQLConstraintComponent, severity, query, None, messages)

    def _prefixes(self, constraint: object) -> str:
        lines = []
        for holder in self.g.objects(constraint, SH.prefixes):  # type: ignore[arg-type]
            for declaration in self.g.objects(holder, SH.declare):
                prefix = self.g.value(declaration, SH.prefix)
                namespace = self.g.value(declaration, SH.namespace)
                lines.append(f"PREFIX {prefix}: <{namespace}>")
        return "\n".join(sorted(set(lines)))

    # --- property paths -----------------------------------------------------------------------

    def path(self, node: object) -> str:
        """Render a SHACL property path as a SPARQL property path."""
        g = self.g
        if isinstance(node, URIRef):
            return node.n3()
        if (node, RDF.first, None) in g:
            return "(" + "/".join(self.path(p) for p in Collection(g, node)) + ")"  # type: ignore[arg-type]
        unary = {
            SH.inversePath: "^{}",
            SH.zeroOrMorePath: "{}*",
            SH.oneOrMorePath: "{}+",
            SH.zeroOrOnePath: "{}?",
        }
        for predicate, template in unary.items():
            if (inner := g.value(node, predicate)) is not None:  # type: ignore[arg-type]
                return "(" + template.format(self.path(inner)) + ")"
        if (alternatives := g.value(node, SH.alternativePath)) is not None:  # type: ignore[arg-type]
            return "(" + "|".join(self.path(p) for p in Collection(g, alternatives)) + ")"
        raise UnsupportedShape(f"unsupported property path {node!r}")


def _iri(shape: URIRef | BNode) -> URIRef:
    if not isinstance(shape, URIRef):
        raise UnsupportedShape("every shape with constraints needs an IRI: it names the rule")
    return shape


def _min_count(focus: str, path: str, n: int) -> str:
    if n == 1:
        return f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ ?this {path} ?value }} }}"
    return (
        f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {path} ?value }} }} "
        f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) < {n})"
    )


def _max_count(focus: str, path: str, n: int) -> str:
    return (
        f"SELECT ?this WHERE {{ {focus} ?this {path} ?value }} "
        f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) > {n})"
    )


def _not_datatype(datatype: object) -> str:
    dt = term(datatype)
    if datatype == RDF.langString:
        return "!(isLiteral(?value) && LANG(?value) != '')"
    well_typed = f"isLiteral(?value) && DATATYPE(?value) = {dt}"
    if datatype in CASTABLE:
        well_typed += f" && COALESCE(STRLEN(STR({dt}(STR(?value)))) >= 0, false)"
    return f"!({well_typed})"


def _not_node_kind(kind: object) -> str:
    tests = {
        SH.IRI: "isIRI(?value)",
        SH.BlankNode: "isBlank(?value)",
        SH.Literal: "isLiteral(?value)",
        SH.BlankNodeOrIRI: "(isBlank(?value) || isIRI(?value))",
        SH.BlankNodeOrLiteral: "(isBlank(?value) || isLiteral(?value))",
        SH.IRIOrLiteral: "(isIRI(?value) || isLiteral(?value))",
    }
    return f"!{tests[kind]}"  # type: ignore[index]


def _not_pattern(pattern: object, flags: object) -> str:
    args = f"STR(?value), {Literal(str(pattern)).n3()}"
    if flags is not None:
        args += f", {Literal(str(flags)).n3()}"
    return f"isBlank(?value) || !COALESCE(REGEX({args}), false)"


def _length(n: object, op: str) -> str:
    return f"isBlank(?value) || STRLEN(STR(?value)) {op} {int(n)}"  # type: ignore[call-overload]


def _compare(bound: object, op: str) -> str:
    return f"!COALESCE(?value {op} {term(bound)}, false)"
