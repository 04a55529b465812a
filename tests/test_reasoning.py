"""Reasoning (kgservice/reasoning.py): graph:inferred against owlrl, both settings over HTTP, the
privacy rule, re-materialisation after writes, `kgservice reason`, and the named questions."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import owlrl
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from flask import Flask
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF

from kgservice.cli import cli
from kgservice.loading import ONTOLOGY_GRAPH
from kgservice.privacy import is_personal_graph, personal_properties
from kgservice.quality import QUALITY_GRAPH, refresh_quality
from kgservice.questions import example_query, load_catalog
from kgservice.reasoning import (
    INFERRED_GRAPH,
    Materialised,
    TBox,
    apply_mode,
    closure,
    describe,
    input_graphs,
    materialise,
    read_tbox,
)
from kgservice.settings import load_settings
from kgservice.store.base import Store
from kgservice.store.embedded import EmbeddedStore, open_embedded
from kgservice.store.remote import RemoteStore
from kgservice.web.app import create_app
from kgservice.web.state import EXTENSION
from tests.cities import count_inserts, record_updates
from tests.questions.support import load_fixture
from tests.servers import oxigraph_server

SCCM = "https://w3id.org/sckm/core/"
CITY = "https://w3id.org/sckm/city/"
DIVISION = "https://w3id.org/sckm/id/division/"
TOKEN = "writer"
WRITER = {"Authorization": f"Bearer {TOKEN}"}
VILLAGE = f"{DIVISION}371302001001"  # 前十里堡社区居委会, in 兰山街道, in 兰山区 (371302)


def fixture_store(mode: str = "materialize") -> EmbeddedStore:
    """The question tests' fixture city (ontology, sources, personal graphs, catalogue), with
    the quality report and graph:inferred as a load leaves them."""
    store = load_fixture(open_embedded(None))
    apply_mode(store, mode)
    refresh_quality(store)
    return store


@pytest.fixture(scope="module")
def reasoned() -> EmbeddedStore:
    return fixture_store()


def inferred(store: Store) -> set[ox.Triple]:
    return set(store.triples(INFERRED_GRAPH))


# --- the reference: owlrl's closure, restricted to the rules we implement ----------------------


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> URIRef | BNode | Literal:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    datatype = None if term.language else URIRef(term.datatype.value)
    return Literal(term.value, lang=term.language, datatype=datatype)


def owlrl_entailed(tbox: TBox, data: Iterable[ox.Triple]) -> set[tuple[str, str, str]]:
    """What owlrl's OWL 2 RL closure of the axioms and ``data`` adds, in the terms we reason
    about: types of the hierarchy's classes and triples of the reasoned properties, IRIs only."""
    graph = Graph()
    for triple in (*tbox.axioms, *data):
        graph.add(
            (to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object))
        )
    before = set(graph)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    classes, properties = tbox.classes, tbox.properties
    return {
        (str(s), str(p), str(o))
        for s, p, o in set(graph) - before
        if isinstance(s, URIRef)
        and isinstance(o, URIRef)
        and ((p == RDF.type and str(o) in classes) or str(p) in properties)
    }


def as_strings(triples: Iterable[ox.Triple]) -> set[tuple[str, str, str]]:
    return {(t.subject.value, t.predicate.value, t.object.value) for t in triples}


def data_triples(store: EmbeddedStore) -> list[ox.Triple]:
    """Every triple of the input graphs but the ontology's (its axioms are given apart), without
    the personal properties' masked copies."""
    personal = personal_properties()
    graphs = [g for g in input_graphs(store) if g != ox.NamedNode(ONTOLOGY_GRAPH)]
    return [
        quad.triple
        for graph in graphs
        for quad in store.oxigraph.quads_for_pattern(None, None, None, graph)
        if quad.predicate.value not in personal
    ]


def test_graph_inferred_equals_owlrl_on_the_fixture(reasoned: EmbeddedStore) -> None:
    expected = owlrl_entailed(read_tbox(reasoned), data_triples(reasoned))
    assert as_strings(inferred(reasoned)) == expected
    assert len(expected) > 400  # types, containment, inverses: the comparison is not vacuous


TOY = """
@prefix ex: <http://example.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Town rdfs:subClassOf ex:Settlement . ex:Settlement owl:equivalentClass ex:Locality .
ex:Locality rdfs:subClassOf ex:Place .
ex:within rdfs:subPropertyOf ex:partOf . ex:partOf a owl:TransitiveProperty ;
  owl:inverseOf ex:hasPart . ex:hasPart owl:equivalentProperty ex:includes .
ex:twinnedWith a owl:SymmetricProperty ; rdfs:subPropertyOf ex:relatedTo .
ex:includes rdfs:subPropertyOf ex:mentions .
"""
TOY_DATA = """
@prefix ex: <http://example.org/> .
ex:a a ex:Town ; ex:within ex:b ; ex:twinnedWith ex:z .
ex:b a ex:Locality ; ex:within ex:c .
ex:e ex:includes ex:c .
ex:d ex:partOf ex:a .
"""


def test_every_rule_kind_equals_owlrl() -> None:
    """Equivalent classes and properties, symmetric properties and chains through inverses,
    which the city ontology does not use (yet)."""
    axioms = frozenset(quad.triple for quad in ox.parse(TOY, ox.RdfFormat.TURTLE))
    tbox = TBox(axioms)
    data = [quad.triple for quad in ox.parse(TOY_DATA, ox.RdfFormat.TURTLE)]
    derived, rounds = closure(tbox, data)
    assert as_strings(derived) == owlrl_entailed(tbox, data)
    assert ("http://example.org/a", "http://example.org/partOf", "http://example.org/e") in (
        as_strings(derived)
    )
    assert rounds >= 2


MANY_TYPES = """
@prefix ex: <http://example.org/> .
ex:a a ex:Town , ex:Locality , ex:Settlement .
ex:b a ex:Place , ex:Town .
ex:c a ex:Unrelated , ex:Town .
"""


def test_a_node_of_several_classes_gets_each_entailed_type_once() -> None:
    """Types are reasoned apart from the rounds (never stored): a type above two classes of a
    node is derived once, and a class the node already has is not derived."""
    from kgservice.reasoning import run_rules

    tbox = TBox(frozenset(quad.triple for quad in ox.parse(TOY, ox.RdfFormat.TURTLE)))
    data = [quad.triple for quad in ox.parse(MANY_TYPES, ox.RdfFormat.TURTLE)]
    scratch, _ = run_rules(tbox, data)
    derived = list(scratch.derived())
    assert len(derived) == len(set(derived))
    assert as_strings(derived) == owlrl_entailed(tbox, data)
    assert ("http://example.org/a", str(RDF.type), "http://example.org/Place") in as_strings(
        derived
    )


def test_types_go_through_the_rounds_when_rdf_type_is_in_a_property_axiom() -> None:
    """A property below ``rdf:type`` entails types, which entail the types above them, and
    may entail a type the node has already: the types cannot be reasoned apart then."""
    extra = f"ex:kind rdfs:subPropertyOf <{RDF.type}> ."
    axioms = [quad.triple for quad in ox.parse(TOY + extra, ox.RdfFormat.TURTLE)]
    tbox = TBox(frozenset(axioms))
    text = "@prefix ex: <http://example.org/> . ex:q ex:kind ex:Town ; a ex:Town . ex:r a ex:Town ."
    data = [quad.triple for quad in ox.parse(text, ox.RdfFormat.TURTLE)]
    derived, _ = closure(tbox, data)
    about_data = {"http://example.org/q", "http://example.org/r"}  # owlrl types the vocabulary
    expected = {t for t in owlrl_entailed(tbox, data) if t[0] in about_data}
    assert as_strings(derived) == expected
    assert ("http://example.org/q", str(RDF.type), "http://example.org/Place") in expected


# --- what goes in, and what does not ---------------------------------------------------------


def test_only_triples_no_input_graph_asserts(reasoned: EmbeddedStore) -> None:
    asserted = {
        quad.triple
        for graph in input_graphs(reasoned)
        for quad in reasoned.oxigraph.quads_for_pattern(None, None, None, graph)
    }
    assert not inferred(reasoned) & asserted


def test_personal_and_derived_graphs_are_not_inputs(reasoned: EmbeddedStore) -> None:
    names = {g.value for g in input_graphs(reasoned) if isinstance(g, ox.NamedNode)}
    assert QUALITY_GRAPH.value not in names
    assert INFERRED_GRAPH.value not in names
    assert not any(is_personal_graph(name) for name in names)
    assert ONTOLOGY_GRAPH in names
    assert "https://w3id.org/sckm/graph/catalog" in names  # departments are organisations


def test_departments_of_the_catalogue_are_agents(reasoned: EmbeddedStore) -> None:
    department = ox.NamedNode("https://w3id.org/sckm/id/department/public-security")
    assert ox.Triple(department, ox.NamedNode(str(RDF.type)), ox.NamedNode(SCCM + "Agent")) in (
        inferred(reasoned)
    )


def test_nothing_inferred_holds_a_literal_or_a_personal_property(reasoned: EmbeddedStore) -> None:
    personal = personal_properties()
    triples = inferred(reasoned)
    assert not [t for t in triples if isinstance(t.object, ox.Literal)]
    assert not [t for t in triples if t.predicate.value in personal]


def test_validation_does_not_read_graph_inferred() -> None:
    with_inferred, without = fixture_store("materialize"), fixture_store("off")
    assert with_inferred.has_graph(INFERRED_GRAPH) and not without.has_graph(INFERRED_GRAPH)
    assert refresh_quality(with_inferred) == refresh_quality(without) > 0


# --- over HTTP: both settings ------------------------------------------------------------------


def app_over(store: Store, mode: str, **env: str) -> Flask:
    settings = load_settings(
        {
            "KGSERVICE_REASONING": mode,
            "KGSERVICE_WRITE_TOKEN": TOKEN,
            "KGSERVICE_AUDIT_LOG": "off",
            **env,
        }
    )
    return create_app(settings, store)


def select(app: Flask, query: str, headers: dict[str, str] | None = None) -> list[dict]:
    response = app.test_client().get(
        "/sparql",
        query_string={"query": query},
        headers={"Accept": "application/sparql-results+json", **(headers or {})},
    )
    assert response.status_code == 200, response.text
    return response.get_json()["results"]["bindings"]


AGENTS = f"SELECT ?x WHERE {{ ?x a <{SCCM}Agent> }}"
PLACES = f"SELECT ?x WHERE {{ ?x a <{SCCM}Place> }}"
COUNTY_OF_VILLAGE = f"SELECT ?up WHERE {{ <{VILLAGE}> <{SCCM}containedIn> ?up }}"
VILLAGES_OF_COUNTY = f"SELECT ?down WHERE {{ <{DIVISION}371302> <{SCCM}contains> ?down }}"


@pytest.fixture(scope="module")
def materialized_app(reasoned: EmbeddedStore) -> Flask:
    return app_over(reasoned, "materialize")


@pytest.fixture(scope="module")
def off_app() -> Flask:
    return app_over(fixture_store("off"), "off")


def values(rows: list[dict], name: str) -> set[str]:
    return {row[name]["value"] for row in rows if name in row}


def test_materialized_a_core_concept_finds_its_subclasses(materialized_app: Flask) -> None:
    agents = values(select(materialized_app, AGENTS), "x")
    assert "https://w3id.org/sckm/id/person/ppdi5bq7ihikeabs3pkci6w6xb" in agents  # a person
    assert "https://w3id.org/sckm/id/entity/91371302960976799M" in agents  # a legal entity
    assert VILLAGE in values(select(materialized_app, PLACES), "x")


def test_materialized_containment_is_transitive_without_a_path(materialized_app: Flask) -> None:
    assert values(select(materialized_app, COUNTY_OF_VILLAGE), "up") == {
        f"{DIVISION}371302001",
        f"{DIVISION}371302",
        f"{DIVISION}371300",
        f"{DIVISION}370000",
    }
    assert VILLAGE in values(select(materialized_app, VILLAGES_OF_COUNTY), "down")


def test_off_the_same_queries_find_none_of_them(off_app: Flask) -> None:
    assert select(off_app, AGENTS) == []
    assert VILLAGE not in values(select(off_app, PLACES), "x")  # places asserted as such stay
    assert select(off_app, COUNTY_OF_VILLAGE) == []
    assert select(off_app, VILLAGES_OF_COUNTY) == []


def test_an_anonymous_reader_still_sees_only_masked_values(materialized_app: Flask) -> None:
    query = f"""SELECT ?name WHERE {{
      ?person a <{SCCM}Agent> ; <{CITY}residence>/<{SCCM}containedIn> <{DIVISION}371302> ;
        <{CITY}personName> ?name }}"""
    names = values(select(materialized_app, query), "name")
    assert "张*" in names
    assert "张伟" not in names
    everything = values(select(materialized_app, "SELECT ?o WHERE { ?s ?p ?o }"), "o")
    assert not {"张伟", "371302197005100015", "兰山街道解放路1号"} & everything


def test_the_personal_graphs_still_hold_only_personal_properties(reasoned: EmbeddedStore) -> None:
    personal = personal_properties()
    for graph in reasoned.graph_names():
        if is_personal_graph(graph):
            assert {t.predicate.value for t in reasoned.triples(graph)} <= personal


# --- writes through the service ----------------------------------------------------------------

NEW_VILLAGE = f"""
<{DIVISION}371302001999> a <{CITY}Village> ; <{CITY}parentDivision> <{DIVISION}371302001> .
"""


def test_a_write_re_materialises(reasoned: EmbeddedStore) -> None:
    store = fixture_store()
    # a bare village (no name, no code) has validation findings: this test is about reasoning
    app = app_over(store, "materialize", KGSERVICE_VALIDATE_WRITES="none")
    reasoner = app.extensions[EXTENSION].reasoner
    graph = "http://example.org/graph/new-village"
    response = app.test_client().put(
        "/store",
        query_string={"graph": graph},
        data=NEW_VILLAGE.encode(),
        headers={**WRITER, "Content-Type": "text/turtle"},
    )
    assert response.status_code == 201
    assert reasoner.wait(30)
    county = f"ASK {{ <{DIVISION}371302001999> <{SCCM}containedIn> <{DIVISION}371302> }}"
    assert store.ask(county)
    assert store.ask(f"ASK {{ <{DIVISION}371302001999> a <{SCCM}Place> }}")
    response = app.test_client().post(
        "/sparql", data={"update": f"DROP GRAPH <{graph}>"}, headers=WRITER
    )
    assert response.status_code == 204
    assert reasoner.wait(30)
    assert not store.ask(county)
    assert inferred(store) == inferred(reasoned)  # back to what the fixture alone entails


def test_off_a_write_infers_nothing() -> None:
    store = fixture_store("off")
    app = app_over(store, "off", KGSERVICE_VALIDATE_WRITES="none")  # a bare village: findings
    assert app.extensions[EXTENSION].reasoner is None
    response = app.test_client().put(
        "/store",
        query_string={"graph": "http://example.org/graph/new-village"},
        data=NEW_VILLAGE.encode(),
        headers={**WRITER, "Content-Type": "text/turtle"},
    )
    assert response.status_code == 201
    assert not store.has_graph(INFERRED_GRAPH)


def test_off_drops_an_existing_graph_inferred() -> None:
    store = fixture_store("materialize")
    assert store.has_graph(INFERRED_GRAPH)
    assert apply_mode(store, "off") is None
    assert not store.has_graph(INFERRED_GRAPH)


def test_a_second_run_changes_nothing(reasoned: EmbeddedStore) -> None:
    again = materialise(reasoned)
    assert (again.added, again.removed) == (0, 0)
    assert again.triples == len(inferred(reasoned))


# --- the remote backend ------------------------------------------------------------------------


def test_a_remote_store_gets_the_same_graph_inferred(reasoned: EmbeddedStore) -> None:
    with oxigraph_server() as server:
        remote = RemoteStore(server.query_url, server.update_url, server.store_url)
        for graph in reasoned.graph_names():
            if graph != INFERRED_GRAPH:
                remote.put_graph(graph, reasoned.triples(graph))
        result = materialise(remote)
        assert result.triples == len(inferred(reasoned))
        assert inferred(remote) == inferred(reasoned)


# --- kgservice reason --------------------------------------------------------------------------


def reason(store: Path, **env: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["reason", "--store", str(store)], env=env)
    return result.exit_code, result.output


@pytest.fixture
def store_on_disk(tmp_path: Path) -> Path:
    store = open_embedded(tmp_path / "store")
    load_fixture(store)
    store.close()
    return tmp_path / "store"


def test_reason_materialises_and_reports(store_on_disk: Path) -> None:
    code, output = reason(store_on_disk)
    assert code == 0, output
    assert "reasoning → <https://w3id.org/sckm/graph/inferred>: " in output
    assert " added, 0 removed) from " in output
    store = open_embedded(store_on_disk)
    assert store.has_graph(INFERRED_GRAPH)
    store.close()
    code, output = reason(store_on_disk, KGSERVICE_REASONING="off")
    assert code == 0, output
    assert "reasoning is off" in output
    store = open_embedded(store_on_disk)
    assert not store.has_graph(INFERRED_GRAPH)
    store.close()


def test_reason_without_an_ontology_exits_2(tmp_path: Path) -> None:
    open_embedded(tmp_path / "empty").close()
    code, output = reason(tmp_path / "empty")
    assert code == 2
    assert "graph/ontology" in output and "load it first" in output


def test_reason_on_a_missing_store_exits_2(tmp_path: Path) -> None:
    assert reason(tmp_path / "nowhere")[0] == 2


def test_reason_with_a_bad_setting_names_the_key(store_on_disk: Path) -> None:
    code, output = reason(store_on_disk, KGSERVICE_REASONING="sometimes")
    assert code == 2
    assert "KGSERVICE_REASONING='sometimes'" in output


# --- the named questions -----------------------------------------------------------------------


def answers(store: EmbeddedStore, question_id: str) -> list[tuple]:
    solutions = store.query(example_query(load_catalog()[question_id]))
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    return sorted(tuple(str(solution[name]) for name in names) for solution in solutions)


@pytest.fixture(scope="module")
def unreasoned() -> EmbeddedStore:
    return fixture_store("off")


@pytest.mark.parametrize("question_id", sorted(load_catalog()))
def test_questions_answer_the_same_with_graph_inferred(
    question_id: str, reasoned: EmbeddedStore, unreasoned: EmbeddedStore
) -> None:
    """Questions are written against asserted facts and stay right when entailments are
    present: typed patterns where a subproperty would match (``sccm:atPlace`` is also a
    resident's ``city:residence``), and graph:inferred left out where graphs are sources."""
    assert answers(reasoned, question_id) == answers(unreasoned, question_id)


def test_a_big_first_graph_inferred_goes_in_batches(
    reasoned: EmbeddedStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first graph:inferred over ``WRITE_BATCH`` triples is added one bulk batch at a time (one
    transaction of millions would take gigabytes); it holds what one step would."""
    from kgservice import streamed_reasoning

    store = open_embedded(tmp_path / "store")
    for graph in reasoned.graph_names():
        if graph != INFERRED_GRAPH:
            store.add_to_graph(graph, reasoned.triples(graph))
    monkeypatch.setattr(streamed_reasoning, "WRITE_BATCH", 25)
    calls = count_inserts(monkeypatch, store)
    result = materialise(store)
    assert len(calls) > 1 and max(calls) <= 25
    assert result.triples == result.added == sum(calls) == len(inferred(reasoned))
    assert inferred(store) == inferred(reasoned)
    again = materialise(store)
    assert (again.added, again.removed) == (0, 0)
    store.close()


def test_a_large_difference_is_written_in_batches(
    reasoned: EmbeddedStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refresh writes only the difference with the graph:inferred the store holds, found by
    lookups (no set of every entailment), a batch at a time when it is large (the additions
    first, then the removals); the graph ends up as a first materialisation of the same input
    makes it."""
    from kgservice import streamed_reasoning

    store, fresh = open_embedded(tmp_path / "store"), open_embedded(None)
    for graph in reasoned.graph_names():
        if graph != INFERRED_GRAPH:
            store.add_to_graph(graph, reasoned.triples(graph))
    materialise(store)
    village = [q.triple for q in ox.parse(NEW_VILLAGE.encode(), ox.RdfFormat.TURTLE)]
    store.add_to_graph(ox.NamedNode("http://example.org/graph/new-village"), village)
    store.drop_graph(ox.NamedNode("https://w3id.org/sckm/graph/legal-entities"))  # types go
    for graph in store.graph_names():
        if graph != INFERRED_GRAPH:
            fresh.add_to_graph(graph, store.triples(graph))
    expected = materialise(fresh)
    monkeypatch.setattr(streamed_reasoning, "WRITE_BATCH", 10)
    updates = record_updates(monkeypatch, store)
    inserts = count_inserts(monkeypatch, store)
    result = materialise(store)
    assert result.added >= 2 and result.removed > 20  # more than two batches of 10 to remove
    assert sum(inserts) == result.added and max(inserts) <= 10
    assert len(updates) == -(-result.removed // 10)
    assert all("INSERT" not in update and update.count("\n<") <= 10 for update in updates)
    assert result.triples == expected.triples
    assert inferred(store) == inferred(fresh)
    store.close()


@pytest.mark.parametrize(
    ("mode", "env", "warned"),
    [
        ("materialize", {}, True),
        ("materialize", {"KGSERVICE_READ_ONLY": "true"}, False),  # no writes, no refresh
        ("off", {}, False),
    ],
    ids=["writable", "read-only", "reasoning off"],
)
def test_a_writable_service_over_a_large_graph_inferred_warns_at_start(
    reasoned: EmbeddedStore, monkeypatch: pytest.MonkeyPatch, caplog, mode, env, warned
) -> None:
    from kgservice import local_reasoning

    monkeypatch.setattr(local_reasoning, "LARGE_INFERRED", 100)  # the fixture entails more
    caplog.set_level(logging.WARNING, logger="kgservice.web.app")
    app_over(reasoned, mode, **env)
    assert ("makes the service rebuild it whole" in caplog.text) is warned


def test_a_small_graph_inferred_gives_no_warning(reasoned: EmbeddedStore, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="kgservice.web.app")
    app_over(reasoned, "materialize")
    assert "rebuild it whole" not in caplog.text


def test_the_summary_line_says_what_was_done() -> None:
    streamed, rounds = Materialised(10, 4, 1, 7, 1, 0.5), Materialised(10, 4, 1, 7, 3, 0.5)
    assert describe(streamed).endswith(
        ": 10 triples (4 added, 1 removed) from 7 facts in one pass, 0.50 s"
    )
    assert describe(rounds).endswith("from 7 facts in 3 rounds, 0.50 s")
    assert describe(None).startswith("reasoning is off")
