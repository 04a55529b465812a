"""Helpers for the web tests: an app over a fresh in-memory store with a little data."""

from __future__ import annotations

from collections.abc import Callable

import pyoxigraph as ox
from flask import Flask

from kgservice.settings import Settings, load_settings
from kgservice.store.base import Store
from kgservice.store.embedded import open_embedded
from kgservice.web.app import create_app

TOKEN = "s3cret-token"
WRITER = {"Authorization": f"Bearer {TOKEN}"}
EX = "http://example.org/"
GRAPH = "http://example.org/graph/people"
TURTLE = f"""
@prefix ex: <{EX}> .
ex:zhang ex:name "张三"@zh ; ex:age 34 ; ex:livesIn ex:lanshan .
ex:li ex:name "李四"@zh ; ex:age 51 ; ex:livesIn ex:hedong .
ex:lanshan ex:label "兰山区"@zh .
ex:hedong ex:label "河东区"@zh .
"""


def make_app(
    env: dict[str, str] | None = None,
    *,
    on_runaway: Callable[[], None] | None = None,
    store_factory: Callable[[Settings], Store] | None = None,
) -> Flask:
    """An app over a new store holding TURTLE in GRAPH; settings from ``env`` (plus the token).

    The store is in memory unless ``store_factory`` makes another from the settings.
    """
    settings = load_settings(
        {"KGSERVICE_WRITE_TOKEN": TOKEN, "KGSERVICE_AUDIT_LOG": "off", **(env or {})}
    )
    if store_factory is None:
        store: Store = open_embedded(None, union_default_graph=settings.union_default_graph)
    else:
        store = store_factory(settings)
    store.put_graph(ox.NamedNode(GRAPH), list(_triples(TURTLE)))
    return create_app(settings, store, on_runaway=on_runaway)


def _triples(turtle: str):
    return (quad.triple for quad in ox.parse(turtle, ox.RdfFormat.TURTLE))
