"""Generated HTML documentation: one page per module and language, and an index."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgservice.ontology.docs import build_docs

MODULES = ["alignment", "city", "codes", "core", "schemes", "sckm", "terms"]


@pytest.fixture(scope="module")
def docs(ontology_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs")
    build_docs(ontology_dir, out)
    return out


def test_a_page_per_module_and_language(docs: Path) -> None:
    expected = {f"{m}.{lang}.html" for m in MODULES for lang in ("zh", "en")} | {"index.html"}
    assert {p.name for p in docs.iterdir()} == expected


def test_index_links_every_page(docs: Path) -> None:
    index = (docs / "index.html").read_text(encoding="utf-8")
    for module in MODULES:
        assert f'href="{module}.zh.html"' in index
        assert f'href="{module}.en.html"' in index


def test_pages_are_in_one_language(docs: Path) -> None:
    zh = (docs / "core.zh.html").read_text(encoding="utf-8")
    en = (docs / "core.en.html").read_text(encoding="utf-8")
    assert "建筑物" in zh and "Building" in en
    assert "建筑物" not in en
    assert "<h1>智慧城市知识模型：核心概念模块</h1>" in zh
    assert "<h1>Smart city knowledge model: core concept module</h1>" in en


def test_terms_page_shows_the_definitions(docs: Path) -> None:
    page = (docs / "terms.zh.html").read_text(encoding="utf-8")
    assert "用于支撑智慧城市目标实现的信息基础设施" in page
