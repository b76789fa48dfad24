"""The documents of a statement of account: the 对账单 as PDF and .xlsx, and the confirmation letter
(往来款项询证函) with its reply slip (回执), drawn from the statement's frozen figures.

The 询证函 follows the usual Chinese wording of a positive confirmation (积极式询证函; the sample
letters of 中国注册会计师审计准则第1312号——函证 and its application guide, which companies also use
for their own 对账): the balances as at the cut-off date, "本函仅为复核账目之用，并非催款结算", and a
reply slip with two answers — 信息证明无误 / 信息不符，请列明不符项目及具体内容 — each with a seal,
the signatory and the date. PDFs use reportlab with the embedded TrueType font of
``ioudesk.documents.pdf`` (WenQuanYi Micro Hei), so they render on any viewer.
"""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ioudesk.calc.money import ZERO, format_yuan
from ioudesk.core.xlsx import MONEY_FORMAT, build_workbook
from ioudesk.documents import pdf
from ioudesk.receivables.models import Direction

WIDTH = pdf.CONTENT_WIDTH


def _money(amount) -> str:
    return format_yuan(amount, symbol="") if amount is not None else ""


def _yuan(amount) -> str:
    return format_yuan(amount)


def _organisation():
    from ioudesk.core.services import organisation_current

    return organisation_current()


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=10.5, leading=17, textColor=pdf.INK, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=21, leading=30, alignment=TA_CENTER, spaceAfter=2),
        "number": ParagraphStyle("number", parent=base, fontSize=9, leading=13, alignment=TA_RIGHT,
                                 textColor=pdf.MUTED, spaceAfter=6),
        "body": ParagraphStyle("body", parent=base, firstLineIndent=21, spaceAfter=4),
        "plain": ParagraphStyle("plain", parent=base, spaceAfter=3),
        "caption": ParagraphStyle("caption", parent=base, fontSize=10.5, leading=15, spaceBefore=8, spaceAfter=3,
                                  keepWithNext=1),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11),
        "cellr": ParagraphStyle("cellr", parent=base, fontSize=8.5, leading=11, alignment=TA_RIGHT),
        "note": ParagraphStyle("note", parent=base, fontSize=8.5, leading=12, textColor=pdf.MUTED, spaceBefore=3),
        "sign": ParagraphStyle("sign", parent=base, leading=22, leftIndent=WIDTH * 0.55),
        "cut": ParagraphStyle("cut", parent=base, fontSize=9, leading=13, alignment=TA_CENTER, textColor=pdf.MUTED,
                              spaceBefore=10, spaceAfter=6),
        "slip": ParagraphStyle("slip", parent=base, fontSize=10, leading=16),
    }


def _p(text: str, style) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _grid(rows: list[list], widths: list[float], font: str, *, numeric: tuple[int, ...] = (), total: bool = False,
          styles=None, row_height=None) -> Table:
    """A table: the first row the header; text cells wrap, numeric columns right-aligned."""
    data = []
    for index, row in enumerate(rows):
        if index == 0:
            data.append([_p(cell, styles["cell"]) for cell in row])
            continue
        data.append([_p(cell, styles["cellr"] if column in numeric else styles["cell"])
                     for column, cell in enumerate(row)])
    heights = None if row_height is None else [None] + [row_height] * (len(data) - 1)
    table = Table(data, colWidths=widths, rowHeights=heights, repeatRows=1, hAlign="LEFT")
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.5, pdf.RULE),
        ("BACKGROUND", (0, 0), (-1, 0), pdf.HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if total:
        commands.append(("BACKGROUND", (0, -1), (-1, -1), pdf.TOTAL_FILL))
    table.setStyle(TableStyle(commands))
    return table


def _build(*, title: str, number: str, story: list, font: str, printed_by: str = "") -> bytes:
    organisation = _organisation()
    logo = organisation.logo_text or organisation.short_name or organisation.name
    generated = timezone.localtime(timezone.now())
    footer = _("单据编号：%(number)s　　生成时间：%(time)s") % {"number": number, "time": generated.strftime("%Y-%m-%d %H:%M")}
    if printed_by:
        footer += _("　　打印人：%(user)s") % {"user": printed_by}

    def decorate(canvas, doc):
        canvas.saveState()
        top = pdf.PAGE_HEIGHT - 14 * mm
        canvas.setFillColor(pdf.ACCENT)
        canvas.setFont(font, 15)
        canvas.drawString(pdf.MARGIN_X, top - 4, logo)
        canvas.setFillColor(pdf.MUTED)
        canvas.setFont(font, 9.5)
        canvas.drawRightString(pdf.PAGE_WIDTH - pdf.MARGIN_X, top - 3, organisation.name)
        canvas.setStrokeColor(pdf.ACCENT)
        canvas.setLineWidth(1.2)
        canvas.line(pdf.MARGIN_X, top - 10, pdf.PAGE_WIDTH - pdf.MARGIN_X, top - 10)
        canvas.setStrokeColor(pdf.RULE)
        canvas.setLineWidth(0.4)
        canvas.line(pdf.MARGIN_X, pdf.MARGIN_BOTTOM - 6 * mm, pdf.PAGE_WIDTH - pdf.MARGIN_X, pdf.MARGIN_BOTTOM - 6 * mm)
        canvas.setFont(font, 8)
        canvas.drawString(pdf.MARGIN_X, pdf.MARGIN_BOTTOM - 10 * mm, footer)
        canvas.drawRightString(pdf.PAGE_WIDTH - pdf.MARGIN_X, pdf.MARGIN_BOTTOM - 10 * mm,
                               _("第 %(page)d 页") % {"page": doc.page})
        canvas.restoreState()

    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=pdf.MARGIN_X, rightMargin=pdf.MARGIN_X,
                            topMargin=pdf.MARGIN_TOP - 4 * mm, bottomMargin=pdf.MARGIN_BOTTOM,
                            title=f"{number} {title}", author=organisation.name, subject=title,
                            creator="IOU Desk 欠条管家", initialFontName=font)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


def _labels(figures) -> dict:
    receivable = figures.direction == Direction.RECEIVABLE
    return {
        "kind": _("应收") if receivable else _("应付"),
        "billed": _("本期应收") if receivable else _("本期应付"),
        "received": _("本期收款") if receivable else _("本期付款"),
        "bills_open": _("应收账款余额") if receivable else _("应付账款余额"),
        "unmatched": _("未核销收款（预收）") if receivable else _("未核销付款（预付）"),
        "closing_text": _("贵单位尚欠我单位") if receivable else _("我单位尚欠贵单位"),
    }


# --- 对账单 -------------------------------------------------------------------------------------------


def _period(figures) -> str:
    return _("%(a)s 至 %(b)s") % {"a": figures.period_from.isoformat(), "b": figures.period_to.isoformat()}


def statement_document(statement, figures, *, printed_by: str = "") -> bytes:
    font = pdf.font_name()
    styles = _styles(font)
    organisation = _organisation()
    labels = _labels(figures)
    period = _period(figures)
    story: list = [
        _p(_("往来对账单"), styles["title"]),
        _p(_("编号：%(number)s") % {"number": statement.number}, styles["number"]),
        _grid([[_("往来单位"), f"{figures.customer_name}（{figures.customer_number}）", _("对账期间"), period],
               [_("对账方向"), labels["kind"], _("出具日期"), _issued_on(statement)],
               [_("出具单位"), organisation.name, _("币种"), _("人民币（元）")]],
              [WIDTH * 0.14, WIDTH * 0.40, WIDTH * 0.14, WIDTH * 0.32], font, styles=styles),
        Spacer(1, 3 * mm),
        _p(_("一、余额汇总"), styles["caption"]),
        _grid([[_("期初余额"), labels["billed"], _("本期红冲"), _("本期调整"), labels["received"], _("期末余额")],
               [_money(figures.opening), _money(figures.billed), _money(figures.credited), _money(figures.adjusted),
                _money(figures.received), _money(figures.closing)]],
              [WIDTH / 6] * 6, font, numeric=(0, 1, 2, 3, 4, 5), styles=styles),
        _p(_("期末余额 = 期初余额 + 本期发生 − 本期红冲 ± 本期调整 − 本期收付款；其中%(a)s ¥%(x)s，%(b)s ¥%(y)s。") % {
            "a": labels["bills_open"], "x": _money(figures.bills_open), "b": labels["unmatched"],
            "y": _money(figures.unmatched)}, styles["note"]),
        _p(_("二、本期明细"), styles["caption"]),
    ]
    rows = [[_("日期"), _("业务"), _("单号"), _("摘要"), _("增加"), _("减少"), _("余额")],
            [figures.period_from.isoformat(), _("期初余额"), "", "", "", "", _money(figures.opening)]]
    for m in figures.movements:
        rows.append([m.day.isoformat(), m.label, m.document, m.memo, _money(m.increase), _money(m.decrease),
                     _money(m.balance)])
    increases = sum((m.amount for m in figures.movements if m.amount > 0), ZERO)
    decreases = -sum((m.amount for m in figures.movements if m.amount < 0), ZERO)
    rows.append([figures.period_to.isoformat(), _("本期合计"), "", "", _money(increases), _money(decreases),
                 _money(figures.closing)])
    story.append(_grid(rows, [WIDTH * w for w in (0.11, 0.10, 0.22, 0.21, 0.12, 0.12, 0.12)], font,
                       numeric=(4, 5, 6), total=True, styles=styles))
    if figures.matches:
        story.append(_p(_("三、本期核销明细（不影响余额）"), styles["caption"]))
        match_rows = [[_("日期"), _("凭证号"), _("收付款单号"), _("核销单据"), _("核销金额")]]
        match_rows += [[m.day.isoformat(), m.entry, m.receipt, m.bill, _money(m.amount)] for m in figures.matches]
        story.append(_grid(match_rows, [WIDTH * w for w in (0.14, 0.2, 0.24, 0.24, 0.18)], font, numeric=(4,),
                           styles=styles))
    story.append(_p(_("四、截至 %(day)s 未结清单据及账龄") % {"day": figures.period_to.isoformat()}, styles["caption"]))
    if figures.open_items:
        open_rows = [[_("单号"), _("单据日期"), _("到期日"), _("逾期天数"), _("账龄"), _("未结金额")]]
        for item in figures.open_items:
            label = str(dict((k, lbl) for k, lbl, _a in figures.aging_rows)[item.bucket])
            open_rows.append([item.bill + (_("（有争议）") if item.disputed else ""), item.bill_date.isoformat(),
                              item.due_date.isoformat(), str(item.days_overdue), label, _money(item.open)])
        open_rows.append([_("合计"), "", "", "", "", _money(figures.bills_open)])
        story.append(_grid(open_rows, [WIDTH * w for w in (0.26, 0.14, 0.14, 0.12, 0.14, 0.20)], font,
                           numeric=(3, 5), total=True, styles=styles))
    else:
        story.append(_p(_("无未结清单据。"), styles["plain"]))
    aging_header = [label for _k, label, _a in figures.aging_rows] + [_("合计")]
    aging_values = [_money(amount) for _k, _l, amount in figures.aging_rows] + [_money(figures.bills_open)]
    story.append(Spacer(1, 2 * mm))
    story.append(_grid([aging_header, aging_values], [WIDTH / len(aging_header)] * len(aging_header), font,
                       numeric=tuple(range(len(aging_header))), styles=styles))
    if figures.open_receipts:
        story.append(_p(_("五、未核销的收付款"), styles["caption"]))
        receipt_rows = [[_("收付款单号"), _("日期"), _("金额"), _("未核销金额")]]
        receipt_rows += [[r.number, r.day.isoformat(), _money(r.amount), _money(r.unmatched)] for r in figures.open_receipts]
        receipt_rows.append([_("合计"), "", "", _money(figures.unmatched)])
        story.append(_grid(receipt_rows, [WIDTH * w for w in (0.34, 0.2, 0.23, 0.23)], font, numeric=(2, 3), total=True,
                           styles=styles))
    closing = figures.closing
    story += [
        Spacer(1, 4 * mm),
        _p(_("截至 %(day)s，%(who)s ¥%(amount)s（大写：%(words)s）。") % {
            "day": figures.period_to.isoformat(), "who": labels["closing_text"] if closing >= 0 else _("余额为负（多收/多付）"),
            "amount": _money(abs(closing)), "words": _words(abs(closing))}, styles["body"]),
        _p(_("请贵单位核对上述往来款项。如核对无误，请在随附的询证函回执上签章确认；如有不符，请列明不符项目及具体内容，"
             "并附相关单据，以便及时查明更正。"), styles["body"]),
        Spacer(1, 8 * mm),
        KeepTogether([_p(_("出具单位（盖章）：%(name)s") % {"name": organisation.name}, styles["sign"]),
                      _p(_("经办人：%(user)s") % {"user": _person(statement.issued_by)}, styles["sign"]),
                      _p(_("日期：%(day)s") % {"day": _issued_on(statement)},
                         styles["sign"])]),
    ]
    return _build(title=_("往来对账单"), number=statement.number, story=story, font=font, printed_by=printed_by)


def _issued_on(statement) -> str:
    """The business date the statement was issued on (its number's date), not the machine's clock."""
    return (statement.snapshot or {}).get("issued_on") or timezone.localtime(statement.issued_at).date().isoformat()


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def _words(amount) -> str:
    from ioudesk.calc.words import amount_in_words

    return amount_in_words(amount)


# --- 询证函 -------------------------------------------------------------------------------------------


def confirmation_document(statement, figures, *, printed_by: str = "") -> bytes:
    font = pdf.font_name()
    styles = _styles(font)
    organisation = _organisation()
    receivable = figures.direction == Direction.RECEIVABLE
    owes_us = figures.closing if receivable else ZERO
    we_owe = figures.closing if not receivable else ZERO
    if figures.closing < 0:  # paid more than billed: the other column
        owes_us, we_owe = (ZERO, -figures.closing) if receivable else (-figures.closing, ZERO)
    story: list = [
        _p(_("往来款项询证函"), styles["title"]),
        _p(_("编号：%(number)s") % {"number": statement.number}, styles["number"]),
        _p(_("致：%(name)s") % {"name": figures.customer_name}, styles["plain"]),
        _p(_("本公司与贵公司的往来账项列示如下，请核对。如与贵公司记录相符，请在本函下端“信息证明无误”处签章证明；"
             "如有不符，请在“信息不符”处列明不符项目及具体内容。回函请直接寄至本公司。"), styles["body"]),
        _p(_("回函地址：%(name)s　　　联系人：%(user)s　　　电话：________________") % {
            "name": organisation.name, "user": _person(statement.issued_by)}, styles["plain"]),
        _p(_("1. 本公司与贵公司的往来账项列示如下（单位：人民币元）："), styles["caption"]),
        _grid([[pgettext("往来", "截止日期"), _("贵公司欠本公司"), _("本公司欠贵公司"), _("备注")],
               [figures.period_to.isoformat(), _money(owes_us), _money(we_owe),
                _("期间 %(a)s 至 %(b)s 的对账单 %(n)s") % {"a": figures.period_from.isoformat(),
                                                         "b": figures.period_to.isoformat(), "n": statement.number}]],
              [WIDTH * 0.18, WIDTH * 0.22, WIDTH * 0.22, WIDTH * 0.38], font, numeric=(1, 2), styles=styles),
        _p(_("其中：%(a)s ¥%(x)s，%(b)s ¥%(y)s；未结清单据明细见附表。") % {
            "a": _labels(figures)["bills_open"], "x": _money(figures.bills_open), "b": _labels(figures)["unmatched"],
            "y": _money(figures.unmatched)}, styles["note"]),
        _p(_("2. 其他事项：无。"), styles["caption"]),
        _p(_("本函仅为复核账目之用，并非催款结算。若款项在上述日期之后已经付清，仍请及时函复为盼。"), styles["body"]),
        Spacer(1, 6 * mm),
        KeepTogether([_p(_("%(name)s（盖章）") % {"name": organisation.name}, styles["sign"]),
                      _p(_("%(day)s") % {"day": _issued_on(statement)},
                         styles["sign"])]),
        _p(_("-------------------------- 以下仅供被询证单位使用（回执），请沿此线剪下 --------------------------"),
           styles["cut"]),
        _p(_("回　执"), ParagraphStyle("slip_title", parent=styles["title"], fontSize=15, leading=22)),
        _p(_("%(org)s：") % {"org": organisation.name}, styles["plain"]),
        _p(_("贵公司编号为 %(n)s 的询证函已收悉，经核对，结论如下：") % {"n": statement.number}, styles["plain"]),
    ]
    seal = _("（被询证单位盖章）\n\n\n经办人：\n\n年　　月　　日")
    slip = Table([[_p(_("1. 信息证明无误。"), styles["slip"]),
                   _p(_("2. 信息不符，请列明不符项目及具体内容（如有漏列的往来款项，请一并列明）。"), styles["slip"])],
                  [_p(seal, styles["slip"]), _p(seal, styles["slip"])]],
                 colWidths=[WIDTH / 2, WIDTH / 2], rowHeights=[None, 48 * mm])
    slip.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.6, pdf.INK), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("VALIGN", (0, 1), (-1, 1), "BOTTOM"), ("TOPPADDING", (0, 0), (-1, -1), 5),
                              ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    story.append(slip)
    story.append(_p(_("不符项目（信息不符时填写）："), styles["caption"]))
    blank = [[_("单号"), _("本公司记录金额"), _("贵公司记录金额"), _("差异原因及说明")]] + [["", "", "", ""] for _n in range(4)]
    story.append(_grid(blank, [WIDTH * 0.24, WIDTH * 0.2, WIDTH * 0.2, WIDTH * 0.36], font, styles=styles,
                       row_height=8 * mm))
    if figures.open_items:
        story.append(_p(_("附表：截至 %(day)s 未结清单据明细") % {"day": figures.period_to.isoformat()}, styles["caption"]))
        rows = [[_("单号"), _("单据日期"), _("到期日"), _("未结金额")]]
        rows += [[i.bill, i.bill_date.isoformat(), i.due_date.isoformat(), _money(i.open)] for i in figures.open_items]
        rows.append([_("合计"), "", "", _money(figures.bills_open)])
        story.append(_grid(rows, [WIDTH * 0.34, WIDTH * 0.2, WIDTH * 0.2, WIDTH * 0.26], font, numeric=(3,), total=True,
                           styles=styles))
    return _build(title=_("往来款项询证函"), number=statement.number, story=story, font=font, printed_by=printed_by)


# --- .xlsx --------------------------------------------------------------------------------------------


def _sheet(workbook, title: str, headers: list[str], rows: list[list]) -> None:
    sheet = workbook.create_sheet(title[:31])
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EDE9FE")
        cell.alignment = Alignment(horizontal="center")
    widths = [len(str(h)) * 2 + 2 for h in headers]
    for row in rows:
        sheet.append(list(row))
        for index, value in enumerate(row):
            cell = sheet.cell(row=sheet.max_row, column=index + 1)
            if hasattr(value, "as_tuple"):  # Decimal
                cell.number_format = MONEY_FORMAT
            elif hasattr(value, "isoformat"):
                cell.number_format = "yyyy-mm-dd"
            widths[index] = max(widths[index], len(str(value)) + 2)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width, 50)
    sheet.freeze_panes = "A2"


def statement_workbook(statement, figures) -> bytes:
    labels = _labels(figures)
    notes = [
        (_("对账单号"), statement.number),
        (_("往来单位"), f"{figures.customer_name}（{figures.customer_number}）"),
        (_("对账期间"), _period(figures)),
        (_("对账方向"), labels["kind"]),
        (_("期初余额"), figures.opening), (labels["billed"], figures.billed), (_("本期红冲"), figures.credited),
        (_("本期调整"), figures.adjusted), (labels["received"], figures.received), (_("期末余额"), figures.closing),
        (labels["bills_open"], figures.bills_open), (labels["unmatched"], figures.unmatched),
    ]
    rows = [[figures.period_from, "", _("期初余额"), "", "", None, None, figures.opening]]
    rows += [[m.day, m.entry, m.label, m.document, m.memo, m.increase, m.decrease, m.balance] for m in figures.movements]
    rows.append([figures.period_to, "", _("期末余额"), "", "", None, None, figures.closing])
    workbook = build_workbook(title=_("往来对账单"), headers=[_("日期"), _("凭证号"), _("业务"), _("单号"), _("摘要"),
                                                             _("增加"), _("减少"), _("余额")],
                              rows=rows, notes=notes, money_columns={5, 6, 7}, sheet_name=_("对账单"))
    sheet = workbook.active
    for row in sheet.iter_rows(min_row=2, max_row=len(notes) + 1, min_col=2, max_col=2):
        for cell in row:
            if hasattr(cell.value, "as_tuple"):
                cell.number_format = MONEY_FORMAT
    _sheet(workbook, _("未结单据及账龄"), [_("单号"), _("单据日期"), _("到期日"), _("逾期天数"), _("账龄"), _("未结金额"),
                                       _("有争议")],
           [[i.bill, i.bill_date, i.due_date, i.days_overdue, dict((k, lbl) for k, lbl, _a in figures.aging_rows)[i.bucket],
             i.open, _("是") if i.disputed else ""] for i in figures.open_items]
           + [[_("合计"), None, None, None, None, figures.bills_open, ""]]
           + [[]] + [[label, None, None, None, None, amount, ""] for _k, label, amount in figures.aging_rows])
    _sheet(workbook, _("核销明细"), [_("日期"), _("凭证号"), _("收付款单号"), _("核销单据"), _("核销金额")],
           [[m.day, m.entry, m.receipt, m.bill, m.amount] for m in figures.matches])
    _sheet(workbook, _("未核销收付款"), [_("收付款单号"), _("日期"), _("金额"), _("未核销金额")],
           [[r.number, r.day, r.amount, r.unmatched] for r in figures.open_receipts])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
