"""``kgservice bench writes``: what one small write costs through the service, by city size.

A seeded city is generated and loaded as ``kgservice load`` does (or the city kept by ``bench
questions --store`` is reused), copied, and served in process by the service's own app
(writable, reasoning on, validation as ``--validate`` says). Five small writes go through its
endpoints with the write token, one after the other: a Graph Store POST of a facility's second
name, an ``INSERT DATA`` of a new facility, a ``DELETE``/``INSERT … WHERE`` that moves a
resident to another village, a ``DELETE WHERE ; INSERT DATA`` that replaces the second name,
an ``INSERT DATA`` of a new village (a division code: the county rules read codes through a
computed IRI, followed back to the IDs that hold the code, here none), and a
``DELETE``/``INSERT … WHERE`` that restates a county's code in another graph (every ID
registered in that county holds the code: the county rules run apart on those people). Six
writes in all. For each the table gives the time to
the response, the process's peak resident memory while it ran, the time until
``graph:inferred`` is right again after it (the refresher's 0.5 s wait for a quiet moment
included) and how it was refreshed. With ``--questions`` the named questions are answered
ahead into the answer cache before the first write, as ``kgservice serve`` does, and a column
says how many had to be computed again after each write: those whose queries may read a
predicate the write, its quality patch or the refresh touched (the peak memory then includes
what the answers left resident). Figures are printed, never asserted.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kgservice.bench.questions import scratch_city
from kgservice.bench.serve import machine
from kgservice.bench.worker import own_peak_mb, reset_peak_memory
from kgservice.namespaces import CITY

TOKEN = "bench-writes"
EDITS = "urn:kgservice:bench:edits"


@dataclass(frozen=True)
class WriteCost:
    write: str
    status: int
    seconds: float
    peak_mb: float | None
    refresh_seconds: float
    refresh: str  # what the refresh did
    questions_again: int | None = None  # named questions whose kept answers it made stale
    questions: int = 0


def _requests(nodes: dict[str, str]) -> list[tuple[str, dict]]:
    city = str(CITY)
    facility = (
        f"<urn:kgservice:bench:facility> a <{city}Facility> ; <{city}inDivision> "
        f"{nodes['village']} ; <{city}facilityType> {nodes['type']} ; "
        '<http://www.w3.org/2000/01/rdf-schema#label> "基准测试设施"@zh .'
    )
    person, county = nodes["person"], nodes["county"]
    code = f"{nodes['township_code']}999"
    village = (
        f"<https://w3id.org/sckm/id/division/{code}> a <{city}Village> ; "
        f'<{city}divisionCode> "{code}" ; <{city}parentDivision> {nodes["township"]} ; '
        '<http://www.w3.org/2000/01/rdf-schema#label> "基准测试村"@zh .'
    )
    return [
        (
            "Graph Store POST: a facility's second name",
            {
                "path": "/store",
                "query_string": {"graph": EDITS},
                "data": f"{nodes['facility']} <http://www.w3.org/2000/01/rdf-schema#label> "
                '"另一个名称"@zh .'.encode(),
                "content_type": "text/turtle",
            },
        ),
        (
            "INSERT DATA: a new facility in a village",
            {
                "path": "/sparql",
                "data": {"update": f"INSERT DATA {{ GRAPH <{EDITS}> {{ {facility} }} }}"},
            },
        ),
        (
            "DELETE/INSERT WHERE: a resident moves",
            {
                "path": "/sparql",
                "data": {
                    "update": (
                        f"DELETE {{ GRAPH ?g {{ {person} <{city}residence> ?v }} }}\n"
                        f"INSERT {{ GRAPH ?g {{ {person} <{city}residence> {nodes['other']} }} }}\n"
                        f"WHERE {{ GRAPH ?g {{ {person} <{city}residence> ?v }} }}"
                    )
                },
            },
        ),
        (
            "DELETE WHERE ; INSERT DATA: the second name replaced",
            {
                "path": "/sparql",
                "data": {
                    "update": (
                        f"DELETE WHERE {{ GRAPH <{EDITS}> {{ {nodes['facility']} "
                        "<http://www.w3.org/2000/01/rdf-schema#label> ?name } } ;\n"
                        f"INSERT DATA {{ GRAPH <{EDITS}> {{ {nodes['facility']} "
                        '<http://www.w3.org/2000/01/rdf-schema#label> "第三个名称"@zh } }'
                    )
                },
            },
        ),
        (
            "INSERT DATA: a new village (a division code)",
            {
                "path": "/sparql",
                "data": {"update": f"INSERT DATA {{ GRAPH <{EDITS}> {{ {village} }} }}"},
            },
        ),
        (
            "DELETE/INSERT WHERE: a county's code restated in another graph",
            {
                "path": "/sparql",
                "data": {
                    "update": (
                        f"DELETE {{ GRAPH ?g {{ {county} <{city}divisionCode> ?code }} }}\n"
                        f"INSERT {{ GRAPH <{EDITS}> {{ {county} <{city}divisionCode> ?code }} }}\n"
                        f"WHERE {{ GRAPH ?g {{ {county} <{city}divisionCode> ?code }} }}"
                    )
                },
            },
        ),
    ]


def _nodes(store) -> dict[str, str]:
    """A resident, their village and another of the same township (and its code), and its
    county; a facility and its type."""
    city = str(CITY)
    rows = store.query(
        f"PREFIX city: <{city}>\n"
        "SELECT ?village ?other ?person ?township ?township_code ?county ?facility ?type WHERE {\n"
        "  { SELECT ?person ?village ?other ?township WHERE {\n"
        "    ?person city:residence ?village . ?village city:parentDivision ?township .\n"
        "    ?other city:parentDivision ?township ; a city:Village FILTER(?other != ?village)\n"
        "  } LIMIT 1 }\n"
        "  ?township city:divisionCode ?township_code ; city:parentDivision ?county .\n"
        "  { SELECT ?facility ?type WHERE { ?facility city:facilityType ?type } LIMIT 1 }\n"
        "}"
    )
    names = ("village", "other", "person", "township", "county", "facility", "type")
    for row in rows:  # type: ignore[union-attr]
        nodes = {name: str(row[name]) for name in names}  # type: ignore[index]
        return {**nodes, "township_code": row["township_code"].value}  # type: ignore[index]
    raise LookupError("the city has no resident with a village beside theirs, or no facility")


def time_writes(
    path: Path, validate: bool, echo: Callable[[str], None], questions: bool = False
) -> list[WriteCost]:
    from kgservice.questions import load_catalog
    from kgservice.settings import load_settings
    from kgservice.store.embedded import open_embedded
    from kgservice.web.app import create_app
    from kgservice.web.state import EXTENSION
    from kgservice.web.warming import warm_questions, warm_requests

    settings = load_settings(
        {
            "KGSERVICE_STORE": str(path),
            "KGSERVICE_WRITE_TOKEN": TOKEN,
            "KGSERVICE_AUDIT_LOG": "off",
            "KGSERVICE_QUERY_TIMEOUT": "3600",
            "KGSERVICE_VALIDATE_WRITES": "all" if validate else "none",
        }
    )
    store = open_embedded(path)
    try:
        app = create_app(settings, store)
        state = app.extensions[EXTENSION]
        client = app.test_client()
        asked = warm_requests(load_catalog().values()) if questions else []
        if asked:
            warmed = warm_questions(state, asked)
            echo(f"{warmed.kept} named questions answered ahead in {warmed.seconds:.1f} s")
        costs = []
        for name, request in _requests(_nodes(store)):
            before = getattr(state.reasoner, "last", None)
            reset_peak_memory()
            started = time.perf_counter()
            response = client.post(
                request.pop("path"), headers={"Authorization": f"Bearer {TOKEN}"}, **request
            )
            seconds = time.perf_counter() - started
            peak = own_peak_mb()
            refreshed = time.perf_counter()
            if state.reasoner is not None:
                state.reasoner.wait(3600)
            refresh_seconds = time.perf_counter() - refreshed
            last = getattr(state.reasoner, "last", None)
            done = _refresh_kind(last if last is not before else None)
            again = warm_questions(state, asked).computed if asked else None
            costs.append(
                WriteCost(
                    name,
                    response.status_code,
                    seconds,
                    peak,
                    refresh_seconds,
                    done,
                    again,
                    len(asked),
                )
            )
            echo(f"{name}: {response.status_code} in {seconds:.1f} s")
    finally:
        store.close()
    return costs


def _refresh_kind(last: object) -> str:
    from kgservice.local_reasoning import LocalRefresh

    if last is None:
        return "none"
    return "around the change" if isinstance(last, LocalRefresh) else "whole"


def table(people: int, validate: bool, costs: list[WriteCost]) -> str:
    asked = any(c.questions_again is not None for c in costs)
    lines = [
        f"One small write through the service, a city of {people:,} people "
        f"(validation {'on' if validate else 'off'}, reasoning on"
        f"{', named questions answered ahead' if asked else ''})",
        f"Machine: {machine()}",
        "",
        "| write | status | time (s) | peak memory (MB) | graph:inferred right again after (s) |"
        + (" named questions computed again |" if asked else ""),
        "|---|---:|---:|---:|---|" + ("---:|" if asked else ""),
    ]
    for c in costs:
        peak = "—" if c.peak_mb is None else f"{c.peak_mb:,.0f}"
        again = f" {c.questions_again} of {c.questions} |" if asked else ""
        lines.append(
            f"| {c.write} | {c.status} | {c.seconds:.2f} | {peak} | "
            f"{c.refresh_seconds:.2f} ({c.refresh}) |{again}"
        )
    return "\n".join(lines)


def bench_writes(
    people: int,
    seed: int = 1,
    store: Path | None = None,
    validate: bool = True,
    echo: Callable[[str], None] = lambda line: None,
    questions: bool = False,
) -> str:
    """Load a city (or copy the one kept in ``store``), time six small writes on it (with
    ``questions``, the named questions answered ahead and counted again after each)."""
    with tempfile.TemporaryDirectory(prefix="kgservice-bench-writes-") as scratch:
        path = scratch_city(people, seed, store, Path(scratch), echo)
        costs = time_writes(path, validate, echo, questions)
    return table(people, validate, costs)
