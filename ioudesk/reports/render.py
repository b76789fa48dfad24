"""A report's result as a file: .xlsx (openpyxl, write-only: a detail list's every row streamed from
registry.EXPORT_ROWS or page by page, never all rows in memory at once) and PDF (reportlab, A4, landscape
when the spec says; the organisation's name, the title, the conditions and the as-of date at the head,
page numbers at the foot, table headers repeated on every page; the CJK font of ioudesk.documents.pdf,
embedded; the report's charts drawn under its figures by chart_draw, as the print view's inline SVG is).
Used by the report page, the API and 报告管理 (F's generation):

    render_xlsx(result, spec, params, user=user) -> bytes
    render_pdf(result, spec, params, user=user) -> bytes
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from itertools import islice
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ioudesk.core import audit, clock
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.xlsx import DATE_FORMAT, MONEY_FORMAT, XLSX_TYPE
from ioudesk.reports import running
from ioudesk.reports.registry import EXPORT_ROWS, ReportResult, ReportSpec, Table

__all__ = ["XLSX_TYPE", "render_xlsx", "render_pdf", "file_name", "export_audit", "all_rows", "report_charts",
           "print_charts"]

PDF_ROWS = 2000  # rows of one table a PDF shows; a longer detail list says so and points to the .xlsx
PERCENT_FORMAT = '0.00"%"'  # the value is already a percentage (12.34 means 12.34 %)
RATE_FORMAT = "0.00%"  # the value is a fraction (0.1200 shows 12.00%)
INT_FORMAT = "#,##0"


def _organisation_name() -> str:
    from ioudesk.core.services import organisation_current

    try:
        return organisation_current().name
    except Exception:  # noqa: BLE001 - a file without an organisation is still a file
        return ""


def _title(result: ReportResult, spec: ReportSpec) -> str:
    return str(result.title or spec.title)


def _as_of(result: ReportResult) -> date:
    return result.as_of or (result.period[1] if result.period else clock.today())


def file_name(spec: ReportSpec, params, fmt: str) -> str:
    """贷款余额明细-20261128.xlsx (the as-of, period end or month of the params, else the business date)."""
    day = params.as_of or params.date_to or params.month or clock.today()
    return f"{spec.title}-{day:%Y%m%d}.{fmt}"


def export_audit(spec: ReportSpec, params, fmt: str, user, *, file_name: str = "") -> None:
    """Every download and print of a report is in the audit trail with its parameters."""
    verb = _("打印报表") if fmt == "print" else _("导出报表")
    changes = {"report": [None, spec.code], "format": [None, fmt], "params": [None, params.to_json()]}
    if file_name:
        changes["file"] = [None, file_name]
    audit.record(AuditAction.DOWNLOAD, verb=verb, object_repr=str(spec.title), changes=changes)


# --- every row of a paginated report ---------------------------------------------------------------------


def all_rows(result: ReportResult, spec: ReportSpec, params, user) -> Iterator[dict]:
    """The first table's rows, all of them for a paginated report: the spec's streamed rows
    (registry.EXPORT_ROWS), else its pages of running.EXPORT_PAGE rows one after the other."""
    if not spec.paginated or user is None or not result.tables:
        yield from result.tables[0].rows if result.tables else ()
        return
    rows = EXPORT_ROWS.get(spec.code)
    if rows is not None:
        yield from rows(params, user)
        return
    page, size = 1, running.EXPORT_PAGE
    extra = {**params.extra, "page_size": size}
    while True:
        part = running.report_run(spec, replace(params, page=page, extra=extra), user)
        chunk = part.tables[0].rows if part.tables else []
        yield from chunk
        total = part.rows_total if part.rows_total is not None else 0
        if len(chunk) < size or page * size >= total:
            return
        page += 1


# --- .xlsx -----------------------------------------------------------------------------------------------

BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="EDE9FE")
TOTAL_FILL = PatternFill("solid", fgColor="F3F4F6")
FORMATS = {"money": MONEY_FORMAT, "int": INT_FORMAT, "percent": PERCENT_FORMAT, "rate": RATE_FORMAT,
           "date": DATE_FORMAT}


def _xlsx_value(value, kind):
    if value is None:
        return None
    if isinstance(value, (Decimal, int, date)) and not isinstance(value, bool):
        return value
    return str(value)


def _cell(sheet, value, kind="text", *, font=None, fill=None, align=None):
    cell = WriteOnlyCell(sheet, value=_xlsx_value(value, kind))
    if kind in FORMATS and isinstance(cell.value, (Decimal, int, date, datetime)):
        cell.number_format = FORMATS[kind]
    if font:
        cell.font = font
    if fill:
        cell.fill = fill
    if align:
        cell.alignment = align
    return cell


def _table_rows(sheet, table: Table, rows: Iterable[dict]) -> Iterator[list]:
    yield [_cell(sheet, running.column_label(c), font=BOLD, fill=HEADER_FILL, align=Alignment(horizontal="center"))
           for c in table.columns]
    any_row = False
    for row in rows:
        any_row = True
        yield [_cell(sheet, row.get(c.key), c.kind) for c in table.columns]
    if not any_row:
        yield [_cell(sheet, _("没有符合条件的数据。"))]
    if table.totals is not None and any_row:
        cells = []
        for index, column in enumerate(table.columns):
            value = table.totals.get(column.key)
            if index == 0 and value in (None, ""):
                value = _("合计")
            cells.append(_cell(sheet, value, column.kind, font=BOLD, fill=TOTAL_FILL))
        yield cells


def render_xlsx(result: ReportResult, spec: ReportSpec, params, *, user=None) -> bytes:
    """The report as an .xlsx: the head (title, organisation, conditions, as-of, source), the figures, then
    each table with its header, rows and totals. A spec with a layout of its own (spec.xlsx, the 月报)
    draws itself."""
    if spec.xlsx is not None:
        return spec.xlsx(result, params, user)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_title(result, spec)[:31])
    widths = [14] * max((len(t.columns) for t in result.tables), default=2)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if result.tables:  # wider columns for the first table's text (names, numbers)
        for index, column in enumerate(result.tables[0].columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = 18 if column.kind in ("text", "money") else 12
    sheet.append([_cell(sheet, _title(result, spec), font=Font(bold=True, size=14))])
    organisation = _organisation_name()
    if organisation:
        sheet.append([_cell(sheet, _("编制单位")), _cell(sheet, organisation)])
    conditions = running.params_describe(spec, params)
    for label, text in conditions:
        sheet.append([_cell(sheet, label), _cell(sheet, text)])
    if all(label != _("数据日期") for label, _text in conditions):
        sheet.append([_cell(sheet, _("数据日期")), _cell(sheet, _as_of(result).isoformat())])
    source = running.source_text(result)
    if source:
        sheet.append([_cell(sheet, _("数据来源")), _cell(sheet, source)])
    if result.figures:
        sheet.append([])
        for figure in result.figures:
            sheet.append([_cell(sheet, str(figure.label)), _cell(sheet, figure.value, figure.kind)])
    for index, table in enumerate(result.tables):
        sheet.append([])
        if table.title:
            sheet.append([_cell(sheet, str(table.title), font=BOLD)])
        rows = all_rows(result, spec, params, user) if index == 0 else table.rows
        for line in _table_rows(sheet, table, rows):
            sheet.append(line)
    for note in result.notes:
        sheet.append([_cell(sheet, str(note))])
    sheet.append([_cell(sheet, _("导出时间 %(time)s") % {
        "time": timezone.localtime(timezone.now()).strftime("%Y-%m-%d %H:%M")})])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- charts (the PDF and the print view draw them on the server: chart_draw) -------------------------------


def report_charts(result: ReportResult) -> list:
    """The result's charts that have something to draw (result.chart first, then result.charts): a chart
    without labels, or whose every figure is zero or missing (a period with no business), is left out —
    the table says the same in words."""
    charts = [result.chart, *result.charts] if result.chart else list(result.charts)
    return [chart for chart in charts if chart is not None and chart.labels and chart.series
            and any(value for _label, values in chart.series for value in values if value is not None)]


def print_charts(result: ReportResult) -> list[dict]:
    """Each chart as the print view shows it: its title and an inline SVG (no script)."""
    from django.utils.safestring import mark_safe

    from ioudesk.reports import chart_draw

    return [{"title": str(chart.title or ""),
             "svg": mark_safe(chart_draw.chart_svg(chart, chart_draw.chart_kinds(result, chart)))}
            for chart in report_charts(result)]


def _pdf_chart(chart, result: ReportResult, styles, font: str, width: float, landscape: bool) -> list:
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, Spacer

    from ioudesk.reports import chart_draw

    drawing = chart_draw.chart_drawing(chart, chart_draw.chart_kinds(result, chart), width=width,
                                       height=(62 if landscape else 72) * mm, font=font)
    parts = [Paragraph(escape(str(chart.title)), styles["caption"])] if chart.title else []
    return [KeepTogether([*parts, drawing, Spacer(1, 3 * mm)])]


# --- PDF -------------------------------------------------------------------------------------------------


def _pdf_table(table: Table, rows: list[dict], styles, font: str, width: float, more: int):
    from reportlab.lib.units import mm
    from reportlab.platypus import CondPageBreak, Paragraph, TableStyle
    from reportlab.platypus import Table as PdfTable

    from ioudesk.documents import pdf as docpdf

    numeric = {i for i, c in enumerate(table.columns) if c.kind in ("money", "int", "percent", "rate")}
    dates = {i for i, c in enumerate(table.columns) if c.kind == "date"}
    labels = [running.column_label(c) for c in table.columns]
    header = [Paragraph(escape(label), styles["head"]) for label in labels]
    data = [header]
    lengths = [max(min(_width(label), 12), 5) for label in labels]
    for row in rows:
        line = []
        for i, column in enumerate(table.columns):
            text = running.cell_text(row.get(column.key), column.kind)
            lengths[i] = max(lengths[i], _width(text) if i in numeric or i in dates else min(_width(text), 28))
            line.append(text if i in numeric or i in dates else Paragraph(escape(text), styles["cell"]))
        data.append(line)
    if not rows:
        data.append([Paragraph(escape(_("没有符合条件的数据。")), styles["cell"])] + [""] * (len(table.columns) - 1))
    if table.totals is not None and rows:
        total = []
        for i, column in enumerate(table.columns):
            value = table.totals.get(column.key)
            text = running.cell_text(value, column.kind) if column.key in table.totals else ""
            if i == 0 and not text:
                text = _("合计")
            total.append(text)
        data.append(total)
    widths = _column_widths(lengths, numeric | dates, width)
    pdf_table = PdfTable(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    commands = [
        ("FONT", (0, 0), (-1, -1), font, 8),
        ("TEXTCOLOR", (0, 0), (-1, -1), docpdf.INK),
        ("GRID", (0, 0), (-1, -1), 0.4, docpdf.RULE),
        ("BACKGROUND", (0, 0), (-1, 0), docpdf.HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    for column in numeric:
        commands.append(("ALIGN", (column, 1), (column, -1), "RIGHT"))
    if table.totals is not None and rows:
        commands.append(("BACKGROUND", (0, -1), (-1, -1), docpdf.TOTAL_FILL))
    if not rows:
        commands.append(("SPAN", (0, 1), (-1, 1)))
    pdf_table.setStyle(TableStyle(commands))
    flowables = [CondPageBreak(25 * mm)]  # a caption and its first rows together, without pushing a long table over
    if table.title:
        flowables.append(Paragraph(escape(str(table.title)), styles["caption"]))
    flowables.append(pdf_table)
    if more:
        flowables.append(Paragraph(escape(_("本表共 %(total)d 行，PDF 只列出前 %(shown)d 行；完整明细请导出 Excel。") % {
            "total": len(rows) + more, "shown": len(rows)}), styles["note"]))
    return flowables


def _column_widths(lengths: list[int], unwrapped: set[int], width: float) -> list[float]:
    """Points per column: numbers and dates (never wrapped) at their widest text, the text columns sharing
    what is left in proportion to their text; all scaled down only when the numbers alone do not fit."""
    unit, padding = 4.3, 7  # an 8 pt font: a half-width character ≈ 4.3 pt; cell padding both sides
    natural = [length * unit + padding for length in lengths]
    fixed = sum(natural[i] for i in unwrapped)
    wrapped = [i for i in range(len(lengths)) if i not in unwrapped]
    wanted = sum(natural[i] for i in wrapped)
    if fixed + wanted <= width or not wrapped:
        extra = (width - fixed - wanted) / (len(wrapped) or len(lengths))
        return [natural[i] + extra if (i in wrapped or not wrapped) else natural[i] for i in range(len(lengths))]
    room = width - fixed
    if room < len(wrapped) * 30:  # the numbers leave too little: everything shrinks together
        scale = width / (fixed + wanted)
        return [w * scale for w in natural]
    return [natural[i] if i in unwrapped else natural[i] * room / wanted for i in range(len(lengths))]


def _width(text: str) -> int:
    """How wide a text prints, in half-width units: a Chinese character is two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _first_rows(rows: Iterable[dict], limit: int) -> tuple[list[dict], int]:
    """At most `limit` rows, and how many more there were (counted, not kept)."""
    kept, more = [], 0
    for row in rows:
        if len(kept) < limit:
            kept.append(row)
        else:
            more += 1
    return kept, more


def render_pdf(result: ReportResult, spec: ReportSpec, params, *, user=None) -> bytes:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    from ioudesk.documents import pdf as docpdf

    font = docpdf.font_name()
    page_size = landscape(A4) if spec.landscape else A4
    page_width, page_height = page_size
    margin_x, margin_top, margin_bottom = 14 * mm, 22 * mm, 16 * mm
    width = page_width - 2 * margin_x
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=13, textColor=docpdf.INK, wordWrap="CJK")
    styles = {
        "title": ParagraphStyle("title", parent=base, fontSize=16, leading=22, alignment=1, spaceAfter=2),
        "conditions": ParagraphStyle("conditions", parent=base, fontSize=8.5, leading=12, alignment=1,
                                     textColor=docpdf.MUTED, spaceAfter=6),
        "figures": ParagraphStyle("figures", parent=base, fontSize=9.5, leading=15, spaceAfter=6),
        "caption": ParagraphStyle("caption", parent=base, fontSize=10, leading=15, spaceBefore=6, spaceAfter=3),
        "head": ParagraphStyle("head", parent=base, fontSize=8, leading=10, alignment=1),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "note": ParagraphStyle("note", parent=base, fontSize=8, leading=11, textColor=docpdf.MUTED, spaceBefore=3),
    }
    title = _title(result, spec)
    organisation = _organisation_name()
    as_of = _("数据日期 %(day)s") % {"day": _as_of(result).isoformat()}
    printed = _("生成时间 %(time)s") % {"time": timezone.localtime(timezone.now()).strftime("%Y-%m-%d %H:%M")}

    story: list = [Paragraph(escape(title), styles["title"])]
    described = running.params_describe(spec, params)
    conditions = [_("%(label)s：%(value)s") % {"label": label, "value": text} for label, text in described]
    if all(label != _("数据日期") for label, _text in described):
        conditions.append(as_of)
    story.append(Paragraph(escape("　".join(conditions)), styles["conditions"]))
    source = running.source_text(result)
    if source:
        story.append(Paragraph(escape(source), styles["note"]))
    if result.figures:
        story.append(Paragraph("　".join(f"{escape(str(f.label))} <b>{escape(running.figure_text(f.value, f.kind))}</b>"
                                        for f in result.figures), styles["figures"]))
    for chart in report_charts(result):
        story += _pdf_chart(chart, result, styles, font, width, spec.landscape)
    for index, table in enumerate(result.tables):
        if index == 0 and spec.paginated and result.rows_total is not None:
            kept = list(islice(all_rows(result, spec, params, user), PDF_ROWS))
            more = max(result.rows_total - len(kept), 0)
        else:
            kept, more = _first_rows(table.rows, PDF_ROWS)
        story += _pdf_table(table, kept, styles, font, width, more)
        story.append(Spacer(1, 3 * mm))
    for note in result.notes:
        story.append(Paragraph(escape(str(note)), styles["note"]))

    def decorate(canvas, doc):
        canvas.saveState()
        top = page_height - 10 * mm
        canvas.setFont(font, 9)
        canvas.setFillColor(docpdf.MUTED)
        canvas.drawString(margin_x, top, organisation)
        canvas.drawRightString(page_width - margin_x, top, f"{title}　{as_of}")
        canvas.setStrokeColor(docpdf.RULE)
        canvas.setLineWidth(0.5)
        canvas.line(margin_x, top - 3, page_width - margin_x, top - 3)
        canvas.line(margin_x, margin_bottom - 5 * mm, page_width - margin_x, margin_bottom - 5 * mm)
        canvas.setFont(font, 8)
        canvas.drawString(margin_x, margin_bottom - 9 * mm, printed)
        canvas.restoreState()

    class NumberedCanvas(Canvas):
        """第 n 页 / 共 m 页 at the foot: pages are kept until the total is known."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.saveState()
                self.setFont(font, 8)
                self.setFillColor(docpdf.MUTED)
                self.drawRightString(page_width - margin_x, margin_bottom - 9 * mm,
                                     _("第 %(page)d 页 / 共 %(total)d 页") % {"page": number, "total": total})
                self.restoreState()
                super().showPage()
            super().save()

    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=page_size, leftMargin=margin_x, rightMargin=margin_x,
                            topMargin=margin_top, bottomMargin=margin_bottom, title=title, author=organisation,
                            subject=title, creator="IOU Desk 欠条管家", initialFontName=font)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate, canvasmaker=NumberedCanvas)
    return buffer.getvalue()
