"""Apply the protocol's ``using-graph-uri``/``using-named-graph-uri`` by rewriting the update.

SPARQL 1.1 Protocol §2.2.3 (https://www.w3.org/TR/sparql11-protocol/#update-dataset): the
parameters give the dataset of the update's WHERE clauses as USING and USING NAMED would. An
embedded Oxigraph store takes no such argument, so the clauses are written into the text: before
the WHERE of every DELETE/INSERT operation, and a ``DELETE WHERE { P }`` becomes
``DELETE { P } USING … WHERE { P }`` (its definition, SPARQL 1.1 Update §3.1.3.3). Operations
without a WHERE (INSERT DATA, LOAD, CLEAR, …) are left as they are. The caller has already
refused an update that has USING or WITH of its own (the protocol forbids mixing them).
"""

from __future__ import annotations

from kgservice.sparql.lexer import CLOSING, OPENING, Token, tokens


def _operations(found: list[Token]) -> list[list[Token]]:
    """Split the tokens at the ``;`` between operations (those outside any brackets)."""
    operations: list[list[Token]] = [[]]
    depth = 0
    for token in found:
        if token.kind == "punct" and token.text in OPENING:
            depth += 1
        elif token.kind == "punct" and token.text in CLOSING:
            depth -= 1
        elif token.kind == "punct" and token.text == ";" and depth == 0:
            operations.append([])
            continue
        operations[-1].append(token)
    return [operation for operation in operations if operation]


def _top_level(operation: list[Token]) -> list[tuple[int, Token]]:
    """(index, token) pairs of the operation's tokens outside any brackets, prologue skipped."""
    result = []
    depth = 0
    skip = 0
    for index, token in enumerate(operation):
        if skip:
            skip -= 1
            continue
        if depth == 0 and token.is_keyword("PREFIX", "BASE"):
            skip = 2 if token.is_keyword("PREFIX") else 1
            continue
        if token.kind == "punct" and token.text in CLOSING:
            depth -= 1
        if depth == 0:
            result.append((index, token))
        if token.kind == "punct" and token.text in OPENING:
            depth += 1
    return result


def _group_end(operation: list[Token], start: int) -> int:
    """Index of the ``}`` closing the group that opens at ``operation[start]``."""
    depth = 0
    for index in range(start, len(operation)):
        token = operation[index]
        if token.kind == "punct" and token.text in OPENING:
            depth += 1
        elif token.kind == "punct" and token.text in CLOSING:
            depth -= 1
            if depth == 0:
                return index
    return len(operation) - 1


def add_using(update: str, using: list[str], using_named: list[str]) -> str:
    """``update`` with USING/USING NAMED clauses for the given IRIs in each WHERE operation."""
    clause = " ".join(
        [f"USING <{iri}>" for iri in using] + [f"USING NAMED <{iri}>" for iri in using_named]
    )
    if not clause:
        return update
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in the text
    for operation in _operations(list(tokens(update))):
        top = _top_level(operation)
        keywords = [(i, t) for i, t in top if t.kind == "name"]
        if not keywords or not keywords[0][1].is_keyword("DELETE", "INSERT", "WITH"):
            continue
        first_index, first = keywords[0]
        second = operation[first_index + 1] if first_index + 1 < len(operation) else None
        if first.is_keyword("DELETE") and second is not None and second.is_keyword("WHERE"):
            group_start = first_index + 2
            end = _group_end(operation, group_start)
            pattern = update[operation[group_start].start : operation[end].start + 1]
            edits.append(
                (second.start, second.start + len(second.text), f"{pattern} {clause} WHERE")
            )
            continue
        where = next((t for _, t in keywords if t.is_keyword("WHERE")), None)
        if where is not None:
            edits.append((where.start, where.start, f"{clause} "))
    for start, end, replacement in sorted(edits, reverse=True):
        update = update[:start] + replacement + update[end:]
    return update
