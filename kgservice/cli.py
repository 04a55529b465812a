"""The ``kgservice`` command line.

Exit codes: 0 success; 1 a check ran and found problems; 2 bad input, bad usage or a missing tool.
Typed errors (:mod:`kgservice.errors`) become messages and exit codes here, in one place.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kgservice import __version__
from kgservice.bench.suite import SECTIONS as SUITE_SECTIONS
from kgservice.errors import KGServiceError


class KGServiceGroup(click.Group):
    """A click group that turns the project's typed errors into a message and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KGServiceError as exc:
            click.echo(f"kgservice: error: {exc.message}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=KGServiceGroup)
@click.version_option(__version__, prog_name="kgservice")
def cli() -> None:
    """Smart-city knowledge model: ontology checks, validation and a SPARQL 1.1 service."""


def _register_commands() -> None:
    """Attach the commands that live with their domain packages."""
    from kgservice.generator.cli import generate_command
    from kgservice.mapping.cli import map_command
    from kgservice.questions.cli import ask_command
    from kgservice.validation.cli import validate_command

    cli.add_command(generate_command, "generate")
    cli.add_command(ask_command, "ask")
    cli.add_command(map_command, "map")
    cli.add_command(validate_command, "validate")


def _store_option(*, exists: bool) -> Callable:
    return click.option(
        "--store",
        "store_path",
        type=click.Path(file_okay=False, exists=exists, path_type=Path),
        envvar="KGSERVICE_STORE",
        default=Path("var/store"),
        show_default=True,
        help="The on-disk store (also $KGSERVICE_STORE).",
    )


STORE_OPTION = _store_option(exists=False)
#: ``--store`` of a command that needs the store to exist already.
EXISTING_STORE_OPTION = _store_option(exists=True)


LOAD_GENERATOR_OPTION = click.option(
    "--client",
    "http_client",
    type=click.Choice(["auto", "wrk", "python"]),
    default="auto",
    show_default=True,
    help="HTTP load generator: wrk if installed (auto), else Python threads.",
)


def _numbers(value: str, what: str) -> list[int]:
    try:
        numbers = [int(part.replace("_", "")) for part in value.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(
            f"{what}: comma-separated whole numbers, e.g. 10000,100000"
        ) from None
    if not numbers or min(numbers) < 1:
        raise click.BadParameter(f"{what}: at least one number, each 1 or more")
    return numbers


@cli.group(invoke_without_command=True)
@click.option(
    "--people",
    default="10000",
    show_default=True,
    help="City sizes to run the whole suite for, comma-separated (e.g. 10000,100000,1000000).",
)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--runs", type=click.IntRange(min=1), default=3, show_default=True)
@click.option(
    "--sections",
    default=",".join(SUITE_SECTIONS),
    show_default=True,
    help="Which sections to run, comma-separated.",
)
@click.option(
    "--engines",
    default="fast,jena,pyshacl",
    show_default=True,
    help="Validation engines (pySHACL runs up to 100,000 people only).",
)
@click.option(
    "--timeout", type=float, default=1800, show_default=True, help="Seconds per validation engine."
)
@click.option(
    "--seconds",
    type=click.FloatRange(min=0.1),
    default=None,
    help="HTTP: seconds per query, server and client count.  [default: 10; 30 from "
    "1,000,000 people]",
)
@click.option(
    "--clients", default="1,4,16", show_default=True, help="HTTP: concurrent client counts."
)
@LOAD_GENERATOR_OPTION
@click.option(
    "--store",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep each size's loaded city in FOLDER/<people> and reuse it (questions, HTTP).",
)
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write every figure, with the machine, as JSON.",
)
@click.pass_context
def bench(
    context: click.Context,
    people: str,
    seed: int,
    runs: int,
    sections: str,
    engines: str,
    timeout: float,
    seconds: float | None,
    clients: str,
    http_client: str,
    store: Path | None,
    json_out: Path | None,
) -> None:
    """Benchmarks that print a table (figures are measured here, never asserted in tests).

    Without a subcommand: the whole suite (ingest, validation, questions, HTTP) for each city
    size of --people, and a summary beside the performance targets.
    """
    if context.invoked_subcommand is not None:
        return
    from kgservice.bench.suite import SuiteOptions, run_suite

    chosen = tuple(part.strip() for part in sections.split(",") if part.strip())
    unknown = sorted(set(chosen) - set(SUITE_SECTIONS))
    if unknown or not chosen:
        raise click.BadParameter(
            f"unknown section(s): {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(SUITE_SECTIONS)}",
            param_hint="--sections",
        )
    options = SuiteOptions(
        people=_numbers(people, "--people"),
        seed=seed,
        runs=runs,
        sections=chosen,
        engines=tuple(e.strip() for e in engines.split(",") if e.strip()),
        validation_timeout=timeout,
        seconds=seconds,
        clients=tuple(_numbers(clients, "--clients")),
        http_client=http_client,
        store=store,
    )
    text, failures = run_suite(options, json_out, echo=lambda line: click.echo(line, err=True))
    click.echo(text)
    if failures:
        raise failures[0]


@bench.command("validate")
@click.option("--people", type=click.IntRange(min=1), default=100_000, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--engines",
    default="fast,pyshacl,jena",
    show_default=True,
    help="Comma-separated: fast, pyshacl, jena.",
)
@click.option("--timeout", type=float, default=1800, show_default=True, help="Seconds per engine.")
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the figures as JSON.",
)
def bench_validate(
    people: int, seed: int, engines: str, timeout: float, json_out: Path | None
) -> None:
    """Validate a generated city with each engine: time, peak memory, same findings."""
    from kgservice.bench.validation import bench_validation
    from kgservice.bench.worker import ENGINES
    from kgservice.errors import InputError

    chosen = [e.strip() for e in engines.split(",") if e.strip()]
    unknown = sorted(set(chosen) - set(ENGINES))
    if unknown:
        raise InputError(f"unknown engine(s): {', '.join(unknown)}")
    click.echo(bench_validation(people, seed, chosen, timeout, json_out))


@bench.command("ingest")
@click.option("--people", type=click.IntRange(min=1), default=100_000, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--runs", type=click.IntRange(min=1), default=3, show_default=True)
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write every run's figures as JSON.",
)
def bench_ingest(people: int, seed: int, runs: int, json_out: Path | None) -> None:
    """Map + load a generated city into an empty store, beside `oxigraph load` on its quads."""
    from kgservice.bench.ingest import bench_ingest as run

    click.echo(run(people, seed, runs, json_out))


@bench.command("questions")
@click.option("--people", type=click.IntRange(min=1), default=10_000, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--runs", type=click.IntRange(min=1), default=5, show_default=True)
@click.option(
    "--store",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the loaded city in this folder and reuse it (same people and seed).",
)
@click.option("--only", default=None, help="Comma-separated question ids to time.")
def bench_questions(
    people: int, seed: int, runs: int, store: Path | None, only: str | None
) -> None:
    """Latency of every named question on a generated city (target: under 2 s)."""
    from kgservice.bench.questions import bench_questions as run

    chosen = frozenset(q.strip() for q in only.split(",") if q.strip()) if only else None
    echo = lambda line: click.echo(line, err=True)  # noqa: E731
    click.echo(run(people, runs, seed, echo=echo, store=store, only=chosen))


def _scratch_city_options(command: Callable) -> Callable:
    """--people, --seed and --store of the benchmarks that change a city (a copy of the kept
    one, or one loaded for them: ``bench.questions.scratch_city``)."""
    for option in reversed(
        [
            click.option("--people", type=click.IntRange(min=1), default=10_000, show_default=True),
            click.option("--seed", type=int, default=1, show_default=True),
            click.option(
                "--store",
                type=click.Path(file_okay=False, path_type=Path),
                default=None,
                help="Reuse the city kept in this folder by `bench questions --store` "
                "(it is copied).",
            ),
        ]
    ):
        command = option(command)
    return command


@bench.command("refresh")
@_scratch_city_options
@click.option(
    "--check/--no-check",
    default=False,
    show_default=True,
    help="Then rebuild graph:inferred whole and tell whether it found anything to change.",
)
def bench_refresh(people: int, seed: int, store: Path | None, check: bool) -> None:
    """How long graph:inferred takes to be right again after writes of growing reach."""
    from kgservice.bench.refresh import bench_refresh as run

    echo = lambda line: click.echo(line, err=True)  # noqa: E731
    click.echo(run(people, seed, store=store, check=check, echo=echo))


@bench.command("writes")
@_scratch_city_options
@click.option(
    "--validate/--no-validate",
    default=True,
    show_default=True,
    help="Validate the writes against the shapes (KGSERVICE_VALIDATE_WRITES=all), or not.",
)
@click.option(
    "--questions",
    is_flag=True,
    help="Answer the named questions ahead first, and count those each write makes stale.",
)
def bench_writes(
    people: int, seed: int, store: Path | None, validate: bool, questions: bool
) -> None:
    """What one small write costs through the service: time, memory, the refresh after it."""
    from kgservice.bench.writes import bench_writes as run

    echo = lambda line: click.echo(line, err=True)  # noqa: E731
    click.echo(run(people, seed, store=store, validate=validate, echo=echo, questions=questions))


@bench.command("serve")
@click.option("--people", type=click.IntRange(min=1), default=10_000, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--seconds",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds per query per server.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Keep-alive connections kept busy.",
)
@LOAD_GENERATOR_OPTION
@click.option(
    "--max-rows",
    type=click.IntRange(min=0),
    default=10_000,
    show_default=True,
    help="KGSERVICE_MAX_ROWS of the service (0: results stream from Oxigraph).",
)
@click.option(
    "--reader",
    type=click.Choice(["anonymous", "privileged"]),
    default="anonymous",
    show_default=True,
    help="privileged: send the personal-data token (no graphs hidden, union default graph).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Run the service read-only (KGSERVICE_READ_ONLY) in this many worker processes.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="KGSERVICE_THREADS of the service (and of the floors).  [default: the service's default]",
)
@click.option(
    "--store",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Reuse the city kept in this folder by `bench questions --store` (it is copied).",
)
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the figures as JSON.",
)
def bench_serve(
    people: int,
    seed: int,
    seconds: float,
    concurrency: int,
    http_client: str,
    max_rows: int,
    reader: str,
    workers: int | None,
    threads: int | None,
    store: Path | None,
    json_out: Path | None,
) -> None:
    """HTTP query throughput of `kgservice serve` beside `oxigraph serve`, same data and queries."""
    from kgservice.bench.serve import bench_serve as run

    click.echo(
        run(
            people,
            seconds,
            concurrency,
            json_out,
            seed=seed,
            client=http_client,
            max_rows=max_rows,
            reader=reader,
            workers=workers,
            threads=threads,
            kept=store,
            echo=lambda line: click.echo(line, err=True),
        )
    )


@cli.command("load")
@click.argument("sources", nargs=-1, required=True)
@STORE_OPTION
def load_command(sources: tuple[str, ...], store_path: Path) -> None:
    """Map SOURCES (files, folders or KIND=PATH) and load each into its named graph.

    Every source is read and checked first: a broken file (exit 2) loads nothing. Each source then
    replaces its graph and catalog entry atomically. The ontology is loaded too if missing. Then
    graph:inferred is rebuilt (KGSERVICE_REASONING), the quality report refreshed and the store
    compacted (as `kgservice optimize`).
    """
    from kgservice.iri import DEFAULT_SECRET, iri_secret
    from kgservice.loading import ensure_ontology, load_sources, refresh_derived
    from kgservice.serve import DEMO_SECRET_WARNING
    from kgservice.settings import load_settings
    from kgservice.store import open_embedded

    settings = load_settings()
    if iri_secret() == DEFAULT_SECRET:
        click.echo(f"kgservice: {DEMO_SECRET_WARNING}", err=True)
    store = open_embedded(store_path)
    try:
        if ensure_ontology(store):
            click.echo("ontology → <https://w3id.org/sckm/graph/ontology>")
        for loaded in load_sources(store, list(sources)):
            click.echo(
                f"{loaded.source_id} → <{loaded.graph}>: {loaded.records} records, "
                f"{loaded.triples} triples in {loaded.seconds:.1f} s"
            )
        for line in refresh_derived(store, settings.reasoning):
            click.echo(line)
        click.echo(f"store compacted in {store.optimize():.1f} s")
    finally:
        store.close()


@cli.command("reason")
@EXISTING_STORE_OPTION
def reason_command(store_path: Path) -> None:
    """Rebuild graph:inferred now (KGSERVICE_REASONING=off: drop it); print the triples added.

    Exit 0 when done; 2 when the store cannot be opened, has no graph:ontology, or a setting is
    bad.
    """
    import pyoxigraph as ox

    from kgservice.errors import InputError
    from kgservice.loading import ONTOLOGY_GRAPH
    from kgservice.reasoning import apply_mode, describe
    from kgservice.settings import load_settings
    from kgservice.store import open_embedded

    settings = load_settings()
    store = open_embedded(store_path)
    try:
        if not store.has_graph(ox.NamedNode(ONTOLOGY_GRAPH)):
            raise InputError(f"{store_path}: no <{ONTOLOGY_GRAPH}> to reason with: load it first")
        click.echo(describe(apply_mode(store, settings.reasoning)))
    finally:
        store.close()


@cli.command("optimize")
@EXISTING_STORE_OPTION
def optimize_command(store_path: Path) -> None:
    """Compact the store on disk (RocksDB): after many writes through the service, queries
    read past fewer dropped triples. `kgservice load` does it at its end.

    Exit 0 when done; 2 when the folder holds no store or the store is in use (a running
    `kgservice serve` holds it: stop it first).
    """
    from kgservice.errors import InputError
    from kgservice.store import open_embedded
    from kgservice.store.embedded import holds_store

    if not holds_store(store_path):
        raise InputError(f"{store_path}: no store there to optimize")
    store = open_embedded(store_path)
    try:
        click.echo(f"store compacted in {store.optimize():.1f} s")
    finally:
        store.close()


@cli.group()
def ontology() -> None:
    """Check the ontology and build its documentation."""


ONTOLOGY_DIR = click.option(
    "--ontology-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Folder with catalog-v001.xml and the modules "
    "(default: $KGSERVICE_ONTOLOGY_DIR or ontology/).",
)


@ontology.command("check")
@ONTOLOGY_DIR
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def ontology_check(ontology_dir: Path | None, as_json: bool) -> None:
    """Run every ontology check and print counts; exit 0 when clean, 1 otherwise."""
    from kgservice.ontology.check import run_checks
    from kgservice.ontology.files import ontology_dir as default_dir
    from kgservice.ontology.render import report_json, report_text

    report = run_checks(ontology_dir or default_dir())
    click.echo(report_json(report) if as_json else report_text(report))
    sys.exit(0 if report.passed else 1)


@ontology.command("docs")
@ONTOLOGY_DIR
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build/docs"),
    show_default=True,
    help="Folder to write the HTML pages into.",
)
def ontology_docs(ontology_dir: Path | None, out: Path) -> None:
    """Build HTML documentation of every module (pyLODE)."""
    from kgservice.ontology.docs import build_docs
    from kgservice.ontology.files import ontology_dir as default_dir

    for page in build_docs(ontology_dir or default_dir(), out):
        click.echo(str(page))


_register_commands()


@cli.command("serve")
@click.option("--host", help="Address to listen on (default $KGSERVICE_HOST or 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Port (default $KGSERVICE_PORT or 8080)."
)
@click.option(
    "--store",
    "store_path",
    type=click.Path(file_okay=False, path_type=Path),
    help="Embedded store directory (default $KGSERVICE_STORE or var/store).",
)
@click.option(
    "--store-url", help="Query URL of a remote SPARQL 1.1 store instead ($KGSERVICE_STORE_URL)."
)
@click.option(
    "--read-only",
    is_flag=True,
    default=None,
    help="Serve the loaded store read-only in several processes ($KGSERVICE_READ_ONLY).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Worker processes, with --read-only (default $KGSERVICE_WORKERS or the cores).",
)
def serve_command(
    host: str | None,
    port: int | None,
    store_path: Path | None,
    store_url: str | None,
    read_only: bool | None,
    workers: int | None,
) -> None:
    """Run the SPARQL service (granian); an empty store first gets the ontology and demo city."""
    import os

    from kgservice.serve import serve
    from kgservice.settings import load_settings

    options = {
        "HOST": host,
        "PORT": port,
        "STORE": store_path,
        "STORE_URL": store_url,
        "READ_ONLY": "true" if read_only else None,
        "WORKERS": workers,
    }
    environ = dict(os.environ)
    environ.update({f"KGSERVICE_{k}": str(v) for k, v in options.items() if v is not None})
    serve(load_settings(environ))  # options are checked like the settings they stand for
