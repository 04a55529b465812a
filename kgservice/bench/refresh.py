"""``kgservice bench refresh``: how long ``graph:inferred`` takes to be right again after a write.

A seeded city is generated and loaded as ``kgservice load`` does (or the city kept by ``bench
questions --store`` is reused), and copied, so the kept city stays as it was. On the copy, six
writes of growing reach are made one after the other, from a new facility in a village to a
county detached from its city; after each, the service's refresh around what the write changed
(:func:`kgservice.local_reasoning.refresh_around`) runs, and the table gives its time, the
process's peak resident memory while it ran (store caches included), and what it read and
changed. With ``check``, ``graph:inferred`` is then rebuilt whole (:func:`materialise`, what
each write cost before) and the table says whether that found anything to add or remove, which
it must not. Figures are printed, never asserted.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kgservice.bench.questions import scratch_city
from kgservice.bench.serve import machine
from kgservice.bench.worker import own_peak_mb, reset_peak_memory
from kgservice.namespaces import CITY
from kgservice.store.embedded import EmbeddedStore

EDITS = "urn:kgservice:bench:edits"  # the graph the writes add to


@dataclass(frozen=True)
class Write:
    name: str
    update: str


@dataclass(frozen=True)
class Refreshed:
    write: str
    seconds: float
    peak_mb: float | None
    changed: int
    region: int
    facts: int
    added: int
    removed: int
    locally: bool


def writes(store: EmbeddedStore) -> list[Write]:
    """The writes, on nodes of this city: a village with residents, its township and county."""
    city = str(CITY)

    def one(query: str) -> str:
        solutions = store.query(f"PREFIX city: <{city}>\n{query}")
        for row in solutions:  # type: ignore[union-attr]
            return str(row[0])  # type: ignore[index]
        raise LookupError(f"the city has no node for: {query}")

    village = one("SELECT ?v WHERE { ?p city:residence ?v . ?v a city:Village } LIMIT 1")
    township = one(f"SELECT ?t WHERE {{ {village} city:parentDivision ?t }}")
    county = one(f"SELECT ?c WHERE {{ {township} city:parentDivision ?c }}")
    prefecture = one(f"SELECT ?c WHERE {{ {county} city:parentDivision ?c }}")
    other_village = one(
        f"SELECT ?v WHERE {{ ?v city:parentDivision {township} FILTER(?v != {village}) }} LIMIT 1"
    )
    other_township = one(
        f"SELECT ?t WHERE {{ ?t city:parentDivision {county} FILTER(?t != {township}) }} LIMIT 1"
    )
    other_county = one(
        f"SELECT ?c WHERE {{ ?c city:parentDivision {prefecture} FILTER(?c != {county}) }} LIMIT 1"
    )
    entity = one(f"SELECT ?e WHERE {{ ?e city:registrationDivision {county} }} LIMIT 1")
    person = one(f"SELECT ?p WHERE {{ ?p city:residence {village} }} LIMIT 1")

    def move(node: str, prop: str, to: str) -> str:
        return (
            f"DELETE WHERE {{ GRAPH ?g {{ {node} <{city}{prop}> ?x }} }} ;\n"
            f"INSERT DATA {{ GRAPH <{EDITS}> {{ {node} <{city}{prop}> {to} }} }}"
        )

    facility = "<urn:kgservice:bench:facility>"
    return [
        Write(
            "new facility in a village",
            f"INSERT DATA {{ GRAPH <{EDITS}> {{ {facility} a <{city}Facility> ; "
            f"<{city}inDivision> {village} }} }}",
        ),
        Write(
            "legal entity moved to another county",
            move(entity, "registrationDivision", other_county),
        ),
        Write("resident moved to another village", move(person, "residence", other_village)),
        Write("village moved to another township", move(village, "parentDivision", other_township)),
        Write("township moved to another county", move(township, "parentDivision", other_county)),
        Write(
            "county detached from its prefecture",
            f"DELETE WHERE {{ GRAPH ?g {{ {county} <{city}parentDivision> ?x }} }}",
        ),
    ]


def changed_quads(store: EmbeddedStore, write: Write) -> set[ox.Quad]:
    """Run ``write`` and return the quads it added or removed (those about the IRIs it names:
    a write here changes nothing else)."""
    from kgservice.reasoning import DERIVED_GRAPHS

    nodes = [ox.NamedNode(iri) for iri in sorted(set(re.findall(r"<([^>]+)>", write.update)))]

    def about() -> set[ox.Quad]:
        pattern = store.oxigraph.quads_for_pattern
        found = set()
        for node in nodes:
            for quad in [*pattern(node, None, None, None), *pattern(None, None, node, None)]:
                graph = quad.graph_name
                if not (isinstance(graph, ox.NamedNode) and graph.value in DERIVED_GRAPHS):
                    found.add(quad)
        return found

    before = about()
    store.update(write.update)
    return before ^ about()


def refresh_after_writes(store: EmbeddedStore, echo: Callable[[str], None]) -> list[Refreshed]:
    from kgservice.local_reasoning import input_changes, refresh_around

    results = []
    for write in writes(store):
        changed = input_changes(changed_quads(store, write))
        reset_peak_memory()
        started = time.perf_counter()
        local = refresh_around(store, changed or set())
        seconds = time.perf_counter() - started
        if local is None:
            results.append(Refreshed(write.name, seconds, own_peak_mb(), 0, 0, 0, 0, 0, False))
            echo(f"{write.name}: too wide for a local refresh")
            continue
        results.append(
            Refreshed(
                write.name, seconds, own_peak_mb(), local.changed, local.region,
                local.facts, local.added, local.removed, True,
            )
        )  # fmt: skip
        echo(f"{write.name}: {seconds:.2f} s")
    return results


def check_whole(store: EmbeddedStore) -> str:
    """Rebuild graph:inferred whole after the local refreshes: what it found to change."""
    from kgservice.reasoning import materialise

    reset_peak_memory()
    whole = materialise(store)
    verdict = "same as the local refreshes" if not (whole.added or whole.removed) else "DIFFERS"
    peak = own_peak_mb()
    return (
        f"Rebuilt whole afterwards: {whole.added:,} added, {whole.removed:,} removed "
        f"({verdict}); {whole.seconds:.1f} s, peak {peak or 0:,.0f} MB"
    )


def table(people: int, results: list[Refreshed], whole: str | None) -> str:
    lines = [
        f"graph:inferred refreshed after each write, a city of {people:,} people",
        f"Machine: {machine()}",
        "",
        "| write | refresh (s) | peak memory (MB) | changed facts | nodes | facts read "
        "| added | removed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        peak = "—" if r.peak_mb is None else f"{r.peak_mb:,.0f}"
        if not r.locally:
            lines.append(f"| {r.write} | too wide: rebuilt whole | {peak} | | | | | |")
            continue
        lines.append(
            f"| {r.write} | {r.seconds:.2f} | {peak} | {r.changed:,} | {r.region:,} | "
            f"{r.facts:,} | {r.added:,} | {r.removed:,} |"
        )
    if whole is not None:
        lines += ["", whole]
    return "\n".join(lines)


def bench_refresh(
    people: int,
    seed: int = 1,
    store: Path | None = None,
    check: bool = False,
    echo: Callable[[str], None] = lambda line: None,
) -> str:
    """Load a city (or reuse the one kept in ``store``), copy it, time the refreshes."""
    from kgservice.store.embedded import open_embedded

    with tempfile.TemporaryDirectory(prefix="kgservice-bench-refresh-") as scratch:
        opened = open_embedded(scratch_city(people, seed, store, Path(scratch), echo))
        try:
            results = refresh_after_writes(opened, echo)
            whole = check_whole(opened) if check else None
        finally:
            opened.close()
    return table(people, results, whole)
