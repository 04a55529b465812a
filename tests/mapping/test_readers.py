"""Strict reading: what is an input error (naming file, line and field) and what is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgservice.errors import InputError
from kgservice.mapping.readers import read_table
from kgservice.mapping.sources import SOURCE_KINDS, SourceFile

POPULATION_HEADER = "person_id,citizen_id,name,sex,birth_date,residence_code,phone\n"
GOOD_ROW = "P1,11010519491231002X,张三,1,1949-12-31,371302001001,13800138000\n"


def population(tmp_path: Path, content: str | bytes, name: str = "population.csv") -> SourceFile:
    """Write a population file and return it as a source file."""
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return SourceFile(path, SOURCE_KINDS["population"])


BROKEN_POPULATION = [
    pytest.param(
        POPULATION_HEADER.replace("birth_date", "birthdate") + GOOD_ROW,
        r"population\.csv:1: field birth_date: missing column",
        id="wrong-header",
    ),
    pytest.param(
        POPULATION_HEADER.replace(",phone", "") + GOOD_ROW.replace(",13800138000", ""),
        r"population\.csv:1: field phone: missing column",
        id="missing-column",
    ),
    pytest.param(
        POPULATION_HEADER.replace("\n", ",nickname\n") + GOOD_ROW.replace("\n", ",x\n"),
        r"population\.csv:1: field nickname: unexpected column",
        id="extra-column",
    ),
    pytest.param(
        POPULATION_HEADER.replace("\n", ",name\n") + GOOD_ROW.replace("\n", ",x\n"),
        r"population\.csv:1: field name: the column appears twice",
        id="repeated-column",
    ),
    pytest.param(
        POPULATION_HEADER + GOOD_ROW + GOOD_ROW.replace("1949-12-31", "1980-13-01"),
        r"population\.csv:3: field birth_date: '1980-13-01' is not a date \(YYYY-MM-DD\)",
        id="non-date",
    ),
    pytest.param(
        POPULATION_HEADER + GOOD_ROW.replace("1949-12-31", "31/12/1949"),
        r"population\.csv:2: field birth_date: '31/12/1949' is not a date",
        id="other-date-form",
    ),
    pytest.param(
        POPULATION_HEADER + GOOD_ROW.replace("371302001001", "37130X"),
        r"population\.csv:2: field residence_code: '37130X' is not a division code",
        id="non-code",
    ),
    pytest.param(
        POPULATION_HEADER + GOOD_ROW.replace(",13800138000", ""),
        r"population\.csv:2: field phone: missing \(the row has 6 fields, the header 7\)",
        id="short-row",
    ),
    pytest.param(
        POPULATION_HEADER + GOOD_ROW.replace("\n", ",x\n"),
        r"population\.csv:2: field #8: one field too many",
        id="long-row",
    ),
    pytest.param(
        POPULATION_HEADER + GOOD_ROW.replace("11010519491231002X", ""),
        r"population\.csv:2: field citizen_id: the value is empty, but a value is required",
        id="empty-key",
    ),
    pytest.param(
        POPULATION_HEADER + "\n" + GOOD_ROW,
        r"population\.csv:2: empty line inside the file",
        id="blank-line",
    ),
    pytest.param(
        POPULATION_HEADER + 'P1,110105,"张"三,1,1949-12-31,371302001001,\n',
        r"population\.csv:2: not valid CSV",
        id="bad-quoting",
    ),
    pytest.param("", r"population\.csv:1: the file is empty", id="empty-file"),
    pytest.param(
        (POPULATION_HEADER + GOOD_ROW).encode("utf-8")
        + "P2,110105194912310037,李四,1,1949-12-31,371302001001,\n".encode("gbk"),
        r"population\.csv:3: field name: not valid UTF-8 \(byte 0x",
        id="bad-utf8",
    ),
]


@pytest.mark.parametrize(("content", "message"), BROKEN_POPULATION)
def test_broken_population_is_an_input_error(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_table(population(tmp_path, content))


def test_non_number_is_an_input_error(tmp_path: Path) -> None:
    header = (
        "facility_code,name,facility_type,operator_credit_code,township_code,"
        "longitude,latitude,status\n"
    )
    path = tmp_path / "facilities.csv"
    path.write_text(
        header + "F1,学校,school-primary,,371302001,118.34E,35.06,in-service\n", "utf-8"
    )
    source = SourceFile(path, SOURCE_KINDS["facilities"])
    with pytest.raises(
        InputError, match=r"facilities\.csv:2: field longitude: '118\.34E' is not a decimal number"
    ):
        read_table(source)


def test_wrong_values_that_parse_are_kept_for_the_shapes(tmp_path: Path) -> None:
    """A bad check character, an impossible or a future date, a dangling code: not input errors."""
    rows = [
        "P1,110105194912310021,张三,1,2023-02-30,371302001001,123",  # wrong check character
        "P2,110105299912310037,李四,2,2999-12-31,999999999999,",  # future date, unknown village
    ]
    table = read_table(population(tmp_path, POPULATION_HEADER + "\n".join(rows) + "\n"))
    assert table.frame["birth_date"].tolist() == ["2023-02-30", "2999-12-31"]
    assert table.frame["phone"].tolist() == ["123", ""]


def test_lines_are_physical_lines_with_the_header_as_line_one(tmp_path: Path) -> None:
    quoted_newline = 'P2,110105194912310037,"李\n四",1,1949-12-31,371302001001,\n'
    content = POPULATION_HEADER + GOOD_ROW + quoted_newline + GOOD_ROW.replace("P1", "P3")
    table = read_table(population(tmp_path, content))
    assert table.frame["_line"].tolist() == [2, 3, 5]
    assert table.frame["name"].tolist()[1] == "李\n四"


def test_columns_may_come_in_any_order_and_a_bom_is_dropped(tmp_path: Path) -> None:
    header = "phone,citizen_id,name,sex,birth_date,residence_code,person_id\n"
    row = "13800138000,11010519491231002X,张三,1,1949-12-31,371302001001,P1\n"
    table = read_table(population(tmp_path, ("\ufeff" + header + row).encode("utf-8")))
    assert list(table.frame.columns[:2]) == ["person_id", "citizen_id"]
    assert table.frame.at[0, "phone"] == "13800138000"


def test_trailing_empty_lines_are_allowed(tmp_path: Path) -> None:
    table = read_table(population(tmp_path, POPULATION_HEADER + GOOD_ROW + "\n\n"))
    assert table.record_count == 1


def test_header_only_is_no_record(tmp_path: Path) -> None:
    table = read_table(population(tmp_path, POPULATION_HEADER))
    assert table.record_count == 0
