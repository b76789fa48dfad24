"""A statement file's bytes → its rows (lists of cell values), whatever it is: .xlsx (openpyxl,
first sheet) or text (.csv/.txt, comma- or tab-separated) in UTF-8 (with or without a BOM),
GB18030 or GBK (GB18030 reads every GBK file). Old binary .xls is refused with the way out."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _g

from ioudesk.core.errors import ValidationFailed

MAX_ROWS = 200_000


def _refuse(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, extra={"field": "file"})


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read in."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise _refuse(_g("无法识别文件的文字编码（不是 UTF-8、GBK 或 GB18030），请从网银重新导出 .csv 或 .xlsx 文件。"),
                      "statement_encoding") from None


def _text_rows(data: bytes) -> list[list]:
    content, _encoding = decode(data)
    lines = content.splitlines()
    sample = "\n".join(lines[:80])
    delimiter = "\t" if sample.count("\t") > sample.count(",") and sample.count(",") < 5 else ","
    rows = []
    for row in csv.reader(io.StringIO(content, newline=""), delimiter=delimiter):
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise _refuse(_g("文件超过 %(n)s 行，请按月分开导出后分别导入。") % {"n": f"{MAX_ROWS:,}"}, "statement_too_long")
    return rows


def _xlsx_rows(data: bytes) -> list[list]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (InvalidFileException, KeyError, zipfile errors …)
        raise _refuse(_g("文件不是有效的 .xlsx 表格，请用 Excel 打开后另存为 .xlsx 再上传。"), "statement_bad_xlsx") from None
    rows = []
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_ROWS:
                raise _refuse(_g("文件超过 %(n)s 行，请按月分开导出后分别导入。") % {"n": f"{MAX_ROWS:,}"},
                              "statement_too_long")
    except ValidationFailed:
        raise
    except Exception:
        raise _refuse(_g("文件不是有效的 .xlsx 表格，请用 Excel 打开后另存为 .xlsx 再上传。"), "statement_bad_xlsx") from None
    finally:
        book.close()
    while rows and not any(v not in (None, "") for v in rows[-1]):
        rows.pop()
    return rows


def read_rows(data: bytes, filename: str = "") -> list[list]:
    name = (filename or "").lower()
    if not data:
        raise _refuse(_g("文件是空的（0 字节），请检查后重新选择文件。"), "file_empty")
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_rows(data)
    if data.startswith(b"\xd0\xcf\x11\xe0") or name.endswith(".xls"):
        raise _refuse(_g("这是旧版 Excel（.xls）文件，请用 Excel 打开后另存为 .xlsx，或在网银中选择导出 .csv/.xlsx 后再上传。"),
                      "statement_xls")
    if name.endswith((".pdf",)) or data.startswith(b"%PDF"):
        raise _refuse(_g("PDF 回单无法导入，请在网银中导出 .xlsx 或 .csv 格式的账户明细。"), "statement_pdf")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse(_g("文件不是表格或文本文件，请上传网银导出的 .xlsx 或 .csv 文件。"), "statement_binary")
    return _text_rows(data)
