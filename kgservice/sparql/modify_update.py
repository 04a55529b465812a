"""The quads one ``DELETE``/``INSERT … WHERE`` (or ``DELETE WHERE``) operation changes, found
without running it on a copy of the store.

The ``WHERE`` pattern is evaluated once on the store as a ``SELECT`` (over the store's own
default graph, as the update would be), and each template is instantiated by Oxigraph itself:
``INSERT { template } WHERE { VALUES … }`` with the solutions, on an empty in-memory store,
gives the template's quads (unbound variables skip their triple, an inserted blank node is
fresh for each solution, as SPARQL 1.1 Update §3.1.3 says). Anything outside that (a ``WITH``
or ``USING`` clause, a blank node or an RDF-star triple among the
solutions, more solutions than :data:`MAX_SOLUTIONS`, text the lexer or Oxigraph does not take)
gives ``None``: the update then runs on a copy of the store, which also reports its errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from kgservice.sparql.data_update import braced, inserted_quads, token_end
from kgservice.sparql.geo import registered_functions
from kgservice.sparql.lexer import Token

#: Beyond this many solutions the update runs on a copy (a VALUES block that long costs more).
MAX_SOLUTIONS = 50_000


@dataclass(frozen=True)
class Modify:
    """The quads a ``DELETE``/``INSERT … WHERE`` operation deletes and inserts."""

    deleted: tuple[ox.Quad, ...]
    inserted: tuple[ox.Quad, ...]


@dataclass(frozen=True)
class ModifyText:
    """One ``DELETE``/``INSERT … WHERE`` operation as text: its prologue, templates and
    ``WHERE`` group (a ``DELETE WHERE`` has its pattern as both)."""

    prologue: str
    delete: str
    insert: str
    where: str

    def select(self) -> str:
        """The ``WHERE`` as a query of its own."""
        return f"{self.prologue}\nSELECT * WHERE {self.where}"


def solve(
    store: ox.Store,
    modify: ModifyText,
    base_iri: str | None = None,
    overlay: tuple[ox.Store, ox.Store] | None = None,
) -> Modify | None:
    """The quads ``modify`` deletes and inserts, its ``WHERE`` evaluated on ``store``; with an
    ``overlay`` (stores of the quads earlier operations removed and added; the ``WHERE`` one
    triple pattern, each solution one quad) on the store as those operations left it."""
    found = _solutions(store, modify, base_iri)
    if found is None:
        return None
    names, rows = found
    if overlay is not None:
        removed, added = (_solutions(quads, modify, base_iri) for quads in overlay)
        if removed is None or added is None or removed[0] != names or added[0] != names:
            return None
        gone, kept = set(removed[1]), set(rows)
        rows = [row for row in rows if row not in gone] + [r for r in added[1] if r not in kept]
    if len(rows) > MAX_SOLUTIONS:
        return None
    values = _values(names, rows)
    prologue = modify.prologue
    deleted = _instantiate(prologue, modify.delete, values, base_iri) if modify.delete else ()
    inserted = _instantiate(prologue, modify.insert, values, base_iri) if modify.insert else ()
    if deleted is None or inserted is None:
        return None
    return Modify(deleted, inserted)


def _solutions(
    store: ox.Store, modify: ModifyText, base_iri: str | None
) -> tuple[list[str], list[tuple[object, ...]]] | None:
    """The variables and solutions of the ``WHERE`` of ``modify`` over ``store``; ``None`` if
    the engine refuses it, a blank node or triple term is among them, or they are too many."""
    try:
        solutions = store.query(
            modify.select(),
            base_iri=base_iri,
            custom_functions=registered_functions() or None,
        )
    except Exception:  # whatever the engine says, the run on a copy says it to the client
        return None
    if not isinstance(solutions, ox.QuerySolutions):
        return None
    names = [variable.value for variable in solutions.variables]
    rows = []
    for solution in solutions:
        row = tuple(solution[name] for name in names)
        if any(isinstance(term, ox.BlankNode | ox.Triple) for term in row):
            return None  # VALUES cannot name a blank node of the store
        rows.append(row)
        if len(rows) > MAX_SOLUTIONS:
            return None
    return names, rows


def prologue_end(text: str, found: list[Token]) -> tuple[int, str]:
    """The index of the first token after the leading ``PREFIX``/``BASE`` declarations, and
    the declarations as text."""
    index, declarations = 0, []
    while index < len(found) and found[index].is_keyword("PREFIX", "BASE"):
        width = 3 if found[index].is_keyword("PREFIX") else 2
        last = found[min(index + width, len(found)) - 1]
        declarations.append(text[found[index].start : token_end(last)])
        index += width
    return index, "\n".join(declarations)


def modify_parts(text: str, found: list[Token], index: int) -> tuple[str, str, str, int] | None:
    """(DELETE template, INSERT template, WHERE pattern, index after it) of the operation that
    starts at ``index``; ``None`` if it is not a ``DELETE``/``INSERT … WHERE`` or ``DELETE
    WHERE`` without ``WITH`` or ``USING``."""
    delete = insert = ""
    if index < len(found) and found[index].is_keyword("DELETE") and _at(found, index + 1, "WHERE"):
        group = braced(found, index + 2)
        if group is None or _has_blank_node(found, group):
            return None
        where = _text(text, found, group)
        return where, "", where, group[1] + 1
    if index < len(found) and found[index].is_keyword("DELETE"):
        group = braced(found, index + 1)
        if group is None or _has_blank_node(found, group):
            return None  # not allowed in a DELETE template: Oxigraph says so on the copy
        delete, index = _text(text, found, group), group[1] + 1
    if index < len(found) and found[index].is_keyword("INSERT"):
        group = braced(found, index + 1)
        if group is None:
            return None
        insert, index = _text(text, found, group), group[1] + 1
    if not (delete or insert) or not _at(found, index, "WHERE"):
        return None  # WITH, USING, a DATA operation or something else: not this path
    group = braced(found, index + 1)
    if group is None:
        return None
    return delete, insert, _text(text, found, group), group[1] + 1


def _has_blank_node(found: list[Token], group: tuple[int, int]) -> bool:
    return any(t.kind == "bnode" or t.text == "[" for t in found[group[0] : group[1]])


def _at(found: list[Token], index: int, word: str) -> bool:
    return index < len(found) and found[index].is_keyword(word)


def _text(text: str, found: list[Token], group: tuple[int, int]) -> str:
    return text[found[group[0]].start : token_end(found[group[1]])]


def _values(names: list[str], rows: list[tuple[object, ...]]) -> str:
    header = " ".join(f"?{name}" for name in names)
    lines = (
        "(" + " ".join("UNDEF" if term is None else str(term) for term in row) + ")" for row in rows
    )
    return f"VALUES ({header}) {{\n" + "\n".join(lines) + "\n}"


def _instantiate(
    prologue: str, template: str, values: str, base_iri: str | None
) -> tuple[ox.Quad, ...] | None:
    """The quads ``template`` gives for the solutions in ``values``."""
    return inserted_quads(f"{prologue}\nINSERT {template} WHERE {{ {values} }}", base_iri)
