"""The schedule's inputs and outputs: :class:`LoanTerms` in, :class:`Schedule` out."""
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ioudesk.calc.dates import BusinessDay, Frequency, parse_date
from ioudesk.calc.daycount import DayCount
from ioudesk.calc.errors import InvalidAmount, InvalidTerm, RateOutOfRange
from ioudesk.calc.money import MAX_AMOUNT, ZERO, parse_amount
from ioudesk.calc.options import Option
from ioudesk.calc.rates import Rate, parse_rate

MAX_TERM = 600


class Method(Option):
    """还款方式 (docs/domain.md §4)."""

    EQUAL_INSTALLMENT = "equal_installment"
    EQUAL_PRINCIPAL = "equal_principal"
    INTEREST_ONLY = "interest_only"
    BULLET = "bullet"
    FLAT = "flat"
    CUSTOM = "custom"

    @classmethod
    def what(cls) -> str:
        return "还款方式"

    def spellings(self) -> tuple[str, ...]:
        return (self.value, self.label)

    def shown(self) -> str:
        return f"{self.value}（{self.label}）"

    @property
    def label(self) -> str:
        return _METHOD_LABELS[self]


_METHOD_LABELS = {
    Method.EQUAL_INSTALLMENT: "等额本息",
    Method.EQUAL_PRINCIPAL: "等额本金",
    Method.INTEREST_ONLY: "先息后本",
    Method.BULLET: "到期一次还本付息",
    Method.FLAT: "等本等息",
    Method.CUSTOM: "自定义",
}


class LastInstallment(Option):
    """Who absorbs the rounding of equal payments (等额本息 and 等本等息).

    ``SETTLE_BALANCE`` (default): every installment's interest is the period's interest
    rounded half-up; the last installment repays whatever principal is left, so its total
    may differ from the others by a few fen.  ``EQUAL_PAYMENT``: the last installment's total
    equals the others' and its interest takes the rounding difference, so total interest is
    exactly payment × n − principal (how many published calculators show it).  Either way
    the principal parts sum to the principal exactly.
    """

    SETTLE_BALANCE = "settle_balance"
    EQUAL_PAYMENT = "equal_payment"

    @classmethod
    def what(cls) -> str:
        return "末期处理方式"


@dataclass(frozen=True)
class LoanTerms:
    """What a schedule is built from.  Amounts in yuan (``Decimal``, at most two decimals).

    ``upfront_fee`` and ``deducted_interest`` (砍头息) are kept back at disbursement: the
    schedule still runs on ``principal``, but the borrower receives less, which the
    annualised rate shows.  ``fee_per_installment`` is added to every installment.
    """

    principal: Decimal
    rate: Rate
    term: int
    start: date
    method: Method = Method.EQUAL_INSTALLMENT
    frequency: Frequency = Frequency.MONTHLY
    day_count: DayCount = DayCount.THIRTY_360
    first_due: date | None = None
    business_day: BusinessDay = BusinessDay.NONE
    fee_per_installment: Decimal = ZERO
    upfront_fee: Decimal = ZERO
    deducted_interest: Decimal = ZERO
    last_installment: LastInstallment = LastInstallment.SETTLE_BALANCE

    def __post_init__(self) -> None:
        # strings as people type them are accepted and normalised, so callers need not
        # import every enum; anything that does not parse raises the usual CalcError
        coerce = {
            "rate": lambda v: v if isinstance(v, Rate) else parse_rate(v),
            "start": lambda v: parse_date(v, field="放款日"),
            "first_due": lambda v: None if v is None else parse_date(v, field="首期还款日"),
            "method": Method.parse,
            "frequency": Frequency.parse,
            "day_count": DayCount.parse,
            "business_day": BusinessDay.parse,
            "last_installment": LastInstallment.parse,
        }
        for name, convert in coerce.items():
            object.__setattr__(self, name, convert(getattr(self, name)))
        principal = parse_amount(self.principal, field="本金")
        if principal <= 0:
            raise InvalidAmount("本金必须大于0，请输入正数金额")
        if principal > MAX_AMOUNT:  # pragma: no cover - parse_amount already refuses it
            raise InvalidAmount("本金超过上限，请检查金额")
        if isinstance(self.term, bool) or not isinstance(self.term, int):
            raise InvalidTerm("期数必须是整数，请输入1到600之间的整数")
        if not 1 <= self.term <= MAX_TERM:
            raise InvalidTerm(f"期数{self.term}超出范围：请输入1到{MAX_TERM}之间的整数（600个月即50年）")
        if self.rate.value < 0:
            raise RateOutOfRange("利率不能为负数，请输入0或正数")
        for name, label in (("fee_per_installment", "每期手续费"), ("upfront_fee", "前置手续费"),
                            ("deducted_interest", "预扣利息（砍头息）")):
            amount = parse_amount(getattr(self, name), field=label)
            if amount < 0:
                raise InvalidAmount(f"{label}不能为负数，请输入0或正数金额")
            object.__setattr__(self, name, amount)
        object.__setattr__(self, "principal", principal)
        if self.upfront_fee + self.deducted_interest >= principal:
            raise InvalidAmount("预扣利息与前置手续费合计不能达到或超过本金，请核对（借款人到手金额必须大于0）")

    @property
    def net_disbursed(self) -> Decimal:
        """What the borrower actually receives (the legal principal when interest was deducted)."""
        return self.principal - self.upfront_fee - self.deducted_interest


@dataclass(frozen=True)
class Installment:
    """One 期次.  ``due_date`` is after any holiday adjustment; ``balance`` is after payment."""

    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    fee: Decimal
    total: Decimal
    balance: Decimal


@dataclass(frozen=True)
class Schedule:
    """A repayment schedule (还款计划).

    ``periodic_payment`` is the first installment's total (the 月供 quoted to the borrower;
    for 等额本息 the level payment).  ``total_payment`` is what the borrower repays over the
    installments (principal + interest + per-installment fees); ``annualised_rate`` is the
    nominal IRR of the real cash flows (see :mod:`ioudesk.calc.irr`), a fraction.
    """

    principal: Decimal
    periodic_payment: Decimal
    total_principal: Decimal
    total_interest: Decimal
    total_fee: Decimal
    total_payment: Decimal
    net_disbursed: Decimal
    annualised_rate: Decimal
    installments: tuple[Installment, ...] = field(default=())
    method: Method = Method.EQUAL_INSTALLMENT
