"""Which personal properties a SPARQL update may write where anonymous readers would see them.

On the embedded store every write goes through :mod:`kgservice.writes`, which computes the
update's effect and lays personal values out masked. On a remote store the service cannot
compute an update's effect, so it sends the update as it is; :func:`unmaskable_write` finds the
updates that could put a raw personal value into a graph anonymous readers see, so that they can
be refused instead: an inserted triple whose predicate is a personal property or a variable, in
any graph but a personal one; ADD, COPY or MOVE out of a personal graph into another graph;
LOAD (its content is unknown). The update is read with rdflib's SPARQL 1.1 parser.
"""

from __future__ import annotations

from collections.abc import Iterator

from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import URIRef, Variable

from kgservice.errors import InputError
from kgservice.privacy import is_personal_graph


def unmaskable_write(
    text: str, personal: frozenset[str], base_iri: str | None = None
) -> str | None:
    """Why ``text`` may write a raw personal value where anonymous readers see it; None if it
    cannot. An update rdflib cannot parse is refused (:class:`InputError`): unchecked, it could
    not be let through."""
    try:
        update = translateUpdate(parseUpdate(text), base=base_iri)
    except Exception as error:  # rdflib raises several kinds for a syntax error
        raise InputError(f"the update could not be checked: {error}") from None
    for operation in update.algebra:
        reason = _operation_reason(operation, personal)
        if reason:
            return reason
    return None


def _operation_reason(operation: CompValue, personal: frozenset[str]) -> str | None:
    if operation.name == "Load":
        return f"LOAD <{operation.iri}> brings content the service cannot see"
    if operation.name in ("Add", "Copy", "Move"):
        source, target = operation.graph
        if _is_personal(source) and not _is_personal(target):
            return f"{operation.name.upper()} from the personal graph <{source}> to another graph"
        return None
    if operation.name == "InsertData":
        inserted: CompValue = operation
    elif operation.name == "Modify" and operation.insert is not None:
        inserted = operation.insert
    else:
        return None
    for graph, predicate in _inserted_predicates(inserted):
        if _is_personal(graph):
            continue
        if isinstance(predicate, Variable):
            return f"an inserted triple has a variable predicate (?{predicate})"
        if str(predicate) in personal:
            return f"it inserts the personal property <{predicate}>"
    return None


def _inserted_predicates(clause: CompValue) -> Iterator[tuple[object, object]]:
    for triple in clause.get("triples") or ():
        yield None, triple[1]
    quads = clause.get("quads") or {}
    for graph, triples in quads.items():
        for triple in triples:
            yield graph, triple[1]


def _is_personal(graph: object) -> bool:
    return isinstance(graph, URIRef) and is_personal_graph(str(graph))
