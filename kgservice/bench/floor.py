"""The HTTP floors of ``kgservice bench serve``: two WSGI apps that do the least they can.

:func:`app` answers every request with the same bytes (a query's answer, fetched from the service
beforehand), under the same granian worker as ``kgservice serve``. Its requests/s is the most
any Python WSGI service can reach on this machine, whatever it does per request: the bound that
per-request cost in Python puts on the service/Oxigraph ratio for sub-millisecond queries.

:func:`engine_app` answers a GET ``?query=`` by running it on pyoxigraph over the union default
graph (the store opened read-only) and sending Oxigraph's own serialisation, with no check,
negotiation, masking or time limit: the most a Python service built on pyoxigraph can reach,
what the service's own work per request is measured against.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs

import pyoxigraph as ox

BODY_ENV = "BENCH_FLOOR_BODY"  # file holding the answer to send
TYPE_ENV = "BENCH_FLOOR_TYPE"  # its media type
STORE_ENV = "BENCH_FLOOR_STORE"  # the store engine_app reads

_body = Path(os.environ[BODY_ENV]).read_bytes() if BODY_ENV in os.environ else b""
_headers = [
    ("Content-Type", os.environ.get(TYPE_ENV, "application/octet-stream")),
    ("Content-Length", str(len(_body))),
]


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    start_response("200 OK", _headers)
    return [_body]


@cache
def _store() -> ox.Store:
    return ox.Store.read_only(os.environ[STORE_ENV])


def engine_app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    query = parse_qs(environ.get("QUERY_STRING", ""))["query"][0]
    result = _store().query(query, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryTriples):
        body, media_type = result.serialize(format=ox.RdfFormat.N_TRIPLES), "application/n-triples"
    else:
        body = result.serialize(format=ox.QueryResultsFormat.JSON)
        media_type = "application/sparql-results+json"
    start_response("200 OK", [("Content-Type", media_type), ("Content-Length", str(len(body)))])
    return [body]
