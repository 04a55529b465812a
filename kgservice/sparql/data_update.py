"""``INSERT DATA`` and ``DELETE DATA`` operations: their quads, and the token helpers the
operation readers share.

Such an operation names every quad it changes, so its effect needs no run on a copy of the
store: :func:`kgservice.sparql.update_sequence.update_operations` reads each operation's quads,
parsed by Oxigraph from the operation alone (with the prologue in force, :func:`inserted_quads`),
and :mod:`kgservice.writes` looks them up in the store. A blank node, or text the lexer or
Oxigraph does not take, gives ``None``: the update is then run on a copy, which also reports
its errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from kgservice.sparql.lexer import CLOSING, OPENING, Token


@dataclass(frozen=True)
class DataOperation:
    """One ``INSERT DATA`` (``insert``) or ``DELETE DATA`` and its quads, in the text's order."""

    insert: bool
    quads: tuple[ox.Quad, ...]


def braced(found: list[Token], index: int) -> tuple[int, int] | None:
    """The indices of the ``{`` at ``index`` and of the ``}`` that closes it."""
    if index >= len(found) or found[index].text != "{":
        return None
    depth = 0
    for position in range(index, len(found)):
        token = found[position]
        if token.kind != "punct":
            continue
        if token.text in OPENING:
            depth += 1
        elif token.text in CLOSING:
            depth -= 1
            if depth == 0:
                return index, position
    return None


def inserted_quads(update: str, base_iri: str | None) -> tuple[ox.Quad, ...] | None:
    """The quads ``update`` (an insertion) puts into an empty store: Oxigraph parses and
    instantiates it; ``None`` if it refuses it."""
    scratch = ox.Store()
    try:
        scratch.update(update, base_iri=base_iri)
    except Exception:  # whatever the engine says, the run on a copy says it to the client
        return None
    return tuple(scratch)


def token_end(token: Token) -> int:
    return token.start + len(token.text)
