"""``/questions``: the catalogue as JSON and HTML, and answers with typed parameters."""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
import pytest

from kgservice.privacy import personal_graph
from kgservice.questions import example_query, load_catalog
from kgservice.settings import load_settings
from kgservice.store.embedded import open_embedded
from kgservice.web.app import create_app

CITY = "https://w3id.org/sckm/city/"
ID = "https://w3id.org/sckm/id/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
ENTITIES = "https://w3id.org/sckm/graph/legal-entities"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
READER = {"Authorization": "Bearer reader"}


def triple(s: str, p: str, o: ox.NamedNode | ox.Literal) -> ox.Triple:
    return ox.Triple(ox.NamedNode(s), ox.NamedNode(p), o)


@pytest.fixture
def client():
    """Person A represents three entities, person B one; names split as the loader does."""
    store = open_embedded(None)
    people = {"a": ("李建国", "李**"), "b": ("王芳", "王*")}
    public, personal = [], []
    represented = {"a": ["E1", "E2", "E3"], "b": ["E4"]}
    for key, entities in represented.items():
        person = f"{ID}person/{key}"
        raw, masked = people[key]
        public.append(triple(person, f"{CITY}personName", ox.Literal(masked)))
        personal.append(triple(person, f"{CITY}personName", ox.Literal(raw)))
        for code in entities:
            entity = f"{ID}entity/{code}"
            public.append(triple(entity, RDF_TYPE, ox.NamedNode(f"{CITY}LegalEntity")))
            public.append(triple(entity, f"{CITY}legalRepresentative", ox.NamedNode(person)))
    store.put_graph(ox.NamedNode(ENTITIES), public)
    store.put_graph(ox.NamedNode(personal_graph(ENTITIES)), personal)
    settings = load_settings({"KGSERVICE_PERSONAL_DATA_TOKEN": "reader"})
    return create_app(settings, store).test_client()


def rows(response) -> list[dict[str, str]]:
    bindings = json.loads(response.data)["results"]["bindings"]
    return [{name: value["value"] for name, value in row.items()} for row in bindings]


def test_the_catalogue_lists_every_question_with_its_example_query(client) -> None:
    response = client.get("/questions")
    assert response.status_code == 200 and response.content_type == "application/json"
    listed = response.json["questions"]
    catalog = load_catalog()
    assert [q["id"] for q in listed] == list(catalog)
    first = listed[0]
    question = catalog[first["id"]]
    assert first["example_query"] == example_query(question)
    assert first["title"] == question.title and set(first["title"]) == {"zh", "en"}
    assert first["url"].endswith(f"/questions/{question.id}")
    assert all(p["type"] and p["label"]["zh"] and p["label"]["en"] for p in first["parameters"])


def test_a_browser_gets_the_catalogue_page(client) -> None:
    response = client.get("/questions", headers={"Accept": BROWSER})
    assert response.content_type.startswith("text/html")
    page = response.data.decode("utf-8")
    for question in load_catalog().values():
        assert f'id="{question.id}"' in page and question.title["zh"] in page
    redirected = client.get("/questions/representatives-of-many", headers={"Accept": BROWSER})
    assert redirected.status_code == 303
    assert redirected.headers["Location"].endswith("/questions#representatives-of-many")


def test_parameters_are_bound_and_the_answer_follows_them(client) -> None:
    default = client.get("/questions/representatives-of-many")  # minimum 2
    assert [(r["person"], r["entities"]) for r in rows(default)] == [(f"{ID}person/a", "3")]
    one = client.get("/questions/representatives-of-many", query_string={"minimum": "1"})
    assert [(r["person"], r["entities"]) for r in rows(one)] == [
        (f"{ID}person/a", "3"),
        (f"{ID}person/b", "1"),
    ]
    assert rows(client.get("/questions/representatives-of-many?minimum=4")) == []


def test_answers_keep_personal_data_masked_for_anonymous_readers(client) -> None:
    anonymous = rows(client.get("/questions/representatives-of-many"))
    assert {r["name"] for r in anonymous} == {"李**"}
    privileged = rows(client.get("/questions/representatives-of-many", headers=READER))
    assert {r["name"] for r in privileged} == {"李**", "李建国"}


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
    ],
)
def test_answers_come_in_every_results_format(client, accept: str, content_type: str) -> None:
    response = client.get("/questions/representatives-of-many", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.content_type.startswith(content_type)
    assert b"person/a" in response.data


def test_the_format_parameter_is_not_a_question_parameter(client) -> None:
    response = client.get("/questions/representatives-of-many?format=csv&minimum=1")
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8"))))
    assert table[0][:3] == ["person", "name", "entities"] and len(table) == 3


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("minimum=many", 400, "parameter minimum (integer): 'many'"),
        ("minimum=0", 400, "parameter minimum (integer): '0': less than the minimum 1"),
        ("minimun=3", 400, "unknown parameter(s) minimun"),
        ("minimum=2%22%20}%20DROP%20ALL%20%23", 400, "parameter minimum (integer)"),
    ],
)
def test_bad_parameters_are_refused_naming_them(client, query, status, message) -> None:
    response = client.get(f"/questions/representatives-of-many?{query}")
    assert response.status_code == status
    assert message in response.data.decode("utf-8")


def test_an_empty_form_field_counts_as_not_given(client) -> None:
    assert rows(client.get("/questions/representatives-of-many?minimum=")) == rows(
        client.get("/questions/representatives-of-many")
    )


def test_unknown_question_and_unacceptable_format(client) -> None:
    missing = client.get("/questions/no-such-question")
    assert missing.status_code == 404 and b"GET /questions lists them" in missing.data
    refused = client.get("/questions/representatives-of-many", headers={"Accept": "image/png"})
    assert refused.status_code == 406


@pytest.mark.parametrize("question_id", list(load_catalog()))
def test_every_question_answers_through_the_service(city_client, question_id: str) -> None:
    response = city_client.get(f"/questions/{question_id}")
    assert response.status_code == 200, response.data
    assert response.content_type.startswith("application/sparql-results+json")


def test_question_urls_follow_the_public_url() -> None:
    settings = load_settings({"KGSERVICE_PUBLIC_URL": "https://city.example/kg/"})
    app = create_app(settings, open_embedded(None))
    listed = app.test_client().get("/questions").json["questions"]
    assert listed[0]["url"] == f"https://city.example/kg/questions/{listed[0]['id']}"
