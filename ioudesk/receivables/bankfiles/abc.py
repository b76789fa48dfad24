"""中国农业银行 企业网上银行「账户明细查询」export (.xlsx, or .csv in GBK).

Above the header::

    中国农业银行账户明细
    账户：19035101040012345  户名：杭州禾丰贸易有限公司
    查询日期：2026-11-01 至 2026-11-30
    交易时间,收入金额,支出金额,本次余额,手续费总额,交易方式,交易行名,交易类别,对方省市,对方账号,对方户名,交易用途,交易摘要,交易附言

Money in and out in separate columns (收入金额/支出金额), the running balance in 本次余额, the
payer's words in 交易用途 and 交易附言; no bank serial (the time to the second tells lines apart).
Footer: 合计 收入 N 笔 … 支出 N 笔 ….
"""

from django.utils.translation import gettext_lazy as _

from ioudesk.receivables.bankfiles.base import Layout

LAYOUT = Layout(
    code="abc",
    label=_("中国农业银行"),
    columns={
        "booked_at": ("交易时间",),
        "day": ("交易日期",),
        "credit": ("收入金额",),
        "debit": ("支出金额",),
        "balance": ("本次余额", "账户余额"),
        "fee": ("手续费总额",),
        "channel": ("交易方式",),
        "branch_name": ("交易行名",),
        "kind": ("交易类别",),
        "province": ("对方省市",),
        "account": ("对方账号",),
        "name": ("对方户名",),
        "purpose": ("交易用途",),
        "memo": ("交易摘要",),
        "remark": ("交易附言",),
        "reference": ("交易流水号",),
    },
    signature=("收入金额", "支出金额", "本次余额"),
    direction="split",
    memo_fields=("memo", "purpose", "remark"),
    description=_("标题行、账户/户名/查询日期行，表头：交易时间、收入金额、支出金额、本次余额、手续费总额、交易方式、交易行名、交易类别、"
                "对方省市、对方账号、对方户名、交易用途、交易摘要、交易附言；表尾合计行（收入/支出笔数）。"),
)
