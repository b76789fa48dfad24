"""Day-count conventions: how many days, and what fraction of a year, lie between two dates.

* ``30/360`` — every month counts 30 days, the year 360 (the bank convention behind
  annual = monthly × 12 = daily × 360, docs/domain.md §2).  The European form (30E/360, ISDA
  2006 §4.16(g)) is used: a 31st counts as the 30th at either end, so
  31 Jan → 28 Feb is 28 days and 31 Jan → 31 Mar is 60.
* ``ACT/360`` — actual days over 360: the usual way Chinese banks charge interest for actual
  days (日利率 = 年利率 / 360).
* ``ACT/365`` — actual days over 365 (fixed, also in leap years), which some courts and
  lenders use for 年利率 / 365.

>>> from datetime import date
>>> start, end = date(2025, 1, 31), date(2025, 3, 31)
>>> [DayCount.parse(name).days(start, end) for name in ("30/360", "ACT/360", "ACT/365")]
[60, 59, 59]
>>> DayCount.ACT_365.year_fraction(date(2024, 1, 1), date(2025, 1, 1))
Decimal('1.002739726027397260273972603')
"""
from datetime import date
from decimal import Decimal

from ioudesk.calc.options import Option


class DayCount(Option):
    THIRTY_360 = "30/360"
    ACT_360 = "ACT/360"
    ACT_365 = "ACT/365"

    @classmethod
    def what(cls) -> str:
        return "计息天数规则"

    @classmethod
    def normalise(cls, text: str) -> str:
        return text.strip().upper().replace("E/", "/").replace("A/", "ACT/")

    @property
    def year_days(self) -> int:
        return 365 if self is DayCount.ACT_365 else 360

    def days(self, start: date, end: date) -> int:
        """Days from ``start`` (excluded) to ``end`` (included) under this convention."""
        if self is not DayCount.THIRTY_360:
            return (end - start).days
        d1, d2 = min(start.day, 30), min(end.day, 30)
        return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)

    def year_fraction(self, start: date, end: date) -> Decimal:
        """Fraction of a year from ``start`` to ``end``: days / 360 or / 365."""
        return Decimal(self.days(start, end)) / self.year_days
