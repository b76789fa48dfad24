"""中国工商银行 企业网上银行「账户历史明细」export (.csv in GBK, or .xlsx).

Title and account rows above the header::

    中国工商银行企业网上银行 账户历史明细
    账号：1202020109900012345    户名：杭州禾丰贸易有限公司    币种：人民币
    起止日期：2026-11-01 至 2026-11-30
    凭证号,本方账号,对方账号,交易时间,借/贷,借方发生额,贷方发生额,对方行号,摘要,用途,对方单位名称,余额,个性化信息

交易时间 is date and time in one cell (2026-11-02 09:15:23); money in is in 贷方发生额, money out in
借方发生额 (the 借/贷 column says the same again); the payer's 附言 arrives in 用途. Below the
lines: 合计 (借方/贷方发生额合计) and 借方笔数/贷方笔数 rows. Account numbers are written with a
trailing tab so that Excel keeps their digits.
"""

from django.utils.translation import gettext_lazy as _

from ioudesk.receivables.bankfiles.base import Layout

LAYOUT = Layout(
    code="icbc",
    label=_("中国工商银行"),
    columns={
        "reference": ("凭证号",),
        "my_account": ("本方账号",),
        "account": ("对方账号",),
        "booked_at": ("交易时间",),
        "flag": ("借/贷",),
        "debit": ("借方发生额",),
        "credit": ("贷方发生额",),
        "bank": ("对方行号", "对方行名"),
        "memo": ("摘要",),
        "purpose": ("用途",),
        "name": ("对方单位名称", "对方户名"),
        "balance": ("余额",),
        "extra": ("个性化信息",),
    },
    signature=("本方账号", "对方单位名称", "借方发生额", "贷方发生额"),
    direction="split",
    memo_fields=("memo", "purpose", "extra"),
    description=_("标题行、账号/户名/起止日期行，表头：凭证号、本方账号、对方账号、交易时间、借/贷、借方发生额、贷方发生额、"
                "对方行号、摘要、用途、对方单位名称、余额、个性化信息；表尾合计行与借方/贷方笔数。"),
)
