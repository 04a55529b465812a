"""``kgservice serve`` for real: granian, the demo city on first start, runaway queries."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from SPARQLWrapper import JSON, SPARQLWrapper

from kgservice.questions import load_catalog
from kgservice.web.cockpit_views import opening_requests
from kgservice.web.warming import warm_requests
from tests.servers import EXPLOSIVE, oxigraph_server
from tests.servers import SERVE_TIMEOUT as TIMEOUT
from tests.servers import KGServiceServer as Server


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("serve") / "store"


@pytest.fixture(scope="module")
def server(store_dir: Path) -> Iterator[Server]:
    server = Server(store_dir)
    yield server
    server.stop()


def test_first_start_loads_the_ontology_and_the_demo_city(server: Server) -> None:
    text = "".join(server.output)
    assert "loaded the ontology" in text
    assert "demo city: population: 41 records" in text  # 40 people and one bad record
    assert f"serving http://127.0.0.1:{server.port}/" in text
    assert "CPU cores" not in text  # granian's advice on thread counts is left out of the log
    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    )
    client.setReturnFormat(JSON)
    rows = client.queryAndConvert()["results"]["bindings"]
    graphs = {row["g"]["value"].rsplit("/", 1)[1]: int(row["n"]["value"]) for row in rows}
    assert set(graphs) == {
        "catalog",
        "divisions",
        "facilities",
        "legal-entities",
        "ontology",
        "population",
        "inferred",  # KGSERVICE_REASONING=materialize (the default)
        "quality",
    }
    assert all(count > 0 for count in graphs.values())


def test_the_named_questions_are_answered_before_they_are_asked(server: Server) -> None:
    deadline = time.monotonic() + 60
    while "named-question requests ready" not in "".join(server.output):
        assert time.monotonic() < deadline, "".join(server.output)
        time.sleep(0.1)
    count = len(warm_requests(load_catalog().values(), opening_requests()))
    assert count == len(load_catalog()) + 1  # the cockpit's opening view asks one more
    assert f"answers of {count} of {count} named-question requests ready" in "".join(server.output)
    before = _cache_hits(server)
    answer = requests.get(
        server.url + "/questions/division-summary",
        headers={"Accept": "application/sparql-results+json"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200 and answer.json()["results"]["bindings"]
    assert _cache_hits(server) == before + 1


def _cache_hits(server: Server) -> float:
    metrics = requests.get(server.url + "/metrics", timeout=TIMEOUT).text
    line = next(
        x for x in metrics.splitlines() if x.startswith("kgservice_answer_cache_hits_total")
    )
    return float(line.split()[-1])


def test_a_runaway_query_is_stopped_and_the_worker_replaced(server: Server) -> None:
    before = server.health()["pid"]
    started = time.monotonic()
    response = requests.post(server.url + "/sparql", data={"query": EXPLOSIVE}, timeout=60)
    elapsed = time.monotonic() - started
    assert response.status_code == 503, response.text
    assert "KGSERVICE_QUERY_TIMEOUT" in response.text
    assert elapsed < TIMEOUT + 1.0
    _replaced(server, before)  # the old worker may answer while it winds down
    deadline = time.monotonic() + 10
    while Path(f"/proc/{before}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{before}").exists(), "the old worker still runs the query"
    ask = requests.get(server.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=10)
    assert ask.json()["boolean"] is True


def _replaced(server: Server, before: int) -> int:
    deadline = time.monotonic() + 20  # a worker retires no sooner than 6 s after its start
    while (pid := server.health()["pid"]) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert pid != before, "the worker running the runaway query was not replaced:\n" + "".join(
        server.output[-30:]
    )
    return pid


def test_a_runaway_query_in_a_worker_just_started_does_not_stop_the_service(
    server: Server,
) -> None:
    """granian stops the whole server when a worker it just started ends again within seconds;
    the second runaway query lands in such a worker, which waits before it retires."""
    first = server.health()["pid"]
    for _ in range(2):
        response = requests.post(server.url + "/sparql", data={"query": EXPLOSIVE}, timeout=60)
        assert response.status_code == 503, response.text
        first = _replaced(server, first)
    assert server.process.poll() is None, "".join(server.output[-20:])
    ask = requests.get(server.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=10)
    assert ask.json()["boolean"] is True


def test_a_second_start_keeps_the_store(server: Server, store_dir: Path) -> None:
    server.stop()
    again = Server(store_dir)
    try:
        text = "".join(again.output)
        assert "loaded the ontology" not in text
        assert "quads in 10 graphs" in text  # 6 + 2 personal graphs + inferred and quality
        assert again.health()["status"] == "ok"
    finally:
        again.stop()


def test_serve_over_a_remote_store() -> None:
    """``--store-url``: the demo city goes into a real ``oxigraph serve``, and queries reach it."""
    with oxigraph_server() as oxigraph:
        server = Server(
            None,
            {
                "KGSERVICE_STORE_URL": oxigraph.query_url,
                "KGSERVICE_STORE_UPDATE_URL": oxigraph.update_url,
                "KGSERVICE_STORE_GRAPH_STORE_URL": oxigraph.store_url,
                "KGSERVICE_DEMO_PEOPLE": "10",
            },
        )
        try:
            assert server.health()["store"] == "RemoteStore"
            count = (
                "SELECT (COUNT(*) AS ?n) WHERE { ?p a <https://w3id.org/sckm/city/NaturalPerson> }"
            )
            ours = requests.get(server.url + "/sparql", params={"query": count}, timeout=30)
            theirs = requests.get(
                oxigraph.query_url,
                params={"query": count, "union-default-graph": ""},
                headers={"Accept": "application/sparql-results+json"},
                timeout=30,
            )
            n = ours.json()["results"]["bindings"][0]["n"]["value"]
            assert int(n) >= 10
            assert n == theirs.json()["results"]["bindings"][0]["n"]["value"]
        finally:
            server.stop()


def test_a_retiring_worker_whose_graceful_stop_hangs_is_ended_by_the_alarm() -> None:
    """The backstop of a retirement: a process that ignores the SIGTERM (a graceful stop that
    never ends) is ended by the kernel when the alarm set before it rings."""
    script = (
        "import signal, time\n"
        "from kgservice import serve\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "serve._started = time.monotonic() - 60\n"
        "serve._retire_deadline = 1\n"
        "serve._retire_when_old_enough()\n"
        "time.sleep(30)\n"
    )
    started = time.monotonic()
    ended = subprocess.run([sys.executable, "-c", script], timeout=60, check=False)
    assert ended.returncode == -signal.SIGALRM
    assert time.monotonic() - started < 15
