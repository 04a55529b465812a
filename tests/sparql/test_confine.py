"""Queries that read a personal property get those reads confined to the named graphs, or are
left alone when that cannot be proven to cover every read."""

from __future__ import annotations

import pytest

from kgservice.sparql.confine import confine_reads

CITIZEN_ID = "https://w3id.org/sckm/city/citizenId"
PERSONAL = frozenset({CITIZEN_ID, "https://w3id.org/sckm/city/personName"})
PROLOGUE = "PREFIX city: <https://w3id.org/sckm/city/>\n"


def confined(query: str) -> str | None:
    rewritten = confine_reads(PROLOGUE + query, PERSONAL)
    return None if rewritten is None else rewritten.removeprefix(PROLOGUE)


REWRITTEN = {
    "a triple alone in an OPTIONAL": (
        "SELECT ?n WHERE { ?p a city:Person OPTIONAL { ?p city:personName ?n } }",
        "SELECT ?n WHERE { ?p a city:Person OPTIONAL { GRAPH ?kgs_visible_1 "
        "{ ?p city:personName ?n } } }",
    ),
    "a triple between dots": (
        "SELECT ?n WHERE { ?p a city:Person . ?p city:personName ?n . ?p city:x ?y }",
        "SELECT ?n WHERE { ?p a city:Person . GRAPH ?kgs_visible_1 { ?p city:personName ?n } . "
        "?p city:x ?y }",
    ),
    "a triple before a FILTER, and one in EXISTS": (
        "ASK { ?p city:personName ?n FILTER EXISTS { ?p city:citizenId '1' } }",
        "ASK { GRAPH ?kgs_visible_1 { ?p city:personName ?n } FILTER EXISTS "
        "{ GRAPH ?kgs_visible_2 { ?p city:citizenId '1' } } }",
    ),
    "the property as a full IRI, in MINUS": (
        f"SELECT ?p WHERE {{ ?p a city:Person MINUS {{ ?p <{CITIZEN_ID}> ?id }} }}",
        f"SELECT ?p WHERE {{ ?p a city:Person MINUS {{ GRAPH ?kgs_visible_1 "
        f"{{ ?p <{CITIZEN_ID}> ?id }} }} }}",
    ),
    "a fresh name the query already uses is skipped": (
        "SELECT ?kgs_visible_1 WHERE { ?kgs_visible_1 city:personName ?n }",
        "SELECT ?kgs_visible_1 WHERE { GRAPH ?kgs_visible_2 { ?kgs_visible_1 city:personName "
        "?n } }",
    ),
    "a triple inside the query's own GRAPH": (
        "SELECT ?n WHERE { GRAPH ?g { ?p city:personName ?n } }",
        "SELECT ?n WHERE { GRAPH ?g { GRAPH ?kgs_visible_1 { ?p city:personName ?n } } }",
    ),
}


@pytest.mark.parametrize("case", REWRITTEN, ids=list(REWRITTEN))
def test_reads_of_a_personal_property_go_into_a_graph_pattern(case: str) -> None:
    query, expected = REWRITTEN[case]
    assert confined(query) == expected


LEFT_ALONE = {
    "no personal property": "SELECT ?n WHERE { ?p city:legalName ?n }",
    "SELECT *": "SELECT * WHERE { ?p city:personName ?n }",
    "SELECT DISTINCT *": "SELECT DISTINCT * WHERE { ?p city:personName ?n }",
    "COUNT(*)": "SELECT (COUNT(*) AS ?c) WHERE { ?p city:personName ?n }",
    "CONSTRUCT": "CONSTRUCT { ?p city:personName ?n } WHERE { ?p city:personName ?n }",
    "DESCRIBE": "DESCRIBE ?p WHERE { ?p city:personName ?n }",
    "SERVICE": (
        "SELECT ?n WHERE { ?p city:personName ?n "
        "SERVICE <https://example.org/sparql> { ?p city:x ?y } }"
    ),
    "a property list": "SELECT ?n WHERE { ?p a city:Person ; city:personName ?n }",
    "an object list": "SELECT ?n WHERE { ?p city:personName ?n , ?m }",
    "a path": "SELECT ?n WHERE { ?p city:personName|city:legalName ?n }",
    "an inverse path": "SELECT ?p WHERE { ?n ^city:personName ?p }",
    "a variable predicate elsewhere": "SELECT ?n WHERE { ?p city:personName ?n . ?p ?q ?n }",
    "a zero-length path elsewhere": "SELECT ?n WHERE { ?p city:personName ?n . ?p city:x* ?y }",
    "one read confined, another in a property list": (
        "SELECT ?n WHERE { ?p city:personName ?n . ?q a city:X ; city:personName ?m }"
    ),
    "a typed literal object": 'SELECT ?p WHERE { ?p city:citizenId "1"^^city:t }',
    "a blank node subject": "SELECT ?n WHERE { _:b city:personName ?n }",
    "a three-term VALUES looks like a triple": (
        "SELECT ?n WHERE { VALUES ?x { city:a city:personName city:b } "
        "?p a ?x ; city:personName ?n }"
    ),
    "an undeclared prefix": "SELECT ?n WHERE { ?p city:personName ?n . ?p nope:x ?y }",
    "a relative IRI without BASE": "SELECT ?n WHERE { ?p city:personName ?n . ?p <x> ?y }",
}


@pytest.mark.parametrize("case", LEFT_ALONE, ids=list(LEFT_ALONE))
def test_what_cannot_be_proven_is_left_alone(case: str) -> None:
    assert confined(LEFT_ALONE[case]) is None


def test_a_personal_property_named_outside_a_pattern_stays_as_it_is() -> None:
    query = "SELECT ?n WHERE { ?p city:personName ?n FILTER(?n != city:citizenId) }"
    assert confined(query) == (
        "SELECT ?n WHERE { GRAPH ?kgs_visible_1 { ?p city:personName ?n } "
        "FILTER(?n != city:citizenId) }"
    )


def test_lookups_that_differ_in_their_names_are_proven_once(monkeypatch) -> None:
    from kgservice.sparql import confine

    parsed: list[str] = []
    parse = confine.parse_algebra
    monkeypatch.setattr(confine, "parse_algebra", lambda text: parsed.append(text) or parse(text))
    for number in range(3):
        text = f"SELECT ?n WHERE {{ <https://example.org/p{number}> city:personName ?n . }}"
        assert confined(text) is not None
    assert len(parsed) <= 1
