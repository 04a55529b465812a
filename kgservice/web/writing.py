"""The web side of the write pipeline (:mod:`kgservice.writes`): who writes, and what then."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from flask import request

from kgservice.privacy import personal_properties
from kgservice.web.auth import bearer_token
from kgservice.web.state import ServiceState
from kgservice.writes import Delta, Policy, Write, commit, commit_unknown, policy_for


def _write(compute: Callable[[], Delta] | None = None) -> Write:
    return Write(
        token=bearer_token(request.headers.get("Authorization")) or "",
        operation=f"{request.method} {request.path}",
        compute=compute,
    )


def _policy(state: ServiceState) -> Policy:
    return policy_for(state.settings, state.personal_properties or personal_properties())


def commit_write(state: ServiceState, what: str, compute: Callable[[], Delta]) -> Delta:
    """Run a write through the pipeline, then mark the store written (``graph:inferred`` is
    rebuilt) if it changed anything."""
    write, policy = _write(compute), _policy(state)
    delta = state.runner.call_gated(
        lambda may_commit: commit(state.store, replace(write, may_commit=may_commit), policy),
        what,
    )
    if delta:
        state.written()
    return delta


def commit_blind(state: ServiceState, what: str, run: Callable[[], None]) -> None:
    """A write whose effect the service cannot compute (an update on a remote store): run as
    is, not validated nor split, and logged without counts."""
    write, policy = _write(), _policy(state)
    state.runner.call(lambda: commit_unknown(state.store, write, policy, run), what)
    state.written()
