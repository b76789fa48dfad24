"""Credit control (信用控制): a counterparty's credit limit against what it owes us, and long-overdue
items. docs/domain.md §26.

``credit_check(customer, amount)`` answers whether a new receivable bill of ``amount`` needs
approval (kind ``bill_credit``) because it would pass the customer's limit, or because the customer
has open items overdue longer than ``ReceivablesSettings.long_overdue_days``.

Exposure (what the limit is measured against), decided here and documented in docs/domain.md §26:
- the open amount of the customer's posted receivable bills (未结清), plus
- the total of its bills waiting for approval (待审批: each will be a debt once signed off), plus
- the outstanding of its live IOUs (生效/逾期/已展期: one customer, one exposure, whatever the paper), minus
- its receipts not matched yet (待核销/部分核销: money already in our account, which will pay something).
Drafts are not exposure (not yet submitted); payables are not netted against it (we may owe the same
company money, but a set-off needs an agreement: 民法典 art. 568/569).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import ZERO, format_yuan
from ioudesk.core import audit, clock, scope
from ioudesk.core.errors import PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.receivables.models import (
    Bill,
    BillDue,
    BillStatus,
    CounterpartyProfile,
    Direction,
    DueStatus,
    PaymentTerms,
    Receipt,
    ReceiptStatus,
    ReceivablesSettings,
)

BILL_APPROVAL = "bill_approval"  # 欠款单审核 (the seed's sign-off of a bill)
BILL_CREDIT = "bill_credit"  # 超信用额度/长期欠款客户开单审批
DEFAULT_TAX_RATES = "13,9,6,3,1,0"


def receivables_settings() -> ReceivablesSettings:
    """THE settings row of the organisation (created with the defaults on first use)."""
    from ioudesk.core.services import organisation_current

    found = ReceivablesSettings.objects.select_related("default_terms").filter(organisation=organisation_current()).first()
    if found is not None:
        return found
    settings, _created = ReceivablesSettings.objects.get_or_create(organisation=organisation_current())
    return settings


def parse_tax_rates(text: str) -> list[Decimal]:
    """'13,9,6' → [13, 9, 6] (full-width commas and 、 accepted; % signs ignored)."""
    rates = []
    for part in str(text or "").replace("，", ",").replace("、", ",").split(","):
        part = part.strip().rstrip("%").strip()
        if not part:
            continue
        rate = Decimal(part)
        if not rate.is_finite() or not 0 <= rate <= 100:
            raise ValueError(part)
        if rate not in rates:
            rates.append(rate)
    return rates


def tax_rates() -> list[Decimal]:
    try:
        return parse_tax_rates(receivables_settings().tax_rates) or parse_tax_rates(DEFAULT_TAX_RATES)
    except (ArithmeticError, ValueError):
        return parse_tax_rates(DEFAULT_TAX_RATES)


def profile_for(customer) -> CounterpartyProfile | None:
    if customer is None or customer.pk is None:
        return None
    return CounterpartyProfile.objects.select_related("payment_terms").filter(customer=customer).first()


def default_terms_for(customer, *, direction: str = Direction.RECEIVABLE) -> PaymentTerms | None:
    """The terms a new bill of ``customer`` starts with: its own, else the organisation's default."""
    profile = profile_for(customer)
    if profile is not None and profile.payment_terms_id and profile.payment_terms.is_active:
        return profile.payment_terms
    default = receivables_settings().default_terms
    return default if default is not None and default.is_active else None


@dataclass(frozen=True)
class CreditVerdict:
    limit: Decimal | None  # None: no limit set (不限额)
    exposure: Decimal
    available: Decimal | None
    exceeds_limit: bool
    long_overdue_amount: Decimal
    needs_approval: bool
    reasons: list[str] = field(default_factory=list)
    open_bills: Decimal = ZERO
    pending_bills: Decimal = ZERO
    iou_outstanding: Decimal = ZERO
    unapplied_receipts: Decimal = ZERO
    long_overdue_days: int = 90

    @property
    def approval_kind(self) -> str:
        return BILL_CREDIT if self.needs_approval else BILL_APPROVAL


def _sum(queryset, name: str) -> Decimal:
    value = queryset.aggregate(total=Sum(name))["total"]
    return Decimal(value) if value is not None else ZERO


def _iou_outstanding(customer) -> Decimal:
    from ioudesk.ious.models import LIVE_STATUSES, Iou

    sums = Iou.objects.filter(customer=customer, status__in=LIVE_STATUSES).aggregate(
        p=Sum("principal_outstanding"), i=Sum("interest_outstanding"), n=Sum("penalty_outstanding"),
        f=Sum("fee_outstanding"))
    return sum((Decimal(v) for v in sums.values() if v is not None), ZERO)


def _long_overdue_ious(customer, days: int) -> Decimal:
    from ioudesk.ious.models import LIVE_STATUSES, Iou

    sums = Iou.objects.filter(customer=customer, status__in=LIVE_STATUSES, days_past_due__gt=days).aggregate(
        p=Sum("principal_outstanding"), i=Sum("interest_outstanding"), n=Sum("penalty_outstanding"),
        f=Sum("fee_outstanding"))
    return sum((Decimal(v) for v in sums.values() if v is not None), ZERO)


def _exposure_parts(open_bills, pending, ious, unapplied) -> str:
    """"（未结应收 ¥a，待审批 ¥b，借据未还 ¥c，减未核销收款 ¥d）", naming only the parts that are not zero."""
    parts = [(_g("未结应收"), open_bills), (_g("待审批单据"), pending), (_g("借据未还"), ious),
             (_g("减未核销收款"), unapplied)]
    named = [f"{label} {format_yuan(value)}" for label, value in parts if value]
    if len(named) < 2:
        return ""
    return "（" + "，".join(named) + "）"


def credit_check(customer, amount, *, day: date | None = None, exclude_bill: Bill | None = None) -> CreditVerdict:
    """Whether a new receivable bill of ``amount`` for ``customer`` needs credit approval, and why.
    ``exclude_bill``: the bill being checked, when it is already saved (not counted twice)."""
    day = day or clock.today()
    amount = Decimal(amount or 0)
    settings = receivables_settings()
    long_days = int(settings.long_overdue_days)
    profile = profile_for(customer)
    limit = profile.credit_limit if profile is not None and profile.credit_limit is not None else None
    bills = Bill.objects.filter(customer=customer, direction=Direction.RECEIVABLE)
    if exclude_bill is not None and exclude_bill.pk:
        bills = bills.exclude(pk=exclude_bill.pk)
    open_bills = _sum(bills.filter(status=BillStatus.OPEN), "open_amount")
    pending = _sum(bills.filter(status=BillStatus.PENDING), "total")
    ious = _iou_outstanding(customer)
    unapplied = _sum(Receipt.objects.filter(customer=customer, direction=Direction.RECEIVABLE,
                                            status__in=(ReceiptStatus.UNMATCHED, ReceiptStatus.PARTIAL)), "unmatched")
    exposure = open_bills + pending + ious - unapplied
    long_overdue = _sum(BillDue.objects.filter(customer=customer, direction=Direction.RECEIVABLE,
                                               status=DueStatus.OPEN, due_date__lt=day - timedelta(days=long_days)),
                        "open_amount") + _long_overdue_ious(customer, long_days)
    reasons = []
    exceeds = False
    available = None
    if limit is not None:
        available = limit - exposure
        exceeds = exposure + amount > limit
        if exceeds:
            reasons.append(_g("本单 %(amount)s 加上已有欠款 %(exposure)s，超过信用额度 %(limit)s（超出 %(over)s）") % {
                "amount": format_yuan(amount), "exposure": format_yuan(exposure), "limit": format_yuan(limit),
                "over": format_yuan(exposure + amount - limit)} + _exposure_parts(open_bills, pending, ious, unapplied))
    if long_overdue > 0:
        reasons.append(_g("该客户有逾期超过 %(days)d 天的欠款 %(amount)s") % {
            "days": long_days, "amount": format_yuan(long_overdue)})
    return CreditVerdict(limit=limit, exposure=exposure, available=available, exceeds_limit=exceeds,
                         long_overdue_amount=long_overdue, needs_approval=bool(reasons), reasons=reasons,
                         open_bills=open_bills, pending_bills=pending, iou_outstanding=ious,
                         unapplied_receipts=unapplied, long_overdue_days=long_days)


PROFILE_FIELDS = ("is_customer", "is_supplier", "credit_limit", "payment_terms", "tax_id", "notes")


@transaction.atomic
def counterparty_profile_save(*, profile: CounterpartyProfile, user) -> CounterpartyProfile:
    """Save a counterparty's credit limit, default terms and roles (checked, audited)."""
    if user is not None and not (user.has_perm("receivables.change_counterpartyprofile")
                                 or (profile.pk is None and user.has_perm("receivables.add_counterpartyprofile"))):
        raise PermissionDenied(_("您没有修改往来单位信用设置的权限。"))
    if user is not None and profile.customer_id and not scope.can_see_branch(user, profile.customer.branch_id):
        raise PermissionDenied(_("只能设置本网点（及下级网点）往来单位的信用额度。"))
    problems = []
    if profile.credit_limit is not None and Decimal(profile.credit_limit) < 0:
        problems.append({"field": "credit_limit", "message": str(_("信用额度不能为负数；不限额请留空。"))})
    profile.tax_id = (profile.tax_id or "").strip().upper()
    if profile.tax_id and not (len(profile.tax_id) in (15, 17, 18, 20) and profile.tax_id.isalnum()):
        problems.append({"field": "tax_id", "message": str(_("纳税人识别号应为15、17、18或20位字母或数字。"))})
    if not (profile.is_customer or profile.is_supplier):
        problems.append({"field": "is_customer", "message": str(_("往来单位至少是客户或供应商之一。"))})
    if profile.payment_terms_id and not profile.payment_terms.is_active:
        problems.append({"field": "payment_terms", "message": str(_("所选付款条件已停用，请另选。"))})
    if problems:
        raise ValidationFailed("；".join(p["message"] for p in problems),
                               extra={"field": problems[0]["field"], "details": problems})
    before = None
    if profile.pk:
        old = CounterpartyProfile.objects.get(pk=profile.pk)
        before = {name: str(getattr(old, name + ("_id" if name == "payment_terms" else ""))) for name in PROFILE_FIELDS}
    profile.notes = (profile.notes or "").strip()[:200]
    profile.save()
    after = {name: str(getattr(profile, name + ("_id" if name == "payment_terms" else ""))) for name in PROFILE_FIELDS}
    changes = {name: [before.get(name) if before else None, value] for name, value in after.items()
               if before is None or before.get(name) != value}
    audit.record(AuditAction.UPDATE if before else AuditAction.CREATE, obj=profile, verb=_g("往来单位信用设置"),
                 changes=changes, branch_id=profile.customer.branch_id)
    return profile


# --- the administrator's settings ---------------------------------------------------------------------

@transaction.atomic
def payment_terms_save(*, terms: PaymentTerms, user) -> PaymentTerms:
    """Save a payment terms entry, refused with the reason when it could not give due dates."""
    from ioudesk.calc import payterms
    from ioudesk.calc.errors import CalcError

    if user is not None and not user.has_perm("receivables.change_paymentterms" if terms.pk
                                              else "receivables.add_paymentterms"):
        raise PermissionDenied(_("您没有修改付款条件的权限。"))
    terms.name = (terms.name or "").strip()
    problems = []
    if not terms.name:
        problems.append({"field": "name", "message": str(_("请填写付款条件名称。"))})
    elif PaymentTerms.objects.filter(name=terms.name).exclude(pk=terms.pk).exists():
        problems.append({"field": "name", "message": str(_("已有同名的付款条件。"))})
    plan = terms.plan if isinstance(terms.plan, list) else []
    if terms.kind != "instalments":
        plan = []
    try:
        payterms.check_spec(payterms.TermsSpec(kind=terms.kind, days=int(terms.days or 0), plan=tuple(plan),
                                               shift_holidays=bool(terms.shift_holidays)))
    except CalcError as error:
        problems.append({"field": "plan" if terms.kind == "instalments" else "days", "message": error.message})
    if problems:
        raise ValidationFailed("；".join(p["message"] for p in problems),
                               extra={"field": problems[0]["field"], "details": problems})
    terms.plan = plan
    created = terms.pk is None
    terms.save()
    audit.record(AuditAction.CREATE if created else AuditAction.UPDATE, obj=terms, verb=_g("付款条件"),
                 changes={"name": terms.name, "kind": terms.kind, "days": terms.days, "plan": plan,
                          "shift_holidays": terms.shift_holidays, "is_active": terms.is_active})
    return terms


@transaction.atomic
def receivables_settings_save(*, settings: ReceivablesSettings, user) -> ReceivablesSettings:
    if user is not None and not user.has_perm("receivables.change_receivablessettings"):
        raise PermissionDenied(_("您没有修改往来设置的权限。"))
    problems = []
    try:
        rates = parse_tax_rates(settings.tax_rates)
        if not rates:
            problems.append({"field": "tax_rates", "message": str(_("请至少填写一个税率，例如 13,9,6,3,1,0。"))})
        settings.tax_rates = ",".join(f"{r.normalize():f}" for r in rates)
    except (ArithmeticError, ValueError) as error:
        problems.append({"field": "tax_rates", "message": _g("税率“%(value)s”不正确：应为0到100之间的数，逗号分隔") % {
            "value": error.args[0] if error.args else settings.tax_rates}})
    if not settings.long_overdue_days:
        problems.append({"field": "long_overdue_days", "message": str(_("长期逾期天数必须大于0。"))})
    if not settings.dso_days:
        problems.append({"field": "dso_days", "message": str(_("DSO 计算天数必须大于0。"))})
    if settings.match_tolerance is not None and Decimal(settings.match_tolerance) < 0:
        problems.append({"field": "match_tolerance", "message": str(_("部分核销容差不能为负数。"))})
    if settings.default_terms_id and not settings.default_terms.is_active:
        problems.append({"field": "default_terms", "message": str(_("默认付款条件已停用，请另选。"))})
    if problems:
        raise ValidationFailed("；".join(p["message"] for p in problems),
                               extra={"field": problems[0]["field"], "details": problems})
    settings.save()
    audit.record(AuditAction.UPDATE, obj=settings, verb=_g("往来设置"),
                 changes={"tax_rates": settings.tax_rates, "long_overdue_days": settings.long_overdue_days,
                          "case_after_days": settings.case_after_days, "match_tolerance": str(settings.match_tolerance),
                          "default_terms": settings.default_terms_id, "dso_days": settings.dso_days})
    return settings
