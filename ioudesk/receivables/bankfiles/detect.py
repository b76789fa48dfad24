"""Which layout a file is in, told from its header row: the first of the top rows that holds
every column of a layout's ``signature``; when several layouts fit, the one whose columns the
row holds most of. A file that fits none is refused with what its most header-like row lacks."""

from __future__ import annotations

from django.utils.translation import gettext as _g

from ioudesk.core.errors import ValidationFailed
from ioudesk.receivables.bankfiles.base import (
    HEADER_SCAN_ROWS,
    Layout,
    describe_missing,
    header_index,
    missing_fields,
    norm_header,
)


def _signature_fits(layout: Layout, names: set[str]) -> bool:
    return all(norm_header(name) in names for name in layout.signature)


def detect(rows: list[list], layouts: list[Layout]) -> tuple[Layout, int]:
    """(layout, header row index) of the first fitting row."""
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        names = {norm_header(cell) for cell in row if norm_header(cell)}
        if len(names) < 3:
            continue
        fitting = [layout for layout in layouts if _signature_fits(layout, names)]
        if fitting:
            best = max(fitting, key=lambda layout: len(header_index(layout, row)))
            return best, index
    raise unknown_layout(rows, layouts)


def find_header(rows: list[list], layout: Layout) -> int:
    """The header row of a file said to be in ``layout`` (the user chose the bank, or a saved
    column mapping): the first top row holding every column the layout needs; else a refusal
    naming the columns that this export has and the file lacks."""
    best_found: dict = {}
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        found = header_index(layout, row)
        if found and not missing_fields(layout, found):
            return index
        if len(found) > len(best_found):
            best_found = found
    described = describe_missing(layout, missing_fields(layout, best_found))
    raise ValidationFailed(
        _g("文件不是%(bank)s的账户明细格式：缺少%(columns)s列。请确认选择的银行，或改用“自定义列对应”导入。") % {
            "bank": layout.label, "columns": described},
        code="statement_layout_mismatch", extra={"field": "bank", "details": [{"field": "bank", "message": described}]})


def header_candidate(rows: list[list], layouts: list[Layout]) -> tuple[int | None, list[str]]:
    """The row most like a header (most cells that some layout knows, else the first row with
    many filled text cells) and its cells: what the column-mapping form offers."""
    known = {norm_header(name) for layout in layouts for names in layout.all_columns().values() for name in names}
    best_index, best_score = None, 0
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        names = [norm_header(c) for c in row]
        score = sum(1 for n in names if n in known) * 10 + sum(1 for n in names if n and not n[0].isdigit())
        filled = sum(1 for n in names if n)
        if filled >= 3 and score > best_score:
            best_index, best_score = index, score
    if best_index is None:
        return None, []
    return best_index, [str(c).strip() if c is not None else "" for c in rows[best_index]]


def unknown_layout(rows: list[list], layouts: list[Layout]) -> ValidationFailed:
    """The refusal of a file no layout fits: which row looked like the header, and which of the
    needed columns (交易日期, 金额 …) it lacks for the layout it came closest to."""
    index, cells = header_candidate(rows, layouts)
    if index is None:
        return ValidationFailed(
            _g("无法识别流水格式：文件前%(n)s行中没有找到表头（如“交易日期”“借方发生额”“贷方发生额”“对方户名”）。"
               "请上传网银导出的账户明细，或用“自定义列对应”导入。") % {"n": HEADER_SCAN_ROWS},
            code="statement_unknown_layout", extra={"field": "file", "details": []})
    row = rows[index]
    closest = max(layouts, key=lambda layout: (len(header_index(layout, row)) - len(missing_fields(layout, header_index(layout, row)))))
    found = header_index(closest, row)
    missing = missing_fields(closest, found)
    generic = _generic_missing(row)
    if generic:
        shown = "、".join(generic)
        return ValidationFailed(
            _g("无法识别流水格式：第%(row)s行像是表头，但缺少必需的列：%(columns)s。"
               "可选择银行后重试，或用“自定义列对应”指定各列后导入。") % {"row": index + 1, "columns": shown},
            code="statement_unknown_layout", extra={"field": "file", "details": [{"field": "file", "message": m} for m in generic]})
    shown = describe_missing(closest, missing or list(closest.signature))
    return ValidationFailed(
        _g("无法识别流水格式：第%(row)s行像是表头，但与已支持的银行格式都不一致（最接近%(bank)s的格式，缺少%(columns)s列）。"
           "请用“自定义列对应”指定各列后导入。") % {"row": index + 1, "bank": closest.label, "columns": shown},
        code="statement_unknown_layout", extra={"field": "file", "details": [{"field": "file", "message": shown}]})


_DATE_NAMES = ("交易日期", "交易时间", "记账日期", "交易日", "日期", "入账日期", "时间", "付款时间")
_AMOUNT_NAMES = ("借方发生额", "贷方发生额", "借方金额", "贷方金额", "收入金额", "支出金额", "交易金额", "金额", "发生额",
                 "收入", "支出", "金额(元)")


def _generic_missing(row: list) -> list[str]:
    """What every statement needs and this header lacks, in plain words: a date column and an
    amount column (or a pair 借方/贷方)."""
    names = {norm_header(c) for c in row if norm_header(c)}
    missing = []
    if not any(any(n.startswith(d) or d in n for d in _DATE_NAMES) for n in names):
        missing.append(_g("“交易日期”（或“交易时间”）"))
    if not any(any(a in n for a in _AMOUNT_NAMES) for n in names):
        missing.append(_g("“金额”（“借方发生额/贷方发生额”，或“交易金额”与“借贷标志”）"))
    return missing
