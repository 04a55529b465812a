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
from collections.abc import Iterable, Mapping

import pyoxigraph as ox
from rdflib.namespace import PROV, RDF, SH, XSD

from kgservice.iri import graph_iri
from kgservice.namespaces import ID
from kgservice.privacy import mask_value, personal_properties
from kgservice.store.embedded import EmbeddedStore
from kgservice.validation.dataset import FINDINGS, validation_copy
from kgservice.validation.findings import Finding

QUALITY_GRAPH = ox.NamedNode(str(graph_iri("quality")))
#: Every predicate of ``graph:quality`` (written by this module only): what a write of the report
#: may touch. Of the report alone (its conformance and time) only the last two.
REPORT_PREDICATES = frozenset(
    str(term)
    for term in (
        RDF.type, SH.conforms, PROV.generatedAtTime, SH.result, SH.focusNode, SH.sourceShape,
        SH.sourceConstraintComponent, SH.resultSeverity, SH.resultPath, SH.value,
        SH.resultMessage,
    )
)  # fmt: skip
REPORT_STATE_PREDICATES = frozenset({str(SH.conforms), str(PROV.generatedAtTime)})
REPORT = ox.NamedNode(f"{ID}report/quality")


def _node(iri: object) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


def validate_store(store: EmbeddedStore) -> list[Finding]:
    """The findings of the repository's shapes over ``store``'s raw data (and the ontology).

    Neither this report nor ``graph:inferred`` is read: findings are about what the sources
    say (the engine follows the class hierarchy itself), and an inferred triple has no record
    to point at.
    """
    from kgservice.reasoning import DERIVED_GRAPHS
    from kgservice.validation.engine import locate

    copy = validation_copy(store.oxigraph, DERIVED_GRAPHS)
    return locate(copy.store, FINDINGS.findings(copy))


def raw_personal_values(data: EmbeddedStore, focus: Iterable[str]) -> dict[str, dict[str, str]]:
    """For each focus node, its raw personal values (value → property IRI), read from ``data``,
    a validation copy (:func:`kgservice.validation.dataset.validation_copy`: raw values only)."""
    properties = personal_properties()
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for iri in focus:
        if not iri.startswith(("http://", "https://")):
            continue
        for quad in data.oxigraph.quads_for_pattern(ox.NamedNode(iri), None, None, None):
            if quad.predicate.value in properties and isinstance(quad.object, ox.Literal):
                found[iri][quad.object.value] = quad.predicate.value
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
        triples += result_triples(finding, raw)
    return triples


def result_triples(finding: Finding, raw: dict[str, dict[str, str]]) -> list[ox.Triple]:
    """One finding as an ``sh:ValidationResult`` of the report, personal values masked."""
    result = ox.BlankNode()
    focus_raw = raw.get(finding.focus, {})
    focus: ox.NamedNode | ox.Literal = (
        ox.NamedNode(finding.focus)
        if finding.focus.startswith(("http://", "https://", "urn:"))
        else ox.Literal(_masked(finding.focus, focus_raw))
    )
    triples = [
        ox.Triple(REPORT, _node(SH.result), result),
        ox.Triple(result, _node(RDF.type), _node(SH.ValidationResult)),
        ox.Triple(result, _node(SH.focusNode), focus),
        ox.Triple(result, _node(SH.sourceShape), ox.NamedNode(finding.shape)),
        ox.Triple(result, _node(SH.sourceConstraintComponent), ox.NamedNode(finding.component)),
        ox.Triple(result, _node(SH.resultSeverity), ox.NamedNode(finding.severity.value)),
    ]
    if finding.path and finding.path.startswith("<") and finding.path.endswith(">"):
        triples.append(ox.Triple(result, _node(SH.resultPath), ox.NamedNode(finding.path[1:-1])))
    if finding.value is not None:
        value = _masked(finding.value, focus_raw)
        triples.append(ox.Triple(result, _node(SH.value), ox.Literal(value)))
    for lang, text in sorted(finding.messages.items()):
        message = ox.Literal(_masked(text, focus_raw), language=lang)
        triples.append(ox.Triple(result, _node(SH.resultMessage), message))
    return triples


def quality_update(
    data: EmbeddedStore, findings: list[Finding], at: datetime.datetime | None = None
) -> str:
    """A SPARQL update that replaces ``graph:quality`` with the report of ``findings``, made
    over ``data`` (a validation copy: where focus nodes come from, their raw values to mask)."""
    from kgservice.validation.engine import locate

    located = locate(data, findings)
    raw = raw_personal_values(data, {finding.focus for finding in located})
    triples = report_triples(located, raw, at or datetime.datetime.now(datetime.UTC))
    body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    graph = QUALITY_GRAPH.value
    return f"DROP SILENT GRAPH <{graph}> ;\nINSERT DATA {{ GRAPH <{graph}> {{\n{body}}} }}"


def quality_patch(
    data: EmbeddedStore,
    checked: Mapping[tuple[str, str], list[ox.NamedNode]],
    findings: list[Finding],
    whole_rules: Iterable[tuple[str, str]] = (),
    at: datetime.datetime | None = None,
    *,
    results: bool = True,
) -> str:
    """A SPARQL update that replaces, in ``graph:quality``, the results of each rule of
    ``checked`` (shape, component) about its nodes and those of the ``whole_rules`` with the
    results of ``findings`` (theirs now, over ``data``), and restates the report's
    ``sh:conforms`` and time: what :func:`quality_update` gives when the rest of the report
    stands (a write validated on the nodes it concerns). ``results=False``: the results stand
    as they are (the findings about those nodes did not change), only the conformance and time
    are restated."""
    if not results:
        checked, findings, whole_rules = {}, [], ()
    raw = raw_personal_values(data, {finding.focus for finding in findings})
    triples = [t for finding in findings for t in result_triples(finding, raw)]
    body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    graph, report = QUALITY_GRAPH.value, REPORT.value
    time = ox.Literal(
        (at or datetime.datetime.now(datetime.UTC)).isoformat(timespec="seconds"),
        datatype=_node(XSD.dateTime),
    )
    by_nodes: dict[tuple[ox.NamedNode, ...], list[tuple[str, str]]] = defaultdict(list)
    for key, nodes in checked.items():  # most rules of a small write reach the same nodes
        by_nodes[tuple(nodes)].append(key)
    rules = [("", list(whole_rules))] if whole_rules else []
    rules += [(" ".join(map(str, nodes)), keys) for nodes, keys in by_nodes.items()]
    matching = [
        (f"VALUES ?f {{ {nodes} }} ?r <{SH.focusNode}> ?f . " if nodes else "")
        + f"VALUES (?s ?c) {{ {' '.join(f'(<{s}> <{c}>)' for s, c in keys)} }} "
        f"?r <{SH.sourceShape}> ?s ; <{SH.sourceConstraintComponent}> ?c"
        for nodes, keys in rules
    ]
    removals = "".join(
        f"DELETE {{ GRAPH <{graph}> {{ <{report}> <{SH.result}> ?r . ?r ?p ?o }} }} "
        f"WHERE {{ GRAPH <{graph}> {{ {pattern} . ?r ?p ?o }} }} ;\n"
        for pattern in matching
    )
    inserted = f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}}} }} ;\n" if triples else ""
    return (
        f"{removals}{inserted}"
        f"DELETE WHERE {{ GRAPH <{graph}> {{ <{report}> <{SH.conforms}> ?c }} }} ;\n"
        f"DELETE WHERE {{ GRAPH <{graph}> {{ <{report}> <{PROV.generatedAtTime}> ?t }} }} ;\n"
        f"INSERT {{ GRAPH <{graph}> {{ <{report}> <{SH.conforms}> ?conforms ; "
        f"<{PROV.generatedAtTime}> {time} }} }} "
        f"WHERE {{ BIND(NOT EXISTS {{ GRAPH <{graph}> {{ <{report}> <{SH.result}> ?any }} }} "
        "AS ?conforms) }"
    )


def refresh_quality(store: EmbeddedStore, now: datetime.datetime | None = None) -> int:
    """Validate the store and replace ``graph:quality`` with the report (one transaction); the
    finding count."""
    from kgservice.reasoning import DERIVED_GRAPHS

    copy = validation_copy(store.oxigraph, DERIVED_GRAPHS)
    findings = FINDINGS.findings(copy)
    store.update(quality_update(copy.store, findings, now))
    return len(findings)
