"""Payment terms (付款条件) → due dates and amounts of a bill's open items. docs/domain.md §26.

Pure: no Django. A bill's terms are one of five kinds (the names are what Chinese sales contracts
and ERP systems use):

- 货到付款 (``cod``): due on the delivery date, or on the bill date when no delivery date is known;
- 票到N天 (``net_days``): the bill (invoice) date + N days;
- 月结N天 (``month_end_net``): the last day of the bill's month + N days (月结30天 of a bill of
  15 January: 31 January + 30 = 2 March; of 2024: 1 March, a leap year);
- 次月底付款 (``next_month_end``): the last day of the month after the bill's;
- 分期 (``instalments``): a plan of parts, each ``{"days": n}`` (bill date + n days) or
  ``{"months": n}`` (bill date + n months, the month-end rule: 31 January + 1 month is 28/29
  February, computed from the bill date every time, never from the previous part) with its
  ``percent`` of the total; the percents add up to 100 and the parts' amounts add up exactly to the
  total (each rounded half-up to the fen, the last takes what is left).

When the terms say so (``shift_holidays``, 遇节假日顺延), a due date on a weekend or public holiday
moves to the next working day (``calc.dates``: the State Council's arrangement via chinesecalendar).
Without it the contract date stands (民法典 art. 510/511: the agreed time of performance governs).

>>> from datetime import date
>>> [(d.seq, d.due_date.isoformat(), str(d.amount)) for d in due_dates(
...     TermsSpec("month_end_net", 30), bill_date=date(2026, 1, 15), total=Decimal("1130.00"))]
[(1, '2026-03-02', '1130.00')]
>>> [(d.due_date.isoformat(), str(d.amount)) for d in due_dates(TermsSpec("instalments", plan=(
...     {"months": 1, "percent": "30"}, {"months": 2, "percent": "70"})), bill_date=date(2026, 1, 31),
...     total=Decimal("1000.01"))]
[('2026-02-28', '300.00'), ('2026-03-31', '700.01')]
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from ioudesk.calc.dates import BusinessDay, add_months, adjust_business_day, is_working_day
from ioudesk.calc.errors import CalcError, InvalidAmount, InvalidOption, InvalidSchedule
from ioudesk.calc.money import quantize

COD = "cod"
NET_DAYS = "net_days"
MONTH_END_NET = "month_end_net"
NEXT_MONTH_END = "next_month_end"
INSTALMENTS = "instalments"
KINDS = (COD, NET_DAYS, MONTH_END_NET, NEXT_MONTH_END, INSTALMENTS)
KIND_NAMES = {COD: "货到付款", NET_DAYS: "票到N天", MONTH_END_NET: "月结N天", NEXT_MONTH_END: "次月底付款",
              INSTALMENTS: "分期"}
MAX_DAYS = 3660  # ten years: a term longer than that is a typing mistake
MAX_PARTS = 60


@dataclass(frozen=True)
class TermsSpec:
    kind: str
    days: int = 0
    plan: tuple = field(default=())  # of {"days"|"months": int, "percent": str}
    shift_holidays: bool = False


@dataclass(frozen=True)
class DueItem:
    seq: int
    due_date: date
    amount: Decimal


def month_end(day: date) -> date:
    """The last day of ``day``'s month.

    >>> month_end(date(2024, 2, 10)).isoformat()
    '2024-02-29'
    """
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def _percent(value, index: int) -> Decimal:
    try:
        percent = Decimal(str(value).strip().rstrip("%"))
    except (InvalidOperation, ValueError):
        raise InvalidSchedule(f"分期计划第{index}期的比例“{value}”不是数字，请填写如 30 的百分比") from None
    if not percent.is_finite() or percent <= 0 or percent > 100:
        raise InvalidSchedule(f"分期计划第{index}期的比例应大于0且不超过100，现为{value}")
    return percent


def _offset(part: dict, index: int) -> tuple[str, int]:
    for unit in ("days", "months"):
        if part.get(unit) not in (None, ""):
            try:
                value = int(part[unit])
            except (TypeError, ValueError):
                raise InvalidSchedule(f"分期计划第{index}期的{'天数' if unit == 'days' else '月数'}“{part[unit]}”不是整数") from None
            if value < 0 or (unit == "days" and value > MAX_DAYS) or (unit == "months" and value > MAX_DAYS // 30):
                raise InvalidSchedule(f"分期计划第{index}期的期限超出范围（0至{MAX_DAYS}天），现为{value}")
            return unit, value
    raise InvalidSchedule(f"分期计划第{index}期缺少天数（days）或月数（months）")


def check_spec(spec: TermsSpec) -> None:
    """Refuse terms that cannot give due dates, saying what to fix (``CalcError``)."""
    if spec.kind not in KINDS:
        raise InvalidOption(f"未知的付款条件类型“{spec.kind}”，可选：{'、'.join(KIND_NAMES.values())}")
    if not isinstance(spec.days, int) or isinstance(spec.days, bool) or not 0 <= spec.days <= MAX_DAYS:
        raise InvalidSchedule(f"付款条件的天数应为0至{MAX_DAYS}之间的整数，现为{spec.days}")
    if spec.kind == INSTALMENTS:
        plan = list(spec.plan or ())
        if not plan:
            raise InvalidSchedule("分期付款条件需要分期计划：每期的天数（或月数）和比例")
        if len(plan) > MAX_PARTS:
            raise InvalidSchedule(f"分期计划最多{MAX_PARTS}期，现为{len(plan)}期")
        total = Decimal(0)
        previous = None
        for index, part in enumerate(plan, start=1):
            if not isinstance(part, dict):
                raise InvalidSchedule(f"分期计划第{index}期的格式不正确")
            total += _percent(part.get("percent"), index)
            unit, value = _offset(part, index)
            key = value if unit == "days" else value * 31
            if previous is not None and key <= previous:
                raise InvalidSchedule(f"分期计划第{index}期的期限必须晚于上一期")
            previous = key
        if total != 100:
            raise InvalidSchedule(f"分期计划各期比例合计应为100%，现为{total.normalize():f}%")


def _raw_dates(spec: TermsSpec, bill_date: date, delivery_date: date | None) -> list[tuple[date, Decimal | None]]:
    if spec.kind == COD:
        return [(delivery_date or bill_date, None)]
    if spec.kind == NET_DAYS:
        return [(bill_date + timedelta(days=spec.days), None)]
    if spec.kind == MONTH_END_NET:
        return [(month_end(bill_date) + timedelta(days=spec.days), None)]
    if spec.kind == NEXT_MONTH_END:
        return [(month_end(add_months(bill_date.replace(day=1), 1)), None)]
    rows = []
    for index, part in enumerate(spec.plan, start=1):
        unit, value = _offset(part, index)
        day = bill_date + timedelta(days=value) if unit == "days" else add_months(bill_date, value)
        rows.append((day, _percent(part.get("percent"), index)))
    return rows


def due_dates(spec: TermsSpec, *, bill_date: date, delivery_date: date | None = None, total: Decimal,
              is_working=is_working_day) -> list[DueItem]:
    """The open items a bill of ``total`` dated ``bill_date`` owes under ``spec``, in date order.

    >>> [d.due_date.isoformat() for d in due_dates(TermsSpec("next_month_end"), bill_date=date(2026, 1, 31),
    ...                                            total=Decimal("10"))]
    ['2026-02-28']
    """
    check_spec(spec)
    if isinstance(total, float):
        raise InvalidAmount("金额不能用浮点数，请用 Decimal")
    total = Decimal(total)
    if total < 0:
        raise InvalidAmount(f"单据金额不能为负数，现为{total}")
    if quantize(total) != total:
        raise InvalidAmount(f"金额最多两位小数（精确到分）：{total}")
    rows = _raw_dates(spec, bill_date, delivery_date)
    items = []
    remaining = total
    for seq, (day, percent) in enumerate(rows, start=1):
        if percent is None or seq == len(rows):
            amount = remaining
        else:
            amount = quantize(total * percent / 100)
            remaining -= amount
        if spec.shift_holidays:
            day = adjust_business_day(day, BusinessDay.FOLLOWING, is_working)
        items.append(DueItem(seq=seq, due_date=day, amount=amount))
    return items


def describe(spec: TermsSpec) -> str:
    """The terms in words, as a bill keeps them (``Bill.terms_text``).

    >>> describe(TermsSpec("instalments", plan=({"days": 30, "percent": "30"}, {"days": 60, "percent": "70"})))
    '分期：30天付30%，60天付70%'
    >>> describe(TermsSpec("month_end_net", 60, shift_holidays=True))
    '月结60天（遇节假日顺延）'
    """
    check_spec(spec)
    if spec.kind == NET_DAYS:
        text = f"票到{spec.days}天"
    elif spec.kind == MONTH_END_NET:
        text = f"月结{spec.days}天"
    elif spec.kind == INSTALMENTS:
        parts = []
        for index, part in enumerate(spec.plan, start=1):
            unit, value = _offset(part, index)
            percent = _percent(part.get("percent"), index).normalize()
            parts.append(f"{value}{'天' if unit == 'days' else '个月'}付{percent:f}%")
        text = "分期：" + "，".join(parts)
    else:
        text = KIND_NAMES[spec.kind]
    return text + ("（遇节假日顺延）" if spec.shift_holidays else "")


__all__ = ["COD", "INSTALMENTS", "KINDS", "KIND_NAMES", "MONTH_END_NET", "NET_DAYS", "NEXT_MONTH_END", "CalcError",
           "DueItem", "TermsSpec", "check_spec", "describe", "due_dates", "month_end"]
