"""SPARQL syntax errors told so that a person can fix the query (kgservice/sparql/syntax_error.py),
from the messages Oxigraph's parser really gives."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kgservice.sparql.syntax_error import explain


def told(query: str) -> str:
    """The explained message of Oxigraph's parser for ``query`` (a query, or an update)."""
    store = ox.Store()
    with pytest.raises(SyntaxError) as caught:
        if query.lstrip().startswith(("INSERT", "DELETE")):
            store.update(query)
        else:
            store.query(query)
    return explain(query, str(caught.value))


def pointed_at(message: str) -> str:
    """The character of the shown line above the caret."""
    shown, caret = message.splitlines()[-2:]
    return shown[caret.index("^")]


def test_an_undeclared_prefix_is_named_and_pointed_at() -> None:
    """The parser says "expected OPTIONAL" here, at the end of the line; the message names the
    prefix, where it is used."""
    query = "PREFIX city: <https://w3id.org/sckm/city/>\nSELECT * WHERE {\n  ?s cty:name ?o .\n}"
    message = told(query)
    assert message.splitlines() == [
        "SPARQL syntax error at line 3, column 6: the prefix cty: is not declared: add PREFIX "
        "cty: <…> before the query",
        "    ?s cty:name ?o .",
        "       ^",
    ]


def test_a_variable_neither_grouped_nor_aggregated() -> None:
    message = told("SELECT ?s (COUNT(*) AS ?n) { ?s ?p ?o } GROUP BY ?p")
    assert "neither grouped (GROUP BY) nor computed by an aggregate" in message


def test_variables_in_insert_data() -> None:
    assert "INSERT DATA takes no variables" in told("INSERT DATA { ?s <urn:p> 1 }")


def test_the_caret_stands_under_the_parsers_place_on_its_line() -> None:
    message = told("SELECT ?s\nWHERE { ?s ?p ?o }\nLIMT 10")
    assert message.startswith("SPARQL syntax error at line 3, column 7: expected `HAVING`")
    assert message.splitlines()[1:] == ["  LIMT 10", "        ^"]


def test_a_long_line_is_shown_around_the_place() -> None:
    padding = " ".join(f"?v{i}" for i in range(60))
    query = f"SELECT {padding} WHERE {{ ?s ?p ?o }} LIMT 10"
    message = told(query)
    shown = message.splitlines()[1]
    assert shown.startswith("  …") and len(shown) < 90
    assert pointed_at(message) == query[int(message.split("column ")[1].split(":")[0]) - 1]


def test_the_expected_tokens_are_listed_in_words_not_as_character_classes() -> None:
    message = told("SELECT ?s WHERE { ?s ?p ?o FILTER(?o > ) }")
    first = message.splitlines()[0]
    assert "u{" not in first and "[" not in first
    assert "`ABS`" in first and "…" in first and first.endswith("or a name or a value")


def test_the_end_of_the_query_is_said() -> None:
    assert ", at the end of the query: expected" in told("SELECT ?s WHERE { ?s ?p ?o . ")


def test_a_message_of_another_form_is_passed_on() -> None:
    other = "Lexical error at line 1, column 9.  Encountered: ..."
    assert explain("SELECT ?s", other) == f"SPARQL syntax error: {other}"
