"""Shared helpers of the shape tests: the shapes, the ontology, the fixtures and their verdicts.

Fixtures live in ``tests/shapes/data``: ``<shape local name>.valid.ttl`` and ``.invalid.ttl`` for
every named shape, plus ``common.ttl``, a valid chain of Linyi divisions merged into every fixture.
An invalid fixture starts with one comment line per expected finding::

    # expect: <focus IRI> <component local name> [<shape local name>]

The shape defaults to the fixture's own shape; naming another one lists a finding of another rule
that the fixture cannot avoid. Every fixture is validated on the data merged with the ontology
(``ontology/*.ttl``), as ``kgservice validate`` does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import pyshacl
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.plugins.sparql import processor

from kgservice.validation.jena import report_keys

ROOT = Path(__file__).resolve().parents[2]
SHAPES_DIR = ROOT / "shapes"
ONTOLOGY_DIR = ROOT / "ontology"
DATA_MODEL = ROOT / "docs" / "data-model.md"
DATA_DIR = Path(__file__).resolve().parent / "data"
COMMON = DATA_DIR / "common.ttl"
SHAPE = "https://w3id.org/sckm/shapes/"
SHACL = str(SH)

Key = tuple[str, str, str]  # focus, source shape, source constraint component

_EXPECT = re.compile(
    r"^# expect: <([^>]+)> ([A-Za-z]+ConstraintComponent)(?: ([A-Za-z0-9-]+))?\s*$"
)


def shape_files() -> list[Path]:
    return sorted(SHAPES_DIR.glob("*.ttl"))


@cache
def shapes_graph() -> Graph:
    """All shapes files in one graph (do not modify it)."""
    graph = Graph()
    for path in shape_files():
        graph.parse(path, format="turtle")
    return graph


@cache
def ontology_graph() -> Graph:
    """Every module of ``ontology/`` in one graph (do not modify it)."""
    graph = Graph()
    for path in sorted(ONTOLOGY_DIR.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def named_shapes(graph: Graph | None = None) -> list[URIRef]:
    """The node and property shapes with an IRI in the ``shape:`` namespace: the rules."""
    graph = graph if graph is not None else shapes_graph()
    kinds = set(graph.subjects(RDF.type, SH.NodeShape)) | set(
        graph.subjects(RDF.type, SH.PropertyShape)
    )
    return sorted(s for s in kinds if isinstance(s, URIRef) and str(s).startswith(SHAPE))


def local(iri: str) -> str:
    return iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def fixture(shape: str, kind: str) -> Path:
    return DATA_DIR / f"{shape}.{kind}.ttl"


def fixture_files() -> list[Path]:
    return sorted(DATA_DIR.glob("*.valid.ttl")) + sorted(DATA_DIR.glob("*.invalid.ttl"))


def fixture_shape(path: Path) -> str:
    return path.name.split(".", 1)[0]


def expected_findings(path: Path) -> set[Key]:
    """The (focus, shape, component) findings the leading ``# expect:`` lines of ``path`` list."""
    expected = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        if line.startswith("# expect:"):
            match = _EXPECT.match(line)
            assert match, f"{path.name}: malformed expect line {line!r}"
            focus, component, shape = match.groups()
            expected.add((focus, SHAPE + (shape or fixture_shape(path)), SHACL + component))
    return expected


def data_graph(path: Path | None) -> Graph:
    """The ontology, the background divisions and the fixture ``path`` in one graph."""
    graph = Graph()
    graph += ontology_graph()
    graph.parse(COMMON, format="turtle")
    if path is not None:
        graph.parse(path, format="turtle")
    return graph


@cache
def pyshacl_report(path: Path | None) -> Graph:
    """pySHACL's report on a fixture (``None``: the background data alone), as the lead runs it."""
    with cached_sparql_translation():
        _, report, _ = pyshacl.validate(
            data_graph(path),
            shacl_graph=shapes_graph(),
            advanced=True,
            inference="none",
            allow_warnings=True,
            inplace=True,
        )
    assert isinstance(report, Graph)
    return report


def pyshacl_keys(path: Path | None) -> set[Key]:
    return {key[:3] for key in report_keys(pyshacl_report(path))}


def result_messages(report: Graph, focus: str, shape: str) -> list[Literal]:
    """The result messages of the results on ``focus`` from ``shape``."""
    out = []
    for result in report.objects(None, SH.result):
        if (
            str(report.value(result, SH.focusNode)) == focus
            and str(report.value(result, SH.sourceShape)) == shape
        ):
            out += [m for m in report.objects(result, SH.resultMessage) if isinstance(m, Literal)]
    return out


_TRANSLATED: dict[tuple[str, Any, Any], Any] = {}


@contextmanager
def cached_sparql_translation() -> Iterator[None]:
    """Parse and translate each SPARQL text once while pySHACL runs.

    pySHACL parses a constraint's query again for every focus node (with ``$this`` pre-bound
    through ``initBindings``); rdflib's parser dominates the run time of the fixtures. A
    translated query is reusable with other initial bindings (that is what ``prepareQuery`` is
    for), so caching it by (text, base, namespaces) changes nothing but the speed.
    """
    original = processor.SPARQLProcessor.query

    def query(
        self: processor.SPARQLProcessor,
        strOrQuery: Any,
        initBindings: Any = None,
        initNs: Any = None,
        base: Any = None,
        DEBUG: bool = False,
    ) -> Any:
        if isinstance(strOrQuery, str):
            key = (strOrQuery, base, tuple(sorted((initNs or {}).items())))
            if key not in _TRANSLATED:
                parsed = processor.parseQuery(strOrQuery)
                _TRANSLATED[key] = processor.translateQuery(parsed, base, initNs)
            strOrQuery = _TRANSLATED[key]
        return original(self, strOrQuery, initBindings, initNs, base, DEBUG)

    processor.SPARQLProcessor.query = query  # type: ignore[method-assign]
    try:
        yield
    finally:
        processor.SPARQLProcessor.query = original  # type: ignore[method-assign]


# --- check characters, from the standards notes §4.1-4.3: an oracle independent of the shapes ---

CITIZEN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ORG_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def citizen_id_check(body: str) -> str:
    """GB 11643 MOD 11-2 check character of the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(body[:17], CITIZEN_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def credit_code_check(body: str) -> str:
    """GB 32100 MOD 31 check character of the first 17 characters."""
    total = sum(USCC_CHARSET.index(c) * pow(3, i, 31) for i, c in enumerate(body[:17]))
    return USCC_CHARSET[(31 - total % 31) % 31]


def organization_code_check(body: str) -> str:
    """GB 11714 check character of the first 8 characters."""
    total = sum(ORG_CHARSET.index(c) * w for c, w in zip(body[:8], ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))
