"""Calculator inputs as people type them (strings), turned into calculation terms.

Shared by the command line, the API and the back office's calculator page, so that all three
accept the same spellings ("12%", "月息1分", "30/360" …) and refuse the same mistakes with the
same messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ioudesk.calc.dates import BusinessDay, Frequency, parse_date
from ioudesk.calc.daycount import DayCount
from ioudesk.calc.errors import InvalidTerm
from ioudesk.calc.legalcap import LegalCap, cap_for
from ioudesk.calc.money import parse_amount
from ioudesk.calc.rates import parse_rate, percent_text
from ioudesk.calc.schedule import LastInstallment, LoanTerms, Method


def parse_term(text: str | int) -> int:
    """
    >>> parse_term("12")
    12
    >>> parse_term("十二")
    Traceback (most recent call last):
    ...
    ioudesk.calc.errors.InvalidTerm: 期数“十二”不是整数，请输入1到600之间的整数
    """
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    try:
        return int(str(text).strip())
    except ValueError:
        raise InvalidTerm(f"期数“{text}”不是整数，请输入1到600之间的整数") from None


def loan_terms(
    *,
    principal: str,
    rate: str,
    term: str | int,
    today: date,
    method: str = "equal_installment",
    frequency: str = "monthly",
    day_count: str = "30/360",
    start: str | None = None,
    first_due: str | None = None,
    deducted_interest: str = "0",
    fee: str = "0",
    upfront_fee: str = "0",
    business_day: str = "none",
    last_installment: str = "settle_balance",
) -> LoanTerms:
    """`today` is the business date, used when no start date is given."""
    return LoanTerms(
        principal=parse_amount(principal, field="本金"),
        rate=parse_rate(rate),
        term=parse_term(term),
        start=parse_date(start, field="放款日") if start else today,
        method=Method.parse(method),
        frequency=Frequency.parse(frequency),
        day_count=DayCount.parse(day_count),
        first_due=parse_date(first_due, field="首期还款日") if first_due else None,
        business_day=BusinessDay.parse(business_day),
        fee_per_installment=parse_amount(fee or "0", field="每期手续费"),
        upfront_fee=parse_amount(upfront_fee or "0", field="前置手续费"),
        deducted_interest=parse_amount(deducted_interest or "0", field="预扣利息"),
        last_installment=LastInstallment.parse(last_installment),
    )


@dataclass(frozen=True)
class CapVerdict:
    cap: LegalCap
    rate: Decimal | None  # the agreed annual rate, when one was given

    @property
    def within_cap(self) -> bool | None:
        return None if self.rate is None else self.cap.allows(self.rate)

    def as_dict(self) -> dict:
        result = {
            "contract_date": self.cap.contract_date.isoformat(),
            "lpr_1y": percent_text(self.cap.lpr_1y) if self.cap.lpr_1y is not None else None,
            "cap_rate": percent_text(self.cap.cap_rate),
            "rule": self.cap.rule,
        }
        if self.rate is not None:
            result |= {"rate": percent_text(self.rate), "within_cap": self.within_cap}
        return result


def cap_verdict(*, contract_date: date, annual_rate: Decimal | None = None, filing_date: date | None = None) -> CapVerdict:
    """The 4×LPR cap for a contract date and, given a rate, whether the rate is within it.

    >>> cap_verdict(contract_date=date(2024, 10, 21), annual_rate=Decimal("0.15")).as_dict()["within_cap"]
    False
    """
    return CapVerdict(cap_for(contract_date, filing_date), annual_rate)
