"""中国建设银行 企业网上银行「账户明细查询」export (.xlsx, or .csv in GBK).

Above the header::

    中国建设银行单位客户账户明细
    账号：33050161672700000123  账户名称：杭州禾丰贸易有限公司  币种：人民币
    起始日期：20261101  结束日期：20261130
    交易时间,借方发生额（支取）,贷方发生额（收入）,余额,币种,对方户名,对方账号,对方开户机构,记账日期,摘要,备注,
    账户明细编号-交易流水号,企业流水号,凭证种类,凭证号

交易时间 is written 20261102 09:15:23; the bank's serial is 账户明细编号-交易流水号; the payer's 附言
shows in 备注. A 合计 row closes the table.
"""

from django.utils.translation import gettext_lazy as _

from ioudesk.receivables.bankfiles.base import Layout

LAYOUT = Layout(
    code="ccb",
    label=_("中国建设银行"),
    columns={
        "booked_at": ("交易时间",),
        "debit": ("借方发生额（支取）", "借方发生额(支取)", "借方发生额"),
        "credit": ("贷方发生额（收入）", "贷方发生额(收入)", "贷方发生额"),
        "balance": ("余额", "账户余额"),
        "currency": ("币种",),
        "name": ("对方户名",),
        "account": ("对方账号",),
        "bank": ("对方开户机构",),
        "day": ("记账日期",),
        "memo": ("摘要",),
        "remark": ("备注",),
        "reference": ("账户明细编号-交易流水号",),
        "company_ref": ("企业流水号",),
    },
    signature=("账户明细编号-交易流水号", "对方开户机构"),
    direction="split",
    memo_fields=("memo", "remark"),
    description=_("标题行、账号/账户名称/起始结束日期行，表头：交易时间、借方发生额（支取）、贷方发生额（收入）、余额、币种、对方户名、"
                "对方账号、对方开户机构、记账日期、摘要、备注、账户明细编号-交易流水号、企业流水号、凭证种类、凭证号；表尾合计行。"),
)
