"""Bank and payment-platform statement files (银行流水、支付宝/微信账单) read into lines.

``parse(data, filename=, bank=None, mapping=None) -> ParsedStatement``: the file's rows
(reading.py: .xlsx, or .csv in UTF-8±BOM/GB18030/GBK), the layout (detect.py: from the header
row; or the bank the user chose; or a saved column mapping, mapping.py), the account and period
from the rows above the header, and the lines below it (base.read_lines). One module per layout
describes it (icbc, ccb, abc, boc, cmb, bocom, alipay, wechat). docs/domain.md §26.

Nothing here touches the database; ``ioudesk.receivables.bankimport`` stores and imports.
"""

from __future__ import annotations

from django.utils.translation import gettext as _g

from ioudesk.core.errors import ValidationFailed
from ioudesk.receivables.bankfiles import abc, alipay, boc, bocom, ccb, cmb, icbc, wechat
from ioudesk.receivables.bankfiles.base import (
    IN,
    OUT,
    Layout,
    ParsedLine,
    ParsedStatement,
    read_lines,
    read_preamble,
)
from ioudesk.receivables.bankfiles.detect import detect, find_header, header_candidate, unknown_layout
from ioudesk.receivables.bankfiles.mapping import layout_from_columns, layout_from_mapping
from ioudesk.receivables.bankfiles.reading import read_rows

# order matters only where two signatures could both fit: the more specific first
LAYOUTS: list[Layout] = [boc.LAYOUT, icbc.LAYOUT, ccb.LAYOUT, cmb.LAYOUT, abc.LAYOUT, bocom.LAYOUT,
                         alipay.LAYOUT, alipay.WEB_LAYOUT, wechat.LAYOUT]
BANK_CODES = ("icbc", "ccb", "abc", "boc", "cmb", "bocom", "alipay", "wechat")


def layouts_for(bank: str) -> list[Layout]:
    found = [layout for layout in LAYOUTS if layout.code == bank]
    if not found:
        raise ValidationFailed(_g("不支持的银行/渠道：%(bank)s") % {"bank": bank}, code="statement_bank_unknown",
                               extra={"field": "bank"})
    return found


def parse_rows(rows: list[list], *, bank: str | None = None, layout: Layout | None = None) -> ParsedStatement:
    if layout is not None:
        header_row = find_header(rows, layout)
    elif bank:
        candidates = layouts_for(bank)
        try:
            layout, header_row = detect(rows, candidates)
        except ValidationFailed:
            layout = candidates[0]
            header_row = find_header(rows, layout)
    else:
        layout, header_row = detect(rows, LAYOUTS)
    lines, skipped = read_lines(layout, rows, header_row, date_format=layout.date_format)
    account, period_from, period_to = read_preamble(rows, header_row)
    if lines and period_from is None:
        period_from = min(line.day for line in lines)
    if lines and period_to is None:
        period_to = max(line.day for line in lines)
    if period_from and period_to and period_to < period_from:
        period_from, period_to = period_to, period_from
    return ParsedStatement(bank=layout.code, account_number=account, period_from=period_from, period_to=period_to,
                           lines=lines, header_row=header_row + 1, skipped=skipped)


def parse(data: bytes, *, filename: str = "", bank: str | None = None, mapping=None) -> ParsedStatement:
    """Read a statement file. ``bank``: a ``models.Bank`` value the user chose (else detected);
    ``mapping``: a ``ColumnMapping`` (or its columns as a dict) for a layout the product does not
    know. Refusals are ``ValidationFailed`` with a message that says what to do."""
    rows = read_rows(data, filename)
    if mapping is not None:
        layout = layout_from_columns(mapping) if isinstance(mapping, dict) else layout_from_mapping(mapping)
        return parse_rows(rows, layout=layout)
    if bank == "mapped":
        raise ValidationFailed(_g("请选择或新建一个列对应。"), code="mapping_required", extra={"field": "mapping"})
    return parse_rows(rows, bank=bank or None)


def header_of(data: bytes, *, filename: str = "") -> tuple[int | None, list[str]]:
    """The row that looks like the header (1-based) and its cells: for the column-mapping form."""
    rows = read_rows(data, filename)
    index, cells = header_candidate(rows, LAYOUTS)
    return (index + 1 if index is not None else None), cells


__all__ = ["BANK_CODES", "IN", "LAYOUTS", "OUT", "Layout", "ParsedLine", "ParsedStatement", "header_of",
           "layout_from_columns", "layout_from_mapping", "layouts_for", "parse", "parse_rows", "unknown_layout"]
