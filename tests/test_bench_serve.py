"""``kgservice bench serve`` keeps working at a tiny size (figures are never asserted)."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from kgservice.bench.serve import (
    BenchQuery,
    Sample,
    Server,
    Wrk,
    check_counts,
    geometric_mean,
    parse_wrk,
    result_count,
)
from kgservice.cli import cli
from kgservice.errors import CheckFailed

QUERIES = 7


def test_bench_serve_prints_a_row_per_query_and_server(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(
        cli,
        [
            "bench", "serve", "--people", "50", "--seconds", "0.5", "--concurrency", "2",
            "--client", "python", "--json", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("| ")][1:]
    servers = [line.split("|")[2].strip() for line in rows]
    assert servers == ["kgservice", "oxigraph"] * QUERIES
    assert all(line.split("|")[8].strip() == "0" for line in rows)  # no errors
    assert "Overall (geometric mean of service/oxigraph):" in result.output
    assert "WSGI floor, an app that sends the answer without doing anything: " in result.output
    assert "pyoxigraph floor, an app that runs the query on pyoxigraph" in result.output

    body = json.loads(out.read_text(encoding="utf-8"))
    assert len(body["queries"]) == QUERIES
    by_query: dict[str, dict[str, dict]] = {}
    for row in body["rows"]:
        by_query.setdefault(row["query"], {})[row["server"]] = row
    assert len(by_query) == QUERIES
    for name, pair in by_query.items():
        assert pair["kgservice"]["results"] == pair["oxigraph"]["results"], name
        assert pair["kgservice"]["errors"] == pair["oxigraph"]["errors"] == 0, name
        assert pair["kgservice"]["requests"] > 0 and pair["oxigraph"]["requests"] > 0, name
    assert body["overall_ratio"] > 0
    peaks = body["setup"]["peak_memory_mb"]  # sampled from /proc while the queries ran
    assert set(peaks) == {"kgservice", "oxigraph"} and all(mb > 10 for mb in peaks.values())
    assert f"kgservice {peaks['kgservice']:,.0f} MB" in result.output
    for key, server in (("floor", "wsgi floor"), ("engine_floor", "pyoxigraph floor")):
        floor = body[key]
        assert floor["server"] == server and floor["errors"] == 0 and floor["requests"] > 0
        assert floor["results"] == by_query[floor["query"]]["oxigraph"]["results"]


def test_result_counts() -> None:
    select = BenchQuery("s", "select", "SELECT * {}", "")
    ask = BenchQuery("a", "ask", "ASK {}", "")
    graph = BenchQuery("g", "graph", "CONSTRUCT {} WHERE {}", "")
    bindings = {"head": {"vars": ["x"]}, "results": {"bindings": [{}, {}]}}
    assert result_count(select, json.dumps(bindings).encode()) == 2
    assert result_count(ask, b'{"head": {}, "boolean": true}') is True
    triples = b"<a:s> <a:p> <a:o> .\n# truncated\n\n<a:s> <a:p> <a:o2> .\n"
    assert result_count(graph, triples) == 2
    path = select.path("/sparql")
    assert path.startswith("/sparql?query=PREFIX%20city%3A%20%3Chttps%3A%2F%2Fw3id.org")
    assert path.endswith("%3E%0ASELECT%20%2A%20%7B%7D")
    assert graph.accept == "application/n-triples"


class _Answer(BaseHTTPRequestHandler):
    """A tiny SPARQL endpoint: one solution, or two on the port named ``two``."""

    protocol_version = "HTTP/1.1"
    solutions = 1

    def do_GET(self) -> None:
        bindings = [{"x": {"type": "literal", "value": str(i)}} for i in range(self.solutions)]
        body = json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": bindings}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Two(_Answer):
    solutions = 2


@pytest.fixture()
def endpoints(tmp_path: Path):
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), handler) for handler in (_Answer, _Two)]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        yield [
            Server(name, [], s.server_address[1], tmp_path / f"{name}.log", "/sparql")
            for name, s in zip(("one", "two"), servers, strict=True)
        ]
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
        for thread in threads:
            thread.join()


def test_disagreeing_servers_fail_loudly(endpoints: list[Server]) -> None:
    query = BenchQuery("q", "select", "SELECT * {}", "")
    assert check_counts(endpoints[:1], [query]) == {"q": {"one": 1}}
    with pytest.raises(CheckFailed, match="q: the servers disagree on the results: one 1, two 2"):
        check_counts(endpoints, [query])


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_reports_requests_and_latencies(endpoints: list[Server], tmp_path: Path) -> None:
    wrk = Wrk(shutil.which("wrk") or "wrk", tmp_path / "report.lua")
    sample = wrk.run(endpoints[0], BenchQuery("q", "select", "SELECT * {}", ""), 1, 2)
    assert sample.requests > 0 and sample.errors == 0
    assert sum(sample.latency_us.values()) == sample.requests
    assert 0 < (sample.percentile(50) or 0) <= (sample.percentile(95) or 0)


def test_wrk_output_and_statistics() -> None:
    output = "Running 1s test\n  2 threads\nKGSERVICE-WRK 10 1000000 2 1\n100 4\n200 5\n900 1\n"
    sample = parse_wrk(output)
    assert (sample.requests, sample.errors, sample.seconds) == (8, 3, 1.0)
    assert sample.latency_us == {100: 4, 200: 5, 900: 1}
    assert sample.percentile(50) == 0.2 and sample.percentile(95) == 0.9
    assert Sample().percentile(50) is None
    assert geometric_mean([0.5, 2.0, None]) == pytest.approx(1.0)


def _busy_server(tmp_path: Path, name: str, busy_seconds: float) -> Server:
    """A process that uses a core for ``busy_seconds`` and then sleeps, as a server still
    answering abandoned requests does."""
    import sys

    burn = f"import time\nend = time.time() + {busy_seconds}\nwhile time.time() < end: pass\n"
    command = [sys.executable, "-c", burn + "time.sleep(60)"]
    server = Server(name, command, 0, tmp_path / f"{name}.log", "/")
    server.process = subprocess.Popen(command)
    return server


def test_settle_waits_until_every_server_is_at_rest(tmp_path: Path) -> None:
    import time

    from kgservice.bench.serve import settle

    servers = [_busy_server(tmp_path, "a", 0.0), _busy_server(tmp_path, "b", 2.0)]
    said: list[str] = []
    try:
        started = time.monotonic()
        settle(servers, said.append, timeout=30)
        assert time.monotonic() - started >= 1.5  # b was busy for two seconds
        assert said == ["the servers are at rest again"]
        busy = [_busy_server(tmp_path, "c", 30.0)]
        servers += busy
        settle(busy, said.append, timeout=1.5)
        assert said[-1] == "a server was still busy after 1.5 s; measuring anyway"
    finally:
        for server in servers:
            server.process.kill()  # type: ignore[union-attr]
            server.process.wait()  # type: ignore[union-attr]


def test_a_query_no_server_answers_alone_in_time_stops_with_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    from kgservice.bench import serve

    monkeypatch.setattr(serve, "REQUEST_TIMEOUT", 0.5)
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        server = Server("oxigraph", [], silent.getsockname()[1], tmp_path / "s.log", "/query")
        query = BenchQuery("people-per-county", "select", "SELECT * {}", "a long question")
        with pytest.raises(serve.BenchError, match="people-per-county: oxigraph did not answer"):
            serve._warm_up(server, query)
