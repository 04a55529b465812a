"""Apache Jena's SHACL engine and pySHACL agree on every fixture of ``tests/shapes/data``.

Each fixture is merged with the ontology and the background divisions into one N-Triples file
that both engines read; their verdicts and their sets of (focus, source shape, component,
severity) must be identical. Jena (one JVM per fixture, about 2 s each) runs in a thread pool
while pySHACL works in the main thread.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from rdflib import Graph

from kgservice.errors import InputError, ToolMissingError
from kgservice.validation.jena import (
    JENA_JARS,
    JenaMissing,
    jena_classpath,
    jena_shacl_validate,
    report_conforms,
    report_keys,
    xerces_fix_dir,
)
from tests.shapes.support import (
    data_graph,
    fixture_files,
    pyshacl_report,
    shape_files,
)

FIXTURES = fixture_files()


@pytest.fixture(scope="module")
def jena_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A throw-away ``XDG_CACHE_HOME``, so that the Xerces fix is made afresh once."""
    cache = tmp_path_factory.mktemp("xdg-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(cache))
        yield cache


@pytest.fixture(scope="module")
def merged_files(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Path]:
    """Each fixture merged with the ontology and the background data, as N-Triples."""
    folder = tmp_path_factory.mktemp("merged")
    out = {}
    for path in FIXTURES:
        target = folder / (path.name.removesuffix(".ttl") + ".nt")
        data_graph(path).serialize(target, format="nt", encoding="utf-8")
        out[path] = target
    return out


@pytest.fixture(scope="module")
def jena_reports(
    jena_cache: Path, merged_files: dict[Path, Path]
) -> Iterator[dict[Path, Future[tuple[Graph, float]]]]:
    """Jena's report on every fixture, computed in the background (one JVM per fixture)."""
    xerces_fix_dir()  # made once before the threads race for it

    def run(data: Path) -> tuple[Graph, float]:
        started = time.perf_counter()
        report = jena_shacl_validate(shape_files(), data)
        return report, time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        yield {path: pool.submit(run, merged) for path, merged in merged_files.items()}


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_jena_and_pyshacl_agree(path: Path, jena_reports: dict[Path, Future]) -> None:
    ours = pyshacl_report(path)
    theirs, seconds = jena_reports[path].result()
    assert report_keys(theirs) == report_keys(ours)
    assert report_conforms(theirs) == (not report_keys(ours))
    assert seconds < 60


def test_jena_timing(jena_reports: dict[Path, Future]) -> None:
    """Report Jena's wall time per fixture (shown with ``pytest -rP``)."""
    times = sorted(f.result()[1] for f in jena_reports.values())
    print(
        f"Jena SHACL on {len(times)} fixtures: median {times[len(times) // 2]:.2f} s, "
        f"min {times[0]:.2f} s, max {times[-1]:.2f} s per run"
    )
    assert times


# --- the helper itself ------------------------------------------------------------------------


def test_xerces_fix_puts_the_message_bundles_where_the_classes_moved(jena_cache: Path) -> None:
    folder = xerces_fix_dir()
    assert folder.is_relative_to(jena_cache / "kgservice" / "jena-fix")
    assert (folder / "xerces" / "impl" / "msg" / "XMLSchemaMessages.properties").is_file()
    assert xerces_fix_dir() == folder  # cached


def test_missing_jars_raise_tool_missing(tmp_path: Path) -> None:
    with pytest.raises(JenaMissing) as raised:
        jena_classpath(tmp_path)
    assert isinstance(raised.value, ToolMissingError)
    assert "libapache-jena-java" in raised.value.message
    assert JENA_JARS[0] in raised.value.message


def test_missing_input_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        jena_shacl_validate(shape_files(), tmp_path / "missing.ttl")


def test_unreadable_data_is_an_input_error(tmp_path: Path, jena_cache: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .\n", encoding="utf-8")
    with pytest.raises(InputError, match="Jena SHACL failed"):
        jena_shacl_validate(shape_files()[:1], broken)
