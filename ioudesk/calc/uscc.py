"""统一社会信用代码 (unified social credit identifier), GB 32100-2015.

Rule: 18 characters from ``0-9A-Z`` without I, O, S, V and Z (31 symbols, valued 0–30 in
the order ``0123456789ABCDEFGHJKLMNPQRTUWXY``): a registration authority (first character
1–9, A, N or Y), an organisation type, a 6-digit administrative division code, a 9-character
organisation code and a check character: ``C = 31 − (Σ value_i × 3^(i−1) mod 31) mod 31``
for the first 17, and 31 becomes 0.  Source: GB 32100-2015 § 4 and annex B; docs/domain.md §16.
(python-stdnum's ``cn.uscc`` rejects codes from authorities A, N and Y.)

>>> validate("91350100M000100Y43").registration_authority
'9'
>>> validate("91350100M000100Y44")
Traceback (most recent call last):
...
ioudesk.calc.errors.InvalidChecksum: 统一社会信用代码校验位应为3，实际为4，请逐位核对
"""
import re
from dataclasses import dataclass

from ioudesk.calc.errors import InvalidCharacter, InvalidChecksum, InvalidLength

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_AUTHORITIES = "123456789ANY"


@dataclass(frozen=True)
class Uscc:
    code: str
    registration_authority: str
    organisation_type: str
    region_code: str
    organisation_code: str


def compact(code: str) -> str:
    """Remove spaces and hyphens and upper-case.

    >>> compact("9135 0100-m000100y43")
    '91350100M000100Y43'
    """
    return re.sub(r"[\s-]", "", str(code)).upper()


def check_character(first17: str) -> str:
    """The check character for the first 17 characters.

    >>> check_character("91350100M000100Y4")
    '3'
    """
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate(code: str) -> Uscc:
    """Check a code and return its parts; raise an error that says what is wrong."""
    code = compact(code)
    if len(code) != 18:
        raise InvalidLength(f"统一社会信用代码应为18位，当前为{len(code)}位，请核对是否多输或漏输")
    bad = sorted({c for c in code if c not in ALPHABET})
    if bad:
        raise InvalidCharacter(
            f"统一社会信用代码含有不允许的字符{'、'.join(bad)}（不使用I、O、S、V、Z），请核对"
        )
    if code[0] not in _AUTHORITIES:
        raise InvalidCharacter(f"统一社会信用代码第1位（登记管理部门）应为1–9、A、N或Y，实际为{code[0]}，请核对")
    if not code[2:8].isdigit():
        raise InvalidCharacter("统一社会信用代码第3至8位（行政区划码）必须是数字，请核对")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise InvalidChecksum(f"统一社会信用代码校验位应为{expected}，实际为{code[17]}，请逐位核对")
    return Uscc(code=code, registration_authority=code[0], organisation_type=code[1],
                region_code=code[2:8], organisation_code=code[8:17])


def is_valid(code: str) -> bool:
    """Whether ``code`` is a valid unified social credit identifier."""
    try:
        validate(code)
    except ValueError:
        return False
    return True
