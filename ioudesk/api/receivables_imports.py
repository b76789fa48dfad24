"""/api/v1/receivables/statement-imports: upload a bank or Alipay/WeChat statement file (multipart)
and read a batch (its counts and its lines with their receipts). The work is
``ioudesk.receivables.bankimport``'s; a large file is imported by the worker (202, poll the batch)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from ioudesk.api.errors import READ_ERRORS, WRITE_ERRORS
from ioudesk.api.pagination import Pages
from ioudesk.api.permissions import require_perm
from ioudesk.core.errors import NotFound, ValidationFailed
from ioudesk.core.models import Branch
from ioudesk.core.scope import can_see_branch
from ioudesk.receivables import bankimport, tasks
from ioudesk.receivables.models import BankStatement, ColumnMapping, ImportStatus

router = Router(tags=["往来账款"])
VIEW = "receivables.view_bankstatement"


class StatementImportRow(Schema):
    id: int
    number: str
    bank: str
    bank_label: str
    original_name: str
    account_code: str
    account_number_last4: str
    period_from: date | None
    period_to: date | None
    status: str
    lines_total: int
    lines_new: int
    lines_duplicate: int
    lines_matched: int
    matched_percent: Decimal | None
    uploaded_at: datetime


class StatementImportLineOut(Schema):
    row_number: int
    day: date
    booked_at: datetime | None
    direction: str
    amount: Decimal
    balance: Decimal | None
    counterparty_name: str
    counterparty_account_last4: str
    memo: str
    bank_reference: str
    receipt_id: int | None
    receipt_number: str | None
    receipt_status: str | None
    customer_id: int | None


class StatementImportDetail(StatementImportRow):
    sha256: str
    error: str
    branch_id: int
    mapping_id: int | None
    job_id: int | None
    job_percent: int | None
    receipts: dict[str, int]
    lines: list[StatementImportLineOut]


def _row(statement: BankStatement) -> dict:
    return {"id": statement.pk, "number": statement.number, "bank": statement.bank,
            "bank_label": str(statement.get_bank_display()), "original_name": statement.original_name,
            "account_code": statement.account_code, "account_number_last4": statement.account_number_last4,
            "period_from": statement.period_from, "period_to": statement.period_to, "status": statement.status,
            "lines_total": statement.lines_total, "lines_new": statement.lines_new,
            "lines_duplicate": statement.lines_duplicate, "lines_matched": statement.lines_matched,
            "matched_percent": bankimport.matched_percent(statement), "uploaded_at": statement.uploaded_at}


MAX_LINES = 1000


def _detail(statement: BankStatement) -> dict:
    lines = []
    for line in bankimport.statement_lines(statement)[:MAX_LINES]:
        receipt = getattr(line, "receipt", None)
        account = line.counterparty_account or ""
        lines.append({"row_number": line.row_number, "day": line.day, "booked_at": line.booked_at,
                      "direction": line.direction, "amount": line.amount, "balance": line.balance,
                      "counterparty_name": line.counterparty_name, "counterparty_account_last4": account[-4:],
                      "memo": line.memo, "bank_reference": line.bank_reference,
                      "receipt_id": receipt.pk if receipt else None, "receipt_number": receipt.number if receipt else None,
                      "receipt_status": receipt.status if receipt else None,
                      "customer_id": receipt.customer_id if receipt else None})
    job = statement.job
    return {**_row(statement), "sha256": statement.sha256, "error": statement.error, "branch_id": statement.branch_id,
            "mapping_id": statement.mapping_id, "job_id": statement.job_id,
            "job_percent": job.percent if job is not None else None,
            "receipts": bankimport.statement_counts(statement), "lines": lines}


def _get(request, statement_id: int) -> BankStatement:
    try:
        return bankimport.statement_get(user=request.user, pk=statement_id)
    except NotFound:
        raise Http404 from None


@router.get("/statement-imports", response={200: list[StatementImportRow], **READ_ERRORS},
            summary="银行流水导入批次列表")
@paginate(Pages, page_size=50)
def statement_import_list(request):
    require_perm(request, VIEW)
    return [_row(s) for s in bankimport.statements_for(request.user).order_by("-uploaded_at", "-pk")]


@router.get("/statement-imports/{int:statement_id}", response={200: StatementImportDetail, **READ_ERRORS},
            summary="流水导入批次详情（计数、前 1,000 笔流水及其收付款单与核销状态）")
def statement_import_detail(request, statement_id: int):
    require_perm(request, VIEW)
    return _detail(_get(request, statement_id))


@router.post("/statement-imports", response={201: StatementImportDetail, 202: StatementImportDetail, **WRITE_ERRORS},
             summary="上传银行/支付宝/微信流水（表单字段 `file`、`account_code`，可选 `bank`、`mapping_id`、`branch_id`）；"
                     "大文件在后台导入，返回 202，再查询批次详情")
def statement_import_upload(request, file: File[UploadedFile], account_code: Form[str] = "100201",
                            bank: Form[str] = "", mapping_id: Form[int] = None, branch_id: Form[int] = None):
    require_perm(request, "receivables.import_bankstatement")
    mapping = None
    if mapping_id is not None:
        mapping = ColumnMapping.objects.filter(pk=mapping_id).first()
        if mapping is None:
            raise ValidationFailed(_("列对应不存在，请先在流水列对应中保存。"), extra={"field": "mapping_id"})
    branch_id = branch_id if branch_id is not None else request.user.branch_id
    branch = Branch.objects.filter(pk=branch_id).first() if branch_id is not None else None
    if branch is None or not can_see_branch(request.user, branch.pk):
        raise ValidationFailed(_("网点不存在，或不在您的数据范围内。"), extra={"field": "branch_id"})
    # not in one transaction: the lines go in committed chunks (an import cut short resumes)
    statement = bankimport.statement_import_start(
        upload=file, account_code=account_code, branch=branch, user=request.user,
        bank=(bank or None) if not mapping else "mapped", mapping=mapping)
    tasks.statement_enqueue(statement)
    statement = _get(request, statement.pk)
    return Status(202 if statement.status == ImportStatus.RUNNING else 201, _detail(statement))
