"""Interest rates as Chinese lenders say them, and their conversions.

A :class:`Rate` keeps the number as quoted (per year, month or day) so nothing is lost to
rounding, and converts with the bank convention (docs/domain.md §2; 人民币利率管理规定,
银发〔1999〕77号 art. 21): **annual = monthly × 12 = daily × 360**.  Actual-day alternatives
(daily = annual / 365 or / 366) are :meth:`Rate.per_day` with another year length, chosen
with a day count (see :mod:`ioudesk.calc.daycount`).

Folk units: for a **monthly** rate 1分 = 1 %, 1厘 = 0.1 %; for an **annual** rate
1分 = 10 %, 1厘 = 1 %; for a **daily** rate 1分 = 0.1 %, 1厘 = 0.01 %, 万五 = 万分之五 = 0.05 %.

>>> parse_rate("月息1分").annual
Decimal('0.12')
>>> parse_rate("月息8厘").monthly, parse_rate("年息1分").annual
(Decimal('0.008'), Decimal('0.1'))
>>> parse_rate("日息万五").annual, parse_rate("日息1厘").daily
(Decimal('0.18'), Decimal('0.0001'))
>>> parse_rate("年化12%").monthly
Decimal('0.01')

Decisions (ambiguity is an error that says why, never a guess):

* a percentage without a period (``"12%"``) is annual — how contracts and the 年化利率
  disclosure quote it;
* a bare number (``"0.12"``, ``"12"``) is refused: it could be 12 % or 0.12 %;
* 分/厘 without 年/月/日 (``"1分"``) is refused: 1分 is 10 % a year but 1 % a month;
* negative rates are refused; zero is allowed (an interest-free IOU);
* above :data:`MAX_ANNUAL` (100 % a year) is refused unless the caller raises the limit —
  such a rate is almost always a typo (5 instead of 0.5) and is far beyond any legal cap.

>>> parse_rate("0.12")
Traceback (most recent call last):
...
ioudesk.calc.errors.InvalidRate: 利率“0.12”含义不明：可能是12%也可能是0.12%，请加上%并注明年/月/日，如“年化12%”“月息1%”
"""
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ioudesk.calc.errors import InvalidRate, RateOutOfRange

ANNUAL, MONTHLY, DAILY = "annual", "monthly", "daily"
_PER_YEAR = {ANNUAL: Decimal(1), MONTHLY: Decimal(12), DAILY: Decimal(360)}
_UNIT_NAMES = {ANNUAL: "年", MONTHLY: "月", DAILY: "日"}
#: Above this annual rate a quote is refused unless ``max_annual`` is raised.
MAX_ANNUAL = Decimal("1")
_HUNDRED = Decimal(100)

# How much one 分 / 厘 is worth, as a fraction, for each period.
_FEN_VALUE = {ANNUAL: Decimal("0.1"), MONTHLY: Decimal("0.01"), DAILY: Decimal("0.001")}
_LI_VALUE = {ANNUAL: Decimal("0.01"), MONTHLY: Decimal("0.001"), DAILY: Decimal("0.0001")}

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "两": 2, "贰": 2, "三": 3, "叁": 3,
              "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8,
              "捌": 8, "九": 9, "玖": 9, "十": 10, "拾": 10}
_PERIOD_PREFIXES = [
    ("年化利率", ANNUAL), ("年利率", ANNUAL), ("年化", ANNUAL), ("年息", ANNUAL), ("年利", ANNUAL),
    ("月利率", MONTHLY), ("月息", MONTHLY), ("月利", MONTHLY),
    ("日利率", DAILY), ("日息", DAILY), ("日利", DAILY),
]
_NUMBER = r"(\d+(?:\.\d+)?|[零〇一壹二两贰三叁四肆五伍六陆七柒八捌九玖十拾])"


@dataclass(frozen=True)
class Rate:
    """A rate as quoted: ``value`` (a fraction, 0.01 = 1 %) per ``unit`` (annual/monthly/daily).

    >>> rate = Rate(Decimal("0.0005"), DAILY)
    >>> rate.annual, rate.describe()
    (Decimal('0.18'), '日息0.05%（年化18.00%）')
    """

    value: Decimal
    unit: str = ANNUAL

    def __post_init__(self) -> None:
        if self.unit not in _PER_YEAR:
            raise InvalidRate(f"利率单位只能是年、月或日，收到：{self.unit}")
        if not isinstance(self.value, Decimal):
            raise InvalidRate("利率必须用Decimal表示，不能用浮点数")

    @classmethod
    def annual_percent(cls, percent: "Decimal | str | int") -> "Rate":
        """An annual rate from a percentage: ``Rate.annual_percent("12")`` is 12 % a year."""
        return cls(Decimal(percent) / _HUNDRED, ANNUAL)

    @property
    def annual(self) -> Decimal:
        return _clean(self.value * _PER_YEAR[self.unit])

    @property
    def monthly(self) -> Decimal:
        return self.value if self.unit == MONTHLY else self.annual / 12

    @property
    def daily(self) -> Decimal:
        """Daily rate by the bank convention, annual / 360."""
        return self.value if self.unit == DAILY else self.annual / 360

    def per_day(self, days_in_year: int = 360) -> Decimal:
        """Daily rate for a year of ``days_in_year`` days (360, 365 or 366)."""
        return self.daily if days_in_year == 360 else self.annual / days_in_year

    def periodic(self, periods_per_year: int) -> Decimal:
        """Rate for one of ``periods_per_year`` equal periods (12 → monthly, 4 → quarterly)."""
        if self.unit == MONTHLY and periods_per_year == 12:
            return self.value
        return self.annual / periods_per_year

    @property
    def annual_percent_text(self) -> str:
        return percent_text(self.annual)

    def describe(self) -> str:
        """How the rate reads on a document: the quote, then 年化 for comparison."""
        quoted = f"{_UNIT_NAMES[self.unit]}{'化' if self.unit == ANNUAL else '息'}{_trim(self.value * _HUNDRED)}%"
        if self.unit == ANNUAL:
            return quoted
        return f"{quoted}（年化{self.annual_percent_text}%）"


def percent(fraction: Decimal, places: int = 2) -> Decimal:
    """A fraction as a percentage with fixed decimals, half-up (四舍五入, never half-even):

    >>> percent(Decimal("0.124")), percent(Decimal("0.00125"), 1), percent(Decimal("0.00125"))
    (Decimal('12.40'), Decimal('0.1'), Decimal('0.13'))
    """
    return (fraction * _HUNDRED).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def round_rate(fraction: Decimal, places: int = 4) -> Decimal:
    """A rate as a fraction rounded half-up to ``places`` decimals (4: to 0.01 %):

    >>> round_rate(Decimal("0.120049")), round_rate(Decimal("0.12345"))
    (Decimal('0.1200'), Decimal('0.1235'))
    """
    return fraction.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def percent_text(fraction: Decimal, places: int = 2) -> str:
    """A fraction as a percentage string with fixed decimals, half-up: 0.124 → ``"12.40"``.

    >>> percent_text(Decimal("0.124")), percent_text(Decimal("0.1") / 3)
    ('12.40', '3.33')
    """
    return str(percent(fraction, places))


def _trim(value: Decimal) -> str:
    return format(_clean(value), "f")


def _clean(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent notation: 0.1800 → 0.18, 10.0 → 10."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _number(text: str) -> Decimal:
    if text in _CN_DIGITS:
        return Decimal(_CN_DIGITS[text])
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regexes only pass numbers here
        raise InvalidRate(f"无法识别利率中的数字：{text}") from None


MAX_RATE_TEXT = 40


def parse_rate(text: str, *, max_annual: Decimal = MAX_ANNUAL) -> Rate:
    """Parse a quoted rate; see the module docstring for the forms and decisions.

    >>> parse_rate("月息1分5厘").monthly, parse_rate("日息万分之三").daily
    (Decimal('0.015'), Decimal('0.0003'))
    >>> parse_rate("500%")
    Traceback (most recent call last):
    ...
    ioudesk.calc.errors.RateOutOfRange: 年化利率500%超过上限100%，请检查是否多输了位数（如把0.5%写成5%）
    """
    if not isinstance(text, str):
        raise InvalidRate("利率请以文字传入，如“年化12%”“月息1分”")
    raw = text
    cleaned = text.strip().replace(" ", "").replace("％", "%")
    if len(cleaned) > MAX_RATE_TEXT:  # a rate is a few characters; 100,000 digits overflowed Decimal
        raise InvalidRate(f"利率“{cleaned[:20]}…”太长（{len(cleaned)}个字符），请写成“年化12%”“月息1分”或“日息万五”")
    if not cleaned:
        raise InvalidRate("请输入利率，如“年化12%”“月息1分”或“日息万五”")
    unit = None
    for prefix, prefix_unit in _PERIOD_PREFIXES:
        if cleaned.startswith(prefix):
            unit, cleaned = prefix_unit, cleaned[len(prefix):]
            break
    try:
        rate = _parse_body(cleaned, unit, raw)
        _check_range(rate, raw, max_annual)
    except InvalidOperation as error:  # digits beyond what the range check can quantize
        raise RateOutOfRange(f"利率{raw.strip()[:20]}超出可接受范围，请检查是否多输了位数") from error
    return rate


def _parse_body(body: str, unit: str | None, raw: str) -> Rate:
    if body.startswith("-"):
        raise RateOutOfRange(f"利率不能为负数：{raw}，请输入0或正数")
    percent = re.fullmatch(r"(\d+(?:\.\d+)?)%", body)
    if percent:
        return Rate(Decimal(percent[1]) / _HUNDRED, unit or ANNUAL)
    per_mille = re.fullmatch(r"(?:万分之|万)" + _NUMBER, body)
    if per_mille:
        if unit is None:
            raise InvalidRate(f"利率“{raw}”没有注明是日息还是月息，请写成“日息万五”这样的形式")
        return Rate(_number(per_mille[1]) / 10000, unit)
    fen_li = re.fullmatch(_NUMBER + r"分(?:" + _NUMBER + r"厘)?|" + _NUMBER + r"厘", body)
    if fen_li:
        if unit is None:
            raise InvalidRate(
                f"利率“{raw}”含义不明：1分在年息里是10%，在月息里是1%，请注明“年息”“月息”或“日息”"
            )
        fen, li = fen_li[1] or "0", fen_li[2] or fen_li[3] or "0"
        return Rate(_number(fen) * _FEN_VALUE[unit] + _number(li) * _LI_VALUE[unit], unit)
    if re.fullmatch(r"\d+(?:\.\d+)?", body):
        shown = raw.strip()
        raise InvalidRate(
            f"利率“{shown}”含义不明：可能是{_trim(Decimal(body) * 100)}%也可能是{body}%，"
            "请加上%并注明年/月/日，如“年化12%”“月息1%”"
        )
    raise InvalidRate(f"无法识别利率“{raw}”，请写成“年化12%”“月息1分”“月息8厘”或“日息万五”")


def _check_range(rate: Rate, raw: str, max_annual: Decimal) -> None:
    if rate.value < 0:
        raise RateOutOfRange(f"利率不能为负数：{raw}，请输入0或正数")
    if rate.annual > max_annual:
        raise RateOutOfRange(
            f"年化利率{_trim(rate.annual * 100)}%超过上限{_trim(max_annual * 100)}%，"
            "请检查是否多输了位数（如把0.5%写成5%）"
        )
