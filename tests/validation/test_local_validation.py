"""Validating a write on the focus nodes it concerns (kgservice/validation/local.py): for every
write, the findings about those nodes before and after it are those a whole validation finds,
and no finding about another node changes."""

from __future__ import annotations

import random

import pyoxigraph as ox
import pytest
from rdflib import URIRef, Variable

from kgservice.loading import ONTOLOGY_GRAPH
from kgservice.privacy import masked_graphs, personal_properties
from kgservice.reasoning import DERIVED_GRAPHS
from kgservice.settings import load_settings
from kgservice.store.embedded import EmbeddedStore
from kgservice.validation import local
from kgservice.validation.dataset import run_shapes, validation_copy
from kgservice.validation.findings import Finding
from kgservice.validation.local import (
    LocalCheck,
    ValidationView,
    WholeNeeded,
    check_locally,
    rules_for,
)
from kgservice.validation.reach import THIS, reach_of
from kgservice.web.app import create_app
from kgservice.write_validation import prepare
from tests.cities import loaded_city

CITY = "https://w3id.org/sckm/city/"
SHAPES = "https://w3id.org/sckm/shapes/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SUBCLASS_OF = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    return loaded_city(people=300, seed=5, bad_share=0.05)


def view_of(store: EmbeddedStore) -> ValidationView:
    return ValidationView(DERIVED_GRAPHS, personal_properties(), masked_graphs(store.oxigraph))


def whole(store: EmbeddedStore, removed=(), added=()) -> set[Finding]:
    copy = validation_copy(store.oxigraph, DERIVED_GRAPHS, personal_properties())
    copy.apply(removed, added)
    return set(run_shapes(copy.store))


def same_as_whole(
    store: EmbeddedStore, removed: list[ox.Quad], added: list[ox.Quad], before: set[Finding]
) -> LocalCheck:
    """Check the write locally; hold it to a whole validation before and after."""
    checked = check_locally(store.oxigraph, view_of(store), removed, added)
    after = whole(store, removed, added)
    assert set(checked.before) == {f for f in before if checked.concerns(f)}
    assert set(checked.after) == {f for f in after if checked.concerns(f)}
    unchanged_before = {f for f in before if not checked.concerns(f)}
    unchanged_after = {f for f in after if not checked.concerns(f)}
    assert unchanged_before == unchanged_after, "a finding changed that was not checked"
    assert set(checked.new()) == after - before
    return checked


def read_quads(store: EmbeddedStore, predicate: str) -> list[ox.Quad]:
    view = view_of(store)
    found = store.oxigraph.quads_for_pattern(None, ox.NamedNode(f"{CITY}{predicate}"), None)
    return sorted((q for q in found if view.reads(q)), key=str)


def shapes_of(findings: list[Finding]) -> set[str]:
    return {f.shape.removeprefix(SHAPES) for f in findings}


# --- the analysis of the rules ------------------------------------------------------------------


def test_every_rule_of_the_shapes_can_be_followed(store: EmbeddedStore) -> None:
    rules = rules_for(store.oxigraph, view_of(store))
    assert len(rules) > 100
    read_whole = set().union(*(reach.global_predicates() for _, reach in rules))
    assert read_whole == {SUBCLASS_OF, f"{CITY}divisionCode"}


def test_a_uniqueness_rule_reaches_the_other_holders_of_the_value(store: EmbeddedStore) -> None:
    unique = next(
        rule for rule, _ in rules_for(store.oxigraph, view_of(store)) if "unique" in rule.shape
    )
    reach = reach_of(unique.query)
    other = next(s for s in reach.steps if s.subject != THIS and "citizenId" in s.predicate)
    paths = reach.paths_to_this(other.object, other)  # from ?value, not along ?other's step
    assert [[(hop.step.predicate, hop.forward) for hop in path] for path in paths] == [
        [(f"{CITY}citizenId", False)]
    ]


# --- writes, each held to a whole validation ----------------------------------------------------


def test_a_citizen_id_given_to_a_second_person_concerns_both(store: EmbeddedStore) -> None:
    before = whole(store)
    first, second = read_quads(store, "citizenId")[:2]
    taken = ox.Quad(second.subject, second.predicate, first.object, second.graph_name)
    checked = same_as_whole(store, [second], [taken], before)
    assert {first.subject, second.subject} <= set(checked.focus)
    unique = [f for f in checked.new() if f.shape.endswith("NaturalPerson-citizenId-unique")]
    assert {f.focus for f in unique} == {first.subject.value, second.subject.value}


def test_an_operator_losing_its_type_concerns_the_facilities_it_runs(
    store: EmbeddedStore,
) -> None:
    before = whole(store)
    operated = read_quads(store, "operator")
    entity = operated[0].object
    kinds = [
        q
        for q in store.oxigraph.quads_for_pattern(entity, ox.NamedNode(RDF_TYPE), None)
        if view_of(store).reads(q)
    ]
    checked = same_as_whole(store, kinds, [], before)
    facilities = {q.subject for q in operated if q.object == entity}
    assert facilities <= set(checked.focus)
    assert "Facility-operator" in shapes_of(checked.new())


def test_a_note_no_rule_reads_concerns_no_node(store: EmbeddedStore) -> None:
    person = read_quads(store, "personName")[0]
    note = ox.Quad(person.subject, ox.NamedNode(COMMENT), ox.Literal("x"), person.graph_name)
    checked = check_locally(store.oxigraph, view_of(store), [], [note])
    assert checked.focus == [] and checked.new() == []


@pytest.mark.parametrize("max_focus", [local.MAX_FOCUS, 4], ids=["shared", "apart"])
def test_random_writes_find_what_a_whole_validation_finds(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch, max_focus: int
) -> None:
    """Removals, new objects for existing subjects and predicates, and changed literals, in
    writes of one to three changes, on every kind of record of the city. With a small
    MAX_FOCUS, a rule reaching more nodes runs apart (and writes past it on the shared nodes
    are validated whole, not checked here)."""
    monkeypatch.setattr(local, "MAX_FOCUS", max_focus)
    rng = random.Random(7)
    before = whole(store)
    view = view_of(store)
    left_whole = {SUBCLASS_OF}
    data = sorted(
        (
            q
            for q in store.oxigraph
            if view.reads(q)
            and q.graph_name != ox.NamedNode(ONTOLOGY_GRAPH)
            and q.predicate.value not in left_whole
        ),
        key=str,
    )
    objects: dict[str, list[ox.Quad]] = {}
    for quad in data:
        objects.setdefault(quad.predicate.value, []).append(quad)
    checked = new = apart = 0
    for _ in range(60):
        removed: list[ox.Quad] = []
        added: list[ox.Quad] = []
        for _ in range(rng.randint(1, 3)):
            quad = rng.choice(data)
            kind = rng.choice(("remove", "other object", "literal", "any object"))
            if kind == "remove":
                removed.append(quad)
                continue
            if kind == "other object":
                obj = rng.choice(objects[quad.predicate.value]).object
            elif kind == "literal" and isinstance(quad.object, ox.Literal):
                obj = ox.Literal(quad.object.value[:-1] + "9", datatype=quad.object.datatype)
            else:
                obj = rng.choice(data).object
            added.append(ox.Quad(quad.subject, quad.predicate, obj, quad.graph_name))
            if rng.random() < 0.5:
                removed.append(quad)
        added = [q for q in added if q not in store.oxigraph]
        try:
            result = same_as_whole(store, removed, added, before)
        except WholeNeeded:
            continue
        checked += bool(result.focus)
        new += bool(result.new())
        apart += bool(result.apart)
    assert checked >= 50 and new >= 10  # the writes touched checked nodes, many broke a rule
    assert apart >= 3 if max_focus < 10 else apart == 0


# --- what is left to the whole validation -------------------------------------------------------


def test_a_change_of_the_ontology_is_validated_whole(store: EmbeddedStore) -> None:
    label = ox.Quad(
        ox.NamedNode(f"{CITY}NaturalPerson"),
        ox.NamedNode(COMMENT),
        ox.Literal("x"),
        ox.NamedNode(ONTOLOGY_GRAPH),
    )
    with pytest.raises(WholeNeeded, match="ontology"):
        check_locally(store.oxigraph, view_of(store), [], [label])


COUNTY_RULES = {
    f"{SHAPES}NaturalPerson-citizenId-county",
    f"{SHAPES}LegalEntity-creditCode-division",
}


def holders_of_code(store: EmbeddedStore, code: str) -> set[ox.NamedNode]:
    """The people whose citizen ID, and the legal entities whose credit code, hold ``code``
    where the county rules read it."""
    ids = {q.subject for q in read_quads(store, "citizenId") if q.object.value[:6] == code}
    credit = {q.subject for q in read_quads(store, "creditCode") if q.object.value[2:8] == code}
    return ids | credit


def test_a_division_code_removed_is_followed_back_to_the_ids_that_hold_it(
    store: EmbeddedStore,
) -> None:
    """The county rules join a citizen ID or credit code to its division by a computed IRI:
    the store runs that computation over every ID and credit code and keeps those that lead to
    the changed division."""
    before = whole(store)
    codes = read_quads(store, "divisionCode")
    used = next(q for q in codes if q.object.value == "371302")  # 兰山区, where people live
    checked = same_as_whole(store, [used], [], before)
    assert checked.whole_rules == []
    holders = holders_of_code(store, "371302")
    assert len(holders) > 20 and holders <= set(checked.focus)
    assert not holders_of_code(store, "371311") & set(checked.focus)  # 罗庄区: another county
    assert {f.shape for f in checked.new()} >= COUNTY_RULES


def test_an_id_held_twice_leads_back_to_both_holders(store: EmbeddedStore) -> None:
    """The computation's quads are remembered per ID for the way back to ``$this``: an ID
    two people hold (in two graphs) leads back to both."""
    ids = read_quads(store, "citizenId")
    held = next(q for q in ids if q.object.value[:6] == "371302")
    other = next(q for q in ids if q.object.value[:6] != "371302")
    twice = ox.Quad(other.subject, held.predicate, held.object, ox.NamedNode("urn:test:copy"))
    store.oxigraph.add(twice)
    try:
        before = whole(store)
        used = next(q for q in read_quads(store, "divisionCode") if q.object.value == "371302")
        checked = same_as_whole(store, [used], [], before)
        county = next(k for k in checked.checked if k[0].endswith("citizenId-county"))
        assert {held.subject, other.subject} <= set(checked.checked[county])
    finally:
        store.oxigraph.remove(twice)


def test_an_id_written_with_the_code_it_names_is_followed_back(store: EmbeddedStore) -> None:
    """A write that gives a person an ID of a county and removes that county's code: the
    computation runs over the IDs the write adds too."""
    before = whole(store)
    person = next(q for q in read_quads(store, "citizenId") if q.object.value[:6] != "371302")
    held = next(q for q in read_quads(store, "citizenId") if q.object.value[:6] == "371302")
    given = ox.Quad(person.subject, person.predicate, held.object, person.graph_name)
    used = next(q for q in read_quads(store, "divisionCode") if q.object.value == "371302")
    checked = same_as_whole(store, [person, used], [given], before)
    county = next(k for k in checked.checked if k[0].endswith("citizenId-county"))
    assert {person.subject, held.subject} <= set(checked.checked[county])


def test_a_new_village_code_concerns_no_id(store: EmbeddedStore) -> None:
    """An ID's first six characters name a county, never a village: a new village's code can
    change no finding of the county rules."""
    before = whole(store)
    village = ox.NamedNode("https://w3id.org/sckm/id/division/371302999999")
    graph = read_quads(store, "divisionCode")[0].graph_name
    code = ox.Quad(village, ox.NamedNode(f"{CITY}divisionCode"), ox.Literal("371302999999"), graph)
    checked = same_as_whole(store, [], [code], before)
    assert checked.whole_rules == []
    assert not holders_of_code(store, "371302") & set(checked.focus)


def test_an_id_the_computation_fails_on_is_concerned_by_any_division_code(
    store: EmbeddedStore,
) -> None:
    """An ID that is not a string leaves the computed division unbound, which matches any
    division: such a holder is among the nodes a division code concerns."""
    person = read_quads(store, "citizenId")[0]
    odd = ox.Quad(
        person.subject,
        person.predicate,
        ox.Literal("371302", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        person.graph_name,
    )
    store.oxigraph.remove(person)
    store.oxigraph.add(odd)
    try:
        before = whole(store)
        codes = read_quads(store, "divisionCode")
        other = next(q for q in codes if q.object.value == "371311")
        checked = same_as_whole(store, [other], [], before)
        assert person.subject in checked.focus
        assert not holders_of_code(store, "371302") - {person.subject} & set(checked.focus)
    finally:
        store.oxigraph.remove(odd)
        store.oxigraph.add(person)


def test_a_division_code_held_by_too_many_ids_runs_the_county_rules_over_the_city(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = whole(store)
    monkeypatch.setattr(local, "MAX_COMPUTED", 10)
    used = next(q for q in read_quads(store, "divisionCode") if q.object.value == "371302")
    checked = same_as_whole(store, [used], [], before)
    people = {q.subject for q in read_quads(store, "citizenId") if q.object.value[:6] == "371302"}
    assert len(people) > 10
    assert f"{SHAPES}NaturalPerson-citizenId-county" in {s for s, _ in checked.whole_rules}
    assert not people <= set(checked.focus)  # the rule ran over everyone instead


def test_a_values_block_restricts_the_steps_joined_with_it() -> None:
    """The class of a target (``VALUES ?_type { … } ?this a ?_type``) restricts what a write's
    copy reads of the types of the focus nodes; a block that does not cover every step reading
    its variable restricts nothing."""
    joined = reach_of("SELECT ?this WHERE { VALUES ?t { <urn:C> <urn:D> } ?this a ?t }")
    assert joined.values == {Variable("t"): {URIRef("urn:C"), URIRef("urn:D")}}
    elsewhere = "SELECT ?this WHERE { { VALUES ?t { <urn:C> } ?this a ?t } ?x <urn:p> ?t }"
    assert reach_of(elsewhere).values == {}
    optional = "SELECT ?this WHERE { VALUES ?t { <urn:C> } OPTIONAL { ?this a ?t } }"
    assert reach_of(optional).values == {}
    undefined = "SELECT ?this WHERE { VALUES ?t { <urn:C> UNDEF } ?this a ?t }"
    assert reach_of(undefined).values == {}
    for twice in (  # the same pattern again, outside the block's group: it reads every type
        "SELECT ?this WHERE { { VALUES ?t { <urn:C> } ?this a ?t } UNION { ?this a ?t } }",
        "SELECT ?this WHERE { { VALUES ?t { <urn:C> } ?this a ?t } "
        "{ SELECT ?this WHERE { ?this a ?t } } }",
    ):
        assert reach_of(twice).values == {}


def test_a_write_copies_only_the_types_a_rule_targets(store: EmbeddedStore) -> None:
    """A person's name changed: the copy the name rule reads holds the person's
    ``city:NaturalPerson`` type, not the types the person has besides."""
    name = read_quads(store, "personName")[0]
    other = ox.Quad(
        name.subject, ox.NamedNode(RDF_TYPE), ox.NamedNode("urn:test:Other"), name.graph_name
    )
    store.oxigraph.add(other)
    try:
        before = whole(store)
        renamed = ox.Quad(name.subject, name.predicate, ox.Literal("另名"), name.graph_name)
        checked = same_as_whole(store, [name], [renamed], before)
        copied = set(
            checked.after_data.oxigraph.quads_for_pattern(
                name.subject, ox.NamedNode(RDF_TYPE), None
            )
        )
        assert ox.NamedNode(f"{CITY}NaturalPerson") in {q.object for q in copied}
        assert ox.NamedNode("urn:test:Other") not in {q.object for q in copied}
    finally:
        store.oxigraph.remove(other)


def test_a_computation_from_an_optional_value_is_not_followed() -> None:
    """Where the computation's input may be unbound, the computed end matches any term: no
    set of values leads back to the focus nodes it concerns."""
    template = """SELECT ?this WHERE {{
        ?this a <urn:C> . {pattern}
        BIND (IRI(CONCAT("urn:division:", SUBSTR(STR(?value), 1, 6))) AS ?division)
        FILTER NOT EXISTS {{ ?division <urn:code> ?known }} }}"""
    required = reach_of(template.format(pattern="?this <urn:id> ?value ."))
    assert required.followable() == {"urn:code"}
    origin = required.origin(Variable("division"))
    assert origin is not None and origin.source == Variable("value")
    assert [d.target for d in origin.chain] == [Variable("division")]
    optional = reach_of(template.format(pattern="OPTIONAL { ?this <urn:id> ?value }"))
    assert optional.global_predicates() == {"urn:code"} and optional.followable() == set()
    hidden = "{ SELECT ?this WHERE { ?this <urn:id> ?value } }"  # ?value not projected
    assert reach_of(template.format(pattern=hidden)).followable() == set()
    shown = "{ SELECT ?this ?value WHERE { ?this <urn:id> ?value } }"
    assert reach_of(template.format(pattern=shown)).followable() == {"urn:code"}


def rule_of(checked: LocalCheck, shape: str) -> tuple[str, str]:
    return next(key for key in checked.checked if key[0] == f"{SHAPES}{shape}")


def test_a_rule_reaching_many_nodes_runs_apart_on_its_own(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_FOCUS nodes for one rule (here: a county's code, held by the IDs of everyone
    registered there), that rule runs apart, on a copy of what it reads about them."""
    before = whole(store)
    monkeypatch.setattr(local, "MAX_FOCUS", 10)
    used = next(q for q in read_quads(store, "divisionCode") if q.object.value == "371302")
    checked = same_as_whole(store, [used], [], before)
    people = {q.subject for q in read_quads(store, "citizenId") if q.object.value[:6] == "371302"}
    county = rule_of(checked, "NaturalPerson-citizenId-county")
    assert len(people) > 10 and set(checked.checked[county]) == people
    assert checked.apart >= 1 and checked.whole_rules == []
    assert {f.shape for f in checked.new()} >= COUNTY_RULES


def test_each_rule_is_checked_on_the_nodes_it_reaches(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write reaching a person through one rule and many people through another checks each
    rule on its own nodes: the county rule's finding about the renamed person (an unknown
    county code) is neither checked nor changed."""
    person = next(q for q in read_quads(store, "citizenId") if q.object.value[:6] != "371302")
    unknown = ox.Quad(
        person.subject,
        person.predicate,
        ox.Literal("999999" + person.object.value[6:]),
        person.graph_name,
    )
    store.oxigraph.remove(person)
    store.oxigraph.add(unknown)
    try:
        before = whole(store)
        flagged = [
            f
            for f in before
            if f.focus == person.subject.value and f.shape.endswith("citizenId-county")
        ]
        assert flagged
        used = next(q for q in read_quads(store, "divisionCode") if q.object.value == "371302")
        name = next(q for q in read_quads(store, "personName") if q.subject == person.subject)
        renamed = ox.Quad(name.subject, name.predicate, ox.Literal("另名"), name.graph_name)
        for max_focus in (local.MAX_FOCUS, 10):  # the county rule with the others, and apart
            monkeypatch.setattr(local, "MAX_FOCUS", max_focus)
            checked = same_as_whole(store, [used, name], [renamed], before)
            assert person.subject in checked.checked[rule_of(checked, "NaturalPerson-personName")]
            county = rule_of(checked, "NaturalPerson-citizenId-county")
            assert person.subject not in checked.checked[county]
            assert not any(checked.concerns(f) for f in flagged)
            assert bool(checked.apart) == (max_focus == 10)
    finally:
        store.oxigraph.remove(unknown)
        store.oxigraph.add(person)


def test_a_write_reaching_too_many_nodes_of_one_rule_is_validated_whole(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = read_quads(store, "citizenId")[:2]
    taken = ox.Quad(second.subject, second.predicate, first.object, second.graph_name)
    monkeypatch.setattr(local, "MAX_FOCUS", 1)  # the uniqueness rule reaches both holders
    monkeypatch.setattr(local, "MAX_APART", 1)
    with pytest.raises(WholeNeeded, match="more than 1 focus nodes of one rule"):
        check_locally(store.oxigraph, view_of(store), [], [taken])


def test_a_write_concerning_too_many_shared_nodes_is_validated_whole(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two notes, on a person and on a legal entity: each rule reaches one node, the two
    together are past MAX_FOCUS."""
    person = read_quads(store, "personName")[0]
    entity = read_quads(store, "legalName")[0]
    names = [
        ox.Quad(person.subject, person.predicate, ox.Literal("甲"), person.graph_name),
        ox.Quad(entity.subject, entity.predicate, ox.Literal("乙"), entity.graph_name),
    ]
    monkeypatch.setattr(local, "MAX_FOCUS", 1)
    with pytest.raises(WholeNeeded, match=r"more than 1 focus nodes$"):
        check_locally(store.oxigraph, view_of(store), [], names)


# --- a writable service prepares the rules ------------------------------------------------------


def test_the_rules_are_prepared_in_the_background(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local, "_RULES", {})
    prepare(store, DERIVED_GRAPHS).join(timeout=120)
    assert [len(rules) for rules in local._RULES.values()] == [
        len(rules_for(store.oxigraph, view_of(store)))
    ]


@pytest.mark.parametrize(
    ("env", "prepared"),
    [
        ({"KGSERVICE_WRITE_TOKEN": "w"}, True),
        ({"KGSERVICE_WRITE_TOKEN": "w", "KGSERVICE_VALIDATE_WRITES": "none"}, False),
        ({}, False),
    ],
)
def test_a_service_that_validates_writes_prepares_the_rules(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch, env: dict, prepared: bool
) -> None:
    import kgservice.web.app as web_app

    calls: list[object] = []
    monkeypatch.setattr(web_app, "prepare_write_validation", lambda s, d: calls.append(s))
    settings = load_settings({"KGSERVICE_REASONING": "off", "KGSERVICE_AUDIT_LOG": "off", **env})
    create_app(settings, store)
    assert calls == ([store] if prepared else [])


def test_a_bulk_write_is_validated_whole(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = read_quads(store, "personName")[:3]
    monkeypatch.setattr(local, "MAX_CHANGES", 2)
    with pytest.raises(WholeNeeded, match="changes more than 2 quads"):
        check_locally(store.oxigraph, view_of(store), names, [])
    assert check_locally(store.oxigraph, view_of(store), names[:2], []).focus
