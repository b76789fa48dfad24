"""Request and response schemas of /api/v1/ious (money as two-decimal strings, dates ISO)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import PlainSerializer

from ioudesk.api.errors import ErrorOut  # noqa: F401  (the one error schema, defined with the error mapping)
from ioudesk.ious import predicates
from ioudesk.ious.models import (
    Classification,
    DebtReason,
    GuaranteeType,
    Installment,
    Iou,
    IouKind,
    PaymentMethod,
    PaymentTerms,
    Purpose,
    RecoveryMethod,
    ScheduleVersion,
    Transaction,
)
from ioudesk.ious.models import (
    Status as IouStatus,
)
from ioudesk.ledger.models import JournalEntry
from ioudesk.products.terms import (
    AllocationDirection,
    AllocationOrder,
    DayCount,
    Frequency,
    LastInstallment,
    PenaltyBasis,
    RepaymentMethod,
)


def _yuan(value) -> str:
    return f"{Decimal(value):.2f}"


Money = Annotated[Decimal, PlainSerializer(_yuan, return_type=str)]
Rate = Annotated[Decimal, PlainSerializer(lambda v: format(Decimal(v).normalize(), "f"), return_type=str)]
MONEY_KEYS = ("principal", "interest", "penalty", "fee", "amount")
ALLOCATION_ORDER = ("number", "component", "penalty", "fee", "interest", "principal", "amount")


def _allocation_key(key: str) -> tuple[int, str]:
    return (ALLOCATION_ORDER.index(key) if key in ALLOCATION_ORDER else len(ALLOCATION_ORDER), key)


# --- output ------------------------------------------------------------------------------------


class IouRow(Schema):
    id: int
    number: str
    kind: str
    status: str
    status_display: str
    customer_id: int
    customer_name: str
    branch_id: int
    officer_id: int | None
    product_id: int | None
    principal: Money
    term: int
    rate_text: str
    contract_date: date
    disbursed_on: date | None
    maturity_date: date | None
    principal_outstanding: Money
    interest_outstanding: Money
    penalty_outstanding: Money
    fee_outstanding: Money
    overpayment: Money
    total_outstanding: Money
    days_past_due: int
    bucket: str
    classification: str

    @staticmethod
    def resolve_status_display(iou: Iou) -> str:
        return str(iou.get_status_display())

    @staticmethod
    def resolve_customer_name(iou: Iou) -> str:
        return iou.customer.name


class TermsOut(Schema):
    method: str
    frequency: str
    day_count: str
    rate_text: str
    annual_rate: Rate
    penalty_basis: str
    penalty_markup: Rate
    penalty_daily_rate: Rate | None
    grace_days: int
    allocation_order: str
    allocation_direction: str
    last_installment: str
    interest_cap_applies: bool
    first_due: date | None
    due_date: date | None
    payment_terms: str
    deducted_interest: Money
    upfront_fee: Money
    installment_fee: Money
    prepayment_fee_rate: Rate


class BalancesOut(Schema):
    principal: Money
    interest: Money
    penalty: Money
    fee: Money
    total: Money
    overpayment: Money
    written_off_principal: Money
    written_off_interest: Money


class CapOut(Schema):
    checked_on: date | None
    rate: Rate | None
    within: bool | None
    rule: str
    unprotected_interest: Money
    unprotected_penalty: Money = Field(description="逾期罚息中超出利率上限的部分（民间借贷司法解释第二十九条）")


class IouApprovalRef(Schema):
    """审批单：借据上审批中的审批单，或本次操作提交的审批单。"""

    id: int
    number: str = Field(description="审批单号")
    kind: str = Field(description="审批事项（借据审批、减免、冲正、核销、展期/重组、退还溢缴款）的代码")
    status: str = Field(description="审批状态：审批中或已退回")
    current_step: int | None
    summary: str
    created_at: datetime


class IouApprovalSubmitted(Schema):
    """须经审批：已提交审批，审批通过后自动执行。"""

    message: str
    approval_request: IouApprovalRef


class IouDetail(IouRow):
    debt_reason: str
    reason: str
    creditor: str
    guarantor: str
    witness: str
    notes: str
    guarantee_type: str | None = Field(
        description="担保方式（信用、保证、抵押、质押，取值见枚举）；为空表示未填写（报表按有担保人为保证、否则为信用统计）")
    purpose_category: str | None = Field(description="借款用途分类（业务状况月报的贷款投向）；为空表示未填写（报表按其他统计）")
    terms: TermsOut
    balances: BalancesOut
    cap: CapOut
    penalty_to_date: Money = Field(description="罚息计至营业日：已入账未还的罚息加上次入账后至营业日的罚息（决策 0006）")
    penalty_to_date_on: date = Field(description="罚息计至的营业日")
    classification_manual: str | None = Field(description="人工认定的五级分类（为空表示按逾期天数下限）")
    limitation_expires_on: date | None
    settled_on: date | None
    written_off_on: date | None
    recovery_method: str
    actions: list[str]
    approval_requests: list[IouApprovalRef] = Field(description="借据上审批中或已退回的审批单（审批通过后自动执行）")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_approval_requests(iou: Iou) -> list:
        from ioudesk.approvals.selectors import pending_for

        return pending_for(iou)

    @staticmethod
    def resolve_terms(iou: Iou) -> dict:
        return {name: getattr(iou, name) for name in TermsOut.model_fields}

    @staticmethod
    def resolve_balances(iou: Iou) -> dict:
        return {
            "principal": iou.principal_outstanding, "interest": iou.interest_outstanding,
            "penalty": iou.penalty_outstanding, "fee": iou.fee_outstanding, "total": iou.total_outstanding,
            "overpayment": iou.overpayment, "written_off_principal": iou.written_off_principal,
            "written_off_interest": iou.written_off_interest,
        }

    @staticmethod
    def resolve_penalty_to_date(iou: Iou) -> Decimal:
        from ioudesk.ious.selectors import penalty_to_date

        return penalty_to_date(iou)

    @staticmethod
    def resolve_penalty_to_date_on(iou: Iou) -> date:
        from ioudesk.core import clock

        return clock.today()

    @staticmethod
    def resolve_cap(iou: Iou) -> dict:
        return {"checked_on": iou.cap_checked_on, "rate": iou.cap_rate, "within": iou.cap_within,
                "rule": iou.cap_rule, "unprotected_interest": iou.cap_unprotected_interest,
                "unprotected_penalty": iou.cap_unprotected_penalty}

    @staticmethod
    def resolve_actions(iou: Iou, context) -> list[str]:
        """What the caller may do now: the domain's predicates with the caller's permissions (the
        same as the back office offers)."""
        request = (context or {}).get("request")
        return predicates.offered_actions(getattr(request, "user", None), iou)


class IouCreated(IouDetail):
    cap_warning: str


class InstallmentOut(Schema):
    number: int
    due_date: date
    principal_due: Money
    interest_due: Money
    fee_due: Money
    total_due: Money
    interest_accrued: bool
    principal_paid: Money
    interest_paid: Money
    fee_paid: Money
    penalty_charged: Money
    penalty_paid: Money
    interest_waived: Money
    fee_waived: Money
    penalty_waived: Money
    penalty_accrued_to: date | None
    paid_off_on: date | None


class ScheduleVersionOut(Schema):
    id: int
    version: int
    is_current: bool
    effective_from: date
    reason: str
    created_at: datetime
    installments: list[InstallmentOut]

    @staticmethod
    def resolve_installments(version: ScheduleVersion) -> list[Installment]:
        return list(version.installments.all())


class ScheduleOut(Schema):
    current: ScheduleVersionOut | None
    versions: list[ScheduleVersionOut]


class TransactionOut(Schema):
    """What a money operation answers. Only fields fixed at posting, so a replay is identical."""

    id: int
    iou_id: int
    kind: str
    day: date
    amount: Money
    principal: Money
    interest: Money
    penalty: Money
    fee: Money
    overpayment: Money
    method: str
    reference: str
    payer: str
    funding_account: str
    reason: str
    allocation: list[dict]
    entry_id: int | None
    entry_number: str | None
    reverses_id: int | None
    idempotency_key: str | None
    created_by_id: int | None
    created_at: datetime

    @staticmethod
    def resolve_allocation(record: Transaction) -> list[dict]:
        # Keys in one fixed order: PostgreSQL's jsonb gives them back in its own order, and a replay
        # must answer byte for byte what the first request did.
        return [
            {k: (_yuan(line[k]) if k in MONEY_KEYS else line[k]) for k in sorted(line, key=_allocation_key)}
            for line in record.allocation or []
        ]

    @staticmethod
    def resolve_entry_number(record: Transaction) -> str | None:
        cached = getattr(record, "entry_number", None)
        if cached is not None or record.entry_id is None:
            return cached
        return JournalEntry.objects.filter(pk=record.entry_id).values_list("number", flat=True).first()


class TransactionRow(TransactionOut):
    reversed_by_id: int | None

    @staticmethod
    def resolve_reversed_by_id(record: Transaction) -> int | None:
        return getattr(record, "reversed_by_id", None)


class QuoteOut(Schema):
    day: date
    principal: Money
    interest_due: Money
    broken_interest: Money
    penalty: Money
    fee: Money
    prepayment_fee: Money
    credit: Money
    total: Money


# --- input -------------------------------------------------------------------------------------


def _choices(choices) -> Any:
    return Literal[tuple(choices.values)]


PRODUCT_FIELDS = ("method", "frequency", "day_count", "rate_text", "penalty_basis", "penalty_markup",
                  "penalty_daily_rate", "grace_days", "allocation_order", "allocation_direction",
                  "last_installment", "interest_cap_applies", "deducted_interest", "upfront_fee",
                  "installment_fee", "prepayment_fee_rate")


class IouIn(Schema):
    """A loan from a product (``product_id``: terms copied from it), a plain loan (``rate_text`` and
    ``term`` required), or a debt (``kind="debt"``: one installment due on ``due_date`` or by
    ``payment_terms``)."""

    kind: _choices(IouKind) = "loan"
    customer_id: int
    product_id: int | None = None
    principal: str
    term: int | None = Field(None, ge=1, le=600)
    contract_date: date | None = None  # default: the business date
    first_due: date | None = None
    due_date: date | None = None
    payment_terms: _choices(PaymentTerms) = ""
    debt_reason: _choices(DebtReason) = "loan"
    reason: str = Field("", max_length=200)
    creditor: str = Field("", max_length=100)
    guarantor: str = Field("", max_length=100)
    witness: str = Field("", max_length=100)
    notes: str = ""
    # What the regulator's monthly table counts a loan by; omitted or null: not recorded.
    guarantee_type: _choices(GuaranteeType) | None = Field(
        None, description="担保方式（信用、保证、抵押、质押，取值见枚举）；保证须同时填写担保人")
    purpose_category: _choices(Purpose) | None = Field(None, description="借款用途分类")
    # true: create even when an origination check (the defaulter list) warns; the confirmation is audited
    confirm_checks: bool = False
    # Terms of a plain loan or debt (not allowed with product_id: the product sets them).
    rate_text: str | None = Field(None, max_length=30)
    method: _choices(RepaymentMethod) | None = None
    frequency: _choices(Frequency) | None = None
    day_count: _choices(DayCount) | None = None
    penalty_basis: _choices(PenaltyBasis) | None = None
    penalty_markup: Decimal | None = Field(None, ge=0, le=10)
    penalty_daily_rate: Decimal | None = Field(None, ge=0, le=1)
    grace_days: int | None = Field(None, ge=0, le=365)
    allocation_order: _choices(AllocationOrder) | None = None
    allocation_direction: _choices(AllocationDirection) | None = None
    last_installment: _choices(LastInstallment) | None = None
    interest_cap_applies: bool | None = None
    deducted_interest: str | None = None
    upfront_fee: str | None = None
    installment_fee: str | None = None
    prepayment_fee_rate: Decimal | None = Field(None, ge=0, le=1)


class CommentIn(Schema):
    comment: str = ""


class ReasonIn(Schema):
    reason: str = ""


class DisburseIn(Schema):
    day: date | None = None
    funding_account: str = Field("100201", max_length=10)
    reference: str = Field("", max_length=80)


class RepaymentIn(Schema):
    amount: str
    day: date | None = None
    method: _choices(PaymentMethod) = PaymentMethod.BANK_TRANSFER.value
    reference: str = Field("", max_length=80)
    payer: str = Field("", max_length=100)


class EarlySettlementIn(Schema):
    amount: str
    method: _choices(PaymentMethod) = PaymentMethod.BANK_TRANSFER.value
    reference: str = Field("", max_length=80)
    payer: str = Field("", max_length=100)


class WaiverIn(Schema):
    component: Literal["interest", "penalty", "fee"]
    amount: str
    reason: str = ""


class ClassifyIn(Schema):
    classification: _choices(Classification) | None = Field(
        ..., description="人工认定的五级分类，不能好于逾期天数对应的下限；为空则取消人工认定（按逾期天数）")
    reason: str = Field(..., max_length=2000, description="认定理由（必填，记入审计日志）")


class RefundIn(Schema):
    amount: str | None = None  # default: all the customer credit
    method: _choices(PaymentMethod) = PaymentMethod.BANK_TRANSFER.value
    reference: str = Field("", max_length=80)


class ExtensionIn(Schema):
    term: int = Field(..., ge=1, le=600)
    reason: str = ""
    rate_text: str | None = Field(None, max_length=30)
    first_due: date | None = None


class WriteOffIn(Schema):
    reason: str = ""
    recovery_method: _choices(RecoveryMethod) = RecoveryMethod.WRITE_OFF.value


class QuoteIn(Schema):
    day: date | None = None


class Filters(Schema):
    status: _choices(IouStatus) | None = None
    kind: _choices(IouKind) | None = None
    customer_id: int | None = None
    branch_id: int | None = None
    number: str | None = None
