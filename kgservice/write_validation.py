"""Step 4 of the write pipeline (:mod:`kgservice.writes`): validate a write before it commits.

The shapes run, with the fast engine, over the data as it is and as it would be after the
write (the view of :mod:`kgservice.validation.dataset`: raw values, derived graphs left out).
Findings that are new make the write non-conforming: 422 with the SHACL report of the new
findings (JSON or Turtle), personal values masked. Findings the store already had never block a
write.

Most writes are validated on the focus nodes they concern only
(:mod:`kgservice.validation.local`): each rule the write reaches is checked on the nodes it
reaches, over a small copy of what it reads about them, before and after the write; a rule
that reaches tens of thousands of nodes runs apart, on a copy of its own. The rest (a change
of the ontology or the class tree, more focus nodes than the local limits, a bulk write) is
validated whole: the shapes over a copy of the store's validation view; the findings "before"
are those the previous whole run left, when the data has not changed since
(:class:`~kgservice.validation.dataset.FindingsCache`).

A write that passes brings ``graph:quality`` up to date in the same transaction, in a store
that keeps one (and whose write does not remove it): the results about the nodes it concerns
replaced, or the whole report after a whole validation (:mod:`kgservice.quality`).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import pyoxigraph as ox

from kgservice.errors import NonConformingWrite
from kgservice.privacy import masked_graphs, public_graph_of
from kgservice.store.embedded import EmbeddedStore
from kgservice.validation.dataset import FINDINGS, run_shapes, validation_copy
from kgservice.validation.findings import Finding
from kgservice.validation.local import ValidationView, WholeNeeded, check_locally, rules_for

log = logging.getLogger(__name__)


@dataclass
class CheckedWrite:
    """A write that passed validation: the findings after it (about the nodes it concerns,
    or all of them), and the update of ``graph:quality`` it brings."""

    fingerprint: int | None  # of the whole validation view; None: validated locally
    findings: list[Finding]
    quality_update: str | None  # None: the store keeps no graph:quality, or nothing changes
    focus_nodes: int | None = None  # how many focus nodes were validated; None: whole
    #: the predicates ``quality_update`` may add or remove triples of
    quality_touches: frozenset[str] = frozenset()

    def remember(self) -> None:
        """Once committed: after a whole validation, these are the findings of the store as
        it now is."""
        if self.fingerprint is not None:
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
    from kgservice.quality import (
        REPORT_PREDICATES,
        REPORT_STATE_PREDICATES,
        quality_patch,
        quality_update,
    )

    started = time.perf_counter()
    view = _validation_view(store.oxigraph, delta, properties, derived)
    removed = [q for q in delta.removed if view.reads(q)]
    added = [q for q in delta.added if view.reads(q)]
    if not removed and not added:
        return None
    graphs = sorted(delta.graphs())
    try:
        local = check_locally(store.oxigraph, view, removed, added)
    except WholeNeeded as reason:
        log.info("validating the write whole: %s", reason)
    else:
        rules, apart = len(local.whole_rules), local.apart
        log.info(
            "validated the write on %d focus node(s)%s%s in %.2f s",
            len(local.focus),
            f" ({apart} rule(s) run apart on their own)" if apart else "",
            f" and {rules} rule(s) over the whole city" if rules else "",
            time.perf_counter() - started,
        )
        if new := local.new():
            raise _refusal(local.after_data, new, graphs, time.perf_counter() - started)
        changed = set(local.before) != set(local.after)  # else the results stand
        quality = (
            quality_patch(
                local.after_data, local.checked, local.after, local.whole_rules, results=changed
            )
            if report and (local.checked or local.whole_rules)
            else None
        )
        touches = REPORT_PREDICATES if changed else REPORT_STATE_PREDICATES
        return CheckedWrite(None, local.after, quality, len(local.focus), touches)
    copy = validation_copy(store.oxigraph, derived, properties)
    before = set(FINDINGS.findings(copy))
    copy.apply(removed, added)
    after = run_shapes(copy.store)
    if new := [f for f in after if f not in before]:
        raise _refusal(copy.store, new, graphs, time.perf_counter() - started)
    quality = quality_update(copy.store, after) if report else None
    return CheckedWrite(copy.fingerprint, after, quality, quality_touches=REPORT_PREDICATES)


def prepare(store: EmbeddedStore, derived: frozenset[str]) -> threading.Thread:
    """Compile and analyse the rules for the store's class tree in a background thread (about
    2 s), so that the first validated write of a process does not wait for them."""

    def run() -> None:
        try:
            rules_for(store.oxigraph, ValidationView(derived, frozenset(), set()))
        except Exception:  # the first write will say what is wrong
            log.debug("could not prepare the validation rules", exc_info=True)

    thread = threading.Thread(target=run, name="validation-rules", daemon=True)
    thread.start()
    return thread


def _validation_view(
    store: ox.Store, delta: object, properties: frozenset[str], derived: frozenset[str]
) -> ValidationView:
    """What validation reads of the store as the write leaves it: no derived graph, no
    masked copy."""
    hidden = masked_graphs(store)
    hidden |= {  # after the write, these public graphs hold masked copies too
        public
        for q in delta.added | delta.removed
        if q.predicate.value in properties
        and (public := public_graph_of(_name(q.graph_name))) is not None
        and _name(q.graph_name) == public
    }
    return ValidationView(derived, properties, hidden)


def _name(graph: object) -> str:
    return graph.value if isinstance(graph, ox.NamedNode) else ""


def _refusal(
    data: EmbeddedStore, findings: list[Finding], graphs: list[str], seconds: float
) -> NonConformingWrite:
    from kgservice.quality import mask_finding, raw_personal_values
    from kgservice.validation.engine import locate
    from kgservice.validation.findings import Severity
    from kgservice.validation.report import json_report, turtle_report
    from kgservice.validation.run import ValidationResult

    located = locate(data, findings)
    raw = raw_personal_values(data, {f.focus for f in located})
    masked = [mask_finding(f, raw) for f in located]
    result = ValidationResult(
        findings=masked,
        engine="fast",
        inputs=[g or "default" for g in graphs],
        seconds=seconds,
        triples=data.quad_count(),
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
