"""Chinese identifier rules: check characters, validity tests and constructors. Pure functions.

- GB 11643-1999 citizen identification number (公民身份号码): 6-digit county code (GB/T 2260),
  8-digit birth date, 3-digit sequence whose parity is the sex (odd male, even female), and an
  ISO 7064 MOD 11-2 check character (``X`` for 10).
- GB 11714-1997 organization code (组织机构代码): 8 characters ``0-9A-Z`` and a check character
  (weights 3 7 9 10 5 8 4 2, C9 = 11 - S mod 11, 10 is ``X`` and 11 is ``0``).
- GB 32100-2015 unified social credit code (统一社会信用代码): registration authority, category,
  6-digit division code, the 9-character organization code, and a MOD 31 check character over the
  31-character set ``0-9A-Z`` without I, O, Z, S, V.

Source: the project's standards notes §4.1-4.3 (secondary sources, algorithms verified on the
test vectors listed there).
"""

from __future__ import annotations

import re
from datetime import date

CITIZEN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2^(18-i) mod 11
CITIZEN_ID_CHECK_CHARS = "10X98765432"
CITIZEN_ID_PATTERN = re.compile(r"^[1-9][0-9]{5}(18|19|20)[0-9]{2}[0-9]{7}[0-9X]$")
MAX_SEQUENCE = 498
"""Largest ``sequence`` of :func:`make_citizen_id` (codes 001-997 for men, 002-998 for women)."""

ORGANIZATION_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORGANIZATION_CODE_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ORGANIZATION_CODE_PATTERN = re.compile(r"^([0-9A-Z]{8})-?([0-9X])$")

CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3^(i-1)
CREDIT_CODE_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")


# --- GB 11643 citizen identification number -------------------------------------------------


def citizen_id_check_char(first17: str) -> str:
    """Return the MOD 11-2 check character of the 17-digit body ``first17``."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"a citizen ID body is 17 digits, not {first17!r}")
    total = sum(
        int(digit) * weight for digit, weight in zip(first17, CITIZEN_ID_WEIGHTS, strict=True)
    )
    return CITIZEN_ID_CHECK_CHARS[total % 11]


def citizen_id_birth_date(citizen_id: str) -> date:
    """Return the birth date written in positions 7-14; ``ValueError`` if it is no calendar date."""
    text = citizen_id[6:14]
    if len(text) != 8 or not text.isdigit():
        raise ValueError(f"no birth date in {citizen_id!r}")
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


def citizen_id_sex(citizen_id: str) -> int:
    """Return the GB/T 2261.1 sex code given by the parity of position 17 (1 male, 2 female)."""
    return 1 if int(citizen_id[16]) % 2 else 2


def is_valid_citizen_id(value: str) -> bool:
    """Tell whether ``value`` is a well-formed 18-character GB 11643 number.

    The structure, a real calendar birth date and the check character are tested; whether the
    county code exists and whether the date lies in the past are not.
    """
    if not isinstance(value, str) or not CITIZEN_ID_PATTERN.match(value):
        return False
    try:
        citizen_id_birth_date(value)
    except ValueError:
        return False
    return citizen_id_check_char(value[:17]) == value[17]


def make_citizen_id(county_code: str, birth_date: date, sequence: int, sex_code: int | str) -> str:
    """Build a valid citizen ID.

    ``sequence`` (0 to :data:`MAX_SEQUENCE`) numbers the people of one sex born on one day in one
    county; the 3-digit sequence code is ``2 * sequence + 1`` for men (odd) and
    ``2 * sequence + 2`` for women (even), so its parity follows ``sex_code`` (1 or 2).
    """
    if len(county_code) != 6 or not county_code.isdigit() or county_code[0] == "0":
        raise ValueError(f"a county code is 6 digits not starting with 0, not {county_code!r}")
    if not 1800 <= birth_date.year <= 2099:
        raise ValueError(f"a birth year in a citizen ID is 1800-2099, not {birth_date.year}")
    if not 0 <= sequence <= MAX_SEQUENCE:
        raise ValueError(f"sequence must be 0-{MAX_SEQUENCE}, not {sequence}")
    sex = int(sex_code)
    if sex not in (1, 2):
        raise ValueError(f"sex code must be 1 or 2, not {sex_code!r}")
    body = f"{county_code}{birth_date:%Y%m%d}{2 * sequence + sex:03d}"
    return body + citizen_id_check_char(body)


# --- GB 11714 organization code --------------------------------------------------------------


def organization_code_check_char(first8: str) -> str:
    """Return the GB 11714 check character of the 8-character body ``first8`` (``0-9A-Z``)."""
    if len(first8) != 8 or any(c not in ORGANIZATION_CODE_CHARS for c in first8):
        raise ValueError(f"an organization code body is 8 characters 0-9A-Z, not {first8!r}")
    total = sum(
        ORGANIZATION_CODE_CHARS.index(c) * w
        for c, w in zip(first8, ORGANIZATION_CODE_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def is_valid_organization_code(value: str) -> bool:
    """Tell whether ``value`` is a GB 11714 code, written ``XXXXXXXXC`` or ``XXXXXXXX-C``."""
    match = ORGANIZATION_CODE_PATTERN.match(value) if isinstance(value, str) else None
    return bool(match) and organization_code_check_char(match[1]) == match[2]


# --- GB 32100 unified social credit code -----------------------------------------------------


def credit_code_check_char(first17: str) -> str:
    """Return the GB 32100 MOD 31 check character of the 17-character body ``first17``."""
    if len(first17) != 17 or any(c not in CREDIT_CODE_CHARS for c in first17):
        raise ValueError(f"a credit code body is 17 characters of {CREDIT_CODE_CHARS}")
    total = sum(
        CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def is_valid_credit_code(value: str) -> bool:
    """Tell whether ``value`` matches the GB 32100 pattern and its check character.

    Positions 9-17 are not required to be a valid organization code: see
    :func:`is_valid_organization_code` for that.
    """
    if not isinstance(value, str) or not CREDIT_CODE_PATTERN.match(value):
        return False
    return credit_code_check_char(value[:17]) == value[17]


def make_credit_code(authority: str, category: str, division_code: str, org_code_body8: str) -> str:
    """Build a valid credit code from its parts.

    ``org_code_body8`` is the 8-character organization code body; its GB 11714 check character
    is added as position 17, and the GB 32100 check character as position 18. Every character
    must belong to the credit code character set (no I, O, Z, S, V).
    """
    if len(authority) != 1 or len(category) != 1:
        raise ValueError("authority and category are one character each")
    if len(division_code) != 6 or not division_code.isdigit():
        raise ValueError(f"a division code is 6 digits, not {division_code!r}")
    organization_code = org_code_body8 + organization_code_check_char(org_code_body8)
    body = authority + category + division_code + organization_code
    return body + credit_code_check_char(body)
