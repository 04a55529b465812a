"""Run Apache Jena's SHACL validator (Debian ``libapache-jena-java``, Jena 4.5.0) from Python.

Used as a second, independent SHACL engine: the tests check that Jena and pySHACL give the same
findings on every fixture of ``shapes/``.

Two things about the Debian package are handled here:

* Debian ships no ``shacl`` script, and its jars declare no ``Class-Path``: the main class
  ``shacl.shacl`` is run with a classpath built from :data:`JENA_JARS`.
* Jena 4.5.0 as packaged in bookworm dies in ``JenaSystem.init`` with ``ExceptionInInitializerError
  ... XSSimpleTypeDecl.applyFacets1: internal error``: jena-core moved its bundled Xerces classes to
  the package ``xerces.*`` but left their ``.properties`` message bundles under
  ``org/apache/jena/ext/xerces/``. The bundles are copied once to the moved path in a cache
  directory (``$XDG_CACHE_HOME/kgservice/jena-fix/<key>/xerces/...``) that is put first on the
  classpath.

``shacl validate`` exits 0 whether or not the data conforms; its report (Turtle on stdout) is
returned as an rdflib graph, to be read like pySHACL's report (``sh:conforms``, ``sh:result``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from rdflib import BNode, Graph, Literal
from rdflib.namespace import RDF, SH

from kgservice.errors import InputError, ToolMissingError

__all__ = [
    "JAR_DIR",
    "JENA_JARS",
    "JenaMissing",
    "jena_classpath",
    "jena_shacl_validate",
    "report_conforms",
    "report_keys",
    "xerces_fix_dir",
]

JAR_DIR = Path("/usr/share/java")
"""Where Debian installs the jars (``libapache-jena-java`` and its dependencies)."""

JENA_JARS: tuple[str, ...] = (
    # Jena modules needed by `shacl validate` (RIOT parsing, ARQ for SHACL-SPARQL, the command).
    "jena-base.jar",
    "jena-core.jar",
    "jena-iri.jar",
    "jena-arq.jar",
    "jena-shacl.jar",
    "jena-cmds.jar",
    # Logging: the slf4j API routed to nowhere, so that stdout carries only the report.
    "slf4j-api.jar",
    "slf4j-nop.jar",
    "jcl-over-slf4j.jar",
    # Dependencies declared by the Debian poms of jena-base, jena-core and jena-arq.
    "guava.jar",
    "commons-lang3.jar",
    "commons-io.jar",
    "commons-codec.jar",
    "commons-compress.jar",
    "commons-csv.jar",
    "commons-cli.jar",
    "dexx.collection.jar",
    "gson.jar",
    "jackson-core.jar",
    "jackson-databind.jar",
    "jackson-annotations.jar",
    "jsonld-java.jar",
    "titanium-json-ld.jar",
    "jakarta.json-api.jar",
    "httpclient.jar",
    "httpcore.jar",
    "protobuf.jar",
    "thrift.jar",
)
"""The classpath, by jar name in :data:`JAR_DIR` (not everything in that folder)."""

MAIN_CLASS = "shacl.shacl"
INSTALL_HINT = "run scripts/bootstrap, or: apt-get install libapache-jena-java"
# Short-lived JVM: start fast rather than run fast (a fixture validates in well under a second).
JVM_OPTIONS = ("-Dfile.encoding=UTF-8", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss8m")
#: A long run (a benchmark's city): the optimising compiler (at 100,000 people 42 s instead of
#: 97 s), the serial collector (the heap stays near what the data needs: G1 grew it to 5 GB for
#: a 0.5 GB graph, no faster), and three quarters of the memory for the heap instead of the
#: default quarter: Jena holds the whole data graph in memory.
JVM_THROUGHPUT_OPTIONS = (
    "-Dfile.encoding=UTF-8",
    "-XX:+UseSerialGC",
    "-Xss8m",
    "-XX:MaxRAMPercentage=75",
)
_BUNDLE_PREFIX = "org/apache/jena/ext/xerces/"
_MOVED_PREFIX = "xerces/"


class JenaMissing(ToolMissingError):
    """Java or the Jena jars are not installed."""


def _java() -> str:
    """Path of ``java``: from ``$JAVA_HOME`` if set, else from ``PATH``."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("java")
    if found is None:
        raise JenaMissing(f"`java` not found (Jena needs Java 17); {INSTALL_HINT}")
    return found


def jena_classpath(jar_dir: Path = JAR_DIR) -> list[Path]:
    """The jars of :data:`JENA_JARS` in ``jar_dir``; :class:`JenaMissing` if one is missing."""
    jars = [jar_dir / name for name in JENA_JARS]
    missing = [jar.name for jar in jars if not jar.is_file()]
    if missing:
        raise JenaMissing(f"Jena jars missing from {jar_dir}: {', '.join(missing)}; {INSTALL_HINT}")
    return jars


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kgservice" / "jena-fix"


def xerces_fix_dir(core_jar: Path | None = None) -> Path:
    """A directory holding jena-core's Xerces message bundles at the path its classes moved to.

    Keyed by the jar's path, size and modification time, so an upgraded jar gets a fresh copy.
    Two processes racing both extract into private temporary directories; the first rename wins.
    """
    jar = (core_jar or JAR_DIR / "jena-core.jar").resolve()
    if not jar.is_file():
        raise JenaMissing(f"{jar} not found; {INSTALL_HINT}")
    stat = jar.stat()
    key = hashlib.sha256(f"{jar}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()).hexdigest()[:20]
    target = _cache_root() / key
    marker = target / ".complete"
    if marker.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=target.parent))
    try:
        with zipfile.ZipFile(jar) as archive:
            for name in archive.namelist():
                if name.startswith(_BUNDLE_PREFIX) and name.endswith(".properties"):
                    out = staging / (_MOVED_PREFIX + name[len(_BUNDLE_PREFIX) :])
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(archive.read(name))
        (staging / ".complete").write_text(str(jar) + "\n", encoding="utf-8")
        try:
            staging.rename(target)
        except OSError:
            if not marker.is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _single_shapes_file(shapes: list[Path], workdir: Path) -> Path:
    """Jena's ``--shapes`` reads one file: merge several into one N-Triples file."""
    if len(shapes) == 1:
        return shapes[0]
    merged = Graph()
    for path in shapes:
        try:
            merged.parse(path)
        except Exception as exc:  # rdflib raises parser-specific types
            raise InputError(f"{path}: {exc}") from exc
    out = workdir / "shapes.nt"
    merged.serialize(out, format="nt", encoding="utf-8")
    return out


def jena_shacl_validate(
    shapes: list[Path],
    data: Path,
    timeout: float = 600,
    jvm_options: tuple[str, ...] = JVM_OPTIONS,
) -> Graph:
    """Validate ``data`` against ``shapes`` with Jena's ``shacl validate``; return the report.

    ``data`` is one RDF file (merge the ontology into it first if the shapes need it).
    ``jvm_options``: :data:`JVM_OPTIONS` start fast, :data:`JVM_THROUGHPUT_OPTIONS` run fast and
    give the heap most of the memory (for a large file). Raises
    :class:`JenaMissing` if Java or Jena is not installed and :class:`InputError` if a file is
    missing or Jena cannot read it.
    """
    if not shapes:
        raise InputError("no shapes files given")
    for path in [*shapes, data]:
        if not Path(path).is_file():
            raise InputError(f"file not found: {path}")
    java = _java()
    classpath = [xerces_fix_dir(), *jena_classpath()]
    with tempfile.TemporaryDirectory(prefix="kgservice-jena-") as tmp:
        shapes_file = _single_shapes_file([Path(p).resolve() for p in shapes], Path(tmp))
        command = [
            java,
            *jvm_options,
            "-cp",
            os.pathsep.join(str(p) for p in classpath),
            MAIN_CLASS,
            "validate",
            "--shapes",
            str(shapes_file),
            "--data",
            str(Path(data).resolve()),
        ]
        try:
            result = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise InputError(f"Jena SHACL timed out after {timeout:g} s on {data}") from None
    stderr = result.stderr.decode("utf-8", errors="replace").strip()
    if result.returncode != 0:
        if "ClassNotFoundException" in stderr or "NoClassDefFoundError" in stderr:
            raise JenaMissing(f"Jena could not start: {stderr[-2000:]}; {INSTALL_HINT}")
        raise InputError(f"Jena SHACL failed (exit {result.returncode}): {stderr[-2000:]}")
    report = Graph()
    try:
        report.parse(data=result.stdout.decode("utf-8"), format="turtle")
    except Exception as exc:  # rdflib raises parser-specific types
        raise InputError(f"Jena SHACL wrote no readable report: {exc}; stderr: {stderr}") from exc
    if report_conforms(report) is None:
        raise InputError(f"Jena SHACL wrote no validation report; stderr: {stderr[-2000:]}")
    return report


def report_conforms(report: Graph) -> bool | None:
    """``sh:conforms`` of the validation report in ``report`` (None if there is no report)."""
    for node in report.subjects(RDF.type, SH.ValidationReport):
        value = report.value(node, SH.conforms)
        if isinstance(value, Literal):
            return bool(value.toPython())
    return None


def report_keys(report: Graph) -> set[tuple[str, str, str, str]]:
    """Every result of a SHACL report as (focus node, source shape, component, severity).

    Works on the reports of both Jena and pySHACL; blank nodes are written as ``_:`` (their
    labels differ between engines).
    """
    keys = set()
    for result in set(report.objects(None, SH.result)):
        focus, shape, component, severity = (
            _term(report.value(result, p))
            for p in (SH.focusNode, SH.sourceShape, SH.sourceConstraintComponent, SH.resultSeverity)
        )
        keys.add((focus, shape, component, severity))
    return keys


def _term(node: object) -> str:
    return "_:" if isinstance(node, BNode) or node is None else str(node)
