"""What only the remote backend does: HTTP details, error mapping, staging of big graphs.

A scripted HTTP server (a thread in this process) plays stores that misbehave; the real
``oxigraph serve`` of the session checks the staging path and the settings.
"""

from __future__ import annotations

import gzip
import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest

from kgservice import __version__
from kgservice.settings import load_settings
from kgservice.store import open_store
from kgservice.store.base import (
    QueryDataset,
    StoreSyntaxError,
    StoreTimeout,
    StoreUnavailable,
    UpdateDataset,
)
from kgservice.store.remote import MESSAGE_LIMIT, RemoteStore, declares_dataset, open_remote
from tests.servers import OxigraphServer
from tests.store.conftest import remote_store

EX = "http://example.org/"
G = ox.NamedNode(EX + "g")
P = ox.NamedNode(EX + "p")
SOLUTIONS = json.dumps(
    {
        "head": {"vars": ["o"]},
        "results": {"bindings": [{"o": {"type": "literal", "value": "临沂", "xml:lang": "zh"}}]},
    }
).encode()
JSON = "application/sparql-results+json"


# --- a scripted store -----------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    params: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


Reply = Callable[[http.server.BaseHTTPRequestHandler], None]


@dataclass
class Stub:
    url: str
    seen: list[Seen] = field(default_factory=list)
    reply: Reply | None = None

    def answer(self, status: int, body: bytes = b"", content_type: str = JSON, **headers: str):
        def reply(handler: http.server.BaseHTTPRequestHandler) -> None:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            for name, value in headers.items():
                handler.send_header(name.replace("_", "-"), value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

        self.reply = reply


@pytest.fixture
def stub() -> Iterator[Stub]:
    state = Stub("")

    class Handler(http.server.BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            state.seen.append(
                Seen(
                    self.command,
                    parts.path,
                    parse_qs(parts.query, keep_blank_values=True),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
            )
            assert state.reply is not None
            state.reply(self)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    state.answer(200, SOLUTIONS)
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def stub_store(stub: Stub) -> Iterator[RemoteStore]:
    store = RemoteStore(
        stub.url + "/sparql",
        stub.url + "/update",
        stub.url + "/gsp",
        token="s3cret",
        timeout=5,
    )
    yield store
    store.close()


# --- requests as sent -----------------------------------------------------------------------


def test_a_query_request(stub: Stub, stub_store: RemoteStore) -> None:
    result = stub_store.query("SELECT ?o WHERE { ?s ?p ?o }")
    assert [row["o"] for row in result] == [ox.Literal("临沂", language="zh")]  # type: ignore[union-attr]
    [seen] = stub.seen
    assert (seen.method, seen.path) == ("POST", "/sparql")
    assert seen.headers["user-agent"] == f"kgservice/{__version__}"
    assert seen.headers["authorization"] == "Bearer s3cret"
    assert seen.headers["accept"].startswith(JSON + ", application/n-triples;q=0.9")
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "gzip" in seen.headers["accept-encoding"]
    assert parse_qs(seen.body.decode()) == {"query": ["SELECT ?o WHERE { ?s ?p ?o }"]}
    assert seen.params == {"union-default-graph": [""]}  # the Oxigraph server extension


def test_union_default_graph_is_asked_for_only_without_a_dataset(
    stub: Stub, stub_store: RemoteStore
) -> None:
    stub_store.query("SELECT ?o WHERE { ?s ?p ?o }", QueryDataset([G], [P]))
    stub_store.query("SELECT ?o FROM <http://example.org/g> WHERE { ?s ?p ?o }")
    stub_store.query("SELECT ?o FROM NAMED <http://example.org/g> WHERE { ?s ?p ?o }")
    stub_store.union_default_graph = False
    stub_store.query("SELECT ?o WHERE { ?s ?p ?o }")
    assert all(seen.params == {} for seen in stub.seen)
    assert parse_qs(stub.seen[0].body.decode()) == {
        "query": ["SELECT ?o WHERE { ?s ?p ?o }"],
        "default-graph-uri": [G.value],
        "named-graph-uri": [P.value],
    }


def test_an_update_request(stub: Stub, stub_store: RemoteStore) -> None:
    stub.answer(204)
    stub_store.update(
        "INSERT { <a> <b> ?o } WHERE { ?s ?p ?o }", UpdateDataset([G], [P]), base_iri=EX
    )
    [seen] = stub.seen
    assert (seen.method, seen.path) == ("POST", "/update")
    assert seen.headers["content-type"] == "application/sparql-update; charset=utf-8"
    assert seen.headers["authorization"] == "Bearer s3cret"
    assert seen.params == {"using-graph-uri": [G.value], "using-named-graph-uri": [P.value]}
    assert seen.body == f"BASE <{EX}> INSERT {{ <a> <b> ?o }} WHERE {{ ?s ?p ?o }}".encode()


def test_a_base_iri_is_sent_only_for_relative_iris(stub: Stub, stub_store: RemoteStore) -> None:
    stub_store.query("SELECT * WHERE { <http://example.org/a> ?p ?o }", base_iri=EX)
    stub_store.query("BASE <http://x/> SELECT * WHERE { <a> ?p ?o }", base_iri=EX)
    sent = [parse_qs(seen.body.decode())["query"][0] for seen in stub.seen]
    assert sent == [
        "SELECT * WHERE { <http://example.org/a> ?p ?o }",
        f"BASE <{EX}> BASE <http://x/> SELECT * WHERE {{ <a> ?p ?o }}",  # the query's own wins
    ]


def test_graph_store_requests(stub: Stub, stub_store: RemoteStore) -> None:
    stub.answer(
        200, b'<http://example.org/s> <http://example.org/p> "x" .\n', "application/n-triples"
    )
    assert list(stub_store.triples(G)) == [ox.Triple(ox.NamedNode(EX + "s"), P, ox.Literal("x"))]
    assert list(stub_store.triples(ox.DefaultGraph()))
    seen = stub.seen
    assert (seen[0].method, seen[0].path, seen[0].params) == ("GET", "/gsp", {"graph": [G.value]})
    assert seen[0].headers["accept"].startswith("application/n-triples")
    assert seen[1].params == {"default": [""]}
    stub.answer(404, b"no such graph", "text/plain")
    assert list(stub_store.triples(G)) == []
    assert stub_store.has_graph(G) is False
    assert stub_store.drop_graph(G) is False
    assert [s.method for s in stub.seen[2:]] == ["GET", "HEAD", "DELETE"]


def test_an_upload_is_n_triples_with_a_length(stub: Stub, stub_store: RemoteStore) -> None:
    stub.answer(200)  # HEAD: the graph exists
    chinese = ox.Triple(G, P, ox.Literal("临沂市", language="zh"))
    assert stub_store.add_to_graph(G, [chinese, ox.Triple(G, P, ox.BlankNode("b1"))]) is True
    head, post = stub.seen
    assert (head.method, post.method, post.params) == ("HEAD", "POST", {"graph": [G.value]})
    assert post.headers["content-type"] == "application/n-triples; charset=utf-8"
    assert int(post.headers["content-length"]) == len(post.body)
    assert "transfer-encoding" not in post.headers
    lines = post.body.decode("utf-8").splitlines()
    assert lines[0] == f'<{G.value}> <{P.value}> "临沂市"@zh .'
    assert lines[1].startswith(f"<{G.value}> <{P.value}> _:") and "_:b1 " not in lines[1]


def test_gzip_encoded_results_are_decoded(stub: Stub, stub_store: RemoteStore) -> None:
    stub.answer(200, gzip.compress(SOLUTIONS), Content_Encoding="gzip")
    result = stub_store.query("SELECT ?o WHERE { ?s ?p ?o }")
    assert [row["o"].value for row in result] == ["临沂"]  # type: ignore[union-attr]
    nt = gzip.compress(b"<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n")
    stub.answer(200, nt, "application/n-triples", Content_Encoding="gzip")
    assert len(list(stub_store.query("CONSTRUCT WHERE { ?s ?p ?o }"))) == 1  # type: ignore[arg-type]


def test_other_result_formats_are_read_by_their_content_type(
    stub: Stub, stub_store: RemoteStore
) -> None:
    stub.answer(200, b'?o\n"a"@en\n', "text/tab-separated-values; charset=utf-8")
    assert [r["o"] for r in stub_store.query("SELECT ?o {}")] == [ox.Literal("a", language="en")]  # type: ignore[union-attr]
    xml = (
        b'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
        b"<head/><boolean>true</boolean></sparql>"
    )
    stub.answer(200, xml, "application/sparql-results+xml")
    answer = stub_store.query("ASK {}")
    assert isinstance(answer, ox.QueryBoolean) and bool(answer)
    stub.answer(200, b"<s> <p> 'x' .", "text/turtle")
    with pytest.raises(StoreUnavailable, match="malformed"):
        list(stub_store.query("CONSTRUCT WHERE { ?s ?p ?o }"))  # type: ignore[arg-type]
    stub.answer(200, b"<html>hello</html>", "text/html")
    with pytest.raises(StoreUnavailable, match="text/html"):
        stub_store.query("SELECT ?o {}")


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "content_type", "error", "words"),
    [
        (
            400,
            "error at 1:3: expected 查询",
            "text/plain",
            StoreSyntaxError,
            # In Oxigraph's words: told against the query sent, as the embedded store tells it
            "SPARQL syntax error at line 1, column 3: expected `查询`\n  SELECT ?o {}\n    ^",
        ),
        (
            400,
            "<html><body><h1>Bad</h1><p>Parse error: line 1</p></body></html>",
            "text/html; charset=utf-8",
            StoreSyntaxError,
            "Bad Parse error: line 1",
        ),
        (401, "who are you", "text/plain", StoreUnavailable, "KGSERVICE_STORE_TOKEN"),
        (404, "not here", "text/plain", StoreUnavailable, "answered the query with 404"),
        (
            500,
            "disk full",
            "text/plain",
            StoreUnavailable,
            "/sparql?union-default-graph answered the query with 500",
        ),
        (503, "Query timed out", "text/plain", StoreTimeout, "(503): Query timed out"),
        (500, "The operation has been cancelled", "text/plain", StoreTimeout, "cancelled"),
        (504, "gateway", "text/plain", StoreTimeout, "gateway"),
    ],
)
def test_error_statuses(
    stub: Stub,
    stub_store: RemoteStore,
    status: int,
    body: str,
    content_type: str,
    error: type[Exception],
    words: str,
) -> None:
    stub.answer(status, body.encode(), content_type)
    with pytest.raises(error) as caught:
        stub_store.query("SELECT ?o {}")
    assert words in caught.value.message  # type: ignore[attr-defined]
    assert "s3cret" not in caught.value.message  # type: ignore[attr-defined]


def test_a_long_message_is_trimmed(stub: Stub, stub_store: RemoteStore) -> None:
    stub.answer(400, ("word " * 10_000).encode(), "text/plain")
    with pytest.raises(StoreSyntaxError) as caught:
        stub_store.update("CLEAR ALL")
    assert len(caught.value.message) <= MESSAGE_LIMIT + len("SPARQL syntax error: ")
    assert caught.value.message.endswith("…")


def test_a_graph_upload_refused_is_a_syntax_error(stub: Stub, stub_store: RemoteStore) -> None:
    stub.answer(400, b"Parser error at line 1", "text/plain")
    with pytest.raises(StoreSyntaxError, match="refused the graph upload: Parser error"):
        stub_store.add_to_graph(ox.DefaultGraph(), [ox.Triple(G, P, G)])


def _partial(pause: float, graph: bool) -> Reply:
    """Headers promising 100 kB, 20 rows or triples, then (after ``pause``) a closed socket."""
    rows = ",".join(f'{{"o":{{"type":"literal","value":"{i}"}}}}' for i in range(20))
    solutions = ('{"head":{"vars":["o"]},"results":{"bindings":[' + rows).encode()
    triples = b"".join(b'<http://e/s> <http://e/p> "%d" .\n' % i for i in range(20))

    def reply(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/n-triples" if graph else JSON)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        handler.wfile.write(triples if graph else solutions)
        handler.wfile.flush()
        time.sleep(pause)

    return reply


@pytest.mark.parametrize(("pause", "error"), [(0.0, StoreUnavailable), (1.0, StoreTimeout)])
@pytest.mark.parametrize("form", ["SELECT", "CONSTRUCT"])
def test_an_answer_broken_off_or_stalled(
    stub: Stub, form: str, pause: float, error: type[Exception]
) -> None:
    store = RemoteStore(stub.url + "/sparql", timeout=0.3)
    stub.reply = _partial(pause, graph=form == "CONSTRUCT")
    rows = 0
    with pytest.raises(error):  # when the parser reads ahead, or when the rows are read
        for _ in store.query(f"{form} WHERE {{ ?s ?p ?o }}"):  # type: ignore[union-attr]
            rows += 1
    assert rows <= 20
    store.close()


# --- against oxigraph serve -----------------------------------------------------------------


def _people(n: int, start: int = 0) -> list[ox.Triple]:
    """Two triples per person, the second through a blank node (an address)."""
    found = []
    for i in range(start, start + n):
        person, address = ox.NamedNode(f"{EX}person/{i}"), ox.BlankNode()
        found.append(ox.Triple(person, ox.NamedNode(EX + "address"), address))
        found.append(
            ox.Triple(
                address, ox.NamedNode(EX + "street"), ox.Literal(f"人民路 {i} 号", language="zh")
            )
        )
    return found


STREETS = (
    f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{G.value}> {{ ?p <{EX}address> ?a . "
    f"?a <{EX}street> ?s }} }}"
)


def _count(store: RemoteStore, query: str) -> int:
    return int(next(iter(store.select(query)))["n"].value)


@pytest.fixture
def empty_server(oxigraph: OxigraphServer) -> OxigraphServer:
    store = remote_store(oxigraph)
    store.update("DROP ALL")
    store.close()
    return oxigraph


def test_a_big_replacement_goes_through_a_staging_graph(empty_server: OxigraphServer) -> None:
    store = remote_store(empty_server, max_update_bytes=5_000)
    catalog = f"INSERT DATA {{ GRAPH <{EX}catalog> {{ <{G.value}> <{EX}size> 'big' }} }}"
    assert store.replace_graph(G, _people(300), catalog) == 600
    assert _count(store, STREETS) == 300  # blank nodes linked as they were
    assert store.graph_names() == [ox.NamedNode(EX + "catalog"), G]  # no staging graph left
    with pytest.raises(StoreSyntaxError):
        store.replace_graph(G, _people(400, start=1000), "INSERT DATA { oops }")
    assert _count(store, STREETS) == 300
    assert store.graph_names() == [ox.NamedNode(EX + "catalog"), G]
    assert store.put_graph(ox.DefaultGraph(), _people(100)) is False
    assert len(list(store.triples(ox.DefaultGraph()))) == 200
    assert store.quad_count() == 801
    store.close()


def test_both_replacement_paths_give_the_same_graph(empty_server: OxigraphServer) -> None:
    people = _people(2_000)
    direct = remote_store(empty_server)
    staged = remote_store(empty_server, max_update_bytes=1)
    assert direct.replace_graph(G, people) == 4_000
    first = _count(direct, STREETS)
    assert staged.replace_graph(G, people) == 4_000
    assert _count(staged, STREETS) == first == 2_000
    assert staged.quad_count() == 4_000
    direct.close()
    staged.close()


def test_a_dataset_with_a_default_graph_that_holds_triples(empty_server: OxigraphServer) -> None:
    """The protocol cannot name the store's default graph next to other graphs."""
    store = remote_store(empty_server)
    store.put_graph(G, [ox.Triple(G, P, ox.Literal("g"))])
    store.put_graph(ox.DefaultGraph(), [ox.Triple(G, P, ox.Literal("default"))])
    dataset = QueryDataset([G, ox.DefaultGraph()], [G])
    with pytest.raises(StoreUnavailable, match="cannot take its default graph"):
        store.query("SELECT * WHERE { ?s ?p ?o }", dataset)
    store.drop_graph(ox.DefaultGraph())
    assert len(list(store.query("SELECT * WHERE { ?s ?p ?o }", dataset))) == 1  # type: ignore[arg-type]
    store.close()


def test_two_uploads_do_not_share_blank_nodes(empty_server: OxigraphServer) -> None:
    store = remote_store(empty_server)
    shared = ox.BlankNode("b0")
    store.add_to_graph(G, [ox.Triple(G, P, shared)])
    store.add_to_graph(G, [ox.Triple(P, P, shared)])
    objects = {t.object for t in store.triples(G)}
    assert len(objects) == 2
    store.close()


# --- configuration --------------------------------------------------------------------------


def test_open_remote_reads_the_settings(oxigraph: OxigraphServer) -> None:
    settings = load_settings(
        {
            "KGSERVICE_STORE_URL": oxigraph.query_url,
            "KGSERVICE_STORE_UPDATE_URL": oxigraph.update_url,
            "KGSERVICE_STORE_GRAPH_STORE_URL": oxigraph.store_url,
            "KGSERVICE_STORE_TOKEN": "t",
            "KGSERVICE_QUERY_TIMEOUT": "7",
            "KGSERVICE_UNION_DEFAULT_GRAPH": "false",
        }
    )
    store = open_remote(settings)
    assert (store.query_url, store.update_url, store.graph_store_url) == (
        oxigraph.query_url,
        oxigraph.update_url,
        oxigraph.store_url,
    )
    assert store.timeout == 7 and store.union_default_graph is False
    assert store.session.headers["Authorization"] == "Bearer t"
    assert store.ask("ASK { }")
    store.close()
    chosen = open_store(load_settings({"KGSERVICE_STORE_URL": oxigraph.query_url}))
    assert isinstance(chosen, RemoteStore)
    assert chosen.update_url == oxigraph.query_url and chosen.graph_store_url is None
    assert "Authorization" not in chosen.session.headers
    chosen.close()


@pytest.mark.parametrize(
    ("query", "declares"),
    [
        ("SELECT * FROM <g> WHERE { ?s ?p ?o }", True),
        ("select * from named <g> { ?s ?p ?o }", True),
        ("SELECT ?from WHERE { ?from <from> 'FROM' } # FROM", False),
        ("PREFIX from: <x:> SELECT * { from:a ?p ?o }", False),
    ],
)
def test_declares_dataset(query: str, declares: bool) -> None:
    assert declares_dataset(query) is declares
