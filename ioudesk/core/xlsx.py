"""Writing .xlsx files the way Chinese offices expect them: a title, the conditions, a bold
header row, amounts as numbers formatted #,##0.00 (never text), dates as dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def build_workbook(*, title: str, headers: list[str], rows, notes: list[tuple[str, str]] = (),
                   money_columns: set[int] = frozenset(), sheet_name: str = "Sheet1") -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_name[:31]
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    for label, value in notes:
        sheet.append([label, value])
    sheet.append([])
    header_row = sheet.max_row + 1
    sheet.append(headers)
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EDE9FE")
        cell.alignment = Alignment(horizontal="center")
    widths = [len(str(h)) * 2 + 2 for h in headers]
    for row in rows:
        sheet.append(list(row))
        current = sheet.max_row
        for index, value in enumerate(row):
            cell = sheet.cell(row=current, column=index + 1)
            if isinstance(value, Decimal) or index in money_columns:
                cell.number_format = MONEY_FORMAT
            elif isinstance(value, date):
                cell.number_format = DATE_FORMAT
            widths[index] = max(widths[index], len(f"{value:,.2f}" if isinstance(value, Decimal) else str(value)) + 2)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width, 60)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    return workbook


def workbook_response(workbook: Workbook, filename: str) -> HttpResponse:
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
