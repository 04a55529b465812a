"""The ``kgservice generate`` command (registered by :mod:`kgservice.cli`)."""

from __future__ import annotations

from pathlib import Path

import click

from kgservice.generator import GeneratorConfig, generate_city


@click.command("generate")
@click.option("--people", type=int, required=True, help="Number of residents (1 or more).")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the five files into (created when missing).",
)
@click.option(
    "--bad-share",
    type=float,
    default=0.01,
    show_default=True,
    help="Share of records made deliberately bad, 0 to 0.5 (listed in manifest.json).",
)
@click.option(
    "--entities-per-1000",
    type=float,
    default=80,
    show_default=True,
    help="Legal entities per 1,000 residents.",
)
@click.option(
    "--facilities-per-1000",
    type=float,
    default=15,
    show_default=True,
    help="Facilities per 1,000 residents.",
)
def generate_command(
    people: int,
    seed: int,
    out: Path,
    bad_share: float,
    entities_per_1000: float,
    facilities_per_1000: float,
) -> None:
    """Generate a synthetic city in Linyi's real divisions: same arguments, same bytes."""
    config = GeneratorConfig(
        people=people,
        seed=seed,
        bad_share=bad_share,
        entities_per_1000=entities_per_1000,
        facilities_per_1000=facilities_per_1000,
    )
    city = generate_city(config, out)
    click.echo(
        f"{out}: {len(city.divisions)} divisions, {len(city.people)} population rows, "
        f"{len(city.entities)} legal entities, {len(city.facilities)} facilities, "
        f"{len(city.bad_records)} bad records"
    )
