"""``kgservice ask``: named questions on the command line, with exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kgservice.cli import cli
from kgservice.privacy import personal_graph
from kgservice.questions import load_catalog
from kgservice.store.embedded import open_embedded

CITY = "https://w3id.org/sckm/city/"
ID = "https://w3id.org/sckm/id/"
ENTITIES = "https://w3id.org/sckm/graph/legal-entities"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store where person A represents two entities (name split as the loader does)."""
    path = tmp_path_factory.mktemp("ask") / "store"
    store = open_embedded(path)
    person = ox.NamedNode(f"{ID}person/a")
    name = ox.NamedNode(f"{CITY}personName")
    public = [ox.Triple(person, name, ox.Literal("李**"))]
    for code in ("E1", "E2"):
        entity = ox.NamedNode(f"{ID}entity/{code}")
        public.append(
            ox.Triple(
                entity,
                ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                ox.NamedNode(f"{CITY}LegalEntity"),
            )
        )
        public.append(ox.Triple(entity, ox.NamedNode(f"{CITY}legalRepresentative"), person))
    store.put_graph(ox.NamedNode(ENTITIES), public)
    store.put_graph(
        ox.NamedNode(personal_graph(ENTITIES)), [ox.Triple(person, name, ox.Literal("李建国"))]
    )
    store.close()
    return path


def ask(*args: str):
    return CliRunner().invoke(cli, ["ask", *args])


def test_answers_in_csv_and_json(store_path: Path) -> None:
    result = ask("representatives-of-many", "--store", str(store_path), "--format", "csv")
    assert result.exit_code == 0, result.output
    table = list(csv.reader(io.StringIO(result.output)))
    assert table[1][:3] == [f"{ID}person/a", "李**", "2"]
    result = ask("representatives-of-many", "--store", str(store_path), "--format", "json")
    bindings = json.loads(result.output)["results"]["bindings"]
    assert [b["entities"]["value"] for b in bindings] == ["2"]


def test_parameters_change_the_answer(store_path: Path) -> None:
    result = ask("representatives-of-many", "--store", str(store_path), "-p", "minimum=3")
    assert result.exit_code == 0
    assert "(0 rows)" in result.output


def test_the_table_aligns_chinese_text(store_path: Path) -> None:
    result = ask("representatives-of-many", "--store", str(store_path))
    lines = result.output.splitlines()
    assert lines[0].split() == ["person", "name", "entities", "counties"]
    assert lines[2].startswith(f"{ID}person/a  李**")
    assert lines[-1] == "(1 rows)"


def test_raw_personal_data_only_when_asked(store_path: Path) -> None:
    hidden = ask("representatives-of-many", "--store", str(store_path), "--format", "csv")
    assert "李建国" not in hidden.output
    shown = ask(
        "representatives-of-many", "--store", str(store_path), "--format", "csv",
        "--personal-data",
    )  # fmt: skip
    assert "李建国" in shown.output


def test_list_and_show_query() -> None:
    listing = ask("--list")
    assert listing.exit_code == 0
    for question in load_catalog().values():
        assert f"{question.id}: {question.title['zh']} / {question.title['en']}" in listing.output
    shown = ask("representatives-of-many", "--show-query", "-p", "minimum=5")
    assert 'VALUES ?minimum { "5"^^<http://www.w3.org/2001/XMLSchema#integer> }' in shown.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["representatives-of-many", "-p", "minimum=lots"], "parameter minimum (integer)"),
        (["representatives-of-many", "-p", "minimum"], "--param 'minimum': expected NAME=VALUE"),
        (["representatives-of-many", "-p", "nope=1"], "unknown parameter(s) nope"),
        (["no-such-question"], "no question 'no-such-question'"),
    ],
)
def test_bad_input_exits_2_with_a_message(store_path: Path, args, message) -> None:
    result = ask(*args, "--store", str(store_path))
    assert result.exit_code == 2
    assert message in result.output


def test_a_missing_store_exits_2(tmp_path: Path) -> None:
    result = ask("representatives-of-many", "--store", str(tmp_path / "none"))
    assert result.exit_code == 2
    assert "no store there" in result.output
