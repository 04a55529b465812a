"""``kgservice load``: map sources and write them into the store, one named graph each.

Every source is read, checked and mapped before anything is written; then each source replaces its
named graph, its personal graph and its catalog entry in one transaction (a source new to the
store: one atomic bulk ingestion, :func:`write_sources`; a source of more than
:data:`~kgservice.store.embedded.BULK_BATCH` quads, such as the population of a million people,
one ingestion per batch with its catalog entry last, see :func:`_insert_new`, after the graphs
it replaces were dropped a batch at a time, see :func:`_withdraw`). A broken file changes
nothing.

Personal data (:mod:`kgservice.privacy`, docs/data-model.md §6): the source's graph
``graph:<source id>`` gets every non-personal triple and a masked copy of each personal one; the
raw personal triples go to ``graph:<source id>/personal``, and the catalog entry names that graph
(``city:personalGraph``). A source without personal data has no personal graph: loading it drops
any personal graph an earlier load left.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT

from kgservice.errors import InputError
from kgservice.iri import graph_iri
from kgservice.privacy import (
    PERSONAL_GRAPH_PROPERTY,
    personal_graph,
    personal_properties,
    split_personal,
)
from kgservice.store.base import Store
from kgservice.store.embedded import BULK_BATCH, EmbeddedStore

if TYPE_CHECKING:
    from kgservice.mapping.run import MappedSource

CATALOG_GRAPH = str(graph_iri("catalog"))
ONTOLOGY_GRAPH = str(graph_iri("ontology"))


@dataclass(frozen=True)
class LoadedSource:
    """What one source put in the store."""

    source_id: str
    graph: str
    records: int
    triples: int  # in ``graph`` (personal values masked)
    seconds: float
    personal_graph: str | None = None  # the graph of the raw personal values, if any
    personal_triples: int = 0


def catalog_update(dataset: URIRef, description: Graph) -> str:
    """A SPARQL update that replaces ``dataset``'s entry in the catalog graph by ``description``."""
    entry = description.serialize(format="nt", encoding="utf-8").decode("utf-8")
    return catalog_removal(dataset) + f" ;\nINSERT DATA {{ GRAPH <{CATALOG_GRAPH}> {{\n{entry}}} }}"


def catalog_removal(dataset: URIRef) -> str:
    """A SPARQL update that removes ``dataset``'s entry (and its distributions) from the catalog."""
    return (
        f"DELETE {{ GRAPH <{CATALOG_GRAPH}> {{ ?part ?p ?o }} }} WHERE {{ GRAPH <{CATALOG_GRAPH}> "
        f"{{ <{dataset}> <{DCAT.distribution}> ?part . ?part ?p ?o }} }} ;\n"
        f"DELETE WHERE {{ GRAPH <{CATALOG_GRAPH}> {{ <{dataset}> ?p ?o }} }}"
    )


def personal_update(graph: str, triples: list[ox.Triple]) -> str:
    """A SPARQL update that makes the personal graph ``graph`` hold exactly ``triples`` (none:
    the graph is dropped)."""
    drop = f"DROP SILENT GRAPH <{graph}>"
    if not triples:
        return drop
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    return f"{drop} ;\nINSERT DATA {{ GRAPH <{graph}> {{\n{data}}} }}"


def ensure_ontology(store: EmbeddedStore) -> bool:
    """Load the ontology into ``graph:ontology`` if the store has none; True if it loaded it."""
    if ox.NamedNode(ONTOLOGY_GRAPH) in store.graph_names():
        return False
    from kgservice.ontology.files import load_model

    data = load_model().serialize(format="nt", encoding="utf-8")
    triples = [q.triple for q in ox.parse(data, ox.RdfFormat.N_TRIPLES)]
    store.replace_graph(ox.NamedNode(ONTOLOGY_GRAPH), triples)
    return True


def load_sources(store: EmbeddedStore, paths: list[Path | str]) -> list[LoadedSource]:
    """Map every source in ``paths``, then replace each one's graph, personal graph and catalog
    entry (one transaction per source, short of a million quads: :func:`write_sources`)."""
    from kgservice.mapping.run import map_sources

    if not paths:
        raise InputError("nothing to load: give source files or folders")
    return write_sources(store, map_sources(paths))


def write_sources(store: EmbeddedStore, mapped: list[MappedSource]) -> list[LoadedSource]:
    """Replace each mapped source's graph, personal graph and catalog entry (one transaction
    per source).

    A source the store does not hold yet (neither graph exists, the catalog has no entry for its
    dataset) replaces nothing: its three parts are added as one N-Quads document in one atomic
    step (:meth:`~kgservice.store.embedded.EmbeddedStore.insert_nquads`, Oxigraph's bulk loader
    on disk). Otherwise one SPARQL update drops and inserts them, unless that is more than one
    transaction can hold (:func:`_too_large_for_one_step`: a million people's population): then
    the source is withdrawn (catalog entry first, graphs a batch at a time) and added as new.
    """
    properties = personal_properties()
    loaded = []
    for source in mapped:
        started = time.perf_counter()
        dataset = next(source.catalog.subjects(DCAT.distribution, None), None)
        if not isinstance(dataset, URIRef):
            raise InputError(f"{source.source_id}: the mapping gave no dataset description")
        graph = ox.NamedNode(str(source.graph))
        private_graph = personal_graph(str(source.graph))
        private = ox.NamedNode(private_graph)
        if _is_new(store, graph, private, dataset):
            public_count, personal_count = _insert_new(
                store, source, properties, graph, private_graph, dataset
            )
        elif _too_large_for_one_step(store, source, graph, private):
            _withdraw(store, dataset, graph, private)
            public_count, personal_count = _insert_new(
                store, source, properties, graph, private_graph, dataset
            )
        else:
            split = split_statements(source.ntriples, properties)
            description = _description(source.catalog, dataset, private_graph, split.personal)
            also = (
                personal_update(private_graph, split.personal_triples)
                + " ;\n"
                + catalog_update(dataset, description)
            )
            # One update, one transaction: the public graph, the personal graph, the catalog
            # entry.
            store.replace_graph(graph, _parse_lines(split.public) + split.masked, also)
            public_count = len(split.public) + len(split.masked)
            personal_count = len(split.personal)
            del split
        seconds = time.perf_counter() - started
        loaded.append(
            LoadedSource(
                source.source_id,
                str(source.graph),
                source.record_count,
                public_count,
                seconds,
                private_graph if personal_count else None,
                personal_count,
            )
        )
    return loaded


def _description(catalog: Graph, dataset: URIRef, private_graph: str, personal: object) -> Graph:
    """The catalog entry, naming the personal graph if the source has personal data."""
    if not personal:
        return catalog
    description = Graph() + catalog
    description.add((dataset, URIRef(PERSONAL_GRAPH_PROPERTY), URIRef(private_graph)))
    return description


#: Statements split and written as N-Quads at once when a new source is added: each batch's
#: quads (with the masked copies) stay well under :data:`BULK_BATCH`.
SPLIT_BATCH = 400_000


@dataclass
class _Batch:
    """One batch of a new source's N-Quads, in the spool file."""

    offset: int
    size: int
    quads: int


def _insert_new(
    store: EmbeddedStore,
    source: MappedSource,
    properties: Iterable[str],
    graph: ox.NamedNode,
    private_graph: str,
    dataset: URIRef,
) -> tuple[int, int]:
    """Add a source the store does not hold (or no longer: :func:`_withdraw`); (public
    triples, personal triples).

    The statements are split :data:`SPLIT_BATCH` at a time (cut between subjects, so each
    subject's masked copies are made once) into N-Quads spooled to a temporary file, so the
    source is never in memory whole. Then, if the whole document is under :data:`BULK_BATCH`
    quads, it is added in one atomic step (:meth:`EmbeddedStore.insert_nquads`). A bigger one
    (a city of a million people) cannot be one bulk ingestion, and one transaction of ten million
    quads takes more than ten gigabytes; it is added one batch at a time, each batch one atomic
    ingestion, the catalogue entry last: readers see its graphs grow during the load, and a load
    killed half-way leaves a graph without a catalogue entry, which the next load replaces
    (:func:`_is_new` is false then). A source whose statements hold blank nodes is added in one
    step whatever its size (a label must mean one node in all of them).
    """
    public_count = personal_count = 0
    batches: list[_Batch] = []
    blank = False
    with tempfile.TemporaryFile() as spool:
        for lines in _subject_batches(source.ntriples, SPLIT_BATCH):
            split = split_statements(lines, properties)
            blank = blank or any("_:" in line for line in lines)  # or in a literal: harmless
            document, quads = _data_nquads(split, graph, private_graph)
            batches.append(_Batch(spool.tell(), len(document), quads))
            spool.write(document)
            public_count += len(split.public) + len(split.masked)
            personal_count += len(split.personal)
            del split, document, lines
        description = _description(source.catalog, dataset, private_graph, personal_count)
        catalog, catalog_quads = _catalog_nquads(description)
        total = sum(batch.quads for batch in batches) + catalog_quads
        if total < BULK_BATCH or blank:
            spool.seek(0)
            store.insert_nquads(spool.read() + catalog, total)
            return public_count, personal_count
        for batch in batches:
            spool.seek(batch.offset)
            store.insert_nquads(spool.read(batch.size), batch.quads)
        store.insert_nquads(catalog, catalog_quads)  # the entry last: the source is complete
    return public_count, personal_count


def _subject_batches(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    """Lists of about ``size`` statements, cut only where the subject changes."""
    batch: list[str] = []
    last = None
    for line in lines:
        subject = line.split(" ", 1)[0]
        if len(batch) >= size and subject != last:
            yield batch
            batch = []
        batch.append(line)
        last = subject
    if batch:
        yield batch


@dataclass(frozen=True)
class SplitStatements:
    """A source's N-Triples statements split as :func:`~kgservice.privacy.split_personal`
    splits its triples."""

    public: list[str]  # the statements of no personal property ("<s> <p> <o> .")
    personal: list[str]  # the statements of a personal property, raw
    personal_triples: list[ox.Triple]  # the same, parsed
    masked: list[ox.Triple]  # their masked copies, for the public graph


_IRI = r'<[^\x00-\x20<>"{}|^`\\]*>'
_BLANK = r"_:[^\s<>\"\\]+"
_LITERAL = rf'"(?:[^"\\\r\n]|\\.)*"(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^{_IRI})?'
#: One N-Triples statement written plainly, its predicate captured: ``<s> <p> <o> .``
_PLAIN = re.compile(rf"(?:{_IRI}|{_BLANK}) ({_IRI}) (?:{_IRI}|{_BLANK}|{_LITERAL}) \.")


def split_statements(lines: Iterable[str], properties: Iterable[str]) -> SplitStatements:
    """Split N-Triples statements into public and personal ones, parsing only the personal.

    The predicate of a line that is one statement written plainly (``<s> <p> <o> .``, single
    spaces, no escape in an IRI) is read from its text; any other line (an escaped IRI, other
    separators, two statements on a line) is parsed, and its statements written again plainly,
    one a line. The masked copies come from :func:`~kgservice.privacy.split_personal`, so they
    are the ones a load always made.
    """
    tags = {f"<{iri}>" for iri in properties}
    public: list[str] = []
    personal: list[str] = []
    for line in lines:
        plain = _PLAIN.fullmatch(line)
        if plain is not None:
            (personal if plain.group(1) in tags else public).append(line)
            continue
        for triple in _parse_lines([line]):
            text = ox.serialize([triple], format=ox.RdfFormat.N_TRIPLES).decode("utf-8").strip()
            (personal if f"<{triple.predicate.value}>" in tags else public).append(text)
    masked, personal_triples = split_personal(_parse_lines(personal), properties)
    return SplitStatements(public, personal, personal_triples, masked)


def _parse_lines(lines: list[str]) -> list[ox.Triple]:
    if not lines:
        return []
    document = "\n".join(lines).encode("utf-8")
    return [quad.triple for quad in ox.parse(document, ox.RdfFormat.N_TRIPLES)]


def _too_large_for_one_step(
    store: EmbeddedStore, source: MappedSource, graph: ox.NamedNode, private: ox.NamedNode
) -> bool:
    """Whether replacing a source the store holds takes more than one transaction can: the
    new statements, or the quads of the graphs they replace, number :data:`BULK_BATCH` or more
    (one update of the ten million quads of a million people's population took more than 24
    GB). Only on the embedded store."""
    if not isinstance(store, EmbeddedStore):
        return False
    if len(source.ntriples) >= BULK_BATCH:
        return True
    held = 0
    for named in (graph, private):
        held += store.quads_in_graph(named, limit=BULK_BATCH - held)
    return held >= BULK_BATCH


def _withdraw(
    store: EmbeddedStore, dataset: URIRef, graph: ox.NamedNode, private: ox.NamedNode
) -> None:
    """Take a source out of the store before it is added again batch by batch: its catalog
    entry first (from then on the source reads as incomplete, and a load killed before its end
    is repeated by the next one), then its graphs, a batch of quads at a time."""
    store.update(catalog_removal(dataset))
    for named in (graph, private):
        store.drop_graph_in_batches(named, SPLIT_BATCH)


def _is_new(
    store: EmbeddedStore, graph: ox.NamedNode, private: ox.NamedNode, dataset: URIRef
) -> bool:
    """Whether loading the source replaces nothing: neither of its graphs exists and the
    catalog has no statement about its dataset. A remote store (the demo city loaded at the
    first start of a service over one) always takes the one-update path."""
    if not isinstance(store, EmbeddedStore):
        return False
    if store.has_graph(graph) or store.has_graph(private):
        return False
    catalog = ox.NamedNode(CATALOG_GRAPH)
    entry = store.oxigraph.quads_for_pattern(ox.NamedNode(str(dataset)), None, None, catalog)
    return next(iter(entry), None) is None


def _data_nquads(
    split: SplitStatements, graph: ox.NamedNode, private_graph: str
) -> tuple[bytes, int]:
    """N-Quads of a source's public and personal statements, and their number."""
    masked = ox.serialize(split.masked, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    in_graph = f" <{graph.value}> ."
    in_private = f" <{private_graph}> ."
    # Every statement ends with " .": "<s> <p> <o> ." becomes "<s> <p> <o> <g> ."
    lines = [line[:-2] + in_graph for line in split.public]
    lines += [line[:-2] + in_graph for line in masked.splitlines()]
    lines += [line[:-2] + in_private for line in split.personal]
    if not lines:
        return b"", 0
    return "\n".join(lines).encode("utf-8") + b"\n", len(lines)


def _catalog_nquads(description: Graph) -> tuple[bytes, int]:
    """N-Quads of a catalog entry in the catalog graph, and their number."""
    entry = ox.parse(description.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)
    catalog = ox.NamedNode(CATALOG_GRAPH)
    quads = [ox.Quad(q.subject, q.predicate, q.object, catalog) for q in entry]
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS), len(quads)


def refresh_derived(store: Store, reasoning: str) -> list[str]:
    """After a load: apply ``KGSERVICE_REASONING`` to ``graph:inferred``, then refresh
    ``graph:quality`` (embedded store only: validation reads the store in process). Neither
    reads the other, so the order only decides which is stale for less long. One line each."""
    from kgservice.quality import refresh_quality
    from kgservice.reasoning import apply_mode, describe

    lines = [describe(apply_mode(store, reasoning))]
    if isinstance(store, EmbeddedStore):
        lines.append(f"quality report: {refresh_quality(store):,} findings")
    return lines
