"""The public URL of a view: ``KGSERVICE_PUBLIC_URL`` + its path, else the request's own."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for

from kgservice.web.state import EXTENSION


def public_url(endpoint: str, **values: Any) -> str:
    """The URL of ``endpoint`` as clients reach it (behind a proxy: ``KGSERVICE_PUBLIC_URL``)."""
    state = current_app.extensions[EXTENSION]
    base = getattr(state.settings, "public_url", "") or ""
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
