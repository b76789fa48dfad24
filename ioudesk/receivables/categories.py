"""The receivables message categories (notify): 单据到期提醒 (``bill_reminder``: before and on the due
date, to the customer; also the payables note to our 财务 staff) and 催款通知 (``bill_dunning``: after
the due date). One message may carry several open items of the customer (several bills, several
instalments of one bill): the amount is their sum, the bill numbers are listed, the due date is the
earliest, the days overdue the most, and ``{单据明细}`` lists them one per line."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ioudesk.notify.placeholders import register_category

REMINDER = "bill_reminder"
DUNNING = "bill_dunning"

PLACEHOLDERS = {
    "客户名称": _("往来单位（客户；应付提醒为供应商）的名称，多家时列前三家"),
    "单据编号": _("单据编号，如 YS20261201-0001（多张用顿号分隔）"),
    "未付金额": _("未付金额合计，阿拉伯数字，如 12,345.67（不含货币符号）"),
    "未付金额大写": _("未付金额大写，如 壹万贰仟叁佰肆拾伍元陆角柒分"),
    "到期日": _("到期日，如 2026年12月15日（多笔时为最早的一笔）"),
    "距到期天数": _("距到期日的天数（到期前提醒用；已到期为 0）"),
    "逾期天数": _("逾期天数（未逾期为 0；多笔时为最多的一笔）"),
    "笔数": _("本条消息包含的到期明细笔数"),
    "单据明细": _("每笔一行：单据编号、期次、到期日、未付金额、逾期天数"),
    "机构名称": _("本机构的简称"),
    "联系电话": _("本机构的联系电话（未设置时为业务员的手机号，都没有时为“您的客户经理”）"),
    "业务员": _("单据的业务员姓名"),
}

SAMPLE = {
    "客户名称": "上海恒达建材有限公司",
    "单据编号": "YS20261101-0003",
    "未付金额": "56,500.00",
    "未付金额大写": "伍万陆仟伍佰元整",
    "到期日": "2026年12月1日",
    "距到期天数": "0",
    "逾期天数": "15",
    "笔数": "1",
    "单据明细": "单据YS20261101-0003 第1期，2026年12月1日到期，未付 ¥56,500.00（逾期15天）",
    "机构名称": "华信商贸",
    "联系电话": "400-800-1234",
    "业务员": "张伟",
}


def register(*, sample) -> None:
    """Register both categories; ``sample(overdue=...)`` gives the real-data preview values
    (``receivables.dunning.placeholder_sample``, passed in by ``receivables.daystep``)."""
    placeholders = {k: str(v) for k, v in PLACEHOLDERS.items()}
    register_category(REMINDER, label=_("单据到期提醒"), placeholders=placeholders,
                      sample=lambda: sample(overdue=False))
    register_category(DUNNING, label=_("催款通知"), placeholders=placeholders, sample=lambda: sample(overdue=True))
