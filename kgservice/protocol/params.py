"""Parse a SPARQL 1.1 Protocol request from plain inputs: no Flask, no store.

The operations (https://www.w3.org/TR/sparql11-protocol/#protocol):

* query (§2.1, #query-operation): GET with ``query`` in the query string (#query-via-get);
  POST ``application/x-www-form-urlencoded`` with ``query`` in the body
  (#query-via-post-urlencoded); POST ``application/sparql-query`` with the query as the body and
  the dataset parameters in the query string (#query-via-post-direct). Dataset:
  ``default-graph-uri`` and ``named-graph-uri``, each 0 or more times (§2.1.4, #dataset).
* update (§2.2, #update-operation): POST form with ``update`` (#update-via-post-urlencoded) or
  POST ``application/sparql-update`` (#update-via-post-direct). Dataset: ``using-graph-uri`` and
  ``using-named-graph-uri``; with them the update must not have USING, USING NAMED or WITH
  (§2.2.3, #update-dataset).

Choices where the specification is silent or the W3C tests ask for more:

* A form POST also takes parameters from the query string (the W3C test ``query_post_form``
  puts ``default-graph-uri`` there); the rules below apply to the union.
* HEAD is a GET without a body (RFC 9110 §9.3.2); other methods get 405 with
  ``Allow: GET, HEAD, POST``; an update by GET or HEAD gets 405 with ``Allow: POST``.
* A GET without ``query`` or ``update`` returns ``None`` (the caller serves the service
  description), unless it has dataset parameters, which need a query (400).
* Query dataset parameters on an update, or update ones on a query, are refused (400) rather
  than silently ignored.
* A leading UTF-8 byte order mark is dropped from a direct POST body.

Parameter names are case-sensitive. Form bodies and query strings are decoded by
:func:`parse_urlencoded` (WHATWG URL §5.1, https://url.spec.whatwg.org/#urlencoded-parsing) with
strict UTF-8, so that a bad byte is reported with its offset instead of being replaced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote_to_bytes

import pyoxigraph as ox

from kgservice.errors import InputError
from kgservice.protocol.errors import MethodNotAllowed, PayloadTooLarge
from kgservice.protocol.formats import (
    FORM_URLENCODED,
    PROTOCOL_BODY_TYPES,
    SPARQL_QUERY,
    parse_content_type,
)

Pairs = Sequence[tuple[str, str]]

QUERY = "query"
UPDATE = "update"
DEFAULT_GRAPH_URI = "default-graph-uri"
NAMED_GRAPH_URI = "named-graph-uri"
USING_GRAPH_URI = "using-graph-uri"
USING_NAMED_GRAPH_URI = "using-named-graph-uri"
QUERY_DATASET_PARAMS = (DEFAULT_GRAPH_URI, NAMED_GRAPH_URI)
UPDATE_DATASET_PARAMS = (USING_GRAPH_URI, USING_NAMED_GRAPH_URI)

ENDPOINT_METHODS = ("GET", "HEAD", "POST")
UPDATE_METHODS = ("POST",)
_READ_METHODS = ("GET", "HEAD")


@dataclass(frozen=True)
class QueryRequest:
    """A query operation: the query text and the protocol dataset (§2.1.4)."""

    query: str
    default_graph_uris: list[str] = field(default_factory=list)
    named_graph_uris: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class UpdateRequest:
    """An update operation: the update text and the protocol dataset (§2.2.3)."""

    update: str
    using_graph_uris: list[str] = field(default_factory=list)
    using_named_graph_uris: list[str] = field(default_factory=list)


ProtocolRequest = QueryRequest | UpdateRequest


# --- bytes to text --------------------------------------------------------------------------


def decode_utf8(data: bytes, what: str) -> str:
    """Decode strict UTF-8; a bad byte raises :class:`InputError` (400) naming its offset."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{what} is not valid UTF-8: byte 0x{data[error.start]:02x} at offset {error.start}"
        ) from None


def parse_urlencoded(data: bytes, what: str = "the request body") -> list[tuple[str, str]]:
    """Decode ``application/x-www-form-urlencoded`` bytes into (name, value) pairs, in order.

    ``+`` is a space and ``%XX`` a byte; the decoded bytes must be UTF-8 (400 otherwise, with the
    offset in the percent-decoded name or value). Also right for a raw query string. Short
    inputs are decoded once and remembered (clients repeat the same query strings).
    """
    if len(data) > DECODE_CACHE_MAX_BYTES:
        return _parse_urlencoded(bytes(data), what)
    return list(_parse_urlencoded_cached(bytes(data), what))


def _parse_urlencoded(data: bytes, what: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for chunk in data.split(b"&"):
        if not chunk:
            continue
        raw_name, _, raw_value = chunk.partition(b"=")
        name = decode_utf8(_percent_decode(raw_name), f"a parameter name in {what}")
        value = decode_utf8(_percent_decode(raw_value), f"parameter {name!r} in {what}")
        pairs.append((name, value))
    return pairs


#: Decoded query strings and bodies remembered, and the longest remembered.
DECODE_CACHE_SIZE = 256
DECODE_CACHE_MAX_BYTES = 16 * 1024


@lru_cache(maxsize=DECODE_CACHE_SIZE)
def _parse_urlencoded_cached(data: bytes, what: str) -> tuple[tuple[str, str], ...]:
    return tuple(_parse_urlencoded(data, what))


def _percent_decode(raw: bytes) -> bytes:
    return unquote_to_bytes(raw.replace(b"+", b" "))


def check_body_size(size: int | None, limit: int) -> None:
    """Raise :class:`PayloadTooLarge` (413) when ``size`` bytes exceed ``limit``.

    ``size`` is the ``Content-Length`` (``None`` when unknown) or the length read so far.
    """
    if size is not None and size > limit:
        raise PayloadTooLarge(f"the request body has {size} bytes; the limit is {limit}", limit)


# --- parameters -----------------------------------------------------------------------------


def _values(params: Pairs, name: str) -> list[str]:
    return [value for key, value in params if key == name]


def _present(params: Pairs, names: Iterable[str]) -> list[str]:
    keys = {key for key, _ in params}
    return [name for name in names if name in keys]


def _iris(params: Pairs, name: str) -> list[str]:
    """The values of ``name``; each must be an absolute IRI (RFC 3987), else 400."""
    values = _values(params, name)
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError as error:
            raise InputError(f"{name} must be an absolute IRI, not {value!r}: {error}") from None
    return values


def _operation(params: Pairs) -> str | None:
    """``"query"``, ``"update"`` or ``None``; 400 unless at most one of them is given once."""
    queries, updates = len(_values(params, QUERY)), len(_values(params, UPDATE))
    if queries and updates:
        raise InputError("the request has both a query and an update; send exactly one of them")
    for name, count in ((QUERY, queries), (UPDATE, updates)):
        if count > 1:
            raise InputError(f"the request has {count} {name!r} parameters; send exactly one")
    return QUERY if queries else UPDATE if updates else None


def _refuse(params: Pairs, names: Sequence[str], reason: str) -> None:
    present = _present(params, names)
    if present:
        raise InputError(f"{', '.join(present)} {reason}")


def _query_request(query: str, params: Pairs) -> QueryRequest:
    _refuse(params, UPDATE_DATASET_PARAMS, "apply to updates, not to queries")
    return QueryRequest(query, _iris(params, DEFAULT_GRAPH_URI), _iris(params, NAMED_GRAPH_URI))


def _update_request(update: str, params: Pairs) -> UpdateRequest:
    _refuse(params, QUERY_DATASET_PARAMS, "apply to queries, not to updates")
    using = _iris(params, USING_GRAPH_URI)
    using_named = _iris(params, USING_NAMED_GRAPH_URI)
    if (using or using_named) and has_dataset_clause(update):
        raise InputError(
            "using-graph-uri/using-named-graph-uri cannot be combined with an update that has "
            "a USING, USING NAMED or WITH clause (SPARQL 1.1 Protocol §2.2.3)"
        )
    return UpdateRequest(update, using, using_named)


# --- USING / WITH detection -----------------------------------------------------------------

# Strings, IRIs and comments (SPARQL 1.1 Query §19.8 terminals), blanked before the keyword
# search so that "using" inside them does not count.
_OPAQUE = re.compile(
    r"""'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''"""
    r'''|"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""'''
    r"""|'(?:[^'\\\n\r]|\\.)*'"""
    r'''|"(?:[^"\\\n\r]|\\.)*"'''
    r"""|<[^<>"{}|^`\\\x00-\x20]*>"""
    r"""|\#[^\n\r]*""",
    re.S,
)
# The keywords as tokens: not part of a variable, prefixed name, blank node or language tag.
_DATASET_KEYWORD = re.compile(r"(?<![\w?$:.@-])(?:USING|WITH)(?![\w:.-])", re.I)


def has_dataset_clause(update: str) -> bool:
    """Whether a SPARQL update has a USING, USING NAMED or WITH clause.

    A lexical check, not a parse: it finds the keywords outside strings, IRIs and comments.
    """
    return _DATASET_KEYWORD.search(_OPAQUE.sub(" ", update)) is not None


# --- the request ----------------------------------------------------------------------------


def _parse_get(args: Pairs) -> ProtocolRequest | None:
    operation = _operation(args)
    if operation == UPDATE:
        raise MethodNotAllowed("a SPARQL update must be sent by POST", UPDATE_METHODS)
    if operation is None:
        _refuse(args, QUERY_DATASET_PARAMS + UPDATE_DATASET_PARAMS, "given without a query")
        return None
    return _query_request(_values(args, QUERY)[0], args)


def _parse_form(params: Pairs) -> ProtocolRequest:
    operation = _operation(params)
    if operation is None:
        raise InputError("the form has neither a 'query' nor an 'update' parameter")
    if operation == QUERY:
        return _query_request(_values(params, QUERY)[0], params)
    return _update_request(_values(params, UPDATE)[0], params)


def _parse_direct(media_type: str, args: Pairs, body: bytes) -> ProtocolRequest:
    _refuse(
        args,
        (QUERY, UPDATE),
        f"cannot be in the query string of a {media_type} request: its body is the operation",
    )
    text = decode_utf8(body, "the request body").removeprefix("\ufeff")
    if media_type == SPARQL_QUERY:
        return _query_request(text, args)
    return _update_request(text, args)


def parse_request(
    method: str,
    content_type: str | None,
    query_args: Iterable[tuple[str, str]],
    form: Iterable[tuple[str, str]] | None = None,
    body: bytes = b"",
) -> ProtocolRequest | None:
    """Turn one HTTP request into a query or an update; ``None`` for a bare GET.

    ``query_args`` are the query string's (name, value) pairs, repeats kept (e.g.
    ``parse_urlencoded(raw_query_string, "the query string")``). ``form`` is the decoded form
    body of a form POST; when it is ``None`` the form is decoded from ``body``. Errors:
    :class:`InputError` (400), :class:`MethodNotAllowed` (405),
    :class:`~kgservice.protocol.errors.UnsupportedMediaType` (415).
    """
    args = list(query_args)
    if method in _READ_METHODS:
        return _parse_get(args)
    if method != "POST":
        raise MethodNotAllowed(
            f"method {method} is not allowed: use GET or POST (SPARQL 1.1 Protocol §2)",
            ENDPOINT_METHODS,
        )
    media = parse_content_type(content_type, PROTOCOL_BODY_TYPES)
    if media.essence == FORM_URLENCODED:
        fields = list(form) if form is not None else parse_urlencoded(body)
        return _parse_form(args + fields)
    return _parse_direct(media.essence, args, body)


def read_request(
    method: str, query_string: bytes, content_type: str | None, body: bytes = b""
) -> tuple[ProtocolRequest | None, str | None]:
    """:func:`parse_request` from an HTTP request's raw parts, and its ``format`` parameter
    (the last one given, in the query string or in a form body)."""
    args = parse_urlencoded(query_string, "the query string")
    form = None
    if method == "POST" and (content_type or "").split(";")[0].strip().lower() == FORM_URLENCODED:
        form = parse_urlencoded(body)
    operation = parse_request(method, content_type, args, form, body)
    formats = [value for name, value in args + (form or []) if name == "format"]
    return operation, formats[-1] if formats else None
