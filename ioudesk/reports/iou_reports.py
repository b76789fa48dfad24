"""报告管理's IOU reports: for a chosen set of IOUs (by number), a 借据对账单 (statement: terms, what is
owed now, the current schedule with what was paid), a 还款记录 (repayment history: every money event)
or a 借款情况说明 (a paragraph per IOU stating the loan and where it stands), as PDF (drawn by
ioudesk.documents.pdf, the same letterhead, font and page numbers as the IOU's own documents) or
.xlsx. Read-only: the figures are the ones the ledger keeps on the IOU (principal_outstanding …)
and its schedule and transactions; the data scope decides which IOUs a user may choose.

    ious = iou_report_ious({"numbers": "JK20260301-0001\nJK20260301-0002"}, user)
    data, rows = iou_report_build("iou-statement", ious, "pdf", user)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from io import BytesIO

from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from ioudesk.calc.money import format_yuan
from ioudesk.core import clock, scope
from ioudesk.core.errors import PermissionDenied, ValidationFailed
from ioudesk.core.names import staff_name
from ioudesk.core.services import organisation_current
from ioudesk.documents import pdf
from ioudesk.documents.context import DocumentData, Table, outstanding, rate_text
from ioudesk.ious.models import Installment, Iou, Status, Transaction, TransactionKind

MAX_IOUS = 500  # IOUs one IOU report may cover
BACKGROUND_IOUS = 20  # more than this many IOUs are drawn by the worker, with progress
PERMISSION = "reports.export_reports"
#: Money events in a 还款记录 (interest, penalty and fee postings are the book's own).
MONEY_KINDS = (TransactionKind.DISBURSEMENT, TransactionKind.ACTIVATION, TransactionKind.REPAYMENT,
               TransactionKind.REFUND, TransactionKind.WAIVER, TransactionKind.REVERSAL, TransactionKind.WRITE_OFF,
               TransactionKind.RECOVERY)
NOT_REPORTABLE = (Status.DRAFT, Status.PENDING_APPROVAL, Status.APPROVED, Status.CANCELLED)
MONEY_FORMAT = "#,##0.00"


@dataclass(frozen=True)
class IouReport:
    code: str
    title: object
    description: object
    build: Callable  # (ious, fmt, user, progress) -> (bytes, rows)


def _split_numbers(raw) -> list[str]:
    if isinstance(raw, (list, tuple)):
        parts = [str(p) for p in raw]
    else:
        parts = re.split(r"[\s,，;；、]+", str(raw or ""))
    seen, out = set(), []
    for part in (p.strip().upper() for p in parts):
        if part and part not in seen:
            seen.add(part)
            out.append(part)
    return out


def iou_report_choice(ious) -> tuple[list[str], int]:
    """The IOUs a list selection gives an IOU report: (their numbers in the selection's order, how many
    were left out as not yet in force). Raises ValidationFailed (field `numbers`) when none is in force
    or more than MAX_IOUS are."""
    numbers = list(ious.exclude(status__in=NOT_REPORTABLE).values_list("number", flat=True)[:MAX_IOUS + 1])
    if len(numbers) > MAX_IOUS:
        raise ValidationFailed(_g("一次最多为 %(n)d 笔借据生成报告，请缩小筛选范围或分批选择。") % {"n": MAX_IOUS},
                               extra={"field": "numbers"})
    if not numbers:
        raise ValidationFailed(_g("所选借据都尚未生效（草稿、待审批、未放款或已作废），不能出具借据报告。"),
                               extra={"field": "numbers"})
    return numbers, ious.filter(status__in=NOT_REPORTABLE).count()


def iou_report_ious(params: dict, user) -> list[Iou]:
    """The IOUs an IOU report covers: `params["numbers"]` (IOU numbers, one per line or separated by
    commas), each existing, in the user's scope and past entry. Raises ValidationFailed naming the
    field `numbers` with every number that is not usable."""
    numbers = _split_numbers(params.get("numbers"))
    if not numbers:
        raise ValidationFailed(_g("借据编号：请至少填写一个借据编号。"), extra={"field": "numbers"})
    if len(numbers) > MAX_IOUS:
        raise ValidationFailed(_g("借据编号：一次最多 %(n)d 笔借据，请分批生成。") % {"n": MAX_IOUS},
                               extra={"field": "numbers"})
    found = {iou.number: iou for iou in scope.scope_queryset(user, Iou.objects.filter(number__in=numbers))
             .select_related("customer", "branch", "product", "officer")}
    missing = [n for n in numbers if n not in found]
    if missing:
        raise ValidationFailed(_g("借据编号：%(numbers)s 不存在或不在您的权限范围内。") % {"numbers": "、".join(missing[:10])},
                               extra={"field": "numbers"})
    drafts = [n for n in numbers if found[n].status in NOT_REPORTABLE]
    if drafts:
        raise ValidationFailed(_g("借据编号：%(numbers)s 尚未生效（草稿、待审批、未放款或已作废），不能出具报告。")
                               % {"numbers": "、".join(drafts[:10])}, extra={"field": "numbers"})
    return [found[n] for n in numbers]


def _yuan(amount) -> str:
    return format_yuan(amount)


def _day(value: date | None) -> str:
    return value.isoformat() if value else "—"


def _schedule(iou: Iou) -> list[Installment]:
    return list(Installment.objects.filter(schedule__iou=iou, schedule__is_current=True).order_by("number"))


def _events(iou: Iou) -> list[Transaction]:
    return list(Transaction.objects.filter(iou=iou, kind__in=MONEY_KINDS).select_related("reversed_by")
                .order_by("day", "id"))


def _paid(row: Installment) -> Decimal:
    return row.principal_paid + row.interest_paid + row.fee_paid + row.penalty_paid


def _summary(iou: Iou) -> list[tuple[str, object]]:
    """(label, value) of one IOU: its terms and where it stands (money as Decimal)."""
    return [
        (_g("借据编号"), iou.number), (_g("债务人"), iou.customer.name), (_g("网点"), iou.branch.name),
        (_g("产品"), iou.product.name if iou.product_id else "—"),
        (_g("客户经理"), staff_name(iou.officer) if iou.officer_id else "—"),
        (_g("合同本金"), iou.principal), (_g("利率"), rate_text(iou)), (_g("期数"), iou.term),
        (_g("借款日期"), iou.contract_date), (_g("放款日"), iou.disbursed_on), (_g("到期日"), iou.maturity_date),
        (_g("状态"), str(iou.get_status_display())), (_g("未还本金"), iou.principal_outstanding),
        (_g("未还利息"), iou.interest_outstanding), (_g("未还罚息"), iou.penalty_outstanding),
        (_g("未还费用"), iou.fee_outstanding), (_g("已核销未收回"), iou.written_off_principal + iou.written_off_interest),
        (_g("尚欠合计"), outstanding(iou)), (_g("逾期天数"), iou.days_past_due),
        (_g("五级分类"), str(iou.get_classification_display())),
    ]


def _text(value) -> str:
    if isinstance(value, Decimal):
        return _yuan(value)
    if isinstance(value, date):
        return value.isoformat()
    if value is None:
        return "—"
    return str(value)


def _pdf(title: str, number: str, body: str, tables: list[Table], user) -> bytes:
    data = DocumentData(number=number, values={}, tables=tables)
    return pdf.render(title=title, body=body, closing="", data=data, organisation=organisation_current(),
                      printed_by=staff_name(user))


def _number(code: str, ious: list[Iou]) -> str:
    suffix = {"iou-statement": "DZ", "iou-repayments": "HK", "iou-explanation": "SM"}[code]
    first = ious[0].number
    return f"{first}-{suffix}" if len(ious) == 1 else f"{first}-{suffix}-{len(ious)}"


def _workbook(sheets: list[tuple[str, list[str], list[list]]], title: str) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, headers, rows in sheets:
        sheet = workbook.create_sheet(name[:31])
        sheet.append([title])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([_g("营业日"), clock.today()])
        sheet.append([])
        sheet.append(headers)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="EDE9FE")
        for row in rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, Decimal):
                    cell.number_format = MONEY_FORMAT
                elif isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
        sheet.freeze_panes = "A5"
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column[3:] or column) * 2 + 2
            sheet.column_dimensions[column[0].column_letter].width = min(max(width, 10), 50)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- 借据对账单 ------------------------------------------------------------------------------------------

def _statement(ious: list[Iou], fmt: str, user, progress) -> tuple[bytes, int]:
    title = _g("借据对账单")
    day = clock.today()
    if fmt == "xlsx":
        heads = [label for label, _v in _summary(ious[0])]
        summary_rows, plan_rows = [], []
        for position, iou in enumerate(ious, start=1):
            summary_rows.append([value if value is not None else "" for _l, value in _summary(iou)])
            for row in _schedule(iou):
                plan_rows.append([iou.number, row.number, row.due_date, row.principal_due,
                                  row.interest_due + row.fee_due, row.penalty_charged, _paid(row),
                                  row.paid_off_on or _g("未结清")])
            progress(position)
        data = _workbook([
            (_g("借据汇总"), heads, summary_rows),
            (_g("还款计划"), [_g("借据编号"), _g("期次"), _g("还款日"), _g("应还本金"), _g("利息及费用"), _g("已计罚息"),
                          _g("已还合计"), _g("结清日")], plan_rows),
        ], title)
        return data, len(summary_rows)
    tables = []
    for position, iou in enumerate(ious, start=1):
        tables.append(Table(caption=_g("%(number)s　%(name)s") % {"number": iou.number, "name": iou.customer.name},
                            header=[_g("项目"), _g("内容")], rows=[[label, _text(value)] for label, value in _summary(iou)]))
        rows = [[_g("第%(n)d期") % {"n": row.number} if row.number else _g("展期前欠款"), row.due_date.isoformat(),
                 _yuan(row.principal_due), _yuan(row.interest_due + row.fee_due), _yuan(row.penalty_charged),
                 _yuan(_paid(row)), row.paid_off_on.isoformat() if row.paid_off_on else _g("未结清")]
                for row in _schedule(iou)]
        if rows:
            tables.append(Table(caption=_g("%(number)s 当前还款计划") % {"number": iou.number},
                                header=[_g("期次"), _g("还款日"), _g("应还本金"), _g("利息及费用"), _g("已计罚息"),
                                        _g("已还合计"), _g("结清日")], rows=rows, numeric_columns=(2, 3, 4, 5)))
        progress(position)
    body = _g("截至营业日 %(day)s，下列 %(n)d 笔借据的合同条件、尚欠金额（账面未还本金、利息、罚息、费用，"
              "以及已核销尚未收回的部分）和当前还款计划的履行情况如下。") % {"day": day.isoformat(), "n": len(ious)}
    return _pdf(title, _number("iou-statement", ious), body, tables, user), len(ious)


# --- 还款记录 ----------------------------------------------------------------------------------------------

def _event_row(t: Transaction) -> list:
    state = _g("已于%(day)s冲正") % {"day": t.reversed_by.day.isoformat()} if t.is_reversed else ""
    return [t.day, str(t.get_kind_display()), t.amount, t.principal, t.interest, t.penalty, t.fee,
            str(t.get_method_display() or "—"), (t.reference or "—") + (f"；{state}" if state else "")]


def _repayments(ious: list[Iou], fmt: str, user, progress) -> tuple[bytes, int]:
    title = _g("还款记录")
    heads = [_g("日期"), _g("类型"), _g("金额"), _g("本金"), _g("利息"), _g("罚息"), _g("费用"), _g("方式"), _g("凭证号/说明")]
    if fmt == "xlsx":
        rows = []
        for position, iou in enumerate(ious, start=1):
            rows += [[iou.number, iou.customer.name, *_event_row(t)] for t in _events(iou)]
            progress(position)
        return _workbook([(title, [_g("借据编号"), _g("债务人"), *heads], rows)], title), len(rows)
    tables, count = [], 0
    for position, iou in enumerate(ious, start=1):
        events = _events(iou)
        count += len(events)
        rows = [[_text(v) for v in _event_row(t)] for t in events]
        tables.append(Table(caption=_g("%(number)s　%(name)s（%(n)d 笔）") % {
            "number": iou.number, "name": iou.customer.name, "n": len(events)},
            header=heads, rows=rows or [[_g("暂无资金往来")] + [""] * (len(heads) - 1)], numeric_columns=(2, 3, 4, 5, 6)))
        progress(position)
    body = _g("下列借据的放款、还款、退款、减免、冲正、核销及核销后收回，按日期排列（截至营业日 %(day)s）。") % {
        "day": clock.today().isoformat()}
    return _pdf(title, _number("iou-repayments", ious), body, tables, user), count


# --- 借款情况说明 -----------------------------------------------------------------------------------------

def explanation_text(iou: Iou, day: date) -> str:
    """One IOU's 借款情况说明: the loan, what was repaid and what is owed at `day`."""
    repaid = sum((t.principal for t in Transaction.objects.filter(
        iou=iou, kind__in=(TransactionKind.REPAYMENT, TransactionKind.RECOVERY), reversed_by__isnull=True)),
        Decimal("0.00"))
    text = _g("债务人%(name)s于%(contract)s与本机构订立借据%(number)s，合同本金%(principal)s，%(rate)s，共%(term)d期")
    text = text % {"name": iou.customer.name, "contract": iou.contract_date.isoformat(), "number": iou.number,
                   "principal": _yuan(iou.principal), "rate": rate_text(iou), "term": iou.term}
    if iou.disbursed_on:
        text += _g("，于%(day)s放款") % {"day": iou.disbursed_on.isoformat()}
    if iou.maturity_date:
        text += _g("，最后到期日%(day)s") % {"day": iou.maturity_date.isoformat()}
    text += _g("。截至%(day)s，已归还本金%(repaid)s，尚欠本金%(principal)s、利息%(interest)s、罚息%(penalty)s、费用%(fee)s") % {
        "day": day.isoformat(), "repaid": _yuan(repaid), "principal": _yuan(iou.principal_outstanding),
        "interest": _yuan(iou.interest_outstanding), "penalty": _yuan(iou.penalty_outstanding),
        "fee": _yuan(iou.fee_outstanding)}
    written_off = iou.written_off_principal + iou.written_off_interest
    if written_off:
        text += _g("，另有已核销尚未收回%(amount)s（核销不免除债务）") % {"amount": _yuan(written_off)}
    if iou.days_past_due:
        text += _g("；已逾期%(days)d天（自%(since)s起）") % {"days": iou.days_past_due, "since": _day(iou.overdue_since)}
    else:
        text += _g("；目前没有逾期")
    text += _g("；状态：%(status)s，五级分类：%(tier)s。") % {"status": iou.get_status_display(),
                                                     "tier": iou.get_classification_display()}
    return text


def _explanation(ious: list[Iou], fmt: str, user, progress) -> tuple[bytes, int]:
    title = _g("借款情况说明")
    day = clock.today()
    texts = []
    for position, iou in enumerate(ious, start=1):
        texts.append((iou, explanation_text(iou, day)))
        progress(position)
    if fmt == "xlsx":
        rows = [[iou.number, iou.customer.name, iou.principal, outstanding(iou), iou.days_past_due, text]
                for iou, text in texts]
        return _workbook([(title, [_g("借据编号"), _g("债务人"), _g("合同本金"), _g("尚欠合计"), _g("逾期天数"),
                                   _g("说明")], rows)], title), len(rows)
    body = "\n\n".join(f"{position}. {text}" for position, (_iou, text) in enumerate(texts, start=1))
    body += "\n\n" + _g("特此说明。")
    return _pdf(title, _number("iou-explanation", ious), body, [], user), len(texts)


IOU_REPORTS: dict[str, IouReport] = {
    "iou-statement": IouReport("iou-statement", _("借据对账单"),
                               _("合同条件、尚欠金额和当前还款计划的履行情况"), _statement),
    "iou-repayments": IouReport("iou-repayments", _("还款记录"),
                                _("放款、还款、减免、冲正、核销及收回的逐笔明细"), _repayments),
    "iou-explanation": IouReport("iou-explanation", _("借款情况说明"),
                                 _("每笔借据一段文字：借款、已还和尚欠"), _explanation),
}


def iou_report_get(code: str) -> IouReport | None:
    return IOU_REPORTS.get(code)


def iou_report_build(code: str, ious: list[Iou], fmt: str, user, progress=None) -> tuple[bytes, int]:
    """The file of IOU report `code` for `ious` in `fmt` ("pdf" or "xlsx") and its row count;
    `progress(done)` is called after each IOU."""
    if not user.has_perm(PERMISSION):
        raise PermissionDenied(_g("您没有生成报告的权限。"))
    return IOU_REPORTS[code].build(ious, fmt, user, progress or (lambda done: None))
