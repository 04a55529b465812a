"""Size, depth and remote-target checks on query text."""

from __future__ import annotations

import pytest

from kgservice.sparql.guard import (
    QueryRefused,
    Target,
    check_shape,
    check_targets,
    remote_targets,
)


def test_deep_nesting_is_refused_with_its_position() -> None:
    deep = "SELECT * WHERE " + "{" * 300 + "}" * 300
    with pytest.raises(QueryRefused, match=r"nested more than 200 levels deep \(line 1"):
        check_shape(deep, max_bytes=10**6, max_depth=200)
    check_shape("SELECT * WHERE " + "{" * 20 + "}" * 20, max_bytes=10**6, max_depth=200)


def test_brackets_inside_strings_and_comments_do_not_count() -> None:
    text = "SELECT * WHERE { ?s ?p '((((((((((' } # ((((((((((((\n"
    check_shape(text, max_bytes=10**6, max_depth=3)


def test_size_is_counted_in_utf8_bytes() -> None:
    with pytest.raises(QueryRefused, match="has 27 bytes; the limit is 15"):
        check_shape("# 临沂临沂临沂临沂\n", max_bytes=15, max_depth=10)


def test_targets_resolve_prefixed_names_and_ignore_strings() -> None:
    text = (
        "PREFIX ex: <http://example.org/>\n"
        "SELECT * FROM ex:g FROM NAMED <http://example.org/n>\n"
        "WHERE { ?s ?p 'SERVICE <http://evil/>' . SERVICE SILENT ex:svc { ?s ?p ?o }\n"
        "        SERVICE ?endpoint { ?s ?p ?o } }"
    )
    found = [(t.clause, t.iri, t.line) for t in remote_targets(text)]
    assert found == [
        ("FROM", "http://example.org/g", 2),
        ("FROM NAMED", "http://example.org/n", 2),
        ("SERVICE", "http://example.org/svc", 3),
        ("SERVICE", None, 4),
    ]


def test_load_in_an_update_is_a_target() -> None:
    [target] = remote_targets("LOAD SILENT <file:///etc/passwd> INTO GRAPH <http://g>")
    assert (target.clause, target.iri) == ("LOAD", "file:///etc/passwd")


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { SERVICE <http://169.254.169.254/latest/> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE ?x { ?s ?p ?o } }",
        "LOAD <http://127.0.0.1:7878/secret>",
        "SELECT * FROM <http://example.org/not-here> WHERE { ?s ?p ?o }",
    ],
)
def test_targets_outside_the_allowlist_are_refused(text: str) -> None:
    with pytest.raises(QueryRefused, match="KGSERVICE_ALLOWED_REMOTE"):
        check_targets(remote_targets(text), (), lambda iri: False)


def test_local_graphs_and_allowlisted_targets_pass() -> None:
    local = "SELECT * FROM <http://example.org/here> WHERE { ?s ?p ?o }"
    check_targets(remote_targets(local), (), lambda iri: iri == "http://example.org/here")
    remote = "SELECT * WHERE { SERVICE <https://query.example.org/sparql> { ?s ?p ?o } }"
    check_targets(remote_targets(remote), ("https://query.example.org/",), lambda iri: False)


def test_a_target_from_a_protocol_parameter_is_named_by_the_parameter() -> None:
    target = Target(
        "FROM NAMED",
        "http://169.254.169.254/",
        "<http://169.254.169.254/>",
        0,
        0,
        "named-graph-uri",
    )
    with pytest.raises(QueryRefused, match=r"<http://169\.254\.169\.254/> \(the named-graph-uri "):
        check_targets([target], (), lambda iri: False)


def test_a_nul_character_is_refused_with_its_position() -> None:
    with pytest.raises(QueryRefused, match=r"NUL character \(U\+0000\) at line 2, column 3"):
        check_shape("ASK\n{ \0 }", max_bytes=100, max_depth=10)
