"""``kgservice load``: a named graph and a catalogue entry per source, reloads replace, a broken
file loads nothing, and ``kill -9`` during the write phase leaves each source whole or absent."""

from __future__ import annotations

import itertools
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from kgservice import loading
from kgservice.cli import cli
from kgservice.iri import graph_iri
from kgservice.loading import CATALOG_GRAPH, split_statements, write_sources
from kgservice.mapping.run import MappedSource, map_sources
from kgservice.namespaces import CITY
from kgservice.privacy import personal_properties, split_personal
from kgservice.store import open_embedded
from tests.cities import city_sources, count_inserts, record_updates

GRAPH = "https://w3id.org/sckm/graph/"
COUNT_DATASETS = f"""
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX city: <https://w3id.org/sckm/city/>
SELECT ?dataset ?records WHERE {{ GRAPH <{GRAPH}catalog> {{
    ?dataset a dcat:Dataset ; city:recordCount ?records }} }} ORDER BY ?dataset
"""


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return city_sources(tmp_path_factory, people=200, seed=5, bad_share=0)


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


# ----------------------------------------------------------------- the write phase, fast and safe


def parsed(lines: list[str]) -> list[ox.Triple]:
    document = "\n".join(lines).encode("utf-8")
    return [quad.triple for quad in ox.parse(document, ox.RdfFormat.N_TRIPLES)]


def test_statements_split_as_their_triples_do(city: Path) -> None:
    """The predicate is read from the text; an escaped or oddly spaced statement is parsed, so a
    personal value never lands unmasked in the public graph."""
    name, phone, label = CITY.personName, CITY.phone, "http://www.w3.org/2000/01/rdf-schema#label"
    tricky = [
        f'<urn:x:1> <{str(name)[:-4]}\\u004Eame> "王五" .',  # an escape in the predicate
        f'<urn:x:2>\t<{phone}>\t"13812345678" .',  # tabs
        f'_:b1 <{phone}> "13987654321".',  # no space before the final dot
        f'<urn:x:3>  <{label}> "x" .',  # two spaces
        f'<urn:x:4> <{label}> "with <{phone}> inside" .',
        f'<urn:x:6> <{label}> "quote \\" . <urn:x:6> <{phone}> \\"x" .',
    ]
    (source,) = map_sources([city / "population.csv"])
    lines = [*source.ntriples, *tricky]
    properties = personal_properties()
    split = split_statements(lines, properties)
    public, personal = split_personal(parsed(lines), properties)
    assert sorted(map(str, parsed(split.public) + split.masked)) == sorted(map(str, public))
    assert split.personal_triples == personal == parsed(split.personal)
    personal_subjects = {t.subject.value for t in split.personal_triples}
    assert personal_subjects >= {"urn:x:1", "urn:x:2", "b1"}
    assert "urn:x:6" not in personal_subjects  # one statement, its literal holds a quote
    two = f'<urn:x:5> <{label}> "a" . <urn:x:5> <{phone}> "13811112222" .'
    with pytest.raises(SyntaxError):  # as N-Triples: one statement a line
        split_statements([two], properties)
    assert all(line.endswith(" .") and "\t" not in line for line in split.public)


def snapshot(store_path: Path) -> tuple[list[str], int]:
    """The store's quads as sorted text (blank nodes all written ``_:b``), and how many."""
    store = open_embedded(store_path)
    try:
        quads = [
            " ".join("_:b" if isinstance(t, ox.BlankNode) else str(t) for t in quad)
            for quad in store.oxigraph
        ]
    finally:
        store.close()
    return sorted(quads), len(quads)


def test_a_new_source_and_a_replaced_one_are_written_alike(city: Path, tmp_path: Path) -> None:
    """A first load adds each source in one bulk step; a reload replaces it by a SPARQL update
    (as does a load that finds only part of a source, here its catalogue entry): the store
    holds the same quads either way."""
    mapped = map_sources([city])
    store = open_embedded(tmp_path / "store")
    first = write_sources(store, mapped)
    store.close()
    added = snapshot(tmp_path / "store")
    store = open_embedded(tmp_path / "store")
    population = ox.NamedNode(GRAPH + "population")
    store.drop_graph(population)
    store.drop_graph(ox.NamedNode(GRAPH + "population/personal"))
    again = write_sources(store, mapped)
    store.close()
    assert again == [
        type(loaded)(**{**loaded.__dict__, "seconds": other.seconds})
        for loaded, other in zip(first, again, strict=True)
    ]
    assert snapshot(tmp_path / "store") == added
    assert first[1].personal_triples > 0  # population: the split was made


SUBJECTS = 10_000  # three statements each: a type, a name, a phone number
CHILD = """
import sys
from pathlib import Path
from kgservice.loading import write_sources
from kgservice.store import open_embedded
from tests.test_load import synthetic_source
sources = [synthetic_source(sys.argv[2] + part) for part in "abc"]
store = open_embedded(Path(sys.argv[1]))
print("ready", flush=True)
write_sources(store, sources)
store.close()
print("done", flush=True)
"""


def synthetic_source(source_id: str) -> MappedSource:
    """A source of :data:`SUBJECTS` people with a personal name and phone each."""
    lines = []
    for i in range(SUBJECTS):
        subject = f"<urn:person:{source_id}:{i}>"
        lines.append(f"{subject} <{RDF.type}> <{CITY.NaturalPerson}> .")
        lines.append(f'{subject} <{CITY.personName}> "张{i}" .')
        lines.append(f'{subject} <{CITY.phone}> "138{i:08d}" .')
    dataset, part = URIRef(f"https://w3id.org/sckm/id/dataset/{source_id}"), BNode()
    catalog = Graph()
    catalog.add((dataset, RDF.type, DCAT.Dataset))
    catalog.add((dataset, DCAT.distribution, part))
    catalog.add((part, DCTERMS.title, Literal(f"{source_id}.csv")))
    return MappedSource(
        source_id, graph_iri(source_id), tuple(sorted(lines)), catalog, SUBJECTS, ()
    )


def source_state(store_path: Path, source_ids: list[str]) -> dict[str, tuple[int, int, int]]:
    """Per source: quads in its graph, in its personal graph, and catalogue statements about
    its dataset and distribution."""
    store = open_embedded(store_path)

    def count(graph: str, pattern: str = "?s ?p ?o") -> int:
        query = f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ {pattern} }} }}"
        return int(next(store.select(query))["n"].value)

    try:
        state = {}
        for source_id in source_ids:
            graph = str(graph_iri(source_id))
            dataset = f"<https://w3id.org/sckm/id/dataset/{source_id}>"
            part = f"{dataset} <{DCAT.distribution}> ?s . ?s ?p ?o"
            entry = count(CATALOG_GRAPH, f"{{ {dataset} ?p ?o }} UNION {{ {part} }}")
            state[source_id] = (count(graph), count(graph + "/personal"), entry)
    finally:
        store.close()
    return state


def run_writer(store: Path, prefix: str, kill_after: float | None) -> float:
    """Write three synthetic sources in a child process; SIGKILL it ``kill_after`` seconds
    after it starts writing (None: let it finish). The seconds it wrote for."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(store), prefix],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    started = time.monotonic()
    if kill_after is None:
        assert child.stdout.readline().strip() == "done"
    else:
        time.sleep(kill_after)
        child.send_signal(signal.SIGKILL)
    child.wait(60)
    child.stdout.close()
    return time.monotonic() - started


def test_kill_during_the_write_phase_leaves_each_source_whole_or_absent(tmp_path: Path) -> None:
    store = tmp_path / "store"
    elapsed = run_writer(store, "whole-", None)
    full = source_state(store, [f"whole-{part}" for part in "abc"])
    public, personal, entry = full["whole-a"]
    assert (public, personal) == (3 * SUBJECTS, 2 * SUBJECTS) and entry > 0
    draw = random.Random(20261205)
    outcomes = set()
    for trial in range(6):
        ids = [f"t{trial}-{part}" for part in "abc"]
        run_writer(store, f"t{trial}-", draw.uniform(0.0, 1.2) * elapsed)
        state = source_state(store, ids)
        for source_id, numbers in state.items():
            assert numbers in ((0, 0, 0), full["whole-a"]), f"trial {trial}: {source_id} {numbers}"
        outcomes.add(sum(numbers != (0, 0, 0) for numbers in state.values()))
    assert len(outcomes) > 1, f"every kill had the same outcome: {outcomes}"
    assert not list(store.glob("bulk-*.sst"))  # files of a killed bulk load: deleted at open


def test_a_source_bigger_than_a_bulk_batch_is_added_batch_by_batch(
    city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new source over ``BULK_BATCH`` quads goes in one bulk ingestion per batch of statements
    (cut between subjects), the catalogue entry last; the store ends up the same."""
    mapped = map_sources([city])
    store = open_embedded(tmp_path / "whole")
    whole = write_sources(store, mapped)
    store.close()
    monkeypatch.setattr(loading, "BULK_BATCH", 500)
    monkeypatch.setattr(loading, "SPLIT_BATCH", 97)
    store = open_embedded(tmp_path / "batches")
    calls = count_inserts(monkeypatch, store)
    batched = write_sources(store, mapped)
    store.close()
    assert len(calls) > len(mapped) + 2  # population, at least, went in several batches
    assert max(calls) < 500
    assert [(s.triples, s.personal_triples) for s in batched] == [
        (s.triples, s.personal_triples) for s in whole
    ]
    assert snapshot(tmp_path / "batches") == snapshot(tmp_path / "whole")


@pytest.fixture(scope="module")
def other_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same sources with other records: a load of it replaces every source of ``city``."""
    return city_sources(tmp_path_factory, people=150, seed=6, bad_share=0, name="other-city")


def loaded_with_small_batches(path: Path, sources: list[MappedSource], monkeypatch):
    """A store at ``path`` holding ``sources``, then a bulk batch of 500 quads (97 statements
    split at a time): the city's sources count as large from then on."""
    store = open_embedded(path)
    write_sources(store, sources)
    monkeypatch.setattr(loading, "BULK_BATCH", 500)
    monkeypatch.setattr(loading, "SPLIT_BATCH", 97)
    return store


def test_a_source_too_large_to_replace_at_once_is_withdrawn_then_added_batch_by_batch(
    city: Path, other_city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replacing a source of over ``BULK_BATCH`` quads in one update takes more memory than a
    machine has (a million people's population); the source is withdrawn (catalogue entry
    first, graphs a batch at a time) and added as a new one, and the store ends up the same."""
    first, second = map_sources([city]), map_sources([other_city])
    store = open_embedded(tmp_path / "at-once")
    write_sources(store, first)
    write_sources(store, second)
    store.close()
    store = loaded_with_small_batches(tmp_path / "batches", first, monkeypatch)
    updates = record_updates(monkeypatch, store)
    inserts = count_inserts(monkeypatch, store)
    write_sources(store, second)
    store.close()
    deletions = [text for text in updates if "LIMIT 97" in text]
    assert len(deletions) > 2 * len(second)  # the old graphs went a batch at a time
    assert len(inserts) > len(second) + 2 and max(inserts) < 500
    assert snapshot(tmp_path / "batches") == snapshot(tmp_path / "at-once")


def test_a_batched_replacement_stopped_half_way_is_completed_by_the_next_load(
    city: Path, other_city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = map_sources([city]), map_sources([other_city])
    store = open_embedded(tmp_path / "whole")
    write_sources(store, second)
    store.close()
    store = loaded_with_small_batches(tmp_path / "stopped", first, monkeypatch)
    insert = store.insert_nquads
    population_batches = itertools.count()

    def failing(document: bytes, quads: int) -> None:
        if b"graph/population>" in document and next(population_batches) == 1:
            raise OSError("disk full")  # after one batch of the population
        insert(document, quads)

    monkeypatch.setattr(store, "insert_nquads", failing)
    with pytest.raises(OSError):
        write_sources(store, second)
    population = next(source for source in second if source.source_id == "population")
    dataset = next(population.catalog.subjects(DCAT.distribution, None))
    entry = store.oxigraph.quads_for_pattern(
        ox.NamedNode(str(dataset)), None, None, ox.NamedNode(CATALOG_GRAPH)
    )
    assert not list(entry)  # the source reads as incomplete
    del entry  # an iterator holds the store open
    monkeypatch.setattr(store, "insert_nquads", insert)
    write_sources(store, second)
    store.close()
    assert snapshot(tmp_path / "stopped") == snapshot(tmp_path / "whole")


def test_subject_batches_cut_only_between_subjects() -> None:
    lines = [f"<urn:s:{i // 3}> <urn:p> <urn:o:{i}> ." for i in range(20)]
    batches = list(loading._subject_batches(lines, 4))
    assert [line for batch in batches for line in batch] == lines
    assert all(len(batch) == 6 for batch in batches[:-1])
    subjects = [{line.split(" ", 1)[0] for line in batch} for batch in batches]
    assert all(not (a & b) for a, b in itertools.pairwise(subjects))
