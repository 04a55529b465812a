"""``kgservice bench serve --workers N``: the service runs read-only in N processes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kgservice.bench.serve import service_server
from kgservice.cli import cli


def test_workers_serve_the_store_read_only(tmp_path: Path) -> None:
    server = service_server(tmp_path / "store", tmp_path, 8, 100, None, 2)
    assert server.env is not None
    assert server.env["KGSERVICE_READ_ONLY"] == "true"
    assert server.env["KGSERVICE_WORKERS"] == "2"
    assert "KGSERVICE_READ_ONLY" not in (service_server(tmp_path, tmp_path, 8, 100).env or {})


def test_bench_serve_with_two_read_only_workers(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(
        cli,
        [
            "bench", "serve", "--people", "50", "--seconds", "0.5", "--concurrency", "2",
            "--client", "python", "--workers", "2", "--threads", "3", "--json", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2 read-only workers × 3 threads" in result.output
    assert "same granian workers (2 × 3 threads)" in result.output
    body = json.loads(out.read_text(encoding="utf-8"))
    assert body["setup"]["workers"] == 2
    assert body["setup"]["threads"] == 3
    assert all(row["errors"] == 0 and row["requests"] > 0 for row in body["rows"])
