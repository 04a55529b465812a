"""Step 4 of the write pipeline (:mod:`kgservice.writes`): validate a write before it commits.

The shapes run, with the fast engine, over the data as it is and as it would be after the
write (the view of :mod:`kgservice.validation.dataset`: raw values, derived graphs left out).
Findings that are new make the write non-conforming: 422 with the SHACL report of the new
findings (JSON or Turtle), personal values masked. Findings the store already had never block a
write. The findings "before" are those the previous write or load left, when the data has not
changed since (:class:`~kgservice.validation.dataset.FindingsCache`), so a write usually costs
one run of the shapes.

A write that passes brings its own ``graph:quality`` to a store that keeps one (and whose write
does not remove it): the report of every finding after it (:mod:`kgservice.quality`), applied
in the same transaction as the write.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyoxigraph as ox

from kgservice.errors import NonConformingWrite
from kgservice.privacy import masked_graphs, public_graph_of
from kgservice.store.embedded import EmbeddedStore
from kgservice.validation.dataset import FINDINGS, ValidationCopy, run_shapes, validation_copy
from kgservice.validation.findings import Finding


@dataclass
class CheckedWrite:
    """A write that passed validation: the findings after it, and its ``graph:quality``."""

    fingerprint: int
    findings: list[Finding]
    quality_update: str | None  # None: the store keeps no graph:quality

    def remember(self) -> None:
        """Once committed: these are the findings of the store as it now is."""
        FINDINGS.remember(self.fingerprint, self.findings)


def check_delta(
    store: EmbeddedStore,
    delta: object,
    properties: frozenset[str],
    derived: frozenset[str],
    *,
    report: bool = True,
) -> CheckedWrite | None:
    """Raise :class:`NonConformingWrite` if the store after ``delta`` (a
    :class:`kgservice.writes.Delta`) has new findings; else what the write leaves. None if the
    write changes nothing validation reads (it only removes from derived graphs). ``report``:
    the write brings the store a new ``graph:quality``."""
    from kgservice.quality import quality_update

    started = time.perf_counter()
    removed, added = _as_validation_reads(store.oxigraph, delta, properties, derived)
    if not removed and not added:
        return None
    copy = validation_copy(store.oxigraph, derived, properties)
    before = set(FINDINGS.findings(copy))
    copy.apply(removed, added)
    after = run_shapes(copy.store)
    new = [f for f in after if f not in before]
    if new:
        raise _refusal(copy, new, sorted(delta.graphs()), time.perf_counter() - started)
    quality = quality_update(copy.store, after) if report else None
    return CheckedWrite(copy.fingerprint, after, quality)


def _as_validation_reads(
    store: ox.Store, delta: object, properties: frozenset[str], derived: frozenset[str]
) -> tuple[list[ox.Quad], list[ox.Quad]]:
    """The delta's quads that validation reads: none of a derived graph, no masked copy."""
    hidden = masked_graphs(store)
    hidden |= {  # after the write, these public graphs hold masked copies too
        public
        for q in delta.added | delta.removed
        if q.predicate.value in properties
        and (public := public_graph_of(_name(q.graph_name))) is not None
        and _name(q.graph_name) == public
    }

    def read(quad: ox.Quad) -> bool:
        graph = _name(quad.graph_name)
        masked_copy = quad.predicate.value in properties and graph in hidden
        return graph not in derived and not masked_copy

    return [q for q in delta.removed if read(q)], [q for q in delta.added if read(q)]


def _name(graph: object) -> str:
    return graph.value if isinstance(graph, ox.NamedNode) else ""


def _refusal(
    copy: ValidationCopy, findings: list[Finding], graphs: list[str], seconds: float
) -> NonConformingWrite:
    from kgservice.quality import mask_finding, raw_personal_values
    from kgservice.validation.engine import locate
    from kgservice.validation.findings import Severity
    from kgservice.validation.report import json_report, turtle_report
    from kgservice.validation.run import ValidationResult

    located = locate(copy.store, findings)
    raw = raw_personal_values(copy.store, {f.focus for f in located})
    masked = [mask_finding(f, raw) for f in located]
    result = ValidationResult(
        findings=masked,
        engine="fast",
        inputs=[g or "default" for g in graphs],
        seconds=seconds,
        triples=copy.store.quad_count(),
    )
    shapes = sorted({f.shape.rsplit("/", 1)[-1] for f in masked})
    return NonConformingWrite(
        f"the write would add {len(masked)} validation finding(s) ({', '.join(shapes)}); "
        "nothing was written",
        {
            "application/json": json_report(result, Severity.INFO),
            "text/turtle": turtle_report(result, Severity.INFO),
        },
        len(masked),
    )
