"""Reading the W3C SPARQL 1.1 test suite: manifests, expected results, and comparing answers.

The suite (https://github.com/w3c/rdf-tests, ``sparql/sparql11``) is read from
``$KGSERVICE_W3C_SPARQL11`` (default ``shared/w3c/sparql11`` beside the checkout). It must be
there: :func:`require_suite` fails the test with a message when it is not (never a skip).

Manifests are read with rdflib, parsed under the suite's own base IRI
(``http://www.w3.org/2009/sparql/docs/tests/data-sparql11/<folder>/``) so that relative IRIs in
queries, data and results resolve as the test authors meant; :func:`local_path` maps such an IRI
back to the file. Expected results are read with pyoxigraph, which keeps literals exactly as
written (rdflib would normalise ``"01"^^xsd:integer`` to ``"1"`` and hide a difference), and
answers are compared as RDF terms: solution multisets up to blank-node renaming, ordered where
the query's outermost ORDER BY fixes an order, booleans, and graphs up to isomorphism.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS

DEFAULT_SUITE = Path(__file__).resolve().parents[3] / "shared" / "w3c" / "sparql11"
SUITE = Path(os.environ.get("KGSERVICE_W3C_SPARQL11") or DEFAULT_SUITE)
W3C_BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
RS = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

Row = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]
"""One solution: variable name → term (unbound variables are absent)."""


def require_suite(folder: str = "") -> Path:
    """The suite folder; fails (not skips) the calling test when it is missing."""
    path = SUITE / folder
    assert path.is_dir(), (
        f"the W3C SPARQL 1.1 test suite is missing: no {path}; put rdf-tests' sparql/sparql11 "
        "there or set KGSERVICE_W3C_SPARQL11"
    )
    return path


def suite_iri(folder: str, name: str) -> str:
    """The W3C IRI of a file of the suite, e.g. ``…/data-sparql11/cast/data.ttl``."""
    return f"{W3C_BASE}{folder}/{name}"


def local_path(iri: str) -> Path:
    """The file of the suite behind a W3C IRI of it."""
    if not iri.startswith(W3C_BASE):
        raise ValueError(f"{iri} is not a file of the W3C suite")
    return SUITE / iri[len(W3C_BASE) :]


def read_manifest(folder: str) -> tuple[Graph, list[URIRef]]:
    """A folder's ``manifest.ttl`` and its entries, in the manifest's order (empty if missing)."""
    path = SUITE / folder / "manifest.ttl"
    if not path.is_file():
        return Graph(), []
    graph = Graph().parse(path, format="turtle", publicID=suite_iri(folder, "manifest.ttl"))
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    entries = [node for node in Collection(graph, graph.value(manifest, MF.entries))]
    return graph, [node for node in entries if isinstance(node, URIRef)]


def fragment(iri: str) -> str:
    return iri.rpartition("#")[2]


# --- media types of the suite's files

RDF_MEDIA_TYPES = {
    ".ttl": "text/turtle",
    ".nt": "application/n-triples",
    ".rdf": "application/rdf+xml",
}
RDF_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".rdf": ox.RdfFormat.RDF_XML,
}
RESULT_FORMATS = {
    ".srx": ox.QueryResultsFormat.XML,
    ".srj": ox.QueryResultsFormat.JSON,
    ".tsv": ox.QueryResultsFormat.TSV,
}


def rdf_media_type(path: Path) -> str:
    return RDF_MEDIA_TYPES[path.suffix]


def parse_rdf(path: Path, base_iri: str) -> list[ox.Triple]:
    """The triples of an RDF file of the suite, literals exactly as written."""
    quads = ox.parse(path=str(path), format=RDF_FORMATS[path.suffix], base_iri=base_iri)
    return [quad.triple for quad in quads]


# --- query evaluation tests


@dataclass(frozen=True)
class EvaluationTest:
    """One ``mf:QueryEvaluationTest`` (or ``mf:CSVResultFormatTest``) of a manifest."""

    folder: str
    name: str  # the fragment of the test's IRI, e.g. "agg01"
    title: str  # mf:name
    kind: str
    query: str  # IRIs under W3C_BASE
    data: tuple[str, ...]
    graph_data: tuple[str, ...]
    result: str

    @property
    def id(self) -> str:
        return f"{self.folder}/{self.name}"


EVALUATION_KINDS = (MF.QueryEvaluationTest, MF.CSVResultFormatTest)


def evaluation_tests(folder: str) -> list[EvaluationTest]:
    """Every evaluation test of a folder's manifest, in the manifest's order."""
    graph, entries = read_manifest(folder)
    tests = []
    for entry in entries:
        kind = graph.value(entry, RDF.type)
        if kind not in EVALUATION_KINDS:
            continue
        action = graph.value(entry, MF.action)
        tests.append(
            EvaluationTest(
                folder=folder,
                name=fragment(str(entry)),
                title=str(graph.value(entry, MF.name)),
                kind=fragment(str(kind)),
                query=str(graph.value(action, QT.query)),
                data=tuple(sorted(str(d) for d in graph.objects(action, QT.data))),
                graph_data=tuple(sorted(str(d) for d in graph.objects(action, QT.graphData))),
                result=str(graph.value(entry, MF.result)),
            )
        )
    return tests


# --- protocol tests


@dataclass(frozen=True)
class Exchange:
    """One HTTP request of a protocol test and what its response must be."""

    method: str
    path: str  # as in the manifest: starts with /sparql/
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    status_classes: frozenset[int]  # 2 for 2xx, 3 for 3xx, 4 for 4xx
    expected_boolean: bool | None
    expected_format: str | None  # "boolean", "tabular", "RDF"

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    title: str
    graph_data: tuple[tuple[str, str], ...]  # (file IRI, graph name)
    exchanges: tuple[Exchange, ...] = field(default=())


def _exchange(graph: Graph, request: rdflib.term.Node) -> Exchange:
    headers_node = graph.value(request, HT.headers)
    headers = tuple(
        (str(graph.value(header, HT.fieldName)), str(graph.value(header, HT.fieldValue)))
        for header in (Collection(graph, headers_node) if headers_node is not None else [])
    )
    body_node = graph.value(request, HT.body)
    body = None
    if body_node is not None:
        encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(body_node, CNT.chars)).encode(encoding)
    response = graph.value(request, HT.resp)
    classes = {
        int(fragment(str(status)).removeprefix("StatusCode")[0])
        for status in graph.objects(response, MF.expectedStatus)
    }
    boolean = graph.value(response, MF.expectedBoolean)
    expected_format = graph.value(response, MF.expectedFormat)
    return Exchange(
        method=str(graph.value(request, HT.methodName)),
        path=str(graph.value(request, HT.absolutePath)),
        headers=headers,
        body=body,
        status_classes=frozenset(classes),
        expected_boolean=None if boolean is None else bool(boolean.toPython()),
        expected_format=None if expected_format is None else str(expected_format),
    )


def protocol_tests() -> list[ProtocolTest]:
    """Every test of ``protocol/manifest.ttl``, in the manifest's order."""
    graph, entries = read_manifest("protocol")
    tests = []
    for entry in entries:
        data = tuple(
            sorted(
                (str(graph.value(node, UT.graph)), str(graph.value(node, RDFS.label)))
                for node in graph.objects(entry, UT.graphData)
            )
        )
        action = graph.value(entry, MF.action)
        exchanges = tuple(
            _exchange(graph, request)
            for request in Collection(graph, graph.value(action, HT.requests))
        )
        tests.append(
            ProtocolTest(fragment(str(entry)), str(graph.value(entry, MF.name)), data, exchanges)
        )
    return tests


# --- expected results


@dataclass(frozen=True)
class Solutions:
    """A SELECT result: its variables and its rows, in the order they were written."""

    variables: tuple[str, ...]
    rows: tuple[Row, ...]


Expected = Solutions | bool | list[ox.Triple]


def read_query_results(data: bytes | Path, fmt: ox.QueryResultsFormat) -> Solutions | bool:
    """A SPARQL results document (XML, JSON, TSV, CSV) as :class:`Solutions` or a boolean."""
    if isinstance(data, Path):
        parsed = ox.parse_query_results(path=str(data), format=fmt)
    else:
        parsed = ox.parse_query_results(data, format=fmt)
    if isinstance(parsed, ox.QueryBoolean):
        return bool(parsed)
    names = tuple(variable.value for variable in parsed.variables)
    rows = tuple(
        {name: term for name in names if (term := solution[name]) is not None}
        for solution in parsed
    )
    return Solutions(names, rows)


def read_csv(data: str) -> tuple[tuple[str, ...], list[dict[str, str]]]:
    """A SPARQL CSV result (which keeps only lexical forms) as its header and rows of text.

    Blank node labels become ``_:`` and empty fields are unbound (CSV cannot tell them apart
    from an empty string).
    """
    reader = csv.reader(io.StringIO(data, newline=""))
    header = tuple(next(reader, []))
    rows = [
        {
            name: "_:" if value.startswith("_:") else value
            for name, value in zip(header, record, strict=True)
            if value
        }
        for record in reader
    ]
    return header, rows


def _result_set(triples: list[ox.Triple]) -> Solutions | bool | None:
    """The ``rs:ResultSet`` of an RDF results file, or None if the file is a plain graph."""
    by_subject: dict[object, list[ox.Triple]] = {}
    for triple in triples:
        by_subject.setdefault(triple.subject, []).append(triple)

    def values(subject: object, predicate: str) -> list:
        return [t.object for t in by_subject.get(subject, []) if t.predicate.value == predicate]

    result_sets = [
        t.subject
        for t in triples
        if t.predicate.value == str(RDF.type) and t.object == ox.NamedNode(RS + "ResultSet")
    ]
    if not result_sets:
        return None
    (result_set,) = result_sets
    boolean = values(result_set, RS + "boolean")
    if boolean:
        return boolean[0].value == "true"
    variables = tuple(sorted(v.value for v in values(result_set, RS + "resultVariable")))
    indexed = []
    for solution in values(result_set, RS + "solution"):
        row = {}
        for binding in values(solution, RS + "binding"):
            (variable,) = values(binding, RS + "variable")
            (value,) = values(binding, RS + "value")
            row[variable.value] = value
        index = values(solution, RS + "index")
        indexed.append((int(index[0].value) if index else 0, row))
    indexed.sort(key=lambda pair: pair[0])
    return Solutions(variables, tuple(row for _, row in indexed))


def read_expected(result_iri: str) -> Expected:
    """The expected result of a test: solutions, a boolean, or a graph (for CONSTRUCT)."""
    path = local_path(result_iri)
    if path.suffix in RESULT_FORMATS:
        return read_query_results(path, RESULT_FORMATS[path.suffix])
    triples = parse_rdf(path, result_iri)
    result_set = _result_set(triples)
    return triples if result_set is None else result_set


# --- comparing answers


def _shape(row: Row) -> tuple:
    """A row with every blank node replaced by a placeholder: equal for matching rows."""
    return tuple(
        sorted(
            (name, "_:" if isinstance(term, ox.BlankNode) else term) for name, term in row.items()
        )
    )


def _extend(
    mapping: dict[str, str], inverse: dict[str, str], expected: Row, actual: Row
) -> list[tuple[str, str]] | None:
    """Blank-node pairs to add to ``mapping`` so that ``expected`` maps onto ``actual``."""
    added: list[tuple[str, str]] = []
    for name, term in expected.items():
        other = actual.get(name)
        if not isinstance(term, ox.BlankNode):
            continue
        if not isinstance(other, ox.BlankNode):
            return None
        known = mapping.get(term.value)
        back = inverse.get(other.value)
        if known is None and back is None:
            mapping[term.value] = other.value
            inverse[other.value] = term.value
            added.append((term.value, other.value))
        elif known != other.value or back != term.value:
            for key, value in added:
                del mapping[key], inverse[value]
            return None
    return added


def same_solutions(expected: Sequence[Row], actual: Sequence[Row]) -> bool:
    """Whether two solution sequences are equal as multisets, up to blank-node renaming."""
    if len(expected) != len(actual):
        return False
    if Counter(map(_shape, expected)) != Counter(map(_shape, actual)):
        return False
    pending = [row for row in expected if any(isinstance(t, ox.BlankNode) for t in row.values())]
    candidates = [row for row in actual if any(isinstance(t, ox.BlankNode) for t in row.values())]
    used = [False] * len(candidates)
    mapping: dict[str, str] = {}
    inverse: dict[str, str] = {}

    def match(index: int) -> bool:
        if index == len(pending):
            return True
        row = pending[index]
        for position, other in enumerate(candidates):
            if used[position] or _shape(other) != _shape(row):
                continue
            added = _extend(mapping, inverse, row, other)
            if added is None:
                continue
            used[position] = True
            if match(index + 1):
                return True
            used[position] = False
            for key, value in added:
                del mapping[key], inverse[value]
        return False

    return match(0)


_ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)
_ORDER_KEY = re.compile(r"\s*(?:(ASC|DESC)\s*\(\s*[?$](\w+)\s*\)|[?$](\w+))", re.IGNORECASE)


def _strip_strings_and_comments(query: str) -> str:
    pattern = (
        r"'''.*?'''|\"\"\".*?\"\"\"|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\"|<[^<>\s]*>|#[^\n]*"
    )
    return re.sub(pattern, lambda m: " " * len(m.group()), query, flags=re.DOTALL)


def order_keys(query: str) -> tuple[str, ...] | None:
    """The variables of the query's outermost ORDER BY; None if it has none.

    An ORDER BY inside a sub-select only chooses which rows a LIMIT keeps, so only the one at
    brace depth 0 fixes the order of the answer. A key that is not a plain variable (or a
    variable in ASC()/DESC()) makes the order uncheckable here: an empty tuple.
    """
    text = _strip_strings_and_comments(query)
    for match in _ORDER_BY.finditer(text):
        before = text[: match.start()]
        if before.count("{") != before.count("}"):
            continue
        keys = []
        position = match.end()
        while key := _ORDER_KEY.match(text, position):
            keys.append(key.group(2) or key.group(3))
            position = key.end()
        rest = text[position:].strip()
        if not keys or (rest and not re.match(r"(LIMIT|OFFSET|VALUES)\b", rest, re.I)):
            return ()
        return tuple(keys)
    return None


def ordered_as_expected(
    keys: Iterable[str], expected: Sequence[Row], actual: Sequence[Row]
) -> bool:
    """Whether ``actual`` lists the ORDER BY keys in the same sequence as ``expected``.

    Rows with equal keys may come in any order, so only the keys are compared (blank nodes as
    placeholders: the multiset comparison has matched them already).
    """
    keys = tuple(keys)

    def sequence(rows: Sequence[Row]) -> list[tuple]:
        return [
            tuple("_:" if isinstance(term := row.get(key), ox.BlankNode) else term for key in keys)
            for row in rows
        ]

    return sequence(expected) == sequence(actual)


_SUBJECT = ox.NamedNode("urn:x-kgservice-test:s")
_PREDICATE = ox.NamedNode("urn:x-kgservice-test:p")
_CANONICAL: dict[ox.Literal, ox.Literal] = {}


def oxigraph_canonical(term: object) -> object:
    """A term as an Oxigraph store gives it back: numbers, booleans (and some other typed
    literals) in their canonical lexical form, e.g. ``"1.0"^^xsd:decimal`` as ``"1"``,
    ``"3.0E4"^^xsd:double`` as ``"30000"``, ``"0"^^xsd:boolean`` as ``"false"``.

    Found by storing the literal in a scratch store and reading it back, so it is Oxigraph's
    own rule, not a re-implementation of it.
    """
    if not isinstance(term, ox.Literal):
        return term
    known = _CANONICAL.get(term)
    if known is None:
        scratch = ox.Store()
        scratch.add(ox.Quad(_SUBJECT, _PREDICATE, term))
        (quad,) = list(scratch)
        known = _CANONICAL[term] = quad.object
    return known


def canonical_rows(rows: Iterable[Row]) -> list[Row]:
    return [{name: oxigraph_canonical(term) for name, term in row.items()} for row in rows]


def canonical_triples(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    return [ox.Triple(t.subject, t.predicate, oxigraph_canonical(t.object)) for t in triples]


def _rdflib_term(term: object) -> rdflib.term.Node:
    """An rdflib term for a pyoxigraph one, the literal's lexical form kept as it is."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    assert isinstance(term, ox.Literal), term
    if term.language:
        return rdflib.Literal(term.value, lang=term.language, normalize=False)
    if term.datatype.value == XSD_STRING:
        return rdflib.Literal(term.value, normalize=False)
    return rdflib.Literal(term.value, datatype=URIRef(term.datatype.value), normalize=False)


def rdflib_graph(triples: Iterable[ox.Triple]) -> Graph:
    graph = Graph()
    for triple in triples:
        graph.add(tuple(_rdflib_term(t) for t in (triple.subject, triple.predicate, triple.object)))
    return graph


def same_graph(expected: Iterable[ox.Triple], actual: Iterable[ox.Triple]) -> bool:
    """Graph isomorphism (rdflib), literals compared by their exact lexical forms."""
    return isomorphic(rdflib_graph(expected), rdflib_graph(actual))


def describe_rows(rows: Sequence[Row]) -> str:
    """Rows for an assertion message, one a line."""
    return "\n".join(
        "  " + " ".join(f"?{name}={term}" for name, term in sorted(row.items())) for row in rows
    )
