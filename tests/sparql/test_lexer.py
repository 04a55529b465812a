"""What the lexer tells of a query's dependence on its base IRI and on the moment it runs, and of
the LIMIT that bounds its answer."""

from __future__ import annotations

import pytest

from kgservice.sparql.lexer import depends_on_base, is_volatile, outer_limit, tokens


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT * WHERE { ?s <http://example.org/p> ?o }", False),
        ("PREFIX ex: <urn:x:> SELECT * WHERE { ?s ex:p ?o FILTER(isIRI(?o)) }", False),
        ("BASE <http://example.org/> SELECT * WHERE { ?s <p> ?o }", False),
        ('SELECT ?s WHERE { ?s ?p "<relative>" }', False),
        ("SELECT * WHERE { ?s <p> ?o }", True),
        ("PREFIX ex: <vocab#> SELECT * WHERE { ?s ex:p ?o }", True),
        ("BASE <sub/> SELECT * WHERE { ?s <http://example.org/p> ?o }", True),
        ('SELECT (IRI("x") AS ?i) WHERE {}', True),
        ('SELECT (uri ("x") AS ?i) WHERE {}', True),
    ],
)
def test_a_query_depends_on_its_base_when_it_has_something_to_resolve(query, expected) -> None:
    assert depends_on_base(list(tokens(query))) is expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT (NOW() AS ?t) WHERE {}", True),
        ("SELECT ?x WHERE { BIND(rand () AS ?x) }", True),
        ("SELECT (STRUUID() AS ?u) (UUID() AS ?v) WHERE {}", True),
        ("CONSTRUCT { ?s <urn:p> ?b } WHERE { ?s ?p ?o BIND(BNODE() AS ?b) }", True),
        ("SELECT ?now ?rand WHERE { ?now <urn:p> ?rand }", False),
        ('SELECT * WHERE { ?s ?p "NOW()" } # RAND()', False),
        ("SELECT * WHERE { ?s <urn:NOW> ?o }", False),
    ],
)
def test_a_query_is_volatile_when_it_calls_a_function_new_at_each_evaluation(
    query, expected
) -> None:
    assert is_volatile(list(tokens(query))) is expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 10", 10),
        ("SELECT * WHERE { ?s ?p ?o } ORDER BY ?s limit 3 OFFSET 20", 3),
        ("SELECT * WHERE { ?s ?p ?o } OFFSET 5 LIMIT 7 VALUES ?s { <urn:a> }", 7),
        ("SELECT * WHERE { ?s ?p ?o }", None),
        ("SELECT * WHERE { { SELECT ?s WHERE { ?s ?p ?o } LIMIT 1 } ?s ?q ?v }", None),
        ("SELECT * WHERE { ?s ?p ?o } # LIMIT 1", None),
        ('SELECT * WHERE { ?s ?p "} LIMIT 1" }', None),
        ("SELECT * WHERE { ?s ?p ?o } LIMIT ?n", None),
    ],
)
def test_the_outer_limit_is_the_one_outside_every_brace(query: str, expected) -> None:
    assert outer_limit(list(tokens(query))) == expected
