"""The model says what the standards say: the 27 SCCM concepts, their hierarchy and relations,
and a city module whose classes sit under core concepts. Expected values are written out here
from the standards notes, not read back from the ontology."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

from kgservice.namespaces import CITY, SCCM, TERM

SCCM_CONCEPTS = [
    "Item",
    "Abstract",
    "Object",
    "Building",
    "Agent",
    "Person",
    "Organization",
    "Community",
    "Collection",
    "Function",
    "Resource",
    "Place",
    "Event",
    "Observation",
    "State",
    "Target",
    "Assumption",
    "Metric",
    "Objective",
    "Plan",
    "Method",
    "Service",
    "Rule",
    "Agreement",
    "Decision",
    "Case",
    "Account",
]

HIERARCHY = [  # (sub, super) per ISO/IEC 30182 / PAS 182, standards notes §2.3
    ("Building", "Object"),
    ("Object", "Item"),
    ("Person", "Agent"),
    ("Organization", "Agent"),
    ("Agent", "Item"),
    ("Community", "Item"),
    ("Abstract", "Item"),
    ("Collection", "Abstract"),
    ("Function", "Collection"),
    ("Observation", "Event"),
    ("Target", "State"),
    ("Assumption", "State"),
    ("Resource", "Item"),
    ("Service", "Abstract"),
    ("Case", "Abstract"),
    ("Decision", "Abstract"),
    ("Agreement", "Abstract"),
    ("Account", "Abstract"),
]

RELATIONS = [  # (property, inverse, a domain class, a range class) from standards notes §2.4
    ("has", "of", "Agent", "Object"),
    ("hasAgreement", "agreementWith", "Agent", "Agreement"),
    ("hasObjective", "objectiveOf", "Agent", "Objective"),
    ("hasPlan", "planOf", "Agent", "Plan"),
    ("hasResource", "resourceOf", "Agent", "Resource"),
    ("takesDecision", "decisionTakenBy", "Agent", "Decision"),
    ("uses", "usedBy", "Agent", "Item"),
    ("makesAssumption", "assumptionMadeBy", "Agent", "Assumption"),
    ("definesCollection", "collectionDefinedBy", "Agent", "Collection"),
    ("owns", "ownedBy", "Agent", "Account"),
    ("provides", "providedBy", "Agent", "Service"),
    ("responsibleFor", "responsibilityOf", "Agent", "Service"),
    ("containedIn", "contains", "Place", "Place"),
    ("containedIn", "contains", "Service", "Function"),
    ("containedIn", "contains", "Event", "Case"),
    ("influencedBy", "influences", "Service", "Objective"),
    ("influencedBy", "influences", "Objective", "Assumption"),
    ("serviceImplementsMethod", "methodImplementedIn", "Service", "Method"),
    ("subjectOf", "appliesTo", "Service", "Agreement"),
    ("raises", "raisedFrom", "Service", "Case"),
    ("usesResource", "resourceFor", "Service", "Resource"),
    ("hasRule", "ruleFor", "Service", "Rule"),
    ("atPlace", "placeOf", "Event", "Place"),
    ("atPlace", "placeOf", "Item", "Place"),
    ("hasOutcome", "outcomeOf", "Event", "State"),
    ("hasOutcome", "outcomeOf", "Event", "Decision"),
    ("hasRoleFrom", "hasRoleIn", "Case", "Item"),
    ("eventPlannedIn", "planForEvent", "Event", "Plan"),
    ("hasState", "stateOf", "Place", "State"),
    ("records", "isRecordedBy", "Observation", "State"),
    ("caseHasPlan", "planForCase", "Case", "Plan"),
    ("objectiveHasTarget", "targetOfObjective", "Objective", "Target"),
    ("hasTarget", "targetOf", "Plan", "Target"),
    ("planDerivedFromMethod", "methodForPlan", "Plan", "Method"),
    ("hasMember", "memberOf", "Organization", "Person"),
    ("collectionContains", "inCollection", "Collection", "Item"),
]


def members(graph: Graph, node: object) -> set[object]:
    """A class expression's named classes: itself, or the members of its owl:unionOf."""
    union = graph.value(node, OWL.unionOf)
    return set(Collection(graph, union)) if union is not None else {node}


def test_core_has_exactly_the_27_concepts(model: Graph) -> None:
    core = {c for c in model.subjects(RDF.type, OWL.Class) if str(c).startswith(str(SCCM))}
    assert core == {SCCM[c] for c in SCCM_CONCEPTS}


@pytest.mark.parametrize(("sub", "sup"), HIERARCHY)
def test_hierarchy(model: Graph, sub: str, sup: str) -> None:
    assert (SCCM[sub], RDFS.subClassOf, SCCM[sup]) in model


def test_agent_is_person_or_organization(model: Graph) -> None:
    union = next(model.objects(SCCM.Agent, OWL.equivalentClass))
    assert members(model, union) == {SCCM.Person, SCCM.Organization}


def test_safe_disjointness(model: Graph) -> None:
    assert (SCCM.Person, OWL.disjointWith, SCCM.Organization) in model
    assert (SCCM.Object, OWL.disjointWith, SCCM.Abstract) in model


@pytest.mark.parametrize(("prop", "inverse", "domain", "range_"), RELATIONS)
def test_relation(model: Graph, prop: str, inverse: str, domain: str, range_: str) -> None:
    assert (SCCM[prop], RDF.type, OWL.ObjectProperty) in model
    assert (SCCM[prop], OWL.inverseOf, SCCM[inverse]) in model
    assert (SCCM[inverse], OWL.inverseOf, SCCM[prop]) in model
    assert SCCM[domain] in members(model, model.value(SCCM[prop], RDFS.domain))
    assert SCCM[range_] in members(model, model.value(SCCM[prop], RDFS.range))
    assert SCCM[range_] in members(model, model.value(SCCM[inverse], RDFS.domain))


def test_place_containment_is_transitive(model: Graph) -> None:
    assert (SCCM.containedIn, RDF.type, OWL.TransitiveProperty) in model
    assert (CITY.parentDivision, RDFS.subPropertyOf, SCCM.containedIn) in model


@pytest.mark.parametrize(
    ("city_class", "core_class"),
    [
        ("NaturalPerson", SCCM.Person),
        ("LegalEntity", SCCM.Organization),
        ("AdministrativeDivision", SCCM.Place),
        ("Address", SCCM.Place),
        ("Facility", SCCM.Object),
        ("SensorObservation", SCCM.Observation),
    ],
)
def test_city_classes_sit_under_core(model: Graph, city_class: str, core_class: URIRef) -> None:
    assert (CITY[city_class], RDFS.subClassOf, core_class) in model


def test_division_levels(model: Graph) -> None:
    levels = {"Province", "Prefecture", "County", "Township", "Village"}
    assert {s for s in model.subjects(RDFS.subClassOf, CITY.AdministrativeDivision)} == {
        CITY[level] for level in levels
    }


def test_personal_data_is_marked(model: Graph) -> None:
    marked = set(model.subjects(CITY.personalData, Literal(True)))
    assert marked == {CITY.citizenId, CITY.personName, CITY.phone, CITY.addressText}


def test_dates_use_xsd_date(model: Graph) -> None:
    assert model.value(CITY.birthDate, RDFS.range) == XSD.date
    assert (XSD.date, RDF.type, RDFS.Datatype) in model  # declared, as OWL 2 DL requires


GBT37043_CLAUSES = [
    "2.1.1",
    "2.1.5",
    "2.1.6",
    "2.1.7",
    "2.4.1",
    "2.5.1",
    "2.5.2",
    "2.5.3",
    "2.5.4",
    "2.5.8",
]


def test_gbt37043_terms(model: Graph) -> None:
    scheme = TERM["gbt37043"]
    notations = {str(model.value(c, SKOS.notation)) for c in model.subjects(SKOS.inScheme, scheme)}
    assert notations == set(GBT37043_CLAUSES)


def test_smart_city_definition_is_verbatim(model: Graph) -> None:
    definition = model.value(TERM["gbt37043-2.1.1"], SKOS.definition, any=True)
    zh = {
        str(d) for d in model.objects(TERM["gbt37043-2.1.1"], SKOS.definition) if d.language == "zh"
    }
    assert definition is not None
    assert zh == {
        "运用信息通信技术，有效整合各类城市管理系统，实现城市各系统间信息资源共享和业务协同，"
        "推动城市管理和公共服务智慧化，提升城市运行管理和公共服务水平，提高城市居民幸福感和满意度，"
        "实现可持续发展的一种创新型城市。"
    }


def test_infrastructure_term_names_its_class(model: Graph) -> None:
    assert (TERM["gbt37043-2.4.1"], SKOS.exactMatch, CITY.SmartCityInfrastructure) in model
