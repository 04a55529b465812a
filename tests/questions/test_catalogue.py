"""The catalogue of named questions: every file well formed, every example runnable, parameters
bound as terms that cannot change the query."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from kgservice.questions import (
    ParameterError,
    bind,
    bound_query,
    example_query,
    load_catalog,
)
from kgservice.questions.binding import subselect_groups
from kgservice.questions.catalog import QUESTIONS_DIR, CatalogError
from kgservice.questions.catalog import load_catalog as read_catalog
from kgservice.sparql.lexer import Token, tokens
from kgservice.store.embedded import EmbeddedStore

CATALOG = load_catalog()
QUESTIONS = list(CATALOG.values())
CROSSING = {"person", "legal-entity", "place", "infrastructure"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_catalogue_holds_at_least_twenty_one_questions_with_unique_ids() -> None:
    files = sorted(QUESTIONS_DIR.glob("*.rq"))
    assert len(files) == len(CATALOG) >= 21
    assert len({question.id for question in QUESTIONS}) == len(QUESTIONS)
    fresh = read_catalog(QUESTIONS_DIR)  # read again, not from the cache
    assert list(fresh) == list(CATALOG)


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_each_file_is_named_after_its_id(question) -> None:
    assert re.fullmatch(rf"[0-9]{{2}}-{re.escape(question.id)}\.rq", question.path.name)


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_each_question_crosses_domains_and_speaks_both_languages(question) -> None:
    assert len(question.domains) >= 2
    assert len(set(question.domains) & CROSSING) >= 2, "cross at least two of the city's domains"
    for text in (question.title, question.description):
        assert CJK.search(text["zh"]), text["zh"]
        assert not CJK.search(text["en"]), text["en"]
    for parameter in question.parameters:
        assert CJK.search(parameter.label["zh"]) and not CJK.search(parameter.label["en"])


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_each_parameter_is_bound_where_the_query_uses_it(question) -> None:
    """A parameter's variable is used in the query, and every group that uses it gets its
    VALUES block: the top-level group, and each sub-select that names it."""
    default = bind(question, {})
    bound = bound_query(question, default)
    variables = {t.text[1:] for t in tokens(question.sparql) if t.kind == "var"}
    for parameter in question.parameters:
        assert parameter.name in variables, f"?{parameter.name} is not used in the query"
    for _, names in subselect_groups(question.sparql):
        for name in names & set(default):
            block = f"VALUES ?{name} {{"
            assert bound.count(block) >= 2, f"?{name} is used in a sub-select, not bound there"


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_each_example_query_parses_and_runs_on_the_fixture(question, city: EmbeddedStore) -> None:
    text = example_query(question)
    ox.Store().query(text)  # Oxigraph's parser accepts it (a SyntaxError otherwise)
    answer = city.query(text)
    assert isinstance(answer, ox.QuerySolutions) and question.form == "SELECT"
    list(answer)


SQUARE = "POLYGON((118.2 35.0, 118.45 35.0, 118.45 35.2, 118.2 35.2, 118.2 35.0))"
SQUARE_3D = "POLYGON Z((118.2 35 0, 118.45 35 0, 118.45 35.2 0, 118.2 35.2 0, 118.2 35 0))"
BOW_TIE = "POLYGON((118.2 35.0, 118.45 35.2, 118.45 35.0, 118.2 35.2, 118.2 35.0))"
EPSG4326 = "<http://www.opengis.net/def/crs/EPSG/0/4326>"
CRS84 = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"


def circle(vertices: int) -> str:
    """A WKT ring of ``vertices`` points around 118.3 E 35.1 N, closed by one more."""
    points = [
        f"{118.3 + 0.1 * math.cos(2 * math.pi * i / vertices):.7f} "
        f"{35.1 + 0.1 * math.sin(2 * math.pi * i / vertices):.7f}"
        for i in range(vertices)
    ]
    return f"POLYGON(({', '.join([*points, points[0]])}))"


CIRCLE_1001 = circle(1000)  # 1001 coordinates with the closing one


@pytest.mark.parametrize(
    ("question_id", "params", "named"),
    [
        ("representatives-of-many", {"minimum": "many"}, "parameter minimum (integer)"),
        ("representatives-of-many", {"minimum": "0"}, "less than the minimum 1"),
        ("elderly-representatives", {"minimumAge": "151"}, "parameter minimumAge"),
        ("age-groups-and-services", {"division": "37130"}, "parameter division (division)"),
        ("age-groups-and-services", {"asOf": "2025-02-30"}, "parameter asOf (date)"),
        ("entity-profile", {"entity": "not-a-credit-code"}, "parameter entity (entity)"),
        ("troubled-operators-nearby", {"center": "200,35"}, "parameter center (point)"),
        ("troubled-operators-nearby", {"radius": "ten"}, "parameter radius (decimal)"),
        ("troubled-operators-nearby", {"radius": "501"}, "parameter radius (decimal)"),
        ("troubled-operators-nearby", {"status": "2,x y"}, "parameter status (code)"),
        ("facilities-of-troubled-operators", {"inServiceOnly": "maybe"}, "inServiceOnly"),
        ("person-profile", {"person": "not an iri"}, "parameter person (iri)"),
        ("quality-by-department", {"level": "Fatal"}, "parameter level: 'Fatal'"),
        ("find-entities-by-name", {"text": "line\nbreak"}, "parameter text (string)"),
        ("find-entities-by-name", {"text": "x" * 501}, "parameter text (string)"),
        ("find-entities-by-name", {"txt": "临沂"}, "unknown parameter(s) txt"),
        ("facilities-in-area", {"area": "POINT(118.3 35.1)"}, "parameter area (polygon)"),
        ("facilities-in-area", {"area": "POLYGON((118.2 35.0, 118.45"}, "area (polygon)"),
        ("facilities-in-area", {"area": BOW_TIE}, "not a valid polygon: Self-intersection"),
        ("facilities-in-area", {"area": f"{EPSG4326} {SQUARE}"}, "only CRS84"),
        ("facilities-in-area", {"area": "POLYGON((200 35, 201 35, 201 36, 200 35))"}, "±180"),
        ("facilities-in-area", {"area": CIRCLE_1001}, "more than 1000 vertices"),
        ("facilities-in-area", {"area": SQUARE_3D}, "two coordinates"),
        ("facilities-in-area", {"area": SQUARE + '"^^<urn:x> } DROP ALL #'}, "not WKT"),
    ],
)
def test_a_bad_or_unknown_parameter_is_refused_naming_it(question_id, params, named) -> None:
    with pytest.raises(ParameterError, match=re.escape(named)):
        bind(CATALOG[question_id], params)


def test_a_missing_required_parameter_is_refused_naming_it(tmp_path: Path) -> None:
    header = (QUESTIONS_DIR / "09-person-profile.rq").read_text(encoding="utf-8")
    required = re.sub(r"#\+     default: https://\S+\n", "#+     required: true\n", header, count=1)
    assert required != header
    (tmp_path / "01-person-profile.rq").write_text(required, encoding="utf-8")
    question = read_catalog(tmp_path)["person-profile"]
    with pytest.raises(ParameterError, match="parameter person is required"):
        bind(question, {})
    with pytest.raises(ParameterError, match="parameter person is required"):
        example_query(question)
    assert bind(question, {"person": "https://w3id.org/sckm/id/person/p01"})


HOSTILE = [
    '" } DROP ALL ; INSERT DATA { <urn:a> <urn:b> <urn:c> } #',
    "'} } UNION { ?s ?p ?o } FILTER(true) {",
    '\\"} DROP ALL',
    '临沂" . ?entity ?p ?o } #',
    "}}}} {{{{ ))) ?text <urn:x> ",
]


def _without_values(found: list[Token]) -> tuple[list[Token], list[list[Token]]]:
    """The tokens outside VALUES blocks, and the blocks' tokens."""
    outside, blocks, index = [], [], 0
    while index < len(found):
        token = found[index]
        if token.is_keyword("VALUES"):
            end = next(i for i in range(index, len(found)) if found[i].text == "}")
            blocks.append(found[index : end + 1])
            index = end + 1
            continue
        outside.append(token)
        index += 1
    return outside, blocks


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_string_stays_one_literal_and_cannot_change_the_query(
    hostile: str, city: EmbeddedStore
) -> None:
    question = CATALOG["find-entities-by-name"]
    text = bound_query(question, bind(question, {"text": hostile}))
    outside, blocks = _without_values(list(tokens(text)))
    original = list(tokens(question.sparql))
    assert [(t.kind, t.text) for t in outside] == [(t.kind, t.text) for t in original]
    assert sum(1 for t in outside if t.text == "{") == sum(1 for t in original if t.text == "{")
    # the top-level group, the sub-select of the first 200 matches and its sub-select of matches
    assert len(blocks) == 3
    for found in blocks:
        block = [(t.kind, t.text) for t in found]
        assert [kind for kind, _ in block] == ["name", "var", "punct", "string", "punct"]
        assert block[1][1] == "?text"
        # The value comes back whole: the literal holds the hostile text (trimmed, as always).
        literal = next(ox.parse(f"<urn:s> <urn:p> {block[3][1]} .", ox.RdfFormat.N_TRIPLES))
        assert literal.object == ox.Literal(hostile.strip())
    before = len(city.oxigraph)
    answer = city.query(text)
    assert [v.value for v in answer.variables] == [
        v.value for v in city.query(example_query(question)).variables
    ]
    assert list(answer) == []  # no entity has such a name
    assert len(city.oxigraph) == before


def test_a_parameter_is_bound_in_each_sub_select_that_uses_it(tmp_path: Path) -> None:
    text = (QUESTIONS_DIR / "18-find-entities-by-name.rq").read_text(encoding="utf-8")
    header = text[: text.index("PREFIX")]
    (tmp_path / "01-x.rq").write_text(
        header.replace("find-entities-by-name", "x")
        + "SELECT ?a WHERE {\n"
        + "  { SELECT ?a WHERE { ?a <urn:p> ?text } }\n"
        + "  { SELECT ?b WHERE { ?b <urn:p> ?other } }\n"
        + "  ?a <urn:q> ?b\n"
        + "}\n",
        encoding="utf-8",
    )
    question = read_catalog(tmp_path)["x"]
    bound = bound_query(question, bind(question, {"text": "临沂"}))
    assert bound.count('VALUES ?text { "临沂" }') == 2
    assert '{ SELECT ?a WHERE {\n  VALUES ?text { "临沂" } ?a <urn:p> ?text }' in bound
    assert "{ SELECT ?b WHERE { ?b <urn:p> ?other }" in bound  # does not use it: left alone


def test_a_point_keeps_its_precision() -> None:
    question = CATALOG["troubled-operators-nearby"]
    (center,) = bind(question, {"center": "118.34278,35.06306"})["center"]
    crs84 = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    assert center.value == f"{crs84} POINT(118.34278 35.06306)"  # not 118.343 35.0631
    (whole,) = bind(question, {"center": "118,-0.0000001"})["center"]
    assert whole.value.endswith("POINT(118 -0.0000001)")


def test_a_polygon_is_bound_as_one_crs84_wkt_literal_written_anew() -> None:
    question = CATALOG["facilities-in-area"]
    (default,) = bind(question, {})["area"]
    (given,) = bind(question, {"area": f"{CRS84} {SQUARE}"})["area"]
    assert default == given
    assert default.datatype.value == "http://www.opengis.net/ont/geosparql#wktLiteral"
    assert default.value == (
        f"{CRS84} POLYGON ((118.2 35, 118.45 35, 118.45 35.2, 118.2 35.2, 118.2 35))"
    )
    (multi,) = bind(question, {"area": f"MULTIPOLYGON((({SQUARE[9:-2]})))"})["area"]
    assert multi.value.startswith(f"{CRS84} MULTIPOLYGON (((118.2 35,")
    (thousand,) = bind(question, {"area": circle(999)})["area"]
    assert thousand.value.count(",") == 999  # 1000 coordinates, the closing one counted


def test_a_polygon_parameter_cannot_take_several_values(tmp_path: Path) -> None:
    text = (QUESTIONS_DIR / "26-facilities-in-area.rq").read_text(encoding="utf-8")
    several = text.replace(
        "#+     type: polygon\n", "#+     type: polygon\n#+     multiple: true\n"
    )
    assert several != text
    (tmp_path / "26-facilities-in-area.rq").write_text(several, encoding="utf-8")
    with pytest.raises(CatalogError, match="a polygon parameter takes one value"):
        read_catalog(tmp_path)
