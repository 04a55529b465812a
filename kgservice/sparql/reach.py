"""Whether a query can read triples of some predicates: the fast path of the anonymous view.

An anonymous reader must not see the raw personal graphs, so its query runs over the other
graphs, named one by one as its dataset. Oxigraph evaluates that two to five times slower than
its union default graph, which looks each pattern up once instead of once per graph. The raw
personal graphs hold only triples whose predicate is a personal property (the store checks
that, :class:`kgservice.store.base.QueryDataset`), so a query that can match no triple with
such a predicate gives the same answers over the union of all graphs.

:func:`reads_predicates` proves that or gives up; giving up only costs speed. A query can
match a triple of a predicate when:

- it names the predicate anywhere (an IRI or prefixed name, resolved as the store would);
- a variable stands where a predicate goes (``?s ?p ?o``), or a negated property set
  (``!rdfs:label``) does;
- a path may have length zero as a whole (``p*``, ``p?``, ``p|q*``): that binds its ends to every
  term of the default graph, objects of personal triples included (a step of length zero inside
  a path that has another step of length one or more, ``p/q*``, does not: its ends are terms of
  the triples of that step);
- it is a DESCRIBE (which reads every predicate of the described resources), or calls SERVICE.

The structure (which positions hold variables or paths) comes from rdflib's SPARQL parser, which
is slow (1–12 ms), so the verdict is cached by the query's *skeleton*: its tokens with IRIs,
strings, numbers and language tags blanked out. Two queries with one skeleton have the same
structure; the names they use are checked on every request (a token scan, microseconds).
The whole verdict is also remembered per query text and predicate set (the same text gives the
same verdict) for the :data:`VERDICT_CACHE_SIZE` texts used last, so a lookup asked again skips
even the token scan.
"""

from __future__ import annotations

import threading
from functools import lru_cache

from rdflib import URIRef
from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from kgservice.sparql.lexer import Token, is_relative_iri, prologue, term_iri, tokens

_BLANKED = frozenset({"iri", "string", "number", "langtag"})
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_PARSER_LOCK = threading.Lock()  # pyparsing's packrat cache is shared module state
SKELETON_CACHE_SIZE = 4096
VERDICT_CACHE_SIZE = 1024
VERDICT_CACHE_MAX_CHARS = 16 * 1024  # longer texts are not remembered whole


def reads_predicates(text: str, found: list[Token] | None, predicates: frozenset[str]) -> bool:
    """Whether the query ``text`` (its tokens ``found``, or ``None`` to lex them when needed)
    may match a triple whose predicate is one of ``predicates``: ``False`` only when that is
    proven."""
    if len(text) > VERDICT_CACHE_MAX_CHARS:
        return _reads_predicates(text, list(tokens(text)) if found is None else found, predicates)
    return _verdict_for_text(text, predicates)


@lru_cache(maxsize=VERDICT_CACHE_SIZE)
def _verdict_for_text(text: str, predicates: frozenset[str]) -> bool:
    return _reads_predicates(text, list(tokens(text)), predicates)


def _reads_predicates(text: str, found: list[Token], predicates: frozenset[str]) -> bool:
    if any(token.is_keyword("DESCRIBE", "SERVICE") for token in found):
        return True
    if _names_read_or_unknown(found, predicates):
        return True
    return not _structure_safe(skeleton(found), text)


def _names_read_or_unknown(found: list[Token], predicates: frozenset[str]) -> bool:
    """Whether a name in the query is one of ``predicates`` (the keyword ``a`` is
    ``rdf:type``), or cannot be resolved as the store will (:func:`unresolvable`)."""
    prefixes, base = prologue(found)
    return any(
        unresolvable(token, prefixes, base)
        or term_iri(token, prefixes, base) in predicates
        or (token.kind == "name" and token.text == "a" and RDF_TYPE in predicates)
        for token in found
    )


def unresolvable(token: Token, prefixes: dict[str, str], base: str | None) -> bool:
    """Whether ``token`` is a name that cannot be resolved as the store will resolve it: a
    relative IRI without BASE (the store resolves it against the endpoint's URL), a prefix never
    declared, or a token the lexer does not know."""
    if token.kind == "error":
        return True
    if token.kind == "iri":
        return base is None and is_relative_iri(token)
    return token.kind == "pname" and term_iri(token, prefixes, base) is None


def skeleton(found: list[Token]) -> tuple[str, ...]:
    """The tokens' texts with IRIs, strings, numbers and language tags blanked out: queries with
    one skeleton have one structure."""
    return tuple(token.kind if token.kind in _BLANKED else token.text for token in found)


_verdicts: dict[tuple[str, ...], bool] = {}  # skeleton → structure safe (oldest first)
_verdicts_lock = threading.Lock()


def _structure_safe(skeleton: tuple[str, ...], text: str) -> bool:
    verdict = _verdicts.get(skeleton)
    if verdict is None:
        verdict = _parse_and_check(text)
        with _verdicts_lock:
            if len(_verdicts) >= SKELETON_CACHE_SIZE:
                _verdicts.pop(next(iter(_verdicts)), None)
            _verdicts[skeleton] = verdict
    return verdict


def _parse_and_check(text: str) -> bool:
    algebra = parse_algebra(text)
    return algebra is not None and pattern_safe(algebra)


def parse_algebra(text: str) -> CompValue | None:
    """rdflib's algebra of a query, or ``None`` when rdflib cannot read it (no proof, so the
    slow path)."""
    with _PARSER_LOCK:
        try:
            return translateQuery(parseQuery(text)).algebra
        except Exception:
            return None


def pattern_safe(node: object) -> bool:
    """Whether no triple pattern under ``node`` has a variable, a negated set or a path of
    possible length zero as its predicate, and no SERVICE or DESCRIBE is there (``False`` too
    when the algebra nests too deep to walk)."""
    try:
        return _pattern_safe(node)
    except RecursionError:
        return False


def _pattern_safe(node: object) -> bool:
    """Whether no triple pattern under ``node`` has a variable, a negated set or a path of
    possible length zero as its predicate, and no SERVICE or DESCRIBE is there."""
    if isinstance(node, CompValue):
        if node.name in ("ServiceGraphPattern", "DescribeQuery"):
            return False
        if "triples" in node and not all(_triples_safe(t) for t in node["triples"] or ()):
            return False
        return all(
            _pattern_safe(value)
            for key, value in node.items()
            if key not in ("triples", "template")  # a CONSTRUCT template reads nothing
        )
    if isinstance(node, dict):
        return all(_pattern_safe(value) for value in node.values())
    if isinstance(node, (list, tuple)):
        return all(_pattern_safe(item) for item in node)
    return True


def _triples_safe(triples: object) -> bool:
    """A triple, or (inside EXISTS) a flat list of several: every third item a predicate."""
    if not isinstance(triples, (list, tuple)) or len(triples) % 3:
        return False
    return all(_predicate_safe(triples[index]) for index in range(1, len(triples), 3))


def _predicate_safe(predicate: object) -> bool:
    """Whether a predicate is an IRI, or a path of IRIs that is never of length zero."""
    length = _least_length(predicate)
    return length is not None and length >= 1


def _least_length(path: object) -> int | None:
    """The fewest triples a path can match in a row (``None``: not a path of IRIs).

    A step of length zero inside a longer path (``city:a/city:x*``) is harmless: its ends are
    the ends of the triples of the steps beside it, never any term of the store."""
    if isinstance(path, URIRef):
        return 1  # its name was checked on the tokens
    if isinstance(path, InvPath):
        return _least_length(path.arg)
    if isinstance(path, MulPath):
        inner = _least_length(path.path)
        return None if inner is None else (inner if path.mod == "+" else 0)
    if isinstance(path, (SequencePath, AlternativePath)):
        lengths = [_least_length(arg) for arg in path.args]
        if any(length is None for length in lengths):
            return None
        return sum(lengths) if isinstance(path, SequencePath) else min(lengths)
    return None  # a variable, a negated property set, a blank node, anything else
