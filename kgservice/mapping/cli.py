"""``kgservice map SOURCE... --out FILE``: map city sources to RDF quads.

Each source goes into its named graph (``graph:<source id>``) and its description into
``graph:catalog``. The output file is written only when every source mapped: the quads go to a
temporary file next to it, which is renamed at the end. Input errors (``file:line: field …``)
are raised as :class:`~kgservice.errors.InputError`, which the ``kgservice`` group turns into
exit code 2.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import click
import pyoxigraph as ox

from kgservice.atomic import atomic_output
from kgservice.iri import GRAPH
from kgservice.mapping.provenance import VOID
from kgservice.namespaces import PREFIXES

FORMATS = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}


@click.command("map")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write the quads to (written only when every source maps).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(sorted(FORMATS)),
    default="nquads",
    show_default=True,
    help="RDF format of the output.",
)
def map_command(sources: tuple[str, ...], out: Path, output_format: str) -> None:
    """Map source files to RDF with the YARRRML mappings (Morph-KGC).

    A SOURCE is a file whose name says its kind (population.csv, legal_entities.csv,
    facilities.csv, divisions.csv, provinces.csv, cities.csv, areas.csv, streets.csv,
    linyi-345-3713-flat.csv, cn-cities1000.csv, china-airports-stations-ports.csv), KIND=PATH
    to force a kind, or a directory (every known file in it).
    """
    from kgservice.mapping.run import all_quads, map_sources

    mapped = map_sources(sources)
    write_quads(all_quads(mapped), out, output_format)
    for source in mapped:
        click.echo(
            f"{source.source_id}: {source.record_count} records, {source.triple_count} triples "
            f"-> <{source.graph}>"
        )
    click.echo(f"wrote {out}")


def write_quads(quads: Iterable[ox.Quad], out: Path, output_format: str = "nquads") -> None:
    """Write quads to ``out`` atomically: into a temporary file, renamed when complete."""
    prefixes = {name: str(namespace) for name, namespace in PREFIXES.items()}
    prefixes |= {"graph": str(GRAPH), "void": str(VOID)}  # no id: its IRIs would need escapes
    with atomic_output(out) as stream:
        ox.serialize(quads, stream, FORMATS[output_format], prefixes=prefixes)
