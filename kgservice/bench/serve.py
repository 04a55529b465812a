"""``kgservice bench serve``: HTTP query throughput of the service beside ``oxigraph serve``.

A seeded city is generated and loaded (ontology included) into an on-disk store, compacted, and
copied with ``Store.backup()``: ``kgservice serve`` runs on the store (granian, one worker
process with the default ``KGSERVICE_THREADS`` threads unless ``--threads`` says otherwise, as in
production) and ``oxigraph serve --union-default-graph`` on the
copy, so both hold identical quads. The service answers an anonymous reader from the graphs it
may see (every graph but the raw personal ones, named one by one as the query's dataset);
``--reader privileged`` sends the personal-data token, so the service queries the union of all
graphs as Oxigraph does. ``--workers N`` runs the service in read-only mode
(``KGSERVICE_READ_ONLY``) with N worker processes, each holding the store open with
``Store.read_only``. The service's answer cache is off (``KGSERVICE_ANSWER_CACHE_MB=0``): the
benchmark repeats each query, which the cache would answer from memory, and it compares the
engines' work.
The queries touch no personal property, so both servers must return the same number of results:
each query is fetched once from each first, and a difference stops the benchmark.

A load generator then keeps ``C`` keep-alive connections busy with the same GET request (query
URL-encoded, ``Accept: application/sparql-results+json``, N-Triples for CONSTRUCT) against one
server at a time, in slices ordered A B, B A, A B … so that drift in the machine's speed (it is
shared by both servers and the client) weighs on both alike. The generator is ``wrk`` (C, one
event-loop thread) when it is on the PATH, else Python threads with one ``http.client``
connection each (which take more of the CPU from the servers). Besides requests/s and latency,
the CPU time the server's processes used per request is read from ``/proc``: it shows the cost
of a request even when other work on the machine disturbs throughput. Figures are printed, never
asserted.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import quote

import pyoxigraph as ox

from kgservice import __version__
from kgservice.bench.floor import BODY_ENV, STORE_ENV, TYPE_ENV
from kgservice.errors import CheckFailed, KGServiceError, ToolMissingError
from kgservice.settings import load_settings
from kgservice.web.memory_guard import resident_bytes as process_resident_bytes

SERVICE = "kgservice"
OXIGRAPH = "oxigraph"
FLOOR = "wsgi floor"
ENGINE_FLOOR = "pyoxigraph floor"
JSON_RESULTS = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
START_TIMEOUT = 120.0
STOP_TIMEOUT = 10.0
MEMORY_SAMPLE_SECONDS = 0.2  # how often the servers' resident memory is read during a run
REQUEST_TIMEOUT = 60.0
#: Before a query is measured, each server is given this long at most to finish the requests
#: the clients of the last slice gave up on (a server goes on computing them).
SETTLE_TIMEOUT = 600.0
_IDLE_SHARE = 0.1  # a server using less of a core than this over half a second is at rest
WRK_MARK = "KGSERVICE-WRK"

PREFIXES = """\
PREFIX city: <https://w3id.org/sckm/city/>
PREFIX sccm: <https://w3id.org/sckm/core/>
PREFIX code: <https://w3id.org/sckm/codes/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

# wrk's summary and its whole latency histogram (microseconds, value and count per line).
WRK_SCRIPT = f"""\
done = function(summary, latency, requests)
  local e = summary.errors
  io.write("{WRK_MARK} ", summary.requests, " ", summary.duration, " ", e.status, " ",
           e.connect + e.read + e.write + e.timeout, "\\n")
  for i = 1, #latency do
    local value, count = latency(i)
    io.write(value, " ", count, "\\n")
  end
end
"""


class BenchError(KGServiceError):
    """The benchmark could not run (a server did not start, a load generator failed)."""

    exit_code = 1


# --- the query mix --------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchQuery:
    """One query of the mix: ``form`` is select, ask or graph (CONSTRUCT)."""

    name: str
    form: str
    body: str  # without the prefixes
    about: str

    @property
    def text(self) -> str:
        return PREFIXES + self.body

    @property
    def accept(self) -> str:
        return N_TRIPLES if self.form == "graph" else JSON_RESULTS

    def path(self, endpoint: str) -> str:
        return f"{endpoint}?query={quote(self.text, safe='')}"


def _first(store: ox.Store, query: str) -> str | None:
    for row in store.query(PREFIXES + query, use_default_graph_as_union=True):  # type: ignore[union-attr]
        term = row[0]
        return term.value if term is not None else None
    return None


def city_queries(store: ox.Store) -> list[BenchQuery]:
    """The mix, with the county that has most residents and the first legal entity of the
    loaded city filled in (same seed, same choice)."""
    county = (
        _first(
            store,
            "SELECT ?county WHERE { ?person city:residence ?village . ?village city:parentDivision "
            "?township . ?township city:parentDivision ?county . ?county a city:County } "
            "GROUP BY ?county ORDER BY DESC(COUNT(?person)) ?county LIMIT 1",
        )
        or "https://w3id.org/sckm/id/division/371302"
    )
    entity = (
        _first(
            store, "SELECT ?entity WHERE { ?entity a city:LegalEntity } ORDER BY ?entity LIMIT 1"
        )
        or "https://w3id.org/sckm/id/entity/none"
    )
    return [
        BenchQuery(
            "people-per-county",
            "select",
            "SELECT ?county ?name (COUNT(?person) AS ?people) WHERE {\n"
            "  ?person a city:NaturalPerson ; city:residence ?village .\n"
            "  ?village city:parentDivision ?township . ?township city:parentDivision ?county .\n"
            "  ?county a city:County ; rdfs:label ?name .\n"
            "} GROUP BY ?county ?name ORDER BY DESC(?people)",
            "residents per county: population × divisions, 3 hops, aggregate",
        ),
        BenchQuery(
            "entities-by-county",
            "select",
            "SELECT ?entity ?name ?county ?countyName ?industry WHERE {\n"
            "  ?entity a city:LegalEntity ; city:legalName ?name ;\n"
            "    city:registrationDivision ?county ; city:industry ?code .\n"
            "  ?county rdfs:label ?countyName .\n"
            '  ?code skos:prefLabel ?industry FILTER(lang(?industry) = "zh")\n'
            "} ORDER BY ?entity LIMIT 100",
            "legal entities with county and industry (code list): 3 graphs, LIMIT 100",
        ),
        BenchQuery(
            "residents-of-county",
            "select",
            "SELECT ?person ?village ?villageName WHERE {\n"
            "  ?person a city:NaturalPerson ; city:residence ?village .\n"
            "  ?village rdfs:label ?villageName ; city:parentDivision ?township .\n"
            f"  ?township city:parentDivision <{county}> .\n"
            "}",
            "person → village → township → county, one county: a long result",
        ),
        BenchQuery(
            "facilities-by-type",
            "select",
            "SELECT ?type ?label (COUNT(?facility) AS ?facilities) WHERE {\n"
            "  ?facility a city:Facility ; city:facilityType ?type .\n"
            '  ?type skos:prefLabel ?label FILTER(lang(?label) = "zh")\n'
            "} GROUP BY ?type ?label ORDER BY DESC(?facilities) ?type",
            "facilities by type with the code list's labels",
        ),
        BenchQuery(
            "ask-representative",
            "ask",
            "ASK {\n"
            "  ?entity a city:LegalEntity ; city:legalRepresentative ?person .\n"
            "  ?person city:residence ?village . ?village city:parentDivision ?township .\n"
            f"  ?township city:parentDivision <{county}> .\n"
            "}",
            "does a legal representative live in the county?",
        ),
        BenchQuery(
            "construct-entity",
            "graph",
            f"CONSTRUCT {{ <{entity}> ?p ?o }} WHERE {{ <{entity}> ?p ?o }}",
            "one legal entity's description (N-Triples)",
        ),
        BenchQuery(
            "entity-by-iri",
            "select",
            "SELECT ?name ?status ?capital ?industry WHERE {\n"
            f"  <{entity}> city:legalName ?name ; city:status ?status ;\n"
            "    city:registeredCapital ?capital ; city:industry ?industry .\n"
            "}",
            "a few properties of one entity by IRI",
        ),
    ]


def result_count(query: BenchQuery, body: bytes) -> int | bool:
    """Solutions (SELECT), the answer (ASK) or triples (CONSTRUCT, N-Triples) in a response."""
    if query.form == "graph":
        lines = body.decode("utf-8").splitlines()
        return sum(1 for line in lines if line.strip() and not line.startswith("#"))
    parsed = json.loads(body)
    if query.form == "ask":
        return bool(parsed["boolean"])
    return len(parsed["results"]["bindings"])


# --- the data -------------------------------------------------------------------------------


@dataclass
class City:
    """The loaded city: the two store directories, its size and the query mix."""

    store: Path
    copy: Path
    quads: int
    queries: list[BenchQuery]


def prepare_city(
    people: int,
    seed: int,
    workdir: Path,
    echo: Callable[[str], None],
    kept: Path | None = None,
) -> City:
    """The city loaded as ``kgservice load`` does (graph:inferred and graph:quality included,
    compacted), in ``workdir``: generated and loaded now, or copied from the one kept in
    ``kept`` (loaded there first if it is not yet: :func:`~kgservice.bench.questions.kept_city`);
    and a copy of it for Oxigraph: both servers hold the same quads."""
    from kgservice.bench.questions import scratch_city
    from kgservice.store import open_embedded

    path = scratch_city(people, seed, kept, workdir, echo)
    store = open_embedded(path)
    try:
        store.oxigraph.backup(str(workdir / "oxigraph-store"))
        quads = store.quad_count()
        queries = city_queries(store.oxigraph)
    finally:
        store.close()
    return City(path, workdir / "oxigraph-store", quads, queries)


# --- the servers ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def oxigraph_command() -> str:
    """The ``oxigraph`` CLI of this environment (PyPI ``oxigraph``), else the one on PATH."""
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        raise ToolMissingError("oxigraph (the Oxigraph server) is missing: pip install oxigraph")
    return found


def oxigraph_version() -> str:
    done = subprocess.run([oxigraph_command(), "--version"], capture_output=True, text=True)
    return done.stdout.strip() or "oxigraph"


@dataclass
class Server:
    """A server in a child process; its output goes to a log file in the work folder."""

    name: str
    command: list[str]
    port: int
    log_path: Path
    endpoint: str
    env: dict[str, str] | None = None
    ready_line: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # sent with every request
    process: subprocess.Popen | None = None
    _log: IO[bytes] | None = None

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def request_headers(self, query: BenchQuery) -> dict[str, str]:
        return {"Accept": query.accept, **self.headers}

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.endpoint}"

    def start(self) -> None:
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,  # a Ctrl-C meant for the benchmark is not theirs
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name} exited at start:\n{self.log_tail()}")
            if self._ready():
                return
            time.sleep(0.1)
        raise BenchError(f"{self.name} did not start in {START_TIMEOUT:g} s:\n{self.log_tail()}")

    def _ready(self) -> bool:
        if self.ready_line is not None and self.ready_line not in self.log_path.read_text(
            "utf-8", errors="replace"
        ):
            return False
        try:
            with socket.create_connection((self.host, self.port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not gone within a few seconds."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of the server and its descendants (granian's workers)."""
        total = 0.0
        for pid in self._processes():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = Path(f"/proc/{pid}/stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def resident_bytes(self) -> int:
        """Resident memory of the server and its descendants, summed."""
        return sum(process_resident_bytes(pid) or 0 for pid in self._processes())

    def _processes(self) -> list[int]:
        """The server's process and its descendants (Linux ``/proc``)."""
        if self.process is None:
            return []
        found, pids = [], [self.process.pid]
        while pids:
            pid = pids.pop()
            found.append(pid)
            with contextlib.suppress(OSError, ValueError):
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text()
                pids.extend(int(child) for child in children.split())
        return found

    def log_tail(self, lines: int = 20) -> str:
        if self._log is not None:
            self._log.flush()
        text = self.log_path.read_text("utf-8", errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def service_server(
    store: Path,
    workdir: Path,
    threads: int,
    max_rows: int,
    token: str | None = None,
    workers: int | None = None,
) -> Server:
    """``kgservice serve`` on ``store``, configured only by this benchmark; ``token``, if
    given, is its personal-data token; ``workers``, if given, serves the store read-only in
    that many processes."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KGSERVICE_")}
    env |= {
        "KGSERVICE_STORE": str(store),
        "KGSERVICE_HOST": "127.0.0.1",
        "KGSERVICE_PORT": str(port),
        "KGSERVICE_DEMO_PEOPLE": "0",
        "KGSERVICE_THREADS": str(threads),
        "KGSERVICE_MAX_ROWS": str(max_rows),
        "KGSERVICE_LOG_LEVEL": "WARNING",
        "KGSERVICE_ANSWER_CACHE_MB": "0",  # engine beside engine: no answer is sent from memory
        # The clients' limit, not the service's 30 s: `oxigraph serve` has none, and a long
        # question of a large city (people-per-county at 1,000,000 people) must be answered
        # by both servers for their results to be compared.
        "KGSERVICE_QUERY_TIMEOUT": str(int(REQUEST_TIMEOUT)),
    }
    if token:
        env["KGSERVICE_PERSONAL_DATA_TOKEN"] = token
    if workers:
        env |= {"KGSERVICE_READ_ONLY": "true", "KGSERVICE_WORKERS": str(workers)}
    return Server(
        SERVICE,
        [sys.executable, "-m", "kgservice", "serve"],
        port,
        workdir / "kgservice.log",
        "/sparql",
        env=env,
        ready_line="kgservice: serving",
    )


def floor_server(
    body: bytes, media_type: str, workdir: Path, threads: int, workers: int = 1
) -> Server:
    """:func:`kgservice.bench.floor.app` under the same granian workers as ``kgservice serve``."""
    body_file = workdir / "floor-body"
    body_file.write_bytes(body)
    env = {BODY_ENV: str(body_file), TYPE_ENV: media_type}
    return _granian(FLOOR, "kgservice.bench.floor:app", env, workdir, threads, workers)


def engine_floor_server(store: Path, workdir: Path, threads: int, workers: int = 1) -> Server:
    """:func:`kgservice.bench.floor.engine_app` on ``store`` under the same granian workers."""
    target, env = "kgservice.bench.floor:engine_app", {STORE_ENV: str(store)}
    return _granian(ENGINE_FLOOR, target, env, workdir, threads, workers)


def _granian(
    name: str, target: str, env: dict[str, str], workdir: Path, threads: int, workers: int
) -> Server:
    port = free_port()
    command = [
        sys.executable, "-m", "granian", "--interface", "wsgi", "--http", "1",
        "--workers", str(workers), "--blocking-threads", str(threads),
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", target,
    ]  # fmt: skip
    log = workdir / (name.replace(" ", "-") + ".log")
    return Server(name, command, port, log, "/sparql", env=dict(os.environ) | env)


def oxigraph_server(copy: Path, workdir: Path) -> Server:
    port = free_port()
    command = [
        oxigraph_command(),
        "serve",
        "--location",
        str(copy),
        "--bind",
        f"127.0.0.1:{port}",
        "--union-default-graph",
    ]
    return Server(OXIGRAPH, command, port, workdir / "oxigraph.log", "/query")


def fetch(server: Server, query: BenchQuery) -> bytes:
    """One request, as the load generator sends it; the body of a 200 answer."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(
            "GET", query.path(server.endpoint), headers=server.request_headers(query)
        )
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 200:
        shown = body[:300].decode("utf-8", errors="replace")
        raise CheckFailed(f"{query.name}: {server.name} answered {response.status}: {shown}")
    return body


def check_counts(
    servers: list[Server], queries: list[BenchQuery]
) -> dict[str, dict[str, int | bool]]:
    """Each query's result count from each server; they must agree (else :class:`CheckFailed`)."""
    counts: dict[str, dict[str, int | bool]] = {}
    for query in queries:
        counts[query.name] = {s.name: result_count(query, fetch(s, query)) for s in servers}
        if len(set(counts[query.name].values())) != 1:
            shown = ", ".join(f"{name} {n}" for name, n in counts[query.name].items())
            raise CheckFailed(f"{query.name}: the servers disagree on the results: {shown}")
    return counts


class PeakMemory:
    """The most resident memory each server's processes held together while it is entered,
    sampled every :data:`MEMORY_SAMPLE_SECONDS` (MB by server name in :attr:`mb`)."""

    def __init__(self, servers: list[Server]) -> None:
        self._servers = servers
        self.mb: dict[str, float] = {server.name: 0.0 for server in servers}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="peak-memory", daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        while True:
            for server in self._servers:
                resident = server.resident_bytes() / 2**20
                self.mb[server.name] = max(self.mb[server.name], round(resident, 1))
            if self._done.wait(MEMORY_SAMPLE_SECONDS):
                return


# --- load generators ------------------------------------------------------------------------


@dataclass
class Sample:
    """What a load generator measured: good answers, failures, time, latencies (µs → count)."""

    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latency_us: Counter[int] = field(default_factory=Counter)
    cpu_seconds: float = 0.0  # the server's processes, user + system

    def add(self, other: Sample) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.seconds += other.seconds
        self.latency_us.update(other.latency_us)
        self.cpu_seconds += other.cpu_seconds

    @property
    def cpu_ms_per_request(self) -> float | None:
        return self.cpu_seconds * 1000 / self.requests if self.requests else None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, p: float) -> float | None:
        """The ``p``-th percentile (nearest rank) in milliseconds."""
        total = sum(self.latency_us.values())
        if total == 0:
            return None
        rank = max(1, math.ceil(p / 100 * total))
        seen = 0
        for value in sorted(self.latency_us):
            seen += self.latency_us[value]
            if seen >= rank:
                return value / 1000
        return max(self.latency_us) / 1000


class LoadGenerator:
    """Keeps ``concurrency`` keep-alive connections busy with one GET for ``seconds``."""

    name = "load generator"

    def run(
        self, server: Server, query: BenchQuery, seconds: float, concurrency: int
    ) -> Sample:  # pragma: no cover - interface
        raise NotImplementedError

    def slice_seconds(self, seconds: float) -> float:
        return seconds


class PythonClient(LoadGenerator):
    """One ``http.client`` connection per thread; good enough when wrk is missing."""

    name = "python http.client threads"

    def run(self, server: Server, query: BenchQuery, seconds: float, concurrency: int) -> Sample:
        path = query.path(server.endpoint)
        headers = server.request_headers(query)
        clock: dict[str, float] = {}
        barrier = threading.Barrier(concurrency, action=lambda: clock.update(start=_now()))
        samples = [Sample() for _ in range(concurrency)]
        ends = [0.0] * concurrency

        def work(index: int) -> None:
            sample = samples[index]
            connection = http.client.HTTPConnection(server.host, server.port, REQUEST_TIMEOUT)
            try:
                barrier.wait()
                deadline = clock["start"] + seconds
                while (started := _now()) < deadline:
                    ok = False
                    try:
                        connection.request("GET", path, headers=headers)
                        response = connection.getresponse()
                        response.read()
                        ok = response.status == 200
                    except (OSError, http.client.HTTPException):
                        connection.close()
                    finished = _now()
                    if ok:
                        sample.requests += 1
                        sample.latency_us[round((finished - started) * 1e6)] += 1
                    else:
                        sample.errors += 1
                ends[index] = _now()
            finally:
                connection.close()

        threads = [threading.Thread(target=work, args=(i,)) for i in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        total = Sample(seconds=max(ends) - clock["start"])
        for sample in samples:
            total.add(sample)
        return total


def _now() -> float:
    return time.perf_counter()


class Wrk(LoadGenerator):
    """``wrk`` (one event-loop thread, C): cheap per request, so the servers get the CPU."""

    def __init__(self, executable: str, script: Path) -> None:
        self.executable = executable
        self.script = script
        script.write_text(WRK_SCRIPT, encoding="utf-8")
        done = subprocess.run([executable, "--version"], capture_output=True, text=True)
        words = (done.stdout or done.stderr).split()
        self.name = "wrk " + (words[1] if len(words) > 1 else "") + " (1 thread)"

    def slice_seconds(self, seconds: float) -> float:
        return max(1, round(seconds))  # wrk takes whole seconds

    def run(self, server: Server, query: BenchQuery, seconds: float, concurrency: int) -> Sample:
        command = [
            self.executable,
            "--threads",
            "1",
            "--connections",
            str(concurrency),
            "--duration",
            f"{int(self.slice_seconds(seconds))}s",
            "--timeout",
            f"{int(REQUEST_TIMEOUT)}s",
            "--script",
            str(self.script),
            *(
                option
                for name, value in server.request_headers(query).items()
                for option in ("--header", f"{name}: {value}")
            ),
            f"http://{server.host}:{server.port}{query.path(server.endpoint)}",
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BenchError(f"wrk failed: {done.stderr.strip() or done.stdout.strip()}")
        return parse_wrk(done.stdout)


def parse_wrk(output: str) -> Sample:
    """The summary and histogram the script's ``done()`` prints after wrk's own report."""
    lines = output.splitlines()
    marks = [i for i, line in enumerate(lines) if line.startswith(WRK_MARK + " ")]
    if not marks:
        raise BenchError(f"wrk printed no summary:\n{output}")
    _, requests, duration, status, socket_errors = lines[marks[0]].split()
    sample = Sample(
        requests=int(float(requests)) - int(float(status)),
        errors=int(float(status)) + int(float(socket_errors)),
        seconds=float(duration) / 1e6,
    )
    for line in lines[marks[0] + 1 :]:
        if re.fullmatch(r"\s*[0-9.e+]+ [0-9.e+]+\s*", line):
            value, count = line.split()
            sample.latency_us[round(float(value))] += int(float(count))
    return sample


def load_generator(client: str, workdir: Path) -> LoadGenerator:
    """``wrk`` when asked for or (``auto``) when installed, else the Python client."""
    found = shutil.which("wrk")
    if client == "wrk" and not found:
        raise ToolMissingError("wrk is missing: apt-get install wrk (or use --client python)")
    if client in ("wrk", "auto") and found:
        return Wrk(found, workdir / "report.lua")
    return PythonClient()


# --- the run --------------------------------------------------------------------------------


@dataclass
class Row:
    """One query on one server."""

    query: str
    server: str
    results: int | bool
    sample: Sample


def measure(
    servers: list[Server],
    queries: list[BenchQuery],
    generator: LoadGenerator,
    seconds: float,
    concurrency: int,
    counts: dict[str, dict[str, int | bool]],
    echo: Callable[[str], None],
) -> list[Row]:
    """Each query on each server for ``seconds`` in total, in slices ordered A B, B A, A B …
    so that a drift in the machine's speed weighs on both alike. A slice lasts at least 2 s
    and ten times the query's own time per core, so requests cut off at its end (wrk drops
    them) hardly count."""
    rows = []
    for query in queries:
        settle(servers, echo)
        single = max(_warm_up(server, query) for server in servers)
        slice_seconds = max(2.0, 10 * single * concurrency / (os.cpu_count() or 1))
        rounds = max(1, min(10, int(seconds // slice_seconds)))
        totals = {server.name: Sample() for server in servers}
        for index in range(rounds):
            order = servers if index % 2 == 0 else list(reversed(servers))
            for server in order:
                cpu = server.cpu_seconds()
                sample = generator.run(server, query, seconds / rounds, concurrency)
                sample.cpu_seconds = server.cpu_seconds() - cpu
                totals[server.name].add(sample)
        for server in servers:
            rows.append(
                Row(query.name, server.name, counts[query.name][server.name], totals[server.name])
            )
        echo(f"measured {query.name} ({rounds} × 2 slices)")
    return rows


@dataclass
class Floor:
    """The two floors measured on one query: the WSGI floor's row, then the pyoxigraph floor's."""

    rows: list[Row]


def measure_floors(
    service: Server,
    store: Path,
    rows: list[Row],
    queries: list[BenchQuery],
    generator: LoadGenerator,
    seconds: float,
    concurrency: int,
    started: list[Server],
) -> Floor:
    """The WSGI floor and the pyoxigraph floor (:mod:`kgservice.bench.floor`) on the query
    Oxigraph answers fastest, the first sending the service's own answer to it, the second
    running it on ``store``; each server is added to ``started`` before it starts."""
    fastest = max((row for row in rows if row.server == OXIGRAPH), key=lambda row: row.sample.rate)
    query = next(query for query in queries if query.name == fastest.query)
    workdir = service.log_path.parent
    threads = int((service.env or {}).get("KGSERVICE_THREADS", "8"))
    workers = int((service.env or {}).get("KGSERVICE_WORKERS", "1"))
    floors = [
        floor_server(fetch(service, query), query.accept, workdir, threads, workers),
        engine_floor_server(store, workdir, threads, workers),
    ]
    measured = []
    for server in floors:
        started.append(server)
        server.start()
        results = result_count(query, fetch(server, query))  # also a warm-up
        cpu = server.cpu_seconds()
        sample = generator.run(server, query, seconds, concurrency)
        sample.cpu_seconds = server.cpu_seconds() - cpu
        measured.append(Row(query.name, server.name, results, sample))
    return Floor(measured)


def floor_note(floor: Floor, rows: list[Row], threads: int, workers: int = 1) -> str:
    bare, engine = floor.rows
    by_server = {row.server: row for row in rows if row.query == bare.query}
    oxigraph_rate = by_server[OXIGRAPH].sample.rate

    def ratio(row: Row) -> str:
        return f"{row.sample.rate / oxigraph_rate:.2f}×" if oxigraph_rate else "n/a"

    def figures(row: Row) -> str:
        return (
            f"{row.sample.rate:.1f} requests/s using {_ms(row.sample.cpu_ms_per_request)} ms of "
            f"CPU per request, {ratio(row)} oxigraph serve"
        )

    return (
        f"Floors on {bare.query}, under the same granian workers ({workers} × {threads} "
        f"threads). WSGI floor, an app that sends the answer without doing anything: "
        f"{figures(bare)}: the most a WSGI app can reach under these workers, whatever it does "
        f"per request. pyoxigraph floor, an app that runs the query on pyoxigraph over the "
        f"union default graph and sends Oxigraph's serialisation, nothing else: "
        f"{figures(engine)}: the most a Python service on pyoxigraph can reach; the service "
        f"itself: {ratio(by_server[SERVICE])}."
    )


def _timed(work: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    work(*args)
    return time.perf_counter() - started


def _warm_up(server: Server, query: BenchQuery) -> float:
    """The time of one request for ``query`` alone (which also warms the server up)."""
    try:
        return _timed(fetch, server, query)
    except TimeoutError:
        raise BenchError(
            f"{query.name}: {server.name} did not answer one request alone in "
            f"{REQUEST_TIMEOUT:g} s; this query cannot be measured at this size"
        ) from None


def settle(
    servers: list[Server], echo: Callable[[str], None], timeout: float = SETTLE_TIMEOUT
) -> None:
    """Wait until no server is still working on requests its clients gave up on: a slice's
    unfinished requests (16 answers of a long question at 16 clients) would otherwise slow
    the next query's slices down, or make its first request time out."""
    deadline = time.monotonic() + timeout
    waited = False
    while time.monotonic() < deadline:
        before = [server.cpu_seconds() for server in servers]
        time.sleep(0.5)
        used = [server.cpu_seconds() - b for server, b in zip(servers, before, strict=True)]
        if all(seconds < 0.5 * _IDLE_SHARE for seconds in used):
            if waited:
                echo("the servers are at rest again")
            return
        waited = True
    echo(f"a server was still busy after {timeout:g} s; measuring anyway")


def ratios(rows: list[Row]) -> dict[str, float | None]:
    """Service requests/s over Oxigraph's, per query."""
    rates: dict[str, dict[str, float]] = {}
    for row in rows:
        rates.setdefault(row.query, {})[row.server] = row.sample.rate
    return {
        query: (by[SERVICE] / by[OXIGRAPH] if by.get(OXIGRAPH) else None)
        for query, by in rates.items()
    }


def geometric_mean(values: Iterable[float | None]) -> float | None:
    kept = [v for v in values if v]
    return math.exp(sum(math.log(v) for v in kept) / len(kept)) if kept else None


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}, "
        f"kgservice {__version__}, pyoxigraph {ox.__version__}"
    )


@dataclass
class Setup:
    """What the table's heading says about the run."""

    people: int
    quads: int
    seconds: float
    concurrency: int
    threads: int
    max_rows: int
    client: str
    oxigraph: str
    reader: str = "anonymous"
    load: float = 0.0  # the machine's 1-minute load average before the run (other work)
    workers: int | None = None  # read-only mode with this many worker processes
    #: the most resident memory each server's processes held together during the run (MB)
    peak_memory_mb: dict[str, float] = field(default_factory=dict)


def _ms(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "—"


def _workers_text(workers: int | None) -> str:
    if not workers:
        return "1 worker"
    return f"{workers} read-only worker{'s' if workers > 1 else ''}"


def table(setup: Setup, rows: list[Row], queries: list[BenchQuery]) -> str:
    by_query = ratios(rows)
    overall = geometric_mean(by_query.values())
    lines = [
        "HTTP query throughput: kgservice serve vs oxigraph serve (same store copy, same run)",
        f"City: {setup.people:,} people, {setup.quads:,} quads with the ontology",
        f"Load: {setup.concurrency} keep-alive connections, {setup.seconds:g} s per query per "
        f"server (slices alternating), client: {setup.client}",
        f"kgservice serve: granian, {_workers_text(setup.workers)} × {setup.threads} "
        f"threads, KGSERVICE_MAX_ROWS={setup.max_rows}, {setup.reader} reader; "
        f"{setup.oxigraph} serve --union-default-graph",
        f"Machine: {machine()}; load average before the run {setup.load:.2f}",
        "Peak resident memory during the run (all of a server's processes): "
        + ", ".join(f"{name} {mb:,.0f} MB" for name, mb in setup.peak_memory_mb.items()),
        "",
        "| query               | server    | results | requests/s | median (ms) | p95 (ms) "
        "| server CPU (ms/req) | errors | service/oxigraph |",
        "|---------------------|-----------|--------:|-----------:|------------:|---------:"
        "|--------------------:|-------:|-----------------:|",
    ]
    for row in rows:
        ratio = by_query.get(row.query) if row.server == SERVICE else None
        shown = f"{ratio:.2f}" if ratio is not None else ""
        results = str(row.results).lower() if isinstance(row.results, bool) else row.results
        lines.append(
            f"| {row.query:<19} | {row.server:<9} | {results:>7} | {row.sample.rate:10.1f} | "
            f"{_ms(row.sample.percentile(50)):>11} | {_ms(row.sample.percentile(95)):>8} | "
            f"{_ms(row.sample.cpu_ms_per_request):>19} | {row.sample.errors:6d} | {shown:>16} |"
        )
    lines += [
        "",
        "Overall (geometric mean of service/oxigraph): "
        + (f"{overall:.2f}" if overall is not None else "—")
        + " (target ≥ 0.80)",
        "",
        "Queries:",
    ]
    lines += [f"- {query.name}: {query.about}" for query in queries]
    return "\n".join(lines)


def report_json(setup: Setup, rows: list[Row], queries: list[BenchQuery]) -> dict:
    by_query = ratios(rows)
    return {
        "setup": setup.__dict__ | {"machine": machine()},
        "queries": [query.__dict__ | {"text": query.text} for query in queries],
        "rows": [_row_json(row) for row in rows],
        "ratios": by_query,
        "overall_ratio": geometric_mean(by_query.values()),
    }


def _row_json(row: Row) -> dict:
    return {
        "query": row.query,
        "server": row.server,
        "results": row.results,
        "requests": row.sample.requests,
        "errors": row.sample.errors,
        "seconds": row.sample.seconds,
        "requests_per_second": row.sample.rate,
        "median_ms": row.sample.percentile(50),
        "p95_ms": row.sample.percentile(95),
        "server_cpu_ms_per_request": row.sample.cpu_ms_per_request,
    }


def bench_serve(
    people: int,
    seconds: float,
    concurrency: int,
    json_out: Path | None = None,
    *,
    seed: int = 1,
    client: str = "auto",
    threads: int | None = None,
    max_rows: int = 10_000,
    reader: str = "anonymous",
    only: Iterable[str] | None = None,
    workers: int | None = None,
    kept: Path | None = None,
    echo: Callable[[str], None] = lambda line: None,
) -> str:
    """Load a city (or copy the one kept in ``kept``), start both servers, check the results
    agree, measure; the table.

    ``reader`` ``anonymous`` queries as the public does: the service hides the raw personal
    graphs, so its queries run over the visible graphs named one by one. ``privileged`` sends
    the personal-data token (to both servers alike; Oxigraph ignores it), so the service runs
    them over the union default graph as Oxigraph does: the difference is the HTTP layer.
    ``workers`` runs the service read-only in that many processes (``KGSERVICE_READ_ONLY``).
    """
    threads = threads or load_settings({}).threads  # as the service runs by default
    token = secrets.token_urlsafe(16) if reader == "privileged" else None
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="kgservice-bench-serve-") as tmp:
        workdir = Path(tmp)
        city = prepare_city(people, seed, workdir, echo, kept)
        if only is not None:
            chosen = set(only)
            city.queries = [query for query in city.queries if query.name in chosen]
        generator = load_generator(client, workdir)
        servers = [
            service_server(city.store, workdir, threads, max_rows, token, workers),
            oxigraph_server(city.copy, workdir),
        ]
        for server in servers:
            server.headers = {"Authorization": f"Bearer {token}"} if token else {}
        peaks = PeakMemory(servers)
        try:
            for server in servers:
                server.start()
                echo(f"{server.name} ready at {server.url}")
            with peaks:
                counts = check_counts(servers, city.queries)
                rows = measure(servers, city.queries, generator, seconds, concurrency, counts, echo)
            settle(servers, echo)
            floor = measure_floors(
                servers[0], city.store, rows, city.queries, generator, seconds, concurrency, servers
            )
            echo(f"measured the floors on {floor.rows[0].query}")
        finally:
            for server in servers:
                with contextlib.suppress(Exception):
                    server.stop()
    setup = Setup(
        people,
        city.quads,
        seconds,
        concurrency,
        threads,
        max_rows,
        generator.name,
        oxigraph_version(),
        reader,
        load_before,
        workers,
        peaks.mb,
    )
    if json_out is not None:
        report = report_json(setup, rows, city.queries) | {
            "floor": _row_json(floor.rows[0]),
            "engine_floor": _row_json(floor.rows[1]),
        }
        json_out.write_text(json.dumps(report, indent=2), "utf-8")
    note = floor_note(floor, rows, threads, workers or 1)
    return table(setup, rows, city.queries) + "\n\n" + note
