"""``/void``, ``/catalog`` and ``/sckm/…``: negotiation, HTML pages, 404s, the JSON-LD context."""

from __future__ import annotations

import json
import types
from collections import Counter

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCAT

from kgservice.describe import to_rdflib
from kgservice.describe.void import SD, VOID
from kgservice.namespaces import CITY, SCCM
from kgservice.privacy import is_personal_graph
from kgservice.protocol.errors import NotAcceptable
from kgservice.protocol.formats import GRAPH_FORMATS, JSON_LD, RDF_XML, TURTLE, Format
from kgservice.settings import load_settings
from kgservice.web.describe_views import blueprints
from kgservice.web.errors import register_error_handlers
from kgservice.web.negotiate_html import HTML, negotiate_page
from tests.describe.city import PEOPLE, LoadedCity, loaded_city

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PUBLIC = "https://kg.example.org"


def make_app(city: LoadedCity, env: dict[str, str] | None = None) -> Flask:
    """A bare app with the describe blueprints, the store and settings where the lead's app
    factory puts them (``extensions["kgservice"]``)."""
    app = Flask("kgservice.web.app")
    app.extensions["kgservice"] = types.SimpleNamespace(
        store=city.store, settings=load_settings(env or {})
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    register_error_handlers(app)
    return app


@pytest.fixture(scope="module")
def city() -> LoadedCity:
    return loaded_city()


@pytest.fixture(scope="module")
def client(city: LoadedCity) -> FlaskClient:
    return make_app(city, {"KGSERVICE_PUBLIC_URL": PUBLIC}).test_client()


def parse(data: bytes, fmt: Format) -> Graph:
    return to_rdflib(quad.triple for quad in ox.parse(data, fmt.oxigraph))


def get(client: FlaskClient, path: str, accept: str | None = None, **headers: str):
    if accept is not None:
        headers["Accept"] = accept
    return client.get(path, headers=headers)


# --- negotiation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "param", "expected"),
    [
        (None, None, "text/turtle"),
        ("*/*", None, "text/turtle"),
        ("text/*", None, "text/turtle"),
        (BROWSER, None, HTML),
        ("text/html", None, HTML),
        ("application/xhtml+xml", None, HTML),
        ("text/html;q=0.5, text/turtle", None, "text/turtle"),
        ("text/html, application/ld+json", None, "application/ld+json"),  # a tie: RDF
        ("text/html;q=0.9, application/ld+json", None, "application/ld+json"),
        ("application/json", None, "application/ld+json"),
        ("application/rdf+xml", None, "application/rdf+xml"),
        (BROWSER, "ttl", "text/turtle"),
        ("text/turtle", "html", HTML),
        (None, "jsonld", "application/ld+json"),
    ],
)
def test_negotiate_page(accept: str | None, param: str | None, expected: str) -> None:
    choice = negotiate_page(accept, param)
    assert (choice if choice == HTML else choice.media_type) == expected


def test_negotiate_page_refuses_what_it_cannot_make() -> None:
    with pytest.raises(NotAcceptable) as refused:
        negotiate_page("image/png")
    assert "text/html" in refused.value.available
    assert "text/turtle" in refused.value.available
    with pytest.raises(NotAcceptable):
        negotiate_page(None, "pdf")


# --- /void -------------------------------------------------------------------------------------


def test_void_counts_what_an_anonymous_reader_can_query(client, city) -> None:
    response = get(client, "/void")
    assert response.status_code == 200
    assert response.content_type == "text/turtle"
    assert "Accept" in response.headers["Vary"]
    void = parse(response.data, TURTLE)
    dataset = URIRef(PUBLIC + "/void#dataset")
    per_graph = {
        str(void.value(s, SD.name)): int(void.value(s, VOID.triples))
        for s in void.objects(dataset, VOID.subset)
    }
    expected = Counter(
        q.graph_name.value for q in city.store.oxigraph if not is_personal_graph(q.graph_name.value)
    )
    assert per_graph == dict(expected)
    assert int(void.value(dataset, VOID.triples)) == sum(expected.values())


def test_void_in_every_graph_format(client) -> None:
    for fmt in GRAPH_FORMATS:
        response = get(client, f"/void?format={fmt.names[0]}")
        assert response.status_code == 200, fmt.label
        assert response.content_type == fmt.content_type
        assert (None, RDF.type, VOID.Dataset) in parse(response.data, fmt)
    assert get(client, "/void", "image/png").status_code == 406


# --- /catalog ----------------------------------------------------------------------------------


def test_catalog_for_a_browser_is_a_bilingual_page(client, city) -> None:
    response = get(client, "/catalog", BROWSER)
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    assert {"Accept", "Accept-Language"} <= set(response.vary)
    page = response.get_data(as_text=True)
    assert "目录服务" in page and "Catalogue service" in page
    assert "临沂市公安局" in page and "Linyi Public Security Bureau" in page
    assert "population.csv" in page
    assert f">{PEOPLE:,}<" in page
    assert f">{city.records['divisions']:,}<" in page
    assert "graph:ontology" in page
    assert "/personal" not in page  # hidden from anonymous readers
    assert '<html lang="zh-Hans">' in page
    english = get(client, "/catalog?lang=en", BROWSER).get_data(as_text=True)
    assert '<html lang="en">' in english and "目录服务" in english


@pytest.mark.parametrize(
    ("accept", "param", "fmt"),
    [
        ("text/turtle", None, TURTLE),
        ("application/ld+json", None, JSON_LD),
        (BROWSER, "jsonld", JSON_LD),
        (None, None, TURTLE),
    ],
)
def test_catalog_in_rdf(client, city, accept, param, fmt) -> None:
    response = get(client, "/catalog" + (f"?format={param}" if param else ""), accept)
    assert response.status_code == 200
    assert response.content_type == fmt.content_type
    catalog = parse(response.data, fmt)
    named = sorted(str(g) for g in catalog.objects(None, CITY.namedGraph))
    visible = [g.value for g in city.store.graph_names() if not is_personal_graph(g.value)]
    assert named == sorted(visible)
    assert len(set(catalog.subjects(RDF.type, DCAT.Dataset))) == len(visible)
    records = {
        str(d).rsplit("/", 1)[-1]: int(n) for d, n in catalog.subject_objects(CITY.recordCount)
    }
    assert records == city.records


def test_catalog_refuses_unknown_formats(client) -> None:
    assert get(client, "/catalog", "image/png").status_code == 406
    assert get(client, "/catalog?format=pdf").status_code == 406


# --- /sckm/… -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "zh", "en"),
    [
        ("/sckm/core/Agent", "主体", "Agent"),
        ("/sckm/city/NaturalPerson", "自然人", "Natural person"),
    ],
)
def test_term_pages_show_both_labels(client, path, zh, en) -> None:
    response = get(client, path, BROWSER)
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    assert {"Accept", "Accept-Language"} <= set(response.vary)
    page = response.get_data(as_text=True)
    assert f'<h1>{zh}<span class="second">{en}</span></h1>' in page
    assert '<html lang="zh-Hans">' in page


def test_term_page_language_follows_lang_then_accept_language(client) -> None:
    english = get(client, "/sckm/city/NaturalPerson?lang=en", BROWSER).get_data(as_text=True)
    assert '<h1>Natural person<span class="second">自然人</span></h1>' in english
    by_header = get(client, "/sckm/city/NaturalPerson", BROWSER, **{"Accept-Language": "en-US"})
    assert '<html lang="en">' in by_header.get_data(as_text=True)
    chinese = get(client, "/sckm/city/NaturalPerson", BROWSER, **{"Accept-Language": "zh-CN,en"})
    assert '<html lang="zh-Hans">' in chinese.get_data(as_text=True)


def test_term_page_shows_definition_source_and_relations(client) -> None:
    page = get(client, "/sckm/city/residence", BROWSER).get_data(as_text=True)
    assert "常住地" in page and "residence" in page
    assert "定义域" in page and 'href="/sckm/city/NaturalPerson"' in page
    assert "逆属性" in page and 'href="/sckm/city/residenceOf"' in page
    assert "来源条款" in page and "Source clause" in page


@pytest.mark.parametrize("fmt", [TURTLE, RDF_XML, JSON_LD], ids=lambda f: f.label)
def test_a_term_in_rdf(client, fmt) -> None:
    response = get(client, "/sckm/city/NaturalPerson", fmt.media_type)
    assert response.status_code == 200
    assert response.content_type == fmt.content_type
    assert "Accept" in response.headers["Vary"]
    graph = parse(response.data, fmt)
    assert (CITY.NaturalPerson, RDFS.label, Literal("自然人", lang="zh")) in graph
    assert (CITY.NaturalPerson, RDFS.subClassOf, SCCM.Person) in graph


def test_turtle_of_a_term_parses_with_rdflib(client) -> None:
    data = get(client, "/sckm/core/Agent", "text/turtle").data
    graph = Graph().parse(data=data, format="turtle")
    assert (SCCM.Agent, RDFS.label, Literal("主体", lang="zh")) in graph


def test_a_module_iri_gives_the_module(client) -> None:
    graph = parse(get(client, "/sckm/core", "text/turtle").data, TURTLE)
    assert {SCCM.Agent, SCCM.Person, SCCM.Organization} <= set(graph.subjects(RDF.type, None))
    page = get(client, "/sckm/core", BROWSER).get_data(as_text=True)
    assert "智慧城市核心概念模型" in page and 'href="/sckm/core/Agent"' in page


def test_the_namespace_root_redirects_to_the_whole_model(client) -> None:
    response = get(client, "/sckm/")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/sckm/ontology")


@pytest.mark.parametrize("path", ["/sckm/core/NoSuchThing", "/sckm/nothing", "/sckm/id/person/x"])
def test_unknown_terms_are_404(client, path) -> None:
    for accept in (BROWSER, "text/turtle"):
        response = get(client, path, accept)
        assert response.status_code == 404
        assert "https://w3id.org" + path in response.get_data(as_text=True)


def test_the_jsonld_context_is_served(client) -> None:
    response = get(client, "/sckm/context.jsonld")
    assert response.status_code == 200
    assert response.content_type == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    context = json.loads(response.data)["@context"]
    assert context["NaturalPerson"] == "city:NaturalPerson"
    assert context["residence"] == {"@id": "city:residence", "@type": "@id"}
