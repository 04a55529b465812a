"""Descriptions the service publishes: VoID, the DCAT catalogue, the vocabulary's terms.

Three blueprints (register all of :data:`blueprints`):

``describe``
    ``GET /void``: the VoID description of the store (https://www.w3.org/TR/void/), in any RDF
    graph format by negotiation (Turtle by default). The Service Description of ``GET /sparql``
    links it (:mod:`kgservice.describe.service`); its dataset IRI is ``<…/void>#dataset``.

``catalog``
    ``GET /catalog``: the DCAT catalogue (https://www.w3.org/TR/vocab-dcat-3/) of the loaded
    datasets, one per named graph, with their provenance: the directory service (目录服务).
    Turtle, JSON-LD or another RDF format, or a bilingual HTML page for clients that prefer
    ``text/html`` (browsers); ``?format=html|ttl|jsonld|…`` overrides ``Accept``.

``vocab``
    ``GET /sckm/<path>``: term dereferencing. ``https://w3id.org/sckm/…`` redirects (w3id.org) to
    ``<service>/sckm/…``; the view maps the path back to the IRI ``https://w3id.org/sckm/<path>``
    and answers with the term's description (a module IRI such as ``/sckm/core``, or its
    namespace ``/sckm/core/``, gives the whole module; ``/sckm/`` redirects to the whole model
    ``/sckm/ontology``): an HTML page, Turtle, RDF/XML, JSON-LD or another RDF format, negotiated
    as for the catalogue. Unknown terms are 404 (instance IRIs ``/sckm/id/…`` too: they are read
    at ``/sparql``). The page shows every label and definition in Chinese and English; its
    language (headings, which label comes first) is ``?lang=zh|en``, else the first of zh/en in
    ``Accept-Language``, else Chinese.

    ``GET /sckm/context.jsonld``: the JSON-LD 1.1 ``@context`` of the city vocabulary
    (:mod:`kgservice.describe.context`) as ``application/ld+json``, readable from any origin
    (JSON-LD processors in browsers fetch contexts cross-origin).

VoID and the catalogue leave out the graphs the reader must not see (raw personal data without
the personal-data token: :func:`kgservice.web.sparql_views.hidden_graphs`), so their counts
match what the reader's queries find.

Negotiated responses carry ``Vary: Accept`` (term pages also ``Accept-Language``). Errors are
raised as :class:`kgservice.errors.KGServiceError` subclasses (404
:class:`kgservice.describe.NotFound`, 406 :class:`kgservice.protocol.errors.NotAcceptable`) and
answered by the app's error handlers. Store work runs through the app's runner (its timeout)
when the app has one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from rdflib import Graph

from kgservice.describe import NotFound, serialize
from kgservice.describe.catalog import catalog_graph, catalog_rows
from kgservice.describe.context import jsonld_context
from kgservice.describe.terms import curie, describe_term, term_page
from kgservice.describe.void import void_dataset_iri, void_description
from kgservice.namespaces import BASE
from kgservice.protocol.formats import Format
from kgservice.protocol.negotiation import negotiate
from kgservice.web.negotiate_html import HTML, HTML_CONTENT_TYPE, negotiate_page
from kgservice.web.sparql_views import hidden_graphs
from kgservice.web.state import EXTENSION
from kgservice.web.urls import public_url

T = TypeVar("T")

describe_bp = Blueprint("describe", __name__)
catalog_bp = Blueprint("catalog", __name__, template_folder="templates")
vocab_bp = Blueprint("vocab", __name__, template_folder="templates")
blueprints = (describe_bp, catalog_bp, vocab_bp)

LANGUAGES = ("zh", "en")
JSONLD_CONTENT_TYPE = "application/ld+json"
SPARQL_ENDPOINT = "sparql.endpoint"


# --- shared -------------------------------------------------------------------------------------


def _state() -> Any:
    """What the app keeps in ``extensions["kgservice"]``: ``.store``, ``.settings`` (…)."""
    return current_app.extensions[EXTENSION]


def _run(work: Callable[[], T], what: str) -> T:
    """Run store work through the app's runner (its timeout) if it has one."""
    runner = getattr(_state(), "runner", None)
    return runner.call(work, what) if runner is not None else work()


def _sparql_endpoint() -> str | None:
    return public_url(SPARQL_ENDPOINT) if SPARQL_ENDPOINT in current_app.view_functions else None


def _graph_response(graph: Graph, fmt: Format) -> Response:
    response = Response(serialize(graph, fmt), content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


def _html_response(html: str, *vary: str) -> Response:
    response = Response(html, content_type=HTML_CONTENT_TYPE)
    for header in ("Accept", *vary):
        response.vary.add(header)
    return response


def page_language() -> str:
    """``?lang=zh|en``, else the first of zh/en by ``Accept-Language``, else ``zh``.

    ``Accept-Language`` ranges match by their primary subtag (``zh-CN``, ``zh-Hans``, ``en-US``)
    and are taken in order of weight (RFC 9110 §12.5.4).
    """
    asked = (request.args.get("lang") or "").strip().lower()
    if asked in LANGUAGES:
        return asked
    for tag, quality in request.accept_languages:
        primary = tag.split("-", 1)[0].lower()
        if quality > 0 and primary in LANGUAGES:
            return primary
    return "zh"


def _accept() -> str | None:
    return request.headers.get("Accept")


# --- /void --------------------------------------------------------------------------------------


@describe_bp.get("/void")
def void() -> Response:
    """The VoID description of the store, by negotiation."""
    fmt = negotiate(_accept(), "graph", request.args.get("format"))
    dataset = void_dataset_iri(public_url("describe.void"))
    state, endpoint = _state(), _sparql_endpoint()
    hidden = hidden_graphs(state)
    graph = _run(
        lambda: void_description(state.store, dataset, sparql_endpoint=endpoint, hidden=hidden),
        "the VoID description",
    )
    return _graph_response(graph, fmt)


# --- /catalog -----------------------------------------------------------------------------------


@catalog_bp.get("/catalog")
def catalog() -> Response:
    """The DCAT catalogue: an HTML page for browsers, else an RDF format."""
    choice = negotiate_page(_accept(), request.args.get("format"))
    state, endpoint = _state(), _sparql_endpoint()
    hidden = hidden_graphs(state)
    graph = _run(
        lambda: catalog_graph(state.store, endpoint_url=endpoint, hidden=hidden), "the catalogue"
    )
    if choice != HTML:
        return _graph_response(graph, choice)
    rows = catalog_rows(state.store, graph)
    html = render_template(
        "catalog.html",
        rows=rows,
        lang=page_language(),
        curie=curie,
        sparql_url=url_for(SPARQL_ENDPOINT) if endpoint else None,
        void_url=url_for("describe.void")
        if "describe.void" in current_app.view_functions
        else None,
    )
    return _html_response(html, "Accept-Language")


# --- /sckm/… ------------------------------------------------------------------------------------


def term_href(iri: str, lang: str | None = None) -> str:
    """Where a page links a term: this service's page for our IRIs, the IRI itself otherwise."""
    if iri.startswith(BASE) and "#" not in iri:
        values = {"lang": lang} if lang else {}
        return url_for("vocab.term", rest=iri[len(BASE) :], **values)
    return iri


def _unknown(iri: str, rest: str) -> NotFound:
    if rest.startswith(("id/", "graph/")):
        return NotFound(
            f"<{iri}> is not an ontology term; instance data and graphs are read at /sparql "
            f"(DESCRIBE <{iri}>) / 这不是本体术语，实例数据请在 /sparql 查询"
        )
    return NotFound(f"<{iri}> is not a term of the ontology / 本体中没有这个术语")


@vocab_bp.get("/sckm/context.jsonld")
def context() -> Response:
    """The JSON-LD 1.1 ``@context`` of the city vocabulary."""
    body = json.dumps(jsonld_context(), ensure_ascii=False, indent=2) + "\n"
    response = Response(body, content_type=JSONLD_CONTENT_TYPE)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@vocab_bp.get("/sckm/")
@vocab_bp.get("/sckm")
def vocabulary() -> Response:
    """The namespace root: the whole model (``/sckm/ontology``)."""
    return redirect(url_for("vocab.term", rest="ontology", **request.args), code=303)


@vocab_bp.get("/sckm/<path:rest>")
def term(rest: str) -> Response:
    """The term (or module) ``https://w3id.org/sckm/<rest>``, by negotiation."""
    iri = BASE + rest
    choice = negotiate_page(_accept(), request.args.get("format"))
    store = _state().store
    try:
        if choice != HTML:
            return _graph_response(_run(lambda: describe_term(store, iri), "the term"), choice)
        page = _run(lambda: term_page(store, iri), "the term page")
    except NotFound:
        raise _unknown(iri, rest) from None
    lang = page_language()
    html = render_template(
        "term.html",
        page=page,
        lang=lang,
        href=lambda target: term_href(target, lang if "lang" in request.args else None),
        self_url=url_for("vocab.term", rest=rest),
    )
    return _html_response(html, "Accept-Language")
