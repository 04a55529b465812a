"""The web side of the write pipeline (:mod:`kgservice.writes`): who writes, and what then."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from flask import request
from werkzeug.exceptions import HTTPException

from kgservice.audit import Entry
from kgservice.errors import KGServiceError
from kgservice.privacy import personal_properties
from kgservice.store.base import Store
from kgservice.web.auth import bearer_token
from kgservice.web.state import ServiceState
from kgservice.writes import Delta, Policy, Write, audit, commit, commit_unknown, policy_for


def _write(compute: Callable[[Store], Delta] | None = None, *, reads_store: bool = False) -> Write:
    return Write(
        token=bearer_token(request.headers.get("Authorization")) or "",
        operation=f"{request.method} {request.path}",
        compute=compute,
        reads_store=reads_store,
    )


def _policy(state: ServiceState) -> Policy:
    return policy_for(state.settings, state.personal_properties or personal_properties())


def commit_write(
    state: ServiceState, what: str, compute: Callable[[Store], Delta], *, reads_store: bool = False
) -> Delta:
    """Run a write through the pipeline, then mark the store written (``graph:inferred`` is
    rebuilt) if it changed anything. ``compute`` gets the store to compute the delta on (the
    store, or a snapshot of a remote one); ``reads_store``: it needs the data in this process
    (a SPARQL update)."""
    write, policy = _write(compute, reads_store=reads_store), _policy(state)
    delta = state.runner.call_gated(
        lambda may_commit: commit(state.store, replace(write, may_commit=may_commit), policy),
        what,
    )
    if delta:
        state.written(delta.added | delta.removed)
    return delta


def commit_blind(state: ServiceState, what: str, run: Callable[[], None]) -> None:
    """A write whose effect the service does not compute (an update on a remote store with
    validation switched off everywhere): run as is, not validated nor split, and logged
    without counts."""
    write, policy = _write(), _policy(state)
    state.runner.call(lambda: commit_unknown(state.store, write, policy, run), what)
    state.written()


@contextmanager
def audited_refusals(state: ServiceState) -> Iterator[None]:
    """Around a write request: a refusal the pipeline did not log itself (no or a wrong token,
    an upload over the size limit or that does not parse, a graph to delete that is missing)
    is recorded in the audit log too, with the role the request had."""
    try:
        yield
    except (KGServiceError, HTTPException) as refused:
        if not getattr(refused, "audited", False):
            _audit_refusal(state, refused)
        raise


def _audit_refusal(state: ServiceState, refused: KGServiceError | HTTPException) -> None:
    token = bearer_token(request.headers.get("Authorization"))
    if token is None:
        role = "anonymous"
    elif state.settings.write_token and hmac.compare_digest(
        token.encode(), state.settings.write_token.encode()
    ):
        role = "writer"
    else:
        role = "unknown token"
    if isinstance(refused, KGServiceError):
        status, reason = refused.http_status, refused.message
    else:
        status, reason = refused.code, refused.description or refused.name
    entry = Entry(
        role=role,
        token=token or "",
        operation=f"{request.method} {request.path}",
        status="refused",
        http_status=status,
        validated=False,
        graphs=None,
        reason=reason,
    )
    audit(_policy(state), entry)
