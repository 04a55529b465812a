"""HTML documentation of the ontology modules, one page per module and language.

OWL modules are rendered with pyLODE. pyLODE renders every language of a label side by side, so
each module is rendered from a copy of its graph that keeps only one language's literals:
``<module>.zh.html`` and ``<module>.en.html``, plus an ``index.html`` linking them. pyLODE's SKOS
profile does not list concepts, so the SKOS modules (codes, terms, schemes) are rendered here as
one table per concept scheme. The output is generated, never edited.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from kgservice.namespaces import BASE
from kgservice.ontology.files import CATALOG_NAME, module_files, parse_file

LANGUAGES = {"zh": "中文", "en": "English"}


def single_language(graph: Graph, lang: str) -> Graph:
    """Copy ``graph`` without literals tagged with another language, for one-language pages."""
    kept = Graph()
    for prefix, namespace in graph.namespaces():
        kept.bind(prefix, namespace)
    for s, p, o in graph:
        if isinstance(o, Literal) and o.language and o.language != lang:
            continue
        kept.add((s, p, o))
    for ontology in kept.subjects(RDF.type, OWL.Ontology):
        if (ontology, DCTERMS.title, None) in kept:  # pyLODE would print title and label as one
            kept.remove((ontology, RDFS.label, None))
    return kept


def render_module(graph: Graph, lang: str) -> str:
    """Render one module: SKOS schemes as tables, anything else with pyLODE."""
    own_classes = [c for c in graph.subjects(RDF.type, OWL.Class) if str(c).startswith(BASE)]
    if (None, RDF.type, SKOS.ConceptScheme) in graph and not own_classes:
        return render_skos(graph, lang)
    return render_owl(graph)


def render_owl(graph: Graph) -> str:
    """Render an OWL module's graph to HTML with pyLODE's OWL profile."""
    from pylode import OntPub  # imported late: pyLODE loads background ontologies on import

    logging.getLogger().setLevel(max(logging.getLogger().level, logging.WARNING))
    return str(OntPub(ontology=graph).make_html())


def build_docs(folder: Path, out: Path) -> list[Path]:
    """Write ``<module>.<lang>.html`` for every module of ``folder`` and an index into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    pages: list[tuple[str, str, Path]] = []
    for iri, path in sorted(module_files(folder / CATALOG_NAME).items()):
        graph = parse_file(path)
        for lang in LANGUAGES:
            page = out / f"{path.stem}.{lang}.html"
            text = render_module(single_language(graph, lang), lang)
            page.write_text(text, encoding="utf-8")
            pages.append((iri, lang, page))
    index = out / "index.html"
    index.write_text(index_html(pages), encoding="utf-8")
    return [index] + [page for _, _, page in pages]


def index_html(pages: list[tuple[str, str, Path]]) -> str:
    """A small bilingual index of the generated pages."""
    items = "\n".join(
        f'<li><a href="{html.escape(page.name)}">{html.escape(iri)}</a> ({LANGUAGES[lang]})</li>'
        for iri, lang, page in pages
    )
    return (
        '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">'
        "<title>智慧城市知识模型 Smart city knowledge model</title></head>\n"
        "<body><h1>智慧城市知识模型 · Smart city knowledge model</h1>\n"
        f"<ul>\n{items}\n</ul></body></html>\n"
    )


def _text(graph: Graph, subject: object, predicate: URIRef) -> str:
    return "; ".join(sorted(str(o) for o in graph.objects(subject, predicate)))  # type: ignore[arg-type]


def _notation_key(graph: Graph, concept: object) -> str:
    return _text(graph, concept, SKOS.notation)


def render_skos(graph: Graph, lang: str) -> str:
    """Render a one-language SKOS module: its header, then a table per concept scheme."""
    ontology = graph.value(None, RDF.type, OWL.Ontology)
    title = _text(graph, ontology, DCTERMS.title)
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{html.escape(_text(graph, ontology, DCTERMS.description))}</p>",
    ]
    for scheme in sorted(graph.subjects(RDF.type, SKOS.ConceptScheme), key=str):
        parts.append(_scheme_section(graph, scheme, lang))
    head = f'<meta charset="utf-8"><title>{html.escape(title)}</title><style>{_CSS}</style>'
    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head>{head}</head>\n'
        f"<body>\n{body}\n</body></html>\n"
    )


_HEADINGS = {
    "zh": ("代码/条款", "名称", "定义", "上位概念", "来源"),
    "en": ("Notation", "Label", "Definition", "Broader", "Source"),
}
_CSS = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:4px;vertical-align:top}"
)


def _scheme_section(graph: Graph, scheme: object, lang: str) -> str:
    concepts = sorted(graph.subjects(SKOS.inScheme, scheme), key=lambda c: _notation_key(graph, c))
    head = "".join(f"<th>{h}</th>" for h in _HEADINGS[lang])
    rows = "\n".join(_concept_row(graph, c) for c in concepts)
    label = html.escape(_text(graph, scheme, SKOS.prefLabel))
    anchor = html.escape(str(scheme))
    definition = html.escape(_text(graph, scheme, SKOS.definition))
    return (
        f'<section id="{anchor}"><h2>{label}</h2><p><code>{anchor}</code></p><p>{definition}</p>'
        f"<table><tr>{head}</tr>\n{rows}\n</table></section>"
    )


def _concept_row(graph: Graph, concept: object) -> str:
    broader = graph.value(concept, SKOS.broader)  # type: ignore[arg-type]
    cells = [
        _text(graph, concept, SKOS.notation),
        _text(graph, concept, SKOS.prefLabel),
        _text(graph, concept, SKOS.definition),
        _text(graph, broader, SKOS.prefLabel) if broader is not None else "",
        _text(graph, concept, DCTERMS.source),
    ]
    return (
        f'<tr id="{html.escape(str(concept))}">'
        + "".join(f"<td>{html.escape(c)}</td>" for c in cells)
        + "</tr>"
    )
