"""The note a result cut by the row cap carries in its body, put into the engine's own output.

Every SELECT result is serialised by Oxigraph, capped or not: a capped one is the engine's
serialisation of its first rows (:func:`kgservice.sparql.execute.answer_query`). A truncated
result says so in the body where the format has room for it: a ``truncated`` member between
``head`` and ``results`` in JSON (https://www.w3.org/TR/sparql11-results-json/; parsers skip
unknown members) and an XML comment plus a ``<link>`` in the head in XML
(https://www.w3.org/TR/rdf-sparql-XMLres/). CSV and TSV have no room: the response header
carries it for every format.

The note goes in by editing the start of the body: the head's end is found by a marker no
variable name can hold (names are letters, digits and underscores), so nothing is parsed and
the rows pass through untouched.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape

#: Puts the note into the start of a body (``None``: the head is not complete in it yet).
HeadEdit = Callable[[bytes], bytes | None]

_JSON_RESULTS_KEY = b'"results":'  # the first one follows the head: vars hold no colon
_XML_HEAD, _XML_HEAD_END = b"<head>", b"</head>"


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


def _json_note(truncation: Truncation) -> HeadEdit:
    member = '"truncated":' + json.dumps(
        {"limit": truncation.limit, "message": truncation.message}, ensure_ascii=False
    )

    def edit(start: bytes) -> bytes | None:
        at = start.find(_JSON_RESULTS_KEY)
        if at < 0:
            return None
        return start[:at] + member.encode() + b"," + start[at:]

    return edit


def _xml_note(truncation: Truncation) -> HeadEdit:
    comment = f"<!-- truncated: {escape(truncation.message).replace('--', '- -')} -->\n"
    link = b'<link href="urn:kgservice:truncated"/>'

    def edit(start: bytes) -> bytes | None:
        head, end = start.find(_XML_HEAD), start.find(_XML_HEAD_END)
        if head < 0 or end < 0:
            return None
        return start[:head] + comment.encode() + start[head:end] + link + start[end:]

    return edit


def truncation_note(media_type: str, truncation: Truncation) -> HeadEdit | None:
    """How to put the note into a body of ``media_type`` (``None``: the format has no room)."""
    if media_type == "application/sparql-results+json":
        return _json_note(truncation)
    if media_type == "application/sparql-results+xml":
        return _xml_note(truncation)
    return None


class HeadEditingSink(io.RawIOBase):
    """A file-like object that passes a serialiser's output on to ``out``, once ``edit`` has
    put the note into its start (held back until the head is complete)."""

    def __init__(self, out: io.RawIOBase, edit: HeadEdit) -> None:
        self.out = out
        self.edit: HeadEdit | None = edit
        self.held = b""

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.edit is None:
            self.out.write(data)
            return len(data)
        self.held += bytes(data)
        edited = self.edit(self.held)
        if edited is not None:
            self.edit, self.held = None, b""
            self.out.write(edited)
        return len(data)

    def finish(self) -> None:
        """Pass on what is still held (a body whose head never ended: written as it is)."""
        if self.held:
            self.out.write(self.held)
            self.held = b""
