"""Which queries are proven to read no personal property (so may run over the union)."""

from __future__ import annotations

import pytest

from kgservice.sparql.lexer import tokens
from kgservice.sparql.reach import reads_predicates

CITIZEN_ID = "https://w3id.org/sckm/city/citizenId"
PERSONAL = frozenset({CITIZEN_ID, "https://w3id.org/sckm/city/personName"})
PROLOGUE = (
    "PREFIX city: <https://w3id.org/sckm/city/>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
)


def reads(query: str) -> bool:
    text = PROLOGUE + query
    return reads_predicates(text, list(tokens(text)), PERSONAL)


PROVEN_NOT_TO_READ = [
    "SELECT * WHERE { ?s city:legalName ?n }",
    "SELECT * WHERE { ?s a city:LegalEntity ; city:legalName ?n , ?m ;"
    " city:industry [ rdfs:label ?l ] }",
    "SELECT * WHERE { ?v city:parentDivision+ ?county }",
    "SELECT * WHERE { ?s city:a/city:x* ?o }",  # ends: terms of city:a triples, then city:x ones
    "SELECT * WHERE { ?s ^city:x?/city:a/city:y* ?o }",
    "SELECT * WHERE { ?a city:parentDivision/^city:parentDivision|city:residence ?b }",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s city:status ?x"
    " OPTIONAL { ?s rdfs:label ?l } MINUS { ?s a city:X } }",
    "SELECT * WHERE { ?s city:x ?o FILTER NOT EXISTS { ?s city:y ?o } }",
    "SELECT * WHERE { { SELECT ?s WHERE { ?s city:x ?o } LIMIT 3 } ?s city:y ?z }",
    "SELECT * WHERE { GRAPH ?g { ?s city:x ?o } }",
    "SELECT * WHERE { VALUES ?s { <https://example.org/a> } ?s city:x ?o }",
    "ASK { <https://example.org/a> city:x 'citizenId' }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s city:x ?o BIND(city:y AS ?p) }",
]

MAY_READ = {
    "a variable predicate": "SELECT * WHERE { ?s ?p ?o }",
    "a variable predicate in EXISTS": "SELECT * WHERE { ?s city:x ?o FILTER EXISTS { ?s ?p ?o } }",
    "a variable predicate in a subquery": "SELECT * WHERE { { SELECT * { ?s ?p 1 } } }",
    "a variable bound to a predicate": "SELECT * WHERE { BIND(city:x AS ?p) ?s ?p ?o }",
    "the personal property": "SELECT * WHERE { ?s city:citizenId ?o }",
    "the personal property as an IRI": f"SELECT * WHERE {{ ?s <{CITIZEN_ID}> ?o }}",
    "the personal property, escaped": (
        "PREFIX c: <https://w3id.org/sckm/> SELECT * WHERE { ?s c:city\\/personName ?o }"
    ),
    "the personal property in VALUES": (
        f"SELECT * WHERE {{ VALUES ?x {{ <{CITIZEN_ID}> }} ?s city:a ?x }}"
    ),
    "the personal property in an inverse path": "SELECT * WHERE { ?o ^city:citizenId ?s }",
    "zero or more": "SELECT * WHERE { ?s city:x* ?o }",
    "zero or one": "SELECT * WHERE { ?s city:x? ?o }",
    "zero or more in an alternative": "SELECT * WHERE { ?s city:a|city:x* ?o }",
    "a sequence of steps of length zero": "SELECT * WHERE { ?s city:x*/city:y? ?o }",
    "zero or more under one or more": "SELECT * WHERE { ?s (city:x*)+ ?o }",
    "a negated property set": "SELECT * WHERE { ?s !rdfs:label ?o }",
    "a negated property set in an alternative": "SELECT * WHERE { ?s (city:a|!city:b) ?o }",
    "DESCRIBE": "DESCRIBE ?s WHERE { ?s city:x 1 }",
    "SERVICE": "SELECT * WHERE { SERVICE <https://example.org/sparql> { ?s city:x ?o } }",
    "a relative IRI without BASE": "SELECT * WHERE { ?s <citizenId> ?o }",
    "an undeclared prefix": "SELECT * WHERE { ?s nope:x ?o }",
    "what rdflib cannot parse": "SELECT * WHERE { ?s city:x ?o . BROKEN }",
}


@pytest.mark.parametrize("query", PROVEN_NOT_TO_READ)
def test_proven_not_to_read_personal_properties(query: str) -> None:
    assert reads(query) is False


@pytest.mark.parametrize("query", MAY_READ.values(), ids=MAY_READ.keys())
def test_may_read_personal_properties(query: str) -> None:
    assert reads(query) is True


def test_base_resolves_relative_iris() -> None:
    query = "BASE <https://w3id.org/sckm/city/> SELECT * WHERE { ?s <citizenId> ?o }"
    assert reads_predicates(query, list(tokens(query)), PERSONAL) is True
    other = "BASE <https://w3id.org/sckm/city/> SELECT * WHERE { ?s <legalName> ?o }"
    assert reads_predicates(other, list(tokens(other)), PERSONAL) is False


def test_names_are_checked_on_every_query_with_a_known_structure() -> None:
    """The structure's verdict is cached by skeleton; the names are not."""
    assert reads("SELECT * WHERE { ?s city:legalName ?o }") is False
    assert reads("SELECT * WHERE { ?s city:citizenId ?o }") is True
    assert reads("SELECT * WHERE { ?s <https://example.org/x> ?o }") is False
    assert reads(f"SELECT * WHERE {{ ?s <{CITIZEN_ID}> ?o }}") is True


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT * WHERE { ?p a city:NaturalPerson }", True),
        ("SELECT * WHERE { ?p city:x ?o ; a city:NaturalPerson }", True),
        (
            "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n"
            "SELECT * WHERE { ?p rdf:type ?c }",
            True,
        ),
        ("SELECT ?a WHERE { ?a city:x ?o }", False),  # a variable named a
        ("SELECT * WHERE { ?p city:a ?o }", False),  # a local name a
    ],
)
def test_the_keyword_a_reads_rdf_type(query: str, expected: bool) -> None:
    """A write of types must reach the answers of queries that say ``a``."""
    text = PROLOGUE + query
    assert reads_predicates(text, list(tokens(text)), frozenset({RDF_TYPE})) is expected
