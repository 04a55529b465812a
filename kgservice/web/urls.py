"""The public URL of a view: ``KGSERVICE_PUBLIC_URL`` + its path, else the request's own."""

from __future__ import annotations

from typing import Any

from flask import url_for

from kgservice.web.state import current_state


def public_url(endpoint: str, **values: Any) -> str:
    """The URL of ``endpoint`` as clients reach it (behind a proxy: ``KGSERVICE_PUBLIC_URL``)."""
    base = current_state().settings.public_url
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
