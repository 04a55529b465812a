"""The DCAT/PROV description of a mapped source, for the ``graph:catalog`` graph.

Per docs/data-model.md §3: the dataset ``id:dataset/<source id>`` (a ``dcat:Dataset`` and
``prov:Entity``) with its titles, publisher, source files, time of mapping, record and triple
counts, one ``dcat:Distribution`` per file (media type, byte size) and its named graph; and the
publishing department with its Chinese name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV

from kgservice.iri import GRAPH, source_file_iri
from kgservice.mapping.sources import SourceKind
from kgservice.namespaces import CITY, ID, PREFIXES, SCCM

VOID = Namespace("http://rdfs.org/ns/void#")
CATALOG_GRAPH = GRAPH["catalog"]
CSV_MEDIA_TYPE = "text/csv"


@dataclass(frozen=True)
class FileFacts:
    """What the catalog says about one source file."""

    name: str
    byte_size: int
    media_type: str = CSV_MEDIA_TYPE


def now_utc() -> datetime:
    """The current time in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def describe_source(
    kind: SourceKind,
    files: Sequence[FileFacts],
    record_count: int,
    triple_count: int,
    generated_at: datetime | None = None,
) -> Graph:
    """The catalog description of one mapped source (its dataset and its publisher)."""
    graph = catalog_graph()
    dataset = kind.dataset
    names = ", ".join(f.name for f in files)
    graph.add((dataset, RDF.type, DCAT.Dataset))
    graph.add((dataset, RDF.type, PROV.Entity))
    graph.add((dataset, DCTERMS.title, Literal(f"{kind.title_zh} ({names})", lang="zh")))
    graph.add((dataset, DCTERMS.title, Literal(f"{kind.title_en} ({names})", lang="en")))
    graph.add((dataset, DCTERMS.publisher, kind.publisher.iri))
    when = (generated_at or now_utc()).astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"
    graph.add(
        (dataset, PROV.generatedAtTime, Literal(when, datatype=XSD.dateTime, normalize=False))
    )
    graph.add((dataset, CITY.recordCount, Literal(record_count, datatype=XSD.integer)))
    graph.add((dataset, VOID.triples, Literal(triple_count, datatype=XSD.integer)))
    graph.add((dataset, CITY.namedGraph, kind.graph))
    for index, facts in enumerate(files, start=1):
        _add_file(graph, kind, dataset, facts, BNode(f"{kind.id}-distribution-{index}"))
    _add_publisher(graph, kind)
    return graph


def catalog_graph() -> Graph:
    """An empty graph with the project's prefixes and those of the catalog bound."""
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    graph.bind("id", ID)
    graph.bind("graph", GRAPH)
    graph.bind("void", VOID)
    return graph


def _add_file(
    graph: Graph, kind: SourceKind, dataset: URIRef, facts: FileFacts, distribution: BNode
) -> None:
    """One source file: ``dcterms:source``, ``prov:wasDerivedFrom`` and its distribution.

    The distribution is a blank node with a fixed label, so the description is deterministic.
    """
    source_file = source_file_iri(kind.id, facts.name)
    graph.add((dataset, DCTERMS.source, source_file))
    graph.add((dataset, PROV.wasDerivedFrom, source_file))
    graph.add((dataset, DCAT.distribution, distribution))
    graph.add((distribution, RDF.type, DCAT.Distribution))
    graph.add((distribution, DCTERMS.title, Literal(facts.name)))
    graph.add((distribution, DCAT.mediaType, Literal(facts.media_type)))
    graph.add((distribution, DCAT.byteSize, Literal(facts.byte_size, datatype=XSD.integer)))


def _add_publisher(graph: Graph, kind: SourceKind) -> None:
    """The publisher: a government department with its legal name, or another organization."""
    publisher = kind.publisher
    if publisher.government:
        graph.add((publisher.iri, RDF.type, CITY.GovernmentDepartment))
        graph.add((publisher.iri, CITY.legalName, Literal(publisher.name_zh)))
    else:
        graph.add((publisher.iri, RDF.type, SCCM.Organization))
    graph.add((publisher.iri, RDFS.label, Literal(publisher.name_zh, lang="zh")))
    graph.add((publisher.iri, RDFS.label, Literal(publisher.name_en, lang="en")))
