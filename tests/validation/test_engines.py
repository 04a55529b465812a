"""The fast engine (shapes compiled to SPARQL on Oxigraph) finds exactly what pySHACL finds.

The fixture exercises every constraint the compiler supports; the expected findings are written
out by hand, and both engines must produce them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from kgservice.store.embedded import open_embedded
from kgservice.validation.compile import SubclassIndex, UnsupportedShape, compile_shapes
from kgservice.validation.engine import locate, pyshacl_findings, run_rules
from kgservice.validation.findings import Finding
from kgservice.validation.run import add_graph, load_rdf_file, store_as_graph

DATA = Path(__file__).parent / "data"
EX = "https://example.org/mini/"
S = "https://example.org/mini/shapes/"
SH = "http://www.w3.org/ns/shacl#"
V, W, I = SH + "Violation", SH + "Warning", SH + "Info"  # noqa: E741

EXPECTED = {  # (focus, shape, component, severity, value)
    ("sub", "Thing-parentName", "MaxExclusive", V, "zzzz"),
    ("bad", "Thing-name", "MaxCount", V, None),
    ("bad", "Thing-name", "MinLength", V, "b"),
    ("bad", "Thing-name", "MaxLength", V, "a very long name"),
    ("bad", "Thing-code", "Pattern", W, "1234"),
    ("bad", "Thing-code", "Pattern", W, EX + "notLiteral"),
    ("bad", "Thing-code", "NodeKind", W, EX + "notLiteral"),
    ("bad", "Thing-date", "Datatype", V, "2021-02-29"),
    ("bad", "Thing-date", "Datatype", V, "soon"),
    ("bad", "Thing-score", "MaxExclusive", V, "101"),
    ("bad", "Thing-score", "MinInclusive", V, "-1"),
    ("bad", "Thing-even", "SPARQL", V, "101"),
    ("bad", "Thing-even", "SPARQL", V, "-1"),
    ("bad", "Thing-even", "SPARQL", V, "7"),
    ("bad", "Thing-kind", "In", V, EX + "blue"),
    ("bad", "Thing-kind", "MaxCount", V, None),
    ("bad", "Thing-partner", "Class", V, EX + "parent"),
    ("bad", "Thing-partner", "Class", V, "text"),
    ("bad", "Thing-partner", "NodeKind", V, "text"),
    ("bad", "Thing-tag", "HasValue", I, None),
    ("bad", "Labelled-label", "MaxCount", W, None),
    ("nameless", "Thing-name", "MinCount", V, None),
    ("bad", "Thing-link", "Or", V, "str"),
}


def key(f: Finding) -> tuple[str, str, str, str, str | None]:
    component = f.component.removeprefix(SH).removesuffix("ConstraintComponent")
    return (f.focus.removeprefix(EX), f.shape.removeprefix(S), component, f.severity.value, f.value)


@pytest.fixture(scope="module")
def graphs() -> tuple[Graph, Graph]:
    shapes = Graph().parse(DATA / "mini-shapes" / "shapes.ttl")
    ontology = Graph().parse(DATA / "mini-ontology.ttl")
    return shapes, ontology


@pytest.fixture(scope="module")
def fast(graphs: tuple[Graph, Graph]) -> list[Finding]:
    shapes, ontology = graphs
    store = open_embedded(None)
    load_rdf_file(store, DATA / "mini-data.ttl")
    add_graph(store, "urn:test:ontology", ontology)
    rules = compile_shapes(shapes, SubclassIndex.from_store(store))
    return locate(store, run_rules(store, rules))


def test_fast_engine_finds_exactly_the_expected(fast: list[Finding]) -> None:
    assert {key(f) for f in fast} == EXPECTED
    assert len(fast) == len(EXPECTED)


def test_pyshacl_finds_exactly_the_expected(graphs: tuple[Graph, Graph]) -> None:
    shapes, ontology = graphs
    store = open_embedded(None)
    load_rdf_file(store, DATA / "mini-data.ttl")
    found = pyshacl_findings(store_as_graph(store), shapes, ontology)
    assert {key(f) for f in found} == EXPECTED


def test_messages_are_filled_in_both_languages(fast: list[Finding]) -> None:
    odd = next(f for f in fast if f.shape.endswith("Thing-even") and f.value == "7")
    assert odd.messages == {"zh": "分数 7 不是偶数", "en": "score 7 is odd"}


def test_findings_carry_their_source_row(fast: list[Finding]) -> None:
    bad = next(f for f in fast if f.focus == EX + "bad")
    assert bad.source is not None
    assert (bad.source.file, bad.source.line) == ("things.csv", 3)
    nameless = next(f for f in fast if f.focus == EX + "nameless")
    assert nameless.source is None


def test_unsupported_features_are_refused(graphs: tuple[Graph, Graph]) -> None:
    shapes = Graph().parse(
        data="""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:or ( ex:A ex:B ) .""",
        format="turtle",
    )
    with pytest.raises(UnsupportedShape, match="sh:or"):
        compile_shapes(shapes, SubclassIndex([]))
