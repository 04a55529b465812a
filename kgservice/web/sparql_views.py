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
from kgservice.privacy import is_personal_graph, personal_properties
from kgservice.protocol.formats import FORM_URLENCODED
from kgservice.protocol.negotiation import negotiate
from kgservice.protocol.params import (
    QueryRequest,
    UpdateRequest,
    parse_request,
    parse_urlencoded,
)
from kgservice.sparql.execute import (
    Answer,
    Emit,
    answer_query,
    prepare_query,
    run_update,
)
from kgservice.sparql.guard import check_shape
from kgservice.sparql.update_reach import unmaskable_write
from kgservice.store.base import Store
from kgservice.store.embedded import EmbeddedStore
from kgservice.web.answers import cache_slot, keeping_writer
from kgservice.web.auth import refuse_if_read_only, require_writer, sees_personal_data
from kgservice.web.runner import whole_body
from kgservice.web.state import ServiceState, current_state
from kgservice.web.urls import public_url
from kgservice.web.writing import audited_refusals, commit_blind, commit_write
from kgservice.writes import Delta, looked_up_delta, update_delta

bp = Blueprint("sparql", __name__)

TRUNCATED_HEADER = "KGService-Truncated"


def _form_fields(body: bytes) -> list[tuple[str, str]] | None:
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    return parse_urlencoded(body) if content_type == FORM_URLENCODED else None


def _format_param(args: list[tuple[str, str]], form: list[tuple[str, str]] | None) -> str | None:
    values = [value for name, value in args + (form or []) if name == "format"]
    return values[-1] if values else None


@bp.route("/sparql", methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"])
def endpoint() -> Response:
    """One protocol request: a query, an update, or (bare GET) the service description."""
    state = current_state()
    body = request.get_data(cache=False) if request.method == "POST" else b""
    args = parse_urlencoded(request.query_string, "the query string")
    form = _form_fields(body) if request.method == "POST" else None
    operation = parse_request(request.method, request.content_type, args, form, body)
    if operation is None:
        return service_description(state, _format_param(args, None))
    if isinstance(operation, UpdateRequest):
        return _update(state, operation)
    return run_query(state, operation, _format_param(args, form))


def run_query(state: ServiceState, operation: QueryRequest, format_param: str | None) -> Response:
    """Answer a query as this request's reader may see the store (also for named questions)."""
    store, limits = state.store, state.limits
    hidden = hidden_graphs(state)
    prepared = prepare_query(
        store,
        operation,
        limits,
        request.headers.get("Accept"),
        format_param,
        hidden=hidden,
        hidden_predicates=state.personal_properties if hidden is not None else frozenset(),
    )
    # Relative IRIs resolve against the endpoint's URL (built only for a query that has any).
    base = public_url("sparql.endpoint") if prepared.uses_base else None
    key, version = cache_slot(state, prepared, hidden is None, base)
    kept = state.answers.get(key, version)
    if kept is not None:
        return _answer_response(Answer(kept.format, _unused, kept.truncated), [kept.body])
    answer, body = state.runner.stream(
        lambda: answer_query(store, prepared, limits, base), keeping_writer(state, key, version)
    )
    return _answer_response(answer, body)


def _unused(emit: Emit) -> None:
    raise AssertionError("a kept answer is sent as it was kept")


def hidden_graphs(state: ServiceState):
    """What the current reader must not see: raw personal data, unless its token allows."""
    settings = state.settings
    if sees_personal_data(settings.personal_data_token, settings.write_token):
        return None
    return is_personal_graph


def _answer_response(answer: Answer, body) -> Response:
    headers = {"Vary": "Accept"}
    if answer.truncated:
        headers[TRUNCATED_HEADER] = str(answer.truncated.limit)
    response = Response(whole_body(body), headers=headers, content_type=answer.format.content_type)
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
