"""The audit log of writes: one JSON object per line (JSON Lines), appended and fsynced.

Every write through the service (SPARQL update, Graph Store PUT/POST/DELETE), committed or
refused, adds one line::

    {"time": "2026-12-05T04:40:00.123+00:00", "who": {"role": "writer",
     "token_sha256": "9f86d081884c"}, "operation": "PUT /store", "status": "committed",
     "http_status": null, "validated": true, "findings": 0, "added": 3, "removed": 1,
     "graphs": {"https://w3id.org/sckm/graph/population": {"added": 2, "removed": 1}, ...}}

A refused write has ``"status": "refused"``, the ``http_status`` it was answered with, the
number of new ``findings`` (422) and a ``reason``.

The token itself is never written: only the first 12 hex digits of its SHA-256, enough to tell
tokens apart after a rotation. ``added``/``removed`` are ``null`` when the service could not know
them (an update on a remote store). ``KGSERVICE_AUDIT_LOG``: empty (default) puts the file
beside the store directory (``var/audit.jsonl`` for ``var/store``), ``off`` turns it off.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OFF = "off"
FILE_NAME = "audit.jsonl"
_LOCK = threading.Lock()


def audit_path(setting: str, store: Path) -> Path | None:
    """Where the audit log goes: the setting's path, beside ``store`` if empty, None if off."""
    value = setting.strip()
    if value.lower() == OFF:
        return None
    if value:
        return Path(value)
    return store.parent / FILE_NAME


def fingerprint(token: str) -> str:
    """A short SHA-256 fingerprint of a token: it identifies the token, it does not reveal it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Entry:
    """One write as the log records it."""

    role: str
    token: str = field(repr=False)  # only its fingerprint is ever written
    operation: str
    status: str  # "committed" or "refused"
    http_status: int | None  # the refusal's status; None when committed
    validated: bool
    graphs: dict[str, dict[str, int]] | None  # graph ("" default) -> {"added": n, "removed": n}
    findings: int = 0
    reason: str | None = None

    def as_json(self, at: datetime.datetime) -> dict[str, Any]:
        graphs = self.graphs
        return {
            "time": at.isoformat(timespec="milliseconds"),
            "who": {"role": self.role, "token_sha256": fingerprint(self.token)},
            "operation": self.operation,
            "status": self.status,
            "http_status": self.http_status,
            "validated": self.validated,
            "findings": self.findings,
            "added": None if graphs is None else sum(g["added"] for g in graphs.values()),
            "removed": None if graphs is None else sum(g["removed"] for g in graphs.values()),
            "graphs": graphs,
            **({"reason": self.reason} if self.reason else {}),
        }


def record(path: Path | None, entry: Entry, now: datetime.datetime | None = None) -> None:
    """Append ``entry`` to the log at ``path`` (nothing if None), flushed and fsynced."""
    if path is None:
        return
    at = now or datetime.datetime.now(datetime.UTC)
    line = json.dumps(entry.as_json(at), ensure_ascii=False, sort_keys=True) + "\n"
    with _LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(line)
            log.flush()
            os.fsync(log.fileno())
