"""The "Protégé parser" check: load an ontology with the OWL API, the parser Protégé uses.

A small Java program (``java/OntologyCheck.java``, shipped as package data) is compiled on first
use against Debian's ``libowlapi-java`` jars and cached under
``$XDG_CACHE_HOME/kgservice/owlapi/<hash>/``. It loads the ontology and its ``owl:imports``
closure (resolved offline through a Protégé ``catalog-v001.xml``), choosing the parser from each
document's file extension (``.ttl`` Turtle, ``.owl``/``.rdf`` RDF/XML, ``.owx`` OWL/XML), and
reports per ontology the triples the OWL API could not turn into axioms, plus every OWL 2 DL
profile violation.

A document that does not load is not an exception: it yields an :class:`OwlApiReport` with
``loaded=False`` and the parser's message in ``error``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from kgservice.errors import InputError, ToolMissingError

__all__ = [
    "JAR_DIR",
    "OWLAPI_JARS",
    "LoadedOntology",
    "OwlApiReport",
    "ProfileViolation",
    "check_with_owlapi",
    "compile_checker",
    "owlapi_classpath",
]

JAR_DIR = Path("/usr/share/java")
"""Where Debian installs the jars (``libowlapi-java`` and its dependencies)."""

OWLAPI_JARS: tuple[str, ...] = (
    # The OWL API: every module (api, impl, parsers, rio, ...) inlined in one jar.
    "owlapi-distribution.jar",
    # Logging: the slf4j API, routed to nowhere (stdout must carry only the JSON report).
    # jcl-over-slf4j precedes httpclient.jar, whose manifest Class-Path pulls in commons-logging.
    "slf4j-api.jar",
    "slf4j-nop.jar",
    "jcl-over-slf4j.jar",
    # Direct dependencies of the OWL API 5.1.20 modules (Debian poms and package Depends).
    "guava.jar",  # includes failureaccess in Debian
    "caffeine.jar",
    "hppcrt.jar",
    "jsr305.jar",
    "atinject-jsr330-api.jar",
    "commons-io.jar",
    "commons-codec.jar",
    "commons-rdf-api.jar",
    "xz.jar",
    "jackson-annotations.jar",
    "jackson-core.jar",
    "jackson-databind.jar",
    # RDF4J Rio, which owlapi-rio wraps; Rio's Turtle parser is the one Protégé uses for .ttl.
    "rdf4j-model.jar",
    "rdf4j-model-api.jar",
    "rdf4j-model-vocabulary.jar",
    "rdf4j-util.jar",
    "rdf4j-rio-api.jar",
    "rdf4j-rio-datatypes.jar",
    "rdf4j-rio-languages.jar",
    "rdf4j-rio-turtle.jar",
    "rdf4j-rio-rdfxml.jar",
    "rdf4j-rio-ntriples.jar",
    "rdf4j-rio-nquads.jar",
    "rdf4j-rio-n3.jar",
    "rdf4j-rio-trig.jar",
    "rdf4j-rio-trix.jar",
    "rdf4j-rio-binary.jar",
    "rdf4j-rio-rdfjson.jar",
    "rdf4j-rio-jsonld.jar",
    "rdf4j-rio-hdt.jar",
    # Dependencies of librdf4j-java (jsonld-java needs the Apache HTTP client).
    "commons-text.jar",
    "jaxb-api.jar",
    "jsonld-java.jar",
    "httpclient.jar",
    "httpcore.jar",
)
"""The classpath, by jar name in :data:`JAR_DIR`. Debian's jars declare no Class-Path."""

CHECKER_CLASS = "OntologyCheck"
INSTALL_HINT = "run scripts/bootstrap, or: apt-get install libowlapi-java openjdk-17-jdk-headless"


@dataclass(frozen=True, slots=True)
class LoadedOntology:
    """One ontology of the imports closure, as the OWL API loaded it."""

    iri: str | None
    version_iri: str | None
    document: str
    format: str | None
    axioms: int
    logical_axioms: int
    unparsed_triples: int
    unparsed_examples: tuple[str, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoadedOntology:
        return cls(
            iri=data["iri"],
            version_iri=data["version_iri"],
            document=data["document"],
            format=data["format"],
            axioms=int(data["axioms"]),
            logical_axioms=int(data["logical_axioms"]),
            unparsed_triples=int(data["unparsed_triples"]),
            unparsed_examples=tuple(data["unparsed_examples"]),
        )


@dataclass(frozen=True, slots=True)
class ProfileViolation:
    """One OWL 2 DL profile violation (``type`` is the OWL API class, e.g. UseOfUndeclaredClass)."""

    type: str
    ontology: str | None
    axiom: str | None
    message: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProfileViolation:
        return cls(
            type=data["type"],
            ontology=data["ontology"],
            axiom=data["axiom"],
            message=data["message"],
        )


@dataclass(frozen=True, slots=True)
class OwlApiReport:
    """What the OWL API made of an ontology and its imports closure."""

    source: Path
    loaded: bool
    error: str | None
    ontologies: tuple[LoadedOntology, ...]
    profile: str
    violations: tuple[ProfileViolation, ...]

    @property
    def unparsed_triples(self) -> int:
        """Unparsed triples over the whole imports closure."""
        return sum(o.unparsed_triples for o in self.ontologies)

    @property
    def clean(self) -> bool:
        """Loaded, with no unparsed triples and no profile violation."""
        return self.loaded and self.unparsed_triples == 0 and not self.violations

    @classmethod
    def from_json(cls, source: Path, data: dict[str, Any]) -> OwlApiReport:
        return cls(
            source=source,
            loaded=data["error"] is None,
            error=data["error"],
            ontologies=tuple(LoadedOntology.from_json(o) for o in data["ontologies"]),
            profile=data["profile"],
            violations=tuple(ProfileViolation.from_json(v) for v in data["violations"]),
        )

    @classmethod
    def failure(cls, source: Path, error: str) -> OwlApiReport:
        return cls(source, False, error, (), "OWL 2 DL", ())


# --- tools and classpath ------------------------------------------------------------------


def _java_tool(name: str) -> str:
    """Path of ``java``/``javac``: from ``$JAVA_HOME`` if set, else from ``PATH``."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / name
        if os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise ToolMissingError(f"`{name}` not found (needs a JDK 17); {INSTALL_HINT}")
    return found


def owlapi_classpath(jar_dir: Path = JAR_DIR) -> str:
    """The OWL API classpath built from :data:`OWLAPI_JARS`; raises if any jar is missing."""
    jars = [jar_dir / name for name in OWLAPI_JARS]
    missing = [jar.name for jar in jars if not jar.is_file()]
    if missing:
        raise ToolMissingError(
            f"OWL API jars missing from {jar_dir}: {', '.join(missing)}; {INSTALL_HINT}"
        )
    return os.pathsep.join(str(jar) for jar in jars)


# --- compiling the checker ----------------------------------------------------------------


def _checker_source() -> bytes:
    return (files("kgservice.ontology") / "java" / f"{CHECKER_CLASS}.java").read_bytes()


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kgservice" / "owlapi"


def _cache_key(source: bytes, classpath: str, javac: str) -> str:
    digest = hashlib.sha256(source)
    digest.update(b"\0" + classpath.encode() + b"\0" + javac.encode())
    return digest.hexdigest()[:20]


def _is_compiled(directory: Path) -> bool:
    return (directory / f"{CHECKER_CLASS}.class").is_file()


def _javac(javac: str, classpath: str, source_file: Path, out_dir: Path) -> None:
    command = [javac, "-encoding", "UTF-8", "-nowarn", "-cp", classpath, "-d", str(out_dir)]
    result = subprocess.run(
        [*command, str(source_file)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise ToolMissingError(
            f"could not compile {source_file.name} against the OWL API jars "
            f"(javac exit {result.returncode}):\n{result.stderr.strip()}"
        )


def compile_checker() -> Path:
    """Compile ``OntologyCheck.java`` once; return the directory holding its classes.

    The directory is keyed by a hash of the source, the classpath and the javac path, so a change
    to any of them recompiles. Two processes racing both compile into private temporary
    directories; the first rename wins and the other one's work is discarded.
    """
    javac = _java_tool("javac")
    classpath = owlapi_classpath()
    source = _checker_source()
    target = _cache_root() / _cache_key(source, classpath, javac)
    if _is_compiled(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        source_file = staging / f"{CHECKER_CLASS}.java"
        source_file.write_bytes(source)
        _javac(javac, classpath, source_file, staging)
        try:
            staging.rename(target)
        except OSError:
            if not _is_compiled(target):  # lost the race to nobody: a real error
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


# --- running the check --------------------------------------------------------------------


def _existing_file(path: Path, what: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} not found: {path}")
    return path.resolve()


def _checker_command(
    ontology: Path, catalog: Path | None, allow_network: bool, classes: Path
) -> list[str]:
    command = [
        _java_tool("java"),
        "-Dfile.encoding=UTF-8",
        "-cp",
        owlapi_classpath() + os.pathsep + str(classes),
        CHECKER_CLASS,
    ]
    if catalog is not None:
        command += ["--catalog", str(catalog)]
    if allow_network:
        command.append("--allow-network")
    return [*command, str(ontology)]


def _parse_output(source: Path, result: subprocess.CompletedProcess[bytes]) -> OwlApiReport:
    stdout = result.stdout.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError:
        stderr = result.stderr.decode("utf-8", errors="replace").strip()
        raise ToolMissingError(
            f"the OWL API checker failed (exit {result.returncode}) without a report; "
            f"stderr: {stderr[-2000:] or '(empty)'}"
        ) from None
    return OwlApiReport.from_json(source, data)


def check_with_owlapi(
    ontology: Path,
    catalog: Path | None = None,
    timeout: float = 300,
    *,
    allow_network: bool = False,
) -> OwlApiReport:
    """Load ``ontology`` and its imports with the OWL API and check the OWL 2 DL profile.

    ``catalog`` is a Protégé ``catalog-v001.xml`` that maps import IRIs to local files; imports
    it does not map fail unless ``allow_network`` is set. Raises :class:`InputError` if a file
    does not exist and :class:`ToolMissingError` if Java or the OWL API is not installed; a
    document that does not load gives a report with ``loaded=False`` (as does a timeout).
    """
    source = _existing_file(ontology, "ontology file")
    catalog_file = _existing_file(catalog, "catalog file") if catalog is not None else None
    command = _checker_command(source, catalog_file, allow_network, compile_checker())
    try:
        result = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return OwlApiReport.failure(source, f"the OWL API check timed out after {timeout:g} s")
    return _parse_output(source, result)
