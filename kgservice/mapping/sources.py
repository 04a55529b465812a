"""The registry of source kinds that ``kgservice map`` knows, and how a file's kind is found.

A *source kind* is one register or open data set (docs/data-model.md §1): its source id (also the
name of its named graph), the files it is made of and their columns, the department that
publishes it, its titles and the YARRRML mapping that turns its records into RDF. Most kinds are
one file; ``divisions-china`` is four (provinces, prefectures, counties, townships).

A file's kind is found from its name (``population.csv``, ``streets.csv`` …). ``KIND=PATH`` forces
a kind onto a file of any name; a directory stands for every file in it whose name is known.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import URIRef

from kgservice.errors import InputError
from kgservice.iri import dataset_iri, department_iri, graph_iri

#: Column types that readers check (everything else is free text).
TEXT = "text"
KEY = "key"  # free text that must not be empty: an IRI is made from it
DATE = "date"  # YYYY-MM-DD (month 01-12, day 01-31); the calendar is the shapes' business
DECIMAL = "decimal"  # xsd:decimal lexical form: digits with an optional dot and sign
DIVISION = "division"  # 2, 4, 6, 9 or 12 digits
INTEGER = "integer"  # digits only
LEVEL = "level"  # province, prefecture, county, township or village

DIVISION_LEVELS = ("province", "prefecture", "county", "township", "village")


@dataclass(frozen=True)
class Column:
    """One expected column of a source file and the type of its values."""

    name: str
    type: str = TEXT
    required: bool = False  # an empty cell is an input error (KEY columns are always required)

    @property
    def must_have_value(self) -> bool:
        """Whether an empty cell in this column is an input error."""
        return self.required or self.type == KEY


@dataclass(frozen=True)
class FileFormat:
    """One file of a source kind: its usual name and its columns (in the usual order)."""

    name: str
    columns: tuple[Column, ...]
    level: str | None = None  # division files: the level of every row, when no column says it
    parent: str | None = None  # division files: the column holding the parent's code

    @property
    def column_names(self) -> tuple[str, ...]:
        """The expected header."""
        return tuple(column.name for column in self.columns)


@dataclass(frozen=True)
class Publisher:
    """The department (or organization) that publishes a source."""

    slug: str
    name_zh: str
    name_en: str
    government: bool = True  # typed city:GovernmentDepartment, else sccm:Organization

    @property
    def iri(self) -> URIRef:
        """``id:department/<slug>``."""
        return department_iri(self.slug)


@dataclass(frozen=True)
class SourceKind:
    """A kind of source file that ``kgservice map`` can map."""

    id: str
    formats: tuple[FileFormat, ...]
    publisher: Publisher
    title_zh: str
    title_en: str
    mapping: str  # file name in kgservice/mapping/mappings/

    @property
    def graph(self) -> URIRef:
        """The named graph of the source: ``graph:<source id>``."""
        return graph_iri(self.id)

    @property
    def dataset(self) -> URIRef:
        """The DCAT dataset of the source: ``id:dataset/<source id>``."""
        return dataset_iri(self.id)

    def format_named(self, file_name: str) -> FileFormat | None:
        """The file format whose usual name is ``file_name``, if any."""
        return next((f for f in self.formats if f.name == file_name), None)

    def format_for(self, file_name: str, header: Iterable[str]) -> FileFormat | None:
        """The format of a file of this kind: by its name, else the one whose columns it has.

        A kind of one format always gets it, so that its header is checked column by column.
        """
        named = self.format_named(file_name)
        if named is not None:
            return named
        if len(self.formats) == 1:
            return self.formats[0]
        columns = set(header)
        return next((f for f in self.formats if set(f.column_names) == columns), None)


def _columns(*specs: str | tuple[str, str] | tuple[str, str, bool]) -> tuple[Column, ...]:
    """Build columns from ``"name"``, ``("name", type)`` or ``("name", type, required)``."""
    return tuple(Column(spec) if isinstance(spec, str) else Column(*spec) for spec in specs)


CIVIL_AFFAIRS = Publisher("civil-affairs", "临沂市民政局", "Linyi Civil Affairs Bureau")
PUBLIC_SECURITY = Publisher("public-security", "临沂市公安局", "Linyi Public Security Bureau")
MARKET_REGULATION = Publisher(
    "market-regulation", "临沂市市场监督管理局", "Linyi Administration for Market Regulation"
)
HOUSING = Publisher(
    "housing-urban-rural-development",
    "临沂市住房和城乡建设局",
    "Linyi Housing and Urban-Rural Development Bureau",
)
NBS = Publisher("national-bureau-of-statistics", "国家统计局", "National Bureau of Statistics")
GEONAMES = Publisher("geonames", "GeoNames", "GeoNames", government=False)
OPENFLIGHTS = Publisher("openflights", "OpenFlights", "OpenFlights", government=False)

_DIVISION_COLUMNS = _columns(
    ("code", DIVISION, True), "name", ("parent_code", DIVISION), ("level", LEVEL, True)
)

SOURCE_KINDS: dict[str, SourceKind] = {
    kind.id: kind
    for kind in (
        SourceKind(
            "divisions",
            (FileFormat("divisions.csv", _DIVISION_COLUMNS, parent="parent_code"),),
            CIVIL_AFFAIRS,
            "行政区划",
            "Administrative divisions",
            "divisions.yarrrml.yml",
        ),
        SourceKind(
            "population",
            (
                FileFormat(
                    "population.csv",
                    _columns(
                        "person_id",
                        ("citizen_id", KEY),
                        "name",
                        "sex",
                        ("birth_date", DATE),
                        ("residence_code", DIVISION),
                        "phone",
                    ),
                ),
            ),
            PUBLIC_SECURITY,
            "人口登记",
            "Population register",
            "population.yarrrml.yml",
        ),
        SourceKind(
            "legal-entities",
            (
                FileFormat(
                    "legal_entities.csv",
                    _columns(
                        ("credit_code", KEY),
                        "organization_code",
                        "name",
                        "entity_type",
                        ("registration_date", DATE),
                        "status",
                        ("registered_capital", DECIMAL),
                        "currency",
                        "industry",
                        "legal_rep_citizen_id",
                        "legal_rep_name",
                        "address",
                        ("address_code", DIVISION),
                    ),
                ),
            ),
            MARKET_REGULATION,
            "法人登记",
            "Legal entity register",
            "legal-entities.yarrrml.yml",
        ),
        SourceKind(
            "facilities",
            (
                FileFormat(
                    "facilities.csv",
                    _columns(
                        ("facility_code", KEY),
                        "name",
                        "facility_type",
                        "operator_credit_code",
                        ("township_code", DIVISION),
                        ("longitude", DECIMAL),
                        ("latitude", DECIMAL),
                        "status",
                    ),
                ),
            ),
            HOUSING,
            "城市设施",
            "City facilities",
            "facilities.yarrrml.yml",
        ),
        SourceKind(
            "divisions-china",
            (
                FileFormat("provinces.csv", _columns(("code", DIVISION, True), "name"), "province"),
                FileFormat(
                    "cities.csv",
                    _columns(("code", DIVISION, True), "name", ("provinceCode", DIVISION)),
                    "prefecture",
                    "provinceCode",
                ),
                FileFormat(
                    "areas.csv",
                    _columns(
                        ("code", DIVISION, True),
                        "name",
                        ("cityCode", DIVISION),
                        ("provinceCode", DIVISION),
                    ),
                    "county",
                    "cityCode",
                ),
                FileFormat(
                    "streets.csv",
                    _columns(
                        ("code", DIVISION, True),
                        "name",
                        ("areaCode", DIVISION),
                        ("provinceCode", DIVISION),
                        ("cityCode", DIVISION),
                    ),
                    "township",
                    "areaCode",
                ),
            ),
            NBS,
            "全国行政区划（省、地、县、乡级）",
            "Administrative divisions of China (province to township)",
            "divisions.yarrrml.yml",
        ),
        SourceKind(
            "divisions-linyi-villages",
            (
                FileFormat(
                    "linyi-345-3713-flat.csv",
                    _columns(
                        ("code", DIVISION, True),
                        "name",
                        ("parentCode", DIVISION),
                        ("level", LEVEL, True),
                    ),
                    parent="parentCode",
                ),
            ),
            NBS,
            "临沂市县、乡、村级区划",
            "Linyi county, township and village divisions",
            "divisions.yarrrml.yml",
        ),
        SourceKind(
            "places-geonames",
            (
                FileFormat(
                    "cn-cities1000.csv",
                    _columns(
                        ("geonameid", INTEGER, True),
                        "name",
                        "nameZh",
                        ("latitude", DECIMAL),
                        ("longitude", DECIMAL),
                        "countrycode",
                        "admin1code",
                        "population",
                        "timezone",
                    ),
                ),
            ),
            GEONAMES,
            "中国居民点（GeoNames，人口 1000 以上）",
            "Populated places in China (GeoNames, population 1000 or more)",
            "places-geonames.yarrrml.yml",
        ),
        SourceKind(
            "transport-openflights",
            (
                FileFormat(
                    "china-airports-stations-ports.csv",
                    _columns(
                        ("openflightsId", INTEGER, True),
                        "name",
                        "city",
                        "country",
                        "iata",
                        "icao",
                        ("latitude", DECIMAL),
                        ("longitude", DECIMAL),
                        "altitudeFt",
                        "utcOffsetHours",
                        "dst",
                        "tzDatabase",
                        "type",
                        "source",
                    ),
                ),
            ),
            OPENFLIGHTS,
            "中国机场、火车站和港口（OpenFlights）",
            "Airports, railway stations and ports in China (OpenFlights)",
            "transport-openflights.yarrrml.yml",
        ),
    )
}

_KIND_BY_FILE_NAME: dict[str, SourceKind] = {
    file_format.name: kind for kind in SOURCE_KINDS.values() for file_format in kind.formats
}


@dataclass(frozen=True)
class SourceFile:
    """A file to map and the kind of source it belongs to."""

    path: Path
    kind: SourceKind


def kind_of(path: Path) -> SourceKind | None:
    """The source kind of a file from its name, or ``None`` when the name is not known."""
    return _KIND_BY_FILE_NAME.get(path.name)


def source_kind(kind_id: str) -> SourceKind:
    """The source kind with this id; an unknown id is an input error listing the known ones."""
    try:
        return SOURCE_KINDS[kind_id]
    except KeyError:
        known = ", ".join(SOURCE_KINDS)
        raise InputError(f"unknown source kind {kind_id!r} (known: {known})") from None


def split_argument(argument: str | Path) -> tuple[Path, SourceKind | None]:
    """Split a command-line source into its path and forced kind (``KIND=PATH``, or a path)."""
    if isinstance(argument, Path):
        return argument, None
    kind_id, sep, rest = argument.partition("=")
    if sep and kind_id in SOURCE_KINDS:
        return Path(rest), SOURCE_KINDS[kind_id]
    if sep and not Path(argument).exists() and "/" not in kind_id:
        source_kind(kind_id)  # raises: the user meant KIND=PATH with a kind that does not exist
    return Path(argument), None


def expand_argument(argument: str | Path) -> list[SourceFile]:
    """The source files a command-line argument (a path or ``KIND=PATH``) stands for."""
    return expand(*split_argument(argument))


def expand(path: Path, forced: SourceKind | None = None) -> list[SourceFile]:
    """The source files of a path.

    A file is one source file (of the forced kind, else of the kind its name says); a directory is
    every file directly in it whose name is known (with a forced kind: every file of that kind).
    """
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file())
        found = [
            SourceFile(p, kind)
            for p in files
            if (kind := kind_of(p)) is not None and (forced is None or kind == forced)
        ]
        if not found:
            raise InputError(f"{path}: no known source file in this directory")
        return _in_format_order(found)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    kind = forced or kind_of(path)
    if kind is None:
        known = ", ".join(sorted(_KIND_BY_FILE_NAME))
        raise InputError(
            f"{path}: unknown kind of source file (known names: {known}; "
            "or say KIND=PATH with a kind of: " + ", ".join(SOURCE_KINDS) + ")"
        )
    return [SourceFile(path, kind)]


def _in_format_order(files: list[SourceFile]) -> list[SourceFile]:
    """Order files as their kinds list them (provinces before cities …), then by path."""
    order = {f.name: i for kind in SOURCE_KINDS.values() for i, f in enumerate(kind.formats)}
    kinds = list(SOURCE_KINDS)
    return sorted(
        files, key=lambda f: (kinds.index(f.kind.id), order.get(f.path.name, 99), str(f.path))
    )


def group_sources(arguments: Iterable[str | Path]) -> list[list[SourceFile]]:
    """Expand arguments and group their files by source kind, in the order kinds first appear.

    The files of one kind make one source (one named graph). The same file twice is an error, and
    so are two files that would both be one single-file kind's source.
    """
    groups: dict[str, list[SourceFile]] = {}
    for argument in arguments:
        for source_file in expand_argument(argument):
            group = groups.setdefault(source_file.kind.id, [])
            _check_can_join(group, source_file)
            group.append(source_file)
    if not groups:
        raise InputError("no source given")
    return list(groups.values())


def _check_can_join(group: list[SourceFile], new: SourceFile) -> None:
    """Refuse a second copy of a file, or a second file for a one-file source.

    (Two files of one format of a many-file source are refused once their headers are read.)
    """
    for present in group:
        if present.path.resolve() == new.path.resolve():
            raise InputError(f"{new.path}: given twice")
        if len(new.kind.formats) == 1:
            raise InputError(
                f"{new.path}: source {new.kind.id!r} already comes from {present.path}; "
                "map one file per source (or run kgservice map twice)"
            )
