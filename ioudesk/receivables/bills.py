"""Bills (往来单据): entered, checked, signed off, made effective, credited, adjusted, voided, archived
with their attachments. docs/domain.md §26.

- ``bill_validate`` is THE validation (the form, the API and the .xlsx import call it): lines add up
  to the declared total, tax rates from ``ReceivablesSettings.tax_rates``, quantity > 0, price ≥ 0,
  dates not after the business date, the customer in the user's branches, a VAT invoice number of 8
  or 20 digits not already used for the same seller; every problem at once, each naming its field.
- ``bill_post`` is THE door that makes a bill effective: the approval gate, the due dates from the
  payment terms (``calc.payterms``) as open items (``BillDue``), one journal entry whose
  receivable/payable line names the bill (``doc_kind="B"``), status 未结清, event, audit.
- Credit notes (红字) and adjustments change a posted bill's open items through
  ``openitems.due_apply`` only.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.approvals.models import ApprovalRequest, RequestStatus
from ioudesk.approvals.selectors import pending_for
from ioudesk.approvals.services import gate, request_cancel, submit_or_run
from ioudesk.calc import payterms, vat
from ioudesk.calc.errors import CalcError
from ioudesk.calc.money import MAX_AMOUNT, ZERO, format_yuan, quantize
from ioudesk.core import audit, clock, scope
from ioudesk.core.errors import InvalidState, PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.numbering import next_number
from ioudesk.core.storage import private_storage
from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.models import Account, EntryKind
from ioudesk.ledger.services import Line, post_entry, reverse_entry
from ioudesk.receivables import numbers, predicates
from ioudesk.receivables.credit import (
    BILL_APPROVAL,
    credit_check,
    default_terms_for,
    receivables_settings,
    tax_rates,
)
from ioudesk.receivables.events import bill_event
from ioudesk.receivables.models import (
    AttachmentKind,
    Bill,
    BillAttachment,
    BillDue,
    BillEventKind,
    BillKind,
    BillLine,
    BillStatus,
    Direction,
    DueStatus,
    LineKind,
    Nature,
    PaymentTerms,
    TermsKind,
)
from ioudesk.receivables.openitems import due_apply, lock_bill

MAX_LINES = 200
LIMIT = Decimal(10) ** 15  # any quantity, price or amount beyond this is refused as not a number
MIN_BILL_DATE = date(2000, 1, 1)
INVOICE_NUMBER_RE = re.compile(r"^(\d{8}|\d{20})$")
RECEIVABLE_KINDS = (BillKind.SALES, BillKind.SERVICE)
PAYABLE_KINDS = (BillKind.PURCHASE,)
PREFIX = {BillKind.SALES: numbers.RECEIVABLE_BILL, BillKind.SERVICE: numbers.RECEIVABLE_BILL,
          BillKind.PURCHASE: numbers.PAYABLE_BILL, BillKind.CREDIT_NOTE: numbers.CREDIT_NOTE,
          BillKind.ADJUSTMENT: numbers.ADJUSTMENT, BillKind.PURCHASE_ORDER: numbers.PURCHASE_ORDER}
# a payable line's debit account by its kind, when the line names none
PAYABLE_LINE_ACCOUNT = {LineKind.GOODS: AccountCode.INVENTORY, LineKind.SERVICE: AccountCode.ADMIN_EXPENSE}
HEADER_FIELDS = ("customer", "bill_date", "delivery_date", "payment_terms", "vat_invoice_number", "vat_invoice_date",
                 "external_ref", "memo", "manager", "declared_total")


# --- input ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LineInput:
    """One line as typed (strings or Decimals): what the form, the API and the import give."""

    description: str
    quantity: object
    unit_price: object
    tax_rate: object
    kind: str = LineKind.GOODS
    spec: str = ""
    unit: str = ""
    account_code: str = ""


@dataclass(frozen=True)
class CheckedLine:
    line_no: int
    kind: str
    description: str
    spec: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    total: Decimal
    account_code: str


@dataclass
class CheckedBill:
    """What ``bill_validate`` hands back: the bill's cleaned values, ready to save."""

    direction: str
    kind: str
    customer: object
    bill_date: date
    lines: list[CheckedLine]
    net_amount: Decimal
    tax_amount: Decimal
    total: Decimal
    nature: str
    seller_key: str
    payment_terms: PaymentTerms | None
    terms_text: str
    delivery_date: date | None = None
    vat_invoice_number: str = ""
    vat_invoice_date: date | None = None
    external_ref: str = ""
    memo: str = ""
    manager: object = None
    dues: list = field(default_factory=list)  # payterms.DueItem: what posting it would give


class _Problems(list):
    def add(self, field_name: str, message) -> None:
        if not any(p["field"] == field_name for p in self):
            self.append({"field": field_name, "message": str(message)})

    def raise_any(self, code: str | None = None) -> None:
        if self:
            raise ValidationFailed("；".join(p["message"] for p in self), code=code,
                                   extra={"field": self[0]["field"], "details": list(self)})


def _line_value(line, name, default=""):
    if isinstance(line, dict):
        return line.get(name, default)
    return getattr(line, name, default)


def _decimal(value) -> Decimal | None:
    if value is None or isinstance(value, (bool, float)):
        return None
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
    else:
        text = str(value).strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
        text = text.rstrip("%").strip()
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
    if not number.is_finite() or abs(number) >= LIMIT or number.as_tuple().exponent < -12:
        return None  # not a figure anyone typed on purpose (1e999, 0.0000000000001)
    return number


def _date(value, field_name, label, problems) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip().replace("/", "-"))
    except ValueError:
        problems.add(field_name, _g("%(label)s“%(value)s”不是有效日期，请写成 2026-11-28 这样的格式") % {
            "label": label, "value": value})
        return None


def _rate_text(rate: Decimal) -> str:
    return f"{rate.normalize():f}%"


def _check_line(index: int, raw, rates: list[Decimal], direction: str, problems: _Problems) -> CheckedLine | None:
    at = f"lines-{index}-"
    label = _g("第 %(n)d 行") % {"n": index + 1}
    description = str(_line_value(raw, "description") or "").strip()
    kind = str(_line_value(raw, "kind") or LineKind.GOODS)
    ok = True
    if not description:
        problems.add(at + "description", label + _g("：请填写货物或服务名称"))
        ok = False
    elif len(description) > 100:
        problems.add(at + "description", label + _g("：货物或服务名称最多 100 个字"))
        ok = False
    if kind not in LineKind.values:
        problems.add(at + "kind", label + _g("：类别只能是“货物”或“服务”"))
        ok = False
    spec = str(_line_value(raw, "spec") or "").strip()
    unit = str(_line_value(raw, "unit") or "").strip()
    if len(spec) > 60:
        problems.add(at + "spec", label + _g("：规格型号最多 60 个字"))
        ok = False
    if len(unit) > 10:
        problems.add(at + "unit", label + _g("：单位最多 10 个字"))
        ok = False
    quantity = _decimal(_line_value(raw, "quantity", None))
    if quantity is None:
        problems.add(at + "quantity", label + _g("：数量必须是数字，例如 10 或 2.5"))
        ok = False
    elif quantity <= 0:
        problems.add(at + "quantity", label + _g("：数量必须大于0（退货请开红字冲减单）"))
        ok = False
    elif quantity.normalize().as_tuple().exponent < -4:
        problems.add(at + "quantity", label + _g("：数量最多四位小数"))
        ok = False
    price = _decimal(_line_value(raw, "unit_price", None))
    if price is None:
        problems.add(at + "unit_price", label + _g("：单价（不含税）必须是数字，例如 12.50"))
        ok = False
    elif price < 0:
        problems.add(at + "unit_price", label + _g("：单价不能为负数（折让请开调整单或红字冲减单）"))
        ok = False
    elif price != 0 and price.normalize().as_tuple().exponent < -4:
        problems.add(at + "unit_price", label + _g("：单价最多四位小数"))
        ok = False
    rate = _decimal(_line_value(raw, "tax_rate", None))
    if rate is None:
        problems.add(at + "tax_rate", label + _g("：请填写税率，可选 %(rates)s") % {
            "rates": "、".join(_rate_text(r) for r in rates)})
        ok = False
    elif rate not in rates:
        problems.add(at + "tax_rate", label + _g("：税率 %(rate)s 不在允许的税率中，可选 %(rates)s（往来设置中配置）") % {
            "rate": _rate_text(rate), "rates": "、".join(_rate_text(r) for r in rates)})
        ok = False
    account_code = str(_line_value(raw, "account_code") or "").strip()
    if account_code and direction == Direction.RECEIVABLE:
        account_code = ""  # a sales line always credits 营业收入
    if account_code:
        account = Account.objects.filter(code=account_code).first()
        if account is None or not account.is_active or Account.objects.filter(parent=account).exists():
            problems.add(at + "account_code", label + _g("：入账科目 %(code)s 不存在、已停用或不是明细科目") % {
                "code": account_code})
            ok = False
    if not ok:
        return None
    try:
        net, tax, total = vat.line_amounts(quantity, price, rate)
    except CalcError as error:
        problems.add(at + "quantity", label + "：" + error.message)
        return None
    if total > MAX_AMOUNT:
        problems.add(at + "quantity", label + _g("：金额超出上限，请核对数量和单价"))
        return None
    return CheckedLine(line_no=index + 1, kind=kind, description=description, spec=spec, unit=unit,
                       quantity=quantity, unit_price=price, tax_rate=rate, net_amount=net, tax_amount=tax,
                       total=total, account_code=account_code)


def seller_key_for(direction: str, customer) -> str:
    """Who issued the VAT invoice: "" (we did) for a receivable; the supplier for a payable."""
    return "" if direction == Direction.RECEIVABLE else str(customer.pk)


def terms_spec(terms: PaymentTerms) -> payterms.TermsSpec:
    return payterms.TermsSpec(kind=terms.kind, days=int(terms.days or 0), plan=tuple(terms.plan or ()),
                              shift_holidays=bool(terms.shift_holidays))


def terms_describe(terms: PaymentTerms | None) -> str:
    if terms is None:
        return _g("未约定付款期限（随时请求履行，民法典第511条）")
    try:
        return payterms.describe(terms_spec(terms))
    except CalcError:
        return terms.name


def bill_due_items(*, terms: PaymentTerms | None, bill_date: date, delivery_date: date | None,
                   total: Decimal) -> list[payterms.DueItem]:
    """The open items the terms give; without terms, one item due on the bill date (民法典 511(4))."""
    if terms is None:
        return [payterms.DueItem(seq=1, due_date=delivery_date or bill_date, amount=total)]
    items = payterms.due_dates(terms_spec(terms), bill_date=bill_date, delivery_date=delivery_date, total=total)
    kept = [item for item in items if item.amount > 0]
    return [payterms.DueItem(seq=n, due_date=item.due_date, amount=item.amount) for n, item in enumerate(kept, 1)] \
        or items[:1]


def _nature(lines: list[CheckedLine]) -> str:
    kinds = {line.kind for line in lines}
    if kinds == {LineKind.SERVICE}:
        return Nature.SERVICES
    if kinds == {LineKind.GOODS} or not kinds:
        return Nature.GOODS
    return Nature.MIXED


def bill_validate(*, direction: str = Direction.RECEIVABLE, kind: str = BillKind.SALES, customer, bill_date,
                  lines, payment_terms=None, delivery_date=None, declared_total=None, vat_invoice_number="",
                  vat_invoice_date=None, external_ref="", memo="", manager=None, user=None,
                  bill: Bill | None = None, use_default_terms: bool = True) -> CheckedBill:
    """Check a bill as entered; return its cleaned values or raise ``ValidationFailed`` naming every
    problem (``extra["details"]``: one ``{"field", "message"}`` per field, lines as ``lines-<i>-<field>``)."""
    problems = _Problems()
    if direction not in Direction.values:
        problems.add("direction", _g("方向只能是应收或应付"))
        direction = Direction.RECEIVABLE
    allowed_kinds = RECEIVABLE_KINDS if direction == Direction.RECEIVABLE else PAYABLE_KINDS
    if kind not in allowed_kinds:
        problems.add("kind", _g("单据类型不正确：应收单为销售单或服务单，应付单为采购应付单"))
    if customer is None:
        problems.add("customer", _g("请选择往来单位（客户或供应商）"))
    elif user is not None and not scope.can_see_branch(user, customer.branch_id):
        problems.add("customer", _g("只能为本网点（及下级网点）的往来单位开单"))
    today = clock.today()
    bill_date = _date(bill_date, "bill_date", _g("单据日期"), problems) if not isinstance(bill_date, date) else bill_date
    if bill_date is None and not any(p["field"] == "bill_date" for p in problems):
        problems.add("bill_date", _g("请填写单据日期"))
    elif bill_date is not None and bill_date > today:
        problems.add("bill_date", _g("单据日期 %(day)s 晚于营业日 %(today)s，不能预开单据") % {
            "day": bill_date.isoformat(), "today": today.isoformat()})
    elif bill_date is not None and bill_date < MIN_BILL_DATE:
        problems.add("bill_date", _g("单据日期 %(day)s 太早，请核对") % {"day": bill_date.isoformat()})
    delivery_date = _date(delivery_date, "delivery_date", _g("交货日期"), problems)
    if delivery_date is not None and bill_date is not None and abs((delivery_date - bill_date).days) > 366:
        problems.add("delivery_date", _g("交货日期与单据日期相差超过一年，请核对"))
    vat_invoice_date = _date(vat_invoice_date, "vat_invoice_date", _g("开票日期"), problems)
    if vat_invoice_date is not None and vat_invoice_date > today:
        problems.add("vat_invoice_date", _g("开票日期 %(day)s 晚于营业日，请核对") % {"day": vat_invoice_date.isoformat()})
    number = re.sub(r"\s+", "", str(vat_invoice_number or ""))
    seller_key = seller_key_for(direction, customer) if customer is not None else ""
    if number:
        if not INVOICE_NUMBER_RE.match(number):
            problems.add("vat_invoice_number", _g("发票号码“%(number)s”不正确：应为8位（增值税专用/普通发票）或20位（数电发票）数字") % {
                "number": number})
        elif customer is not None:
            same = Bill.objects.filter(direction=direction, seller_key=seller_key, vat_invoice_number=number).exclude(
                status=BillStatus.VOID)
            if bill is not None and bill.pk:
                same = same.exclude(pk=bill.pk)
            other = same.first()
            if other is not None:
                seller = _g("本单位开具的") if direction == Direction.RECEIVABLE else _g("该供应商开具的")
                problems.add("vat_invoice_number", _g("发票号码 %(number)s 已用于单据 %(bill)s（%(seller)s发票不能重复登记）") % {
                    "number": number, "bill": other.number, "seller": seller})
    if vat_invoice_date is not None and not number:
        problems.add("vat_invoice_number", _g("填写了开票日期，请同时填写发票号码"))
    external_ref = str(external_ref or "").strip()
    if len(external_ref) > 40:
        problems.add("external_ref", _g("合同/订单号最多 40 个字"))
    memo = str(memo or "").strip()
    if len(memo) > 200:
        problems.add("memo", _g("备注最多 200 个字"))
    if payment_terms is None and use_default_terms and customer is not None:
        payment_terms = default_terms_for(customer, direction=direction)
    if payment_terms is not None and not payment_terms.is_active and (bill is None or bill.payment_terms_id != payment_terms.pk):
        problems.add("payment_terms", _g("付款条件“%(name)s”已停用，请另选") % {"name": payment_terms.name})
    if payment_terms is not None and payment_terms.kind == TermsKind.COD and delivery_date is None:
        pass  # 货到付款 without a delivery date: due on the bill date
    lines = list(lines or [])
    if not lines:
        problems.add("lines", _g("请至少填写一行货物或服务明细"))
    elif len(lines) > MAX_LINES:
        problems.add("lines", _g("一张单据最多 %(n)d 行明细，请拆分") % {"n": MAX_LINES})
    rates = tax_rates()
    checked = []
    for index, raw in enumerate(lines[:MAX_LINES]):
        line = _check_line(index, raw, rates, direction, problems)
        if line is not None:
            checked.append(line)
    net = sum((line.net_amount for line in checked), ZERO)
    tax = sum((line.tax_amount for line in checked), ZERO)
    total = net + tax
    lines_ok = len(checked) == len(lines) and lines
    if lines_ok and total <= 0:
        problems.add("lines", _g("单据价税合计必须大于0"))
    if lines_ok and total > MAX_AMOUNT:
        problems.add("lines", _g("单据合计超出上限"))
    if declared_total not in (None, ""):
        declared = _decimal(declared_total)
        if declared is None:
            problems.add("declared_total", _g("价税合计“%(value)s”不是金额") % {"value": declared_total})
        elif lines_ok and quantize(declared) != total:
            problems.add("declared_total", _g("明细价税合计 %(lines)s 与填写的价税合计 %(declared)s 不符（相差 %(diff)s），请核对各行数量、单价和税率") % {
                "lines": format_yuan(total), "declared": format_yuan(quantize(declared)),
                "diff": format_yuan(abs(total - quantize(declared)))})
    dues = []
    if bill_date is not None and lines_ok and total > 0:
        try:
            dues = bill_due_items(terms=payment_terms, bill_date=bill_date, delivery_date=delivery_date, total=total)
        except CalcError as error:
            problems.add("payment_terms", _g("付款条件“%(name)s”无法计算到期日：%(why)s") % {
                "name": payment_terms.name if payment_terms else "", "why": error.message})
    problems.raise_any()
    if manager is None and customer is not None and direction == Direction.RECEIVABLE:
        manager = customer.owner
    return CheckedBill(direction=direction, kind=kind, customer=customer, bill_date=bill_date, lines=checked,
                       net_amount=net, tax_amount=tax, total=total, nature=_nature(checked), seller_key=seller_key,
                       payment_terms=payment_terms, terms_text=terms_describe(payment_terms)[:100],
                       delivery_date=delivery_date, vat_invoice_number=number, vat_invoice_date=vat_invoice_date,
                       external_ref=external_ref, memo=memo, manager=manager, dues=dues)


# --- create, update -----------------------------------------------------------------------------------

def _write_lines(bill: Bill, lines: list[CheckedLine]) -> None:
    BillLine.objects.bulk_create([
        BillLine(bill=bill, line_no=line.line_no, kind=line.kind, description=line.description, spec=line.spec,
                 unit=line.unit, quantity=line.quantity, unit_price=line.unit_price, tax_rate=line.tax_rate,
                 net_amount=line.net_amount, tax_amount=line.tax_amount, total=line.total,
                 account_code=line.account_code)
        for line in lines])


def _apply(bill: Bill, checked: CheckedBill) -> None:
    for name in ("direction", "kind", "customer", "bill_date", "net_amount", "tax_amount", "total", "nature",
                 "seller_key", "payment_terms", "terms_text", "delivery_date", "vat_invoice_number",
                 "vat_invoice_date", "external_ref", "memo", "manager"):
        setattr(bill, name, getattr(checked, name))
    bill.branch_id = checked.customer.branch_id
    bill.open_amount = ZERO


def _snapshot(bill: Bill) -> dict:
    return {"number": bill.number, "customer": bill.customer_id, "bill_date": bill.bill_date.isoformat(),
            "total": str(bill.total), "net_amount": str(bill.net_amount), "tax_amount": str(bill.tax_amount),
            "vat_invoice_number": bill.vat_invoice_number, "terms": bill.terms_text, "lines": bill.lines.count()}


@transaction.atomic
def bill_create(*, direction: str = Direction.RECEIVABLE, kind: str = BillKind.SALES, customer, bill_date, lines,
                payment_terms=None, delivery_date=None, declared_total=None, vat_invoice_number="",
                vat_invoice_date=None, external_ref="", memo="", manager=None, user, original: Bill | None = None,
                number: str | None = None) -> Bill:
    """A new bill (草稿) with its lines, checked by ``bill_validate``."""
    if user is not None and not user.has_perm("receivables.add_bill"):
        raise PermissionDenied(_("您没有开单的权限（往来单据：新增）。"))
    checked = bill_validate(direction=direction, kind=kind, customer=customer, bill_date=bill_date, lines=lines,
                            payment_terms=payment_terms, delivery_date=delivery_date, declared_total=declared_total,
                            vat_invoice_number=vat_invoice_number, vat_invoice_date=vat_invoice_date,
                            external_ref=external_ref, memo=memo, manager=manager, user=user)
    bill = Bill(status=BillStatus.DRAFT, original=original,
                created_by=user if getattr(user, "is_authenticated", False) else None)
    _apply(bill, checked)
    bill.number = number or next_number(prefix=PREFIX[bill.kind], day=clock.today())
    bill.save()
    _write_lines(bill, checked.lines)
    bill_event(bill, BillEventKind.CREATED, _g("制单：价税合计 %(total)s") % {"total": format_yuan(bill.total)}, by=user)
    audit.record(AuditAction.CREATE, obj=bill, verb=_g("新建往来单据"), branch_id=bill.branch_id,
                 changes={name: [None, value] for name, value in _snapshot(bill).items()})
    return bill


@transaction.atomic
def bill_update(*, bill: Bill, user, lines, customer=None, bill_date=None, payment_terms=None, delivery_date=None,
                declared_total=None, vat_invoice_number="", vat_invoice_date=None, external_ref="", memo="",
                manager=None) -> Bill:
    """Change a draft (new or returned) bill: its header and all its lines."""
    bill = lock_bill(bill.pk)
    if not predicates.can_edit(bill, user):
        if bill.status != BillStatus.DRAFT:
            raise InvalidState(_g("单据 %(number)s 当前为“%(status)s”，只有草稿可以修改。") % {
                "number": bill.number, "status": bill.get_status_display()})
        raise PermissionDenied(_("您不能修改这张单据。"))
    before = _snapshot(bill)
    checked = bill_validate(direction=bill.direction, kind=bill.kind, customer=customer or bill.customer,
                            bill_date=bill_date or bill.bill_date, lines=lines, payment_terms=payment_terms,
                            delivery_date=delivery_date, declared_total=declared_total,
                            vat_invoice_number=vat_invoice_number, vat_invoice_date=vat_invoice_date,
                            external_ref=external_ref, memo=memo, manager=manager or bill.manager, user=user,
                            bill=bill)
    _apply(bill, checked)
    bill.save()
    bill.lines.all().delete()
    _write_lines(bill, checked.lines)
    after = _snapshot(bill)
    audit.record(AuditAction.UPDATE, obj=bill, verb=_g("修改往来单据"), branch_id=bill.branch_id,
                 changes={k: [before[k], v] for k, v in after.items() if before.get(k) != v})
    return bill


# --- submit, post --------------------------------------------------------------------------------------

def approval_kind_for(bill: Bill, *, day: date | None = None) -> tuple[str, list[str]]:
    """Which sign-off a bill needs: ``bill_credit`` (with the reasons) when it would pass the
    customer's limit or the customer has long-overdue items, else ``bill_approval``. Payables never
    need a credit approval."""
    if bill.direction != Direction.RECEIVABLE:
        return BILL_APPROVAL, []
    verdict = credit_check(bill.customer, bill.total, day=day, exclude_bill=bill)
    return verdict.approval_kind, verdict.reasons


@transaction.atomic
def bill_submit(*, bill: Bill, user, comment: str = ""):
    """Send a draft bill for sign-off (``approvals.submit_or_run``): kind ``bill_credit`` when the
    credit check asks for it, else ``bill_approval``; with no flow applying, it is posted at once.
    Returns the approvals ``Outcome``."""
    bill = lock_bill(bill.pk)
    if not predicates.can_submit(bill, user):
        if bill.status != BillStatus.DRAFT:
            raise InvalidState(_g("单据 %(number)s 当前为“%(status)s”，不能提交。") % {
                "number": bill.number, "status": bill.get_status_display()})
        raise PermissionDenied(_("您不能提交这张单据。"))
    for request in pending_for(bill):  # returned by an approver and edited since: the old request is withdrawn
        if request.status == RequestStatus.RETURNED and request.maker_id == getattr(user, "pk", None):
            request_cancel(request=ApprovalRequest.objects.get(pk=request.pk), user=user, reason=_g("修改后重新提交"))
        else:
            raise InvalidState(_g("单据 %(number)s 已有审批单 %(request)s 在审批中。") % {
                "number": bill.number, "request": request.number}, code="approval_open")
    bill = lock_bill(bill.pk)
    kind, reasons = approval_kind_for(bill)
    summary = _g("%(customer)s %(number)s 价税合计 %(total)s") % {
        "customer": bill.customer.name, "number": bill.number, "total": format_yuan(bill.total)}
    reason = "；".join(reasons) or (comment or "").strip()
    bill_event(bill, BillEventKind.SUBMITTED, reason or _g("提交审核"), by=user)
    outcome = submit_or_run(kind=kind, target=bill, user=user, payload={"reasons": reasons, "comment": comment},
                            summary=summary, reason=reason, amount=bill.total, branch=bill.branch)
    if outcome.pending:
        Bill.objects.filter(pk=bill.pk, status=BillStatus.DRAFT).update(status=BillStatus.PENDING)
    return outcome


def _entry_lines(bill: Bill) -> list[Line]:
    lines = []
    if bill.direction == Direction.RECEIVABLE:
        lines.append(Line(AccountCode.RECEIVABLES, debit=bill.total, doc_kind="B", doc_id=bill.pk))
        if bill.net_amount:
            lines.append(Line(AccountCode.SALES_INCOME, credit=bill.net_amount))
        if bill.tax_amount:
            lines.append(Line(AccountCode.OUTPUT_VAT, credit=bill.tax_amount))
        return lines
    by_account: dict[str, Decimal] = {}
    for line in bill.lines.all():
        code = line.account_code or PAYABLE_LINE_ACCOUNT.get(line.kind, AccountCode.INVENTORY)
        by_account[code] = by_account.get(code, ZERO) + line.net_amount
    for code, amount in by_account.items():
        if amount:
            lines.append(Line(code, debit=amount))
    if bill.tax_amount:
        lines.append(Line(AccountCode.INPUT_VAT, debit=bill.tax_amount))
    lines.append(Line(AccountCode.PAYABLES, credit=bill.total, doc_kind="B", doc_id=bill.pk))
    return lines


def _write_dues(bill: Bill, items) -> None:
    BillDue.objects.bulk_create([
        BillDue(bill=bill, seq=item.seq, customer_id=bill.customer_id, direction=bill.direction,
                branch_id=bill.branch_id, due_date=item.due_date, amount=item.amount, open_amount=item.amount)
        for item in items])


@transaction.atomic
def bill_post(*, bill: Bill, user, approval=None) -> Bill:
    """THE door that makes a bill effective (生效/过账): the approval gate, the open items from its
    payment terms, one journal entry (receivable: Dr 1122 total / Cr 6001 net / Cr 222101 tax;
    payable: Dr 1405/6602 net / Dr 222102 tax / Cr 2202 total), status 未结清, event, audit."""
    bill = lock_bill(bill.pk)
    if bill.status not in predicates.POSTABLE or bill.kind not in (*RECEIVABLE_KINDS, *PAYABLE_KINDS):
        raise InvalidState(_g("单据 %(number)s 当前为“%(status)s”，不能生效。") % {
            "number": bill.number, "status": bill.get_status_display()})
    if user is not None and approval is None and not predicates.can_post(bill, user):
        raise PermissionDenied(_("您没有使单据生效的权限。"))
    kind = approval.kind if approval is not None else approval_kind_for(bill)[0]
    gate(kind, target=bill, amount=bill.total, branch_id=bill.branch_id, approval=approval)
    terms = bill.payment_terms
    try:
        items = bill_due_items(terms=terms, bill_date=bill.bill_date, delivery_date=bill.delivery_date,
                               total=bill.total)
    except CalcError as error:
        raise ValidationFailed(_g("付款条件无法计算到期日：%(why)s") % {"why": error.message},
                               extra={"field": "payment_terms"}) from None
    if bill.dues.exists():
        raise InvalidState(_g("单据 %(number)s 已有到期明细，不能重复生效。") % {"number": bill.number})
    _write_dues(bill, items)
    who = "应收" if bill.direction == Direction.RECEIVABLE else "应付"
    entry = post_entry(kind=EntryKind.BILL, lines=_entry_lines(bill), day=bill.bill_date, user=user, audited=False,
                       memo=f"{who} {bill.number} {bill.customer.name}"[:200])
    Bill.objects.filter(pk=bill.pk).update(
        status=BillStatus.OPEN, entry=entry, open_amount=bill.total, posted_at=timezone.now(),
        due_first=min(i.due_date for i in items), due_last=max(i.due_date for i in items))
    bill.refresh_from_db()
    dates = "、".join(f"{i.due_date.isoformat()} {format_yuan(i.amount)}" for i in items[:6])
    bill_event(bill, BillEventKind.POSTED, _g("生效，凭证 %(entry)s；到期：%(dates)s") % {
        "entry": entry.number, "dates": dates}, by=user)
    audit.record(AuditAction.ACTION, obj=bill, verb=_g("单据生效"), branch_id=bill.branch_id,
                 changes={"status": [BillStatus.DRAFT, BillStatus.OPEN], "entry": [None, entry.number],
                          "total": [None, str(bill.total)],
                          **({"approval": [None, approval.number]} if approval is not None else {})})
    return bill


def bill_return_to_draft(*, bill: Bill, user, comment: str = "") -> Bill:
    """The sign-off ended without approval (驳回、退回、撤回): the bill is a draft again."""
    updated = Bill.objects.filter(pk=bill.pk, status=BillStatus.PENDING).update(status=BillStatus.DRAFT)
    bill.refresh_from_db()
    if updated:
        bill_event(bill, BillEventKind.RETURNED, (comment or _g("审批未通过，退回草稿")), by=user)
    return bill


# --- credit notes, adjustments ------------------------------------------------------------------------

def _take_off_latest(bill: Bill, amount: Decimal, *, day: date) -> None:
    """``amount`` credited against the bill's open items, the latest due first."""
    left = amount
    for due in bill.dues.filter(status=DueStatus.OPEN).order_by("-due_date", "-seq"):
        if left <= 0:
            break
        part = min(left, due.open_amount)
        if part > 0:
            due_apply(due, credited=part, day=day)
            left -= part
    if left > 0:
        raise ValidationFailed(_g("冲减金额超过单据 %(number)s 的未结金额。") % {"number": bill.number},
                               extra={"field": "amount"}, code="over_open_amount")


def _amount(value, field_name: str, label: str) -> Decimal:
    amount = _decimal(value)
    if amount is None:
        raise ValidationFailed(_g("%(label)s“%(value)s”不是金额") % {"label": label, "value": value},
                               extra={"field": field_name})
    if quantize(amount) != amount:
        raise ValidationFailed(_g("%(label)s最多两位小数（精确到分）") % {"label": label}, extra={"field": field_name})
    return amount


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写原因。"), extra={"field": "reason"})
    if len(reason) > 200:
        raise ValidationFailed(_("原因最多 200 个字。"), extra={"field": "reason"})
    return reason


@transaction.atomic
def credit_note_create(*, original: Bill, reason: str, user, lines=None, amount=None, vat_invoice_number: str = "",
                       vat_invoice_date=None) -> Bill:
    """A credit note (红字冲减单: 退货、折让、开错) against a posted bill: at most its open amount; posted
    at once (receivable: Dr 6001 net / Dr 222101 tax / Cr 1122 the original bill total); it reduces the
    original's latest open items first. ``lines`` (the goods returned, as for a bill) or ``amount``
    (tax included, split by the original's tax share)."""
    original = lock_bill(original.pk)
    if not predicates.can_credit(original, user):
        if original.status != BillStatus.OPEN or original.open_amount <= 0:
            raise InvalidState(_g("单据 %(number)s 当前为“%(status)s”，没有可冲减的未结金额。") % {
                "number": original.number, "status": original.get_status_display()})
        raise PermissionDenied(_("您没有开红字冲减单的权限。"))
    reason = _reason(reason)
    today = clock.today()
    if (lines is None) == (amount in (None, "")):
        raise ValidationFailed(_("请填写冲减金额，或列出退货明细（二者选一）。"), extra={"field": "amount"})
    checked_lines: list[CheckedLine] = []
    if lines is not None:
        checked = bill_validate(direction=original.direction, kind=original.kind if original.kind in (
            *RECEIVABLE_KINDS, *PAYABLE_KINDS) else (BillKind.SALES if original.direction == Direction.RECEIVABLE
                                                     else BillKind.PURCHASE),
            customer=original.customer, bill_date=today, lines=lines, user=user, use_default_terms=False)
        checked_lines, net, tax, total = checked.lines, checked.net_amount, checked.tax_amount, checked.total
    else:
        total = _amount(amount, "amount", _g("冲减金额"))
        if total <= 0:
            raise ValidationFailed(_("冲减金额必须大于0。"), extra={"field": "amount"})
        tax = quantize(total * original.tax_amount / original.total) if original.total else ZERO
        net = total - tax
    if total > original.open_amount:
        raise ValidationFailed(_g("冲减金额 %(amount)s 超过单据 %(number)s 的未结金额 %(open)s。") % {
            "amount": format_yuan(total), "number": original.number, "open": format_yuan(original.open_amount)},
            extra={"field": "amount"}, code="over_open_amount")
    number = re.sub(r"\s+", "", str(vat_invoice_number or ""))
    if number:
        if not INVOICE_NUMBER_RE.match(number):
            raise ValidationFailed(_g("红字发票号码“%(number)s”不正确：应为8位或20位数字") % {"number": number},
                                   extra={"field": "vat_invoice_number"})
        if Bill.objects.filter(direction=original.direction, seller_key=original.seller_key,
                               vat_invoice_number=number).exclude(status=BillStatus.VOID).exists():
            raise ValidationFailed(_g("发票号码 %(number)s 已登记过，不能重复使用。") % {"number": number},
                                   extra={"field": "vat_invoice_number"})
    note = Bill.objects.create(
        number=next_number(prefix=numbers.CREDIT_NOTE, day=today), direction=original.direction,
        kind=BillKind.CREDIT_NOTE, status=BillStatus.PAID, customer=original.customer, branch=original.branch,
        manager=original.manager, nature=original.nature, bill_date=today, net_amount=net, tax_amount=tax,
        total=total, open_amount=ZERO, original=original, vat_invoice_number=number,
        vat_invoice_date=_date(vat_invoice_date, "vat_invoice_date", "", _Problems()),
        seller_key=original.seller_key, memo=reason, posted_at=timezone.now(),
        created_by=user if getattr(user, "is_authenticated", False) else None)
    if checked_lines:
        _write_lines(note, checked_lines)
    entry_lines = _credit_entry_lines(original, note, checked_lines, net=net, tax=tax, total=total)
    entry = post_entry(kind=EntryKind.CREDIT_NOTE, lines=entry_lines, day=today, user=user, audited=False,
                       memo=f"红字 {note.number} 冲减 {original.number}：{reason}"[:200])
    Bill.objects.filter(pk=note.pk).update(entry=entry)
    note.entry = entry
    _take_off_latest(original, total, day=today)
    bill_event(original, BillEventKind.CREDITED, _g("红字冲减 %(number)s %(amount)s：%(reason)s") % {
        "number": note.number, "amount": format_yuan(total), "reason": reason}, by=user)
    bill_event(note, BillEventKind.POSTED, _g("冲减原单 %(number)s，凭证 %(entry)s") % {
        "number": original.number, "entry": entry.number}, by=user)
    audit.record(AuditAction.ACTION, obj=original, verb=_g("红字冲减"), branch_id=original.branch_id, reason=reason,
                 changes={"credit_note": [None, note.number], "amount": [None, str(total)]})
    return note


def _credit_entry_lines(original: Bill, note: Bill, lines: list[CheckedLine], *, net, tax, total) -> list[Line]:
    if original.direction == Direction.RECEIVABLE:
        out = []
        if net:
            out.append(Line(AccountCode.SALES_INCOME, debit=net))
        if tax:
            out.append(Line(AccountCode.OUTPUT_VAT, debit=tax))
        out.append(Line(AccountCode.RECEIVABLES, credit=total, doc_kind="B", doc_id=original.pk))
        return out
    out = [Line(AccountCode.PAYABLES, debit=total, doc_kind="B", doc_id=original.pk)]
    if lines:
        by_account: dict[str, Decimal] = {}
        for line in lines:
            code = line.account_code or PAYABLE_LINE_ACCOUNT.get(line.kind, AccountCode.INVENTORY)
            by_account[code] = by_account.get(code, ZERO) + line.net_amount
    else:
        first = original.lines.order_by("line_no").first()
        code = (first.account_code or PAYABLE_LINE_ACCOUNT.get(first.kind)) if first else AccountCode.INVENTORY
        by_account = {code: net}
    for code, value in by_account.items():
        if value:
            out.append(Line(code, credit=value))
    if tax:
        out.append(Line(AccountCode.INPUT_VAT, credit=tax))
    return out


@transaction.atomic
def bill_adjust(*, bill: Bill, amount, reason: str, user) -> Bill:
    """An adjustment (调整单, no tax): negative takes ``amount`` off the bill's latest open items
    (Cr 1122 the bill / Dr 6001; payable: Dr 2202 / Cr 6602), positive is a new open item of its own
    (Dr 1122 the adjustment / Cr 6001; payable: Dr 6602 / Cr 2202), due with the bill's last item."""
    bill = lock_bill(bill.pk)
    if not predicates.can_adjust(bill, user):
        if bill.status not in predicates.POSTED:
            raise InvalidState(_g("单据 %(number)s 当前为“%(status)s”，只有已生效的单据可以调整。") % {
                "number": bill.number, "status": bill.get_status_display()})
        raise PermissionDenied(_("您没有调整单据的权限。"))
    reason = _reason(reason)
    amount = _amount(amount, "amount", _g("调整金额"))
    if amount == 0:
        raise ValidationFailed(_("调整金额不能为0：调增填正数，调减填负数。"), extra={"field": "amount"})
    if -amount > bill.open_amount:
        raise ValidationFailed(_g("调减金额 %(amount)s 超过单据 %(number)s 的未结金额 %(open)s。") % {
            "amount": format_yuan(-amount), "number": bill.number, "open": format_yuan(bill.open_amount)},
            extra={"field": "amount"}, code="over_open_amount")
    if amount > MAX_AMOUNT:
        raise ValidationFailed(_("调整金额超出上限。"), extra={"field": "amount"})
    today = clock.today()
    receivable = bill.direction == Direction.RECEIVABLE
    income = AccountCode.SALES_INCOME if receivable else AccountCode.ADMIN_EXPENSE
    open_account = AccountCode.RECEIVABLES if receivable else AccountCode.PAYABLES
    adjustment = Bill.objects.create(
        number=next_number(prefix=numbers.ADJUSTMENT, day=today), direction=bill.direction, kind=BillKind.ADJUSTMENT,
        status=BillStatus.PAID if amount < 0 else BillStatus.OPEN, customer=bill.customer, branch=bill.branch,
        manager=bill.manager, nature=bill.nature, bill_date=today, net_amount=amount, tax_amount=ZERO, total=amount,
        open_amount=ZERO, original=bill, seller_key=bill.seller_key, memo=reason, posted_at=timezone.now(),
        terms_text=bill.terms_text, created_by=user if getattr(user, "is_authenticated", False) else None)
    size = abs(amount)
    target = bill if amount < 0 else adjustment
    on_open = Line(open_account, doc_kind="B", doc_id=target.pk,
                   **({"credit": size} if (amount < 0) == receivable else {"debit": size}))
    other = Line(income, **({"debit": size} if (amount < 0) == receivable else {"credit": size}))
    entry = post_entry(kind=EntryKind.ADJUSTMENT, lines=[on_open, other], day=today, user=user, audited=False,
                       memo=f"调整 {adjustment.number} {bill.number}：{reason}"[:200])
    if amount < 0:
        Bill.objects.filter(pk=adjustment.pk).update(entry=entry)
        _take_off_latest(bill, size, day=today)
    else:
        due_on = max(bill.due_last or today, today)
        _write_dues(adjustment, [payterms.DueItem(seq=1, due_date=due_on, amount=size)])
        Bill.objects.filter(pk=adjustment.pk).update(entry=entry, open_amount=size, due_first=due_on, due_last=due_on)
    adjustment.refresh_from_db()
    bill_event(bill, BillEventKind.ADJUSTED, _g("调整 %(number)s %(amount)s：%(reason)s") % {
        "number": adjustment.number, "amount": format_yuan(amount), "reason": reason}, by=user)
    bill_event(adjustment, BillEventKind.POSTED, _g("调整原单 %(number)s，凭证 %(entry)s") % {
        "number": bill.number, "entry": entry.number}, by=user)
    audit.record(AuditAction.ACTION, obj=bill, verb=_g("单据调整"), branch_id=bill.branch_id, reason=reason,
                 changes={"adjustment": [None, adjustment.number], "amount": [None, str(amount)]})
    return adjustment


# --- void ---------------------------------------------------------------------------------------------

@transaction.atomic
def bill_void(*, bill: Bill, reason: str, user) -> Bill:
    """作废: a draft or pending bill (its open approval request withdrawn); a posted one only while
    nothing is matched or credited against it (its entry reversed, its open items void)."""
    bill = lock_bill(bill.pk)
    if not predicates.can_void(bill, user):
        if not (user is not None and user.has_perm("receivables.void_bill")):
            raise PermissionDenied(_("您没有作废单据的权限。"))
        waiting = predicates.void_waits_for_submitter(bill, user)
        if waiting is not None:
            raise InvalidState(_g("单据 %(number)s 正在审批中：请由提交人 %(maker)s 撤回审批单 %(request)s 后再作废。") % {
                "number": bill.number, "maker": waiting.maker, "request": waiting.number})
        raise InvalidState(_g("单据 %(number)s 不能作废：已核销、已红冲或已调整的单据请开红字冲减单。") % {
            "number": bill.number})
    reason = _reason(reason)
    before = bill.status
    if bill.status == BillStatus.PENDING:
        # a pending bill's request is withdrawn through the approvals' own door (its open tasks closed);
        # only the one who submitted it may withdraw it
        for request in pending_for(bill):
            live = ApprovalRequest.objects.get(pk=request.pk)
            if live.maker_id != getattr(user, "pk", None):
                raise InvalidState(_g("单据 %(number)s 正在审批中：请由提交人 %(maker)s 撤回审批单 %(request)s 后再作废。") % {
                    "number": bill.number, "maker": live.maker, "request": live.number})
            request_cancel(request=live, user=user, reason=reason)
    reversal = None
    if bill.entry_id is not None and bill.status == BillStatus.OPEN:
        reversal = reverse_entry(entry=bill.entry, reason=_g("作废 %(number)s：%(reason)s") % {
            "number": bill.number, "reason": reason})
        BillDue.objects.filter(bill=bill).update(status=DueStatus.VOID, open_amount=0)
    Bill.objects.filter(pk=bill.pk).update(status=BillStatus.VOID, open_amount=0)
    bill.refresh_from_db()
    bill_event(bill, BillEventKind.VOIDED, reason + (f"（冲正凭证 {reversal.number}）" if reversal else ""), by=user)
    audit.record(AuditAction.ACTION, obj=bill, verb=_g("作废单据"), branch_id=bill.branch_id, reason=reason,
                 changes={"status": [before, BillStatus.VOID],
                          **({"reversal": [None, reversal.number]} if reversal else {})})
    return bill


# --- attachments --------------------------------------------------------------------------------------

def bill_attach(*, bill: Bill, kind: str, upload, user) -> BillAttachment:
    """Archive a delivery note, contract, invoice scan… with the bill: checked by its content (as a
    customer file is), SHA-256, private storage under ``receivables/<bill id>/``."""
    from ioudesk.customers import files

    if not predicates.can_attach(bill, user):
        raise PermissionDenied(_("您不能为这张单据上传附件。"))
    if kind not in AttachmentKind.values:
        raise ValidationFailed(_("请选择附件类别。"), extra={"field": "kind"})
    if upload is None:
        raise ValidationFailed(_("请选择要上传的文件。"), extra={"field": "file"})
    limit = files.upload_max_bytes()
    if upload.size > limit:
        raise ValidationFailed(_g("文件超过%(limit)s的上限（本文件 %(size)s），请压缩或拆分后上传") % {
            "limit": files.limit_text(limit), "size": files.size_text(upload.size)}, code="file_too_large",
            extra={"field": "file"})
    if not upload.size:
        raise ValidationFailed(_("文件是空的（0 字节），请检查后重新选择文件。"), code="file_empty", extra={"field": "file"})
    original_name = files.clean_original_name(upload.name)
    detected, extension = files._check_content(upload, original_name)
    sha256, size = files._sha256_and_size(upload, limit)
    if size > limit:
        raise ValidationFailed(_g("文件超过%(limit)s的上限") % {"limit": files.limit_text(limit)},
                               code="file_too_large", extra={"field": "file"})
    if not os.path.splitext(original_name)[1]:
        original_name = (original_name or _g("附件")) + detected.extension
    storage = private_storage()
    stored = storage.save(f"receivables/{bill.pk}/{uuid.uuid4().hex}{extension}", upload)
    try:
        with transaction.atomic():
            row = BillAttachment(bill=bill, kind=kind, original_name=original_name, content_type=detected.content_type,
                                 size=size, sha256=sha256,
                                 uploaded_by=user if getattr(user, "is_authenticated", False) else None)
            row.file.name = stored
            row.save()
            bill_event(bill, BillEventKind.ATTACHED, f"{row.get_kind_display()}：{original_name}", by=user)
            audit.record(AuditAction.CREATE, obj=row, verb=_g("上传单据附件"), branch_id=bill.branch_id,
                         changes={"bill": [None, bill.number], "kind": [None, kind], "name": [None, original_name],
                                  "sha256": [None, sha256], "size": [None, size]})
    except BaseException:
        storage.delete(stored)
        raise
    return row


def bill_attachment_open(*, user, pk):
    """Open an attachment for download (scoped, audited)."""
    from ioudesk.core.errors import NotFound

    if not user.has_perm("receivables.view_billattachment"):
        raise PermissionDenied(_("您没有下载单据附件的权限。"))
    row = scope.scope_queryset(user, BillAttachment.objects.select_related("bill"), "bill__branch").filter(pk=pk).first()
    if row is None:
        raise NotFound()
    try:
        handle = private_storage().open(row.file.name, "rb")
    except FileNotFoundError as error:
        raise NotFound(_g("附件文件已丢失（%(name)s），请联系系统管理员从备份恢复") % {"name": row.original_name}) from error
    audit.record(AuditAction.DOWNLOAD, obj=row, verb=_g("下载单据附件"), branch_id=row.bill.branch_id)
    return row, handle


# --- seeds --------------------------------------------------------------------------------------------

DEFAULT_TERMS = [
    # name, kind, days, plan, sort
    ("货到付款", TermsKind.COD, 0, [], 10),
    ("票到30天", TermsKind.NET_DAYS, 30, [], 20),
    ("月结30天", TermsKind.MONTH_END_NET, 30, [], 30),
    ("月结60天", TermsKind.MONTH_END_NET, 60, [], 40),
    ("次月底付款", TermsKind.NEXT_MONTH_END, 0, [], 50),
    ("分期 30%/70%（30天/60天）", TermsKind.INSTALMENTS, 0,
     [{"days": 30, "percent": "30"}, {"days": 60, "percent": "70"}], 60),
]


@transaction.atomic
def terms_defaults_ensure() -> int:
    """The default payment terms and the settings row (default terms 月结30天), each once (an
    administrator's changes are kept). Returns how many payment terms were created."""
    created = 0
    for name, kind, days, plan, sort in DEFAULT_TERMS:
        if not PaymentTerms.objects.filter(name=name).exists():
            PaymentTerms.objects.create(name=name, kind=kind, days=days, plan=plan, sort=sort)
            created += 1
    settings = receivables_settings()
    if settings.default_terms_id is None and created:
        settings.default_terms = PaymentTerms.objects.filter(name="月结30天").first()
        settings.save(update_fields=["default_terms"])
    return created


__all__ = ["CheckedBill", "CheckedLine", "LineInput", "approval_kind_for", "bill_adjust", "bill_attach",
           "bill_create", "bill_due_items", "bill_post", "bill_return_to_draft", "bill_submit", "bill_update",
           "bill_preview", "bill_validate", "bill_void", "credit_note_create", "terms_defaults_ensure", "terms_describe",
           "terms_spec"]


# --- preview (the form's live totals) ---------------------------------------------------------------

def bill_preview(*, customer, bill_date, lines, payment_terms=None, delivery_date=None, direction=Direction.RECEIVABLE,
                 exclude_bill: Bill | None = None) -> dict:
    """What the bill form shows while it is typed, worked out as posting would: each line's 金额/税额/
    价税合计 (``calc.vat``), the totals, the due dates from the terms, and whether the bill will need
    credit approval and why. Lines that cannot be worked out yet are skipped (``None``)."""
    rates = tax_rates()
    out_lines, net, tax = [], ZERO, ZERO
    for raw in lines:
        quantity, price, rate = (_decimal(_line_value(raw, name, None)) for name in ("quantity", "unit_price", "tax_rate"))
        if quantity is None or price is None or rate is None or quantity <= 0 or price < 0 or rate not in rates:
            out_lines.append(None)
            continue
        try:
            line_net, line_tax, line_total = vat.line_amounts(quantity, price, rate)
        except CalcError:
            out_lines.append(None)
            continue
        out_lines.append({"net": line_net, "tax": line_tax, "total": line_total})
        net, tax = net + line_net, tax + line_tax
    total = net + tax
    if payment_terms is None and customer is not None:
        payment_terms = default_terms_for(customer, direction=direction)
    dues = []
    if isinstance(bill_date, date) and total > 0:
        try:
            dues = bill_due_items(terms=payment_terms, bill_date=bill_date, delivery_date=delivery_date, total=total)
        except CalcError:
            dues = []
    verdict = None
    if customer is not None and direction == Direction.RECEIVABLE:
        verdict = credit_check(customer, total, exclude_bill=exclude_bill)
    return {"lines": out_lines, "net": net, "tax": tax, "total": total, "dues": dues, "verdict": verdict,
            "terms": payment_terms, "terms_text": terms_describe(payment_terms)}


# --- reading (the lists and the bill page) ------------------------------------------------------------

BUCKETS = {  # days past due of the bill's oldest open item at the business date: (from, to) inclusive
    "current": (None, 0), "d1_30": (1, 30), "d31_60": (31, 60), "d61_90": (61, 90), "d91_180": (91, 180),
    "d181_365": (181, 365), "over_365": (366, None)}
LIST_KINDS = {Direction.RECEIVABLE: (BillKind.SALES, BillKind.SERVICE, BillKind.CREDIT_NOTE, BillKind.ADJUSTMENT),
              Direction.PAYABLE: (BillKind.PURCHASE, BillKind.CREDIT_NOTE, BillKind.ADJUSTMENT)}


def bill_list(user, filters: dict, *, day: date | None = None):
    """The bills ``user`` sees, filtered as the lists and the 往来总览's drill-down ask:
    ``direction``, ``status``, ``customer`` (id), ``overdue`` short|long|any, ``bucket``, ``disputed``,
    ``nature``, ``kind``, ``q`` (a number or part of the counterparty's name), ``orders`` (purchase
    orders only). Annotated with ``oldest_due`` (the earliest open item's due date)."""
    from datetime import timedelta

    from django.db.models import Min, Q

    day = day or clock.today()
    direction = filters.get("direction") if filters.get("direction") in Direction.values else Direction.RECEIVABLE
    queryset = scope.scope_queryset(user, Bill.objects.select_related("customer", "branch")).filter(direction=direction)
    if filters.get("orders"):
        queryset = queryset.filter(kind=BillKind.PURCHASE_ORDER)
    elif filters.get("kind") in BillKind.values:
        queryset = queryset.filter(kind=filters["kind"])
    else:
        queryset = queryset.filter(kind__in=LIST_KINDS[direction])
    status = filters.get("status")
    if status in BillStatus.values:
        queryset = queryset.filter(status=status)
    customer = str(filters.get("customer") or "")
    if customer.isdigit():
        queryset = queryset.filter(customer_id=int(customer))
    if filters.get("disputed") in ("1", "true", "on", True):
        queryset = queryset.filter(disputed=True)
    if filters.get("nature") in Nature.values:
        queryset = queryset.filter(nature=filters["nature"])
    term = str(filters.get("q") or "").strip()[:40]
    if term:
        queryset = queryset.filter(Q(number__icontains=term) | Q(customer__name__icontains=term)
                                   | Q(vat_invoice_number=term) | Q(external_ref=term))
    queryset = queryset.annotate(oldest_due=Min("dues__due_date", filter=Q(dues__status=DueStatus.OPEN)))
    long_days = int(receivables_settings().long_overdue_days)
    overdue = filters.get("overdue")
    if overdue in ("any", "short", "long"):
        queryset = queryset.filter(status=BillStatus.OPEN, oldest_due__lt=day)
        if overdue == "short":
            queryset = queryset.filter(oldest_due__gte=day - timedelta(days=long_days))
        elif overdue == "long":
            queryset = queryset.filter(oldest_due__lt=day - timedelta(days=long_days))
    bucket = BUCKETS.get(filters.get("bucket") or "")
    if bucket is not None:
        low, high = bucket
        queryset = queryset.filter(status=BillStatus.OPEN, oldest_due__isnull=False)
        if low is not None:
            queryset = queryset.filter(oldest_due__lte=day - timedelta(days=low))
        if high is not None:
            queryset = queryset.filter(oldest_due__gte=day - timedelta(days=high))
    return queryset.order_by("-bill_date", "-id")


def bill_totals(queryset, *, day: date | None = None) -> dict:
    """Count, 价税合计 and 未结金额 of a list, and the overdue part of what is open. The 价税合计 is what the
    effective bills add up to: drafts, bills waiting for approval, void bills and purchase orders owe
    nothing, and a credit note (its total positive) takes its amount off."""
    from django.db.models import Case, Count, F, Q, Sum, When

    from ioudesk.core.fields import MoneyField

    day = day or clock.today()
    effective = Q(status__in=(BillStatus.OPEN, BillStatus.PAID))
    signed = Case(When(effective & Q(kind=BillKind.CREDIT_NOTE), then=-F("total")), When(effective, then=F("total")),
                  default=0, output_field=MoneyField())
    sums = queryset.order_by().aggregate(count=Count("id"), total=Sum(signed), open=Sum("open_amount"))
    overdue = BillDue.objects.filter(bill__in=queryset.order_by().values("pk"), status=DueStatus.OPEN,
                                     due_date__lt=day).aggregate(s=Sum("open_amount"))["s"]
    return {"count": sums["count"] or 0, "total": sums["total"] or ZERO, "open": sums["open"] or ZERO,
            "overdue": overdue or ZERO}


def bill_get(user, pk) -> Bill | None:
    """A bill ``user`` may see (their branches), or None."""
    return scope.scope_queryset(user, Bill.objects.select_related(
        "customer", "branch", "manager", "payment_terms", "original", "entry", "created_by")).filter(pk=pk).first()
