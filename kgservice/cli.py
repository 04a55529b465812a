"""The ``kgservice`` command line.

Exit codes: 0 success; 1 a check ran and found problems; 2 bad input, bad usage or a missing tool.
Typed errors (:mod:`kgservice.errors`) become messages and exit codes here, in one place.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from kgservice import __version__
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
