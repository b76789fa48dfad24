"""Exporting the filtered customer list to .xlsx (masked unless asked and allowed)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass

from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from ioudesk.core import audit, clock, scope
from ioudesk.core.errors import PermissionDenied
from ioudesk.core.masking import mask_bank_account, mask_id_number, mask_phone
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.xlsx import DATE_FORMAT, MONEY_FORMAT
from ioudesk.customers.excel.columns import (
    ACQUIRED,
    CATEGORIES,
    EXPORT_CHUNK,
    EXPORT_COLUMNS,
    KINDS,
    MARITAL_STATUSES,
    MONEY,
    WIDTHS,
)
from ioudesk.customers.models import (
    Customer,
)

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
