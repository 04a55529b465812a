"""Who may do what: bearer tokens (RFC 6750, https://www.rfc-editor.org/rfc/rfc6750).

* Writes (SPARQL update; Graph Store PUT, POST, DELETE) need ``Authorization: Bearer <token>``
  with the token of ``KGSERVICE_WRITE_TOKEN``. Without a configured token every write is refused
  (403), so a fresh install is read-only. A missing or wrong token gets 401 with a
  ``WWW-Authenticate`` challenge.
* Reads are open. Anonymous readers see personal data masked (the raw values live in graphs
  hidden from them, see :mod:`kgservice.privacy`); the token of
  ``KGSERVICE_PERSONAL_DATA_TOKEN``, or the write token, shows them unmasked. A read that
  presents a token the service does not know is refused (401) rather than served masked, so a
  misconfigured client notices.

Tokens are compared in constant time.

In read-only mode (``KGSERVICE_READ_ONLY``) no token allows a write: :func:`refuse_if_read_only`
answers an update 403 (``/sparql`` takes POST, for queries, so the method is not what is wrong)
and a Graph Store write 405 with ``Allow: GET, HEAD`` (the ``/store`` resource then has no
method that changes it).
"""

from __future__ import annotations

import hmac

from flask import request

from kgservice.errors import KGServiceError
from kgservice.protocol.errors import MethodNotAllowed

_REALM = 'Bearer realm="kgservice"'


class Unauthorized(KGServiceError):
    """401: the write has no valid bearer token."""

    http_status = 401

    def __init__(self, message: str, challenge: str) -> None:
        super().__init__(message)
        self.headers = {"WWW-Authenticate": challenge}


class Forbidden(KGServiceError):
    """403: writes are switched off on this service."""

    http_status = 403


READ_ONLY_REASON = (
    "this service runs read-only (KGSERVICE_READ_ONLY=true): its store is open read-only in "
    "several processes and takes no writes; write through a service that runs without "
    "KGSERVICE_READ_ONLY (not beside this one), or with kgservice load"
)


def refuse_if_read_only(read_only: bool, *, graph_store: bool = False) -> None:
    """Raise when the service is read-only: 405 for a Graph Store write, 403 for an update."""
    if not read_only:
        return
    if graph_store:
        raise MethodNotAllowed(f"{request.method} /store: {READ_ONLY_REASON}", ("GET", "HEAD"))
    raise Forbidden(f"SPARQL update refused: {READ_ONLY_REASON}")


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, else ``None``."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _matches(token: str, configured: str) -> bool:
    return bool(configured) and hmac.compare_digest(token.encode(), configured.encode())


def sees_personal_data(personal_token: str, write_token: str) -> bool:
    """Whether the current request may read personal data unmasked; 401 for an unknown token."""
    return token_sees_personal_data(
        request.headers.get("Authorization"), personal_token, write_token
    )


def token_sees_personal_data(
    authorization: str | None, personal_token: str, write_token: str
) -> bool:
    """Whether a request with this ``Authorization`` header may read personal data unmasked;
    401 for an unknown token."""
    token = bearer_token(authorization)
    if token is None:
        return False
    if _matches(token, personal_token) or _matches(token, write_token):
        return True
    raise Unauthorized("the bearer token is not valid", _REALM + ', error="invalid_token"')


def require_writer(configured: str) -> None:
    """Raise unless the current request carries the write token."""
    if not configured:
        raise Forbidden(
            "this service is read-only: writes need KGSERVICE_WRITE_TOKEN to be configured"
        )
    token = bearer_token(request.headers.get("Authorization"))
    if token is None:
        raise Unauthorized("writing needs an Authorization: Bearer <token> header", _REALM)
    if not hmac.compare_digest(token.encode(), configured.encode()):
        raise Unauthorized(
            "the bearer token is not valid for writing", _REALM + ', error="invalid_token"'
        )
