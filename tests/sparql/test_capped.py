"""The first lines of an engine's serialisation, and whether there were more (the row cap)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kgservice.sparql.capped import head_lines

TSV = ox.QueryResultsFormat.TSV
EX = "http://example.org/"


@pytest.fixture(scope="module")
def store() -> ox.Store:
    store = ox.Store()
    store.bulk_extend(
        ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(f"{EX}p"), ox.Literal(f"line\nbreak\t{i}"))
        for i in range(30_000)
    )
    return store


def _rows(store: ox.Store, limit: int) -> tuple[list[ox.QuerySolution], bool]:
    query = f"SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }} ORDER BY ?s LIMIT {limit}"
    tsv, cut = head_lines(lambda out: store.query(query).serialize(out, TSV), 3 + 1)
    return list(ox.parse_query_results(tsv, TSV)), cut


def test_fewer_or_as_many_lines_as_the_limit_are_whole(store: ox.Store) -> None:
    for limit in (0, 2, 3):
        rows, cut = _rows(store, limit)
        assert not cut and len(rows) == limit


def test_more_lines_are_cut_at_the_limit(store: ox.Store) -> None:
    rows, cut = _rows(store, 4)
    assert cut and len(rows) == 3


def test_line_breaks_inside_literals_are_escaped_so_rows_are_lines(store: ox.Store) -> None:
    rows, _ = _rows(store, 10)
    assert [row["o"].value for row in rows] == sorted(f"line\nbreak\t{i}" for i in range(30_000))[
        :3
    ]


def test_the_engine_is_stopped_once_enough_is_written(store: ox.Store) -> None:
    writes: list[int] = []

    def serialize(out) -> None:
        class Counting:
            def write(self, data) -> int:
                writes.append(len(data))
                return out.write(data)

        store.query(f"SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }}").serialize(Counting(), TSV)

    whole = store.query(f"SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }}").serialize(format=TSV)
    data, cut = head_lines(serialize, 5)
    assert cut and data.count(b"\n") == 5
    assert sum(writes) < len(whole) / 20  # a few chunks of a result of about 1.5 MB
