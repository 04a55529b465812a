"""``/store``: the SPARQL 1.1 Graph Store HTTP Protocol (https://www.w3.org/TR/sparql11-http-rdf-update/).

``?graph=<IRI>`` names a graph, ``?default`` the default graph (exactly one of them; a POST with
neither creates a new graph, §5.5). GET/HEAD return the graph by negotiation (404 if it does not
exist); PUT replaces it, POST adds to it, DELETE drops it; 201 when a write created the graph,
204 otherwise. Writes need the write token. An upload is parsed whole before the store is
touched and written in one transaction, so a broken payload (400, with the parser's line and
column) changes nothing; RDF/XML with a DTD is refused, which rules out entity expansion
("billion laughs"). Blank nodes of each upload are fresh.

Every write goes through :mod:`kgservice.writes`: personal properties split into the personal
graph, validated against the shapes (422 with the report of the new findings), applied in one
transaction and recorded in the audit log.
"""

from __future__ import annotations

import re
import uuid

import pyoxigraph as ox
from flask import Blueprint, Response, request

from kgservice.errors import InputError, KGServiceError
from kgservice.iri import graph_iri
from kgservice.protocol.formats import upload_format
from kgservice.protocol.negotiation import negotiate
from kgservice.protocol.params import parse_urlencoded
from kgservice.sparql.execute import write_graph
from kgservice.store.base import GraphTarget
from kgservice.web.auth import refuse_if_read_only, require_writer
from kgservice.web.runner import whole_body
from kgservice.web.sparql_views import hidden_graphs
from kgservice.web.state import ServiceState, current_state
from kgservice.web.writing import audited_refusals, commit_write
from kgservice.writes import delete_delta, post_delta, put_delta

bp = Blueprint("graph_store", __name__)

_DTD = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)


class GraphNotFound(KGServiceError):
    """404: the graph does not exist."""

    http_status = 404


def _target(args: list[tuple[str, str]]) -> GraphTarget | None:
    """The graph a request names: ``?graph=IRI``, ``?default``, or None for neither."""
    graphs = [value for name, value in args if name == "graph"]
    default = any(name == "default" for name, _ in args)
    if len(graphs) > 1:
        raise InputError("give ?graph= once")
    if graphs and default:
        raise InputError("give either ?graph=<IRI> or ?default, not both")
    if default:
        return ox.DefaultGraph()
    if graphs:
        try:
            return ox.NamedNode(graphs[0])
        except ValueError as error:
            raise InputError(f"graph must be an absolute IRI, not {graphs[0]!r}: {error}") from None
    return None


def _describe(graph: GraphTarget) -> str:
    return "the default graph" if isinstance(graph, ox.DefaultGraph) else f"graph <{graph.value}>"


@bp.route("/store", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
def graph_store() -> Response:
    """One Graph Store Protocol request."""
    state = current_state()
    args = parse_urlencoded(request.query_string, "the query string")
    graph = _target(args)
    if request.method in ("GET", "HEAD"):
        if graph is None:
            raise InputError("name the graph: ?graph=<IRI> or ?default")
        return _get(state, graph, _format_param(args))
    refuse_if_read_only(state.settings.read_only, graph_store=True)
    with audited_refusals(state):
        require_writer(state.settings.write_token)
        if request.method == "DELETE":
            return _delete(state, graph)
        return _write(state, graph)


def _delete(state: ServiceState, graph: GraphTarget | None) -> Response:
    if graph is None:
        raise InputError("name the graph to delete: ?graph=<IRI> or ?default")
    if not _has_data(state, graph):
        raise GraphNotFound(f"{_describe(graph)} does not exist")
    commit_write(state, "the delete", lambda base: delete_delta(base, graph))
    return Response(status=204)


def _has_data(state: ServiceState, graph: GraphTarget) -> bool:
    """Whether a named graph exists, or the default graph holds a triple."""
    if isinstance(graph, ox.NamedNode):
        return state.store.has_graph(graph)
    return next(iter(state.store.triples(graph)), None) is not None


def _format_param(args: list[tuple[str, str]]) -> str | None:
    values = [value for name, value in args if name == "format"]
    return values[-1] if values else None


def _get(state: ServiceState, graph: GraphTarget, format_param: str | None) -> Response:
    fmt = negotiate(request.headers.get("Accept"), "graph", format_param)
    hidden = hidden_graphs(state)
    if hidden is not None and isinstance(graph, ox.NamedNode) and hidden(graph.value):
        raise GraphNotFound(f"{_describe(graph)} does not exist")  # not for this reader
    if not state.store.has_graph(graph):
        raise GraphNotFound(f"{_describe(graph)} does not exist")
    triples = state.store.triples(graph)
    ready, body = state.runner.stream(
        lambda: fmt,
        lambda chosen, emit: write_graph(triples, chosen, emit),
        timeout=None,
        label=f"download of {_describe(graph)}",
    )
    response = Response(
        whole_body(body), content_type=ready.content_type, headers={"Vary": "Accept"}
    )
    response.direct_passthrough = True
    return response


def parse_upload(data: bytes, content_type: str | None, base_iri: str) -> list[ox.Triple]:
    """Parse a whole RDF payload of the Graph Store Protocol; 400 with the parser's message."""
    fmt = upload_format(content_type)
    if fmt.extension == "rdf" and _DTD.search(data):
        raise InputError("RDF/XML with a DOCTYPE or ENTITY declaration is not accepted")
    try:
        quads = ox.parse(
            data,
            fmt.oxigraph,
            base_iri=base_iri,
            without_named_graphs=True,
            rename_blank_nodes=True,
        )
        return [quad.triple for quad in quads]
    except SyntaxError as error:
        raise InputError(f"the {fmt.label} payload is not valid: {error}") from None


def _write(state: ServiceState, graph: GraphTarget | None) -> Response:
    created_iri = None
    if graph is None:
        if request.method != "POST":
            raise InputError("name the graph to replace: ?graph=<IRI> or ?default")
        created_iri = str(graph_iri(f"upload-{uuid.uuid4()}"))
        graph = ox.NamedNode(created_iri)
    base = created_iri or (graph.value if isinstance(graph, ox.NamedNode) else request.base_url)
    triples = parse_upload(request.get_data(cache=False), request.content_type, base)
    target = graph
    existed = _has_data(state, graph)
    if request.method == "PUT":
        commit_write(state, "the upload", lambda base: put_delta(base, target, triples))
    else:
        commit_write(state, "the upload", lambda base: post_delta(base, target, triples))
    if created_iri:
        return Response(status=201, headers={"Location": created_iri})
    return Response(status=204 if existed else 201)
