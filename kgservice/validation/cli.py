"""``kgservice validate DATA… [--shapes DIR] [--format F] [--output FILE] [--fail-on LEVEL]``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kgservice.atomic import atomic_output
from kgservice.validation.findings import Severity
from kgservice.validation.report import FORMATS
from kgservice.validation.run import ENGINES, validate


@click.command("validate")
@click.argument("data", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--shapes",
    "shapes_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of SHACL shapes (default: shapes/).",
)
@click.option(
    "--store",
    "store_path",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also validate the contents of this store (written by kgservice load).",
)
@click.option(
    "--format",
    "report_format",
    type=click.Choice(sorted(FORMATS)),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this file instead of standard output.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["violation", "warning", "info"]),
    default="violation",
    show_default=True,
    help="Lowest severity that makes the data not conform (exit 1).",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="fast",
    show_default=True,
    help="fast: shapes compiled to SPARQL on Oxigraph; pyshacl: the reference engine.",
)
def validate_command(
    data: tuple[Path, ...],
    shapes_dir: Path | None,
    store_path: Path | None,
    report_format: str,
    output: Path | None,
    fail_on: str,
    engine: str,
) -> None:
    """Validate RDF files, city sources (CSV) or a store against the SHACL shapes.

    Exit 0 when the data conforms at the --fail-on level, 1 when it has findings, 2 on bad input.
    """
    level = Severity.from_label(fail_on)
    result = validate(list(data), shapes_dir, engine, store_path)
    text = FORMATS[report_format](result, level)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(output) as stream:
            stream.write(text.encode("utf-8"))
    sys.exit(0 if result.conforms(level) else 1)
