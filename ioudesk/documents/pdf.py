"""Drawing a document as a PDF with reportlab's platypus: A4, the organisation's header, the title,
the template's paragraphs, the tables, the signature block and a footer with the document number
and the time it was generated.

The Chinese font is a TrueType font embedded as a subset (STACK-NOTES.md, "PDF with Chinese"):
``settings.IOUDESK_PDF_FONT``, by default Debian's fonts-wqy-microhei. reportlab's built-in
STSong-Light is not embedded (viewers without a Chinese font show boxes), and the Noto CJK .ttc
files have PostScript outlines reportlab cannot read, so neither is used.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime
from io import BytesIO
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib import textsplit as rl_textsplit
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable
from reportlab.platypus import paragraph as rl_paragraph

from ioudesk.core.errors import ApplicationError
from ioudesk.documents.context import DocumentData, Table
from ioudesk.documents.templating import lines, paragraphs

DEFAULT_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 22 * mm
MARGIN_TOP = 30 * mm
MARGIN_BOTTOM = 22 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
INK = colors.HexColor("#1f2937")
MUTED = colors.HexColor("#6b7280")
ACCENT = colors.HexColor("#9f1239")
RULE = colors.HexColor("#9ca3af")
HEADER_FILL = colors.HexColor("#eef0f4")
TOTAL_FILL = colors.HexColor("#f7f7f8")


# reportlab's CJK line breaking keeps some punctuation from starting a line (。、）」 …) but not the
# full-width ，；：！？” of Chinese text; add them, so a line never starts with a comma.
_CANNOT_START = "\uff0c\uff1b\uff1a\uff01\uff1f\u201d\u2019\u300b\u3009"
for _module in (rl_paragraph, rl_textsplit):
    _module.ALL_CANNOT_START += "".join(c for c in _CANNOT_START if c not in _module.ALL_CANNOT_START)


class FontMissing(ApplicationError):
    code = "pdf_font_missing"


_fonts: dict[str, str] = {}
_fonts_lock = threading.Lock()


def font_path() -> str:
    return getattr(settings, "IOUDESK_PDF_FONT", DEFAULT_FONT) or DEFAULT_FONT


def font_name() -> str:
    """Register the configured TrueType font once per path; a clear error when it is missing."""
    path = font_path()
    with _fonts_lock:
        if path in _fonts:
            return _fonts[path]
        if not os.path.isfile(path):
            raise FontMissing(_(
                "找不到生成PDF所需的中文字体文件 %(path)s。请安装 Debian 软件包 fonts-wqy-microhei"
                "（apt-get install fonts-wqy-microhei），或用环境变量 IOUDESK_PDF_FONT 指向一个 TrueType 中文字体"
                "（如 wqy-microhei.ttc、wqy-zenhei.ttc）。") % {"path": path})
        name = f"IoudeskCJK{len(_fonts)}"
        try:
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
        except Exception as error:  # reportlab raises TTFError and others for unusable files
            raise FontMissing(_(
                "中文字体文件 %(path)s 无法用于生成PDF（%(detail)s）。请改用 fonts-wqy-microhei 的 wqy-microhei.ttc；"
                "Noto CJK 等 PostScript 轮廓字体不受支持。") % {"path": path, "detail": error}) from error
        _fonts[path] = name
        return name


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=11.5, leading=20, textColor=INK, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=24, leading=32, alignment=TA_CENTER, spaceAfter=4),
        "number": ParagraphStyle("number", parent=base, fontSize=9.5, leading=14, alignment=TA_RIGHT,
                                 textColor=MUTED, spaceAfter=10),
        "body": ParagraphStyle("body", parent=base, firstLineIndent=23, spaceAfter=5, alignment=TA_LEFT),
        "caption": ParagraphStyle("caption", parent=base, fontSize=10.5, leading=16, spaceBefore=8, spaceAfter=4,
                                  keepWithNext=1),  # never a caption alone at the foot of a page
        "note": ParagraphStyle("note", parent=base, fontSize=8.5, leading=12, textColor=MUTED, spaceBefore=3),
        "notice": ParagraphStyle("notice", parent=base, fontSize=10, leading=15, textColor=ACCENT, borderColor=ACCENT,
                                 borderWidth=0.8, borderPadding=5, spaceBefore=2, spaceAfter=12),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9.5, leading=13),
        "closing": ParagraphStyle("closing", parent=base, leading=26, leftIndent=64 * mm),
    }


def _spaced_title(title: str) -> str:
    """Short titles are spread out as on paper forms: 借条 → 借　　条.

    >>> _spaced_title("借条"), _spaced_title("结清证明")
    ('借\\u3000\\u3000条', '结\\u2002清\\u2002证\\u2002明')
    """
    if len(title) == 2:
        return title[0] + "\u3000\u3000" + title[1]
    if len(title) <= 5:
        return "\u2002".join(title)
    return title


def _markup(text: str) -> str:
    """Plain text to reportlab paragraph markup: escaped, line breaks kept."""
    return escape(text).replace("\n", "<br/>")


def _table(table: Table, styles, font: str) -> list:
    flowables = []
    if table.caption:
        flowables.append(Paragraph(_markup(table.caption), styles["caption"]))
    columns = len(table.header)
    data = [table.header]
    for row in table.rows:
        data.append([cell if i in table.numeric_columns else Paragraph(_markup(cell), styles["cell"])
                     for i, cell in enumerate(row)])
    if table.total:
        data.append(table.total)
    if columns == 2:
        widths = [CONTENT_WIDTH * 0.4, CONTENT_WIDTH * 0.6]
    elif not table.numeric_columns:
        widths = [CONTENT_WIDTH / columns] * columns
    else:
        first = CONTENT_WIDTH * 0.14
        widths = [first] + [(CONTENT_WIDTH - first) / (columns - 1)] * (columns - 1)
    pdf_table = PdfTable(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    commands = [
        ("FONT", (0, 0), (-1, -1), font, 9.5),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("GRID", (0, 0), (-1, -1), 0.5, RULE),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    for column in table.numeric_columns:
        commands.append(("ALIGN", (column, 1), (column, -1), "RIGHT"))
    if table.total:
        commands.append(("BACKGROUND", (0, -1), (-1, -1), TOTAL_FILL))
    pdf_table.setStyle(TableStyle(commands))
    flowables.append(pdf_table)
    if table.note:
        flowables.append(Paragraph(_markup(table.note), styles["note"]))
    return flowables


def render(*, title: str, body: str, closing: str, data: DocumentData, organisation, printed_by: str = "",
           generated_at: datetime | None = None) -> bytes:
    """The PDF bytes of one document. ``body`` and ``closing`` are the rendered template texts."""
    font = font_name()
    styles = _styles(font)
    generated_at = timezone.localtime(generated_at or timezone.now())
    logo = organisation.logo_text or organisation.short_name or organisation.name
    footer = _("单据编号：%(number)s　　生成时间：%(time)s") % {
        "number": data.number, "time": generated_at.strftime("%Y-%m-%d %H:%M")}
    if printed_by:
        footer += _("　　打印人：%(user)s") % {"user": printed_by}

    def decorate(canvas, doc):
        canvas.saveState()
        top = PAGE_HEIGHT - 14 * mm
        canvas.setFillColor(ACCENT)
        canvas.setFont(font, 15)
        canvas.drawString(MARGIN_X, top - 4, logo)
        canvas.setFillColor(MUTED)
        canvas.setFont(font, 9.5)
        canvas.drawRightString(PAGE_WIDTH - MARGIN_X, top - 3, organisation.name)
        canvas.setStrokeColor(ACCENT)
        canvas.setLineWidth(1.2)
        canvas.line(MARGIN_X, top - 10, PAGE_WIDTH - MARGIN_X, top - 10)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN_X, MARGIN_BOTTOM - 6 * mm, PAGE_WIDTH - MARGIN_X, MARGIN_BOTTOM - 6 * mm)
        canvas.setFont(font, 8)
        canvas.drawString(MARGIN_X, MARGIN_BOTTOM - 10 * mm, footer)
        if data.watermark:
            canvas.setFillColor(colors.Color(0.6, 0.6, 0.6, alpha=0.18))
            canvas.setFont(font, 110)
            canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
            canvas.rotate(35)
            canvas.drawCentredString(0, -40, data.watermark)
        canvas.restoreState()

    story: list = [Paragraph(_markup(_spaced_title(title)), styles["title"]),
                   Paragraph(_markup(_("编号：%(number)s") % {"number": data.number}), styles["number"])]
    if data.notice:
        story.append(Paragraph(_markup(data.notice), styles["notice"]))
    story += [Paragraph(_markup(text), styles["body"]) for text in paragraphs(body)]
    tables = [flowable for table in data.tables for flowable in _table(table, styles, font)]
    closing_lines = lines(closing)
    signatures = []
    if closing_lines:
        signatures = [Spacer(1, 8 * mm),
                      KeepTogether([Paragraph(_markup(line), styles["closing"]) for line in closing_lines])]
    if data.tables_after_closing:
        # A 借条 is signed right under its terms; the schedule follows as an attachment (附).
        story += signatures + [Spacer(1, 6 * mm)] + tables
    else:
        story += tables + signatures

    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM, title=f"{data.number} {title}", author=organisation.name, subject=title,
        creator="IOU Desk 欠条管家", initialFontName=font, initialFontSize=11.5,
    )
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate, canvasmaker=_numbered_canvas(font))
    return buffer.getvalue()


def _numbered_canvas(font: str):
    """A canvas that prints "第 1 页 / 共 2 页" in the footer: a multi-page 借条 shows that a page is
    missing. Pages are kept until the end, when their total is known."""

    class NumberedCanvas(Canvas):
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
                self.setFillColor(MUTED)
                self.drawRightString(PAGE_WIDTH - MARGIN_X, MARGIN_BOTTOM - 10 * mm,
                                     _("第 %(page)d 页 / 共 %(total)d 页") % {"page": number, "total": total})
                self.restoreState()
                super().showPage()
            super().save()

    return NumberedCanvas
