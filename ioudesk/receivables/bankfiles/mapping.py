"""The column-mapping import for a bank whose export the product does not know: the user says,
once, which header names the file's columns have (saved by name in ``ColumnMapping``); the
mapping becomes a ``Layout`` like the built-in ones.

``ColumnMapping.columns`` keys (each the header text of the file's column, "" for none):
``day`` (date, or date and time), ``time``, ``credit`` (money in), ``debit`` (money out),
``amount`` (one amount column: with ``flag`` 借/贷, 收/支, or signed), ``flag``, ``name``,
``account``, ``bank``, ``memo`` (several separated by "|" or "，"), ``reference``, ``balance``.
Needed: ``day``, and ``credit``/``debit`` or ``amount``.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.core.errors import ValidationFailed
from ioudesk.receivables.bankfiles.base import Layout

FIELDS = (
    ("day", _("交易日期（或日期时间）"), True),
    ("time", _("交易时间（单独一列时）"), False),
    ("credit", _("收入金额 / 贷方发生额"), False),
    ("debit", _("支出金额 / 借方发生额"), False),
    ("amount", _("交易金额（只有一列金额时）"), False),
    ("flag", _("借贷标志 / 收支方向"), False),
    ("name", _("对方户名"), False),
    ("account", _("对方账号"), False),
    ("bank", _("对方开户行"), False),
    ("memo", _("摘要 / 用途 / 附言"), False),
    ("reference", _("银行流水号"), False),
    ("balance", _("余额"), False),
)
FIELD_NAMES = tuple(f for f, _label, _req in FIELDS)


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in re.split(r"[|，,]", value or "") if part.strip())


def mapping_check(columns: dict) -> dict:
    """The mapping's columns cleaned, or a refusal naming what is missing (every problem at once)."""
    cleaned = {key: str(columns.get(key) or "").strip()[:100] for key in FIELD_NAMES}
    details = {}
    if not cleaned["day"]:
        details["day"] = _g("请选择交易日期所在的列")
    has_split = bool(cleaned["credit"] or cleaned["debit"])
    if not has_split and not cleaned["amount"]:
        details["credit"] = _g("请选择金额列：收入/支出两列，或一列交易金额")
    if has_split and cleaned["amount"]:
        details["amount"] = _g("收入/支出两列与一列交易金额只能选一种")
    if cleaned["flag"] and not cleaned["amount"]:
        details["flag"] = _g("借贷标志要与“交易金额”一起使用")
    if details:
        raise ValidationFailed(_g("列对应不完整：%(what)s。") % {"what": "；".join(details.values())},
                               code="mapping_incomplete", extra={"field": next(iter(details)),
                                                                "details": [{"field": k, "message": v} for k, v in details.items()]})
    return cleaned


def layout_from_columns(columns: dict, *, name: str = "", date_format: str = "") -> Layout:
    cleaned = mapping_check(columns)
    mapped = {}
    for key in FIELD_NAMES:
        if key == "memo":
            names = _split(cleaned[key])
            for position, memo_name in enumerate(names):
                mapped["memo" if position == 0 else f"memo{position}"] = (memo_name,)
        elif cleaned[key]:
            mapped[key] = (cleaned[key],)
    if cleaned["credit"] or cleaned["debit"]:
        direction = "split"
        required = ("day",) + tuple(k for k in ("credit", "debit") if cleaned[k])
    else:
        direction = "flag" if cleaned["flag"] else "signed"
        required = ("day", "amount") + (("flag",) if cleaned["flag"] else ())
    memo_fields = tuple(k for k in mapped if k.startswith("memo"))
    signature = tuple(mapped[k][0] for k in required)
    return Layout(code="mapped", label=name or _g("自定义列对应"), columns=mapped, signature=signature,
                  direction=direction, required=required, memo_fields=memo_fields or ("memo",),
                  date_format=date_format)


def layout_from_mapping(mapping) -> Layout:
    """A saved ``ColumnMapping`` as a layout."""
    return layout_from_columns(mapping.columns or {}, name=mapping.name, date_format=mapping.date_format)
