"""``/sparql``: the SPARQL 1.1 Protocol endpoint (https://www.w3.org/TR/sparql11-protocol/).

GET, POST form and POST direct for queries; POST for updates (with the write token). A GET
without a query returns the Service Description (Turtle, JSON-LD or another RDF format by
negotiation; a browser asking for HTML is sent to the query page). The view only moves bytes:
parsing is :mod:`kgservice.protocol`, checking and running is :mod:`kgservice.sparql.execute`.
"""

from __future__ import annotations

from functools import partial

from flask import Blueprint, Response, redirect, request, url_for

from kgservice.describe import serialize
from kgservice.describe.service import service_description as describe
from kgservice.describe.void import SD
from kgservice.errors import WriteConflict
from kgservice.privacy import personal_properties
from kgservice.protocol.negotiation import negotiate
from kgservice.protocol.params import QueryRequest, UpdateRequest, read_request
from kgservice.sparql.execute import Answer, HiddenGraphs, run_update
from kgservice.sparql.guard import check_shape
from kgservice.sparql.update_reach import unmaskable_write
from kgservice.store.base import Store
from kgservice.store.embedded import EmbeddedStore
from kgservice.web.answers import Reader, answer_for, answer_headers, hidden_graphs_for
from kgservice.web.auth import refuse_if_read_only, require_writer, sees_personal_data
from kgservice.web.runner import whole_body
from kgservice.web.state import ServiceState, current_state
from kgservice.web.urls import public_url
from kgservice.web.writing import audited_refusals, commit_blind, commit_write
from kgservice.writes import Delta, looked_up_delta, update_delta

bp = Blueprint("sparql", __name__)


@bp.route("/sparql", methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"])
def endpoint() -> Response:
    """One protocol request: a query, an update, or (bare GET) the service description."""
    state = current_state()
    body = request.get_data(cache=False) if request.method == "POST" else b""
    operation, format_param = read_request(
        request.method, request.query_string, request.content_type, body
    )
    if operation is None:
        return service_description(state, format_param)
    if isinstance(operation, UpdateRequest):
        return _update(state, operation)
    return run_query(state, operation, format_param)


def run_query(state: ServiceState, operation: QueryRequest, format_param: str | None) -> Response:
    """Answer a query as this request's reader may see the store (also for named questions)."""
    answer, body = answer_for(state, operation, _request_reader(state, format_param))
    return _answer_response(answer, body)


def _request_reader(state: ServiceState, format_param: str | None) -> Reader:
    """The current request as a reader of answers."""
    settings = state.settings
    return Reader(
        request.headers.get("Accept"),
        format_param,
        sees_personal_data(settings.personal_data_token, settings.write_token),
        partial(public_url, "sparql.endpoint"),
    )


def hidden_graphs(state: ServiceState) -> HiddenGraphs | None:
    """What the current reader must not see: raw personal data, unless its token allows."""
    settings = state.settings
    return hidden_graphs_for(sees_personal_data(settings.personal_data_token, settings.write_token))


def _answer_response(answer: Answer, body) -> Response:
    response = Response(whole_body(body), headers=answer_headers(answer))
    response.direct_passthrough = True
    return response


def _update(state: ServiceState, operation: UpdateRequest) -> Response:
    """An update through the write pipeline (:mod:`kgservice.writes`): it runs on a scratch
    copy of the data first (of the embedded store, or of a snapshot of a remote one), so its
    effect is split, validated and applied as one transaction. A remote store with validation
    switched off everywhere (``KGSERVICE_VALIDATE_WRITES=none``) runs it as it is instead: the
    service then reads nothing of the store, and refuses what it could not mask."""
    refuse_if_read_only(state.settings.read_only)  # nothing could change: nothing to audit
    with audited_refusals(state):
        require_writer(state.settings.write_token)
        base = public_url("sparql.endpoint")
        store, limits = state.store, state.limits
        if isinstance(store, EmbeddedStore) or "*" not in state.settings.validate_writes:

            def compute(data: Store) -> Delta:
                quick = looked_up_delta(_embedded(data), operation, limits, base)
                if quick is not None:
                    return quick
                run = partial(run_update, request=operation, limits=limits, base_iri=base)
                return update_delta(_embedded(data), run)

            commit_write(state, "the update", compute, reads_store=True)
        else:
            commit_blind(state, "the update", lambda: _run_on_remote(state, operation, base))
    return Response(status=204)


def _embedded(data: Store) -> EmbeddedStore:
    if not isinstance(data, EmbeddedStore):  # the pipeline gives a snapshot (reads_store)
        raise TypeError("an update's effect is computed on an embedded store or a snapshot")
    return data


def _run_on_remote(state: ServiceState, operation: UpdateRequest, base: str) -> None:
    """An update sent to a remote store as it is, unless it could put a raw personal value
    where anonymous readers see it: the service cannot mask what it cannot compute (409)."""
    limits = state.limits
    check_shape(
        operation.update,
        max_bytes=limits.max_query_bytes,
        max_depth=limits.max_query_depth,
        what="update",
    )
    properties = state.personal_properties or personal_properties()
    reason = unmaskable_write(operation.update, properties, base)
    if reason:
        raise WriteConflict(
            f"this update is refused on a remote store: {reason}, and the service cannot mask "
            "personal data an update writes there; write personal data with the Graph Store "
            "protocol (PUT/POST /store), whose writes are split and masked"
        )
    run_update(state.store, operation, limits, base)


def _prefers_html() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "text/turtle"])
    return (
        best == "text/html"
        and request.accept_mimetypes["text/html"] > request.accept_mimetypes["application/xml"]
    )


def service_description(state: ServiceState, format_param: str | None) -> Response:
    """The SPARQL 1.1 Service Description of this endpoint (or the query page, for a browser)."""
    if not format_param and _prefers_html():
        return redirect(url_for("ui.index"), code=303)
    fmt = negotiate(request.headers.get("Accept"), "graph", format_param)
    graph = describe(
        public_url("sparql.endpoint"),
        union_default_graph=state.store.union_default_graph,
        void_url=public_url("describe.void"),
        # A remote store's functions are its own: its Service Description tells, not ours.
        extension_functions=None if isinstance(state.store, EmbeddedStore) else (),
    )
    if state.settings.read_only:  # the endpoint takes no SPARQL Update then
        graph.remove((None, SD.supportedLanguage, SD.SPARQL11Update))
    data = serialize(graph, fmt)
    return Response(data, content_type=fmt.content_type, headers={"Vary": "Accept"})
