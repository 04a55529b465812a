"""A SPARQL 1.1 lexer (https://www.w3.org/TR/sparql11-query/#grammar, §19.8 terminals).

Enough of the grammar to find things in query and update text without a full parse: IRIs,
prefixed names, variables, strings, numbers, keywords and punctuation, with comments and white
space dropped. The guards (:mod:`kgservice.sparql.guard`) read it to find SERVICE, LOAD and FROM
targets and bracket depth; :mod:`kgservice.sparql.using` to place USING clauses. A character
the grammar does not know becomes an ``error`` token; the store's own parser reports it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PN_PREFIX = rf"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_LOCAL = (
    rf"(?:[{_PN_CHARS_U}:0-9]|{_PLX})"
    rf"(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
)

_TOKENS = [
    ("ws", r"[ \t\r\n]+"),
    ("comment", r"#[^\r\n]*"),
    ("iri", r"<[^<>\"{}|^`\\\x00-\x20]*>"),
    ("string", r"'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''"),
    ("string", r'"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""'),
    ("string", r"'(?:[^'\\\n\r]|\\.)*'"),
    ("string", r'"(?:[^"\\\n\r]|\\.)*"'),
    ("var", rf"[?$][{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*"),
    ("bnode", rf"_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"),
    ("langtag", r"@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*"),
    ("pname", rf"(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?"),
    ("number", r"[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?"),
    ("name", r"[A-Za-z_][A-Za-z0-9_]*"),
    ("punct", r"\^\^|<<|>>|\{\||\|\}|&&|\|\||!=|<=|>=|[{}()\[\];,.*+\-/!=<>|^?]"),
    ("error", r"."),
]
_MASTER = re.compile("|".join(f"(?P<{kind}{i}>{rx})" for i, (kind, rx) in enumerate(_TOKENS)), re.S)
_KINDS = {f"{kind}{i}": kind for i, (kind, _) in enumerate(_TOKENS)}

OPENING = {"(": ")", "[": "]", "{": "}", "<<": ">>", "{|": "|}"}
CLOSING = {closer: opener for opener, closer in OPENING.items()}


@dataclass(frozen=True)
class Token:
    """One token: its kind, text and character offset in the source."""

    kind: str
    text: str
    start: int

    def is_keyword(self, *words: str) -> bool:
        """Whether this is one of ``words`` as a (case-insensitive) keyword."""
        return self.kind == "name" and self.text.upper() in words


def tokens(text: str) -> Iterator[Token]:
    """The tokens of ``text``, without white space and comments."""
    for match in _MASTER.finditer(text):
        kind = _KINDS[match.lastgroup or ""]
        if kind not in ("ws", "comment"):
            yield Token(kind, match.group(), match.start())


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset, for messages."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def declares_dataset(query: str) -> bool:
    """Whether a query has FROM or FROM NAMED clauses, which then define its dataset.

    FROM is a keyword of dataset clauses only, so any FROM token outside strings, IRIs and
    comments is one.
    """
    return any(token.is_keyword("FROM") for token in tokens(query))


#: The start of an absolute IRI: a scheme and its colon (RFC 3987).
ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
#: Functions that resolve a relative IRI against the query's base.
_BASE_FUNCTIONS = ("IRI", "URI")
#: Functions whose value is new at every evaluation (SPARQL 1.1 §17.4.2.8, §17.4.4, §17.4.5).
_VOLATILE_FUNCTIONS = ("BNODE", "RAND", "NOW", "UUID", "STRUUID")


def is_relative_iri(token: Token) -> bool:
    """Whether ``token`` is an ``<…>`` IRI without a scheme (resolved against a base)."""
    return token.kind == "iri" and not ABSOLUTE_IRI.match(token.text, 1)


def calls(found: list[Token], *functions: str) -> bool:
    """Whether one of ``functions`` (upper case) is called: its name, then ``(``."""
    return any(
        token.is_keyword(*functions) and _called(found, index) for index, token in enumerate(found)
    )


def _called(found: list[Token], index: int) -> bool:
    return index + 1 < len(found) and found[index + 1].text == "("


def outer_limit(found: list[Token]) -> int | None:
    """The ``LIMIT`` among a query's outermost solution modifiers (``None``: it has none). A
    sub-select's ``LIMIT`` sits inside braces; only one outside every brace bounds the answer."""
    depth = 0
    for index, token in enumerate(found):
        if token.kind == "punct" and token.text in ("{", "{|"):
            depth += 1
        elif token.kind == "punct" and token.text in ("}", "|}"):
            depth -= 1
        elif depth == 0 and token.is_keyword("LIMIT") and index + 1 < len(found):
            following = found[index + 1]
            return int(following.text) if following.text.isdigit() else None
    return None


def depends_on_base(found: list[Token]) -> bool:
    """Whether the meaning of a query depends on the base IRI it is given: a relative IRI (a
    relative BASE included) or a call of ``IRI``/``URI`` (which resolve against the base) where
    no absolute BASE is in force."""
    fixed = False  # an absolute BASE came before
    for index, token in enumerate(found):
        if fixed:
            continue
        if is_relative_iri(token) or (token.is_keyword(*_BASE_FUNCTIONS) and _called(found, index)):
            return True
        if token.is_keyword("BASE") and index + 1 < len(found) and found[index + 1].kind == "iri":
            if is_relative_iri(found[index + 1]):
                return True
            fixed = True
    return False


def is_volatile(found: list[Token]) -> bool:
    """Whether a query calls a function with a new value at every evaluation (``NOW()``,
    ``RAND()``, ``UUID()``, ``STRUUID()``, ``BNODE()``): its answer is not to be reused."""
    return calls(found, *_VOLATILE_FUNCTIONS)


_LOCAL_ESCAPE = re.compile(r"\\(.)")


def prologue(found: list[Token]) -> tuple[dict[str, str], str | None]:
    """PREFIX declarations and the last BASE, wherever they are (updates repeat prologues)."""
    prefixes: dict[str, str] = {}
    base: str | None = None
    for index, token in enumerate(found):
        following = found[index + 1 : index + 3]
        if token.is_keyword("PREFIX") and len(following) == 2 and following[1].kind == "iri":
            prefixes[following[0].text.rstrip(":")] = resolve_iri(following[1].text, base)
        elif token.is_keyword("BASE") and following and following[0].kind == "iri":
            base = resolve_iri(following[0].text, base)
    return prefixes, base


def resolve_iri(text: str, base: str | None) -> str:
    """The IRI of an ``<…>`` token, resolved against ``base`` when there is one."""
    iri = text[1:-1]
    return urljoin(base, iri) if base else iri


def term_iri(token: Token, prefixes: dict[str, str], base: str | None) -> str | None:
    """The IRI an IRI or prefixed-name token stands for (``None``: not one, or an undeclared
    prefix). Escapes in a local name (``ex:a\\-b``) are removed, as the grammar says."""
    if token.kind == "iri":
        return resolve_iri(token.text, base)
    if token.kind == "pname":
        prefix, _, local = token.text.partition(":")
        namespace = prefixes.get(prefix)
        return namespace + _LOCAL_ESCAPE.sub(r"\1", local) if namespace is not None else None
    return None
