"""微信支付 bill export (微信 → 我 → 服务 → 钱包 → 账单 → 下载账单 → 用于个人对账): .csv in UTF-8 with
a BOM (older) or .xlsx (newer), the same preamble in both::

    微信支付账单明细
    微信昵称：[禾丰贸易]
    起始时间：[2026-11-01 00:00:00] 终止时间：[2026-11-30 23:59:59]
    导出类型：[全部]
    导出时间：[2026-12-01 09:30:12]

    共12笔记录
    收入：8笔 23,456.00元
    支出：3笔 1,200.00元
    中性交易：1笔 500.00元
    注：
    1. 充值/提现/理财通购买/零钱通存取/信用卡还款等交易，将计入中性交易
    2. 本明细仅展示当前账单中的交易，不包括已删除的记录
    3. 本明细仅供个人对账使用

    ----------------------微信支付账单明细列表--------------------
    交易时间,交易类型,交易对方,商品,收/支,金额(元),支付方式,当前状态,交易单号,商户单号,备注

Amounts carry the yen sign (¥20.00); the order numbers end with a tab. 收/支 "/" is a neutral
transaction (零钱 in or out) and, like a refunded or failed payment, is not imported.
"""

from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.receivables.bankfiles.base import Layout


def _skip(values: dict) -> str:
    side = values.get("flag", "")
    if side not in ("收入", "支出"):
        return _g("中性交易")
    status = values.get("status", "")
    if "全额退款" in status or "失败" in status or "关闭" in status or "已退还" in status:
        return _g("当前状态：%(status)s") % {"status": status}
    return ""


LAYOUT = Layout(
    code="wechat",
    label=_("微信支付"),
    columns={
        "booked_at": ("交易时间",),
        "kind": ("交易类型",),
        "name": ("交易对方",),
        "memo": ("商品",),
        "flag": ("收/支",),
        "amount": ("金额(元)", "金额（元）"),
        "method": ("支付方式",),
        "status": ("当前状态",),
        "reference": ("交易单号",),
        "merchant_ref": ("商户单号",),
        "remark": ("备注",),
    },
    signature=("交易对方", "收/支", "交易单号", "当前状态"),
    direction="flag",
    in_flags=("收入",),
    out_flags=("支出",),
    memo_fields=("memo", "remark", "merchant_ref"),
    skip=_skip,
    description=_("微信支付账单明细：昵称、起止时间、导出时间、收支合计与“注”的前言，虚线“微信支付账单明细列表”，表头：交易时间、交易类型、"
                "交易对方、商品、收/支、金额(元)、支付方式、当前状态、交易单号、商户单号、备注。中性交易与已全额退款的记录不导入。"),
)
