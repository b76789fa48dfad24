"""居民身份证号码 (resident identity card number), GB 11643-1999.

Rule: 18 characters — a 6-digit address code (first digit 1–8: the regions 1 North,
2 North-East, 3 East, 4 Central-South, 5 South-West, 6 North-West, 7 Taiwan, 8 Hong Kong /
Macao), an 8-digit birth date ``YYYYMMDD``, a 3-digit sequence (odd for men, even for
women) and a check character: the weighted sum of the first 17 digits with weights
7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, mod 11, indexes ``"10X98765432"``.  A lowercase x is
accepted and stored uppercase.  The address code is checked for shape only: no bundled list
of areas, because areas are renamed and merged while old numbers stay valid (python-stdnum's
``cn.ric`` rejects such numbers).  Source: GB 11643-1999 §§ 5–8; docs/domain.md §16.

Example from the standard (§ 8, the sample number):

>>> card = validate("11010519491231002x")
>>> card.number, card.birth_date, card.sex
('11010519491231002X', datetime.date(1949, 12, 31), '女')
>>> mask(card.number)
'110105********002X'
>>> validate("110105194912310021")
Traceback (most recent call last):
...
ioudesk.calc.errors.InvalidChecksum: 身份证号校验位应为X，实际为1，请逐位核对号码
"""
import re
from dataclasses import dataclass
from datetime import date

from ioudesk.calc.errors import (
    InvalidBirthDate,
    InvalidCharacter,
    InvalidChecksum,
    InvalidLength,
    InvalidRegion,
)

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"
_EARLIEST_BIRTH = date(1900, 1, 1)


@dataclass(frozen=True)
class IdCard:
    number: str
    region_code: str
    birth_date: date
    sex: str  # "男" or "女"


def compact(number: str) -> str:
    """Remove spaces and hyphens and upper-case the check character.

    >>> compact(" 110105 19491231 002x ")
    '11010519491231002X'
    """
    return re.sub(r"[\s-]", "", str(number)).upper()


def check_character(first17: str) -> str:
    """The check character for the first 17 digits.

    >>> check_character("11010519491231002")
    'X'
    """
    return _CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def validate(number: str, *, today: date | None = None) -> IdCard:
    """Check a number and return its parts; raise an error that says what is wrong.

    ``today`` (default: the system date) bounds the birth date, which may not be in the future.
    """
    number = compact(number)
    if len(number) == 15 and number.isdigit():
        raise InvalidLength("这是15位的旧身份证号，请改用18位的第二代身份证号")
    if len(number) != 18:
        raise InvalidLength(f"身份证号应为18位，当前为{len(number)}位，请核对是否多输或漏输")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidCharacter("身份证号前17位必须是数字，最后一位是数字或X，请核对")
    if number[0] not in "12345678":
        raise InvalidRegion(f"身份证号第1位（地址码）应为1至8，实际为{number[0]}，请核对")
    birth = _birth_date(number[6:14], today or date.today())
    expected = check_character(number[:17])
    if number[17] != expected:
        raise InvalidChecksum(f"身份证号校验位应为{expected}，实际为{number[17]}，请逐位核对号码")
    return IdCard(number=number, region_code=number[:6], birth_date=birth,
                  sex="男" if int(number[16]) % 2 else "女")


def _birth_date(text: str, today: date) -> date:
    try:
        birth = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise InvalidBirthDate(f"身份证号中的出生日期{text}不存在，请核对第7至14位") from None
    if birth > today:
        raise InvalidBirthDate(f"身份证号中的出生日期{birth.isoformat()}晚于今天，请核对第7至14位")
    if birth < _EARLIEST_BIRTH:
        raise InvalidBirthDate(f"身份证号中的出生日期{birth.isoformat()}早于1900年，请核对第7至14位")
    return birth


def is_valid(number: str, *, today: date | None = None) -> bool:
    """Whether ``number`` is a valid identity card number."""
    try:
        validate(number, today=today)
    except ValueError:
        return False
    return True


def mask(number: str) -> str:
    """Hide the birth date and sequence for display: first 6 and last 4 characters shown.

    >>> mask("110105194912310021")
    '110105********0021'
    """
    number = compact(number)
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
