"""Bills from .xlsx (单据导入): the template, the dry run, and the import — everything at once or only
the good bills, as the user chooses. docs/domain.md §26.

One row per line; the rows sharing a 单据键 form one bill (its header columns are read from its
first row). Every bill is checked by ``bills.bill_validate`` — the same validation as the form and
the API — and a VAT invoice number used twice in the file is refused as it would be in the books.
Problems are reported per row and column. Bills are saved as drafts (optionally submitted for
sign-off at once, ``bills.bill_submit``).

Big files (more than ``BACKGROUND_ROWS`` rows) are checked and imported by the worker
(``bill_tasks.py``): the upload is kept encrypted under ``DATA_DIR/imports`` and a job
(``ioudesk.jobs``) records progress and the result.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.core import audit, clock, crypto, scope
from ioudesk.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.customers.models import Customer
from ioudesk.receivables.bills import bill_create, bill_submit, bill_validate
from ioudesk.receivables.models import BillKind, Direction, LineKind, PaymentTerms

KEY, KIND, CUSTOMER_NUMBER, CUSTOMER_NAME, BILL_DATE = "单据键", "单据类型", "往来单位编号", "往来单位名称", "单据日期"
TERMS, DELIVERY, INVOICE, INVOICE_DATE, REF, MEMO, TOTAL = ("付款条件", "交货日期", "发票号码", "开票日期", "合同/订单号",
                                                           "备注", "价税合计")
DESCRIPTION, LINE_KIND, SPEC, UNIT, QUANTITY, PRICE, RATE = ("货物或服务名称", "类别", "规格型号", "单位", "数量",
                                                             "单价（不含税）", "税率（%）")
COLUMNS = [KEY, KIND, CUSTOMER_NUMBER, CUSTOMER_NAME, BILL_DATE, TERMS, DELIVERY, INVOICE, INVOICE_DATE, REF, MEMO,
           TOTAL, DESCRIPTION, LINE_KIND, SPEC, UNIT, QUANTITY, PRICE, RATE]
REQUIRED = (KEY, BILL_DATE, DESCRIPTION, QUANTITY, PRICE, RATE)
KINDS = {"销售单": BillKind.SALES, "服务单": BillKind.SERVICE, "采购应付单": BillKind.PURCHASE, "应付单": BillKind.PURCHASE,
         "": BillKind.SALES}
LINE_KINDS = {"货物": LineKind.GOODS, "服务": LineKind.SERVICE, "": None}
# a validation problem's field → the column it is about
HEADER_COLUMNS = {"customer": CUSTOMER_NUMBER, "bill_date": BILL_DATE, "payment_terms": TERMS, "delivery_date": DELIVERY,
                  "vat_invoice_number": INVOICE, "vat_invoice_date": INVOICE_DATE, "external_ref": REF, "memo": MEMO,
                  "declared_total": TOTAL, "kind": KIND, "direction": KIND, "lines": DESCRIPTION}
LINE_COLUMNS = {"description": DESCRIPTION, "kind": LINE_KIND, "spec": SPEC, "unit": UNIT, "quantity": QUANTITY,
                "unit_price": PRICE, "tax_rate": RATE, "account_code": DESCRIPTION}
MAX_ROWS = 20_000
BLANK_ROWS_STOP = 1_000
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
BACKGROUND_ROWS = 1_000
STAGED_HOURS = 24
TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
JOB_CHECK, JOB_IMPORT = "bill_import_check", "bill_import"


class ImportMode:
    ALL = "all"  # 全部导入（有错误则一张都不导入）
    GOOD = "good"  # 只导入正确的单据
    CHOICES = [(ALL, _("全部导入（有错误则一张都不导入）")), (GOOD, _("只导入正确的单据"))]


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str


@dataclass
class BillGroup:
    key: str
    rows: list[int]
    values: dict  # the bill_create keyword arguments
    errors: list[RowError] = field(default_factory=list)
    total: object = None
    customer_label: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportCheck:
    groups: list[BillGroup]
    file_errors: list[RowError] = field(default_factory=list)
    rows: int = 0

    @property
    def good(self) -> list[BillGroup]:
        return [g for g in self.groups if g.ok]

    @property
    def bad(self) -> list[BillGroup]:
        return [g for g in self.groups if not g.ok]

    @property
    def errors(self) -> list[RowError]:
        return [*self.file_errors, *(e for g in self.groups for e in g.errors)]


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)  # bill numbers
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    refused: bool = False  # all-or-nothing with errors: nothing saved


def _require(user) -> None:
    if user is None or not user.has_perm("receivables.add_bill"):
        raise PermissionDenied(_("您没有导入单据的权限（往来单据：新增）。"))


# --- the template ----------------------------------------------------------------------------------

def bill_import_template() -> bytes:
    """The .xlsx template: the 单据 sheet with the header row and two example bills, a 填写说明 sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "单据"
    sheet.append(COLUMNS)
    widths = {KEY: 10, CUSTOMER_NAME: 24, DESCRIPTION: 22, TERMS: 14, INVOICE: 22, BILL_DATE: 12}
    for index, header in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="B91C1C" if header in REQUIRED else None)
        cell.fill = PatternFill("solid", fgColor="EDE9FE")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = widths.get(header, 12)
        if header in (INVOICE, CUSTOMER_NUMBER, KEY):
            sheet.column_dimensions[letter].number_format = "@"
    today = clock.today().isoformat()
    sheet.append(["1", "销售单", "", "（往来单位名称）", today, "月结30天", "", "", "", "HT-2026-001", "", "6710.00",
                  "不锈钢保温杯", "货物", "500ml", "个", "100", "50", "13"])
    sheet.append(["1", "", "", "", "", "", "", "", "", "", "", "", "安装调试服务", "服务", "", "小时", "3", "333.333", "6"])
    sheet.append(["2", "服务单", "", "（往来单位名称）", today, "票到30天", "", "", "", "", "", "",
                  "年度维护费", "服务", "", "年", "1", "12000", "6"])
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet("填写说明")
    notes = [
        ("一行一条明细", "同一张单据的多行明细填写相同的“单据键”（任意文字或数字），抬头信息（往来单位、日期、付款条件、发票号码等）只需填在第一行。"),
        ("必填", "、".join(REQUIRED) + "；往来单位编号或名称至少填一项（编号优先）。"),
        ("单据类型", "销售单、服务单或采购应付单（供应商发票）；留空为销售单。"),
        ("日期", "写成 2026-11-28；单据日期不能晚于营业日。"),
        ("付款条件", "填写系统中“付款条件”的名称（如 货到付款、月结30天、次月底付款）；留空按往来单位或系统默认。"),
        ("税率", "填写百分数，如 13、9、6、3、1、0；只能使用往来设置中配置的税率。"),
        ("金额", "单价不含税；金额 = 数量 × 单价，税额 = 金额 × 税率，各自四舍五入到分。“价税合计”选填，填写时必须与明细合计一致。"),
        ("发票号码", "8位或20位（数电发票）数字；同一开票方的发票号码不能重复登记。"),
        ("导入方式", "先试导入查看每一行的问题，再选择“全部导入”（有错误则一张都不导入）或“只导入正确的单据”。导入的单据为草稿，可选择导入后直接提交审核。"),
        ("上限", f"每个文件最多 {MAX_ROWS:,} 行；超过 {BACKGROUND_ROWS:,} 行的文件在后台检查和导入。"),
    ]
    guide.column_dimensions["A"].width = 14
    guide.column_dimensions["B"].width = 110
    for row, (title, text) in enumerate(notes, start=1):
        guide.cell(row=row, column=1, value=title).font = Font(bold=True)
        guide.cell(row=row, column=2, value=text)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- reading ---------------------------------------------------------------------------------------

@dataclass
class ParsedBills:
    rows: list[tuple[int, dict]]  # (row number in the sheet, {column: value})
    ignored: list[str] = field(default_factory=list)


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value).strip()


def read_bill_file(data: bytes, *, name: str = "") -> ParsedBills:
    """The rows of an uploaded .xlsx (the first sheet, or one named 单据), refusing what is not one."""
    from openpyxl import load_workbook

    if not data:
        raise ValidationFailed(_("文件是空的，请选择填好的导入模板。"), extra={"field": "file"})
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(_("文件超过 10 MB，请拆分后导入。"), extra={"field": "file"})
    if not data.startswith(b"PK"):
        raise ValidationFailed(_("只能导入 .xlsx 文件（Excel 2007 及以后的格式），请另存为 .xlsx 后再试。"),
                               extra={"field": "file"})
    try:
        workbook = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any damaged or foreign zip
        raise ValidationFailed(_("文件无法打开：不是有效的 .xlsx 文件。"), extra={"field": "file"}) from None
    sheet = workbook["单据"] if "单据" in workbook.sheetnames else workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise ValidationFailed(_("文件没有表头行，请使用导入模板。"), extra={"field": "file"})
    names = [str(h).strip() if h is not None else "" for h in header]
    missing = [c for c in (KEY, BILL_DATE, DESCRIPTION, QUANTITY, PRICE, RATE) if c not in names]
    if CUSTOMER_NUMBER not in names and CUSTOMER_NAME not in names:
        missing.append(f"{CUSTOMER_NUMBER}/{CUSTOMER_NAME}")
    if missing:
        raise ValidationFailed(_g("表头缺少这些列：%(columns)s。请使用导入模板。") % {"columns": "、".join(missing)},
                               extra={"field": "file"})
    index = {column: names.index(column) for column in COLUMNS if column in names}
    ignored = [n for n in names if n and n not in COLUMNS]
    found, blanks = [], 0
    for number, row in enumerate(rows, start=2):
        values = {column: _cell(row[i]) if i < len(row) else "" for column, i in index.items()}
        if not any(v not in ("", None) for v in values.values()):
            blanks += 1
            if blanks >= BLANK_ROWS_STOP:
                break
            continue
        blanks = 0
        found.append((number, values))
        if len(found) > MAX_ROWS:
            raise ValidationFailed(_g("文件超过 %(n)s 行，请拆分后导入。") % {"n": f"{MAX_ROWS:,}"}, extra={"field": "file"})
    workbook.close()
    if not found:
        raise ValidationFailed(_("文件里没有数据行。"), extra={"field": "file"})
    return ParsedBills(rows=found, ignored=ignored)


# --- checking --------------------------------------------------------------------------------------

class _Lookups:
    def __init__(self, user):
        self.user = user
        self.customers = {}
        self.terms = {t.name: t for t in PaymentTerms.objects.filter(is_active=True)}

    def customer(self, number: str, name: str):
        key = (number, name)
        if key not in self.customers:
            visible = scope.scope_queryset(self.user, Customer.objects.all())
            found = None
            if number:
                found = visible.filter(number=number).first()
            elif name:
                matches = list(visible.filter(name=name)[:2])
                found = matches[0] if len(matches) == 1 else ("many" if matches else None)
            self.customers[key] = found
        return self.customers[key]


def _group_values(key: str, rows: list[tuple[int, dict]], lookups: _Lookups) -> BillGroup:
    first_row, head = rows[0]
    group = BillGroup(key=key, rows=[n for n, _v in rows], values={})
    kind = KINDS.get(str(head.get(KIND, "")).strip())
    if kind is None:
        group.errors.append(RowError(first_row, KIND, _g("单据类型只能是销售单、服务单或采购应付单")))
        kind = BillKind.SALES
    direction = Direction.PAYABLE if kind == BillKind.PURCHASE else Direction.RECEIVABLE
    number, name = str(head.get(CUSTOMER_NUMBER, "")).strip(), str(head.get(CUSTOMER_NAME, "")).strip()
    customer = lookups.customer(number, name)
    if customer == "many":
        group.errors.append(RowError(first_row, CUSTOMER_NAME, _g("有多个往来单位名为“%(name)s”，请填写往来单位编号") % {"name": name}))
        customer = None
    elif customer is None:
        if number or name:
            group.errors.append(RowError(first_row, CUSTOMER_NUMBER if number else CUSTOMER_NAME,
                                         _g("找不到往来单位“%(what)s”（或不在您的网点）") % {"what": number or name}))
        else:
            group.errors.append(RowError(first_row, CUSTOMER_NUMBER, _g("请填写往来单位编号或名称")))
    else:
        group.customer_label = f"{customer.name}（{customer.number}）"
    terms = None
    terms_name = str(head.get(TERMS, "")).strip()
    if terms_name:
        terms = lookups.terms.get(terms_name)
        if terms is None:
            group.errors.append(RowError(first_row, TERMS, _g("付款条件“%(name)s”不存在或已停用，可选：%(all)s") % {
                "name": terms_name, "all": "、".join(lookups.terms)}))
    lines = []
    for number_, values in rows:
        line_kind = LINE_KINDS.get(str(values.get(LINE_KIND, "")).strip(), "bad")
        if line_kind == "bad":
            group.errors.append(RowError(number_, LINE_KIND, _g("类别只能是“货物”或“服务”")))
            line_kind = None
        lines.append({"description": values.get(DESCRIPTION, ""), "quantity": values.get(QUANTITY, ""),
                      "unit_price": values.get(PRICE, ""), "tax_rate": values.get(RATE, ""),
                      "kind": line_kind or (LineKind.SERVICE if kind == BillKind.SERVICE else LineKind.GOODS),
                      "spec": values.get(SPEC, ""), "unit": values.get(UNIT, "")})
    group.values = dict(direction=direction, kind=kind, customer=customer if customer != "many" else None,
                        bill_date=head.get(BILL_DATE) or None, lines=lines, payment_terms=terms,
                        delivery_date=head.get(DELIVERY) or None, declared_total=head.get(TOTAL) or None,
                        vat_invoice_number=str(head.get(INVOICE, "") or ""),
                        vat_invoice_date=head.get(INVOICE_DATE) or None, external_ref=head.get(REF, ""),
                        memo=head.get(MEMO, ""))
    return group


def _to_row_errors(group: BillGroup, error: ApplicationError) -> list[RowError]:
    found = []
    details = error.extra.get("details") or [{"field": error.extra.get("field"), "message": str(error.message)}]
    for detail in details:
        name = str(detail.get("field") or "")
        message = str(detail.get("message") or "")
        if name.startswith("lines-"):
            parts = name.split("-")
            index = int(parts[1]) if parts[1].isdigit() else 0
            row = group.rows[index] if index < len(group.rows) else group.rows[0]
            found.append(RowError(row, LINE_COLUMNS.get(parts[2] if len(parts) > 2 else "", DESCRIPTION),
                                  re.sub(r"^第 \d+ 行：", "", message)))
        else:
            found.append(RowError(group.rows[0], HEADER_COLUMNS.get(name, KEY), message))
    return found


def bills_import_check(*, user, parsed: ParsedBills, progress: Callable[[int, int], None] | None = None) -> ImportCheck:
    """The dry run: every bill of the file checked as it would be saved; nothing is written."""
    _require(user)
    lookups = _Lookups(user)
    grouped: dict[str, list[tuple[int, dict]]] = {}
    file_errors = []
    for number, values in parsed.rows:
        key = str(values.get(KEY, "")).strip()
        if not key:
            file_errors.append(RowError(number, KEY, _g("请填写单据键（同一张单据的各行相同）")))
            continue
        grouped.setdefault(key, []).append((number, values))
    groups, invoices = [], {}
    total = len(grouped)
    for done, (key, rows) in enumerate(grouped.items(), start=1):
        group = _group_values(key, rows, lookups)
        if not group.errors:
            try:
                checked = bill_validate(user=user, **group.values)
                group.total = checked.total
            except ApplicationError as error:
                group.errors.extend(_to_row_errors(group, error))
        invoice = re.sub(r"\s+", "", group.values.get("vat_invoice_number") or "")
        if invoice and not group.errors:
            seller = (group.values["direction"], "" if group.values["direction"] == Direction.RECEIVABLE
                      else group.values["customer"].pk)
            earlier = invoices.get((seller, invoice))
            if earlier is not None:
                group.errors.append(RowError(group.rows[0], INVOICE, _g("发票号码 %(number)s 在本文件中重复（单据键 %(key)s 已使用）") % {
                    "number": invoice, "key": earlier}))
            else:
                invoices[(seller, invoice)] = key
        groups.append(group)
        if progress is not None and (done % 50 == 0 or done == total):
            progress(done, total)
    return ImportCheck(groups=groups, file_errors=file_errors, rows=len(parsed.rows))


def bills_import(*, user, parsed: ParsedBills, mode: str, submit: bool = False, filename: str = "",
                 progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Import the file's bills as drafts (``submit``: and send each for sign-off). ``mode`` all:
    one transaction, nothing saved when any bill has a problem; good: the good bills only."""
    if mode not in (ImportMode.ALL, ImportMode.GOOD):
        raise ValidationFailed(_("请选择导入方式。"), extra={"field": "mode"})
    check = bills_import_check(user=user, parsed=parsed)
    result = ImportResult(errors=check.errors)
    if mode == ImportMode.ALL and check.errors:
        result.refused = True
        return result
    good = check.good
    result.skipped = len(check.groups) - len(good)

    def save(group: BillGroup) -> None:
        bill = bill_create(user=user, **group.values)
        if submit:
            bill_submit(bill=bill, user=user)
        result.created.append(bill.number)

    if mode == ImportMode.ALL:
        with transaction.atomic():
            for done, group in enumerate(good, start=1):
                save(group)
                if progress is not None and done % 50 == 0:
                    progress(done, len(good))
    else:
        for done, group in enumerate(good, start=1):
            try:
                with transaction.atomic():
                    save(group)
            except ApplicationError as error:  # changed since the check (an invoice number taken meanwhile)
                result.errors.extend(_to_row_errors(group, error))
                result.skipped += 1
            if progress is not None and done % 50 == 0:
                progress(done, len(good))
    audit.record(AuditAction.CREATE, verb=_g("导入往来单据"), object_repr=(filename or _g("单据导入"))[:200],
                 changes={"created": len(result.created), "skipped": result.skipped, "mode": mode,
                          "submit": submit, "first": result.created[:5]})
    return result


# --- keeping the upload for the confirmation and the worker ----------------------------------------

def _staging_dir() -> Path:
    directory = Path(settings.DATA_DIR) / "imports"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _staged_path(user, token: str) -> Path:
    if not TOKEN_RE.match(token or ""):
        raise NotFound(_("导入文件不存在或已过期，请重新上传。"))
    return _staging_dir() / f"bills-{int(user.pk)}-{token}.bin"


def bill_import_stage(*, user, name: str, data: bytes) -> str:
    """Keep an upload (encrypted) until it is confirmed or imported by the worker; returns its token."""
    _require(user)
    cutoff = time.time() - STAGED_HOURS * 3600
    for old in _staging_dir().glob("bills-*.bin"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    payload = name[:200].replace("\n", " ") + "\n" + base64.b64encode(data).decode("ascii")
    _staged_path(user, token).write_text(crypto.encrypt(payload), encoding="ascii")
    return token


def bill_import_peek(*, user, token: str) -> tuple[str, bytes]:
    path = _staged_path(user, token)
    try:
        text = crypto.decrypt(path.read_text(encoding="ascii"))
    except FileNotFoundError:
        raise NotFound(_("导入文件不存在、已导入或已过期，请重新上传。")) from None
    name, _sep, data = text.partition("\n")
    return name, base64.b64decode(data)


def bill_import_take(*, user, token: str) -> tuple[str, bytes]:
    """The staged upload, removed as it is taken (a double click cannot import it twice)."""
    path = _staged_path(user, token)
    taken = path.with_name(f"{path.stem}.{secrets.token_hex(4)}.taken")
    try:
        path.rename(taken)
    except FileNotFoundError:
        raise NotFound(_("导入文件不存在、已导入或已过期，请重新上传。")) from None
    try:
        name, _sep, data = crypto.decrypt(taken.read_text(encoding="ascii")).partition("\n")
    finally:
        taken.unlink(missing_ok=True)
    return name, base64.b64decode(data)


# --- background ------------------------------------------------------------------------------------

MAX_ERRORS_KEPT = 1000


def check_summary(check: ImportCheck) -> dict:
    return {"bills": len(check.groups), "good": len(check.good), "bad": len(check.bad), "rows": check.rows,
            "errors": [[e.row, e.column, e.reason] for e in check.errors[:MAX_ERRORS_KEPT]],
            "error_count": len(check.errors)}


def import_summary(result: ImportResult) -> dict:
    return {"created": len(result.created), "numbers": result.created[:MAX_ERRORS_KEPT], "skipped": result.skipped,
            "refused": result.refused, "errors": [[e.row, e.column, e.reason] for e in result.errors[:MAX_ERRORS_KEPT]],
            "error_count": len(result.errors)}


def bill_import_job_start(*, user, name: str, data: bytes, mode: str | None = None, submit: bool = False):
    """Stage a big upload and create its job (the dry run, or with ``mode`` the import); the caller
    enqueues ``bill_tasks.bill_import_job`` once the transaction commits."""
    from ioudesk.jobs import services as jobs

    token = bill_import_stage(user=user, name=name, data=data)
    kind = JOB_IMPORT if mode else JOB_CHECK
    return jobs.job_create(kind=kind, user=user, title=name,
                           params={"token": token, "mode": mode or "", "submit": bool(submit)})


def bill_import_job_run(*, job_id: int) -> None:
    """The worker's half: read the staged file, check or import it with progress, keep the summary."""
    from ioudesk.core.context import acting_as, actor_for_user
    from ioudesk.jobs import services as jobs
    from ioudesk.jobs.models import Job

    job = Job.objects.select_related("user").get(pk=job_id)
    user = job.user
    jobs.job_start(job, phase=_g("正在检查"))

    def progress(done: int, total: int) -> None:
        jobs.job_progress(job, done, total=total)

    try:
        with acting_as(actor_for_user(user, None)):
            if job.kind == JOB_CHECK:
                name, data = bill_import_peek(user=user, token=job.params["token"])
                check = bills_import_check(user=user, parsed=read_bill_file(data, name=name), progress=progress)
                jobs.job_finish(job, result=check_summary(check))
            else:
                name, data = bill_import_take(user=user, token=job.params["token"])
                jobs.job_progress(job, 0, phase=_g("正在导入"))
                result = bills_import(user=user, parsed=read_bill_file(data, name=name), mode=job.params["mode"],
                                      submit=bool(job.params.get("submit")), filename=name, progress=progress)
                jobs.job_finish(job, result=import_summary(result))
    except ApplicationError as error:
        jobs.job_fail(job, message=str(error.message))
