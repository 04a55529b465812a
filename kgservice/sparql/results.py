"""Write SELECT solutions as SPARQL results, chunk by chunk, with an optional truncation note.

Formats: JSON (https://www.w3.org/TR/sparql11-results-json/), XML
(https://www.w3.org/TR/rdf-sparql-XMLres/), CSV and TSV
(https://www.w3.org/TR/sparql11-results-csv-tsv/). Oxigraph serialises a whole
``QuerySolutions`` itself (used when there is no row cap); these writers serve the capped case,
where the solutions have been read into a list to learn whether there are more than the cap.

A truncated result says so in the body where the format has room for it: a ``truncated`` member
between ``head`` and ``results`` in JSON (parsers skip unknown members) and an XML comment plus a
``<link>`` in XML. CSV and TSV have no room: the response header carries it for every format.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring as _json_string  # C, as json.dumps uses
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_CHUNK_ROWS = 500


@dataclass(frozen=True)
class Truncation:
    """The cap that cut a result, and the sentence that explains it."""

    limit: int

    @property
    def message(self) -> str:
        return (
            f"The result was cut to its first {self.limit} rows by the service's row limit "
            "(KGSERVICE_MAX_ROWS); add LIMIT/OFFSET to page through it."
        )


# --- JSON -----------------------------------------------------------------------------------


def json_term(term: Term) -> dict:
    """One RDF term as a SPARQL JSON results value."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": json_term(term.subject),
                "predicate": json_term(term.predicate),
                "object": json_term(term.object),
            },
        }
    value: dict = {"type": "literal", "value": term.value}
    if term.language:
        value["xml:lang"] = term.language
    elif term.datatype.value != XSD_STRING:
        value["datatype"] = term.datatype.value
    return value


def _json_term_text(term: Term) -> str:
    """``json.dumps(json_term(term), ensure_ascii=False)``, three times faster: the common
    terms are written directly (this runs for every value of every row of a capped result)."""
    kind = type(term)
    if kind is ox.NamedNode:
        return f'{{"type": "uri", "value": {_json_string(term.value)}}}'
    if kind is ox.Literal:
        value = _json_string(term.value)
        language = term.language  # type: ignore[union-attr]
        if language:
            return f'{{"type": "literal", "value": {value}, "xml:lang": {_json_string(language)}}}'
        datatype = term.datatype.value  # type: ignore[union-attr]
        if datatype != XSD_STRING:
            return f'{{"type": "literal", "value": {value}, "datatype": {_json_string(datatype)}}}'
        return f'{{"type": "literal", "value": {value}}}'
    return json.dumps(json_term(term), ensure_ascii=False)


def _json_rows(names: Sequence[str], rows: Sequence[ox.QuerySolution]) -> Iterator[str]:
    keys = [(position, _json_string(name) + ": ") for position, name in enumerate(names)]
    for index, row in enumerate(rows):
        binding = ", ".join(
            key + _json_term_text(term)
            for position, key in keys
            if (term := row[position]) is not None
        )
        yield ("{" if index == 0 else ",\n{") + binding + "}"


def write_json(
    names: Sequence[str], rows: Sequence[ox.QuerySolution], truncation: Truncation | None
) -> Iterator[bytes]:
    head = json.dumps({"vars": list(names)}, ensure_ascii=False)
    note = ""
    if truncation:
        note = ',\n"truncated": ' + json.dumps(
            {"limit": truncation.limit, "message": truncation.message}
        )
    yield f'{{"head": {head}{note},\n"results": {{"bindings": [\n'.encode()
    yield from _chunked(_json_rows(names, rows))
    yield b"\n]}}\n"


# --- XML ------------------------------------------------------------------------------------


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Triple):
        parts = (("subject", term.subject), ("predicate", term.predicate), ("object", term.object))
        inner = "".join(f"<{name}>{_xml_term(value)}</{name}>" for name, value in parts)
        return f"<triple>{inner}</triple>"
    if term.language:
        return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
    if term.datatype.value != XSD_STRING:
        datatype = quoteattr(term.datatype.value)
        return f"<literal datatype={datatype}>{escape(term.value)}</literal>"
    return f"<literal>{escape(term.value)}</literal>"


def _xml_rows(names: Sequence[str], rows: Sequence[ox.QuerySolution]) -> Iterator[str]:
    for row in rows:
        bindings = "".join(
            f"<binding name={quoteattr(name)}>{_xml_term(term)}</binding>"
            for name in names
            if (term := row[name]) is not None
        )
        yield f"<result>{bindings}</result>\n"


def write_xml(
    names: Sequence[str], rows: Sequence[ox.QuerySolution], truncation: Truncation | None
) -> Iterator[bytes]:
    head = "".join(f"<variable name={quoteattr(name)}/>" for name in names)
    note = ""
    if truncation:
        head += '<link href="urn:kgservice:truncated"/>'
        note = f"<!-- truncated: {escape(truncation.message).replace('--', '- -')} -->\n"
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n{note}'
        f"<head>{head}</head>\n<results>\n"
    ).encode()
    yield from _chunked(_xml_rows(names, rows))
    yield b"</results>\n</sparql>\n"


# --- CSV and TSV ----------------------------------------------------------------------------


def _csv_field(text: str) -> str:
    if any(char in text for char in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_term(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return _csv_field(f"_:{term.value}")
    if isinstance(term, ox.Triple):
        return _csv_field(
            f"<< {_tsv_term(term.subject)} {_tsv_term(term.predicate)} {_tsv_term(term.object)} >>"
        )
    return _csv_field(term.value)


def write_csv(names: Sequence[str], rows: Sequence[ox.QuerySolution]) -> Iterator[bytes]:
    yield (",".join(_csv_field(name) for name in names) + "\r\n").encode()
    lines = (",".join(_csv_term(row[name]) for name in names) + "\r\n" for row in rows)
    yield from _chunked(lines)


def _tsv_term(term: Term | None) -> str:
    if term is None:
        return ""
    # Oxigraph's own N-Triples-style rendering escapes tabs and new lines, as TSV requires.
    return str(term)


def write_tsv(names: Sequence[str], rows: Sequence[ox.QuerySolution]) -> Iterator[bytes]:
    yield ("\t".join(f"?{name}" for name in names) + "\n").encode()
    lines = ("\t".join(_tsv_term(row[name]) for name in names) + "\n" for row in rows)
    yield from _chunked(lines)


def _chunked(pieces: Iterator[str]) -> Iterator[bytes]:
    """Join pieces into chunks of a few hundred rows, encoded as UTF-8."""
    batch: list[str] = []
    for piece in pieces:
        batch.append(piece)
        if len(batch) >= _CHUNK_ROWS:
            yield "".join(batch).encode("utf-8")
            batch = []
    if batch:
        yield "".join(batch).encode("utf-8")


def write_solutions(
    media_type: str,
    names: Sequence[str],
    rows: Sequence[ox.QuerySolution],
    truncation: Truncation | None,
) -> Iterator[bytes]:
    """The body of a SELECT response in the format of ``media_type`` (a canonical type)."""
    if media_type == "application/sparql-results+json":
        return write_json(names, rows, truncation)
    if media_type == "application/sparql-results+xml":
        return write_xml(names, rows, truncation)
    if media_type == "text/csv":
        return write_csv(names, rows)
    if media_type == "text/tab-separated-values":
        return write_tsv(names, rows)
    raise ValueError(f"no results writer for {media_type}")
