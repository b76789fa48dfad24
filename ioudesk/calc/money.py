"""Money: yuan as :class:`~decimal.Decimal`, fen as ``int``, half-up rounding to the fen.

Rules (docs/domain.md §1; 会计基础工作规范): amounts are kept to the fen (0.01 yuan) and
rounded half-up (四舍五入), never half-even; ``float`` is refused because 0.1 + 0.2 is not
0.3.  A user-typed amount with more than two decimals is an error, not a silent rounding.

>>> quantize(Decimal("2.675"))
Decimal('2.68')
>>> to_fen(Decimal("12345.67")), from_fen(1234567)
(1234567, Decimal('12345.67'))
>>> parse_amount("¥12,345.6")
Decimal('12345.60')
>>> parse_amount("1.005")
Traceback (most recent call last):
...
ioudesk.calc.errors.InvalidAmount: 金额最多两位小数（精确到分），请删去多余的小数位：1.005
>>> format_yuan(Decimal("12345.67"))
'¥12,345.67'

``ratio_split`` divides an amount by weights with the largest-remainder method (as
django-hordak's ``ratio_split``), so the parts always add back to the whole:

>>> ratio_split(Decimal("100.00"), [1, 1, 1])
[Decimal('33.34'), Decimal('33.33'), Decimal('33.33')]
"""
import re
from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from ioudesk.calc.errors import InvalidAmount

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
#: The largest amount the engine accepts: 9,999亿 (what 大写金额 can spell), minus a fen.
MAX_AMOUNT = Decimal("999999999999.99")

_AMOUNT_RE = re.compile(r"^(?P<sign>[-+]?)(?P<int>\d+)(?:\.(?P<frac>\d*))?$")
_GROUPED_RE = re.compile(r"^\d{1,3}(,\d{3})+(\.\d*)?$")


def quantize(amount: Decimal) -> Decimal:
    """Round ``amount`` half-up to the fen.

    >>> quantize(Decimal("0.005")), quantize(Decimal("-0.005")), quantize(Decimal("7"))
    (Decimal('0.01'), Decimal('-0.01'), Decimal('7.00'))
    """
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def round_places(value: Decimal, places: int) -> Decimal:
    """A figure that is not an amount (a ratio, a multiple, hours) rounded half-up to ``places``:

    >>> round_places(Decimal("4.995"), 2), round_places(Decimal("2.25"), 1)
    (Decimal('5.00'), Decimal('2.3'))
    """
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def round_down(value: Decimal, step: Decimal) -> Decimal:
    """Down to a multiple of ``step`` (a suggested amount to whole hundreds, a rate to 0.01 %):

    >>> round_down(Decimal("39999.99"), Decimal("100")), round_down(Decimal("0.081579"), Decimal("0.0001"))
    (Decimal('39900'), Decimal('0.0815'))
    """
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


def to_fen(amount: Decimal) -> int:
    """Yuan to whole fen; an amount with fractions of a fen is an error (round it first).

    >>> to_fen(Decimal("0.1"))
    10
    """
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise InvalidAmount(f"金额最多两位小数（精确到分），请先四舍五入到分：{amount}")
    return int(fen)


def from_fen(fen: int) -> Decimal:
    """Whole fen to yuan with two decimals.

    >>> from_fen(-5)
    Decimal('-0.05')
    """
    return (Decimal(fen) / 100).quantize(FEN)


def parse_amount(value: "str | Decimal | int", *, field: str = "金额") -> Decimal:
    """Read an amount typed by a person or sent by the API, to two decimals.

    Accepts ``str`` (``"12345.67"``, ``"12,345.67"``, ``"¥12,345.67"``, ``"100元"``),
    ``Decimal`` and ``int``.  Refuses ``float``, exponents, more than two decimals and
    anything above :data:`MAX_AMOUNT`.  The sign is kept; callers decide whether a negative
    or zero amount makes sense (see :func:`positive_amount`).

    >>> parse_amount("100元"), parse_amount(5), parse_amount(Decimal("0.5"))
    (Decimal('100.00'), Decimal('5.00'), Decimal('0.50'))
    >>> parse_amount(0.1)
    Traceback (most recent call last):
    ...
    ioudesk.calc.errors.InvalidAmount: 金额不能用浮点数传入，请改用字符串或Decimal，如 "0.10"
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidAmount(f'{field}不能用浮点数传入，请改用字符串或Decimal，如 "0.10"')
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidAmount(f"{field}必须是有限的数字，请重新输入")
        text = format(value, "f")
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        text = text.removeprefix("¥").removeprefix("￥").removeprefix("RMB").removesuffix("元")
        text = text.replace("，", ",")
        if "," in text:
            if not _GROUPED_RE.match(text.lstrip("-+")):
                raise InvalidAmount(f"{field}的千分位逗号位置不对，请写成 12,345.67 或 12345.67：{value}")
            text = text.replace(",", "")
    else:
        raise InvalidAmount(f"{field}的类型不支持（{type(value).__name__}），请传入字符串或Decimal")
    match = _AMOUNT_RE.match(text)
    if not match:
        raise InvalidAmount(f"{field}格式不正确，请输入如 12345.67 的数字：{value}")
    frac = (match["frac"] or "").rstrip("0") if isinstance(value, Decimal) else (match["frac"] or "")
    if len(frac) > 2:
        raise InvalidAmount(f"{field}最多两位小数（精确到分），请删去多余的小数位：{value}")
    try:
        amount = Decimal(text).quantize(FEN)
    except InvalidOperation:  # pragma: no cover - the regex already guarantees a number
        raise InvalidAmount(f"{field}格式不正确：{value}") from None
    if abs(amount) > MAX_AMOUNT:
        raise InvalidAmount(f"{field}超过上限 {format_yuan(MAX_AMOUNT)}，请检查是否多输了位数")
    return amount


def positive_amount(value: "str | Decimal | int", *, field: str = "金额") -> Decimal:
    """:func:`parse_amount` that also requires the amount to be above zero.

    >>> positive_amount("0", field="本金")
    Traceback (most recent call last):
    ...
    ioudesk.calc.errors.InvalidAmount: 本金必须大于0，请输入正数金额
    """
    amount = parse_amount(value, field=field)
    if amount <= 0:
        raise InvalidAmount(f"{field}必须大于0，请输入正数金额")
    return amount


def non_negative_amount(value: "str | Decimal | int", *, field: str = "金额") -> Decimal:
    """:func:`parse_amount` that allows zero but not a negative amount."""
    amount = parse_amount(value, field=field)
    if amount < 0:
        raise InvalidAmount(f"{field}不能为负数，请输入0或正数金额")
    return amount


def format_yuan(amount: Decimal, *, symbol: str = "¥") -> str:
    """Arabic figures with the yuan sign, thousands separators and two decimals.

    >>> format_yuan(Decimal("-1234.5")), format_yuan(Decimal("0"))
    ('-¥1,234.50', '¥0.00')
    """
    rounded = quantize(amount)
    sign = "-" if rounded < 0 else ""
    return f"{sign}{symbol}{abs(rounded):,.2f}"


def ratio_split(amount: Decimal, ratios: Sequence["Decimal | int"]) -> list[Decimal]:
    """Split ``amount`` in proportion to ``ratios`` without losing or inventing a fen.

    Each part is first rounded down to the fen; the fen left over go one each to the parts
    with the largest remainders (earlier parts win ties).  Negative amounts split like their
    absolute value, with the sign put back.

    >>> ratio_split(Decimal("10.00"), [Decimal("0.5"), Decimal("0.3"), Decimal("0.2")])
    [Decimal('5.00'), Decimal('3.00'), Decimal('2.00')]
    >>> ratio_split(Decimal("-0.05"), [1, 1])
    [Decimal('-0.03'), Decimal('-0.02')]
    """
    weights = [Decimal(r) for r in ratios]
    if not weights or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise InvalidAmount("分摊比例必须非负且合计大于0，请检查比例")
    total_fen = to_fen(quantize(amount))
    sign, remaining = (-1 if total_fen < 0 else 1), abs(total_fen)
    total_weight = sum(weights)
    exact = [remaining * w / total_weight for w in weights]
    floors = [int(x.to_integral_value(rounding=ROUND_DOWN)) for x in exact]
    leftover = remaining - sum(floors)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_remainder[:leftover]:
        floors[i] += 1
    return [from_fen(sign * fen) for fen in floors]
