"""Limitation of actions (诉讼时效) for an IOU.

Rules (Civil Code; docs/domain.md §12):

* art. 188: three years from when the creditor knew or should have known the right was
  infringed — for a debt with a due date, from the day after it falls due; no protection at
  all more than twenty years after the right was infringed (this outer limit is never
  interrupted);
* art. 189: an installment debt runs from the due date of the **last** installment;
* art. 675: no due date — the lender may demand repayment at any time with a reasonable
  period; the three years run from the end of that period (or from an outright refusal);
* art. 195: a demand by the creditor, the debtor agreeing to pay (acknowledgement, partial
  payment, a promise, asking for an extension…), a lawsuit or arbitration, or an act of equal
  effect interrupts the period, and it starts again from the interruption (for a lawsuit,
  strictly from the end of the proceedings — record that date as the interruption);
* art. 192: after expiry a debtor who agrees to pay loses the defence;
* art. 200–204: a period counted in years ends on the corresponding day (the month's last
  day when there is none); the day of the event itself is not counted.

>>> from datetime import date
>>> result = limitation_expiry(last_due=date(2022, 3, 1))
>>> result.expires_on, result.outer_limit_on
(datetime.date(2025, 3, 1), datetime.date(2042, 3, 1))
>>> result = limitation_expiry(last_due=date(2022, 3, 1),
...     interruptions=[Interruption(date(2024, 6, 10), InterruptionKind.PARTIAL_PAYMENT)])
>>> result.expires_on
datetime.date(2027, 6, 10)
>>> print(result.basis)
最后一期到期日2022-03-01，自次日起算3年（民法典第188、189条）；2024-06-10 部分还款，时效中断并重新计算（第195条）；时效届满日2027-06-10。
"""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from ioudesk.calc.dates import add_years
from ioudesk.calc.errors import InvalidDate, MissingInput

LIMITATION_YEARS = 3
OUTER_LIMIT_YEARS = 20
#: Default "reasonable period" after a demand on an IOU without a due date (configurable).
DEFAULT_REASONABLE_DAYS = 30


class InterruptionKind(Enum):
    DEMAND = "demand"
    ACKNOWLEDGEMENT = "acknowledgement"
    PARTIAL_PAYMENT = "partial_payment"
    LAWSUIT = "lawsuit"
    ARBITRATION = "arbitration"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "demand": "债权人催收",
            "acknowledgement": "债务人同意履行",
            "partial_payment": "部分还款",
            "lawsuit": "提起诉讼",
            "arbitration": "申请仲裁",
            "other": "具有同等效力的事项",
        }[self.value]


@dataclass(frozen=True)
class Interruption:
    on: date
    kind: InterruptionKind = InterruptionKind.DEMAND


@dataclass(frozen=True)
class LimitationResult:
    """``starts_on`` is the first day counted; ``expires_on`` the last day to sue."""

    starts_on: date
    expires_on: date
    outer_limit_on: date
    basis: str
    defence_waived: bool = False

    def is_expired(self, as_of: date) -> bool:
        """Whether the period has run out on ``as_of`` (and the debtor has not waived it)."""
        return as_of > self.expires_on and not self.defence_waived


def limitation_expiry(
    *,
    last_due: date | None = None,
    demand_on: date | None = None,
    reasonable_days: int = DEFAULT_REASONABLE_DAYS,
    refused_on: date | None = None,
    interruptions: Sequence[Interruption] = (),
) -> LimitationResult:
    """When the limitation period of an IOU expires, and why.

    Give ``last_due`` for a debt with due dates (the last installment's), or for an IOU
    without a due date ``demand_on`` (plus ``reasonable_days``) and/or ``refused_on``.

    >>> print(limitation_expiry(demand_on=date(2024, 1, 10)).basis)
    借条未约定还款期限，2024-01-10催告并给予30天合理期限，自期限届满次日起算3年（民法典第675、188条）；时效届满日2027-02-09。
    """
    if last_due is not None:
        anchor = last_due
        parts = [f"最后一期到期日{last_due.isoformat()}，自次日起算3年（民法典第188、189条）"]
    elif demand_on is not None or refused_on is not None:
        anchor, parts = _no_due_date_anchor(demand_on, reasonable_days, refused_on)
    else:
        raise MissingInput("请提供最后一期到期日；借条未约定还款期限的，请提供催告日期或债务人明确拒绝还款的日期")
    outer = add_years(anchor, OUTER_LIMIT_YEARS)
    expires, waived = add_years(anchor, LIMITATION_YEARS), False
    for event in sorted(interruptions, key=lambda e: e.on):
        if event.on < anchor:
            raise InvalidDate(f"中断事由日期{event.on.isoformat()}早于时效起算日，请核对（到期前的催收不构成中断）")
        if event.on > expires:
            if event.kind in (InterruptionKind.ACKNOWLEDGEMENT, InterruptionKind.PARTIAL_PAYMENT):
                waived = True
                parts.append(f"{event.on.isoformat()} {event.kind.label}：时效已于{expires.isoformat()}届满，"
                             "但债务人同意履行后不得再以时效抗辩（第192条）")
            else:
                parts.append(f"{event.on.isoformat()} {event.kind.label}：发生在时效届满之后，不能中断时效")
            continue
        expires = add_years(event.on, LIMITATION_YEARS)
        parts.append(f"{event.on.isoformat()} {event.kind.label}，时效中断并重新计算（第195条）")
    if expires > outer:
        expires = outer
        parts.append(f"受20年最长保护期限制（第188条），最迟至{outer.isoformat()}")
    parts.append(f"时效届满日{expires.isoformat()}。")
    return LimitationResult(
        starts_on=anchor + timedelta(days=1),
        expires_on=expires,
        outer_limit_on=outer,
        basis="；".join(parts),
        defence_waived=waived,
    )


def _no_due_date_anchor(demand_on, reasonable_days, refused_on) -> tuple[date, list[str]]:
    if reasonable_days < 0:
        raise InvalidDate("合理期限天数不能为负数，请输入0或正整数")
    candidates = []
    if demand_on is not None:
        end = demand_on + timedelta(days=reasonable_days)
        candidates.append((end, f"借条未约定还款期限，{demand_on.isoformat()}催告并给予{reasonable_days}天合理期限，"
                                "自期限届满次日起算3年（民法典第675、188条）"))
    if refused_on is not None:
        candidates.append((refused_on, f"借条未约定还款期限，债务人于{refused_on.isoformat()}明确拒绝还款，"
                                       "自次日起算3年（民法典第675、188条）"))
    anchor, text = min(candidates, key=lambda c: c[0])
    return anchor, [text]
