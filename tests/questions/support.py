"""Shared helpers of the question tests: the fixture city (fixture.trig) and asking it."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kgservice.loading import ensure_ontology
from kgservice.questions import bind, bound_query, load_catalog
from kgservice.store.embedded import EmbeddedStore

FIXTURE = Path(__file__).with_name("fixture.trig")

GEO_PROBE = """PREFIX geof: <http://www.opengis.net/def/function/geosparql/>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
SELECT ?d WHERE {
  BIND(geof:distance("POINT(118 35)"^^geo:wktLiteral, "POINT(118 36)"^^geo:wktLiteral,
                     <http://www.opengis.net/def/uom/OGC/1.0/metre>) AS ?d)
}"""


def load_fixture(store: EmbeddedStore) -> EmbeddedStore:
    """The ontology (for the code lists' labels) and the fixture city, as `kgservice load` and
    the quality report would leave them."""
    ensure_ontology(store)
    store.oxigraph.load(path=str(FIXTURE), format=ox.RdfFormat.TRIG)
    return store


def ask(store: EmbeddedStore, question_id: str, **params: object) -> list[dict[str, str]]:
    """The answer to a question with ``params`` (raw values, as a caller sends them) bound: one
    dict per solution, variable name → lexical value (IRIs as their IRI), unbound left out."""
    question = load_catalog()[question_id]
    raw = {name: str(value) for name, value in params.items()}
    solutions = store.query(bound_query(question, bind(question, raw)))
    assert isinstance(solutions, ox.QuerySolutions)
    names = [variable.value for variable in solutions.variables]
    return [
        {name: term.value for name in names if (term := solution[name]) is not None}
        for solution in solutions
    ]


def columns(rows: list[dict[str, str]], *names: str) -> list[tuple[str | None, ...]]:
    """The rows as tuples of the named columns (None where unbound)."""
    return [tuple(row.get(name) for name in names) for row in rows]
