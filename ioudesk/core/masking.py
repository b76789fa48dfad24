"""Masked display of personal data (脱敏显示): lists, exports, receipts and logs show these, the full
value is shown only on a permission-checked, audited "view" action.

The rules follow common practice for Chinese financial apps (and GB/T 35273's minimisation): an ID
number keeps its region code (first 6) and last 4, a mobile number its carrier prefix (first 3) and
last 4, a bank account its first 4 and last 4, a name its first character.  Short or odd input
never raises and never shows more than half of itself; ``None`` and ``""`` give ``""``.

>>> mask_id_number("11010519491231002X")
'110105********002X'
>>> mask_phone("13812345678")
'138****5678'
>>> mask_bank_account("6222021234567890123")
'6222 **** **** 0123'
>>> mask_name("张三丰")
'张**'
"""

from __future__ import annotations

import unicodedata

STAR = "*"


def _clean(value: str | None) -> str:
    """NFKC (full-width digits to ASCII) without whitespace; ``None`` is ``""``."""
    if not value:
        return ""
    return "".join(unicodedata.normalize("NFKC", str(value)).split())


def _mask_short(text: str) -> str:
    """For values too short for their normal rule: stars with at most the last third visible.

    >>> _mask_short("123456"), _mask_short("12"), _mask_short("")
    ('****56', '**', '')
    """
    visible = len(text) // 3
    return STAR * (len(text) - visible) + (text[-visible:] if visible else "")


def _keep(text: str, head: int, tail: int) -> str:
    """``head`` and ``tail`` characters kept, every character between them a star (same length)."""
    if len(text) <= head + tail:
        return _mask_short(text)
    return text[:head] + STAR * (len(text) - head - tail) + text[-tail:]


def mask_id_number(value: str | None) -> str:
    """身份证号: first 6 (region), stars, last 4; 18 digits give 8 stars, 15-digit numbers 5.

    >>> mask_id_number(" 11010519491231002x ")
    '110105********002X'
    >>> mask_id_number("110105491231002")
    '110105*****1002'
    >>> mask_id_number("E1234567"), mask_id_number(None)
    ('******67', '')
    """
    text = _clean(value).upper()
    if len(text) < 14:  # passports, HK/Macau permits, typos: the short rule
        return _mask_short(text)
    return _keep(text, 6, 4)


def mask_phone(value: str | None) -> str:
    """Phone number: first 3, stars, last 4; a ``+86``/``0086`` prefix is kept as ``+86``.

    >>> mask_phone("+86 138-1234-5678")
    '+86 138****5678'
    >>> mask_phone("010-62345678")
    '010****5678'
    >>> mask_phone("12345"), mask_phone("")
    ('****5', '')
    """
    text = _clean(value).replace("-", "")
    prefix = ""
    for country in ("+86", "0086"):
        if text.startswith(country) and len(text) > len(country) + 7:
            prefix, text = "+86 ", text[len(country):]
            break
    if len(text) < 8:
        return prefix + _mask_short(text)
    return prefix + _keep(text, 3, 4)


def mask_bank_account(value: str | None) -> str:
    """Bank card or account: first 4 and last 4 in a fixed ``6222 **** **** 0123`` shape, so the
    mask does not reveal how long the number is.

    >>> mask_bank_account("6222 0212 3456 7890 123")
    '6222 **** **** 0123'
    >>> mask_bank_account("12345678"), mask_bank_account("123")
    ('**** 5678', '**3')
    """
    text = _clean(value).replace("-", "")
    if len(text) > 8:
        return f"{text[:4]} **** **** {text[-4:]}"
    if len(text) > 4:
        return f"**** {text[-min(4, len(text) // 2):]}"
    return _mask_short(text)


def mask_name(value: str | None) -> str:
    """Name: the first character (the surname, usually) and a star for each other character.

    >>> mask_name("张三"), mask_name("欧阳娜娜"), mask_name("买买提·艾力")
    ('张*', '欧***', '买*****')
    >>> mask_name("张"), mask_name("  "), mask_name(None)
    ('*', '', '')
    """
    text = (value or "").strip()
    if len(text) <= 1:
        return STAR * len(text)
    return text[0] + STAR * (len(text) - 1)
