"""The HTTP floor of ``kgservice bench serve``: a WSGI app that does no work at all.

It answers every request with the same bytes (a query's answer, fetched from the service
beforehand), under the same granian worker as ``kgservice serve``. Its requests/s is the most
any Python WSGI service can reach on this machine, whatever it does per request: the bound that
per-request cost in Python puts on the service/Oxigraph ratio for sub-millisecond queries.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

BODY_ENV = "BENCH_FLOOR_BODY"  # file holding the answer to send
TYPE_ENV = "BENCH_FLOOR_TYPE"  # its media type

_body = Path(os.environ[BODY_ENV]).read_bytes() if BODY_ENV in os.environ else b""
_headers = [
    ("Content-Type", os.environ.get(TYPE_ENV, "application/octet-stream")),
    ("Content-Length", str(len(_body))),
]


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    start_response("200 OK", _headers)
    return [_body]
