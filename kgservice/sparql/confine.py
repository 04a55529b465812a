"""Confine a query's reads of personal properties to the visible graphs, so the rest may run over
the union default graph.

:mod:`kgservice.sparql.reach` lets an anonymous reader's query run over Oxigraph's union default
graph when it reads no personal property. A query that does read one (a name shown masked beside
a legal entity) would otherwise run over the visible graphs named one by one, which Oxigraph
evaluates several times slower. :func:`confine_reads` rewrites such a query instead: every triple
pattern of a personal property becomes a graph pattern over a fresh variable,

    ``?person city:personName ?name``  →  ``GRAPH ?kgs_visible_1 { ?person city:personName ?name }``

which ranges over the dataset's named graphs: the visible ones only (the hidden raw personal
graphs are not among them), so the pattern sees exactly the masked copies it saw before. Every
other pattern reads the union, which adds nothing: the hidden graphs hold only triples of the
personal properties (the store checks that before it uses the union, as for unread predicates).

The rewrite is done on tokens, then proven on rdflib's algebra of the result: the query must
parse; every triple pattern of a personal property in it must sit inside a ``GRAPH`` pattern (one
of the fresh ones, or the query's own: either ranges over the visible graphs); no variable,
negated set or zero-length path may stand as a predicate anywhere (as
:mod:`~kgservice.sparql.reach` demands); and no path may contain a personal property. Anything
else gives ``None``, and the query runs over the visible graphs as before: giving up costs speed,
never privacy.

What changes for the reader: nothing in the answers, with two provisos that keep it so. A query
that projects ``*`` (``SELECT *``, ``SELECT DISTINCT *``, ``COUNT(*)``) is not rewritten, as the
fresh variables would be among its columns or change what ``*`` counts; a CONSTRUCT is not
rewritten, as its template is not a pattern. Personal triples in the store's unnamed default graph
(which the service never writes: it refuses personal data outside a source graph) are not read by
a rewritten pattern.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import lru_cache

from rdflib import URIRef
from rdflib.paths import Path
from rdflib.plugins.sparql.parserutils import CompValue

from kgservice.sparql.lexer import Token, prologue, term_iri, tokens
from kgservice.sparql.reach import parse_algebra, pattern_safe, skeleton, unresolvable

FRESH_PREFIX = "kgs_visible_"
REWRITE_CACHE_SIZE = 1024
REWRITE_CACHE_MAX_CHARS = 16 * 1024
_SITE_OPENERS = frozenset({"{", ".", "}", ")"})
_SITE_CLOSERS = frozenset({".", "}", "{"})
#: Keywords that may follow a triple in a group: the graph patterns that are not triples.
_CLOSING_KEYWORDS = ("FILTER", "OPTIONAL", "MINUS", "BIND", "VALUES", "GRAPH", "SERVICE")
_SUBJECT_KINDS = frozenset({"var", "iri", "pname"})
_OBJECT_KINDS = frozenset({"var", "iri", "pname", "string", "number"})
_REFUSED_FORMS = ("CONSTRUCT", "DESCRIBE", "SERVICE")
#: A GRAPH pattern in rdflib's algebra, and inside EXISTS (left as the parser gave it).
_GRAPH_NODES = frozenset({"Graph", "GraphGraphPattern"})


def confine_reads(text: str, predicates: frozenset[str]) -> str | None:
    """``text`` with every triple pattern of one of ``predicates`` confined to the named graphs
    (module docstring), or ``None`` when that cannot be proven to cover every read of them."""
    if len(text) > REWRITE_CACHE_MAX_CHARS:
        return _confine(text, predicates)
    return _confine_cached(text, predicates)


def _confine(text: str, predicates: frozenset[str]) -> str | None:
    found = list(tokens(text))
    if _refused(found):
        return None
    prefixes, base = prologue(found)
    if any(unresolvable(token, prefixes, base) for token in found):
        return None
    named = [i for i, t in enumerate(found) if term_iri(t, prefixes, base) in predicates]
    sites = [i for i in named if _is_site(found, i)]
    if not sites:
        return None
    fresh = _fresh_names(found, len(sites))
    rewritten = _splice(text, found, sites, fresh)
    key = (skeleton(found), tuple(named), tuple(sites), predicates)
    if not _proven(key, rewritten, predicates):
        return None
    return rewritten


_confine_cached = lru_cache(maxsize=REWRITE_CACHE_SIZE)(_confine)


def _refused(found: list[Token]) -> bool:
    """A form or construct the rewrite does not handle (module docstring)."""
    for index, token in enumerate(found):
        if token.is_keyword(*_REFUSED_FORMS):
            return True
        if token.text == "*" and index and _projects(found[index - 1]):
            return True
    return False


def _projects(before: Token) -> bool:
    return before.text == "(" or before.is_keyword("SELECT", "DISTINCT", "REDUCED")


def _is_site(found: list[Token], index: int) -> bool:
    """Whether the predicate token at ``index`` is the middle of a whole triple ``S P O`` that
    stands alone between separators (``{ S P O }``, ``. S P O .``, ``} S P O FILTER`` …)."""
    if index < 2 or index + 2 >= len(found):
        return False
    before, subject, obj, after = (found[index + offset] for offset in (-2, -1, 1, 2))
    return (
        before.text in _SITE_OPENERS
        and subject.kind in _SUBJECT_KINDS
        and obj.kind in _OBJECT_KINDS
        and (after.text in _SITE_CLOSERS or after.is_keyword(*_CLOSING_KEYWORDS))
    )


def _fresh_names(found: list[Token], count: int) -> list[str]:
    taken = {token.text[1:] for token in found if token.kind == "var"}
    names: list[str] = []
    number = 1
    while len(names) < count:
        name = f"{FRESH_PREFIX}{number}"
        if name not in taken:
            names.append(name)
        number += 1
    return names


def _splice(text: str, found: list[Token], sites: list[int], fresh: list[str]) -> str:
    parts: list[str] = []
    position = 0
    for site, name in zip(sites, fresh, strict=True):
        start = found[site - 1].start
        obj = found[site + 1]
        end = obj.start + len(obj.text)
        parts += [text[position:start], f"GRAPH ?{name} {{ ", text[start:end], " }"]
        position = end
    parts.append(text[position:])
    return "".join(parts)


_verdicts: dict[tuple, bool] = {}  # (skeleton, positions, predicates) → proven (oldest first)
_verdicts_lock = threading.Lock()
VERDICT_CACHE_SIZE = 4096


def _proven(key: tuple, rewritten: str, predicates: frozenset[str]) -> bool:
    """Whether the rewritten query reads personal triples only inside ``GRAPH`` patterns.

    The verdict depends on the query's structure and on where the personal names stand, not on
    the other names (the fresh variables are chosen from the variables, which are part of the
    skeleton): it is remembered under ``key``, so lookups that differ only in the IRIs or
    strings they ask about are parsed once."""
    verdict = _verdicts.get(key)
    if verdict is None:
        algebra = parse_algebra(rewritten)
        verdict = algebra is not None and pattern_safe(algebra) and _confined(algebra, predicates)
        with _verdicts_lock:
            if len(_verdicts) >= VERDICT_CACHE_SIZE:
                _verdicts.pop(next(iter(_verdicts)), None)
            _verdicts[key] = verdict
    return verdict


def _confined(node: object, predicates: frozenset[str], inside: bool = False) -> bool:
    """Whether every triple pattern of ``predicates`` under ``node`` is inside a GRAPH pattern
    (which ranges over the dataset's named graphs: the visible ones), and no path names one."""
    try:
        return _walk(node, predicates, inside)
    except RecursionError:
        return False


def _walk(node: object, predicates: frozenset[str], inside: bool) -> bool:
    if isinstance(node, CompValue):
        inside = inside or node.name in _GRAPH_NODES
        if "triples" in node and not all(
            _triple_confined(t, predicates, inside) for t in node["triples"] or ()
        ):
            return False
        return all(
            _walk(value, predicates, inside)
            for key, value in node.items()
            if key not in ("triples", "template")
        )
    if isinstance(node, dict):
        return all(_walk(value, predicates, inside) for value in node.values())
    if isinstance(node, (list, tuple)):
        return all(_walk(item, predicates, inside) for item in node)
    return True


def _triple_confined(triples: object, predicates: frozenset[str], inside: bool) -> bool:
    if not isinstance(triples, (list, tuple)) or len(triples) % 3:
        return False
    for predicate in (triples[index] for index in range(1, len(triples), 3)):
        if isinstance(predicate, Path):
            if any(str(iri) in predicates for iri in _path_iris(predicate)):
                return False
        elif isinstance(predicate, URIRef) and str(predicate) in predicates and not inside:
            return False
    return True


def _path_iris(path: object) -> Iterator[URIRef]:
    if isinstance(path, URIRef):
        yield path
    for attribute in ("path", "arg", "args"):
        value = getattr(path, attribute, None)
        for part in value if isinstance(value, list) else [value] if value is not None else []:
            yield from _path_iris(part)
