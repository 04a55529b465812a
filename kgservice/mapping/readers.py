"""Strict reading of source files into pandas DataFrames.

A source file is read in full before anything is mapped, and everything that cannot be *parsed* is
an :class:`~kgservice.errors.InputError` whose message names the file, the line and the field, e.g.
``population.csv:42: field birth_date: '1980-13-01' is not a date (YYYY-MM-DD)``:

- the file is not UTF-8 (a leading byte order mark is allowed and dropped);
- the header is not exactly the expected columns (in any order): a missing column, an unexpected
  one or a repeated one;
- a row has more or fewer fields than the header, or is empty (empty lines at the very end are
  allowed), or breaks the CSV quoting rules;
- a typed column holds a value of the wrong form (see :mod:`kgservice.mapping.sources`): a date
  not of the form ``YYYY-MM-DD`` with month 01-12 and day 01-31, a decimal not of the
  ``xsd:decimal`` form, a division code that is not 2, 4, 6, 9 or 12 digits, an id that is not
  digits, an unknown division level; or a column an IRI is made from is empty.

Values that parse but are wrong are **not** input errors: they are mapped as they are, and the
SHACL shapes report them (a wrong check character, a future date, a dangling reference, a point
outside China, a duplicate ID). A date of the right form that the calendar does not have, such as
``2023-02-30``, is one of those: it becomes an ill-typed ``xsd:date`` literal that
``shape:NaturalPerson-birthDate`` rejects.

Every value is kept as the text of the file (an empty cell is ``""``, a missing value); the frame
gets one more column, ``_line``: the 1-based physical line where the record starts (header = 1).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kgservice.errors import InputError
from kgservice.mapping.sources import (
    DATE,
    DECIMAL,
    DIVISION,
    DIVISION_LEVELS,
    INTEGER,
    LEVEL,
    Column,
    FileFormat,
    SourceFile,
)

LINE = "_line"
BOM = b"\xef\xbb\xbf"

#: Regular expressions (``fullmatch``) and the message of a mismatch, per column type.
PATTERNS: dict[str, tuple[str, str]] = {
    DATE: (r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])", "is not a date (YYYY-MM-DD)"),
    DECIMAL: (
        r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)",
        "is not a decimal number (digits with an optional dot, e.g. 118.3428)",
    ),
    DIVISION: (
        r"[0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12}",
        "is not a division code (2, 4, 6, 9 or 12 digits)",
    ),
    INTEGER: (r"[0-9]+", "is not a whole number (digits only)"),
    LEVEL: (
        "|".join(DIVISION_LEVELS),
        "is not a division level (" + ", ".join(DIVISION_LEVELS) + ")",
    ),
}


@dataclass(frozen=True)
class Table:
    """The records of one source file, checked."""

    path: Path
    format: FileFormat
    frame: pd.DataFrame  # the expected columns as text ("" = missing) and ``_line``
    byte_size: int

    @property
    def record_count(self) -> int:
        """The number of records (rows after the header)."""
        return len(self.frame)


def read_table(source: SourceFile) -> Table:
    """Read and check one CSV source file; raise :class:`InputError` naming file, line, field."""
    path = source.path
    data = _read_bytes(path)
    text = _decode(path, data)
    rows, lines = _parse_csv(path, text)
    if not rows:
        raise InputError(f"{path}:1: the file is empty; it must start with a header")
    header = rows[0]
    file_format = source.kind.format_for(path.name, header)
    if file_format is None:
        expected = " or ".join(",".join(f.column_names) for f in source.kind.formats)
        raise InputError(
            f"{path}:1: the header {','.join(header)} is none of source {source.kind.id!r}: "
            f"expected {expected}"
        )
    _check_header(path, header, file_format)
    frame = _frame(path, header, rows[1:], lines[1:], file_format)
    for column in file_format.columns:
        _check_column(path, frame, column)
    return Table(path, file_format, frame, len(data))


def _read_bytes(path: Path) -> bytes:
    """The bytes of a file; an unreadable file is an input error."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def _decode(path: Path, data: bytes) -> str:
    """Decode UTF-8 (dropping a byte order mark); name line and field of a bad byte."""
    body = data[len(BOM) :] if data.startswith(BOM) else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, field = _locate(body, exc.start)
        bad = body[exc.start : exc.start + 1].hex()
        raise InputError(f"{path}:{line}: field {field}: not valid UTF-8 (byte 0x{bad})") from None


def _locate(data: bytes, offset: int) -> tuple[int, str]:
    """The line number and the column name at a byte offset (best effort for the column)."""
    line = data.count(b"\n", 0, offset) + 1
    header = next(csv.reader([data.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")]))
    if line == 1:
        return line, "(header)"
    start = data.rfind(b"\n", 0, offset) + 1
    before = data[start:offset].decode("utf-8", "replace")
    index = len(next(csv.reader([before]), [""])) - 1 if before else 0
    return line, header[index] if 0 <= index < len(header) else f"#{index + 1}"


def _parse_csv(path: Path, text: str) -> tuple[list[list[str]], list[int]]:
    """Parse CSV rows and the line where each starts; refuse blank lines but at the end."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    lines: list[int] = []
    blank_line = 0
    last = 0
    try:
        for row in reader:
            start, last = last + 1, reader.line_num
            if not row:
                blank_line = blank_line or start
                continue
            if blank_line:
                raise InputError(f"{path}:{blank_line}: empty line inside the file")
            rows.append(row)
            lines.append(start)
    except csv.Error as exc:
        raise InputError(f"{path}:{reader.line_num}: not valid CSV: {exc}") from None
    return rows, lines


def _check_header(path: Path, header: list[str], file_format: FileFormat) -> None:
    """The header has each expected column once and nothing else (order is free)."""
    expected = file_format.column_names
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise InputError(f"{path}:1: field {name}: the column appears twice")
        seen.add(name)
    for name in expected:
        if name not in seen:
            raise InputError(
                f"{path}:1: field {name}: missing column (expected {','.join(expected)})"
            )
    for name in header:
        if name not in expected:
            raise InputError(
                f"{path}:1: field {name}: unexpected column (expected {','.join(expected)})"
            )


def _frame(
    path: Path, header: list[str], rows: list[list[str]], lines: list[int], fmt: FileFormat
) -> pd.DataFrame:
    """The rows as a frame of text columns in the expected order, plus ``_line``."""
    width = len(header)
    for row, line in zip(rows, lines, strict=True):
        if len(row) != width:
            raise InputError(_width_message(path, line, header, len(row)))
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame = frame[list(fmt.column_names)] if rows else pd.DataFrame(columns=fmt.column_names)
    frame[LINE] = pd.Series(lines, dtype="int64", index=frame.index)
    return frame.reset_index(drop=True)


def _width_message(path: Path, line: int, header: list[str], found: int) -> str:
    """The message of a row with the wrong number of fields, naming the first field in doubt."""
    if found < len(header):
        return (
            f"{path}:{line}: field {header[found]}: missing "
            f"(the row has {found} fields, the header {len(header)})"
        )
    return (
        f"{path}:{line}: field #{len(header) + 1}: one field too many "
        f"(the row has {found} fields, the header {len(header)})"
    )


def _check_column(path: Path, frame: pd.DataFrame, column: Column) -> None:
    """Check the values of one column: present when required, of the form of its type."""
    values = frame[column.name]
    if column.must_have_value:
        _fail_first(path, frame, column, values == "", "is empty, but a value is required")
    if column.type in PATTERNS:
        pattern, message = PATTERNS[column.type]
        wrong = (values != "") & ~values.str.fullmatch(pattern).fillna(False).astype(bool)
        _fail_first(path, frame, column, wrong, message)


def _fail_first(
    path: Path, frame: pd.DataFrame, column: Column, wrong: pd.Series, message: str
) -> None:
    """Raise for the first row flagged in ``wrong``, if any."""
    if not wrong.any():
        return
    index = wrong.idxmax()
    value = frame.at[index, column.name]
    shown = "the value" if value == "" else repr(value)
    raise InputError(f"{path}:{frame.at[index, LINE]}: field {column.name}: {shown} {message}")
