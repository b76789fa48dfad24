"""Amounts in words (大写金额) and Chinese uppercase dates (大写日期).

Rules (会计基础工作规范 art. 52; 支付结算办法 附件一《正确填写票据和结算凭证的基本规定》;
docs/domain.md §15):

* digits 零壹贰叁肆伍陆柒捌玖, units 拾佰仟万亿, 元角分; 壹 is written before 拾
  (¥16 is 壹拾陆元);
* 整 after 元 when there are no 角/分; after 角 it may be written or left out (here: left
  out unless ``zheng_after_jiao``);
* a zero (or a run of zeros) inside the number is one 零; a zero run that crosses the 万 or
  亿 boundary keeps its 零 when something follows, so 6.0007亿 never reads like 6.7亿;
* when the 元 place is zero but 角 is not, one 零 may be written (here: written unless
  ``zero_before_jiao=False``); when 角 is zero and 分 is not, 零 is always written.

The examples of 支付结算办法 附件一:

>>> amount_in_words(Decimal("1409.50"))
'壹仟肆佰零玖元伍角'
>>> amount_in_words(Decimal("6007.14"))
'陆仟零柒元壹角肆分'
>>> amount_in_words(Decimal("1680.32"))
'壹仟陆佰捌拾元零叁角贰分'
>>> amount_in_words(Decimal("107000.53"))
'壹拾万柒仟元零伍角叁分'
>>> amount_in_words(Decimal("325.04"), prefix=True)
'人民币叁佰贰拾伍元零肆分'

The zeros across the 万 and 亿 boundaries:

>>> amount_in_words(Decimal("600070000"))
'陆亿零柒万元整'
>>> amount_in_words(Decimal("100005000"))
'壹亿零伍仟元整'

Dates on cheques: the year digit by digit; 零 before months 1, 2 and 10 and before days
1–9, 10, 20 and 30; 壹 before days 11–19 (支付结算办法 附件一 § 6):

>>> date_in_words(date(2026, 2, 12)), date_in_words(date(2025, 10, 20))
('贰零贰陆年零贰月壹拾贰日', '贰零贰伍年零壹拾月零贰拾日')
"""
from datetime import date
from decimal import Decimal

from ioudesk.calc.errors import InvalidAmount
from ioudesk.calc.money import MAX_AMOUNT, parse_amount

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_SECTION_UNITS = ("", "万", "亿")
_LOWER_DIGITS = "〇一二三四五六七八九"


def _section(value: int) -> str:
    """A number 1–9999 in words, zeros inside collapsed to one 零, none at the end."""
    text, pending_zero = "", False
    for position in range(3, -1, -1):
        digit = value // 10**position % 10
        if digit == 0:
            pending_zero = bool(text)
            continue
        if pending_zero:
            text += "零"
            pending_zero = False
        text += DIGITS[digit] + _SMALL_UNITS[position]
    return text


def integer_in_words(value: int) -> str:
    """A whole number of yuan below 1万亿 in words, without 元.

    >>> integer_in_words(1000000001), integer_in_words(10), integer_in_words(0)
    ('壹拾亿零壹', '壹拾', '零')
    """
    if value == 0:
        return "零"
    sections = [value // 10**8, value // 10**4 % 10**4, value % 10**4]
    text, zero_pending = "", False
    for section, unit in zip(sections, _SECTION_UNITS[::-1], strict=True):
        if section == 0:
            zero_pending = bool(text)
            continue
        if text and (zero_pending or section < 1000):
            text += "零"
        text += _section(section) + unit
        zero_pending = False
    return text


def amount_in_words(
    amount: "Decimal | str | int",
    *,
    prefix: bool = False,
    zheng_after_jiao: bool = False,
    zero_before_jiao: bool = True,
) -> str:
    """An amount to 9,999亿 (and 99 fen) in words; ``prefix`` adds 人民币.

    >>> amount_in_words(Decimal("0.05")), amount_in_words(Decimal("0")), amount_in_words("0.50")
    ('伍分', '零元整', '伍角')
    >>> amount_in_words(Decimal("999999999999.99"))
    '玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分'
    """
    value = parse_amount(amount)
    if value < 0:
        raise InvalidAmount("大写金额不能为负数，请输入0或正数金额")
    if value > MAX_AMOUNT:  # pragma: no cover - parse_amount refuses it first
        raise InvalidAmount("大写金额最大到玖仟玖佰玖拾玖亿，请检查金额")
    fen_total = int(value * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    head = "人民币" if prefix else ""
    if jiao == 0 and fen == 0:
        return f"{head}{integer_in_words(yuan)}元整"
    text = f"{integer_in_words(yuan)}元" if yuan else ""
    if jiao:
        if yuan and yuan % 10 == 0 and zero_before_jiao:
            text += "零"
        text += DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if fen:
        text += DIGITS[fen] + "分"
    elif zheng_after_jiao:
        text += "整"
    return head + text


def _cheque_month(month: int) -> str:
    words = DIGITS[month] if month < 10 else "壹拾" + (DIGITS[month - 10] if month > 10 else "")
    return ("零" if month in (1, 2, 10) else "") + words


def _cheque_day(day: int) -> str:
    tens, ones = divmod(day, 10)
    words = (DIGITS[tens] + "拾" if tens else "") + (DIGITS[ones] if ones else "")
    if day < 10 or ones == 0:
        return "零" + words
    return words  # 11–19 start with 壹拾, as the rule requires


def date_in_words(day: date) -> str:
    """A date in cheque capitals (出票日期), with the anti-tampering 零 and 壹.

    >>> date_in_words(date(2024, 1, 15)), date_in_words(date(2023, 12, 31))
    ('贰零贰肆年零壹月壹拾伍日', '贰零贰叁年壹拾贰月叁拾壹日')
    """
    year = "".join(DIGITS[int(d)] for d in f"{day.year:04d}")
    return f"{year}年{_cheque_month(day.month)}月{_cheque_day(day.day)}日"


def date_in_chinese(day: date) -> str:
    """A date in ordinary Chinese numerals for documents (二〇二六年二月十二日).

    >>> date_in_chinese(date(2026, 2, 12)), date_in_chinese(date(2025, 10, 30))
    ('二〇二六年二月十二日', '二〇二五年十月三十日')
    """
    def small(n: int) -> str:
        tens, ones = divmod(n, 10)
        return ((_LOWER_DIGITS[tens] if tens > 1 else "") + "十" if tens else "") + (
            _LOWER_DIGITS[ones] if ones else ""
        )

    year = "".join(_LOWER_DIGITS[int(d)] for d in f"{day.year:04d}")
    return f"{year}年{small(day.month)}月{small(day.day)}日"


def amount_in_figures(amount: "Decimal | str | int") -> str:
    """Arabic figures for documents: ¥ and thousands separators (see :func:`money.format_yuan`).

    >>> amount_in_figures("12345.67")
    '¥12,345.67'
    """
    from ioudesk.calc.money import format_yuan

    return format_yuan(parse_amount(amount))
