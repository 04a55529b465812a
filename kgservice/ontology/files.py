"""Where the ontology lives, and how its modules are read: the Protégé catalog and owl:imports.

Imports resolve only through ``catalog-v001.xml``, never over the network, so every check sees
exactly the files in the repository.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urljoin, urlparse
from urllib.request import url2pathname

from rdflib import Graph
from rdflib.namespace import OWL, RDF

from kgservice.errors import InputError

CATALOG_NAME = "catalog-v001.xml"
TOP_FILE = "sckm.ttl"
_CATALOG_NS = "{urn:oasis:names:tc:entity:xmlns:xml:catalog}"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_FORMATS = {".ttl": "turtle", ".owl": "xml", ".rdf": "xml", ".nt": "nt", ".jsonld": "json-ld"}


def ontology_dir() -> Path:
    """Return the ontology folder: ``$KGSERVICE_ONTOLOGY_DIR`` or ``ontology/`` of this checkout."""
    configured = os.environ.get("KGSERVICE_ONTOLOGY_DIR")
    folder = Path(configured) if configured else Path(__file__).resolve().parents[2] / "ontology"
    if not (folder / CATALOG_NAME).is_file():
        raise InputError(f"{folder}: no {CATALOG_NAME} here; set KGSERVICE_ONTOLOGY_DIR")
    return folder


def catalog_entries(catalog: Path) -> list[tuple[str, str]]:
    """Return the ``(name, uri)`` pairs of the catalog's ``<uri>`` entries, as written."""
    try:
        root = ET.parse(catalog).getroot()
    except (ET.ParseError, OSError) as exc:
        raise InputError(f"{catalog}: cannot read the catalog: {exc}") from exc
    return [(e.get("name", ""), e.get("uri", "")) for e in root.iter(f"{_CATALOG_NS}uri")]


def rdf_format(path: Path) -> str:
    """Return the rdflib parser name for ``path``, chosen from its extension."""
    try:
        return _FORMATS[path.suffix.lower()]
    except KeyError:
        raise InputError(f"{path}: unknown RDF file extension {path.suffix!r}") from None


def parse_file(path: Path) -> Graph:
    """Parse one RDF file; a syntax error becomes an :class:`InputError` naming the file."""
    graph = Graph()
    try:
        graph.parse(path, format=rdf_format(path))
    except InputError:
        raise
    except Exception as exc:  # rdflib raises many parser-specific exception types
        raise InputError(f"{path}: {exc}") from exc
    return graph


def module_files(catalog: Path) -> dict[str, Path]:
    """Return the distinct module files named by the catalog, keyed by ontology IRI."""
    seen: dict[Path, str] = {}
    for iri, path in read_catalog(catalog).items():
        seen.setdefault(path, iri)
    return {iri: path for path, iri in seen.items()}


def read_catalog(path: Path) -> dict[str, Path]:
    """Map ontology IRIs to local files from the ``<uri name=… uri=…/>`` entries of a catalog.

    Relative paths are resolved against the catalog's directory (and any ``xml:base``).
    """
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise InputError(f"cannot read catalog {path}: {exc}") from exc
    mapping: dict[str, Path] = {}
    _collect_catalog_entries(root, path.resolve().as_uri(), path, mapping)
    return mapping


def _collect_catalog_entries(
    element: ET.Element, base: str, catalog: Path, mapping: dict[str, Path]
) -> None:
    base = urljoin(base, element.get(_XML_BASE) or "")
    if element.tag.rpartition("}")[2] == "uri" and element.get("name") and element.get("uri"):
        target = urlparse(urljoin(base, element.get("uri", "")))
        if target.scheme != "file":
            raise InputError(
                f"catalog {catalog} maps <{element.get('name')}> to {target.geturl()}, "
                "which is not a local file; ontologies are never fetched from the network"
            )
        mapping[element.get("name", "")] = Path(url2pathname(target.path))
    for child in element:
        _collect_catalog_entries(child, base, catalog, mapping)


def load_closure(top: Path, catalog: Path | None = None) -> Graph:
    """Parse ``top`` and, recursively, every ontology it imports into one graph.

    Imports are resolved through ``catalog`` only; an import the catalog does not map
    (or any import when there is no catalog) is an :class:`InputError` naming its IRI.
    """
    mapping = read_catalog(catalog) if catalog is not None else {}
    merged = Graph()
    known: set[str] = set()  # ontology IRIs loaded (or on their way)
    loaded = {top.resolve()}
    pending = _merge_file(top.resolve(), merged, known)  # (imported IRI, importing file)
    while pending:
        iri, source = pending.pop(0)
        if iri in known:
            continue
        known.add(iri)
        path = mapping.get(iri)
        if path is None:
            where = f"catalog {catalog}" if catalog is not None else "a catalog (none given)"
            raise InputError(
                f"{source}: owl:imports <{iri}> is not mapped by {where}; "
                "ontologies are never fetched from the network"
            )
        if not path.is_file():
            raise InputError(f"{source}: owl:imports <{iri}> maps to {path}, which does not exist")
        if path.resolve() not in loaded:
            loaded.add(path.resolve())
            pending += _merge_file(path.resolve(), merged, known)
    return merged


def _merge_file(path: Path, merged: Graph, known: set[str]) -> list[tuple[str, Path]]:
    """Add the triples of ``path`` to ``merged``; return its imports as (IRI, path) pairs."""
    graph = parse_file(path)
    merged.addN((s, p, o, merged) for s, p, o in graph)
    known.update(str(s) for s in graph.subjects(RDF.type, OWL.Ontology))
    known.update(str(o) for o in graph.objects(None, OWL.versionIRI))
    return [(str(o), path) for o in graph.objects(None, OWL.imports)]


def load_model() -> Graph:
    """The whole model as the service and validation use it: the top module's import closure."""
    folder = ontology_dir()
    return load_closure(folder / TOP_FILE, folder / CATALOG_NAME)
