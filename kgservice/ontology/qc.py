"""Ontology quality checks as named SPARQL files: ``ontology/sparql/<check>-violation.rq``.

Each file selects the violations of one rule, so zero rows means the rule holds. The leading
``#`` comment of a file is its description.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

SUFFIX = "-violation.rq"


@dataclass(frozen=True)
class QcResult:
    """The outcome of one named check: the rows it selected are its violations."""

    name: str
    description: str
    rows: list[dict[str, str]]

    @property
    def passed(self) -> bool:
        return not self.rows


def qc_files(folder: Path) -> list[Path]:
    """Return the check files of ``folder``, sorted by name."""
    return sorted(folder.glob(f"*{SUFFIX}"))


def describe(query_text: str) -> str:
    """Return the description written in a query's leading comment lines."""
    lines = []
    for line in query_text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").strip())
    return " ".join(lines)


def run_check(graph: Graph, path: Path) -> QcResult:
    """Run the check in ``path`` over ``graph``."""
    text = path.read_text(encoding="utf-8")
    rows = [
        {str(var): str(value) for var, value in row.asdict().items()}
        for row in graph.query(text)  # type: ignore[union-attr]
    ]
    return QcResult(path.name.removesuffix(SUFFIX), describe(text), rows)


def run_all(graph: Graph, folder: Path) -> list[QcResult]:
    """Run every check of ``folder`` over ``graph``."""
    return [run_check(graph, path) for path in qc_files(folder)]
