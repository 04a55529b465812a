"""``kgservice load``: a named graph and a catalogue entry per source, reloads replace, a broken
file loads nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kgservice.cli import cli
from kgservice.generator import GeneratorConfig, generate_city
from kgservice.store import open_embedded

GRAPH = "https://w3id.org/sckm/graph/"
COUNT_DATASETS = f"""
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX city: <https://w3id.org/sckm/city/>
SELECT ?dataset ?records WHERE {{ GRAPH <{GRAPH}catalog> {{
    ?dataset a dcat:Dataset ; city:recordCount ?records }} }} ORDER BY ?dataset
"""


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("city")
    generate_city(GeneratorConfig(people=200, seed=5, bad_share=0), folder)
    return folder


def load(store: Path, *sources: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["load", "--store", str(store), *sources])
    return result.exit_code, result.output


def test_each_source_gets_its_graph_and_catalogue_entry(city: Path, tmp_path: Path) -> None:
    code, output = load(tmp_path / "store", str(city))
    assert code == 0, output
    assert "population → <https://w3id.org/sckm/graph/population>: 200 records" in output
    store = open_embedded(tmp_path / "store")
    names = {g.value.removeprefix(GRAPH) for g in store.graph_names()}
    assert names == {
        "ontology",
        "catalog",
        "divisions",
        "population",
        "population/personal",
        "legal-entities",
        "legal-entities/personal",
        "facilities",
        "inferred",  # KGSERVICE_REASONING=materialize (the default)
        "quality",
    }
    datasets = {
        r["dataset"].value.rsplit("/", 1)[-1]: int(r["records"].value)
        for r in store.select(COUNT_DATASETS)
    }
    assert datasets["population"] == 200
    assert set(datasets) == {"divisions", "population", "legal-entities", "facilities"}


def test_loading_again_replaces_instead_of_adding(city: Path, tmp_path: Path) -> None:
    assert load(tmp_path / "store", str(city))[0] == 0
    store = open_embedded(tmp_path / "store")
    before = store.quad_count()
    store.close()
    assert load(tmp_path / "store", str(city / "population.csv"))[0] == 0
    store = open_embedded(tmp_path / "store")
    assert store.quad_count() == before
    assert len(list(store.select(COUNT_DATASETS))) == 4


def test_a_broken_file_loads_nothing(city: Path, tmp_path: Path) -> None:
    assert load(tmp_path / "store", str(city / "divisions.csv"))[0] == 0
    store = open_embedded(tmp_path / "store")
    before = store.quad_count()
    store.close()
    broken = tmp_path / "broken"
    shutil.copytree(city, broken)
    rows = (broken / "population.csv").read_text(encoding="utf-8").splitlines()
    fields = rows[5].split(",")
    fields[4] = "1980-13-45"  # birth_date
    rows[5] = ",".join(fields)
    (broken / "population.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, output = load(
        tmp_path / "store", str(broken / "legal_entities.csv"), str(broken / "population.csv")
    )
    assert code == 2
    assert "population.csv:6: field birth_date" in output
    store = open_embedded(tmp_path / "store")
    assert store.quad_count() == before


def test_reasoning_off_drops_graph_inferred_at_load(city: Path, tmp_path: Path) -> None:
    assert load(tmp_path / "store", str(city / "divisions.csv"))[0] == 0
    result = CliRunner().invoke(
        cli,
        ["load", "--store", str(tmp_path / "store"), str(city / "divisions.csv")],
        env={"KGSERVICE_REASONING": "off"},
    )
    assert result.exit_code == 0, result.output
    assert "reasoning is off" in result.output
    store = open_embedded(tmp_path / "store")
    assert f"{GRAPH}inferred" not in {g.value for g in store.graph_names()}
