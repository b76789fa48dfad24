"""What every statement layout shares: the parsed result (``ParsedStatement``/``ParsedLine``),
the description of a layout (``Layout``: which header names mean which field, how a line's
direction is told, what the rows above the header say), and the one table reader that turns
the rows of a file into lines for any layout. docs/domain.md §26 (银行流水导入).

Fields a layout can name (``Layout.columns``):

- ``day`` (交易日期/记账日期/交易日), ``time`` (交易时间, when separate from the date), or
  ``booked_at`` (date and time in one cell: 交易时间 "2026-11-28 14:05:33");
- the amount, in one of three ways (``Layout.direction``): ``split`` — ``debit`` (借方发生额,
  money out) and ``credit`` (贷方发生额, money in) columns; ``flag`` — ``amount`` with a
  ``flag`` column (借贷标志 借/贷, 收/支); ``signed`` — ``amount`` negative for money out;
- ``name``/``account``/``bank`` of the other party (对方户名/对方账号/对方开户行), ``memo``
  (摘要, 用途, 附言, 备注 … joined with "；"), ``reference`` (流水号), ``balance`` (余额),
  ``status`` (Alipay/WeChat: a closed or refunded trade is not money received).

The bank's own words for a side (借/贷) are read from the bank's point of view: 贷/贷方 is money
into our account, 借/借方 money out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from django.utils.translation import gettext as _g

from ioudesk.calc import money
from ioudesk.calc.errors import InvalidAmount
from ioudesk.core.errors import ValidationFailed

IN = "receivable"  # money into our account (Direction.RECEIVABLE)
OUT = "payable"  # money out of it (Direction.PAYABLE)

FIELD_LABELS = {
    "day": "交易日期", "time": "交易时间", "booked_at": "交易时间", "debit": "借方发生额（支出）",
    "credit": "贷方发生额（收入）", "amount": "交易金额", "flag": "借贷标志", "name": "对方户名",
    "account": "对方账号", "bank": "对方开户行", "memo": "摘要", "reference": "流水号", "balance": "余额",
    "status": "交易状态",
}

MAX_BAD_ROWS_SHOWN = 10
HEADER_SCAN_ROWS = 60


@dataclass(frozen=True)
class ParsedLine:
    row: int  # the row as the spreadsheet (or a text editor) numbers it, from 1
    day: date
    booked_at: datetime | None
    direction: str  # IN or OUT
    amount: Decimal  # > 0
    name: str = ""
    account: str = ""
    bank: str = ""
    memo: str = ""
    reference: str = ""
    balance: Decimal | None = None
    raw: dict = field(default_factory=dict)  # header → cell text, as read


@dataclass(frozen=True)
class ParsedStatement:
    bank: str  # a models.Bank value
    account_number: str
    period_from: date | None
    period_to: date | None
    lines: list[ParsedLine]
    header_row: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row, why): closed trades, zero lines


# --- cell values ------------------------------------------------------------------------------

def text(value) -> str:
    """A cell as text: exports pad numbers with tabs, quote them as ="…" or '…, or prefix a `
    (WeChat's merchant bills) so that Excel keeps long digits; all that is removed."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    s = str(value).replace("\u3000", " ").replace("\xa0", " ").strip().strip("\t").strip()
    if s.startswith('="') and s.endswith('"'):
        s = s[2:-1]
    return s.lstrip("'`").strip()


def norm_header(value) -> str:
    """A header cell compared without spaces, width or an English gloss: 交易日期[ Transaction Date ]
    and 交易日期 are the same column, 金额（元） and 金额(元) too."""
    s = unicodedata.normalize("NFKC", text(value))
    s = re.sub(r"\[[^\]]*\]", "", s)
    return re.sub(r"\s+", "", s)


def norm_text(value: str) -> str:
    """Names and memos compared (and hashed) without width or spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or ""))


_EMPTY_AMOUNTS = {"", "-", "--", "—", "/", "0", "0.0", "0.00", "+0.00", "-0.00"}


def read_amount(value, *, what: str) -> Decimal | None:
    """An amount cell: 1,234.56 / ¥1,234.56 / -1,234.56 / +1234.5 / a number from .xlsx; an empty
    cell (or 0, -, --) is None."""
    if isinstance(value, bool):
        raise InvalidAmount(what)
    if isinstance(value, (int, Decimal)):
        return money.round_places(Decimal(value), 2) if value else None
    if isinstance(value, float):
        return money.round_places(Decimal(repr(value)), 2) if value else None
    s = text(value).replace("¥", "").replace("￥", "").replace("元", "").replace(" ", "")
    s = unicodedata.normalize("NFKC", s)
    if s in _EMPTY_AMOUNTS:
        return None
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    amount = money.parse_amount(s, field=what)
    if negative:
        amount = -amount
    return amount or None


_DATE_PATTERNS = (
    (re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"), None),
    (re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日"), None),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})(?!\d)"), None),
)
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_TIME_DIGITS_RE = re.compile(r"^(\d{2})(\d{2})(\d{2})$")


def read_date(value, date_format: str = "") -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    s = unicodedata.normalize("NFKC", text(value))
    if not s:
        return None
    if date_format:
        try:
            return datetime.strptime(s[: len(datetime(2000, 1, 1).strftime(date_format)) + 8].strip(),
                                     date_format).date()
        except ValueError:
            pass
        try:
            return datetime.strptime(s, date_format).date()
        except ValueError:
            return None
    for pattern, _unused in _DATE_PATTERNS:
        match = pattern.match(s)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
    return None


def read_time(value) -> time | None:
    if isinstance(value, datetime):
        return value.time() if value.time() != time(0) else None
    if isinstance(value, time):
        return value
    s = unicodedata.normalize("NFKC", text(value))
    if not s:
        return None
    match = _TIME_RE.search(s)
    if match:
        try:
            return time(int(match[1]), int(match[2]), int(match[3] or 0))
        except ValueError:
            return None
    match = _TIME_DIGITS_RE.match(s)  # 143305
    if match:
        try:
            return time(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
    return None


def read_datetime(value, date_format: str = "") -> tuple[date | None, time | None]:
    day = read_date(value, date_format)
    if day is None:
        return None, None
    if isinstance(value, datetime):
        return day, read_time(value)
    rest = unicodedata.normalize("NFKC", text(value))[8:]  # past the date's own digits
    return day, read_time(rest) if rest.strip() else None


# --- layouts ----------------------------------------------------------------------------------

IN_FLAGS = ("贷", "贷方", "收", "收入", "来账", "c", "cr", "credit", "+", "2")
OUT_FLAGS = ("借", "借方", "支", "支出", "付", "往账", "d", "dr", "debit", "-", "1")


@dataclass(frozen=True)
class Layout:
    """How one export is laid out. ``columns`` maps a field to the header names that mean it
    (compared by :func:`norm_header`); ``signature`` are header names that together tell this
    layout from the others; ``required`` the fields a file must have (a tuple inside means
    any one of them)."""

    code: str
    label: str
    columns: dict[str, tuple[str, ...]]
    signature: tuple[str, ...]
    direction: str  # "split" | "flag" | "signed"
    required: tuple = ()
    memo_fields: tuple[str, ...] = ("memo",)
    in_flags: tuple[str, ...] = IN_FLAGS
    out_flags: tuple[str, ...] = OUT_FLAGS
    date_format: str = ""
    # a function (line values by field, direction) -> (name, account, bank) where the other party
    # depends on the direction (中国银行: 付款人 for money in, 收款人 for money out)
    counterparty: Callable | None = None
    # (values by field) -> why the line is skipped, or "" (Alipay/WeChat: closed trades, 不计收支)
    skip: Callable | None = None
    description: str = ""
    extra_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def all_columns(self) -> dict[str, tuple[str, ...]]:
        return {**self.columns, **self.extra_columns}

    def required_fields(self) -> tuple:
        if self.required:
            return self.required
        base: list = [("day", "booked_at")]
        if self.direction == "split":
            base += ["debit", "credit"]
        elif self.direction == "flag":
            base += ["amount", "flag"]
        else:
            base += ["amount"]
        return tuple(base)


def header_index(layout: Layout, header: list) -> dict[str, list[int]]:
    """field → the column indexes of the header row that carry it (memo may have several)."""
    names = [norm_header(cell) for cell in header]
    found: dict[str, list[int]] = {}
    for fieldname, accepted in layout.all_columns().items():
        wanted = [norm_header(a) for a in accepted]
        for position, name in enumerate(names):
            if name and name in wanted:
                found.setdefault(fieldname, []).append(position)
    return found


def missing_fields(layout: Layout, found: dict) -> list:
    missing = []
    for need in layout.required_fields():
        options = need if isinstance(need, tuple) else (need,)
        if not any(option in found for option in options):
            missing.append(need)
    return missing


def describe_missing(layout: Layout, missing: list) -> str:
    """“交易日期”“借方发生额” …: what the file lacks, in the layout's own header words."""
    parts = []
    for need in missing:
        options = need if isinstance(need, tuple) else (need,)
        names = []
        for option in options:
            accepted = layout.all_columns().get(option) or (FIELD_LABELS.get(option, option),)
            names.append(f"“{accepted[0]}”")
        parts.append(_g("或").join(names))
    return "、".join(parts)


# --- the rows below the header ----------------------------------------------------------------

FOOTER_WORDS = ("合计", "总计", "小计", "本页", "累计", "笔数", "总笔数", "共", "收入：", "支出：", "收入:", "支出:",
                "中性交易", "不计收支", "已收入", "待收入", "已支出", "待支出", "导出时间", "注：", "注:", "说明",
                "总交易单数", "以上", "备注：", "打印", "制表", "经办", "温馨提示", "特别提示")
_DASHES_RE = re.compile(r"^[-=—_*\s]{6,}")


def is_footer(cells: list[str]) -> bool:
    first = next((c for c in cells if c), "")
    if not first:
        return False
    if _DASHES_RE.match(first):
        return True
    first = unicodedata.normalize("NFKC", first)
    return any(first.startswith(unicodedata.normalize("NFKC", word)) for word in FOOTER_WORDS)


def _value(row: list, positions: list[int] | None):
    if not positions:
        return None
    position = positions[0]
    return row[position] if position < len(row) else None


def _flag_direction(layout: Layout, value) -> str | None:
    s = unicodedata.normalize("NFKC", text(value)).lower()
    if s in layout.in_flags or s.startswith(("贷", "收")):
        return IN
    if s in layout.out_flags or s.startswith(("借", "支", "付")):
        return OUT
    return None


def read_lines(layout: Layout, rows: list[list], header_row: int, *, date_format: str = ""
               ) -> tuple[list[ParsedLine], list[tuple[int, str]]]:
    """The lines below the header (``rows[header_row]``, 0-based). Blank rows and the footers
    (合计, 共N笔, dashed lines …) are passed over; a row that has amounts but no readable date, or
    an amount that cannot be read, is an error: the whole file is refused with the rows named,
    so that nothing is imported from a file read wrongly."""
    header = rows[header_row]
    found = header_index(layout, header)
    names = [text(h) for h in header]
    date_format = date_format or layout.date_format
    lines: list[ParsedLine] = []
    skipped: list[tuple[int, str]] = []
    bad: list[str] = []
    for index in range(header_row + 1, len(rows)):
        row = rows[index]
        cells = [text(c) for c in row]
        number = index + 1
        if not any(cells):
            continue
        if is_footer(cells):
            continue
        raw = {names[i] or str(i + 1): cells[i] for i in range(min(len(names), len(cells))) if cells[i]}
        values = {f: _value(row, p) for f, p in found.items()}
        if layout.skip is not None:
            why = layout.skip({f: text(v) for f, v in values.items()})
            if why:
                skipped.append((number, why))
                continue
        # the date
        booked_at = None
        if "booked_at" in found and values.get("booked_at") not in (None, ""):
            day, at = read_datetime(values["booked_at"], date_format)
        else:
            day, at = read_datetime(values.get("day"), date_format)
            if "time" in found:
                at = read_time(values.get("time")) or at
        # the amount and its direction
        try:
            direction, amount = _amount(layout, values)
        except InvalidAmount as error:
            bad.append(_g("第%(row)s行：%(why)s") % {"row": number, "why": str(error)})
            continue
        if day is None:
            if amount is None:
                continue  # a note between the lines
            shown = text(values.get("booked_at") or values.get("day"))
            bad.append(_g("第%(row)s行：交易日期“%(value)s”无法识别") % {"row": number, "value": shown})
            continue
        if amount is None:
            skipped.append((number, _g("金额为0")))
            continue
        if direction is None:
            bad.append(_g("第%(row)s行：收支方向“%(value)s”无法识别（应为借/贷或收入/支出）") % {
                "row": number, "value": text(values.get("flag"))})
            continue
        if at is not None:
            booked_at = datetime.combine(day, at)
        name, account, bank = text(values.get("name")), text(values.get("account")), text(values.get("bank"))
        if layout.counterparty is not None:
            name, account, bank = layout.counterparty({f: text(v) for f, v in values.items()}, direction)
        memo_parts = []
        for memo_field in layout.memo_fields:
            for position in found.get(memo_field, []):
                part = text(row[position]) if position < len(row) else ""
                if part and part not in ("/", "-") and part not in memo_parts:
                    memo_parts.append(part)
        try:
            balance = read_amount(values.get("balance"), what=_g("余额")) if "balance" in found else None
        except InvalidAmount:
            balance = None
        lines.append(ParsedLine(
            row=number, day=day, booked_at=booked_at, direction=direction, amount=amount,
            name=name[:100], account=re.sub(r"[\s]", "", account)[:60], bank=bank[:100],
            memo="；".join(memo_parts)[:300], reference=text(values.get("reference"))[:60],
            balance=balance, raw=raw))
    if bad:
        shown = "；".join(bad[:MAX_BAD_ROWS_SHOWN])
        more = len(bad) - MAX_BAD_ROWS_SHOWN
        if more > 0:
            shown += _g("；另有%(n)s行") % {"n": more}
        raise ValidationFailed(_g("流水文件中有无法读取的行，整个文件未导入：%(rows)s。请核对文件后重新上传。") % {"rows": shown},
                               code="statement_bad_rows", extra={"field": "file", "details": [{"field": "file", "message": row} for row in bad]})
    return lines, skipped


def _amount(layout: Layout, values: dict) -> tuple[str | None, Decimal | None]:
    if layout.direction == "split" or ("debit" in values or "credit" in values) and "amount" not in values:
        debit = read_amount(values.get("debit"), what=_g("借方发生额"))
        credit = read_amount(values.get("credit"), what=_g("贷方发生额"))
        if credit and not debit:
            return (IN, credit) if credit > 0 else (OUT, -credit)
        if debit and not credit:
            return (OUT, debit) if debit > 0 else (IN, -debit)
        if debit and credit:
            raise InvalidAmount(_g("借方和贷方同时有金额"))
        return None, None
    amount = read_amount(values.get("amount"), what=_g("交易金额"))
    if amount is None:
        return None, None
    if layout.direction == "flag" and "flag" in values:
        direction = _flag_direction(layout, values.get("flag"))
        return direction, abs(amount)
    return (IN if amount > 0 else OUT), abs(amount)


# --- the rows above the header ----------------------------------------------------------------

_ACCOUNT_RE = re.compile(r"(?:账号|帐号|账户|帐户|卡号|支付宝账户|微信号|微信昵称)(?:号码)?\s*[:：]\s*\[?\s*([\w@.*\-]{2,40})")
_ANY_DATE_RE = re.compile(r"(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?")


def read_preamble(rows: list[list], header_row: int) -> tuple[str, date | None, date | None]:
    """账号 and 起止日期 from the rows above the header (every export writes them its own way:
    “账号：6222 …”, “查询期间：2026-11-01 至 2026-11-30”, “起始时间：[2026-11-01 00:00:00]”)."""
    account, dates = "", []
    for row in rows[:header_row]:
        joined = " ".join(text(c) for c in row if text(c))
        joined = unicodedata.normalize("NFKC", joined).replace("：", ":")
        if not account:
            match = _ACCOUNT_RE.search(joined)
            if match:
                account = match[1].strip().replace(" ", "")
        if re.search(r"起始|开始|起止|期间|日期|时间|至|终止|结束|截止", joined) and not re.search(r"导出时间|打印|下载时间", joined):
            for y, m, d in _ANY_DATE_RE.findall(joined):
                try:
                    dates.append(date(int(y), int(m), int(d)))
                except ValueError:
                    pass
    period_from = dates[0] if dates else None
    period_to = dates[1] if len(dates) > 1 else None
    return account, period_from, period_to
