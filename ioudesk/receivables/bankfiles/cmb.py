"""招商银行 企业网上银行「交易查询」export (.xlsx, or .csv in GBK).

Above the header::

    招商银行交易明细
    账号：571908888810101  账户名称：杭州禾丰贸易有限公司  币种：人民币
    查询日期：2026-11-01 — 2026-11-30
    交易日,交易时间,起息日,交易类型,借方金额,贷方金额,余额,摘要,流水号,流程实例号,业务名称,用途,业务参考号,
    业务摘要,其它摘要,收/付方分行名,收/付方名称,收/付方帐号,收/付方开户行行号,收/付方开户行名,收/付方开户行地址,
    母/子公司帐号分行名,母/子公司帐号,母/子公司名称,信息标志,有否附件信息,冲帐标志,扩展摘要,交易分析码,票据号,
    商务支付订单号,内部编号

交易日 20261102 and 交易时间 09:15:23 in two columns; the other party is 收/付方名称 and 收/付方帐号
(帐 with 巾, as the bank writes it); the payer's 附言 shows in 用途 or 扩展摘要.
"""

from django.utils.translation import gettext_lazy as _

from ioudesk.receivables.bankfiles.base import Layout

LAYOUT = Layout(
    code="cmb",
    label=_("招商银行"),
    columns={
        "day": ("交易日",),
        "time": ("交易时间",),
        "kind": ("交易类型",),
        "debit": ("借方金额",),
        "credit": ("贷方金额",),
        "balance": ("余额",),
        "memo": ("摘要",),
        "reference": ("流水号",),
        "purpose": ("用途",),
        "business_memo": ("业务摘要",),
        "other_memo": ("其它摘要",),
        "name": ("收/付方名称",),
        "account": ("收/付方帐号", "收/付方账号"),
        "bank": ("收/付方开户行名",),
        "extended": ("扩展摘要",),
    },
    signature=("收/付方名称", "借方金额", "贷方金额"),
    direction="split",
    memo_fields=("memo", "purpose", "business_memo", "other_memo", "extended"),
    description=_("标题行、账号/账户名称/查询日期行，表头：交易日、交易时间、起息日、交易类型、借方金额、贷方金额、余额、摘要、流水号、"
                "……、用途、……、收/付方名称、收/付方帐号、收/付方开户行名、……、扩展摘要等32列。"),
)
