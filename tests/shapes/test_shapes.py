"""The SHACL shapes of ``shapes/`` against the rule table of docs/data-model.md §5 and fixtures.

For every named shape: its valid fixture (merged with the ontology) gives no result at all, and
its invalid fixture gives exactly the (focus, source shape, component) findings its ``# expect:``
lines list. Identifier fixtures are checked against an independent Python implementation of the
check-character algorithms.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, SKOS
from rdflib.plugins.sparql import prepareQuery

from tests.shapes.support import (
    COMMON,
    DATA_DIR,
    DATA_MODEL,
    SHAPE,
    citizen_id_check,
    credit_code_check,
    data_graph,
    expected_findings,
    fixture,
    fixture_files,
    fixture_shape,
    local,
    named_shapes,
    ontology_graph,
    organization_code_check,
    pyshacl_keys,
    pyshacl_report,
    result_messages,
    shapes_graph,
)

CITY = "https://w3id.org/sckm/city/"
CODE = "https://w3id.org/sckm/codes/"
SHAPE_NAMES = [local(s) for s in named_shapes()]
SPARQL_SHAPES = [local(s) for s in named_shapes() if (s, SH.sparql, None) in shapes_graph()]
LEVELS = ("Province", "Prefecture", "County", "Township", "Village")
PREFIXES = {
    "city": CITY,
    "wgs": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "geo": "http://www.opengis.net/ont/geosparql#",
}
# Constraint parameters that may not sit next to sh:sparql in a shape (one constraint per rule).
CORE_PARAMETERS = {
    SH.path, SH.minCount, SH.maxCount, SH.datatype, SH.nodeKind, SH["class"], SH["in"],
    SH.hasValue, SH.pattern, SH.minLength, SH.maxLength, SH.minInclusive, SH.maxInclusive,
    SH.minExclusive, SH.maxExclusive, SH.node, SH.property, SH["or"], SH["and"], SH["not"],
    SH.xone, SH.qualifiedValueShape, SH.languageIn, SH.uniqueLang, SH.closed, SH.equals,
    SH.disjoint, SH.lessThan, SH.lessThanOrEquals,
}  # fmt: skip


# --- the rule table of docs/data-model.md §5 ------------------------------------------------


def table_rows() -> list[tuple[list[str], str, str, str]]:
    """(shape local names, target cell, checks cell, severity) of each row of the §5 table."""
    text = DATA_MODEL.read_text(encoding="utf-8")
    section = text.split("## 5. Validation rules", 1)[1].split("\n### ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `shape:"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        assert len(cells) == 4, line
        names = re.findall(r"`shape:([A-Za-z0-9-]+)`", cells[0])
        if "…" in cells[0]:
            names = [f"{level}-parent" for level in LEVELS]
        rows.append((names, cells[1], cells[2], cells[3].split()[0]))
    return rows


def test_every_rule_of_the_table_is_a_shape_and_nothing_else() -> None:
    table = {name for names, *_ in table_rows() for name in names}
    assert len(table) == 49
    assert set(SHAPE_NAMES) == table


@pytest.mark.parametrize(("names", "target", "checks", "severity"), table_rows())
def test_targets_severity_and_patterns_follow_the_table(
    names: list[str], target: str, checks: str, severity: str
) -> None:
    g = shapes_graph()
    pattern = re.search(r"pattern `(.+?)`", checks)
    for i, name in enumerate(names):
        shape = URIRef(SHAPE + name)
        assert g.value(shape, SH.severity) == SH[severity], name
        if target.startswith("subjects of"):
            props = re.findall(r"`(\w+):(\w+)`", target)
            prefix, prop = props[i]
            assert set(g.objects(shape, SH.targetSubjectsOf)) == {URIRef(PREFIXES[prefix] + prop)}
        elif target == "each level":
            assert set(g.objects(shape, SH.targetClass)) == {URIRef(CITY + name.split("-")[0])}
        elif target == "`geo:Geometry`":
            assert set(g.objects(shape, SH.targetClass)) == {URIRef(PREFIXES["geo"] + "Geometry")}
        else:
            assert set(g.objects(shape, SH.targetClass)) == {URIRef(CITY + target)}, name
        if pattern:
            assert g.value(shape, SH.pattern) == Literal(pattern.group(1)), name


# --- conventions of every shape ------------------------------------------------------------


def langs(graph: Graph, subject: URIRef, predicate: URIRef) -> list[str | None]:
    return sorted(
        (o.language or "") for o in graph.objects(subject, predicate) if isinstance(o, Literal)
    )  # type: ignore[return-value]


@pytest.mark.parametrize("name", SHAPE_NAMES)
def test_shape_has_messages_severity_label_and_comment(name: str) -> None:
    g = shapes_graph()
    shape = URIRef(SHAPE + name)
    assert len(list(g.objects(shape, SH.severity))) == 1, "exactly one explicit sh:severity"
    assert g.value(shape, SH.severity) in {SH.Violation, SH.Warning, SH.Info}
    for predicate in (SH.message, RDFS.label, RDFS.comment):
        assert langs(g, shape, predicate) == ["en", "zh"], f"{predicate}: one @zh and one @en"
    if (shape, RDF.type, SH.PropertyShape) in g:
        assert g.value(shape, SH.path) is not None
        assert langs(g, shape, SH.name) == ["en", "zh"]
    else:
        assert (shape, RDF.type, SH.NodeShape) in g


def test_shape_and_sparql_counts() -> None:
    assert (len(SHAPE_NAMES), len(SPARQL_SHAPES)) == (49, 13)


@pytest.mark.parametrize("name", SPARQL_SHAPES)
def test_sparql_shape_holds_one_constraint_with_declared_prefixes(name: str) -> None:
    g = shapes_graph()
    shape = URIRef(SHAPE + name)
    constraints = list(g.objects(shape, SH.sparql))
    assert len(constraints) == 1
    assert not set(g.predicates(shape, None)) & CORE_PARAMETERS
    (constraint,) = constraints
    assert (constraint, RDF.type, SH.SPARQLConstraint) in g
    # Jena 4.5 refuses more than one sh:message on a SPARQL constraint: they sit on the shape.
    assert g.value(constraint, SH.message) is None
    select = str(g.value(constraint, SH.select))
    assert re.match(r"\s*SELECT (DISTINCT )?\$this\b", select), "select $this first"
    assert "<http" not in select, "IRIs through declared prefixes only"
    assert not re.search(r"\$(shapesGraph|currentShape)\b", select)
    declared = {
        str(g.value(d, SH.prefix)): str(g.value(d, SH.namespace))
        for holder in g.objects(constraint, SH.prefixes)
        for d in g.objects(holder, SH.declare)
    }
    assert declared
    # Parses with the declared prefixes only (an undeclared prefix fails here).
    prepareQuery(select, initNs=declared)


def test_code_lists_are_the_concepts_of_their_scheme() -> None:
    """Every sh:in list of code concepts names exactly the concepts of one scheme of codes.ttl."""
    g, ontology = shapes_graph(), ontology_graph()
    lists = [(s, list(Collection(g, head))) for s, head in g.subject_objects(SH["in"])]
    assert len(lists) == 6
    for shape, members in lists:
        schemes = {ontology.value(m, SKOS.inScheme) for m in members}
        assert len(schemes) == 1, shape
        (scheme,) = schemes
        assert str(scheme).startswith(CODE)
        assert set(members) == set(ontology.subjects(SKOS.inScheme, scheme)), shape
        assert len(members) == len(set(members))


# --- fixtures ------------------------------------------------------------------------------


def test_every_shape_has_both_fixtures_and_nothing_else() -> None:
    expected = {fixture(name, kind) for name in SHAPE_NAMES for kind in ("valid", "invalid")}
    present = set(DATA_DIR.glob("*.ttl")) - {COMMON}
    assert present == expected


def test_background_data_conforms() -> None:
    assert pyshacl_keys(None) == set()


@pytest.mark.parametrize("name", SHAPE_NAMES)
def test_valid_fixture_gives_no_result(name: str) -> None:
    path = fixture(name, "valid")
    assert not expected_findings(path), "a valid fixture expects nothing"
    assert pyshacl_keys(path) == set()


@pytest.mark.parametrize("name", SHAPE_NAMES)
def test_invalid_fixture_gives_exactly_the_expected_findings(name: str) -> None:
    path = fixture(name, "invalid")
    expected = expected_findings(path)
    assert any(shape == SHAPE + name for _, shape, _ in expected), "the fixture tests its shape"
    assert pyshacl_keys(path) == expected


def test_fixture_severities_are_the_shapes() -> None:
    g = shapes_graph()
    for path in fixture_files():
        report = pyshacl_report(path)
        for result in report.objects(None, SH.result):
            shape = report.value(result, SH.sourceShape)
            assert report.value(result, SH.resultSeverity) == g.value(shape, SH.severity)


# --- identifiers: the SPARQL checks against a Python implementation -------------------------


def test_check_character_helpers_reproduce_the_standards_test_vectors() -> None:
    assert citizen_id_check("11010519491231002") == "X"
    assert citizen_id_check("34052419800101001") == "X"
    assert citizen_id_check("34052419800101001") != "3"  # 340524198001010013 is invalid
    assert credit_code_check("12100000400009880") == "K"
    assert credit_code_check("12100000400002195") == "R"
    assert credit_code_check("91350100M0001TGQX") != "M"  # legally issued, fails the check
    assert organization_code_check("40000988") == "0"
    assert organization_code_check("40000219") == "5"


CITIZEN_ID = re.compile(
    r"^[1-9][0-9]{5}(18|19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9X]$"
)
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")
ORG_CODE = re.compile(r"^[0-9A-Z]{8}[0-9X]$")
IDENTIFIERS = (
    (URIRef(CITY + "citizenId"), CITIZEN_ID, citizen_id_check, 17),
    (URIRef(CITY + "creditCode"), CREDIT_CODE, credit_code_check, 17),
    (URIRef(CITY + "organizationCode"), ORG_CODE, organization_code_check, 8),
)


def identifiers(path: Path) -> list[tuple[URIRef, str, bool]]:
    """(property, value, check character right?) of every well-formed identifier in ``path``."""
    graph = Graph().parse(path, format="turtle")
    out = []
    for prop, pattern, check, body in IDENTIFIERS:
        for value in graph.objects(None, prop):
            if pattern.match(str(value)):
                out.append((prop, str(value), check(str(value)) == str(value)[body]))
    return out


@pytest.mark.parametrize("path", [*fixture_files(), COMMON], ids=lambda p: p.name)
def test_identifiers_outside_checksum_fixtures_have_right_check_characters(path: Path) -> None:
    """Synthetic identifiers are valid by construction, except where a fixture wants them wrong."""
    wrong = [value for _, value, ok in identifiers(path) if not ok]
    if path.name.endswith("-checksum.invalid.ttl"):
        assert wrong
    else:
        assert wrong == []


@pytest.mark.parametrize(
    "name",
    [
        "NaturalPerson-citizenId-checksum",
        "LegalEntity-creditCode-checksum",
        "LegalEntity-organizationCode-checksum",
    ],
)
def test_reported_check_character_is_the_python_one(name: str) -> None:
    """The expected character in each checksum finding's message is the one Python computes."""
    path = fixture(name, "invalid")
    report = pyshacl_report(path)
    graph = data_graph(path)
    prop, _, check, body = next(i for i in IDENTIFIERS if name.startswith(_owner(i[0])))
    focuses = {focus for focus, _, _ in expected_findings(path)}
    assert focuses
    for focus in focuses:
        (value,) = graph.objects(URIRef(focus), prop)
        messages = [str(m) for m in result_messages(report, focus, SHAPE + name)]
        expected = check(str(value))
        assert expected != str(value)[body]
        assert any(f"should be {expected};" in m for m in messages), messages


def _owner(prop: URIRef) -> str:
    return {
        "citizenId": "NaturalPerson-citizenId",
        "creditCode": "LegalEntity-creditCode",
        "organizationCode": "LegalEntity-organizationCode",
    }[local(str(prop))]


def test_every_fixture_file_is_named_after_a_shape() -> None:
    assert {fixture_shape(p) for p in fixture_files()} == set(SHAPE_NAMES)
