"""交通银行 企业网上银行「账户明细查询」export (.xlsx, or .csv in GBK).

Above the header::

    交通银行账户交易明细
    账号：310066726018010012345  户名：杭州禾丰贸易有限公司
    查询起始日期：2026-11-01  查询截止日期：2026-11-30
    交易时间,凭证种类,凭证号码,摘要,借贷标志,交易金额,余额,对方账号,对方户名,对方开户行,交易流水号,附言,企业流水号

One amount column with a 借贷标志 (借 = money out, 贷 = money in). Footer: 合计 … and 借方笔数/贷方笔数.
"""

from django.utils.translation import gettext_lazy as _

from ioudesk.receivables.bankfiles.base import Layout

LAYOUT = Layout(
    code="bocom",
    label=_("交通银行"),
    columns={
        "booked_at": ("交易时间",),
        "day": ("交易日期",),
        "memo": ("摘要",),
        "flag": ("借贷标志",),
        "amount": ("交易金额", "发生额"),
        "balance": ("余额",),
        "account": ("对方账号",),
        "name": ("对方户名",),
        "bank": ("对方开户行",),
        "reference": ("交易流水号",),
        "remark": ("附言",),
    },
    signature=("借贷标志", "交易金额", "对方户名"),
    direction="flag",
    memo_fields=("memo", "remark"),
    description=_("标题行、账号/户名/查询起止日期行，表头：交易时间、凭证种类、凭证号码、摘要、借贷标志（借/贷）、交易金额、余额、对方账号、"
                "对方户名、对方开户行、交易流水号、附言、企业流水号；表尾合计与笔数行。"),
)
