"""支付宝 bill exports (.csv in GBK/GB18030), the app's and the older web site's.

The app's (支付宝 → 账单 → 开具交易流水证明 → 用于个人对账), from 2023::

    ------------------------------------------------------------------------------------
    导出信息：
    姓名：禾丰贸易
    支付宝账户：hefeng@example.com
    起始时间：[2026-11-01 00:00:00]    终止时间：[2026-11-30 23:59:59]
    导出交易类型：[全部]
    导出时间：[2026-12-01 09:30:12]
    共12笔记录
    收入：8笔 23,456.00元
    支出：3笔 1,200.00元
    不计收支：1笔 500.00元
    特别提示：
    1.本回单内容可表明支付宝受理了相关支付指令 …
    ------------------------支付宝（中国）网络技术有限公司  电子客户回单------------------------
    交易时间,交易分类,交易对方,对方账号,商品说明,收/支,金额,收/付款方式,交易状态,交易订单号,商家订单号,备注,

The web site's (支付宝交易记录明细查询)::

    支付宝交易记录明细查询
    账号:[hefeng@example.com]
    起始日期:[2026-11-01 00:00:00]    终止日期:[2026-12-01 00:00:00]
    ---------------------------------交易记录明细列表------------------------------------
    交易号,商户订单号,交易创建时间,付款时间,最近修改时间,交易来源地,类型,交易对方,商品名称,金额（元）,收/支,交易状态,
    服务费（元）,成功退款（元）,备注,资金状态,
    …
    ------------------------------------------------------------------------------------
    共12笔记录
    已收入:8笔,23456.00元
    …
    导出时间:[2026-12-01 09:30:12]

Only money that moved counts: 不计收支 lines (transfers between one's own accounts) and closed
trades (交易关闭) are passed over and listed as skipped.
"""

from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.receivables.bankfiles.base import Layout


def _skip(values: dict) -> str:
    side = values.get("flag", "")
    if side not in ("收入", "支出"):
        return _g("不计收支")
    status = values.get("status", "")
    if "关闭" in status or "失败" in status or status == "退款成功":
        return _g("交易状态：%(status)s") % {"status": status}
    return ""


LAYOUT = Layout(
    code="alipay",
    label=_("支付宝"),
    columns={
        "booked_at": ("交易时间",),
        "category": ("交易分类",),
        "name": ("交易对方",),
        "account": ("对方账号",),
        "memo": ("商品说明",),
        "flag": ("收/支",),
        "amount": ("金额",),
        "method": ("收/付款方式",),
        "status": ("交易状态",),
        "reference": ("交易订单号",),
        "merchant_ref": ("商家订单号",),
        "remark": ("备注",),
    },
    signature=("交易对方", "收/支", "交易订单号"),
    direction="flag",
    in_flags=("收入",),
    out_flags=("支出",),
    memo_fields=("memo", "remark", "merchant_ref"),
    skip=_skip,
    description=_("支付宝手机客户端导出的交易明细（2023 年起）：虚线与“导出信息”前言、合计笔数，表头：交易时间、交易分类、交易对方、对方账号、"
                "商品说明、收/支、金额、收/付款方式、交易状态、交易订单号、商家订单号、备注。“不计收支”与交易关闭的记录不导入。"),
)

WEB_LAYOUT = Layout(
    code="alipay",
    label=_("支付宝（网页版交易记录）"),
    columns={
        "reference": ("交易号",),
        "merchant_ref": ("商户订单号", "商家订单号"),
        "created": ("交易创建时间",),
        "booked_at": ("付款时间",),
        "name": ("交易对方",),
        "memo": ("商品名称",),
        "amount": ("金额（元）", "金额(元)"),
        "flag": ("收/支",),
        "status": ("交易状态",),
        "remark": ("备注",),
    },
    signature=("交易号", "交易创建时间", "交易对方", "收/支"),
    direction="flag",
    in_flags=("收入",),
    out_flags=("支出",),
    memo_fields=("memo", "remark", "merchant_ref"),
    skip=_skip,
    description=_("支付宝网页版“交易记录明细查询”：标题、账号、起止日期与虚线“交易记录明细列表”，表头：交易号、商户订单号、交易创建时间、"
                "付款时间、……、交易对方、商品名称、金额（元）、收/支、交易状态、……；表尾虚线、共N笔记录与收支合计。"),
)
