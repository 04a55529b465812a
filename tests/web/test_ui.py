"""The query page ``/`` through Flask's client: local assets only, static files, the examples."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest

from kgservice.store.embedded import EmbeddedStore
from kgservice.web.examples import Example, load_examples, parse_example

STATIC = Path(__file__).resolve().parents[2] / "kgservice" / "web" / "static"
VENDOR = STATIC / "vendor" / "yasgui"


class _Assets(HTMLParser):
    """Collects what a page loads (script src, link href, img src) and its settings block."""

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []
        self.settings = ""
        self._in_settings = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        source = values.get("src") if tag in ("script", "img") else None
        if tag == "link":
            source = values.get("href")
        if source:
            self.assets.append(source)
        self._in_settings = tag == "script" and values.get("id") == "kg-settings"

    def handle_data(self, data: str) -> None:
        if self._in_settings:
            self.settings += data

    def handle_endtag(self, tag: str) -> None:
        self._in_settings = False


def _page(city_client) -> _Assets:
    response = city_client.get("/", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    parser = _Assets()
    parser.feed(response.get_data(as_text=True))
    return parser


def test_page_loads_only_local_assets(city_client) -> None:
    assets = _page(city_client).assets
    assert "/static/vendor/yasgui/yasgui.min.js" in assets
    assert "/static/vendor/yasgui/yasgui.min.css" in assets
    assert all(asset.startswith("/static/") for asset in assets), assets
    assert not [a for a in assets if a.startswith(("http://", "https://", "//"))]


def test_page_is_bilingual_and_links_the_service(city_client) -> None:
    html = city_client.get("/").get_data(as_text=True)
    for text in ("智慧城市知识模型", "Smart-city knowledge model", "数据目录", "Catalogue"):
        assert text in html
    for link in ('href="/catalog"', 'href="/sparql?format=ttl"', 'href="/healthz"'):
        assert link in html


def test_page_settings_name_the_endpoint_and_every_example(city_client) -> None:
    settings = json.loads(_page(city_client).settings)
    assert settings["endpoint"] == "/sparql"
    examples = load_examples()
    assert [tab["name"] for tab in settings["examples"]] == [e.tab_name for e in examples]
    assert [tab["query"] for tab in settings["examples"]] == [e.query for e in examples]


@pytest.mark.parametrize(
    ("path", "mimetypes"),
    [
        ("vendor/yasgui/yasgui.min.js", {"text/javascript", "application/javascript"}),
        ("vendor/yasgui/yasgui.min.css", {"text/css"}),
        ("query-page.js", {"text/javascript", "application/javascript"}),
        ("query-page.css", {"text/css"}),
    ],
)
def test_static_files_are_served_with_their_type(city_client, path, mimetypes) -> None:
    response = city_client.get(f"/static/{path}")
    assert response.status_code == 200
    assert response.mimetype in mimetypes
    assert response.get_data() == (STATIC / path).read_bytes()
    response.close()


def test_vendored_bundle_is_recorded_and_loads_nothing_remote() -> None:
    source = (VENDOR / "SOURCE.md").read_text(encoding="utf-8")
    assert "@zazuko/yasgui" in source and "sha512-" in source
    assert (VENDOR / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    css = (VENDOR / "yasgui.min.css").read_text(encoding="utf-8")
    assert "url(http" not in css.replace(" ", "") and "@import" not in css


def test_examples_have_titles_in_both_languages() -> None:
    examples = load_examples()
    assert len(examples) >= 6
    assert len({e.id for e in examples}) == len(examples)
    for example in examples:
        assert example.title_zh and example.title_en
        assert any("\u4e00" <= char <= "\u9fff" for char in example.title_zh), example.id
        assert "# title-" not in example.query


def test_example_without_title_is_refused() -> None:
    with pytest.raises(ValueError, match="title_en"):
        parse_example("x", "# title-zh: 标题\nSELECT * WHERE { ?s ?p ?o }\n")


def test_example_fields_are_parsed() -> None:
    text = "# title-zh: 甲\n# title-en: A\n# description-en: What A does.\nASK {}\n"
    assert parse_example("a", text) == Example(
        id="a",
        title_zh="甲",
        title_en="A",
        description_en="What A does.",
        query="# What A does.\nASK {}\n",
    )


@pytest.mark.parametrize("example", load_examples(), ids=lambda e: e.id)
def test_example_parses(example: Example) -> None:
    list(ox.Store().query(example.query))  # a syntax error raises SyntaxError


@pytest.mark.parametrize("example", load_examples(), ids=lambda e: e.id)
def test_example_finds_rows_in_a_generated_city(city_store: EmbeddedStore, example) -> None:
    rows = list(city_store.query(example.query))
    assert rows, f"{example.id} found nothing"


@pytest.mark.parametrize("example", load_examples(), ids=lambda e: e.id)
def test_example_answers_through_the_service(city_client, example: Example) -> None:
    response = city_client.post(
        "/sparql",
        data={"query": example.query},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert json.loads(response.data)["results"]["bindings"], f"{example.id} found nothing"
