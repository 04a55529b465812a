"""The store contract: every backend answers the same way.

Each test runs on the embedded store, on a real ``oxigraph serve`` through :class:`RemoteStore`
with its Graph Store URL, and on the same server through SPARQL alone (see ``conftest.py``).
Tests at the end are about what only a remote store can do: be down, or be slow.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable

import pyoxigraph as ox
import pytest

from kgservice.errors import InputError
from kgservice.store.base import (
    QueryDataset,
    Store,
    StoreRefused,
    StoreSyntaxError,
    StoreTimeout,
    StoreUnavailable,
    UpdateDataset,
)
from kgservice.store.remote import RemoteStore
from tests.servers import OxigraphServer, free_port
from tests.store.conftest import remote_store

EX = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
PREFIX = f"PREFIX ex: <{EX}> PREFIX xsd: <{XSD}>\n"
G1 = ox.NamedNode(EX + "g1")
G2 = ox.NamedNode(EX + "g2")
G3 = ox.NamedNode(EX + "g3")
CATALOG = ox.NamedNode(EX + "catalog")
P = ox.NamedNode(EX + "p")
NAME = ox.NamedNode(EX + "name")
DEFAULT = ox.DefaultGraph()

DATA = (
    PREFIX
    + """INSERT DATA {
  ex:alice ex:name "Alice" ; ex:label "张三"@zh , "Zhang San"@en , "Zhang San" ;
           ex:age 42 ; ex:born "1990-05-01"^^xsd:date ; ex:code "A1"^^ex:code ;
           ex:knows _:bob ; ex:home <http://example.org/城市/临沂> .
  _:bob ex:name "Bob" .
  GRAPH ex:g1 { ex:s1 ex:p "one" . }
  GRAPH ex:g2 { ex:s2 ex:p "two" . }
}"""
)


def ex(name: str) -> ox.NamedNode:
    return ox.NamedNode(EX + name)


def triples(n: int, start: int = 0) -> list[ox.Triple]:
    return [ox.Triple(ex(f"s{i}"), P, ox.Literal(str(i))) for i in range(start, start + n)]


def values(result: object, name: str = "o") -> list[str]:
    assert isinstance(result, ox.QuerySolutions)
    return sorted(s[name].value for s in result if s[name] is not None)


@pytest.fixture
def loaded(store: Store) -> Store:
    store.update(DATA)
    return store


# --- query forms and result types -----------------------------------------------------------


def test_select_gives_query_solutions(loaded: Store) -> None:
    result = loaded.query(PREFIX + "SELECT ?name WHERE { ?s ex:name ?name } ORDER BY ?name")
    assert isinstance(result, ox.QuerySolutions)
    assert result.variables == [ox.Variable("name")]
    rows = list(result)
    assert all(isinstance(row, ox.QuerySolution) for row in rows)
    assert [row["name"] for row in rows] == [ox.Literal("Alice"), ox.Literal("Bob")]


def test_unbound_variables_are_none(loaded: Store) -> None:
    result = loaded.query(
        PREFIX + "SELECT ?n ?age WHERE { ?s ex:name ?n OPTIONAL { ?s ex:age ?age } } ORDER BY ?n"
    )
    assert isinstance(result, ox.QuerySolutions)
    rows = [(row["n"].value, row["age"]) for row in result]
    assert rows == [
        ("Alice", ox.Literal("42", datatype=ox.NamedNode(XSD + "integer"))),
        ("Bob", None),
    ]


def test_ask_gives_query_boolean(loaded: Store) -> None:
    yes = loaded.query(PREFIX + 'ASK { ?s ex:name "Alice" }')
    no = loaded.query(PREFIX + 'ASK { ?s ex:name "Carol" }')
    assert isinstance(yes, ox.QueryBoolean) and isinstance(no, ox.QueryBoolean)
    assert bool(yes) is True and bool(no) is False


def test_construct_gives_triples(loaded: Store) -> None:
    result = loaded.query(PREFIX + "CONSTRUCT { ?s ex:q ?o } WHERE { ?s ex:p ?o }")
    found = list(result)  # type: ignore[arg-type]
    assert all(type(t) is ox.Triple for t in found)
    assert set(found) == {
        ox.Triple(ex("s1"), ex("q"), ox.Literal("one")),
        ox.Triple(ex("s2"), ex("q"), ox.Literal("two")),
    }


def test_describe_gives_triples(loaded: Store) -> None:
    found = list(loaded.query(PREFIX + "DESCRIBE ex:s1"))  # type: ignore[arg-type]
    assert found == [ox.Triple(ex("s1"), P, ox.Literal("one"))]
    assert type(found[0]) is ox.Triple


def test_literals_keep_language_datatype_and_chinese_text(loaded: Store) -> None:
    result = loaded.query(PREFIX + "SELECT ?p ?o WHERE { ex:alice ?p ?o }")
    assert isinstance(result, ox.QuerySolutions)
    objects = {row["o"] for row in result}
    assert {
        ox.Literal("张三", language="zh"),
        ox.Literal("Zhang San", language="en"),
        ox.Literal("Zhang San"),
        ox.Literal("42", datatype=ox.NamedNode(XSD + "integer")),
        ox.Literal("1990-05-01", datatype=ox.NamedNode(XSD + "date")),
        ox.Literal("A1", datatype=ex("code")),
        ox.NamedNode("http://example.org/城市/临沂"),
    } <= objects
    plain = next(o for o in objects if o == ox.Literal("Zhang San"))
    assert plain.datatype == ox.NamedNode(XSD + "string") and plain.language is None
    # Chinese in the query text, in a literal and in an IRI
    chinese = loaded.query(
        PREFIX
        + 'SELECT ?s WHERE { ?s ex:label "张三"@zh ; ex:home <http://example.org/城市/临沂> }'
    )
    assert values(chinese, "s") == [EX + "alice"]


def test_blank_nodes_keep_their_identity_within_a_result(loaded: Store) -> None:
    result = loaded.query(PREFIX + "SELECT ?b ?n WHERE { ex:alice ex:knows ?b . ?b ex:name ?n }")
    assert isinstance(result, ox.QuerySolutions)
    [row] = list(result)
    assert isinstance(row["b"], ox.BlankNode) and row["n"] == ox.Literal("Bob")
    graph = list(
        loaded.query(PREFIX + "CONSTRUCT WHERE { ex:alice ex:knows ?b . ?b ex:name ?n }")  # type: ignore[arg-type]
    )
    [knows] = [t for t in graph if t.predicate == ex("knows")]
    [name] = [t for t in graph if t.predicate == NAME]
    assert isinstance(knows.object, ox.BlankNode) and knows.object == name.subject


def test_select_and_ask_helpers(loaded: Store) -> None:
    rows = list(
        loaded.select(PREFIX + "SELECT ?n ?age WHERE { ?s ex:name ?n OPTIONAL { ?s ex:age ?age } }")
    )
    assert sorted(rows, key=lambda r: r["n"].value) == [
        {"n": ox.Literal("Alice"), "age": ox.Literal("42", datatype=ox.NamedNode(XSD + "integer"))},
        {"n": ox.Literal("Bob")},  # unbound: left out
    ]
    query = PREFIX + "SELECT ?o WHERE { ?s ex:p ?o }"
    assert [r["o"].value for r in loaded.select(query, union_default_graph=False)] == []
    assert sorted(r["o"].value for r in loaded.select(query)) == ["one", "two"]
    assert loaded.ask(PREFIX + 'ASK { ?s ex:p "one" }')
    assert not loaded.ask(PREFIX + 'ASK { ?s ex:p "one" }', union_default_graph=False)
    with pytest.raises(InputError, match="SELECT"):
        list(loaded.select("ASK { }"))
    with pytest.raises(InputError, match="ASK"):
        loaded.ask("SELECT * WHERE { ?s ?p ?o }")


def test_base_iri_resolves_relative_iris(loaded: Store) -> None:
    assert values(loaded.query("SELECT ?o WHERE { <alice> <name> ?o }", base_iri=EX)) == ["Alice"]
    loaded.update("INSERT DATA { <carol> <name> 'Carol' }", base_iri=EX)
    assert loaded.ask(PREFIX + "ASK { ex:carol ex:name 'Carol' }")


# --- datasets and the union default graph ---------------------------------------------------


def test_union_default_graph_on_sees_every_graph(loaded: Store) -> None:
    assert loaded.union_default_graph is True
    query = PREFIX + "SELECT ?o WHERE { ?s ex:p ?o }"
    assert values(loaded.query(query)) == ["one", "two"]


def test_union_default_graph_off_sees_the_default_graph(
    make_store: Callable[..., Store],
) -> None:
    make_store().update(DATA)
    store = make_store(union_default_graph=False)
    assert store.union_default_graph is False
    assert values(store.query(PREFIX + "SELECT ?o WHERE { ?s ex:p ?o }")) == []
    assert values(store.query(PREFIX + "SELECT ?o WHERE { ex:alice ex:name ?o }")) == ["Alice"]
    assert values(store.query(PREFIX + "SELECT ?o WHERE { GRAPH ?g { ?s ex:p ?o } }")) == [
        "one",
        "two",
    ]


def test_query_dataset_default_graphs(loaded: Store) -> None:
    query = PREFIX + "SELECT ?o WHERE { ?s ?p ?o }"
    assert values(loaded.query(query, QueryDataset([G1]))) == ["one"]
    assert values(loaded.query(query, QueryDataset([G1, G2]))) == ["one", "two"]  # merged


def test_query_dataset_named_graphs(loaded: Store) -> None:
    query = PREFIX + "SELECT ?g ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert values(loaded.query(query, QueryDataset([], [G2]))) == ["two"]
    assert values(loaded.query(query, QueryDataset([G1], [G1, G2]))) == ["one", "two"]
    # a dataset replaces the union default graph: the default graph is exactly G1
    assert values(
        loaded.query(PREFIX + "SELECT ?o WHERE { ?s ?p ?o }", QueryDataset([G1], [G2]))
    ) == ["one"]


def test_a_dataset_may_name_the_stores_default_graph(store: Store) -> None:
    """``ox.DefaultGraph()`` among the default graphs (hidden graphs left out of a dataset)."""
    store.update(
        PREFIX + "INSERT DATA { GRAPH ex:g1 { ex:s1 ex:p 'one' } GRAPH ex:g2 { ex:s2 ex:p 'two' } }"
    )
    query = PREFIX + "SELECT ?o WHERE { ?s ?p ?o }"
    assert values(store.query(query, QueryDataset([G1, DEFAULT], [G1]))) == ["one"]
    named = PREFIX + "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert values(store.query(named, QueryDataset([G1, DEFAULT], [G2]))) == ["two"]
    store.put_graph(DEFAULT, [ox.Triple(ex("d"), P, ox.Literal("default"))])
    assert values(store.query(query, QueryDataset([DEFAULT]))) == ["default"]  # no union


def test_named_graphs_alone_leave_an_empty_default_graph(
    loaded: Store, backend: str, request: pytest.FixtureRequest
) -> None:
    """SPARQL 1.1 Query §13.2: FROM NAMED without FROM gives an empty default graph."""
    result = loaded.query(PREFIX + "SELECT ?o WHERE { ?s ex:name ?o }", QueryDataset([], [G1]))
    assert values(result) == []


def test_from_in_the_query_wins_over_the_union_default_graph(
    loaded: Store, backend: str, request: pytest.FixtureRequest
) -> None:
    """A query's own FROM defines its dataset; the union default graph is only the default."""
    assert values(loaded.query(PREFIX + "SELECT ?o FROM ex:g1 WHERE { ?s ?p ?o }")) == ["one"]


def test_update_dataset_using(loaded: Store) -> None:
    loaded.update(PREFIX + "INSERT { ex:copy ex:got ?o } WHERE { ?s ex:p ?o }", UpdateDataset([G1]))
    assert values(loaded.query(PREFIX + "SELECT ?o WHERE { ex:copy ex:got ?o }")) == ["one"]
    loaded.update(
        PREFIX + "INSERT { ex:copy ex:from ?g } WHERE { GRAPH ?g { ?s ex:p ?o } }",
        UpdateDataset([], [G2]),
    )
    assert values(loaded.query(PREFIX + "SELECT ?o WHERE { ex:copy ex:from ?o }")) == [EX + "g2"]
    # DELETE WHERE with a dataset deletes what matches in the USING graph from the default graph
    loaded.update(PREFIX + "INSERT DATA { ex:s1 ex:p 'one' . ex:s2 ex:p 'two' }")
    loaded.update(PREFIX + "DELETE WHERE { ?s ex:p ?o }", UpdateDataset([G2]))
    remaining = loaded.select(PREFIX + "SELECT ?o WHERE { ?s ex:p ?o }", union_default_graph=False)
    assert [row["o"].value for row in remaining] == ["one"]


def test_updates_see_the_real_default_graph(loaded: Store) -> None:
    """The union default graph is for queries; an update's WHERE sees the default graph."""
    loaded.update(PREFIX + "INSERT { ex:x ex:saw ?o } WHERE { ?s ex:p ?o }")
    assert not loaded.ask(PREFIX + "ASK { ex:x ex:saw ?o }")


# --- graphs ---------------------------------------------------------------------------------


def test_put_graph_on_a_named_graph(store: Store) -> None:
    assert store.has_graph(G1) is False
    assert store.put_graph(G1, triples(3)) is False
    assert store.has_graph(G1) is True
    assert store.put_graph(G1, triples(2, start=10)) is True
    assert sorted(t.object.value for t in store.triples(G1)) == ["10", "11"]
    assert all(type(t) is ox.Triple for t in store.triples(G1))
    assert store.put_graph(G2, triples(1)) is False
    assert store.graph_names() == [G1, G2]
    assert store.quad_count() == 3


def test_put_graph_with_nothing_leaves_an_empty_graph(store: Store) -> None:
    store.put_graph(G1, triples(2))
    assert store.put_graph(G1, []) is True
    assert store.has_graph(G1) is True
    assert list(store.triples(G1)) == []
    assert store.put_graph(G2, []) is False
    assert store.has_graph(G2) is True


def test_add_to_graph(store: Store) -> None:
    assert store.add_to_graph(G1, triples(2)) is False
    assert store.add_to_graph(G1, triples(2, start=1)) is True
    assert sorted(t.object.value for t in store.triples(G1)) == ["0", "1", "2"]
    assert store.add_to_graph(G2, []) is False
    assert store.has_graph(G2) is True
    assert store.quad_count() == 3


def test_drop_graph(store: Store) -> None:
    store.put_graph(G1, triples(2))
    store.put_graph(G2, triples(1))
    assert store.drop_graph(G1) is True
    assert store.has_graph(G1) is False
    assert list(store.triples(G1)) == []
    assert store.drop_graph(G1) is False
    assert store.graph_names() == [G2]


def test_missing_graph_reads_as_empty(store: Store) -> None:
    assert list(store.triples(G3)) == []
    assert store.has_graph(G3) is False


def test_the_default_graph(store: Store) -> None:
    assert store.has_graph(DEFAULT) is True  # always
    assert list(store.triples(DEFAULT)) == []
    assert store.drop_graph(DEFAULT) is False  # nothing in it
    assert store.put_graph(DEFAULT, triples(2)) is False  # it was empty
    store.put_graph(G1, triples(5, start=100))
    assert store.put_graph(DEFAULT, triples(3)) is True
    assert sorted(t.object.value for t in store.triples(DEFAULT)) == ["0", "1", "2"]  # not union
    assert store.add_to_graph(DEFAULT, triples(1, start=7)) is True
    assert store.quad_count() == 9
    assert store.drop_graph(DEFAULT) is True
    assert list(store.triples(DEFAULT)) == []
    assert store.graph_names() == [G1]
    assert store.quad_count() == 5


def test_blank_nodes_survive_a_write(store: Store) -> None:
    b = ox.BlankNode()
    store.put_graph(
        G1, [ox.Triple(ex("s"), P, b), ox.Triple(b, NAME, ox.Literal("匿名", language="zh"))]
    )
    query = PREFIX + "SELECT ?n WHERE { GRAPH ex:g1 { ex:s ex:p ?b . ?b ex:name ?n } }"
    assert values(store.query(query), "n") == ["匿名"]
    got = list(store.triples(G1))
    [link] = [t for t in got if t.predicate == P]
    [named] = [t for t in got if t.predicate == NAME]
    assert isinstance(link.object, ox.BlankNode) and link.object == named.subject


# --- replace_graph --------------------------------------------------------------------------


def catalog_entry(label: str) -> str:
    return (
        f"DELETE WHERE {{ GRAPH <{CATALOG.value}> {{ <{G1.value}> <{EX}label> ?o }} }} ;\n"
        f'INSERT DATA {{ GRAPH <{CATALOG.value}> {{ <{G1.value}> <{EX}label> "{label}" }} }}'
    )


def test_replace_graph_with_its_catalogue_entry(store: Store) -> None:
    assert store.replace_graph(G1, triples(3), catalog_entry("first")) == 3
    assert store.replace_graph(G1, triples(2, start=10), catalog_entry("second")) == 2
    assert sorted(t.object.value for t in store.triples(G1)) == ["10", "11"]
    assert [t.object.value for t in store.triples(CATALOG)] == ["second"]
    assert store.replace_graph(G1, []) == 0
    assert store.has_graph(G1) is False
    assert store.graph_names() == [CATALOG]


@pytest.mark.parametrize(
    ("also", "error"),
    [
        ("INSERT DATA { GRAPH <http://example.org/catalog> { <x> }", StoreSyntaxError),
        # valid, but fails when run: the graph exists. The embedded store refuses it (400);
        # the remote one gets 500 from the server.
        (f"CREATE GRAPH <{G2.value}>", (StoreRefused, StoreUnavailable)),
    ],
    ids=["syntax-error", "runtime-error"],
)
def test_a_failing_replacement_changes_nothing(
    store: Store,
    also: str,
    error: type[Exception] | tuple[type[Exception], ...],
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    store.replace_graph(G1, triples(3), catalog_entry("first"))
    store.put_graph(G2, triples(1))
    with pytest.raises(error):
        store.replace_graph(G1, triples(50, start=100), also)
    assert sorted(t.object.value for t in store.triples(G1)) == ["0", "1", "2"]
    assert [t.object.value for t in store.triples(CATALOG)] == ["first"]
    assert store.graph_names() == [CATALOG, G1, G2]
    assert store.quad_count() == 5


def test_a_failing_source_sends_nothing(store: Store) -> None:
    store.replace_graph(G1, triples(3))

    def broken():
        yield from triples(5, start=100)
        raise ValueError("the source broke half way")

    with pytest.raises(ValueError, match="half way"):
        store.replace_graph(G1, broken())
    with pytest.raises(ValueError, match="half way"):
        store.put_graph(G2, broken())
    assert store.quad_count() == 3
    assert store.graph_names() == [G1]


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("SELEC * WHERE { ?s ?p ?o }", 10, "expected `CONSTRUCT`"),
        (
            "SELECT * WHERE { ?s ?p }",
            25,
            ", at the end of the query: expected `LATERAL`, `SERVICE` or a name or a value",
        ),
        (
            "SELECT * WHERE { ?s a foo:Bar }",
            23,
            "the prefix foo: is not declared: add PREFIX foo: <…> before the query",
        ),
    ],
)
def test_a_query_syntax_error_says_where_and_what(
    store: Store, text: str, column: int, message: str
) -> None:
    """Both stores tell the parser's message the same way (the remote one is Oxigraph's
    server): the place, what was expected in words, the line with a caret under the place."""
    with pytest.raises(StoreSyntaxError) as caught:
        store.query(text)
    told = caught.value.message
    assert told.startswith(f"SPARQL syntax error at line 1, column {column}")
    assert message in told
    assert told.splitlines()[1:] == [f"  {text}", "  " + " " * (column - 1) + "^"]
    assert "u{" not in told  # no character class written out
    assert caught.value.http_status == 400


def test_an_update_syntax_error_says_where_and_what(store: Store) -> None:
    with pytest.raises(StoreSyntaxError) as caught:
        store.update("INSERT DATA { <a> }")
    assert "at line 1, column 20" in caught.value.message
    assert "`GRAPH`" in caught.value.message


# --- big results ----------------------------------------------------------------------------

_HUNDRED = " ".join(str(i) for i in range(100))
_THOUSAND = " ".join(str(i) for i in range(1000))
BIG_QUERY = (
    f"SELECT ?i WHERE {{ VALUES ?a {{ {_HUNDRED} }} VALUES ?b {{ {_THOUSAND} }} "
    "BIND(?a * 1000 + ?b AS ?i) }"
)


def test_a_big_result_is_streamed(store: Store) -> None:
    """100,000 solutions (about 9 MB of JSON from a server) are read as they are iterated."""
    tracemalloc.start()
    try:
        result = store.query(BIG_QUERY)
        assert isinstance(result, ox.QuerySolutions)
        rows = iter(result)
        first = [int(next(rows)["i"].value) for _ in range(1000)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000, f"{peak:,} bytes allocated for 1,000 rows: was the body read whole?"
    count, total = len(first), sum(first)
    for solution in rows:
        count += 1
        total += int(solution["i"].value)
    assert count == 100_000
    assert total == sum(range(100_000))


def test_a_result_left_half_read_does_not_block_the_store(store: Store) -> None:
    for _ in range(3):
        result = store.query(BIG_QUERY)
        assert isinstance(result, ox.QuerySolutions)
        next(iter(result))
        del result
    gc.collect()
    store.put_graph(G1, triples(1))
    assert store.quad_count() == 1


# --- a remote store that is down or slow ----------------------------------------------------


def test_a_store_that_is_down_is_unavailable() -> None:
    port = free_port()  # nothing listens there
    store = RemoteStore(
        f"http://127.0.0.1:{port}/query",
        graph_store_url=f"http://127.0.0.1:{port}/store",
        timeout=5,
    )
    try:
        calls: list[Callable[[], object]] = [
            lambda: store.query("ASK { }"),
            lambda: store.update("CLEAR ALL"),
            lambda: store.has_graph(G1),
            lambda: store.triples(G1),
            lambda: store.put_graph(G1, triples(1)),
            lambda: store.drop_graph(G1),
            lambda: store.graph_names(),
        ]
        for call in calls:
            with pytest.raises(StoreUnavailable) as caught:
                call()
            assert f"127.0.0.1:{port}" in caught.value.message
            assert "Connection refused" in caught.value.message
            assert caught.value.http_status == 503
    finally:
        store.close()


def test_an_unknown_host_is_unavailable() -> None:
    store = RemoteStore("http://kgservice-test.invalid/sparql", timeout=5)
    with pytest.raises(StoreUnavailable, match=r"kgservice-test\.invalid"):
        store.query("ASK { }")
    store.close()


def test_a_query_over_the_client_timeout_times_out(oxigraph: OxigraphServer) -> None:
    """The store gets about half a second of work; the client waits 0.05 s for an answer."""
    store = remote_store(oxigraph, timeout=0.05)
    numbers = " ".join(str(i) for i in range(200))
    slow = (
        f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?a {{ {numbers} }} "
        f"VALUES ?b {{ {numbers} }} VALUES ?c {{ {numbers} }} }}"
    )
    started = time.monotonic()
    with pytest.raises(StoreTimeout, match=r"0\.05 s") as caught:
        store.query(slow)
    assert time.monotonic() - started < 5
    assert caught.value.http_status == 503
    store.close()
