"""SPARQL syntax errors told so that a person can fix the query.

Oxigraph's parser says where it stopped and every token it could have read there, character
classes written out in full::

    error at 1:42: expected one of Prefix not found, ['%'], ['-' | '0' ..= '9' | '\\u{00B7}' ...

:func:`explain` turns such a message into one that gives the line and column (the furthest
place the parser read), the line itself with a caret under it, and what could have come there
instead, in words. A check the parser made on the way (a prefix never declared, a variable of
the SELECT that is neither grouped nor aggregated) comes first, as the problem. A message of
another form (another store's parser) is passed on as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kgservice.sparql.lexer import Token, line_and_column, prologue, term_iri, tokens

#: How every syntax error the stores report begins.
SYNTAX_ERROR = "SPARQL syntax error: "
_LOCATED = re.compile(r"error at (\d+):(\d+): expected (?:one of )?(.*)", re.DOTALL)
#: The items of an "expected" list: a quoted token, a character class, or a word or sentence.
_ITEM = re.compile(
    r"""\s*(?:"(?P<token>(?:[^"\\]|\\.)*)"|(?P<chars>\[(?:'(?:[^'\\]|\\.)*'|[^\]'])*\])"""
    r"""|(?P<words>[^,\["]+))\s*(?:,|$)""",
    re.DOTALL,
)
#: The parser's own checks, said as what to do.
_CHECKS = {
    "Prefix not found": "a prefix is not declared: add PREFIX name: <…> before the query",
    "The SELECT contains a variable that is unbound": (
        "a variable of the SELECT is neither grouped (GROUP BY) nor computed by an aggregate "
        "(COUNT, SUM, SAMPLE, …)"
    ),
    "Duplicated variable name in SELECT": "the SELECT names a variable twice",
    "Variables are not allowed in INSERT DATA": (
        "INSERT DATA takes no variables (use INSERT { … } WHERE { … })"
    ),
    "Variables are not allowed in DELETE DATA": (
        "DELETE DATA takes no variables (use DELETE { … } WHERE { … } or DELETE WHERE)"
    ),
    "IRI parsing failed": (
        'this IRI is not valid (no spaces, and none of < > " { } | ^ ` \\ in an IRI)'
    ),
}
_CONTEXT = 40  # characters of a long line shown on each side of the place
_MOST_EXPECTED = 12


@dataclass
class _Expected:
    tokens: list[str] = field(default_factory=list)  # punctuation and keywords, as written
    terms: bool = False  # a character class: a name, a number, a variable's name …
    checks: list[str] = field(default_factory=list)  # sentences: the parser's own checks


def explain(query: str, message: str) -> str:
    """The message for a query or update ``query`` that Oxigraph refused with ``message``."""
    located = _LOCATED.fullmatch(message.strip())
    if located is None:
        return f"{SYNTAX_ERROR}{message}"
    lines = query.split("\n")
    undeclared = _undeclared_prefix(query)
    if undeclared is not None:  # the parser does not always say so, nor where
        line_number, column = line_and_column(query, undeclared.start)
        prefix = undeclared.text.partition(":")[0] + ":"
        problem = f"the prefix {prefix} is not declared: add PREFIX {prefix} <…> before the query"
        return _told(lines, line_number, column, "", problem)
    line_number, column = int(located[1]), int(located[2])
    problem = _problem(_expected(located[3]))
    return _told(lines, line_number, column, _found(lines, line_number, column), problem)


def _told(lines: list[str], line_number: int, column: int, found: str, problem: str) -> str:
    line = lines[line_number - 1] if 0 < line_number <= len(lines) else ""
    return (
        f"SPARQL syntax error at line {line_number}, column {column}{found}: {problem}\n"
        f"{_pointer(line, column)}"
    )


def _undeclared_prefix(query: str) -> Token | None:
    """The first prefixed name whose prefix no PREFIX declares."""
    found = list(tokens(query))
    prefixes, base = prologue(found)
    return next(
        (t for t in found if t.kind == "pname" and term_iri(t, prefixes, base) is None), None
    )


def _expected(listed: str) -> _Expected:
    found = _Expected()
    for item in _ITEM.finditer(listed):
        if item["token"] is not None:
            found.tokens.append(item["token"].replace('\\"', '"').replace("\\\\", "\\"))
        elif item["chars"] is not None:
            found.terms = True
        elif (words := item["words"].strip()) and " " in words:
            found.checks.append(words)
        elif words:
            found.tokens.append(words)
    return found


def _problem(expected: _Expected) -> str:
    for check in expected.checks:
        if check in _CHECKS:
            return _CHECKS[check]
    if expected.checks:
        return expected.checks[0]
    return "expected " + _listed(expected)


def _listed(expected: _Expected) -> str:
    shown = [f"`{token}`" for token in dict.fromkeys(expected.tokens)]
    if len(shown) > _MOST_EXPECTED:
        shown = [*shown[:_MOST_EXPECTED], "…"]
    if expected.terms:
        shown.append("a name or a value")
    if not shown:
        return "something else"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def _found(lines: list[str], line_number: int, column: int) -> str:
    """ ", at the end of the query" when nothing but spaces is left from the place on (the
    parser's place is the furthest it read, so a word there is not always the culprit)."""
    rest = lines[line_number - 1][max(column - 1, 0) :] if 0 < line_number <= len(lines) else ""
    if (rest + "".join(lines[line_number:])).strip():
        return ""
    return ", at the end of the query"


def _pointer(line: str, column: int) -> str:
    """The line (a window of it, when long) and a caret under the column."""
    start = max(column - 1 - _CONTEXT, 0)
    end = column - 1 + _CONTEXT
    shown = (
        ("…" if start else "")
        + line[start:end].replace("\t", " ")
        + ("…" if end < len(line) else "")
    )
    caret = column - 1 - start + (1 if start else 0)
    return f"  {shown}\n  {' ' * caret}^"
