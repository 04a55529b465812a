"""``kgservice ask``: answer a named question on the command line.

It reads the store as an anonymous reader of the service would (raw personal data hidden)
unless ``--personal-data`` is given: having the store on disk is not a reason to print citizen
ID numbers on a terminal by default.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

import click

from kgservice.errors import InputError

FORMATS = {"json": "json", "csv": "csv", "tsv": "tsv", "xml": "xml", "table": "csv"}


@click.command("ask")
@click.argument("question_id", required=False)
@click.option(
    "--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="A parameter value."
)
@click.option(
    "--store",
    "store_path",
    type=click.Path(file_okay=False, path_type=Path),
    help="Embedded store directory (default $KGSERVICE_STORE or var/store).",
)
@click.option("--store-url", help="Query URL of a remote SPARQL 1.1 store ($KGSERVICE_STORE_URL).")
@click.option(
    "--format", "output_format", type=click.Choice(list(FORMATS)), default="table",
    show_default=True,
)  # fmt: skip
@click.option("--list", "list_only", is_flag=True, help="List the questions and their parameters.")
@click.option("--show-query", is_flag=True, help="Print the bound SPARQL instead of running it.")
@click.option("--personal-data", is_flag=True, help="Show raw personal data (hidden by default).")
def ask_command(
    question_id: str | None,
    params: tuple[str, ...],
    store_path: Path | None,
    store_url: str | None,
    output_format: str,
    list_only: bool,
    show_query: bool,
    personal_data: bool,
) -> None:
    """Answer a named question (kgservice ask --list shows them)."""
    from kgservice.questions import bind, bound_query, load_catalog

    catalog = load_catalog()
    if list_only or question_id is None:
        click.echo(_listing(catalog))
        return
    question = catalog.get(question_id)
    if question is None:
        raise InputError(f"no question {question_id!r}: kgservice ask --list shows them")
    text = bound_query(question, bind(question, _parse_params(params)))
    if show_query:
        click.echo(text, nl=False)
        return
    as_table = output_format == "table"
    fmt = "json" if as_table and question.form != "SELECT" else FORMATS[output_format]
    body = _run(text, store_path, store_url, fmt, personal_data)
    if as_table and question.form == "SELECT":
        click.echo(_table(body.decode("utf-8")))
    elif as_table:
        click.echo("true" if json.loads(body).get("boolean") else "false")
    else:
        sys.stdout.buffer.write(body)


def _parse_params(params: tuple[str, ...]) -> dict[str, str]:
    raw: dict[str, str] = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InputError(f"--param {item!r}: expected NAME=VALUE")
        raw[name] = f"{raw[name]},{value}" if name in raw else value
    return raw


def _run(
    text: str, store_path: Path | None, store_url: str | None, fmt: str, personal_data: bool
) -> bytes:
    from kgservice.privacy import is_personal_graph, personal_properties
    from kgservice.protocol.params import QueryRequest
    from kgservice.settings import load_settings
    from kgservice.sparql.execute import Limits, answer_query, prepare_query
    from kgservice.store import open_store

    environ = dict(os.environ)
    if store_path is not None:
        environ["KGSERVICE_STORE"] = str(store_path)
    if store_url is not None:
        environ["KGSERVICE_STORE_URL"] = store_url
    settings = load_settings(environ)
    if not settings.store_url and not settings.store.exists():
        raise InputError(f"{settings.store}: no store there (kgservice load, or --store PATH)")
    limits = Limits(
        max_rows=settings.max_rows,
        max_query_bytes=settings.max_query_bytes,
        max_query_depth=settings.max_query_depth,
        allowed_remote=settings.allowed_remote,
    )
    store = open_store(settings)
    try:
        prepared = prepare_query(
            store,
            QueryRequest(text),
            limits,
            None,
            fmt,
            hidden=None if personal_data else is_personal_graph,
            hidden_predicates=frozenset() if personal_data else personal_properties(),
        )
        answer = answer_query(store, prepared, limits)
        chunks: list[bytes] = []
        answer.write_body(chunks.append)
        return b"".join(chunks)
    finally:
        store.close()


def _table(csv_text: str) -> str:
    rows = list(csv.reader(io.StringIO(csv_text)))
    if not rows:
        return ""
    widths = [max(_width(row[i]) for row in rows if i < len(row)) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    lines.append(f"({len(rows) - 1} rows)")
    return "\n".join(lines)


def _width(text: str) -> int:
    """Columns a text takes in a terminal: CJK characters take two."""
    return sum(2 if ord(c) >= 0x1100 and not 0xFF61 <= ord(c) <= 0xFFDC else 1 for c in text)


def _listing(catalog: dict) -> str:
    lines = []
    for question in catalog.values():
        lines.append(f"{question.id}: {question.title['zh']} / {question.title['en']}")
        for parameter in question.parameters:
            default = f" = {parameter.default}" if parameter.default is not None else ""
            needed = " (required)" if parameter.required else ""
            lines.append(f"    --param {parameter.name}=<{parameter.type}>{default}{needed}")
    return "\n".join(lines)
