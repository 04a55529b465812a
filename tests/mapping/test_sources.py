"""Source kinds: detection from file names, ``KIND=PATH``, directories and grouping."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from kgservice.errors import InputError
from kgservice.mapping.run import SENSOR_TYPES
from kgservice.mapping.sources import (
    SOURCE_KINDS,
    expand_argument,
    group_sources,
    kind_of,
)
from tests.mapping.conftest import DATA

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("population.csv", "population"),
        ("legal_entities.csv", "legal-entities"),
        ("facilities.csv", "facilities"),
        ("divisions.csv", "divisions"),
        ("provinces.csv", "divisions-china"),
        ("cities.csv", "divisions-china"),
        ("areas.csv", "divisions-china"),
        ("streets.csv", "divisions-china"),
        ("linyi-345-3713-flat.csv", "divisions-linyi-villages"),
        ("cn-cities1000.csv", "places-geonames"),
        ("china-airports-stations-ports.csv", "transport-openflights"),
    ],
)
def test_kind_from_file_name(name: str, kind: str) -> None:
    found = kind_of(Path("some/folder") / name)
    assert found is not None
    assert found.id == kind


def test_unknown_file_name_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("a\n", encoding="utf-8")
    assert kind_of(path) is None
    with pytest.raises(InputError, match=r"people\.csv: unknown kind of source file"):
        expand_argument(str(path))


def test_kind_equals_path_forces_the_kind(tmp_path: Path) -> None:
    path = tmp_path / "people-2024.csv"
    path.write_bytes((DATA / "population.csv").read_bytes())
    (source,) = expand_argument(f"population={path}")
    assert source.kind.id == "population"
    assert source.path == path


def test_unknown_kind_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown source kind 'people'"):
        expand_argument(f"people={tmp_path / 'x.csv'}")


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        expand_argument(str(tmp_path / "population.csv"))


def test_directory_means_every_known_file_in_it() -> None:
    files = expand_argument(str(DATA))
    names = [f.path.name for f in files]
    assert set(names) == {
        "divisions.csv",
        "population.csv",
        "legal_entities.csv",
        "facilities.csv",
        "linyi-345-3713-flat.csv",
        "cn-cities1000.csv",
        "china-airports-stations-ports.csv",
    }  # not the files of the china/ sub-folder


def test_files_of_one_kind_make_one_source_in_format_order() -> None:
    (group,) = group_sources([str(DATA / "china")])
    assert [f.path.name for f in group] == [
        "provinces.csv",
        "cities.csv",
        "areas.csv",
        "streets.csv",
    ]
    assert {f.kind.id for f in group} == {"divisions-china"}


def test_one_file_source_given_twice_is_an_input_error(tmp_path: Path) -> None:
    copy = tmp_path / "population.csv"
    copy.write_bytes((DATA / "population.csv").read_bytes())
    with pytest.raises(InputError, match="already comes from"):
        group_sources([DATA / "population.csv", copy])
    with pytest.raises(InputError, match="given twice"):
        group_sources([DATA / "population.csv", DATA / "population.csv"])


def test_every_kind_has_its_mapping_file() -> None:
    mappings = ROOT / "kgservice" / "mapping" / "mappings"
    for kind in SOURCE_KINDS.values():
        assert (mappings / kind.mapping).is_file(), kind.id


def test_sensor_types_are_urban_sensing_and_its_narrower_concepts() -> None:
    codes = Graph().parse(ROOT / "ontology" / "codes.ttl")
    base = "https://w3id.org/sckm/codes/facility-type-"
    top = URIRef(base + "urban-sensing")
    narrower = set(codes.transitive_objects(top, SKOS.narrower))
    narrower |= set(codes.transitive_subjects(SKOS.broader, top))
    assert {str(c).removeprefix(base) for c in narrower} == SENSOR_TYPES
