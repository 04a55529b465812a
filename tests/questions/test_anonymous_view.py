"""The anonymous reader's fast path gives every question the answer of its slow one.

An anonymous reader's query runs over the visible graphs; the service lets the store answer it
over the union of all graphs instead, as it is when it reads no personal property, or with its
reads of personal properties confined to the visible named graphs
(:mod:`kgservice.sparql.confine`). On a generated city with raw personal graphs, each catalogue
question must give the same rows both ways, and no raw value.
"""

from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pytest

from kgservice.privacy import is_personal_graph, personal_properties
from kgservice.protocol.params import QueryRequest
from kgservice.questions import example_query, load_catalog
from kgservice.sparql.execute import Limits, prepare_query, visible_dataset
from kgservice.store.embedded import EmbeddedStore
from tests.cities import loaded_city

LIMITS = Limits(max_rows=0, max_query_bytes=1 << 20, max_query_depth=200, allowed_remote=())
QUESTIONS = load_catalog()
#: The questions that read a personal property (a name, an address's text): confined, they run
#: over the union (at 100,000 people 1.5–4 times faster than over the visible graphs one by one,
#: at 1,000,000 up to 10 times).
CONFINED = {
    "representatives-of-many",
    "representative-lives-elsewhere",
    "representatives-of-troubled-entities",
    "operator-representative-elsewhere",
    "find-entities-by-name",
    "elderly-representatives",
    "facilities-of-troubled-operators",
    "entities-at-addresses-in-division",
    "findings-in-division",
    "dangling-references",
}


@pytest.fixture(scope="module")
def city() -> EmbeddedStore:
    return loaded_city(people=300, seed=5)


def _rows(result: ox.QuerySolutions) -> Counter:
    return Counter(tuple(solution) for solution in result)


def _over_union(store: EmbeddedStore, text: str, named: list[ox.NamedNode]) -> Counter:
    """``text`` over Oxigraph's union default graph, the named graphs limited to ``named``: what
    the embedded store runs when the dataset allows it."""
    return _rows(store.oxigraph.query(text, use_default_graph_as_union=True, named_graphs=named))


def _prepared(store: EmbeddedStore, text: str):
    return prepare_query(
        store,
        QueryRequest(text),
        LIMITS,
        "application/sparql-results+json",
        hidden=is_personal_graph,
        hidden_predicates=personal_properties(),
    )


@pytest.mark.parametrize("question_id", sorted(QUESTIONS))
def test_the_fast_path_answers_as_the_visible_graphs_do(city, question_id: str) -> None:
    text = example_query(QUESTIONS[question_id])
    prepared = _prepared(city, text)
    visible = visible_dataset(city, is_personal_graph)
    slow = _rows(city.query(text, visible))
    if not prepared.dataset.unread_predicates:  # no fast path: the visible graphs, as it is
        assert (prepared.request.query, prepared.dataset) == (text, visible)
        return
    fast = _over_union(city, prepared.request.query, list(visible.named_graphs))
    assert fast == slow
    # As the store runs it: over the union, the named graphs narrowed to those holding names.
    assert _rows(city.query(prepared.request.query, prepared.dataset)) == slow
    raw = {quad.object for quad in _personal_quads(city)} - _public_objects(city)
    assert raw, "the city has raw personal values"
    assert not any(term in raw for row in fast for term in row)


def _public_objects(store: EmbeddedStore) -> set:
    return {
        quad.object
        for quad in store.oxigraph.quads_for_pattern(None, None, None)
        if not (isinstance(quad.graph_name, ox.NamedNode) and is_personal_graph(quad.graph_name))
    }


def _personal_quads(store: EmbeddedStore) -> list[ox.Quad]:
    return [
        quad
        for graph in store.graph_names()
        if is_personal_graph(graph.value)
        for quad in store.oxigraph.quads_for_pattern(None, None, None, graph)
    ]


def test_the_questions_that_read_a_name_are_confined(city) -> None:
    confined = {
        question_id
        for question_id, question in QUESTIONS.items()
        if "GRAPH ?kgs_visible_" in _prepared(city, example_query(question)).request.query
    }
    assert confined == CONFINED
    for question_id in CONFINED:
        dataset = _prepared(city, example_query(QUESTIONS[question_id])).dataset
        assert dataset is not None and dataset.unread_predicates == personal_properties()


#: Questions about one record that read every property of it (``GRAPH ?graph { ?s ?p ?o }``):
#: a variable predicate, which the fast path's proof cannot cover; a few milliseconds either way.
OFF_THE_FAST_PATH = {"entity-profile", "entity-sources", "person-profile"}


def test_every_question_over_many_records_takes_the_fast_path(city) -> None:
    """A rewrite that leaves the fast path (a zero-length path, a variable predicate) runs over
    the visible graphs one by one, several times slower: no question over many records may."""
    slow = {
        question_id
        for question_id, question in QUESTIONS.items()
        if _prepared(city, example_query(question)).dataset.unread_predicates
        != personal_properties()
    }
    assert slow == OFF_THE_FAST_PATH
