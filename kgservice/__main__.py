"""``python -m kgservice`` runs the command line."""

from kgservice.cli import cli

cli()
