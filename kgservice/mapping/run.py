"""Map source files to RDF: read and check them, derive columns, run the YARRRML mappings.

The mapping language is RML written as YARRRML (``mappings/*.yarrrml.yml``), executed by
Morph-KGC. Morph-KGC does not read the files: each file is read and checked here first
(:mod:`kgservice.mapping.readers`), then handed to Morph-KGC as in-memory records
(``{records}``, ``{points}``, ``{sensors}`` in the mappings) with a few derived columns — the
person token, padded division codes, the WKT literal, the line of each record — so the mappings
need no hashing or string logic of their own.

A source is mapped all or nothing: every file of it is read and checked before anything is
mapped. The triples are sorted, so the same input gives the same output (the catalog's
``prov:generatedAtTime`` aside).
"""

from __future__ import annotations

import heapq
import logging
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from itertools import accumulate, islice
from pathlib import Path
from typing import overload

import pandas as pd
import pyoxigraph as ox
from rdflib import Graph, URIRef

from kgservice.errors import InputError, ToolMissingError
from kgservice.iri import hmac_token, iri_secret
from kgservice.mapping.provenance import CATALOG_GRAPH, FileFacts, describe_source
from kgservice.mapping.readers import LINE, Table, read_table
from kgservice.mapping.sources import (
    SourceFile,
    SourceKind,
    expand,
    group_sources,
    source_kind,
)

CRS84 = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
CHUNK_ROWS = 200_000  # rows handed to Morph-KGC at once
PARSE_LINES = 100_000  # N-Triples lines parsed into pyoxigraph terms at once
_PADDING = {2: "0000", 4: "00"}

#: Facility types whose facilities are also ``city:Sensor``: code:facility-type-urban-sensing
#: and its narrower concepts (a test checks this against ontology/codes.ttl).
SENSOR_TYPES = frozenset(
    {"urban-sensing", "video-camera", "environmental-monitoring-station", "traffic-detector"}
)

#: OpenFlights ``type`` -> facility type slug; rows of any other type are not mapped.
OPENFLIGHTS_TYPES = {"airport": "airport", "station": "railway-station", "port": "port"}

#: The class (local name in city:) of each division level.
DIVISION_CLASSES = {
    "province": "Province",
    "prefecture": "Prefecture",
    "county": "County",
    "township": "Township",
    "village": "Village",
}
PLACEHOLDER_NAME = "市辖区"

Frames = dict[str, pd.DataFrame]


class Statements(Sequence[str]):
    """Sorted, distinct N-Triples statements held compactly: one UTF-8 text and line offsets.

    A million people map to about ten million statements; as Python strings (and a set to make
    them distinct) they took several gigabytes, as one ``bytes`` they take their size on disk.
    UTF-8 bytes sort as their code points do, so the order is ``sorted()``'s order of the strings.
    """

    __slots__ = ("_starts", "_text")

    def __init__(self, lines: Iterable[bytes] = ()) -> None:
        """From UTF-8 statements (no line end), already sorted and distinct."""
        parts: list[bytes] = []
        starts = array("q", [0])
        lines = iter(lines)
        while block := list(islice(lines, PARSE_LINES)):
            end = starts[-1]
            starts.extend(accumulate((len(line) + 1 for line in block), initial=end))
            starts.pop(len(starts) - len(block) - 1)  # ``initial`` repeats the last start
            parts.append(b"\n".join(block) + b"\n")
        self._text: bytes | bytearray = b"".join(parts)
        self._starts = starts

    @classmethod
    def merged(cls, runs: Sequence[Statements]) -> Statements:
        """The distinct statements of sorted runs, merged in order (into one buffer of their
        total size, so the merge takes no more than the runs again)."""
        text = bytearray(sum(len(run._text) for run in runs))
        starts = array("q", [0])
        end = 0
        for line in _distinct(heapq.merge(*(run.encoded() for run in runs))):
            stop = end + len(line)
            text[end:stop] = line
            text[stop] = 10  # "\n"
            end = stop + 1
            starts.append(end)
        del text[end:]
        merged = cls()
        merged._text, merged._starts = text, starts
        return merged

    def __len__(self) -> int:
        return len(self._starts) - 1

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1 or start >= stop:
                return [self[i] for i in range(start, stop, step)]
            return self.block(start, stop).decode("utf-8").split("\n")[:-1]
        count = len(self)
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError("statement index out of range")
        return self._text[self._starts[index] : self._starts[index + 1] - 1].decode("utf-8")

    def block(self, start: int, stop: int) -> bytes:
        """Statements ``start`` to ``stop`` (exclusive) as UTF-8 text, each ending in ``\\n``."""
        stop = min(stop, len(self))
        if start >= stop:
            return b""
        return bytes(memoryview(self._text)[self._starts[start] : self._starts[stop]])

    def __iter__(self) -> Iterator[str]:
        for start in range(0, len(self), PARSE_LINES):
            yield from self[start : start + PARSE_LINES]

    def encoded(self) -> Iterator[bytes]:
        """The statements as UTF-8, without line ends, in order."""
        for start in range(0, len(self), PARSE_LINES):
            yield from self.block(start, start + PARSE_LINES).split(b"\n")[:-1]

    def __contains__(self, line: object) -> bool:
        if not isinstance(line, str):
            return False
        index = bisect_left(self, line)  # sorted: a binary search
        return index < len(self) and self[index] == line

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Statements):
            return self._text == other._text
        if isinstance(other, Sequence):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Statements: {len(self)}>"


def _distinct(lines: Iterable[bytes]) -> Iterator[bytes]:
    previous = None
    for line in lines:
        if line != previous:
            yield line
            previous = line


@dataclass(frozen=True)
class MappedSource:
    """The RDF of one source: its data (for its named graph) and its catalog description."""

    source_id: str
    graph: URIRef  # graph:<source id>
    ntriples: Sequence[str]  # the data as sorted N-Triples statements ("<s> <p> <o> ."):
    # a tuple, or :class:`Statements` (what mapping gives: compact)
    catalog: Graph  # the DCAT/PROV description, for graph:catalog
    record_count: int
    files: tuple[Path, ...]

    @property
    def triple_count(self) -> int:
        """The number of (distinct) data triples."""
        return len(self.ntriples)

    def triples(self) -> Iterator[ox.Triple]:
        """The data triples as pyoxigraph terms, in sorted order (parsed a block at a time)."""
        for start in range(0, len(self.ntriples), PARSE_LINES):
            block = "\n".join(self.ntriples[start : start + PARSE_LINES]).encode("utf-8")
            for quad in ox.parse(block, ox.RdfFormat.N_TRIPLES):
                yield quad.triple

    def quads(self) -> Iterator[ox.Quad]:
        """The data triples in the source's named graph."""
        graph = f" <{self.graph}> ."
        for start in range(0, len(self.ntriples), PARSE_LINES):
            lines = self.ntriples[start : start + PARSE_LINES]
            block = "\n".join(line[:-2] + graph for line in lines).encode("utf-8")
            yield from ox.parse(block, ox.RdfFormat.N_QUADS)

    def catalog_quads(self) -> Iterator[ox.Quad]:
        """The catalog description in ``graph:catalog`` (sorted, so the output is stable)."""
        lines = self.catalog.serialize(format="nt", encoding="utf-8").splitlines()
        document = b"\n".join(sorted(line for line in lines if line.strip()))
        graph = ox.NamedNode(str(CATALOG_GRAPH))
        for quad in ox.parse(document, ox.RdfFormat.N_TRIPLES):
            yield ox.Quad(quad.subject, quad.predicate, quad.object, graph)

    def data_graph(self) -> Graph:
        """The data as an rdflib graph (convenient for small sources and tests)."""
        graph = Graph()
        graph.parse(data="\n".join(self.ntriples), format="nt")
        return graph


def map_source(path: str | Path, kind: str | SourceKind | None = None) -> MappedSource:
    """Map one source: a file, or a directory holding the files of one source.

    ``kind`` (a source kind or its id) forces the kind; by default the file name tells it.
    """
    forced = source_kind(kind) if isinstance(kind, str) else kind
    files = expand(Path(path), forced)
    kinds = {f.kind.id for f in files}
    if len(kinds) > 1:
        raise InputError(f"{path}: holds files of several sources ({', '.join(sorted(kinds))})")
    return _map_files(files)


def map_sources(paths: Iterable[str | Path]) -> list[MappedSource]:
    """Map several sources: files, directories or ``KIND=PATH`` strings.

    The files of one source kind (e.g. the four of ``divisions-china``) make one source. Every file
    is read and checked before anything is mapped, so a broken file fails the whole call.
    """
    groups = group_sources(paths)
    tables = [_read_group(group) for group in groups]
    mapped = []
    for group in groups:  # each source's tables are let go once it is mapped
        mapped.append(_map_tables(group[0].kind, tables.pop(0)))
    return mapped


def _map_files(files: list[SourceFile]) -> MappedSource:
    """Read, check and map the files of one source."""
    return _map_tables(files[0].kind, _read_group(files))


def _read_group(files: list[SourceFile]) -> list[Table]:
    """Read and check every file of one source, in the order of the kind's formats."""
    tables = [read_table(f) for f in files]
    kind = files[0].kind
    seen: dict[str, Path] = {}
    for table in tables:
        if table.format.name in seen:
            raise InputError(
                f"{table.path}: source {kind.id!r} already has its {table.format.name} "
                f"from {seen[table.format.name]}"
            )
        seen[table.format.name] = table.path
    order = [f.name for f in kind.formats]
    return sorted(tables, key=lambda t: order.index(t.format.name))


def _map_tables(kind: SourceKind, tables: list[Table], at: datetime | None = None) -> MappedSource:
    """Derive the in-memory sources, run the kind's mapping and describe the result."""
    ntriples = materialize(kind.mapping, PREPARERS[kind.id](kind, tables))
    record_count = sum(t.record_count for t in tables)
    facts = [FileFacts(t.path.name, t.byte_size) for t in tables]
    catalog = describe_source(kind, facts, record_count, len(ntriples), at)
    return MappedSource(
        kind.id, kind.graph, ntriples, catalog, record_count, tuple(t.path for t in tables)
    )


# ------------------------------------------------------------------------------- Morph-KGC


def materialize(mapping: str, frames: Frames) -> Statements:
    """Run one YARRRML mapping of ``mappings/`` on in-memory frames; sorted N-Triples lines.

    Frames are passed as lists of records, not as DataFrames: Morph-KGC deletes every ``"`` from
    the text of a DataFrame it is given (``get_ram_data``), and records are faster as well.
    Empty strings are missing values (``na_values`` is set to the empty string only). Big inputs
    are mapped :data:`CHUNK_ROWS` rows at a time, which bounds Morph-KGC's working memory; the
    mappings join nothing, so the union of the chunks' triples is the triples of the whole.
    Each chunk's statements are sorted and kept as compact :class:`Statements`, then merged;
    ``frames`` is emptied before the merge (its columns are no longer needed).
    """
    try:
        import morph_kgc
    except ImportError as exc:
        raise ToolMissingError(
            "morph-kgc is not installed: run scripts/bootstrap "
            "(it installs morph-kgc==2.10.0 with pip --no-deps)"
        ) from exc

    runs: list[Statements] = []
    with resources.as_file(resources.files("kgservice.mapping") / "mappings" / mapping) as path:
        config = _config(path)
        for chunk in _chunks(frames, CHUNK_ROWS):
            sources = {name: frame.to_dict("records") for name, frame in chunk.items()}
            with _morph_kgc_logging():
                found = morph_kgc.materialize_set(config, python_source=sources)
            del sources
            encoded = sorted(statement.encode("utf-8") + b" ." for statement in found)
            del found
            runs.append(Statements(encoded))
            del encoded
    frames.clear()  # the caller's only copy: free the derived columns before the merge
    if len(runs) == 1:
        return runs[0]
    return Statements.merged(runs)


def _chunks(frames: Frames, size: int) -> Iterator[Frames]:
    """Slices of every frame, ``size`` rows at a time (at least one, possibly empty, slice)."""
    longest = max((len(frame) for frame in frames.values()), default=0)
    for start in range(0, max(longest, 1), size):
        yield {name: frame.iloc[start : start + size] for name, frame in frames.items()}


def _config(mapping_path: Path) -> str:
    """The Morph-KGC configuration: one data source, one process, quiet, '' is null."""
    return (
        "[CONFIGURATION]\n"
        "number_of_processes=1\n"
        "na_values=\n"
        "logging_level=WARNING\n"
        "output_format=N-TRIPLES\n"
        "[DataSource]\n"
        f"mappings={mapping_path}\n"
    )


@contextmanager
def _morph_kgc_logging() -> Iterator[None]:
    """Keep Morph-KGC's ``logging.basicConfig`` from configuring the root logger."""
    root = logging.getLogger()
    guard = logging.NullHandler()
    added = not root.handlers
    if added:
        root.addHandler(guard)
    try:
        yield
    finally:
        if added:
            root.removeHandler(guard)


# ------------------------------------------------------------------------- derived columns


def pad_division(codes: pd.Series) -> pd.Series:
    """Pad division codes to their level's length: 37 -> 370000, 3713 -> 371300 (vectorised)."""
    suffix = codes.str.len().map(_PADDING).fillna("")
    return codes + suffix


def _tokens(values: pd.Series) -> pd.Series:
    """HMAC tokens of non-empty values (empty stays empty): IRIs that hide personal data."""
    secret = iri_secret()
    tokens = [hmac_token(value, secret) if value else "" for value in values]
    return pd.Series(tokens, index=values.index, dtype=object)


def _provenance(frame: pd.DataFrame, kind: SourceKind, table: Table) -> pd.DataFrame:
    """Add ``_source``, ``_file`` and ``_line`` (as text) for the record IRIs."""
    frame["_source"] = kind.id
    frame["_file"] = table.path.name
    frame[LINE] = frame[LINE].astype(str)
    return frame


def _wkt(frame: pd.DataFrame) -> pd.Series:
    """The WKT point of each row (longitude first, CRS84)."""
    return CRS84 + " POINT(" + frame["longitude"] + " " + frame["latitude"] + ")"


def _points(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows that have both coordinates, with their ``_wkt``."""
    points = frame[(frame["longitude"] != "") & (frame["latitude"] != "")].copy()
    points["_wkt"] = _wkt(points)
    return points


def _population(kind: SourceKind, tables: list[Table]) -> Frames:
    (table,) = tables
    frame = _provenance(table.frame.copy(), kind, table)
    frame["_person"] = _tokens(frame["citizen_id"])
    frame["_residence"] = pad_division(frame["residence_code"])
    return {"records": frame}


def _legal_entities(kind: SourceKind, tables: list[Table]) -> Frames:
    (table,) = tables
    frame = _provenance(table.frame.copy(), kind, table)
    frame["_representative"] = _tokens(frame["legal_rep_citizen_id"])
    division = frame["credit_code"].str.slice(2, 8)
    frame["_registration_division"] = division.where(division.str.fullmatch("[0-9]{6}"), "")
    keys = (frame["address_code"] + "|" + frame["address"]).where(frame["address"] != "", "")
    frame["_address"] = _tokens(keys)
    frame["_address_division"] = pad_division(frame["address_code"])
    return {"records": frame}


def _facilities(kind: SourceKind, tables: list[Table]) -> Frames:
    (table,) = tables
    frame = _provenance(table.frame.copy(), kind, table)
    frame["_township"] = pad_division(frame["township_code"])
    sensors = frame[frame["facility_type"].isin(SENSOR_TYPES)]
    return {"records": frame, "points": _points(frame), "sensors": sensors}


def _geonames(kind: SourceKind, tables: list[Table]) -> Frames:
    (table,) = tables
    frame = _provenance(table.frame.copy(), kind, table)
    frame["_name_zh"] = frame["nameZh"].str.split("|", n=1).str[0].str.strip()
    return {"records": frame, "points": _points(frame)}


def _openflights(kind: SourceKind, tables: list[Table]) -> Frames:
    (table,) = tables
    frame = _provenance(table.frame.copy(), kind, table)
    frame["_type"] = frame["type"].map(OPENFLIGHTS_TYPES)
    frame = frame[frame["_type"].notna()].copy()
    no_code = (frame["iata"] == "") & (frame["icao"] == "")
    frame["_id_code"] = frame["openflightsId"].where(no_code, "")
    return {"records": frame, "points": _points(frame)}


def _divisions(kind: SourceKind, tables: list[Table]) -> Frames:
    """All division files of a source as one frame: code, name, _code, _parent, _class …"""
    frames = [_division_frame(kind, table) for table in tables]
    frame = pd.concat(frames, ignore_index=True)
    return {"records": _without_placeholders(frame)}


def _division_frame(kind: SourceKind, table: Table) -> pd.DataFrame:
    """One division file brought to the common columns."""
    source = table.frame
    frame = pd.DataFrame({"code": source["code"], "name": source["name"], LINE: source[LINE]})
    frame = _provenance(frame, kind, table)
    parent = table.format.parent
    level = source["level"] if "level" in source.columns else table.format.level
    frame["_code"] = pad_division(frame["code"])
    frame["_parent"] = pad_division(source[parent]) if parent else ""
    frame["_class"] = pd.Series(level, index=frame.index).map(DIVISION_CLASSES)
    return frame


def _without_placeholders(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop the 市辖区 rows that no row has as its parent (empty placeholders such as 371301)."""
    parents = set(frame["_parent"])
    placeholder = (frame["name"] == PLACEHOLDER_NAME) & ~frame["_code"].isin(parents)
    return frame[~placeholder]


PREPARERS: dict[str, Callable[[SourceKind, list[Table]], Frames]] = {
    "divisions": _divisions,
    "population": _population,
    "legal-entities": _legal_entities,
    "facilities": _facilities,
    "divisions-china": _divisions,
    "divisions-linyi-villages": _divisions,
    "places-geonames": _geonames,
    "transport-openflights": _openflights,
}


# ---------------------------------------------------------------------------------- output


def all_quads(mapped: Iterable[MappedSource]) -> Iterator[ox.Quad]:
    """Every source's data in its named graph, then every description in ``graph:catalog``."""
    mapped = list(mapped)
    for source in mapped:
        yield from source.quads()
    for source in mapped:
        yield from source.catalog_quads()
