"""The operations of an update made of ``INSERT DATA``, ``DELETE DATA`` and ``DELETE``/``INSERT
… WHERE`` operations, in order: what :func:`kgservice.writes.looked_up_delta` folds over the
store instead of running the update on a copy of it.

A client replacing a record's values sends ``DELETE WHERE { … } ; INSERT DATA { … }``; a sync
job sends several such pairs. Each operation sees the store as the operations before it left
it, and a ``WHERE`` is evaluated on the store itself, so the fold takes a ``WHERE`` where it
cannot read what the earlier operations changed (:func:`where_sees_changes`), or where it is one
triple pattern (:func:`one_triple_pattern`: ``DELETE WHERE { <record> <p> ?old }``, as a batch
replacing many records' values sends): each of its solutions is one quad, so its solutions over
the store as the earlier operations left it are those over the store, less those over the
quads they removed, plus those over the quads they added. Anything else
(a prologue between operations, ``WITH``/``USING``, a graph operation, a blank node in data or
in a ``DELETE`` template, text the lexer or Oxigraph does not take) gives ``None``: the update
then runs on a copy, which also reports its errors.
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import Literal, URIRef, Variable

from kgservice.sparql.data_update import DataOperation, braced, inserted_quads, token_end
from kgservice.sparql.lexer import Token, tokens
from kgservice.sparql.modify_update import ModifyText, modify_parts, prologue_end
from kgservice.sparql.reach import parse_algebra, reads_predicates

Operation = DataOperation | ModifyText


def update_operations(
    text: str, found: list[Token], base_iri: str | None = None
) -> list[Operation] | None:
    """The operations of update ``text`` (``found``: its tokens) in order, data operations
    with their quads parsed; ``None`` if it holds anything else."""
    index, prologue = prologue_end(text, found)
    operations: list[Operation] = []
    while index < len(found):
        operation, index = _operation(text, found, index, prologue, base_iri)
        if operation is None:
            return None
        operations.append(operation)
        if index < len(found):
            if found[index].text != ";":
                return None
            index += 1
    return operations or None


def _operation(
    text: str, found: list[Token], index: int, prologue: str, base_iri: str | None
) -> tuple[Operation | None, int]:
    token = found[index]
    if token.is_keyword("INSERT", "DELETE") and _next_is(found, index, "DATA"):
        body = braced(found, index + 2)
        if body is None:
            return None, index
        opening, closing = body
        if any(t.kind == "bnode" or t.text == "[" for t in found[opening:closing]):
            return None, index
        data = text[found[opening].start : token_end(found[closing])]
        quads = inserted_quads(f"{prologue}\nINSERT DATA {data}", base_iri)
        if quads is None:
            return None, index
        return DataOperation(token.is_keyword("INSERT"), quads), closing + 1
    parts = modify_parts(text, found, index)
    if parts is None:  # a PREFIX between operations included: Oxigraph's parser decides
        return None, index
    delete, insert, where, index = parts
    return ModifyText(prologue, delete, insert, where), index


def _next_is(found: list[Token], index: int, word: str) -> bool:
    return index + 1 < len(found) and found[index + 1].is_keyword(word)


def where_sees_changes(
    modify: ModifyText, changed: set[ox.Quad], graphs: set[ox.NamedNode | ox.DefaultGraph]
) -> bool:
    """Whether the ``WHERE`` of ``modify`` may read one of the ``changed`` quads (or, through
    ``GRAPH``, a named graph not among the store's ``graphs``): ``False`` only when proven."""
    if not changed:
        return False
    query = modify.select()
    found = list(tokens(query))
    new_graphs = {q.graph_name for q in changed} - graphs - {ox.DefaultGraph()}
    if new_graphs and any(token.is_keyword("GRAPH") for token in found):
        return True
    return reads_predicates(query, found, frozenset(q.predicate.value for q in changed))


def one_triple_pattern(modify: ModifyText) -> bool:
    """Whether the ``WHERE`` of ``modify`` is one triple pattern without blank nodes or a path,
    alone or in one ``GRAPH``: then each solution is one quad of the data it reads."""
    algebra = parse_algebra(modify.select())
    project = getattr(algebra, "p", None)
    pattern = getattr(project, "p", None)
    if getattr(pattern, "name", None) == "Graph":
        pattern = pattern.p  # type: ignore[union-attr]
    if getattr(pattern, "name", None) != "BGP" or len(pattern.triples) != 1:  # type: ignore[union-attr]
        return False
    return all(isinstance(term, URIRef | Literal | Variable) for term in pattern.triples[0])  # type: ignore[union-attr]
