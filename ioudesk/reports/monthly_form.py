"""The 业务状况月报 as the .xlsx a 小额贷款公司 files: the form's title, 填报单位 / 报表月份 / 单位, then its
tables with the 指标分类 cell merged over its 指标名称 rows, amounts as numbers (#,##0.00), the signature
line (单位负责人 / 填表人 / 填报日期) and the notes. Laid out from the report's ReportResult (no second query),
so the file says exactly what the page says. docs/domain.md §27 (the form's structure and sources)."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

from django.utils.translation import gettext as _g
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from ioudesk.core import clock
from ioudesk.core.xlsx import MONEY_FORMAT

THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="EDE9FE")
PERCENT_FORMAT = "0.00"
COUNT_FORMAT = "#,##0"
WIDTHS = {"A": 20, "B": 30, "C": 16, "D": 20, "E": 12, "F": 18, "G": 18}


def _write_table(sheet, start_row: int, table) -> int:
    """Write one table (its title row, header row, body with merged 指标分类); return the next free row."""
    columns = table.columns
    last = get_column_letter(len(columns))
    sheet.cell(row=start_row, column=1, value=str(table.title)).font = Font(bold=True, size=12)
    sheet.merge_cells(f"A{start_row}:{last}{start_row}")
    header = start_row + 1
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=header, column=index, value=str(column.label))
        cell.font, cell.fill, cell.border = Font(bold=True), HEADER_FILL, BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    row_number = header + 1
    group_start, group_value = row_number, None
    for row in table.rows:
        group = row.get("_group", row.get("group"))  # the page shows 指标分类 on a group's first row only
        for index, column in enumerate(columns, start=1):
            value = row.get(column.key)
            if column.key == "group":
                value = group if group != group_value else None
            cell = sheet.cell(row=row_number, column=index, value=value)
            cell.border = BOX
            if column.kind == "money" or isinstance(value, Decimal) and column.kind != "percent":
                cell.number_format = MONEY_FORMAT
            elif column.kind == "percent":
                cell.number_format = PERCENT_FORMAT
            elif column.kind == "int":
                cell.number_format = COUNT_FORMAT
        if group != group_value:
            if group_value is not None and row_number - 1 > group_start:
                sheet.merge_cells(start_row=group_start, start_column=1, end_row=row_number - 1, end_column=1)
            group_start, group_value = row_number, group
        sheet.cell(row=row_number, column=1).alignment = Alignment(vertical="center", wrap_text=True)
        row_number += 1
    if group_value is not None and row_number - 1 > group_start:
        sheet.merge_cells(start_row=group_start, start_column=1, end_row=row_number - 1, end_column=1)
    return row_number + 1


def monthly_form_xlsx(result, params, user) -> bytes:
    from ioudesk.core.services import organisation_current

    organisation = organisation_current()
    month = params.month or result.as_of
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _g("业务状况月报")
    sheet["A1"] = _g("小额贷款公司业务状况月报表")
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.merge_cells("A1:G1")
    sheet["A2"] = _g("填报单位：%(name)s") % {"name": organisation.name}
    sheet.merge_cells("A2:C2")
    sheet["D2"] = _g("报表月份：%(year)s年%(month)s月") % {"year": month.year, "month": f"{month.month:02d}"}
    sheet.merge_cells("D2:E2")
    sheet["F2"] = _g("单位：元、笔")
    sheet.merge_cells("F2:G2")
    source = _g("数据来源：月末快照") if result.source == "snapshot" else _g("数据来源：当前数字（截至 %(day)s）") % {
        "day": result.as_of.isoformat()}
    sheet["A3"] = source
    sheet.merge_cells("A3:G3")
    row = 5
    for table in result.tables:
        row = _write_table(sheet, row, table)
    sheet.cell(row=row, column=1, value=_g("单位负责人："))
    sheet.cell(row=row, column=3, value=_g("填表人："))
    sheet.cell(row=row, column=5, value=_g("填报日期：%(day)s") % {"day": clock.today().isoformat()})
    row += 2
    sheet.cell(row=row, column=1, value=_g("填报说明")).font = Font(bold=True)
    for note in result.notes:
        row += 1
        sheet.cell(row=row, column=1, value=str(note))
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=7)
    for letter, width in WIDTHS.items():
        sheet.column_dimensions[letter].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.print_title_rows = "1:3"
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
