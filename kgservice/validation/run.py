"""``kgservice validate``: load the data with the model, run the shapes, collect the findings.

Inputs are RDF files (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD), city sources (CSV,
mapped on the fly by :mod:`kgservice.mapping`), or a store written by ``kgservice load``. They are
loaded, together with the ontology, into an in-memory Oxigraph store; the union of its graphs is
the data graph.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from kgservice.errors import InputError
from kgservice.iri import graph_iri
from kgservice.ontology.files import load_model, ontology_dir
from kgservice.privacy import unmasked_quads
from kgservice.store.embedded import EmbeddedStore, open_embedded
from kgservice.validation.compile import SubclassIndex, compile_shapes
from kgservice.validation.engine import locate, pyshacl_findings, run_rules
from kgservice.validation.findings import Finding, Severity

RDF_EXTENSIONS = {".ttl", ".nt", ".nq", ".trig", ".rdf", ".owl", ".jsonld", ".n3"}
ENGINES = ("fast", "pyshacl")


@dataclass
class ValidationResult:
    """The findings of one validation run and what it ran on."""

    findings: list[Finding]
    engine: str
    inputs: list[str]
    seconds: float
    triples: int = 0
    rules: list[tuple[str, str]] = field(default_factory=list)

    def failing(self, fail_on: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity.rank >= fail_on.rank]

    def conforms(self, fail_on: Severity = Severity.INFO) -> bool:
        return not self.failing(fail_on)


def default_shapes_dir() -> Path:
    return ontology_dir().parent / "shapes"


def load_shapes(folder: Path) -> Graph:
    """Parse every ``*.ttl`` of the shapes folder into one graph."""
    files = sorted(folder.glob("*.ttl"))
    if not files:
        raise InputError(f"{folder}: no shapes (*.ttl) here")
    graph = Graph()
    for path in files:
        try:
            graph.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises parser-specific types
            raise InputError(f"{path}: {exc}") from exc
    return graph


def validate(
    inputs: list[Path],
    shapes_dir: Path | None = None,
    engine: str = "fast",
    store_path: Path | None = None,
) -> ValidationResult:
    """Validate ``inputs`` (and/or the store at ``store_path``) against the shapes."""
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if not inputs and store_path is None:
        raise InputError("nothing to validate: give data files or --store")
    started = time.perf_counter()
    shapes = load_shapes(shapes_dir or default_shapes_dir())
    ontology = load_model()
    store = build_store(inputs, ontology, store_path)
    if engine == "fast":
        rules = compile_shapes(shapes, SubclassIndex.from_store(store))
        findings = run_rules(store, rules)
        rule_ids = sorted({(str(r.shape), str(r.component)) for r in rules})
    else:
        findings = pyshacl_findings(store_as_graph(store), shapes)  # the store holds the ontology
        rule_ids = []
    findings = locate(store, findings)
    return ValidationResult(
        findings=findings,
        engine=engine,
        inputs=[str(p) for p in inputs] + ([str(store_path)] if store_path else []),
        seconds=time.perf_counter() - started,
        triples=store.quad_count(),
        rules=rule_ids,
    )


def build_store(inputs: list[Path], ontology: Graph, store_path: Path | None) -> EmbeddedStore:
    """An in-memory store holding the ontology, the inputs and, if given, a stored dataset.

    RDF files are loaded as they are (a triples file into a graph named by its URI); anything else
    is a city source, mapped first (every source is read and checked before anything is loaded).
    """
    store = open_embedded(None)
    add_graph(store, graph_iri("ontology"), ontology)
    if store_path is not None:
        copy_store(store_path, store)
    rdf_files = [p for p in inputs if p.suffix.lower() in RDF_EXTENSIONS]
    sources = [p for p in inputs if p.suffix.lower() not in RDF_EXTENSIONS]
    for path in rdf_files:
        load_rdf_file(store, path)
    if sources:
        from kgservice.mapping.run import map_sources

        for mapped in map_sources(sources):
            store.oxigraph.extend(mapped.quads())
            store.oxigraph.extend(mapped.catalog_quads())
    return store


def add_graph(store: EmbeddedStore, name: object, graph: Graph) -> None:
    data = graph.serialize(format="nt", encoding="utf-8")
    store.oxigraph.load(data, ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(name)))


def copy_store(path: Path, into: EmbeddedStore) -> None:
    if not path.is_dir():
        raise InputError(f"{path}: no store here")
    source = ox.Store.read_only(str(path))
    into.oxigraph.extend(unmasked_quads(source))  # raw personal values, not their masked copies


def load_rdf_file(store: EmbeddedStore, path: Path) -> None:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    rdf_format = ox.RdfFormat.from_extension(path.suffix.lstrip(".").lower().replace("owl", "rdf"))
    if rdf_format is None:
        raise InputError(f"{path}: unknown RDF format")
    target = None if rdf_format.supports_datasets else ox.NamedNode(path.resolve().as_uri())
    try:
        store.oxigraph.load(
            path=str(path), format=rdf_format, base_iri=path.resolve().as_uri(), to_graph=target
        )
    except SyntaxError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.offset}: {exc.msg}") from exc
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: {exc}") from exc


def store_as_graph(store: EmbeddedStore) -> Graph:
    """The union of the store's graphs as an rdflib graph (for the reference engine)."""
    union = Graph()
    graphs: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [ox.DefaultGraph()]
    graphs += list(store.oxigraph.named_graphs())
    for name in graphs:
        data = store.oxigraph.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=name)
        if data:
            union.parse(data=data, format="nt")
    return union
