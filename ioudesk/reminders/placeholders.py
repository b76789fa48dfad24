"""The placeholders of the 还款提醒 message category, and the values a reminder fills them with.

One message may carry several installments of the customer (of one or several IOUs) falling due or
overdue the same day: the amount is their sum, the IOU numbers are listed, the due date is the
earliest, the days overdue the most, and ``{还款明细}`` lists them one per line.

The lender's contact phone (``{联系电话}``): the organisation's phone when the organisation has one
(``Organisation.phone``, when core adds the field), else the setting ``IOUDESK_CONTACT_PHONE``, else
the phone of the IOU's 客户经理, else the words 您的客户经理 (the default texts read "如有疑问请致电{联系电话}").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import format_yuan
from ioudesk.calc.words import amount_in_words

CATEGORY = "repayment_reminder"
NO_PHONE = "您的客户经理"  # {联系电话} when neither the organisation nor the 客户经理 has a phone: "请致电您的客户经理"
LABEL = _("还款提醒")

PLACEHOLDERS = {
    "客户姓名": _("债务人的姓名或企业名称"),
    "应还金额": _("应还金额，阿拉伯数字，如 1,234.56（多笔合计，含已入账的罚息，不含货币符号）"),
    "应还金额大写": _("应还金额大写，如 壹仟贰佰叁拾肆元伍角陆分"),
    "到期日": _("到期日，如 2026年12月15日（多笔时为最早的一笔）"),
    "借据编号": _("借据编号（多张借据用顿号分隔）"),
    "期次": _("期次，如 第3期（多笔用顿号分隔）"),
    "逾期天数": _("逾期天数（未逾期为 0；多笔时为最多的一笔）"),
    "距到期天数": _("距到期日的天数（到期前提醒用；已到期为 0）"),
    "笔数": _("本条提醒包含的期数"),
    "还款明细": _("每笔一行：借据编号、期次、到期日、应还金额（客户经理的提醒另列客户姓名）"),
    "罚息": _("已入账未还的罚息（已含在应还金额中；此后的罚息按实际还款日计算）"),
    "联系电话": _("本机构的联系电话（未设置时为客户经理的手机号，都没有时为“您的客户经理”）"),
    "机构名称": _("本机构的简称"),
    "客户经理": _("借据的客户经理姓名"),
}

SAMPLE = {
    "客户姓名": "王建国",
    "应还金额": "888.49",
    "应还金额大写": "捌佰捌拾捌元肆角玖分",
    "到期日": "2026年12月15日",
    "借据编号": "JD20261115-0001",
    "期次": "第2期",
    "逾期天数": "0",
    "距到期天数": "3",
    "笔数": "1",
    "还款明细": "借据JD20261115-0001 第2期，2026年12月15日到期，应还 ¥888.49",
    "罚息": "0.00",
    "联系电话": "400-800-1234",
    "机构名称": "华信信贷",
    "客户经理": "张伟",
}


@dataclass(frozen=True)
class Item:
    """One installment to remind of, with what is still owed on it."""

    installment_id: int
    number: int
    due_date: date
    owed: Decimal
    iou_id: int
    iou_number: str
    customer_id: int
    officer_id: int | None
    branch_id: int
    product_id: int | None
    credit: Decimal  # the IOU's customer credit (溢缴款), applied when the installment falls due
    send_day: date
    penalty: Decimal = Decimal("0.00")  # penalty posted on the installment and not paid (part of owed)

    @property
    def days_overdue(self) -> int:
        """Days past due on the day the reminder is sent (negative: days before the due date)."""
        return (self.send_day - self.due_date).days


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def yuan(amount: Decimal) -> str:
    return format_yuan(amount, symbol="")


def contact_phone(officer=None) -> str:
    from ioudesk.core.services import organisation_current

    phone = getattr(organisation_current(), "phone", "") or getattr(settings, "IOUDESK_CONTACT_PHONE", "")
    return phone or (getattr(officer, "phone", "") if officer is not None else "")


def organisation_label() -> str:
    from ioudesk.core.services import organisation_current

    return str(organisation_current())


def context_for(*, customer_name: str, items: list[Item], officer=None, phone: str | None = None,
                organisation: str | None = None, names: dict[int, str] | None = None) -> dict[str, str]:
    """The placeholder values of one message about ``items``: of one customer (``customer_name``), or
    of several (the 客户经理's note: ``names`` by customer id, listed in {客户姓名} and in each line of
    {还款明细})."""
    items = sorted(items, key=lambda item: (item.due_date, item.iou_number, item.number))
    total = sum((item.owed for item in items), Decimal("0.00"))
    numbers = list(dict.fromkeys(item.iou_number for item in items))
    overdue = max(item.days_overdue for item in items)
    several = names is not None and len({item.customer_id for item in items}) > 1
    if names is not None:
        listed = list(dict.fromkeys(names[item.customer_id] for item in items))
        customer_name = "、".join(listed[:3]) + (f"等{len(listed)}位客户" if len(listed) > 3 else "")
    return {
        "客户姓名": customer_name,
        "应还金额": yuan(total),
        "应还金额大写": amount_in_words(total),
        "到期日": chinese_date(items[0].due_date),
        "借据编号": "、".join(numbers),
        "期次": "、".join(f"第{item.number}期" for item in items),
        "逾期天数": str(max(overdue, 0)),
        "距到期天数": str(max(-min(item.days_overdue for item in items), 0)),
        "笔数": str(len(items)),
        "还款明细": "\n".join(
            (f"{names[item.customer_id]} " if several else "")
            + f"借据{item.iou_number} 第{item.number}期，{chinese_date(item.due_date)}到期，应还 ¥{yuan(item.owed)}"
            for item in items),
        "罚息": yuan(sum((item.penalty for item in items), Decimal("0.00"))),
        "联系电话": (contact_phone(officer) if phone is None else phone) or NO_PHONE,
        "机构名称": organisation_label() if organisation is None else organisation,
        "客户经理": str(officer) if officer is not None else "",
    }
