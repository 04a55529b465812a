"""Run compiled rules over a store and turn their rows into findings.

Two engines give the same findings: ``fast`` (the shapes compiled to SPARQL, run by Oxigraph) and
``pyshacl`` (the reference: pySHACL on an rdflib graph). Tests hold them to the same answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import Graph, Literal
from rdflib.namespace import PROV, SH

from kgservice.store.embedded import EmbeddedStore
from kgservice.validation.compile import Rule
from kgservice.validation.findings import Finding, Severity, SourceLocation

_TEMPLATE = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")
_RECORD = re.compile(r"/id/source/[^/]+/(?P<file>[^#]+)#row=(?P<line>[0-9]+)$")


def lexical(term: object) -> str:
    """The text of an RDF term as a message or report shows it."""
    return term.value if isinstance(term, (ox.NamedNode, ox.BlankNode, ox.Literal)) else str(term)


def fill(template: str, row: dict[str, object]) -> str:
    """Replace ``{?var}`` / ``{$var}`` in a SHACL message with the row's values."""
    return _TEMPLATE.sub(lambda m: lexical(row[m.group(1)]) if m.group(1) in row else "", template)


def messages_for(rule: Rule, row: dict[str, object]) -> dict[str, str]:
    out: dict[str, str] = {}
    for message in rule.messages:
        out.setdefault(message.language or "en", fill(str(message), row))
    return out


def run_rules(store: EmbeddedStore, rules: Iterable[Rule]) -> list[Finding]:
    """Evaluate every rule over the store's union graph."""
    findings = []
    for rule in rules:
        for row in store.select(rule.query):
            value = row.get("value")
            findings.append(
                Finding(
                    focus=lexical(row["this"]),
                    shape=str(rule.shape),
                    component=str(rule.component),
                    severity=rule.severity,
                    path=rule.path,
                    value=lexical(value) if value is not None else None,
                    messages=messages_for(rule, row),
                )
            )
    return sorted(set(findings), key=_order)


def _order(finding: Finding) -> tuple[str, ...]:
    return (finding.shape, finding.component, finding.focus, finding.value or "")


def locate(store: EmbeddedStore, findings: list[Finding]) -> list[Finding]:
    """Attach the source file and line of each focus node (from ``prov:wasDerivedFrom``)."""
    iris = sorted({f.focus for f in findings if f.focus.startswith(("http://", "https://"))})
    places: dict[str, SourceLocation] = {}
    for chunk in (iris[i : i + 2000] for i in range(0, len(iris), 2000)):
        values = " ".join(f"<{iri}>" for iri in chunk)
        query = (
            f"SELECT ?this ?record WHERE {{ VALUES ?this {{ {values} }} "
            f"?this <{PROV.wasDerivedFrom}> ?record }}"
        )
        for row in store.select(query):
            match = _RECORD.search(lexical(row["record"]))
            if match:
                place = SourceLocation(match["file"], int(match["line"]))
                places.setdefault(lexical(row["this"]), place)
    return [_with_source(f, places.get(f.focus)) for f in findings]


def _with_source(finding: Finding, source: SourceLocation | None) -> Finding:
    if source is None:
        return finding
    return Finding(**{**finding.__dict__, "source": source})


def pyshacl_findings(data: Graph, shapes: Graph, ontology: Graph | None = None) -> list[Finding]:
    """The reference engine: pySHACL (SHACL-SPARQL enabled) over an rdflib graph.

    Pass ``ontology`` only when ``data`` does not already hold it: pySHACL copies an ontology
    graph into the data node by node, which takes minutes for the whole model.
    """
    from pyshacl import validate

    _, report, _ = validate(
        data,
        shacl_graph=shapes,
        ont_graph=ontology,
        advanced=True,
        inference="none",
        allow_warnings=True,
    )
    assert isinstance(report, Graph)
    return sorted(
        {_from_result(report, r) for r in report.subjects(SH.resultSeverity, None)}, key=_order
    )


def _from_result(report: Graph, result: object) -> Finding:
    def one(predicate: object) -> object:
        return report.value(result, predicate)  # type: ignore[arg-type]

    value = one(SH.value)
    messages = {
        (m.language or "en"): str(m)
        for m in report.objects(result, SH.resultMessage)  # type: ignore[arg-type]
        if isinstance(m, Literal)
    }
    path = one(SH.resultPath)
    return Finding(
        focus=str(one(SH.focusNode)),
        shape=str(one(SH.sourceShape)),
        component=str(one(SH.sourceConstraintComponent)),
        severity=Severity.parse(str(one(SH.resultSeverity))),
        path=path.n3() if path is not None and hasattr(path, "n3") else None,  # type: ignore[union-attr]
        value=str(value) if value is not None else None,
        messages=messages,
    )
