"""The protocol's using-graph-uri applied by rewriting: same effect as writing USING by hand."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kgservice.sparql.using import add_using

G1, G2 = "http://example.org/g1", "http://example.org/g2"
DATA = f"""
INSERT DATA {{
  GRAPH <{G1}> {{ <http://example.org/a> <http://example.org/p> "1" . }}
  GRAPH <{G2}> {{ <http://example.org/b> <http://example.org/p> "2" . }}
}}
"""


def _dump(store: ox.Store) -> set[str]:
    return {str(quad) for quad in store}


def _apply(update: str) -> set[str]:
    store = ox.Store()
    store.update(DATA)
    store.update(update)
    return _dump(store)


@pytest.mark.parametrize(
    ("update", "by_hand"),
    [
        (
            "INSERT { GRAPH <http://example.org/out> { ?s ?p ?o } } WHERE { ?s ?p ?o }",
            "INSERT { GRAPH <http://example.org/out> { ?s ?p ?o } } "
            f"USING <{G1}> WHERE {{ ?s ?p ?o }}",
        ),
        (
            "PREFIX ex: <http://example.org/>\nDELETE { GRAPH ?g { ?s ex:p ?o } } "
            "WHERE { GRAPH ?g { ?s ex:p ?o } }",
            "PREFIX ex: <http://example.org/>\nDELETE { GRAPH ?g { ?s ex:p ?o } } "
            f"USING <{G1}> WHERE {{ GRAPH ?g {{ ?s ex:p ?o }} }}",
        ),
        (
            "DELETE WHERE { ?s ?p ?o }",
            f"DELETE {{ ?s ?p ?o }} USING <{G1}> WHERE {{ ?s ?p ?o }}",
        ),
    ],
)
def test_rewrite_matches_explicit_using(update: str, by_hand: str) -> None:
    rewritten = add_using(update, [G1], [])
    assert _apply(rewritten) == _apply(by_hand)


def test_every_where_operation_gets_the_clause_and_data_operations_do_not() -> None:
    update = (
        "INSERT DATA { <http://example.org/x> <http://example.org/p> 'WHERE' } ;\n"
        "INSERT { <http://example.org/y> <http://example.org/q> ?o } WHERE { ?s ?p ?o } ;\n"
        "DELETE WHERE { ?s <http://example.org/zzz> ?o }"
    )
    rewritten = add_using(update, [G1], [G2])
    assert rewritten.count(f"USING <{G1}> USING NAMED <{G2}>") == 2
    assert "'WHERE'" in rewritten  # a string is not a keyword
    ox.Store().update(rewritten)  # still valid SPARQL


def test_no_parameters_no_change() -> None:
    assert add_using("DELETE WHERE { ?s ?p ?o }", [], []) == "DELETE WHERE { ?s ?p ?o }"
