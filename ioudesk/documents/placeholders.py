"""The placeholders a document template may use, per kind of document, with what they mean and a
sample value (used to check a template when it is saved, and for the preview).

Every value handed to a template is a plain string or a boolean, never a model: a template cannot
reach the database or an attribute of anything. Amounts come in pairs: ``*_words`` is the amount in
words without 人民币 (the template writes “人民币（大写）”), ``*_figures`` the figures without ¥ (the
template writes “¥”), as docs/domain.md §15 prints them: 人民币（大写）壹万元整（¥10,000.00）.
"""

from __future__ import annotations

from ioudesk.documents.models import DocumentKind

# name: (meaning, sample)
COMMON: dict[str, tuple[str, object]] = {
    "org_name": ("本机构名称", "欠条管家示范机构"),
    "number": ("借据编号", "JD20261128-0001"),
    "document_number": ("单据编号", "JD20261128-0001"),
    "creditor": ("出借人/债权人（留空为本机构）", "欠条管家示范机构"),
    "debtor": ("借款人/债务人姓名或名称", "王建国"),
    "debtor_id_label": ("证件类型：身份证号或统一社会信用代码", "身份证号"),
    "debtor_id_number": ("证件号码（借条、欠条、展期协议、结清证明上有查看权限时为完整号码，其余脱敏）", "11010519491231002X"),
    "debtor_phone": ("联系电话（脱敏规则同证件号码）", "13901012345"),
    "debtor_address": ("住址/地址", "北京市朝阳区建国路1号"),
    "contract_date": ("借款/欠款日期，如 二〇二六年十一月二十八日", "二〇二六年十一月二十八日"),
    "today": ("出具日期（营业日）", "二〇二六年十一月二十八日"),
    "principal_words": ("本金大写（不含“人民币”）", "壹万元整"),
    "principal_figures": ("本金小写（不含“¥”）", "10,000.00"),
    "amount_words": ("本单据的主要金额大写：借条、欠条为本金，还款凭证为本次还款，结清证明为累计还款，"
                     "展期协议为展期时尚欠的本金", "壹万元整"),
    "amount_figures": ("主要金额小写（不含“¥”）", "10,000.00"),
    "reason": ("借款用途/欠款事由", "购买生产设备"),
    "loan_word": ("“借款”或“欠款”", "借款"),
    "guarantor": ("担保人（可为空）", "李明"),
    "witness": ("见证人（可为空）", "赵强"),
}

IOU: dict[str, tuple[str, object]] = {
    "due_date": ("到期日（未约定时为空）", "二〇二七年十一月二十八日"),
    "first_due": ("首期还款日（可为空）", "二〇二六年十二月二十八日"),
    "term": ("期数", "12"),
    "term_text": ("借款期限的完整说明", "自二〇二六年十一月二十八日起至二〇二七年十一月二十八日止，共12期"),
    "method": ("还款方式，如 等额本息", "等额本息"),
    "frequency": ("还款周期，如 按月", "按月"),
    "installment_figures": ("每期应还（首期，不含“¥”）", "888.49"),
    "rate": ("利率：约定的写法和折合年利率", "月息1分（折合年利率12.00%）"),
    "has_interest": ("是否计息（真/假，用于 {% if %}）", True),
    "penalty": ("逾期罚息约定（一句话）", "逾期未还的，就逾期本金自逾期之日起按年利率18.00%（合同利率上浮50%）计收罚息。"),
    "debt_reason": ("欠款原因，如 货款", "货款"),
    "payment_terms": ("账期，如 月结30天（可为空）", "月结30天"),
    "has_schedule": ("是否附还款计划表（多期时为真）", True),
}

RECEIPT: dict[str, tuple[str, object]] = {
    "payment_date": ("还款日期", "二〇二六年十二月二十八日"),
    "method": ("支付方式，如 银行转账", "银行转账"),
    "reference": ("流水号/凭证号（可为空）", "2026122812345678"),
    "payer": ("付款人（未填写时为债务人）", "王建国"),
    "operator": ("经办人", "陈静"),
    "principal_figures_paid": ("本次冲抵本金（不含“¥”）", "788.49"),
    "interest_figures_paid": ("本次冲抵利息", "100.00"),
    "penalty_figures_paid": ("本次冲抵罚息", "0.00"),
    "fee_figures_paid": ("本次冲抵费用", "0.00"),
    "overpayment_figures": ("本次转为溢缴款的金额", "0.00"),
    "has_overpayment": ("本次是否有溢缴款（真/假）", False),
    "is_recovery": ("是否为核销后收回（真/假）", False),
    "outstanding_words": ("截至出具日尚欠合计大写（含已核销未收回部分）", "玖仟贰佰壹拾壹元伍角壹分"),
    "outstanding_figures": ("截至出具日尚欠合计小写", "9,211.51"),
}

SETTLEMENT: dict[str, tuple[str, object]] = {
    "settled_on": ("结清日期", "二〇二七年十一月二十八日"),
    "disbursed_on": ("放款/生效日期（可为空）", "二〇二六年十一月二十八日"),
    "total_paid_words": ("累计归还合计大写（本金、利息、罚息、费用）", "壹万零陆佰陆拾壹元捌角捌分"),
    "total_paid_figures": ("累计归还合计小写", "10,661.88"),
    "principal_paid_figures": ("累计归还本金", "10,000.00"),
    "interest_paid_figures": ("累计归还利息", "661.88"),
    "penalty_paid_figures": ("累计归还罚息", "0.00"),
    "fee_paid_figures": ("累计归还费用", "0.00"),
    "waived_figures": ("累计减免", "0.00"),
    "has_waiver": ("是否有减免（真/假）", False),
    "overpayment_figures": ("尚未退还的溢缴款", "0.00"),
    "has_overpayment": ("是否有未退还的溢缴款（真/假）", False),
}

EXTENSION: dict[str, tuple[str, object]] = {
    "creditor_role": ("“出借人”（借条）或“债权人”（欠条）", "出借人"),
    "debtor_role": ("“借款人”（借条）或“债务人”（欠条）", "借款人"),
    "extension_number": ("第几次展期", "1"),
    "extension_date": ("展期生效日", "二〇二七年五月二十八日"),
    "extension_reason": ("展期原因", "经营资金周转困难"),
    "original_term_text": ("原借据约定的借款期限", "自二〇二六年十一月二十八日起至二〇二七年十一月二十八日止，共12期"),
    "original_rate": ("原借据约定的利率", "月息1分（折合年利率12.00%）"),
    "previous_due_date": ("本次展期前的最后到期日", "二〇二七年十一月二十八日"),
    "carried_figures": ("展期前已到期未还的本金、利息、费用和罚息合计（不含“¥”）", "0.00"),
    "has_carried": ("是否有展期前已到期未还的款项（真/假）", False),
    "new_term": ("展期后的期数", "12"),
    "new_term_text": ("展期后借款期限的完整说明", "自二〇二七年五月二十八日起至二〇二八年五月二十八日止，共12期"),
    "new_first_due": ("展期后首期还款日", "二〇二七年六月二十八日"),
    "new_due_date": ("展期后的最后到期日", "二〇二八年五月二十八日"),
    "new_rate": ("展期后的利率", "月息1分（折合年利率12.00%）"),
    "rate_changed": ("展期是否改变了利率（真/假）", False),
    "method": ("还款方式，如 等额本息", "等额本息"),
    "installment_figures": ("展期后每期应还（首期，不含“¥”）", "481.15"),
    "penalty": ("展期后的逾期罚息约定（一句话）", "逾期未还的，就逾期本金自逾期之日起按年利率18.00%（合同利率上浮50%）计收罚息。"),
}

# 催款函 and 律师函 (ioudesk/legal/letters.py): what is owed on the day, component by component.
LETTER: dict[str, tuple[str, object]] = {
    "letter_date": ("发函日期", "二〇二六年十一月二十八日"),
    "as_of": ("欠款计算截止日", "二〇二六年十一月二十八日"),
    "is_loan": ("是否为借款（借条为真，欠条为假）", True),
    "debt_reason": ("欠款原因，如 货款（借条为“借款”）", "借款"),
    "creditor_role": ("“出借人”或“债权人”", "出借人"),
    "debtor_role": ("“借款人”或“债务人”", "借款人"),
    "case_number": ("催收案件编号", "CS20261128-0001"),
    "overdue_since": ("最早一笔未还款项的到期日（未逾期为空）", "二〇二六年八月十五日"),
    "days_past_due": ("逾期天数", "105"),
    "principal_owed_words": ("尚欠本金大写（含已核销未收回）", "捌仟贰佰柒拾伍元壹角捌分"),
    "principal_owed_figures": ("尚欠本金小写（不含“¥”）", "8,275.18"),
    "overdue_principal_figures": ("其中已到期的本金", "2,400.96"),
    "has_future_principal": ("尚欠本金中是否有尚未到期的部分（真/假）", True),
    "interest_owed_words": ("尚欠利息大写", "贰佰伍拾贰元伍角壹分"),
    "interest_owed_figures": ("尚欠利息小写", "252.51"),
    "penalty_owed_words": ("截至截止日的罚息大写", "陆拾叁元肆角伍分"),
    "penalty_owed_figures": ("截至截止日的罚息小写", "63.45"),
    "has_penalty_owed": ("是否有罚息（真/假）", True),
    "fee_owed_words": ("尚欠费用大写", "零元整"),
    "fee_owed_figures": ("尚欠费用小写", "0.00"),
    "has_fee_owed": ("是否有费用（真/假）", False),
    "total_owed_words": ("尚欠合计大写（本金、利息、罚息、费用）", "捌仟伍佰玖拾壹元壹角肆分"),
    "total_owed_figures": ("尚欠合计小写", "8,591.14"),
    "pay_within_days": ("收函后付款期限（天）", "7"),
    "contact_phone": ("我方联系电话（可为空）", "010-85001234"),
    "operator": ("经办人（发函人）", "陈静"),
    "limitation_expires_on": ("本函送达前的诉讼时效届满日（可为空）", "二〇三〇年一月十五日"),
    "limitation_expired": ("诉讼时效是否已经届满（真/假）", False),
    "law_firm": ("律师事务所（律师函）", "北京市示范律师事务所"),
    "lawyer": ("承办律师（律师函）", "周律"),
    "lawyer_phone": ("律师联系电话（可为空）", "010-85009876"),
}

BY_KIND: dict[str, dict[str, tuple[str, object]]] = {
    DocumentKind.IOU_LOAN: {**COMMON, **IOU},
    DocumentKind.IOU_DEBT: {**COMMON, **IOU},
    DocumentKind.RECEIPT: {**COMMON, **RECEIPT},
    DocumentKind.SETTLEMENT: {**COMMON, **SETTLEMENT},
    DocumentKind.EXTENSION: {**COMMON, **EXTENSION},
    DocumentKind.DEMAND: {**COMMON, **LETTER},
    DocumentKind.LAWYER: {**COMMON, **LETTER},
}


def allowed(kind: str) -> dict[str, tuple[str, object]]:
    return BY_KIND[kind]


def sample_context(kind: str) -> dict[str, object]:
    return {name: sample for name, (_meaning, sample) in allowed(kind).items()}
