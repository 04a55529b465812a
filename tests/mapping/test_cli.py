"""``kgservice map``: quads in named graphs, exit code 2 and no output on broken input."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from kgservice.cli import KGServiceGroup
from kgservice.mapping.cli import map_command
from tests.mapping.conftest import DATA

GRAPH = "https://w3id.org/sckm/graph/"


def run_map(*arguments: str) -> Result:
    """Invoke ``map`` under the project's group, which turns typed errors into exit codes."""
    group = KGServiceGroup(commands={"map": map_command})
    return CliRunner().invoke(group, ["map", *arguments])


def graphs_of(path: Path, rdf_format: ox.RdfFormat) -> dict[str, int]:
    """The number of quads of each named graph in a file."""
    counts: dict[str, int] = {}
    for quad in ox.parse(path=path, format=rdf_format):
        name = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else ""
        counts[name] = counts.get(name, 0) + 1
    return counts


def test_map_writes_each_source_in_its_graph_and_the_catalog(tmp_path: Path) -> None:
    out = tmp_path / "city.nq"
    result = run_map(str(DATA / "population.csv"), str(DATA / "divisions.csv"), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "population: 2 records, 15 triples" in result.output
    counts = graphs_of(out, ox.RdfFormat.N_QUADS)
    assert counts[GRAPH + "population"] == 15
    assert counts[GRAPH + "divisions"] == 24
    assert GRAPH + "catalog" in counts
    assert "" not in counts


def test_map_writes_trig(tmp_path: Path) -> None:
    out = tmp_path / "city.trig"
    result = run_map(f"facilities={DATA / 'facilities.csv'}", "--out", str(out), "--format", "trig")
    assert result.exit_code == 0, result.output
    counts = graphs_of(out, ox.RdfFormat.TRIG)
    assert counts[GRAPH + "facilities"] == 22


def test_map_of_a_directory_maps_every_known_file(tmp_path: Path) -> None:
    out = tmp_path / "all.nq"
    result = run_map(str(DATA), str(DATA / "china"), "--out", str(out))
    assert result.exit_code == 0, result.output
    counts = graphs_of(out, ox.RdfFormat.N_QUADS)
    assert set(counts) == {
        GRAPH + g
        for g in (
            "divisions",
            "population",
            "legal-entities",
            "facilities",
            "divisions-china",
            "divisions-linyi-villages",
            "places-geonames",
            "transport-openflights",
            "catalog",
        )
    }


BROKEN = [
    pytest.param(
        "person_id,citizen_id,name,sex,birthdate,residence_code,phone\n",
        "population.csv:1: field birth_date: missing column",
        id="wrong-header",
    ),
    pytest.param(
        "person_id,citizen_id,name,sex,birth_date,residence_code,phone\n"
        "P1,11010519491231002X,张三,1,1980-13-01,371302001001,\n",
        "population.csv:2: field birth_date: '1980-13-01' is not a date (YYYY-MM-DD)",
        id="non-date",
    ),
    pytest.param(
        b"person_id,citizen_id,name,sex,birth_date,residence_code,phone\n"
        + "P1,11010519491231002X,张三,1,1980-01-01,371302001001,\n".encode("gbk"),
        "population.csv:2: field name: not valid UTF-8",
        id="bad-utf8",
    ),
]


@pytest.mark.parametrize(("content", "message"), BROKEN)
def test_broken_input_exits_2_and_writes_nothing(
    tmp_path: Path, content: str | bytes, message: str
) -> None:
    source = tmp_path / "in" / "population.csv"
    source.parent.mkdir()
    if isinstance(content, str):
        source.write_text(content, encoding="utf-8")
    else:
        source.write_bytes(content)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "city.nq"
    result = run_map(str(DATA / "divisions.csv"), str(source), "--out", str(out))
    assert result.exit_code == 2
    assert message in result.output
    assert str(source) in result.output
    assert list(out_dir.iterdir()) == []


def test_existing_output_is_left_alone_on_error(tmp_path: Path) -> None:
    out = tmp_path / "city.nq"
    out.write_text("old\n", encoding="utf-8")
    result = run_map(f"population={DATA / 'divisions.csv'}", "--out", str(out))
    assert result.exit_code == 2
    assert "field person_id: missing column" in result.output
    assert out.read_text(encoding="utf-8") == "old\n"


def test_unknown_source_exits_2(tmp_path: Path) -> None:
    result = run_map(str(tmp_path / "nothing.csv"), "--out", str(tmp_path / "x.nq"))
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_output_is_deterministic_but_for_the_time_stamp(tmp_path: Path) -> None:
    outputs = []
    for name in ("first.nq", "second.nq"):
        out = tmp_path / name
        assert run_map(str(DATA), "--out", str(out)).exit_code == 0
        lines = out.read_text(encoding="utf-8").splitlines()
        outputs.append([line for line in lines if "generatedAtTime" not in line])
    assert outputs[0] == outputs[1]
