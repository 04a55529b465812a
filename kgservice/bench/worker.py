"""One validation engine on one N-Triples file, in a process of its own (``python -m``);
also the preparation of that file (``prepare PEOPLE SEED DIR``).

Prints one JSON object: seconds, peak resident memory (this process or, for Jena, its Java
child, whichever is larger) and the findings as sorted (focus, shape, component, severity) keys.
"""

from __future__ import annotations

import contextlib
import json
import resource
import sys
import time
from pathlib import Path

from rdflib import Graph

Key = tuple[str, str, str, str]


def run_fast(data: Path, shapes_dir: Path) -> set[Key]:
    from kgservice.store.embedded import open_embedded
    from kgservice.validation.compile import SubclassIndex, compile_shapes
    from kgservice.validation.engine import run_rules
    from kgservice.validation.run import load_rdf_file, load_shapes

    store = open_embedded(None)
    load_rdf_file(store, data)
    rules = compile_shapes(load_shapes(shapes_dir), SubclassIndex.from_store(store))
    return {f.key for f in run_rules(store, rules)}


def run_pyshacl(data: Path, shapes_dir: Path) -> set[Key]:
    from kgservice.validation.engine import pyshacl_findings
    from kgservice.validation.run import load_shapes

    graph = Graph().parse(data, format="nt")
    return {f.key for f in pyshacl_findings(graph, load_shapes(shapes_dir))}


def run_jena(data: Path, shapes_dir: Path) -> set[Key]:
    from kgservice.validation.jena import (
        JVM_THROUGHPUT_OPTIONS,
        jena_shacl_validate,
        report_keys,
    )

    shapes = sorted(shapes_dir.glob("*.ttl"))
    report = jena_shacl_validate(shapes, data, timeout=86400, jvm_options=JVM_THROUGHPUT_OPTIONS)
    return report_keys(report)


ENGINES = {"fast": run_fast, "pyshacl": run_pyshacl, "jena": run_jena}


def peak_mb() -> float:
    """Peak resident memory of this process (``VmHWM``, which starts afresh at exec, unlike
    ``ru_maxrss``) or of its largest child (Jena's JVM), in MB."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    return max(own_peak_mb() or 0.0, children)


def reset_peak_memory() -> None:
    """Start this process's peak resident memory (``VmHWM``) afresh at its current size (Linux
    4.0 and later: ``5`` written to ``/proc/self/clear_refs``; elsewhere nothing happens)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def own_peak_mb() -> float | None:
    """This process's peak resident memory (``VmHWM``: since exec or the last
    :func:`reset_peak_memory`), in MB; ``None`` where ``/proc`` does not tell it."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def prepare(people: int, seed: int, workdir: Path) -> None:
    """Generate and map a city; write it and the ontology as ``city.nt`` (its own process, so the
    engines' processes start from a small parent)."""
    import pyoxigraph as ox

    from kgservice.generator import GeneratorConfig, generate_city
    from kgservice.ontology.files import load_model
    from kgservice.validation.run import build_store

    city = workdir / "city"
    generate_city(GeneratorConfig(people=people, seed=seed), city)
    store = build_store([city], load_model(), None)
    with (workdir / "city.nt").open("wb") as out:
        for name in store.oxigraph.named_graphs():
            out.write(store.oxigraph.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=name))
    print(json.dumps({"triples": store.quad_count()}))


def main() -> None:
    if sys.argv[1] == "prepare":
        prepare(int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
        return
    engine, data, shapes_dir = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    started = time.perf_counter()
    keys = ENGINES[engine](data, shapes_dir)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(), "findings": sorted(keys)}))


if __name__ == "__main__":
    main()
