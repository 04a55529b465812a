"""Personal data: masking rules, the personal graphs, and a loaded city whose public graphs hold no
raw personal value (docs/data-model.md §6)."""

from __future__ import annotations

import csv
import doctest
import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

import kgservice.loading
import kgservice.privacy
from kgservice.errors import InputError
from kgservice.iri import person_iri
from kgservice.loading import load_sources
from kgservice.namespaces import CITY
from kgservice.privacy import (
    PERSONAL_GRAPH_PROPERTY,
    is_personal_graph,
    mask_address,
    mask_citizen_id,
    mask_literal,
    mask_name,
    mask_phone,
    personal_graph,
    personal_properties,
    split_personal,
    unmasked_quads,
)
from kgservice.store.base import QueryDataset, StoreRefused
from kgservice.store.embedded import EmbeddedStore, open_embedded
from tests.cities import city_sources

GRAPH = "https://w3id.org/sckm/graph/"
POPULATION, LEGAL = GRAPH + "population", GRAPH + "legal-entities"
CITIZEN_ID, NAME, PHONE, ADDRESS = (
    str(CITY.citizenId),
    str(CITY.personName),
    str(CITY.phone),
    str(CITY.addressText),
)
XSD_STRING = ox.NamedNode(str(XSD.string))

# ------------------------------------------------------------------------------------ masking


def test_the_documented_examples_hold() -> None:
    failures, tried = doctest.testmod(kgservice.privacy, optionflags=doctest.ELLIPSIS)
    assert tried > 15 and failures == 0


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("371302199001011234", "3713**************"),
        ("37130219900101123X", "3713**************"),
        ("371302900101123", "3713***********"),  # 15-digit ID of GB 11643-1989
        ("3713021990010112345", "3713***************"),  # 19: too long, same head
        ("3713021990", "3713******"),  # 10: at least 4 masked and a third
        ("12345", "1****"),
        ("1234", "****"),
        ("1", "*"),
        ("", ""),
        (" 371302199001011234 ", "3713**************"),
    ],
)
def test_citizen_id(value: str, masked: str) -> None:
    assert mask_citizen_id(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("张三", "张*"),
        ("王小明", "王**"),
        ("欧阳娜娜", "欧***"),  # compound surname: first character only
        ("买买提·艾力", "买*****"),
        ("John Smith", "J*********"),
        ("Li", "L*"),
        ("张", "*"),
        ("", ""),
        ("𠀀二", "𠀀*"),  # a character outside the BMP counts as one
    ],
)
def test_name(value: str, masked: str) -> None:
    assert mask_name(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),
        ("0539-8123456", "053*****3456"),
        ("05398123456", "053****3456"),
        ("+8613812345678", "+86*******5678"),
        ("8123456", "81****6"),
        ("12345678", "12****78"),
        ("110", "***"),
        ("", ""),
    ],
)
def test_phone(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("山东省临沂市兰山区银雀山街道沂蒙路123号", "山东省临沂市兰山区****"),
        ("银雀山街道沂蒙路123号", "银雀山街道****"),
        ("筵宾镇滨河路778号", "筵宾镇****"),
        ("朱保乡前村12号", "朱保乡****"),
        ("沂水县城关路1号", "沂水县****"),
        ("阳光小区3号楼2单元", "阳光小区3****"),  # 小区 is not a division: half of 10 kept
        ("临沂市兰山区", "临沂市****"),  # 区 at the end: nothing after it, fall back
        ("临沂市沂蒙路一百二十三号院", "临沂市沂蒙路****"),
        ("沂蒙路5号", "沂蒙****"),
        ("5号", "5****"),
        ("号", "****"),
        ("", ""),
    ],
)
def test_address(value: str, masked: str) -> None:
    assert mask_address(value) == masked


def test_masking_is_deterministic() -> None:
    for mask, value in (
        (mask_citizen_id, "371302199001011234"),
        (mask_name, "欧阳娜娜"),
        (mask_phone, "13812345678"),
        (mask_address, "筵宾镇滨河路778号"),
    ):
        assert mask(value) == mask(value)


def test_mask_literal_keeps_language_and_string_datatypes() -> None:
    tagged = mask_literal(NAME, ox.Literal("张三", language="zh"))
    assert (tagged.value, tagged.language) == ("张*", "zh")
    plain = mask_literal(ox.NamedNode(PHONE), ox.Literal("13812345678"))
    assert (plain.value, plain.datatype) == ("138****5678", XSD_STRING)
    token = ox.NamedNode(str(XSD.token))
    assert mask_literal(PHONE, ox.Literal("13812345678", datatype=token)).datatype == token
    number = ox.Literal("13812345678", datatype=ox.NamedNode(str(XSD.integer)))
    assert mask_literal(PHONE, number) == ox.Literal("138****5678")  # no longer a number


def test_an_unknown_personal_property_is_masked_entirely() -> None:
    masked = mask_literal("https://w3id.org/sckm/city/email", ox.Literal("a@example.org"))
    assert masked == ox.Literal("****")
    assert mask_literal("https://example.org/p", ox.Literal("", language="en")).value == "****"


# ------------------------------------------------------------------------ properties, graphs


def test_personal_properties_are_read_from_the_ontology() -> None:
    assert personal_properties() == {CITIZEN_ID, NAME, PHONE, ADDRESS}
    model = Graph()
    model.add((URIRef("https://example.org/p"), CITY.personalData, Literal(True)))
    model.add((URIRef("https://example.org/q"), CITY.personalData, Literal(False)))
    model.add((URIRef("https://example.org/r"), CITY.personalData, Literal("true")))
    assert personal_properties(model) == {"https://example.org/p"}


def test_personal_graph_names() -> None:
    assert personal_graph(POPULATION) == POPULATION + "/personal"
    assert is_personal_graph(POPULATION + "/personal")
    assert is_personal_graph(ox.NamedNode(LEGAL + "/personal"))
    for public in (
        POPULATION,
        GRAPH + "personal",
        GRAPH + "catalog",
        "https://example.org/a/personal",
    ):
        assert not is_personal_graph(public)
    for not_a_source in (GRAPH, POPULATION + "/personal", "https://example.org/g"):
        with pytest.raises(ValueError):
            personal_graph(not_a_source)


def test_split_personal() -> None:
    person, other = ox.NamedNode("https://w3id.org/sckm/id/person/x"), ox.NamedNode("urn:x:o")
    triples = [
        ox.Triple(person, ox.NamedNode(CITIZEN_ID), ox.Literal("371302199001011234")),
        ox.Triple(person, ox.NamedNode(NAME), ox.Literal("张三")),
        ox.Triple(person, ox.NamedNode(NAME), ox.Literal("张四")),  # same mask as 张三
        ox.Triple(person, ox.NamedNode(str(CITY.birthDate)), ox.Literal("1990-01-01")),
        ox.Triple(person, ox.NamedNode("urn:x:personal-link"), other),
    ]
    public, personal = split_personal(triples, {CITIZEN_ID, NAME, "urn:x:personal-link"})
    assert personal == [triples[0], triples[1], triples[2], triples[4]]
    assert public == [
        ox.Triple(person, ox.NamedNode(CITIZEN_ID), ox.Literal("3713**************")),
        ox.Triple(person, ox.NamedNode(NAME), ox.Literal("张*")),
        triples[3],
    ]
    assert split_personal(triples[3:4], set()) == (triples[3:4], [])


# ---------------------------------------------------------------------------- a loaded city


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return city_sources(tmp_path_factory, people=150, seed=21, bad_share=0.02)


def loaded(folder: Path) -> EmbeddedStore:
    store = open_embedded(None)
    load_sources(store, [folder])
    return store


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def raw_values(city: Path) -> dict[str, set[str]]:
    """The personal values of the generated registers, by property."""
    people, entities = rows(city / "population.csv"), rows(city / "legal_entities.csv")
    values = {
        CITIZEN_ID: {p["citizen_id"] for p in people}
        | {e["legal_rep_citizen_id"] for e in entities},
        NAME: {p["name"] for p in people} | {e["legal_rep_name"] for e in entities},
        PHONE: {p["phone"] for p in people},
        ADDRESS: {e["address"] for e in entities},
    }
    return {prop: found - {""} for prop, found in values.items()}


def public_dataset(store: EmbeddedStore) -> QueryDataset:
    """Every graph but the personal ones (what the read side gives anonymous readers)."""
    public = [g for g in store.graph_names() if not is_personal_graph(g.value)]
    return QueryDataset([*public, ox.DefaultGraph()], public)


def strings(store: EmbeddedStore, dataset: QueryDataset) -> set[str]:
    """The text of every term (literal or IRI) of every triple in ``dataset``'s default graph."""
    query = """SELECT DISTINCT ?t WHERE {
        { ?t ?p ?o } UNION { ?s ?t ?o } UNION { ?s ?p ?t } FILTER(!isBlank(?t)) }"""
    return {row["t"].value for row in store.query(query, dataset)}


def test_each_source_with_personal_data_gets_a_personal_graph(city: Path) -> None:
    store = loaded(city)
    names = {g.value.removeprefix(GRAPH) for g in store.graph_names()}
    assert names == {
        "catalog",
        "divisions",
        "population",
        "population/personal",
        "legal-entities",
        "legal-entities/personal",
        "facilities",
    }
    catalog = {
        (row["d"].value.rsplit("/", 1)[1], row["g"].value)
        for row in store.select(
            f"SELECT ?d ?g WHERE {{ GRAPH <{GRAPH}catalog> "
            f"{{ ?d <{PERSONAL_GRAPH_PROPERTY}> ?g }} }}"
        )
    }
    assert catalog == {
        ("population", POPULATION + "/personal"),
        ("legal-entities", LEGAL + "/personal"),
    }


def test_public_graphs_hold_no_raw_personal_value(city: Path) -> None:
    store = loaded(city)
    values = raw_values(city)
    public = strings(store, public_dataset(store))
    text = "\n".join(public)
    for number in values[CITIZEN_ID] | values[PHONE]:  # digits: not even inside another value
        assert number not in text
    for value in values[NAME] | values[ADDRESS]:
        assert value not in public
    personal = [g for g in store.graph_names() if is_personal_graph(g.value)]
    in_personal = strings(store, QueryDataset(personal, personal))
    for found in values.values():
        assert found <= in_personal


def test_public_graphs_hold_the_masked_values(city: Path) -> None:
    store = loaded(city)
    public = set(store.triples(ox.NamedNode(POPULATION)))
    personal = set(store.triples(ox.NamedNode(POPULATION + "/personal")))
    for person in rows(city / "population.csv"):
        node = ox.NamedNode(str(person_iri(person["citizen_id"])))
        for prop, column, mask in (
            (CITIZEN_ID, "citizen_id", mask_citizen_id),
            (NAME, "name", mask_name),
            (PHONE, "phone", mask_phone),
        ):
            if not person[column]:
                continue
            raw = ox.Triple(node, ox.NamedNode(prop), ox.Literal(person[column]))
            assert raw in personal
            assert ox.Triple(raw.subject, raw.predicate, ox.Literal(mask(person[column]))) in public
    addresses = {
        t.object.value for t in store.triples(ox.NamedNode(LEGAL)) if t.predicate.value == ADDRESS
    }
    assert addresses == {mask_address(e["address"]) for e in rows(city / "legal_entities.csv")} - {
        ""
    }


def test_unmasked_quads_give_back_the_mapped_data(city: Path) -> None:
    from kgservice.mapping.run import map_sources

    store = loaded(city)
    sources = map_sources([city])
    as_stored = ox.Store()  # the store writes some literals canonically (decimals)
    for source in sources:
        as_stored.extend(source.quads())
    mapped = {
        str(s.graph): set(as_stored.quads_for_pattern(None, None, None, ox.NamedNode(str(s.graph))))
        for s in sources
    }
    mapped = {graph: {q.triple for q in quads} for graph, quads in mapped.items()}
    by_graph: dict[str, set[ox.Triple]] = {}
    for quad in unmasked_quads(store.oxigraph):
        graph = quad.graph_name.value.removesuffix("/personal")
        by_graph.setdefault(graph, set()).add(quad.triple)
    for graph, triples in mapped.items():
        assert by_graph[graph] == triples


def test_validation_over_unmasked_quads_equals_the_manifest(
    city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The change kgservice/validation/run.py needs: copy a store without the masked copies."""
    import kgservice.validation.run as run

    on_disk = open_embedded(tmp_path / "store")
    load_sources(on_disk, [city])
    on_disk.close()

    def copy_store(path: Path, into: EmbeddedStore) -> None:
        if not path.is_dir():
            raise InputError(f"{path}: no store here")
        into.oxigraph.extend(unmasked_quads(ox.Store.read_only(str(path))))

    monkeypatch.setattr(run, "copy_store", copy_store)
    result = run.validate([], store_path=tmp_path / "store")
    found = {(str(f.focus), str(f.shape), str(f.component)) for f in result.findings}
    manifest = json.loads((city / "manifest.json").read_text(encoding="utf-8"))
    expected = {
        (f["focus"], f["shape"], f["component"])
        for record in manifest["bad_records"]
        for f in record["findings"]
    }
    assert expected and found == expected


# ------------------------------------------------------------------------------------ reloads


def edited(city: Path, folder: Path) -> tuple[Path, dict[str, str]]:
    """A copy of ``population.csv`` whose first person has another name and phone."""
    folder.mkdir()
    people = rows(city / "population.csv")
    before = dict(people[0])
    people[0]["name"], people[0]["phone"] = "司马光", "13900001111"
    with (folder / "population.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(people[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(people)
    return folder / "population.csv", before


def test_a_reload_replaces_both_graphs(city: Path, tmp_path: Path) -> None:
    store = loaded(city)
    path, before = edited(city, tmp_path / "edited")
    load_sources(store, [path])
    node = ox.NamedNode(str(person_iri(before["citizen_id"])))

    def values(graph: str) -> set[tuple[str, str]]:
        triples = store.triples(ox.NamedNode(graph))
        return {(t.predicate.value, t.object.value) for t in triples if t.subject == node}

    personal = {v for v in values(POPULATION + "/personal") if v[0] != CITIZEN_ID}
    public = {v for v in values(POPULATION) if v[0] in (NAME, PHONE)}
    assert personal == {(NAME, "司马光"), (PHONE, "13900001111")}
    assert public == {(NAME, "司**"), (PHONE, "139****1111")}


def test_a_source_without_personal_data_leaves_no_personal_graph(
    city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = loaded(city)
    stale = ox.Triple(ox.NamedNode("urn:x:s"), ox.NamedNode(NAME), ox.Literal("张三"))
    store.replace_graph(ox.NamedNode(GRAPH + "divisions/personal"), [stale])
    load_sources(store, [city / "divisions.csv"])
    assert not store.has_graph(ox.NamedNode(GRAPH + "divisions/personal"))

    # The ontology no longer marks anything personal: a reload keeps raw values public and
    # leaves no personal graph, nor a catalogue statement naming one.
    monkeypatch.setattr(kgservice.loading, "personal_properties", lambda: frozenset())
    load_sources(store, [city / "population.csv"])
    assert not store.has_graph(ox.NamedNode(POPULATION + "/personal"))
    catalog = (
        f"ASK {{{{ GRAPH <{GRAPH}catalog> {{{{ ?dataset <{PERSONAL_GRAPH_PROPERTY}> {{}} }}}} }}}}"
    )
    assert not store.ask(catalog.format(f"<{POPULATION}/personal>"))
    assert store.ask(catalog.format(f"<{LEGAL}/personal>"))  # legal entities: not reloaded


def test_a_failing_update_changes_nothing(
    city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The public graph, the personal graph and the catalogue entry are one transaction: an
    update that fails after all three were written leaves the store as it was."""
    store = loaded(city)
    before = set(store.oxigraph)
    path, _ = edited(city, tmp_path / "edited")
    catalog_update = kgservice.loading.catalog_update

    def failing(*args: object) -> str:  # CREATE of an existing graph fails at run time
        return catalog_update(*args) + f" ;\nCREATE GRAPH <{GRAPH}catalog>"

    monkeypatch.setattr(kgservice.loading, "catalog_update", failing)
    with pytest.raises(StoreRefused, match="already exists"):
        load_sources(store, [path])
    assert set(store.oxigraph) == before


def test_a_broken_source_loads_nothing(city: Path, tmp_path: Path) -> None:
    store = loaded(city)
    before = set(store.oxigraph)
    broken = tmp_path / "broken"
    shutil.copytree(city, broken)
    lines = (broken / "population.csv").read_text(encoding="utf-8").splitlines()
    fields = lines[3].split(",")
    fields[4] = "1980-13-45"  # birth_date
    lines[3] = ",".join(fields)
    (broken / "population.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"population\.csv:4"):
        load_sources(store, [broken / "legal_entities.csv", broken / "population.csv"])
    assert set(store.oxigraph) == before


# ---------------------------------------- public birth date and residence must not rebuild IDs


def test_the_public_view_does_not_give_citizen_ids_back(city: Path) -> None:
    store = loaded(city)
    query = f"""SELECT ?masked ?birth ?residence WHERE {{ ?person <{CITIZEN_ID}> ?masked ;
        <{CITY.birthDate}> ?birth ; <{CITY.residence}> ?residence }}"""
    guesses = {
        row["residence"].value.rsplit("/", 1)[1][:6]
        + row["birth"].value.replace("-", "")
        + row["masked"].value[-4:]
        for row in store.query(query, public_dataset(store))
    }
    assert not guesses & raw_values(city)[CITIZEN_ID]
