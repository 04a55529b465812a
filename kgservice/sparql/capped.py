"""The first lines of what an Oxigraph serialiser writes, and whether it had more to write.

The row cap (``KGSERVICE_MAX_ROWS``) must learn whether a result has more rows than the cap.
Reading the solutions one by one in Python would tell, but pyoxigraph lets go of the GIL for
each one it evaluates, and getting it back takes a thread switch each time the service is busy
(20,000 rows: 15 ms alone, 16 s beside one busy Python thread). So the engine serialises the
result in a line-based format (SPARQL TSV: a header, then a row per line; N-Triples: a triple
per line, line breaks in literals escaped in both), Python sees its output 8 KiB at a time, and
stops it once it has one line more than it needs, so the engine evaluates no further.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable


class _Enough(Exception):
    """Raised into the serialiser once the lines needed are written: it stops there."""


class _LineSink(io.RawIOBase):
    """Keeps what is written until it holds more than ``limit`` complete lines."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[bytes] = []
        self.lines = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        chunk = bytes(data)
        self.parts.append(chunk)
        self.lines += chunk.count(b"\n")
        if self.lines > self.limit:
            raise _Enough()
        return len(chunk)


def head_lines(serialize: Callable[[io.RawIOBase], object], limit: int) -> tuple[bytes, bool]:
    """The first ``limit`` lines ``serialize`` writes (each with its line break), and whether
    it wrote more than that."""
    sink = _LineSink(limit)
    with contextlib.suppress(_Enough):
        serialize(sink)
    data = b"".join(sink.parts)
    if sink.lines <= limit:
        return data, False
    lines = data.split(b"\n", limit)  # the first ``limit`` lines, then the rest
    return b"\n".join(lines[:limit]) + b"\n", True
