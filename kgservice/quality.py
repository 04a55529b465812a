"""The data-quality graph: the store's validation findings as a SHACL report in the store.

``graph:quality`` holds one ``sh:ValidationReport`` (``id:report/quality``) with one
``sh:ValidationResult`` per finding of the shapes over the store's data (the fast engine,
:mod:`kgservice.validation`, on the raw values as validation always reads them): focus node,
source shape and constraint component, severity, path, messages in Chinese and English. A
focus node made from a record keeps its ``prov:wasDerivedFrom`` link in the source graphs, so a
query can count findings per department and per rule (the questions of the catalogue do).

The graph is public, so it must not carry raw personal data: a finding's ``sh:value`` and its
messages (which quote values, e.g. "{?value}") have every raw personal value of their focus node
replaced by its masked form (:func:`kgservice.privacy.mask_value`), as the public graphs hold it.
The report replaces the graph in one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Iterable

import pyoxigraph as ox
from rdflib.namespace import PROV, RDF, SH, XSD

from kgservice.iri import graph_iri
from kgservice.namespaces import ID
from kgservice.privacy import mask_value, personal_properties, unmasked_quads
from kgservice.store.embedded import EmbeddedStore, open_embedded
from kgservice.validation.findings import Finding

QUALITY_GRAPH = ox.NamedNode(str(graph_iri("quality")))
REPORT = ox.NamedNode(f"{ID}report/quality")


def _node(iri: object) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


def validate_store(store: EmbeddedStore) -> list[Finding]:
    """The findings of the repository's shapes over ``store``'s raw data (and the ontology).

    Neither this report nor ``graph:inferred`` is read: findings are about what the sources
    say (the engine follows the class hierarchy itself), and an inferred triple has no record
    to point at.
    """
    from kgservice.reasoning import INFERRED_GRAPH
    from kgservice.validation.compile import SubclassIndex, compile_shapes
    from kgservice.validation.engine import locate, run_rules
    from kgservice.validation.run import default_shapes_dir, load_shapes

    derived = (QUALITY_GRAPH, INFERRED_GRAPH)
    copy = open_embedded(None)  # the data as its sources gave it: raw values, no masked copies
    copy.oxigraph.extend(
        quad for quad in unmasked_quads(store.oxigraph) if quad.graph_name not in derived
    )
    rules = compile_shapes(load_shapes(default_shapes_dir()), SubclassIndex.from_store(copy))
    return locate(copy, run_rules(copy, rules))


def raw_personal_values(store: EmbeddedStore, focus: Iterable[str]) -> dict[str, dict[str, str]]:
    """For each focus node, its raw personal values (value → property IRI)."""
    properties = personal_properties()
    wanted = {iri for iri in focus if iri.startswith(("http://", "https://"))}
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for quad in unmasked_quads(store.oxigraph):
        subject = quad.subject
        if (
            isinstance(subject, ox.NamedNode)
            and subject.value in wanted
            and quad.predicate.value in properties
            and isinstance(quad.object, ox.Literal)
        ):
            found[subject.value][quad.object.value] = quad.predicate.value
    return found


def _masked(text: str, raw: dict[str, str]) -> str:
    for value in sorted(raw, key=len, reverse=True):  # longest first: a name inside an address
        if value and value in text:
            text = text.replace(value, mask_value(raw[value], value))
    return text


def mask_finding(finding: Finding, raw: dict[str, dict[str, str]]) -> Finding:
    """``finding`` with its focus node's raw personal values masked in its value, messages and
    (if it is a literal) focus."""
    focus_raw = raw.get(finding.focus, {})
    changes: dict[str, object] = {
        "value": None if finding.value is None else _masked(finding.value, focus_raw),
        "messages": {lang: _masked(text, focus_raw) for lang, text in finding.messages.items()},
    }
    if not finding.focus.startswith(("http://", "https://", "urn:")):
        changes["focus"] = _masked(finding.focus, focus_raw)
    return dataclasses.replace(finding, **changes)  # type: ignore[arg-type]


def report_triples(
    findings: list[Finding], raw: dict[str, dict[str, str]], at: datetime.datetime
) -> list[ox.Triple]:
    """The report as triples, personal values masked."""
    triples = [
        ox.Triple(REPORT, _node(RDF.type), _node(SH.ValidationReport)),
        ox.Triple(
            REPORT,
            _node(SH.conforms),
            ox.Literal("false" if findings else "true", datatype=_node(XSD.boolean)),
        ),
        ox.Triple(
            REPORT,
            _node(PROV.generatedAtTime),
            ox.Literal(at.isoformat(timespec="seconds"), datatype=_node(XSD.dateTime)),
        ),
    ]
    for finding in findings:
        result = ox.BlankNode()
        focus_raw = raw.get(finding.focus, {})
        focus: ox.NamedNode | ox.Literal = (
            ox.NamedNode(finding.focus)
            if finding.focus.startswith(("http://", "https://", "urn:"))
            else ox.Literal(_masked(finding.focus, focus_raw))
        )
        triples += [
            ox.Triple(REPORT, _node(SH.result), result),
            ox.Triple(result, _node(RDF.type), _node(SH.ValidationResult)),
            ox.Triple(result, _node(SH.focusNode), focus),
            ox.Triple(result, _node(SH.sourceShape), ox.NamedNode(finding.shape)),
            ox.Triple(result, _node(SH.sourceConstraintComponent), ox.NamedNode(finding.component)),
            ox.Triple(result, _node(SH.resultSeverity), ox.NamedNode(finding.severity.value)),
        ]
        if finding.path and finding.path.startswith("<") and finding.path.endswith(">"):
            triples.append(
                ox.Triple(result, _node(SH.resultPath), ox.NamedNode(finding.path[1:-1]))
            )
        if finding.value is not None:
            value = _masked(finding.value, focus_raw)
            triples.append(ox.Triple(result, _node(SH.value), ox.Literal(value)))
        for lang, text in sorted(finding.messages.items()):
            message = ox.Literal(_masked(text, focus_raw), language=lang)
            triples.append(ox.Triple(result, _node(SH.resultMessage), message))
    return triples


def refresh_quality(store: EmbeddedStore, now: datetime.datetime | None = None) -> int:
    """Validate the store and replace ``graph:quality`` with the report; the finding count."""
    findings = validate_store(store)
    raw = raw_personal_values(store, {finding.focus for finding in findings})
    at = now or datetime.datetime.now(datetime.UTC)
    store.replace_graph(QUALITY_GRAPH, report_triples(findings, raw, at))
    return len(findings)
