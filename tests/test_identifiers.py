"""GB 11643 citizen IDs, GB 11714 organization codes and GB 32100 credit codes."""

from __future__ import annotations

from datetime import date

import pytest

from kgservice.identifiers import (
    CITIZEN_ID_CHECK_CHARS,
    CITIZEN_ID_WEIGHTS,
    CREDIT_CODE_CHARS,
    CREDIT_CODE_WEIGHTS,
    MAX_SEQUENCE,
    citizen_id_birth_date,
    citizen_id_check_char,
    citizen_id_sex,
    credit_code_check_char,
    is_valid_citizen_id,
    is_valid_credit_code,
    is_valid_organization_code,
    make_citizen_id,
    make_credit_code,
    organization_code_check_char,
)


def test_weights_follow_the_standards_formulas() -> None:
    assert list(CITIZEN_ID_WEIGHTS) == [2 ** (18 - i) % 11 for i in range(1, 18)]
    assert list(CREDIT_CODE_WEIGHTS) == [3 ** (i - 1) % 31 for i in range(1, 18)]
    assert len(CREDIT_CODE_CHARS) == 31
    assert not set("IOZSV") & set(CREDIT_CODE_CHARS)


@pytest.mark.parametrize("value", ["11010519491231002X", "34052419800101001X"])
def test_citizen_id_vectors_valid(value: str) -> None:
    assert is_valid_citizen_id(value)
    assert citizen_id_check_char(value[:17]) == value[17]


def test_citizen_id_vector_invalid() -> None:
    assert not is_valid_citizen_id("340524198001010013")
    assert citizen_id_check_char("34052419800101001") == "X"


def test_citizen_id_sample_fields() -> None:
    sample = "11010519491231002X"
    assert citizen_id_birth_date(sample) == date(1949, 12, 31)
    assert citizen_id_sex(sample) == 2


@pytest.mark.parametrize(
    "value",
    [
        "",
        "11010519491231002x",  # lower-case x
        "01010519491231002X",  # county code starting with 0
        "1101051949123100",  # too short
        "110105194902300021",  # 30 February
        "110105219901010010",  # year 2199
        None,
    ],
)
def test_citizen_id_malformed(value: str) -> None:
    assert not is_valid_citizen_id(value)


@pytest.mark.parametrize(
    ("county", "birth", "sequence", "sex"),
    [
        ("371302", date(1980, 1, 1), 0, 1),
        ("371302", date(1980, 1, 1), 0, 2),
        ("371371", date(2000, 2, 29), MAX_SEQUENCE, "1"),
        ("110105", date(1949, 12, 31), 0, 2),
        ("371329", date(1930, 1, 1), 17, 2),
    ],
)
def test_make_citizen_id_round_trip(county: str, birth: date, sequence: int, sex: int) -> None:
    value = make_citizen_id(county, birth, sequence, sex)
    assert is_valid_citizen_id(value)
    assert value[:6] == county
    assert citizen_id_birth_date(value) == birth
    assert citizen_id_sex(value) == int(sex)
    for other in CITIZEN_ID_CHECK_CHARS.replace(value[17], ""):
        assert not is_valid_citizen_id(value[:17] + other)


def test_make_citizen_id_gives_the_standards_sample() -> None:
    assert make_citizen_id("110105", date(1949, 12, 31), 0, 2) == "11010519491231002X"


def test_make_citizen_id_sequences_differ_by_sex() -> None:
    male = make_citizen_id("371302", date(1990, 5, 5), 3, 1)
    female = make_citizen_id("371302", date(1990, 5, 5), 3, 2)
    assert male[14:17] == "007"
    assert female[14:17] == "008"


@pytest.mark.parametrize(
    ("county", "birth", "sequence", "sex"),
    [
        ("37130", date(1980, 1, 1), 0, 1),
        ("071302", date(1980, 1, 1), 0, 1),
        ("371302", date(2100, 1, 1), 0, 1),
        ("371302", date(1980, 1, 1), MAX_SEQUENCE + 1, 1),
        ("371302", date(1980, 1, 1), -1, 1),
        ("371302", date(1980, 1, 1), 0, 9),
    ],
)
def test_make_citizen_id_rejects_bad_parts(
    county: str, birth: date, sequence: int, sex: int
) -> None:
    with pytest.raises(ValueError):
        make_citizen_id(county, birth, sequence, sex)


@pytest.mark.parametrize("value", ["40000988-0", "40000219-5", "400009880", "400002195"])
def test_organization_code_vectors(value: str) -> None:
    assert is_valid_organization_code(value)
    assert organization_code_check_char(value[:8]) == value[-1]


@pytest.mark.parametrize("value", ["40000988-1", "40000219-X", "4000098-80", "4000a988-0", ""])
def test_organization_code_invalid(value: str) -> None:
    assert not is_valid_organization_code(value)


def test_organization_code_check_char_x_and_zero() -> None:
    checks = {organization_code_check_char(f"{n:08d}") for n in range(200)}
    assert {"X", "0"} <= checks
    with pytest.raises(ValueError):
        organization_code_check_char("4000098")


@pytest.mark.parametrize("value", ["12100000400009880K", "12100000400002195R"])
def test_credit_code_vectors_valid(value: str) -> None:
    assert is_valid_credit_code(value)
    assert credit_code_check_char(value[:17]) == value[17]
    assert is_valid_organization_code(value[8:17])


@pytest.mark.parametrize(
    "value",
    [
        "91350100M0001TGQXM",  # legally issued, yet fails the check (standards notes §4.2)
        "12100000400009880A",
        "12100000400009880",
        "1210000040000988OK",  # O is not in the character set
        "",
    ],
)
def test_credit_code_invalid(value: str) -> None:
    assert not is_valid_credit_code(value)


def test_make_credit_code_rebuilds_the_vectors() -> None:
    assert make_credit_code("1", "2", "100000", "40000988") == "12100000400009880K"
    assert make_credit_code("1", "2", "100000", "40000219") == "12100000400002195R"


@pytest.mark.parametrize(
    ("authority", "category", "division", "body"),
    [
        ("9", "1", "371302", "MA3C4XY7"),
        ("9", "2", "371371", "16685186"),
        ("5", "1", "371300", "MAP0QR12"),
    ],
)
def test_make_credit_code_round_trip(
    authority: str, category: str, division: str, body: str
) -> None:
    value = make_credit_code(authority, category, division, body)
    assert is_valid_credit_code(value)
    assert value[2:8] == division
    assert is_valid_organization_code(value[8:17])
    assert value[8:16] == body
    for other in CREDIT_CODE_CHARS.replace(value[17], "")[:5]:
        assert not is_valid_credit_code(value[:17] + other)


@pytest.mark.parametrize(
    ("authority", "category", "division", "body"),
    [
        ("9", "1", "37130", "40000988"),
        ("91", "", "371302", "40000988"),
        ("9", "1", "371302", "4000098I"),
    ],
)
def test_make_credit_code_rejects_bad_parts(
    authority: str, category: str, division: str, body: str
) -> None:
    with pytest.raises(ValueError):
        make_credit_code(authority, category, division, body)
