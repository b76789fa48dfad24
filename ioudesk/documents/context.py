"""What a document says, gathered from the IOU, its schedule and its transactions: the placeholder
values (strings and booleans only) and the table rows. No rendering here, no permission checks."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from ioudesk.calc.errors import CalcError
from ioudesk.calc.money import format_yuan
from ioudesk.calc.rates import ANNUAL, parse_rate, percent_text
from ioudesk.calc.words import amount_in_words, date_in_chinese
from ioudesk.core import clock
from ioudesk.core.errors import ApplicationError
from ioudesk.core.masking import mask_id_number, mask_phone
from ioudesk.core.models import Organisation
from ioudesk.core.names import staff_name
from ioudesk.ious.models import (
    Installment,
    Iou,
    IouKind,
    ScheduleKind,
    ScheduleVersion,
    Status,
    Transaction,
    TransactionKind,
)

ZERO = Decimal("0.00")


@dataclass
class Table:
    caption: str
    header: list[str]
    rows: list[list[str]]
    total: list[str] | None = None
    numeric_columns: tuple[int, ...] = ()
    note: str = ""


@dataclass
class DocumentData:
    number: str  # the document's own number, printed at the top and in the footer
    values: dict[str, object]
    tables: list[Table] = field(default_factory=list)
    watermark: str = ""  # e.g. 样稿 for an IOU not yet approved
    notice: str = ""  # a line printed under the number, e.g. that identifiers are masked
    tables_after_closing: bool = False  # the IOU's schedule is an attachment after the signatures


def figures(amount: Decimal) -> str:
    """¥-less figures for templates ("10,000.00"); tables use :func:`yuan`."""
    return format_yuan(amount, symbol="")


def yuan(amount: Decimal) -> str:
    return format_yuan(amount)


def words(amount: Decimal) -> str:
    return amount_in_words(amount)


def chinese(day: date | None) -> str:
    return date_in_chinese(day) if day else ""


def rate_text(iou: Iou) -> str:
    """The rate as written and annualised: 月息1分（折合年利率12.00%）; 0 → 不计利息."""
    if not iou.annual_rate:
        return "不计利息"
    annual = percent_text(iou.annual_rate)
    try:
        unit = parse_rate(iou.rate_text).unit
    except CalcError:
        unit = None
    if unit == ANNUAL:
        return f"年利率{annual}%"
    return f"{iou.rate_text}（折合年利率{annual}%）"


def penalty_text(iou: Iou) -> str:
    """The penalty clause at ``iou.annual_rate`` (the signed rate on a 借条: see :func:`signed_iou`)."""
    basis = iou.get_penalty_basis_display()
    grace = f"（宽限期{iou.grace_days}天）" if iou.grace_days else ""
    if iou.penalty_daily_rate is not None and iou.penalty_daily_rate > 0:
        return (f"逾期未还的，就{basis}自逾期之日起按日利率{percent_text(iou.penalty_daily_rate, 3)}%"
                f"计收罚息{grace}。")
    annual = iou.annual_rate * (1 + iou.penalty_markup)
    if annual > 0:
        markup = f"（合同利率上浮{percent_text(iou.penalty_markup, 0)}%）" if iou.penalty_markup else ""
        return f"逾期未还的，就{basis}自逾期之日起按年利率{percent_text(annual)}%{markup}计收罚息{grace}。"
    # 民间借贷司法解释 art. 28: no agreed rate at all → overdue interest at the one-year LPR.
    return "逾期未还的，债权人有权自逾期之日起参照当时一年期贷款市场报价利率（LPR）标准主张逾期利息。"


def organisation() -> Organisation:
    from ioudesk.core.services import organisation_current

    return organisation_current()


def _party(iou: Iou, *, full_identity: bool) -> dict[str, object]:
    customer = iou.customer
    org = organisation()
    if customer.is_company:
        id_label, id_number, phone = "统一社会信用代码", customer.credit_code, customer.phone
    else:
        id_label, id_number, phone = "身份证号", customer.id_number, customer.phone
        if not full_identity:
            id_number = mask_id_number(id_number)
    if not full_identity:
        phone = mask_phone(phone)
    return {
        "org_name": org.name,
        "number": iou.number,
        "creditor": iou.creditor or org.name,
        "debtor": customer.name,
        "debtor_id_label": id_label,
        "debtor_id_number": id_number or "（未登记）",
        "debtor_phone": phone,
        "debtor_address": customer.address,
        "contract_date": chinese(iou.contract_date),
        "today": chinese(clock.today()),
        "principal_words": words(iou.principal),
        "principal_figures": figures(iou.principal),
        "reason": iou.reason,
        "loan_word": "欠款" if iou.kind == IouKind.DEBT else "借款",
        "guarantor": iou.guarantor,
        "witness": iou.witness,
    }


def party_values(iou: Iou, *, full_identity: bool) -> dict[str, object]:
    """The placeholders every document shares (COMMON in placeholders.py), for documents made
    elsewhere (the collection letters of ioudesk/legal/letters.py)."""
    return _party(iou, full_identity=full_identity)


def _version_rows(version: ScheduleVersion) -> list[tuple]:
    """A stored schedule version as rows of (number, due_date, principal, interest, fee, penalty);
    installment 0 is what was already owed when the version was made (penalty included)."""
    return [(r.number, r.due_date, r.principal_due, r.interest_due, r.fee_due, r.penalty_charged if not r.number else ZERO)
            for r in Installment.objects.filter(schedule=version).order_by("number")]


def _projected_rows(iou: Iou, **overrides) -> list[tuple]:
    """The schedule the calc engine makes from the IOU's terms (before disbursement), or []."""
    if iou.kind == IouKind.DEBT and not (iou.due_date or iou.payment_terms):
        return []
    from ioudesk.ious.terms import schedule_for

    try:
        schedule = schedule_for(iou, **overrides)
    except ApplicationError:
        return []
    return [(r.number, r.due_date, r.principal, r.interest, r.fee, ZERO) for r in schedule.installments]


def signed_iou(iou: Iou) -> tuple[Iou, list[tuple], str]:
    """The IOU as the debtor signed it, its schedule at signing, and a note for the table.

    The IOU's own term, rate, first due date and maturity move with an extension, a later tranche
    or an early settlement; the 借条 prints the signed ones. They are those of schedule version 1
    (made at disbursement, with the term and rate it was made on); before disbursement, the IOU's
    fields themselves, with the schedule projected from the contract date. A loan paid out in
    tranches has a version 1 on the first tranche only: its 借条 shows the whole principal's
    schedule on the signed terms, projected. Returns an unsaved copy: never save it."""
    first = ScheduleVersion.objects.filter(iou=iou, version=1).first()
    if first is None:
        rows = _projected_rows(iou)
        return iou, rows, "按借款日测算，实际以放款日生成的还款计划为准。" if rows else ""
    signed = copy.copy(iou)
    rows = _version_rows(first)
    signed.term = first.term or sum(1 for r in rows if r[0]) or iou.term
    if first.rate_text:
        signed.rate_text = first.rate_text
        signed.annual_rate = first.annual_rate if first.annual_rate is not None else iou.annual_rate
    note = ""
    if iou.kind == IouKind.LOAN and rows and sum((r[2] for r in rows), ZERO) != iou.principal:
        projected = _projected_rows(signed, start=first.effective_from, principal=iou.principal,
                                    term=signed.term, first_due=rows[0][1])
        if projected:
            rows, note = projected, "按借款全额测算；分笔放款的，实际以各笔放款时生成的还款计划为准。"
    if rows:
        signed.first_due, signed.maturity_date = rows[0][1], rows[-1][1]
    return signed, rows, note


def _term_text(iou: Iou, due: date | None, start: date | None) -> str:
    if iou.kind == IouKind.DEBT:
        return f"{chinese(due)}前一次付清" if due else "未约定还款期限"
    if due:
        return f"自{chinese(start)}起至{chinese(due)}止，共{iou.term}期"
    return f"共{iou.term}期"


def _schedule_table(rows: list[tuple], caption: str, note: str = "") -> Table:
    with_fee = any(r[4] for r in rows)
    with_penalty = any(r[5] for r in rows)
    header = ["期次", "还款日", "应还本金", "应还利息", *(["费用"] if with_fee else []),
              *(["罚息"] if with_penalty else []), "应还合计"]
    body = []
    for number, due_date, principal, interest, fee, penalty in rows:
        body.append([f"第{number}期" if number else "展期前欠款", due_date.isoformat(), yuan(principal),
                     yuan(interest), *([yuan(fee)] if with_fee else []), *([yuan(penalty)] if with_penalty else []),
                     yuan(principal + interest + fee + penalty)])
    totals = [sum((r[i] for r in rows), ZERO) for i in (2, 3, 4, 5)]
    total = ["合计", "", yuan(totals[0]), yuan(totals[1]), *([yuan(totals[2])] if with_fee else []),
             *([yuan(totals[3])] if with_penalty else []), yuan(sum(totals, ZERO))]
    return Table(caption=caption, header=header, rows=body, total=total,
                 numeric_columns=tuple(range(2, len(header))), note=note)


def iou_data(iou: Iou, *, full_identity: bool) -> DocumentData:
    """The 借条/欠条: the terms as signed (:func:`signed_iou`), whatever happened since; an
    extension has its own document (:func:`extension_data`)."""
    values = _party(iou, full_identity=full_identity)
    iou, rows, note = signed_iou(iou)
    due = iou.maturity_date or iou.due_date or (rows[-1][1] if rows else None)
    start = iou.disbursed_on or iou.contract_date
    values.update({
        "document_number": iou.number,
        "amount_words": words(iou.principal),
        "amount_figures": figures(iou.principal),
        "due_date": chinese(due),
        "first_due": chinese(rows[0][1] if rows else iou.first_due),
        "term": str(iou.term),
        "term_text": _term_text(iou, due, start),
        "method": iou.get_method_display(),
        "frequency": iou.get_frequency_display(),
        "installment_figures": figures(sum(rows[0][2:], ZERO)) if rows else "",
        "rate": rate_text(iou),
        "has_interest": bool(iou.annual_rate),
        "penalty": penalty_text(iou),
        "debt_reason": iou.get_debt_reason_display(),
        "payment_terms": iou.get_payment_terms_display() if iou.payment_terms else "",
        "has_schedule": len(rows) > 1,
    })
    tables = [_schedule_table(rows, f"附：还款计划表（共{len(rows)}期）", note)] if rows else []
    watermark = "样稿" if iou.status in (Status.DRAFT, Status.PENDING_APPROVAL) else ""
    return DocumentData(number=iou.number, values=values, tables=tables, watermark=watermark,
                        tables_after_closing=True)


def extension_versions(iou: Iou) -> list[ScheduleVersion]:
    """The IOU's extensions (展期/重组), oldest first: each has its 展期协议."""
    return list(ScheduleVersion.objects.filter(iou=iou, kind=ScheduleKind.EXTENSION).order_by("version"))


def extension_number(version: ScheduleVersion) -> int:
    """1 for the IOU's first extension, 2 for the second …"""
    return ScheduleVersion.objects.filter(iou_id=version.iou_id, kind=ScheduleKind.EXTENSION,
                                          version__lte=version.version).count()


def extension_data(version: ScheduleVersion, *, full_identity: bool) -> DocumentData:
    """The 展期协议 of one extension: which IOU (its signed terms), the principal outstanding on the
    day, what was already due (installment 0 of the new version), the new term, maturity and rate,
    and the new schedule attached."""
    iou = version.iou
    values = _party(iou, full_identity=full_identity)
    signed, signed_rows, _note = signed_iou(iou)
    signed_due = signed.maturity_date or signed.due_date or (signed_rows[-1][1] if signed_rows else None)
    rows = _version_rows(version)
    carried = [r for r in rows if not r[0]]
    scheduled = [r for r in rows if r[0]]
    previous = ScheduleVersion.objects.filter(iou=iou, version__lt=version.version).order_by("-version").first()
    previous_rows = _version_rows(previous) if previous else []
    new = copy.copy(iou)
    new.term = version.term or len(scheduled)
    if version.rate_text:
        new.rate_text = version.rate_text
        new.annual_rate = version.annual_rate if version.annual_rate is not None else iou.annual_rate
    principal = sum((r[2] for r in rows), ZERO)
    new_due = scheduled[-1][1] if scheduled else version.effective_from
    ordinal = extension_number(version)
    number = f"{iou.number}-ZQ{ordinal:02d}"
    debt = iou.kind == IouKind.DEBT
    values.update({
        "document_number": number,
        "creditor_role": "债权人" if debt else "出借人",
        "debtor_role": "债务人" if debt else "借款人",
        "extension_number": str(ordinal),
        "extension_date": chinese(version.effective_from),
        "extension_reason": version.reason,
        "original_term_text": _term_text(signed, signed_due, signed.disbursed_on or signed.contract_date),
        "original_rate": rate_text(signed),
        "previous_due_date": chinese(previous_rows[-1][1] if previous_rows else signed_due),
        "amount_words": words(principal),
        "amount_figures": figures(principal),
        "carried_figures": figures(sum((sum(r[2:], ZERO) for r in carried), ZERO)),
        "has_carried": bool(carried),
        "new_term": str(new.term),
        "new_term_text": f"自{chinese(version.effective_from)}起至{chinese(new_due)}止，共{new.term}期",
        "new_first_due": chinese(scheduled[0][1] if scheduled else None),
        "new_due_date": chinese(new_due),
        "new_rate": rate_text(new),
        "rate_changed": new.annual_rate != signed.annual_rate,
        "method": iou.get_method_display(),
        "installment_figures": figures(sum(scheduled[0][2:], ZERO)) if scheduled else "",
        "penalty": penalty_text(new),
    })
    tables = [_schedule_table(rows, f"附：展期后还款计划表（共{len(scheduled)}期）")] if rows else []
    return DocumentData(number=number, values=values, tables=tables, tables_after_closing=True)


def receipt_number(record: Transaction) -> str:
    """A stable number per payment: the IOU number and the payment's place among its payments
    (JD20261128-0001-HK02), so a reprint carries the same number."""
    prefix = "SH" if record.kind == TransactionKind.RECOVERY else "HK"
    position = Transaction.objects.filter(iou_id=record.iou_id, kind=record.kind, pk__lte=record.pk).count()
    return f"{record.iou.number}-{prefix}{position:02d}"


def outstanding(iou: Iou) -> Decimal:
    """What the debtor still owes: the balances on the books plus what was written off and not yet
    recovered (a write-off does not cancel the debt)."""
    return iou.total_outstanding + iou.written_off_principal + iou.written_off_interest


def receipt_data(record: Transaction) -> DocumentData:
    iou = record.iou
    values = _party(iou, full_identity=False)
    recovery = record.kind == TransactionKind.RECOVERY
    left = outstanding(iou)
    operator = ""
    if record.created_by_id:
        user = record.created_by
        operator = staff_name(user)
    values.update({
        "document_number": receipt_number(record),
        "amount_words": words(record.amount),
        "amount_figures": figures(record.amount),
        "payment_date": chinese(record.day),
        "method": record.get_method_display() or "其他",
        "reference": record.reference,
        "payer": record.payer or iou.customer.name,
        "operator": operator,
        "principal_figures_paid": figures(record.principal),
        "interest_figures_paid": figures(record.interest),
        "penalty_figures_paid": figures(record.penalty),
        "fee_figures_paid": figures(record.fee),
        "overpayment_figures": figures(record.overpayment),
        "has_overpayment": record.overpayment > 0,
        "is_recovery": recovery,
        "outstanding_words": words(left),
        "outstanding_figures": figures(left),
    })
    if recovery:
        table = Table(caption="收回明细", header=["项目", "金额"],
                      rows=[["收回已核销本金", yuan(record.principal)], ["收回已核销利息", yuan(record.interest)]],
                      total=["合计", yuan(record.amount)], numeric_columns=(1,))
    else:
        header = ["期次", "罚息", "费用", "利息", "本金", "小计"]
        rows = []
        for line in record.allocation or []:
            parts = [Decimal(str(line.get(k, "0"))) for k in ("penalty", "fee", "interest", "principal")]
            rows.append([f"第{line.get('number')}期" if line.get("number") else "展期前欠款",
                         *(yuan(p) for p in parts), yuan(sum(parts, ZERO))])
        if record.overpayment:
            rows.append(["转为溢缴款", "", "", "", "", yuan(record.overpayment)])
        total = ["合计", yuan(record.penalty), yuan(record.fee), yuan(record.interest), yuan(record.principal),
                 yuan(record.amount)]
        table = Table(caption="还款冲抵明细",
                      header=header, rows=rows, total=total, numeric_columns=(1, 2, 3, 4, 5))
    info = Table(caption="", header=["还款日期", "支付方式", "流水号/凭证号", "付款人"],
                 rows=[[record.day.isoformat(), values["method"], record.reference or "—", values["payer"]]])
    return DocumentData(number=values["document_number"], values=values, tables=[info, table])


def _kept(queryset):
    """Transactions that still stand (not reversed)."""
    return queryset.filter(reversed_by__isnull=True)


def settlement_data(iou: Iou, *, full_identity: bool) -> DocumentData:
    values = _party(iou, full_identity=full_identity)
    paid = _kept(Transaction.objects.filter(iou=iou, kind=TransactionKind.REPAYMENT)).aggregate(
        principal=Sum("principal"), interest=Sum("interest"), penalty=Sum("penalty"), fee=Sum("fee"))
    paid = {k: Decimal(v or 0) for k, v in paid.items()}
    waived = _kept(Transaction.objects.filter(iou=iou, kind=TransactionKind.WAIVER)).aggregate(s=Sum("amount"))["s"]
    waived = Decimal(waived or 0)
    total = sum(paid.values(), ZERO)
    number = f"{iou.number}-JQ"
    values.update({
        "document_number": number,
        "amount_words": words(total),
        "amount_figures": figures(total),
        "settled_on": chinese(iou.settled_on),
        "disbursed_on": chinese(iou.disbursed_on),
        "total_paid_words": words(total),
        "total_paid_figures": figures(total),
        "principal_paid_figures": figures(paid["principal"]),
        "interest_paid_figures": figures(paid["interest"]),
        "penalty_paid_figures": figures(paid["penalty"]),
        "fee_paid_figures": figures(paid["fee"]),
        "waived_figures": figures(waived),
        "has_waiver": waived > 0,
        "overpayment_figures": figures(iou.overpayment),
        "has_overpayment": iou.overpayment > 0,
    })
    loan_word = values["loan_word"]
    rows = [
        [f"{loan_word}本金", yuan(iou.principal)],
        [f"{loan_word}日期", iou.contract_date.isoformat()],
        *([["放款/生效日期", iou.disbursed_on.isoformat()]] if iou.disbursed_on else []),
        ["已还本金", yuan(paid["principal"])],
        ["已还利息", yuan(paid["interest"])],
        ["已还罚息", yuan(paid["penalty"])],
        ["已还费用", yuan(paid["fee"])],
        *([["减免金额", yuan(waived)]] if waived else []),
        *([["待退溢缴款", yuan(iou.overpayment)]] if iou.overpayment else []),
        ["结清日期", iou.settled_on.isoformat() if iou.settled_on else ""],
    ]
    table = Table(caption="结清明细", header=["项目", "内容"], rows=rows,
                  total=["累计还款合计", yuan(total)], numeric_columns=(1,))
    return DocumentData(number=number, values=values, tables=[table])
