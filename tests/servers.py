"""Real servers for tests on 127.0.0.1: ``oxigraph serve`` (PyPI package ``oxigraph``) and
``kgservice serve`` (:class:`KGServiceServer`).

:func:`oxigraph_server` starts the ``oxigraph`` binary installed next to the running Python
(``.venv/bin/oxigraph``) on a free port, waits until it answers HTTP, yields its URLs and stops
it on exit (SIGTERM, then SIGKILL after five seconds). A server that fails to start raises
:class:`ServerError` with its command line and its stderr.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

STARTUP_SECONDS = 30.0
STOP_SECONDS = 5.0
_BIND_ATTEMPTS = 3


class ServerError(RuntimeError):
    """A test server could not be started."""


@dataclass(frozen=True)
class OxigraphServer:
    """A running ``oxigraph serve``: its process, data directory, log file and URLs."""

    process: subprocess.Popen[bytes]
    location: Path | None
    log: Path
    base_url: str

    @property
    def query_url(self) -> str:
        return self.base_url + "/query"

    @property
    def update_url(self) -> str:
        return self.base_url + "/update"

    @property
    def store_url(self) -> str:
        """The Graph Store Protocol URL (``?graph=IRI`` or ``?default``)."""
        return self.base_url + "/store"

    def stderr(self) -> str:
        """What the server wrote to stderr so far (its log)."""
        return self.log.read_text(encoding="utf-8", errors="replace")


def oxigraph_binary() -> Path:
    """The ``oxigraph`` command of the virtual environment running the tests."""
    binary = Path(sys.executable).parent / "oxigraph"
    if not binary.is_file():
        found = shutil.which("oxigraph")
        if found is None:
            raise ServerError(
                f"{binary}: no `oxigraph` command; install the PyPI package `oxigraph` "
                "(scripts/bootstrap does)"
            )
        binary = Path(found)
    return binary


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    """True when ``url`` gives any HTTP answer (proxies from the environment bypassed)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(urllib.request.Request(url, method="HEAD"), timeout=1.0):
            return True
    except urllib.error.HTTPError:
        return True  # it answered, even if not with 200
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after :data:`STOP_SECONDS`; always reaps the process."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait()


def _start(binary: Path, location: Path | None, log: Path, extra: list[str]) -> OxigraphServer:
    """Start one server on a free port and wait until it answers; raise if it does not."""
    port = free_port()
    command = [str(binary), "serve", "--bind", f"127.0.0.1:{port}", *extra]
    if location is not None:
        command += ["--location", str(location)]
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=stderr,
            stderr=stderr,
            env={**os.environ, "RUST_BACKTRACE": "1"},
        )
    server = OxigraphServer(process, location, log, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ServerError(
                    f"`{' '.join(command)}` exited with status {process.returncode} before "
                    f"answering:\n{server.stderr()}"
                )
            if _answers(server.base_url + "/"):
                return server
            time.sleep(0.05)
        raise ServerError(
            f"`{' '.join(command)}` did not answer within {STARTUP_SECONDS:g} s:\n{server.stderr()}"
        )
    except BaseException:  # also an interrupt while waiting: never leave the server running
        _stop(process)
        raise


@contextlib.contextmanager
def oxigraph_server(
    location: Path | None = None, *, extra_args: list[str] | None = None
) -> Iterator[OxigraphServer]:
    """Run ``oxigraph serve --location DIR --bind 127.0.0.1:<free port>`` for the block.

    ``location`` is the store's directory; ``None`` gives a fresh temporary directory that is
    removed afterwards. ``extra_args`` are added to the command line (e.g.
    ``["--union-default-graph"]``). The port is picked free just before the start; if another
    process takes it in between, the start is retried on another port.
    """
    binary = oxigraph_binary()
    with tempfile.TemporaryDirectory(prefix="kgservice-oxigraph-") as scratch:
        folder = Path(scratch)
        data = location if location is not None else folder / "store"
        server: OxigraphServer | None = None
        for attempt in range(1, _BIND_ATTEMPTS + 1):
            log = folder / f"stderr-{attempt}.log"
            try:
                server = _start(binary, data, log, list(extra_args or []))
                break
            except ServerError:
                in_use = "in use" in log.read_text(encoding="utf-8", errors="replace")
                if attempt == _BIND_ATTEMPTS or not in_use:
                    raise
        assert server is not None
        try:
            yield server
        finally:
            _stop(server.process)


# --- kgservice serve ---------------------------------------------------------------------

KGSERVICE = str(Path(sys.executable).parent / "kgservice")
SERVE_TIMEOUT = 2.0  # the query time limit of a test service
# A 3-way join of everything: minutes of engine time inside one COUNT.
EXPLOSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z }"


class KGServiceServer:
    """``kgservice serve`` in a child process on a free port of 127.0.0.1, its output kept."""

    def __init__(self, store: Path | None, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("KGSERVICE_")}
        env |= {
            "KGSERVICE_DEMO_PEOPLE": "40",
            "KGSERVICE_QUERY_TIMEOUT": str(SERVE_TIMEOUT),
            "KGSERVICE_WRITE_TOKEN": "t",
            **(extra_env or {}),
        }
        where = ["--store", str(store)] if store is not None else []
        self.process = subprocess.Popen(
            [KGSERVICE, "serve", *where, "--port", str(self.port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its workers in a process group of their own: see stop()
        )
        self.output: list[str] = []
        self._wait_for_url()

    def _wait_for_url(self) -> None:
        assert self.process.stdout is not None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                break
            self.output.append(line)
            if line.startswith("kgservice: serving"):
                # Keep reading: a full pipe would block the server's logging, and the server.
                threading.Thread(target=self._drain, daemon=True).start()
                return
        self.stop()
        pytest.fail("kgservice serve did not start:\n" + "".join(self.output))

    def _drain(self) -> None:
        assert self.process.stdout is not None
        with contextlib.suppress(ValueError, OSError):  # closed by stop()
            for line in self.process.stdout:
                self.output.append(line)

    def health(self) -> dict:
        deadline = time.monotonic() + 30
        while True:
            try:
                return requests.get(self.url + "/healthz", timeout=5).json()
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server; then end whatever is left of its process group (a worker outliving
        the main process would hold the output pipe open, and the test run with it)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process.stdout is not None:
            self.process.stdout.close()
