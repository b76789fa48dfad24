"""中国银行 企业网上银行「交易明细」export (.csv in GBK, or .xlsx): headers in Chinese and English.

Above the header::

    中国银行企业网上银行 交易明细查询
    账号：375858012345  户名：杭州禾丰贸易有限公司  查询期间：2026/11/01-2026/11/30
    交易类型[ Transaction Type ],业务类型[ Business type ],付款人开户行号[ Payer account bank ],
    付款人开户行名[ Payer account bank name ],付款人账号[ Debit Account No. ],付款人名称[ Payer's Name ],
    收款人开户行行号[ Payee account bank ],收款人开户行名[ Payee account bank name ],
    收款人账号[ Payee's Account Number ],收款人名称[ Payee's Name ],交易日期[ Transaction Date ],
    交易时间[ Transaction time ],交易货币[ Trade Currency ],交易金额[ Trade Amount ],
    交易后余额[ After-transaction balance ],起息日期[ Value Date ],汇率[ Exchange rate ],
    交易流水号[ Transaction reference number ],客户申请号[ Online Banking Transaction Ref ],
    客户业务编号[ Customer Transaction Ref ],凭证类型[ Type of Vouchers ],凭证号码[ Vouchers Number ],
    记录标识号[ Record ID ],摘要[ Reference ],用途[ Purpose ],交易附言[ Remark ],备注[ Remarks ]

Each line names both sides: for money in (交易类型 来账) the other party is the 付款人, for money
out (往账) the 收款人. 交易金额 is negative for money out; 交易日期 is 20261102, 交易时间 09:15:23.
"""

from django.utils.translation import gettext_lazy as _

from ioudesk.receivables.bankfiles.base import Layout


def _counterparty(values: dict, direction: str) -> tuple[str, str, str]:
    side = "payer" if direction == "receivable" else "payee"
    return values.get(f"{side}_name", ""), values.get(f"{side}_account", ""), values.get(f"{side}_bank", "")


LAYOUT = Layout(
    code="boc",
    label=_("中国银行"),
    columns={
        "flag": ("交易类型",),
        "business": ("业务类型",),
        "payer_bank": ("付款人开户行名",),
        "payer_account": ("付款人账号",),
        "payer_name": ("付款人名称",),
        "payee_bank": ("收款人开户行名",),
        "payee_account": ("收款人账号",),
        "payee_name": ("收款人名称",),
        "day": ("交易日期",),
        "time": ("交易时间",),
        "currency": ("交易货币",),
        "amount": ("交易金额",),
        "balance": ("交易后余额",),
        "reference": ("交易流水号",),
        "memo": ("摘要",),
        "purpose": ("用途",),
        "remark": ("交易附言",),
        "note": ("备注",),
    },
    signature=("付款人名称", "收款人名称", "交易金额", "交易后余额"),
    direction="flag",
    required=(("day",), "amount"),
    in_flags=("来账", "贷", "收入"),
    out_flags=("往账", "借", "支出"),
    memo_fields=("memo", "purpose", "remark", "note"),
    counterparty=_counterparty,
    description=_("标题行、账号/户名/查询期间行，中英文表头：交易类型（来账/往账）、付款人与收款人的开户行/账号/名称、交易日期、交易时间、"
                "交易金额（往账为负数）、交易后余额、交易流水号、摘要、用途、交易附言、备注。来账取付款人为对方，往账取收款人。"),
)
