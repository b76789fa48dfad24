"""Customers to and from Excel (.xlsx): the export of a filtered list, the import template, and the
import with its dry run.  No HTTP here: the back office (ioudesk/backoffice/customer_excel.py)
parses the request and renders what these functions return.

The file format is a Chinese data-exchange format whatever the user's interface language: the
column names and the choice values (个人/企业, 普通客户/重要客户/黑名单, A–E …) are fixed Chinese
strings, so a file exported or filled in by one clerk imports for every other.

Import rules (each broken rule becomes a (行号, 列, 原因) line of the report; row numbers are the
rows as Excel shows them):

* every customer is created through ``services.customer_create`` after ``customer_validate``
  (ID check digit, credit code, phone, duplicates in the database, branch scope); duplicates
  within the file itself (the same 证件号 or 手机号 twice) are refused on the later row;
* 来源渠道, 标签, 网点 and 客户经理 must exist already (an unknown name is an error, never created);
  网点 by code or name inside the user's data scope, empty means the user's own branch;
* an import only ever adds customers: it never changes or deletes one (DOMAIN.md §11);
  the 客户编号 column of an exported file is ignored, numbers are always new.

Between the dry run and the confirmation the uploaded file is kept encrypted under
``DATA_DIR/imports/<user id>-<token>.bin``; the token is random, the user id is part of the
name, so a user can only confirm their own upload and never names a path.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import translation
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ioudesk.calc.errors import InvalidAmount
from ioudesk.calc.money import parse_amount
from ioudesk.core import audit, clock, crypto, scope
from ioudesk.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from ioudesk.core.masking import mask_bank_account, mask_id_number, mask_phone
from ioudesk.core.models import Branch
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.xlsx import DATE_FORMAT, MONEY_FORMAT
from ioudesk.customers import services
from ioudesk.customers.models import (
    Category,
    Customer,
    CustomerKind,
    MaritalStatus,
    RiskGrade,
    SourceChannel,
    Tag,
)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
STAGED_HOURS = 24
EXPORT_CHUNK = 2000

NUMBER, KIND, NAME, PHONE, ID, CATEGORY, GRADE = "客户编号", "类型", "姓名/名称", "手机号", "证件号", "分类", "风险等级"
SOURCE, TAGS, BRANCH, OWNER, ACQUIRED, ADDRESS = "来源渠道", "标签", "网点", "客户经理", "建档日期", "地址"
EMPLOYER, MONEY, MARITAL, INDUSTRY = "工作单位/法定代表人", "月收入/注册资本（元）", "婚姻状况", "所属行业"
BANK, ACCOUNT, NOTES = "开户银行", "银行账号", "备注"

IMPORT_COLUMNS = [KIND, NAME, PHONE, ID, CATEGORY, GRADE, SOURCE, TAGS, BRANCH, OWNER, ACQUIRED, ADDRESS,
                  EMPLOYER, MONEY, MARITAL, INDUSTRY, BANK, ACCOUNT, NOTES]
EXPORT_COLUMNS = [NUMBER, *IMPORT_COLUMNS]
TEXT_COLUMNS = {PHONE, ID, ACCOUNT}  # formatted as text in the template: Excel keeps only 15 digits of a number
WIDTHS = {NUMBER: 18, NAME: 20, PHONE: 15, ID: 22, SOURCE: 12, TAGS: 18, BRANCH: 12, ACQUIRED: 12, ADDRESS: 30,
          EMPLOYER: 20, MONEY: 16, BANK: 18, ACCOUNT: 24, NOTES: 30}

KINDS = {"个人": CustomerKind.INDIVIDUAL, "企业": CustomerKind.COMPANY}
CATEGORIES = {"普通客户": Category.NORMAL, "重要客户": Category.IMPORTANT, "黑名单": Category.BLACKLIST}
MARITAL_STATUSES = {"未婚": MaritalStatus.UNMARRIED, "已婚": MaritalStatus.MARRIED, "离异": MaritalStatus.DIVORCED,
                    "丧偶": MaritalStatus.WIDOWED}
GRADES = [grade.value for grade in RiskGrade]
TAG_SEPARATORS = re.compile(r"[,，、;；]")
TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")


class ImportFileError(ValidationFailed):
    """The file as a whole cannot be imported (not an .xlsx, too big, no header row …)."""

    code = "import_file"


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all", _("全部导入（有错误则一条都不导入）")
    GOOD_ROWS = "good", _("只导入正确的行")


# --- export -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    file: object  # an open binary file positioned at 0; the caller streams and closes it
    filename: str
    count: int


def _export_row(customer: Customer, full: bool) -> list:
    company = customer.is_company
    phone = customer.phone if full else mask_phone(customer.phone)
    identity = customer.credit_code if company else (customer.id_number if full else mask_id_number(customer.id_number))
    account = customer.bank_account if full else mask_bank_account(customer.bank_account)
    return [
        customer.number, _label(KINDS, customer.kind), customer.name, phone, identity,
        _label(CATEGORIES, customer.category), customer.risk_grade,
        customer.source.name if customer.source_id else "",
        "、".join(tag.name for tag in customer.tags.all()),
        customer.branch.name, customer.owner.get_username() if customer.owner_id else "",
        customer.acquired_on, customer.address,
        customer.legal_representative if company else customer.employer,
        customer.registered_capital if company else customer.monthly_income,
        _label(MARITAL_STATUSES, customer.marital_status), customer.industry, customer.bank_name, account,
        customer.notes,
    ]


def _label(mapping: dict, value: str) -> str:
    return next((label for label, choice in mapping.items() if choice == value), "")


def customers_export(*, user, queryset, full: bool = False) -> Export:
    """The customers of ``queryset`` (re-scoped to the user) as an .xlsx in a temporary file.

    Phone, ID and bank account are masked unless ``full`` is asked for by a user with
    customers.view_sensitive_customer.  Every export is recorded in the audit trail.
    Streams: rows are read in chunks and written by a write-only workbook, so 100,000 customers
    need neither 100,000 objects nor a 100,000-row worksheet in memory."""
    if not user.has_perm("customers.export_customer"):
        raise PermissionDenied(_("您没有导出客户的权限。"))
    if full and not user.has_perm("customers.view_sensitive_customer"):
        raise PermissionDenied(_("您没有导出完整敏感信息的权限。"))
    customers = (scope.scope_queryset(user, queryset).select_related("branch", "owner", "source")
                 .prefetch_related("tags"))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_g("客户"))
    for index, header in enumerate(EXPORT_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS.get(header, 10)
    sheet.freeze_panes = "A2"
    sheet.append([_header_cell(sheet, header) for header in EXPORT_COLUMNS])
    date_at, money_at, count = EXPORT_COLUMNS.index(ACQUIRED), EXPORT_COLUMNS.index(MONEY), 0
    for customer in customers.iterator(chunk_size=EXPORT_CHUNK):
        row = [value if value != "" else None for value in _export_row(customer, full)]  # empty cells cost nothing
        for index, number_format in ((date_at, DATE_FORMAT), (money_at, MONEY_FORMAT)):
            if row[index] is not None:
                row[index] = WriteOnlyCell(sheet, value=row[index])
                row[index].number_format = number_format
        sheet.append(row)
        count += 1
    output = tempfile.TemporaryFile()
    workbook.save(output)
    output.seek(0)
    verb = _g("导出客户（含完整敏感信息）") if full else _g("导出客户")
    audit.record(AuditAction.DOWNLOAD, verb=verb, object_repr=_g("客户列表"),
                 changes={"rows": count, "full_sensitive_data": full})
    return Export(output, f"{_g('客户')}-{clock.today():%Y%m%d}.xlsx", count)


def _header_cell(sheet, header: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=header)
    cell.font = Font(bold=True)
    cell.fill = PatternFill("solid", fgColor="EDE9FE")
    return cell


# --- template ---------------------------------------------------------------------------------


def import_template(*, user) -> Workbook:
    """The import template: a 客户 sheet with the header row and drop-down lists, a 填写说明
    sheet with the rules and an example, and a 可选值 sheet listing the channels, tags and
    branches the user may name."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "客户"
    sheet.append(IMPORT_COLUMNS)
    for index, header in enumerate(IMPORT_COLUMNS, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="B91C1C" if header == NAME else None)
        cell.fill = PatternFill("solid", fgColor="EDE9FE")
        sheet.column_dimensions[letter].width = WIDTHS.get(header, 10)
        if header in TEXT_COLUMNS:
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"

    options = workbook.create_sheet("可选值")
    channels = list(SourceChannel.objects.filter(is_active=True).values_list("name", flat=True))
    tags = list(Tag.objects.values_list("name", flat=True))
    branches = list(scope.scope_queryset(user, Branch.objects.filter(is_active=True), "pk").values_list("code", "name"))
    options.append(["来源渠道", "标签", "网点代码", "网点名称"])
    for index in range(max(len(channels), len(tags), len(branches), 1)):
        code, name = branches[index] if index < len(branches) else ("", "")
        options.append([_at(channels, index), _at(tags, index), code, name])
    for letter, width in zip("ABCD", (16, 16, 12, 20), strict=True):
        options.column_dimensions[letter].width = width

    def choose(header: str, formula: str, *, strict: bool = True):
        letter = get_column_letter(IMPORT_COLUMNS.index(header) + 1)
        validation = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=strict,
                                    errorTitle="输入有误", error=f"请从下拉列表中选择{header}")
        validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
        sheet.add_data_validation(validation)

    choose(KIND, '"个人,企业"')
    choose(CATEGORY, '"普通客户,重要客户,黑名单"')
    choose(GRADE, f'"{",".join(GRADES)}"')
    choose(MARITAL, '"未婚,已婚,离异,丧偶"')
    if channels:
        choose(SOURCE, f"'可选值'!$A$2:$A${len(channels) + 1}")
    if branches:  # a code is accepted too, so the list only suggests
        choose(BRANCH, f"'可选值'!$D$2:$D${len(branches) + 1}", strict=False)

    guide = workbook.create_sheet("填写说明")
    guide.column_dimensions["A"].width = 22
    guide.column_dimensions["B"].width = 90
    for line in GUIDE:
        guide.append(list(line))
    guide.append([])
    guide.append(["示例（仅作参考，本页内容不会被导入）"])
    guide.append(IMPORT_COLUMNS)
    for example in EXAMPLES:
        guide.append(example)
    for row in (1, guide.max_row - len(EXAMPLES) - 1):
        guide.cell(row=row, column=1).font = Font(bold=True)
    return workbook


def _at(values: list, index: int):
    return values[index] if index < len(values) else ""


GUIDE = [
    ("填写说明", "在“客户”工作表中从第 2 行起每行填写一位客户；第 1 行是列名，请勿修改。只有“姓名/名称”必填。"),
    (KIND, "个人 或 企业；留空按个人。"),
    (NAME, "必填。个人填姓名，企业填营业执照上的名称。"),
    (PHONE, "1 开头的 11 位手机号，或带区号的固定电话。请按文本填写。"),
    (ID, "个人填 18 位身份证号，企业填 18 位统一社会信用代码。请按文本填写，以免 Excel 丢失末尾数字。"),
    (CATEGORY, "普通客户、重要客户 或 黑名单；留空按普通客户。"),
    (GRADE, "A、B、C、D、E 之一（A 风险最低）；留空按 B。"),
    (SOURCE, "系统中已有的来源渠道名称（见“可选值”）；留空表示不填。"),
    (TAGS, "系统中已有的标签，多个用逗号或顿号分隔（见“可选值”）；不会自动新建标签。"),
    (BRANCH, "网点代码或名称，须在您的数据范围内（见“可选值”）；留空为您所在的网点。"),
    (OWNER, "客户经理的登录用户名；留空表示不指定。"),
    (ACQUIRED, "日期，如 2026-11-28；不能晚于营业日；留空为营业日。"),
    (EMPLOYER, "个人填工作单位，企业填法定代表人。"),
    (MONEY, "个人填月收入，企业填注册资本，单位元，最多两位小数。"),
    (MARITAL, "未婚、已婚、离异 或 丧偶，仅个人客户填写。"),
    (ACCOUNT, "银行账号，只含数字。请按文本填写。"),
    ("重复检查", "证件号、手机号与系统中已有客户或文件中其他行相同的，该行不会导入。"),
    ("导入方式", "上传后系统先试导入并列出每一行的问题，确认后才保存；导入只新增客户，不会修改或删除已有客户。"),
]
EXAMPLES = [
    ["个人", "张三", "13812345678", "11010519491231002X", "普通客户", "B", "", "", "", "", "2026-11-28",
     "北京市朝阳区示例路 1 号", "示例科技有限公司", "8000", "已婚", "", "中国工商银行", "6222021234567890123", ""],
    ["企业", "示例商贸有限公司", "010-62345678", "91110000600037341L", "重要客户", "A", "", "", "", "", "",
     "北京市海淀区示例大街 2 号", "李四", "1000000", "", "批发零售", "", "", ""],
]


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


def _read_rows(file) -> tuple[dict[str, int], list[str], Iterator[tuple[int, dict]]]:
    """The header (column name → index), ignored column names and the non-blank data rows."""
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True, max_col=60)
        header, header_row = None, 0
        for number, values in enumerate(rows, start=1):
            if any(_text(value) == NAME for value in values):
                header, header_row = [_text(value) for value in values], number
                break
            if number >= 10:
                break
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file
        raise ImportFileError(_("无法读取该文件，请确认它是用 Excel 保存的 .xlsx 文件。")) from error
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

    def data_rows():
        count, numbered = 0, enumerate(rows, start=header_row + 1)
        while True:
            try:
                number, values = next(numbered)
            except StopIteration:
                return
            except Exception as error:  # a damaged worksheet fails while it is being read
                raise ImportFileError(_("无法读取该文件，请确认它是用 Excel 保存的 .xlsx 文件。")) from error
            if not any(_text(value) for value in values):
                continue
            count += 1
            if count > MAX_ROWS:
                raise ImportFileError(_("文件超过 %(limit)s 行客户，请分批导入。") % {"limit": f"{MAX_ROWS:,}"})
            yield number, {name: values[index] if index < len(values) else None for name, index in columns.items()}

    return columns, ignored, data_rows()


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
    for column, attribute in ((NAME, "name"), (ADDRESS, "address"), (BANK, "bank_name"), (INDUSTRY, "industry"),
                              (EMPLOYER, "legal_representative" if company else "employer")):
        limit = Customer._meta.get_field(attribute).max_length
        if len(getattr(customer, attribute)) > limit and not row.has_error(column):
            row.error(column, _("不能超过 %(n)d 个字。") % {"n": limit})
    if not row.has_error(NAME):
        _validate(row, lookups.user)
    return row


def _validate(row: CheckedRow, user) -> None:
    """The services' own checks: identity numbers, duplicates in the database, branch scope."""
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
        if not row.has_error(_error_column(error)):
            row.error(_error_column(error), error.message)


DUPLICATE_COLUMNS = {"id_number": ID, "credit_code": ID, "phone": PHONE}


def _error_column(error: ApplicationError) -> str:
    """The column a service error is about.  Name and phone are checked before the services are
    called, so a plain validation error from them is about the 证件号."""
    if isinstance(error, services.DuplicateCustomer):
        duplicates = error.extra.get("duplicates") or [{"field": "id_number"}]
        return DUPLICATE_COLUMNS[duplicates[0]["field"]]
    if isinstance(error, PermissionDenied):
        return BRANCH
    return ID


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
    digits = re.sub(r"[\s-]", "", _text(value))
    if digits and not (digits.isdigit() and 6 <= len(digits) <= 32):
        raise ValidationFailed(_("银行账号应为 6 到 32 位数字。"))
    return digits


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
    if day > today:
        raise ValidationFailed(_("建档日期 %(day)s 晚于营业日 %(today)s。") % {"day": day, "today": today})
    return day


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
    amount = parse_amount(repr(value) if isinstance(value, float) else value, field=column)
    if amount < 0:
        raise ValidationFailed(_("金额不能为负数。"))
    return amount


# --- import: the whole file -------------------------------------------------------------------


def _require_import_permission(user) -> None:
    if not user.has_perm("customers.import_customer"):
        raise PermissionDenied(_("您没有导入客户的权限。"))


def customers_import_check(*, user, file) -> ImportCheck:
    """The dry run: read and check every row, save nothing."""
    _require_import_permission(user)
    with clock.frozen(clock.today()):  # one business date for the whole file, read once
        return _check_file(user, file)


def _check_file(user, file) -> ImportCheck:
    columns, ignored, rows = _read_rows(file)
    lookups, seen, checked = _Lookups(user), {}, []
    for number, values in rows:
        row = _check_row(number, values, lookups)
        for column, key in ((ID, row.customer.id_number or row.customer.credit_code), (PHONE, row.customer.phone)):
            if not key or row.has_error(column):
                continue
            first = seen.setdefault((column, key.upper()), number)
            if first != number:
                row.error(column, _("与第 %(row)d 行的%(column)s重复。") % {"row": first, "column": column})
        checked.append(row)
    if not checked:
        raise ImportFileError(_("文件中没有客户数据：请从列名下一行开始填写。"))
    return ImportCheck(checked, ignored)


@dataclass
class ImportResult:
    mode: str
    check: ImportCheck
    created: list[Customer] = field(default_factory=list)
    skipped: list[RowError] = field(default_factory=list)  # every reason a row was not imported
    refused: bool = False  # all-or-nothing and something was wrong: nothing was saved


def customers_import(*, user, file, mode: str, filename: str = "") -> ImportResult:
    """Check the file again (the database may have changed since the dry run) and create the
    customers: all or none (ImportMode.ALL_OR_NOTHING), or every good row (GOOD_ROWS)."""
    with clock.frozen(clock.today()):
        return _import(user, file, mode, filename)


def _import(user, file, mode: str, filename: str) -> ImportResult:
    check = customers_import_check(user=user, file=file)
    result = ImportResult(mode=mode, check=check, skipped=list(check.errors))
    if mode == ImportMode.ALL_OR_NOTHING:
        if check.bad:
            result.refused = True
        else:
            try:
                with transaction.atomic():
                    for row in check.good:
                        _create(row, user, result)
            except _RowFailed as failed:
                result.created, result.skipped, result.refused = [], [failed.error], True
    elif mode == ImportMode.GOOD_ROWS:
        for row in check.good:
            try:
                _create(row, user, result)
            except _RowFailed as failed:
                result.skipped.append(failed.error)
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


# --- keeping the upload between the dry run and the confirmation ------------------------------


@dataclass(frozen=True)
class StagedFile:
    token: str
    name: str
    data: bytes


def _staging_dir() -> Path:
    directory = Path(settings.DATA_DIR) / "imports"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _staged_path(user, token: str) -> Path:
    if not TOKEN_RE.match(token or ""):
        raise NotFound(_("导入文件不存在或已过期，请重新上传。"))
    return _staging_dir() / f"{int(user.pk)}-{token}.bin"


def import_stage(*, user, name: str, data: bytes) -> str:
    """Keep an uploaded file (encrypted: it holds personal data) for its confirmation; returns
    the token that names it.  Files older than STAGED_HOURS are swept on the way."""
    _require_import_permission(user)
    cutoff = time.time() - STAGED_HOURS * 3600
    for old in _staging_dir().glob("*.bin"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    payload = json.dumps({"name": name[:200], "data": base64.b64encode(data).decode("ascii")})
    _staged_path(user, token).write_text(crypto.encrypt(payload), encoding="ascii")
    return token


def import_take(*, user, token: str) -> StagedFile:
    """The staged file, removed as it is taken: a double click or a reload of the confirmation
    finds nothing and cannot import the same file twice (the rename is atomic)."""
    path = _staged_path(user, token)
    taken = path.with_name(f"{path.stem}.{secrets.token_hex(4)}.taken")
    try:
        path.rename(taken)
    except FileNotFoundError:
        raise NotFound(_("导入文件不存在、已导入或已过期，请重新上传。")) from None
    try:
        if taken.stat().st_mtime < time.time() - STAGED_HOURS * 3600:
            raise NotFound(_("导入文件不存在、已导入或已过期，请重新上传。"))
        payload = json.loads(crypto.decrypt(taken.read_text(encoding="ascii")))
    finally:
        taken.unlink(missing_ok=True)
    return StagedFile(token, payload["name"], base64.b64decode(payload["data"]))
