"""Importing customers: read the file, check every row, then all or the good rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook

from ioudesk.calc.errors import InvalidAmount
from ioudesk.calc.money import parse_amount
from ioudesk.core import audit, clock, scope
from ioudesk.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from ioudesk.core.models import Branch
from ioudesk.core.models.audit import AuditAction
from ioudesk.customers import services
from ioudesk.customers.excel.columns import (
    ACCOUNT,
    ACQUIRED,
    ADDRESS,
    BANK,
    BLANK_ROWS_STOP,
    BRANCH,
    CATEGORIES,
    CATEGORY,
    EMPLOYER,
    GRADE,
    GRADES,
    ID,
    IMPORT_COLUMNS,
    INDUSTRY,
    KIND,
    KINDS,
    MARITAL,
    MARITAL_STATUSES,
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    MONEY,
    NAME,
    NOTES,
    OWNER,
    PHONE,
    SOURCE,
    TAG_SEPARATORS,
    TAGS,
    ImportFileError,
    ImportMode,
)
from ioudesk.customers.models import (
    Category,
    Customer,
    CustomerKind,
    MaritalStatus,
    RiskGrade,
    SourceChannel,
    Tag,
)

# --- import: reading the file -----------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int  # as Excel numbers it
    column: str
    reason: str


@dataclass
class CheckedRow:
    row: int
    customer: Customer
    tags: list = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def error(self, column: str, reason) -> None:
        self.errors.append(RowError(self.row, column, str(reason)))

    def has_error(self, column: str) -> bool:
        return any(error.column == column for error in self.errors)


@dataclass
class ImportCheck:
    """The dry run: every data row, each with its errors (none means it would be imported)."""

    rows: list[CheckedRow]
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def good(self) -> list[CheckedRow]:
        return [row for row in self.rows if not row.errors]

    @property
    def bad(self) -> list[CheckedRow]:
        return [row for row in self.rows if row.errors]

    @property
    def errors(self) -> list[RowError]:
        return [error for row in self.rows for error in row.errors]


def check_upload(*, name: str, size: int, head: bytes) -> None:
    """Refuse what cannot be an .xlsx before reading it: the name, the size, the zip signature."""
    if not name.lower().endswith(".xlsx"):
        raise ImportFileError(_("只能导入 .xlsx 格式的 Excel 文件（.xls、.csv 请先在 Excel 中另存为 .xlsx）。"))
    if size > MAX_UPLOAD_BYTES:
        raise ImportFileError(_("文件太大（%(size).1f MB）：单个文件不能超过 %(limit)d MB，请分批导入。") % {
            "size": size / 1024 / 1024, "limit": MAX_UPLOAD_BYTES // 1024 // 1024})
    if not head.startswith(b"PK\x03\x04"):
        raise ImportFileError(_("该文件不是有效的 .xlsx 文件（可能只是改了扩展名），请用 Excel 另存为 .xlsx 后再导入。"))


def max_rows() -> int:
    """The most data rows one file may hold (settings.IOUDESK_IMPORT_MAX_ROWS, default MAX_ROWS)."""
    return int(getattr(settings, "IOUDESK_IMPORT_MAX_ROWS", None) or MAX_ROWS)


@dataclass
class ParsedFile:
    """An .xlsx read once: the import columns found (name → position in ``rows``' value lists),
    the ignored column names and the non-blank data rows as (Excel row number, values). Plain
    values only (str, int, float, bool, date, datetime, None), so it can be staged as JSON and
    the confirmation checks the same rows again without reading the file a second time."""

    columns: list[str]
    ignored: list[str]
    rows: list[tuple[int, list]]

    def values(self, row: list) -> dict:
        return dict(zip(self.columns, row, strict=False))


def read_import_file(file) -> ParsedFile:
    """Read the first worksheet in openpyxl's read-only (streaming) mode. The sheet's declared
    size (``max_row``, the <dimension> tag) is not trusted: a sheet formatted down to row
    1,048,576, or with one stray cell far below, streams empty rows; reading stops after
    BLANK_ROWS_STOP consecutive blank rows, and a file with more than :func:`max_rows` data rows
    is refused with the limit named. Time and memory are bounded by the cap, not by the file."""
    limit = max_rows()
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file
        raise ImportFileError(_("无法读取该文件，请确认它是用 Excel 保存的 .xlsx 文件。")) from error
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True, max_col=60)
        header, header_row = None, 0
        for number, values in enumerate(rows, start=1):
            if any(_text(value) == NAME for value in values):
                header, header_row = [_text(value) for value in values], number
                break
            if number >= 10:
                break
        if header is None:
            raise ImportFileError(_("没有找到列名行：第一个工作表的前 10 行中应有一行列名，其中包含“%(name)s”。请使用导入模板。")
                                  % {"name": NAME})
        columns, ignored = {}, []
        for index, name in enumerate(header):
            if not name:
                continue
            if name in columns:
                raise ImportFileError(_("列“%(name)s”出现了两次，请删去多余的一列。") % {"name": name})
            if name in IMPORT_COLUMNS:
                columns[name] = index
            else:
                ignored.append(name)
        data, blanks = [], 0
        for number, values in enumerate(rows, start=header_row + 1):
            if not any(_text(value) for value in values):
                blanks += 1
                if blanks >= BLANK_ROWS_STOP:
                    break  # trailing blank rows: the data has ended
                continue
            blanks = 0
            if len(data) >= limit:
                raise ImportFileError(_("文件超过 %(limit)s 行客户：每次最多导入 %(limit)s 行，请把文件拆分成几个文件分批导入。")
                                      % {"limit": f"{limit:,}"})
            data.append((number, [_plain(values[index]) if index < len(values) else None
                                  for index in columns.values()]))
    except ImportFileError:
        raise
    except Exception as error:  # a damaged worksheet fails while it is being read
        raise ImportFileError(_("无法读取该文件，请确认它是用 Excel 保存的 .xlsx 文件。")) from error
    finally:
        workbook.close()
    return ParsedFile(list(columns), ignored, data)


def _plain(value):
    """A cell value as one of the types ParsedFile keeps (times and durations become text)."""
    if value is None or isinstance(value, (str, bool, int, float, datetime, date)):
        return value
    return str(value)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# --- import: one row --------------------------------------------------------------------------


class _Lookups:
    """Everything a row may name, loaded once per file."""

    def __init__(self, user):
        self.user = user
        self.today = clock.today()
        self.channels = {channel.name: channel for channel in SourceChannel.objects.all()}
        self.tags = {tag.name: tag for tag in Tag.objects.all()}
        self.branches = list(scope.scope_queryset(user, Branch.objects.all(), "pk"))
        self.visible = scope.visible_branch_ids(user)
        self.default_branch = next((b for b in self.branches if b.pk == user.branch_id), None)
        self.owners: dict[str, object] = {}

    def branch(self, text: str) -> Branch:
        if not text:
            if self.default_branch is None:
                raise ValidationFailed(_("请填写网点：您的账号没有所属网点。"))
            return self.default_branch
        found = [b for b in self.branches if b.code == text] or [b for b in self.branches if b.name == text]
        if not found:
            raise ValidationFailed(_("网点“%(v)s”不存在，或不在您的数据范围内。") % {"v": text})
        if len(found) > 1:
            raise ValidationFailed(_("网点名称“%(v)s”不唯一，请改填网点代码。") % {"v": text})
        if not found[0].is_active:
            raise ValidationFailed(_("网点“%(v)s”已停用。") % {"v": text})
        return found[0]

    def owner(self, username: str):
        if username not in self.owners:
            self.owners[username] = get_user_model().objects.filter(
                username=username, is_active=True, is_staff=True).first()
        owner = self.owners[username]
        if owner is None or not (self.visible is None or owner.branch_id in self.visible):
            raise ValidationFailed(_("客户经理“%(v)s”不存在，或不在您的数据范围内（请填写登录用户名）。") % {"v": username})
        return owner


def _check_row(number: int, values: dict, lookups: _Lookups) -> CheckedRow:
    customer = Customer()
    row = CheckedRow(number, customer)
    text = {name: _text(value) for name, value in values.items()}

    def choice(column: str, mapping: dict, default):
        if not text.get(column):
            return default
        if text[column] not in mapping:
            row.error(column, _("“%(v)s”不是可选值，应为：%(options)s。") % {"v": text[column], "options": "、".join(mapping)})
            return default
        return mapping[text[column]]

    def attempt(column: str, read, default=None):
        try:
            return read()
        except ValidationFailed as error:
            row.error(column, error.message)
        except InvalidAmount as error:
            row.error(column, error.message)
        return default

    customer.kind = choice(KIND, KINDS, CustomerKind.INDIVIDUAL)
    company = customer.kind == CustomerKind.COMPANY
    customer.name = " ".join(text.get(NAME, "").split())
    if not customer.name:
        row.error(NAME, _("请填写客户姓名或企业名称。"))
    customer.category = choice(CATEGORY, CATEGORIES, Category.NORMAL)
    customer.risk_grade = attempt(GRADE, lambda: _grade(text.get(GRADE, "")), RiskGrade.B)
    customer.phone = attempt(PHONE, lambda: services.validate_phone(text.get(PHONE, "")), "")
    identity = attempt(ID, lambda: _identity_text(values.get(ID)), "")
    if company:
        customer.credit_code = identity.upper()
    else:
        customer.id_number = identity
    customer.bank_account = attempt(ACCOUNT, lambda: _account(values.get(ACCOUNT)), "")
    customer.source = attempt(SOURCE, lambda: _named(lookups.channels, text.get(SOURCE, ""), _g("来源渠道")))
    row.tags = attempt(TAGS, lambda: _tags(lookups.tags, text.get(TAGS, "")), [])
    customer.branch = attempt(BRANCH, lambda: lookups.branch(text.get(BRANCH, "")))
    customer.owner = attempt(OWNER, lambda: lookups.owner(text[OWNER])) if text.get(OWNER) else None
    customer.acquired_on = attempt(ACQUIRED, lambda: _date(values.get(ACQUIRED), lookups.today), lookups.today)
    amount = attempt(MONEY, lambda: _money(values.get(MONEY), MONEY))
    person_text = text.get(EMPLOYER, "")
    if company:
        customer.legal_representative, customer.registered_capital = person_text, amount
        if text.get(MARITAL):
            row.error(MARITAL, _("婚姻状况只适用于个人客户，企业客户请留空。"))
    else:
        customer.employer, customer.monthly_income = person_text, amount
        customer.marital_status = choice(MARITAL, MARITAL_STATUSES, MaritalStatus.UNKNOWN)
    customer.address, customer.industry = text.get(ADDRESS, ""), text.get(INDUSTRY, "")
    customer.bank_name, customer.notes = text.get(BANK, ""), str(values.get(NOTES) or "").strip()
    if not row.has_error(NAME):
        _validate(row, lookups.user)
    return row


def _validate(row: CheckedRow, user) -> None:
    """The services' own checks (the same as the form's and the API's): lengths, amounts, dates,
    owner, identity numbers, duplicates in the database, branch scope."""
    try:
        services.customer_validate(customer=row.customer, user=user)
    except services.DuplicateCustomer as error:
        duplicates = error.extra.get("duplicates", [])
        row.error(_error_column(error), error.message)
        for duplicate in duplicates[1:]:
            if not row.has_error(DUPLICATE_COLUMNS[duplicate["field"]]):
                row.error(DUPLICATE_COLUMNS[duplicate["field"]],
                          _("也已登记为客户 %(number)s，请勿重复建档。") % duplicate)
    except ApplicationError as error:
        for detail in error.extra.get("details") or [{"field": error.extra.get("field"), "message": error.message}]:
            column = FIELD_COLUMNS.get(detail["field"], ID) if not isinstance(error, PermissionDenied) else BRANCH
            if not row.has_error(column):
                row.error(column, detail["message"])


DUPLICATE_COLUMNS = {"id_number": ID, "credit_code": ID, "phone": PHONE}
FIELD_COLUMNS = {**DUPLICATE_COLUMNS, "name": NAME, "kind": KIND, "category": CATEGORY, "risk_grade": GRADE,
                 "source": SOURCE, "branch": BRANCH, "owner": OWNER, "acquired_on": ACQUIRED, "address": ADDRESS,
                 "employer": EMPLOYER, "legal_representative": EMPLOYER, "monthly_income": MONEY,
                 "registered_capital": MONEY, "marital_status": MARITAL, "industry": INDUSTRY, "bank_name": BANK,
                 "bank_account": ACCOUNT, "notes": NOTES}


def _error_column(error: ApplicationError) -> str:
    """The column a service error is about (the field it names; the 证件号 if none)."""
    if isinstance(error, services.DuplicateCustomer):
        duplicates = error.extra.get("duplicates") or [{"field": "id_number"}]
        return DUPLICATE_COLUMNS[duplicates[0]["field"]]
    if isinstance(error, PermissionDenied):
        return BRANCH
    return FIELD_COLUMNS.get(error.extra.get("field"), ID)


def _grade(value: str) -> str:
    """A letter, or the letter with its Chinese label as the list page shows it ("A 低风险")."""
    letter = value[:1].upper()
    with translation.override("zh-hans"):
        labels = {grade.value: str(grade.label).replace(" ", "") for grade in RiskGrade}
    if not value or (letter in GRADES and (len(value) == 1 or value.replace(" ", "") == labels[letter])):
        return letter or RiskGrade.B
    raise ValidationFailed(_("“%(v)s”不是有效的风险等级，应为 A、B、C、D、E 之一。") % {"v": value})


def _identity_text(value) -> str:
    if isinstance(value, (int, float)):
        raise ValidationFailed(_("证件号是按数字保存的，Excel 会丢失末尾几位：请把该列设为文本格式后重新填写。"))
    return _text(value)


def _account(value) -> str:
    if isinstance(value, float) or isinstance(value, int) and len(str(value)) > 15:
        raise ValidationFailed(_("银行账号是按数字保存的，Excel 会丢失末尾几位：请把该列设为文本格式后重新填写。"))
    return _text(value)  # the digits are checked by the service


def _named(mapping: dict, name: str, what: str):
    if not name:
        return None
    found = mapping.get(name)
    if found is None:
        raise ValidationFailed(_("%(what)s“%(v)s”不存在，请先在系统中添加，或改填已有的名称。") % {"what": what, "v": name})
    if not getattr(found, "is_active", True):
        raise ValidationFailed(_("%(what)s“%(v)s”已停用。") % {"what": what, "v": name})
    return found


def _tags(mapping: dict, text: str) -> list:
    names = [name.strip() for name in TAG_SEPARATORS.split(text) if name.strip()]
    return [_named(mapping, name, _g("标签")) for name in dict.fromkeys(names)]


def _date(value, today: date) -> date:
    if value in (None, ""):
        return today
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, str):
        day = _parse_date(value.strip())
    else:
        raise ValidationFailed(_("请填写日期，如 2026-11-28。"))
    return day  # the range is checked by the service


def _parse_date(text: str) -> date:
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValidationFailed(_("“%(v)s”不是有效的日期，请写成 2026-11-28。") % {"v": text})


def _money(value, column: str) -> Decimal | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValidationFailed(_("请填写金额数字。"))
    return parse_amount(repr(value) if isinstance(value, float) else value, field=column)  # sign: the service


# --- import: the whole file -------------------------------------------------------------------


def _require_import_permission(user) -> None:
    if not user.has_perm("customers.import_customer"):
        raise PermissionDenied(_("您没有导入客户的权限。"))


Progress = Callable[[int, int], None]  # (rows done, rows in all): a background job's progress bar
PROGRESS_EVERY = 100


def _parsed(file, parsed: ParsedFile | None) -> ParsedFile:
    return parsed if parsed is not None else read_import_file(file)


def customers_import_check(*, user, file=None, parsed: ParsedFile | None = None,
                           progress: Progress | None = None) -> ImportCheck:
    """The dry run: read (or take the rows already read) and check every row, save nothing."""
    _require_import_permission(user)
    with clock.frozen(clock.today()):  # one business date for the whole file, read once
        return _check_file(user, _parsed(file, parsed), progress)


def _check_file(user, parsed: ParsedFile, progress: Progress | None = None, *, total: int | None = None) -> ImportCheck:
    lookups, seen, checked = _Lookups(user), {}, []
    total = total or len(parsed.rows)
    for done, (number, row_values) in enumerate(parsed.rows, start=1):
        row = _check_row(number, parsed.values(row_values), lookups)
        for column, key in ((ID, row.customer.id_number or row.customer.credit_code), (PHONE, row.customer.phone)):
            if not key or row.has_error(column):
                continue
            first = seen.setdefault((column, key.upper()), number)
            if first != number:
                row.error(column, _("与第 %(row)d 行的%(column)s重复。") % {"row": first, "column": column})
        checked.append(row)
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, total)
    if not checked:
        raise ImportFileError(_("文件中没有客户数据：请从列名下一行开始填写。"))
    return ImportCheck(checked, parsed.ignored)


@dataclass
class ImportResult:
    mode: str
    check: ImportCheck
    created: list[Customer] = field(default_factory=list)
    skipped: list[RowError] = field(default_factory=list)  # every reason a row was not imported
    refused: bool = False  # all-or-nothing and something was wrong: nothing was saved


def customers_import(*, user, mode: str, file=None, parsed: ParsedFile | None = None, filename: str = "",
                     progress: Progress | None = None, saving: Callable[[], None] | None = None) -> ImportResult:
    """Check the rows again (the database may have changed since the dry run) and create the
    customers: all or none (ImportMode.ALL_OR_NOTHING), or every good row (GOOD_ROWS).

    ``parsed`` is the dry run's reading of the file (staging.py keeps it), so the file is read
    once. ``progress`` is called every PROGRESS_EVERY rows over check and creation (2 × rows in
    all); all or nothing creates in one transaction, where progress cannot be seen from outside,
    so ``saving`` is called once before it instead."""
    _require_import_permission(user)
    with clock.frozen(clock.today()):
        return _import(user, _parsed(file, parsed), mode, filename, progress, saving)


def _import(user, parsed: ParsedFile, mode: str, filename: str, progress: Progress | None,
            saving: Callable[[], None] | None) -> ImportResult:
    total = 2 * len(parsed.rows)
    check = _check_file(user, parsed, progress, total=total)
    result = ImportResult(mode=mode, check=check, skipped=list(check.errors))
    rows = len(parsed.rows)
    if mode == ImportMode.ALL_OR_NOTHING:
        if check.bad:
            result.refused = True
        else:
            if saving is not None:
                saving()
            try:
                with transaction.atomic():
                    for row in check.good:
                        _create(row, user, result)
            except _RowFailed as failed:
                result.created, result.skipped, result.refused = [], [failed.error], True
    elif mode == ImportMode.GOOD_ROWS:
        for done, row in enumerate(check.good, start=1):
            try:
                _create(row, user, result)
            except _RowFailed as failed:
                result.skipped.append(failed.error)
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(rows + done, total)
    else:
        raise ValidationFailed(_("请选择导入方式。"))
    audit.record(AuditAction.ACTION, verb=_g("导入客户"), object_repr=(filename or _g("客户导入"))[:200], changes={
        "mode": mode, "rows": len(check.rows), "created": len(result.created),
        "skipped_rows": sorted({error.row for error in result.skipped}),
        "numbers": [customer.number for customer in result.created][:1000],
    })
    return result


class _RowFailed(Exception):
    def __init__(self, error: RowError):
        self.error = error


def _create(row: CheckedRow, user, result: ImportResult) -> None:
    try:
        customer = services.customer_create(customer=row.customer, user=user, tags=row.tags)
    except ApplicationError as error:  # e.g. the same phone registered by a colleague a moment ago
        raise _RowFailed(RowError(row.row, _error_column(error), str(error.message))) from error
    result.created.append(customer)
