"""``kgservice serve`` in read-only mode (``KGSERVICE_READ_ONLY``): a loaded store served by
several worker processes, every write refused, and the starts it must refuse."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from kgservice.settings import SettingsError, load_settings, worker_count
from kgservice.store import open_embedded
from tests.servers import KGSERVICE, free_port
from tests.servers import KGServiceServer as Server

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
WRITER = {"Authorization": "Bearer t"}  # the write token of the test servers
NEW_GRAPH = "https://example.org/graph/read-only-test"


@pytest.fixture(scope="module")
def loaded_store(tmp_path_factory) -> Path:
    """A store loaded by a normal first start (ontology and a demo city of 40 people)."""
    store = tmp_path_factory.mktemp("read-only") / "store"
    Server(store).stop()
    return store


@pytest.fixture(scope="module")
def read_only(loaded_store: Path) -> Iterator[Server]:
    server = Server(loaded_store, {"KGSERVICE_READ_ONLY": "true", "KGSERVICE_WORKERS": "2"})
    yield server
    server.stop()


def _count(server: Server) -> tuple[int, int]:
    """The number of quads one worker sees, and that worker's pid (from /healthz, asked on
    the same connection right after)."""
    with requests.Session() as session:
        response = session.get(server.url + "/sparql", params={"query": COUNT}, timeout=30)
        assert response.status_code == 200, response.text
        pid = session.get(server.url + "/healthz", timeout=30).json()["pid"]
    return int(response.json()["results"]["bindings"][0]["n"]["value"]), pid


def test_several_worker_processes_answer_from_the_same_store(read_only: Server) -> None:
    text = "".join(read_only.output)
    assert "store (read-only):" in text
    assert "loaded the ontology" not in text and "demo city:" not in text
    answers: dict[int, int] = {}
    deadline = time.monotonic() + 30
    with ThreadPoolExecutor(4) as pool:
        while len(answers) < 2 and time.monotonic() < deadline:
            for count, pid in pool.map(lambda _: _count(read_only), range(8)):
                answers[pid] = count
    assert len(answers) == 2, f"only worker(s) {sorted(answers)} answered"
    assert len(set(answers.values())) == 1 and next(iter(answers.values())) > 1000
    assert os.getpid() not in answers


def test_writes_are_refused_and_change_nothing(read_only: Server) -> None:
    before, _ = _count(read_only)
    update = f"INSERT DATA {{ GRAPH <{NEW_GRAPH}> {{ <urn:a> <urn:b> <urn:c> }} }}"
    refused = requests.post(
        read_only.url + "/sparql", data={"update": update}, headers=WRITER, timeout=30
    )
    assert refused.status_code == 403, refused.text
    assert "KGSERVICE_READ_ONLY" in refused.text
    direct = requests.post(
        read_only.url + "/sparql",
        data=update.encode(),
        headers={**WRITER, "Content-Type": "application/sparql-update"},
        timeout=30,
    )
    assert direct.status_code == 403, direct.text
    turtle = b"<urn:a> <urn:b> <urn:c> ."
    for method in ("PUT", "POST", "DELETE"):
        response = requests.request(
            method,
            read_only.url + "/store",
            params={"graph": NEW_GRAPH},
            data=turtle if method != "DELETE" else None,
            headers={**WRITER, "Content-Type": "text/turtle"},
            timeout=30,
        )
        assert response.status_code == 405, (method, response.text)
        assert response.headers["Allow"] == "GET, HEAD"
        assert "KGSERVICE_READ_ONLY" in response.text
    after, _ = _count(read_only)
    assert after == before
    missing = requests.get(read_only.url + "/store", params={"graph": NEW_GRAPH}, timeout=30)
    assert missing.status_code == 404


def test_the_service_description_offers_no_update(read_only: Server) -> None:
    response = requests.get(
        read_only.url + "/sparql", headers={"Accept": "application/n-triples"}, timeout=30
    )
    assert response.status_code == 200
    assert "SPARQL11Query" in response.text
    assert "SPARQL11Update" not in response.text


def _start(store: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``kgservice serve`` that is expected to stop at once."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KGSERVICE_")}
    return subprocess.run(
        [KGSERVICE, "serve", "--store", str(store), "--port", str(free_port())],
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_missing_store_is_refused_at_start(tmp_path: Path) -> None:
    done = _start(tmp_path / "nothing", {"KGSERVICE_READ_ONLY": "true"})
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no store there" in done.stderr
    assert not (tmp_path / "nothing").exists()


def test_an_empty_store_is_refused_at_start(tmp_path: Path) -> None:
    open_embedded(tmp_path / "empty").close()
    done = _start(tmp_path / "empty", {"KGSERVICE_READ_ONLY": "true"})
    assert done.returncode == 2, done.stdout + done.stderr
    assert "the store is empty" in done.stderr


def test_several_workers_need_read_only(tmp_path: Path) -> None:
    done = _start(tmp_path / "store", {"KGSERVICE_WORKERS": "2"})
    assert done.returncode == 2, done.stdout + done.stderr
    assert "KGSERVICE_WORKERS=2 needs KGSERVICE_READ_ONLY=true" in done.stderr
    assert not (tmp_path / "store").exists()  # refused before anything was opened


def test_worker_settings() -> None:
    assert worker_count(load_settings({})) == 1
    assert worker_count(load_settings({"KGSERVICE_WORKERS": "1"})) == 1
    read_only = load_settings({"KGSERVICE_READ_ONLY": "true"})
    assert worker_count(read_only) == (os.cpu_count() or 1)
    assert worker_count(read_only.replace(workers=3)) == 3
    with pytest.raises(SettingsError, match="KGSERVICE_WORKERS"):
        load_settings({"KGSERVICE_WORKERS": "0", "KGSERVICE_READ_ONLY": "true"})
    with pytest.raises(SettingsError, match="KGSERVICE_STORE_URL"):
        load_settings(
            {"KGSERVICE_READ_ONLY": "true", "KGSERVICE_STORE_URL": "http://127.0.0.1:1/q"}
        )
