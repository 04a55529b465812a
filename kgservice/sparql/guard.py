"""Checks on query and update text before it reaches the store.

* Size and nesting depth: Oxigraph's recursive parser overflows its stack on text nested some
  thousands of levels deep, and the overflow kills the whole process; :func:`check_shape` refuses
  such text first (400, naming the line and column).
* Remote targets: ``SERVICE`` calls, ``LOAD`` fetches and ``FROM``/``FROM NAMED`` graphs (also
  the protocol's ``default-graph-uri``/``named-graph-uri``) may only name graphs of this store or
  IRIs under a configured allowlist (``KGSERVICE_ALLOWED_REMOTE``, empty by default). A SERVICE
  with a variable endpoint is refused unless the allowlist is ``*``. :func:`remote_targets`
  finds them; the caller decides with its store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kgservice.errors import InputError
from kgservice.sparql.lexer import (
    CLOSING,
    OPENING,
    Token,
    line_and_column,
    prologue,
    term_iri,
    tokens,
)


class QueryRefused(InputError):
    """Text the service will not run: too large, too deep or aimed at a forbidden target."""


@dataclass(frozen=True)
class Target:
    """An IRI (or a variable, for SERVICE ?x) that the text would reach."""

    clause: str  # "SERVICE", "LOAD", "FROM", "FROM NAMED"
    iri: str | None
    text: str
    line: int
    column: int
    parameter: str | None = None  # the protocol parameter that named it, if not the text


def check_shape(text: str, *, max_bytes: int, max_depth: int, what: str = "query") -> list[Token]:
    """Refuse text over ``max_bytes`` (UTF-8), holding a NUL character or nested deeper than
    ``max_depth``; its tokens."""
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise QueryRefused(f"the {what} has {size} bytes; the limit is {max_bytes}")
    if "\0" in text:
        line, column = line_and_column(text, text.index("\0"))
        raise QueryRefused(
            f"the {what} holds a NUL character (U+0000) at line {line}, column {column}"
        )
    found = list(tokens(text))
    depth = 0
    for token in found:
        if token.kind != "punct":
            continue
        if token.text in OPENING:
            depth += 1
            if depth > max_depth:
                line, column = line_and_column(text, token.start)
                raise QueryRefused(
                    f"the {what} is nested more than {max_depth} levels deep "
                    f"(line {line}, column {column})"
                )
        elif token.text in CLOSING:
            depth = max(depth - 1, 0)
    return found


def remote_targets(text: str, found: list[Token] | None = None) -> list[Target]:
    """Every SERVICE, LOAD, FROM and FROM NAMED target in ``text``, in order."""
    found = list(tokens(text)) if found is None else found
    prefixes, base = prologue(found)
    targets: list[Target] = []
    for index, token in enumerate(found):
        if not token.is_keyword("SERVICE", "LOAD", "FROM"):
            continue
        clause = token.text.upper()
        position = index + 1
        if position < len(found) and found[position].is_keyword("SILENT", "NAMED"):
            if found[position].text.upper() == "NAMED":
                clause = "FROM NAMED"
            position += 1
        if position >= len(found):
            continue
        term = found[position]
        line, column = line_and_column(text, term.start)
        targets.append(Target(clause, term_iri(term, prefixes, base), term.text, line, column))
    return targets


def is_allowed(iri: str, allowed: Iterable[str]) -> bool:
    """Whether ``iri`` starts with one of the allowlist's prefixes (``*`` allows all)."""
    return any(prefix == "*" or iri.startswith(prefix) for prefix in allowed)


def check_targets(
    targets: Iterable[Target], allowed: tuple[str, ...], is_local_graph: Callable[[str], bool]
) -> None:
    """Refuse any target not on the allowlist; FROM targets may also be graphs of this store."""
    for target in targets:
        where = (
            f"the {target.parameter} parameter"
            if target.parameter
            else f"line {target.line}, column {target.column}"
        )
        if target.iri is None:
            if target.clause == "SERVICE" and "*" in allowed:
                continue
            raise QueryRefused(
                f"{target.clause} {target.text} ({where}): the service only reaches fixed IRIs "
                "that KGSERVICE_ALLOWED_REMOTE allows"
            )
        if is_allowed(target.iri, allowed):
            continue
        if target.clause.startswith("FROM") and is_local_graph(target.iri):
            continue
        hint = (
            "names no graph of this store, and the service does not fetch remote graphs"
            if target.clause.startswith("FROM")
            else "is not allowed"
        )
        raise QueryRefused(
            f"{target.clause} <{target.iri}> ({where}) {hint}; remote targets must be listed "
            f"in KGSERVICE_ALLOWED_REMOTE (now: {', '.join(allowed) or 'none'})"
        )
