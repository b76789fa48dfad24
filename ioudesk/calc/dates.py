"""Dates: parsing, month arithmetic with the month-end rule, due-date series, holidays.

**Month-end rule** (docs/domain.md §3): due dates are anchored on the start day and clipped to
the end of shorter months, so a loan drawn on 31 January falls due on 28/29 February and
then on 31 March again — each date is computed from the anchor, never from the previous
due date (which would drift to the 28th for good).

>>> from datetime import date
>>> [add_months(date(2024, 1, 31), n).isoformat() for n in (1, 2, 3)]
['2024-02-29', '2024-03-31', '2024-04-30']
>>> parse_date("2025-02-30")
Traceback (most recent call last):
...
ioudesk.calc.errors.InvalidDate: 日期“2025-02-30”不存在：2025年2月只有28天，请核对
>>> [d.isoformat() for d in due_dates(date(2025, 1, 15), 3, Frequency.BIWEEKLY)]
['2025-01-29', '2025-02-12', '2025-02-26']

**Holidays**: a due date on a Chinese public holiday or weekend can move to the next
working day (FOLLOWING, 节假日顺延) or the previous one (PRECEDING), using the State
Council holiday arrangement shipped in the ``chinesecalendar`` package, including the
weekend days worked in lieu (调休).  For years the package does not cover yet, only
Saturdays and Sundays count as non-working days: it is the best guess available and the
schedule remains usable.  Moving a due date changes when money is paid, not the interest
of the period (interest is computed on the contractual dates).

>>> adjust_business_day(date(2025, 10, 1), BusinessDay.FOLLOWING)
datetime.date(2025, 10, 9)
>>> adjust_business_day(date(2025, 10, 1), BusinessDay.PRECEDING)
datetime.date(2025, 9, 30)
"""
import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ioudesk.calc.errors import InvalidDate
from ioudesk.calc.options import Option


def parse_date(value: "str | date", *, field: str = "日期") -> date:
    """An ISO date ``YYYY-MM-DD`` (or a ``date``); a day that does not exist is explained.

    >>> parse_date("2024-02-29")
    datetime.date(2024, 2, 29)
    """
    if isinstance(value, date):
        return value
    text = str(value).strip()
    parts = text.replace("/", "-").split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4:
        raise InvalidDate(f"{field}“{text}”格式不正确，请按 YYYY-MM-DD 输入，如 2025-01-15")
    year, month, day = (int(p) for p in parts)
    if not 1 <= month <= 12:
        raise InvalidDate(f"{field}“{text}”的月份不存在，月份应在1到12之间")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise InvalidDate(f"{field}“{text}”不存在：{year}年{month}月只有{last}天，请核对")
    return date(year, month, day)


def add_months(anchor: date, months: int) -> date:
    """``anchor`` moved by whole months, clipped to the month's last day."""
    year, month = divmod(anchor.year * 12 + anchor.month - 1 + months, 12)
    if not 1 <= year <= 9999:
        raise InvalidDate("日期超出可计算范围（公元1年至9999年），请缩短期限")
    day = anchor.day
    if day > 28:  # only the 29th–31st can overflow a month
        day = min(day, _days_in_month(year, month + 1))
    return date(year, month + 1, day)


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if calendar.isleap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def add_years(anchor: date, years: int) -> date:
    """``anchor`` moved by whole years; 29 February becomes 28 February in common years.

    >>> add_years(date(2024, 2, 29), 3)
    datetime.date(2027, 2, 28)
    """
    return add_months(anchor, 12 * years)


@dataclass(frozen=True)
class _Step:
    months: int = 0
    days: int = 0


class Frequency(Option):
    """Repayment frequency; ``periods_per_year`` is used to annualise a periodic rate."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    DAILY = "daily"

    @classmethod
    def what(cls) -> str:
        return "还款频率"

    @classmethod
    def normalise(cls, text: str) -> str:
        return text.strip().lower().replace("-", "").replace("_", "")

    @property
    def step(self) -> _Step:
        return _STEPS[self]

    @property
    def label(self) -> str:
        return _LABELS[self]

    def periods_per_year(self, year_days: int = 360) -> Decimal:
        """12 for monthly, 4 for quarterly; for day-based steps the day-count year / step,
        so weekly under ACT/360 is 360/7 and a 12 % loan annualises back to exactly 12 %.

        >>> Frequency.QUARTERLY.periods_per_year(), Frequency.DAILY.periods_per_year(365)
        (Decimal('4'), Decimal('365'))
        """
        step = self.step
        if step.months:
            return Decimal(12 // step.months)
        return Decimal(year_days) / step.days

    def nth_due(self, anchor: date, n: int) -> date:
        """The ``n``-th date after ``anchor`` (``n`` = 0 is the anchor itself)."""
        step = self.step
        if step.months:
            return add_months(anchor, step.months * n)
        return anchor + timedelta(days=step.days * n)


_STEPS = {
    Frequency.MONTHLY: _Step(months=1),
    Frequency.QUARTERLY: _Step(months=3),
    Frequency.WEEKLY: _Step(days=7),
    Frequency.BIWEEKLY: _Step(days=14),
    Frequency.DAILY: _Step(days=1),
}
_LABELS = {
    Frequency.MONTHLY: "按月",
    Frequency.QUARTERLY: "按季",
    Frequency.WEEKLY: "按周",
    Frequency.BIWEEKLY: "按双周",
    Frequency.DAILY: "按日",
}


def due_dates(start: date, count: int, frequency: Frequency, first_due: date | None = None) -> list[date]:
    """The contractual due dates of ``count`` installments.

    Without ``first_due`` they are anchored on ``start``; with it (a broken first period)
    the first is ``first_due`` and the rest are anchored on it.

    >>> [d.isoformat() for d in due_dates(date(2025, 1, 15), 2, Frequency.MONTHLY, date(2025, 3, 1))]
    ['2025-03-01', '2025-04-01']
    """
    if first_due is not None:
        if first_due <= start:
            raise InvalidDate(f"首期还款日{first_due.isoformat()}必须晚于放款日{start.isoformat()}，请调整")
        return [frequency.nth_due(first_due, n) for n in range(count)]
    return [frequency.nth_due(start, n) for n in range(1, count + 1)]


class BusinessDay(Option):
    """What to do with a due date that falls on a non-working day."""

    NONE = "none"
    FOLLOWING = "following"
    PRECEDING = "preceding"

    @classmethod
    def what(cls) -> str:
        return "节假日调整方式"


def is_working_day(day: date) -> bool:
    """A working day in mainland China (chinesecalendar), or Monday–Friday outside its years."""
    try:
        import chinese_calendar
    except ImportError:  # pragma: no cover - chinesecalendar is a declared dependency
        return day.weekday() < 5
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # the package only knows the years the State Council published
        return day.weekday() < 5


def adjust_business_day(day: date, rule: BusinessDay, is_working=is_working_day) -> date:
    """Move ``day`` off a non-working day according to ``rule`` (a 30-day search at most)."""
    if rule is BusinessDay.NONE:
        return day
    step = timedelta(days=1 if rule is BusinessDay.FOLLOWING else -1)
    moved = day
    for _ in range(30):
        if is_working(moved):
            return moved
        moved += step
    return day  # pragma: no cover - no holiday lasts a month
