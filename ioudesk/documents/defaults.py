"""The wording each kind of document starts with, modelled on the 借条/欠条 commonly used in
mainland China (出借人、借款人及证件号码、大写和小写金额、用途、期限、利率、逾期责任、担保、签字按手印).

The 展期协议 is the extension agreement both parties sign when an IOU is extended: which IOU, the
principal outstanding on the day, the new term, maturity and rate, the new schedule attached. A
guarantor signs it too: under Civil Code art. 695 a change of the term without the guarantor's
written consent does not move the guarantee period.

A private loan with no agreed rate: under 《最高人民法院关于审理民间借贷案件适用法律若干问题的规定》
art. 28, the lender may claim overdue interest at the one-year LPR from the day the debt is overdue;
the generated penalty sentence says so. The administrator can change every word in the back office
(单据模板); these texts are seeded when a kind has no template yet.

The collection letters (催款函 from the creditor, 律师函 from its lawyer; ioudesk/legal/letters.py) state
the debt, what is owed on the day in words and figures (principal, interest, penalty, fees, total), the
legal basis — for a loan 民法典 第六百七十四条 (interest when agreed), 第六百七十五条 (repayment when
agreed), 第六百七十六条 (overdue interest), for a 欠条 for goods or services 第五百七十七条 (liability
for breach) and 第五百七十九条 (a money debt may be claimed), and in both the IOU itself — a time to pay,
and the limitation period: delivered, the letter interrupts it (第一百九十五条: a demand by the creditor);
when it has already run out, a debtor who then agrees to pay loses that defence (第一百九十二条).
"""

from ioudesk.documents.models import DocumentKind

IOU_PARTY = (
    "{{ debtor_id_label }}：{{ debtor_id_number }}{% if debtor_phone %}，联系电话：{{ debtor_phone }}{% endif %}"
    "{% if debtor_address %}，住址：{{ debtor_address }}{% endif %}"
)

GUARANTEE = (
    "{% if guarantor %}担保人{{ guarantor }}自愿为上述{{ loan_word }}的本金、利息、罚息及实现债权的费用承担连带保证责任，"
    "保证期间为主债务履行期限届满之日起三年。\n\n{% endif %}"
)

DEFAULTS: dict[str, dict[str, str]] = {
    DocumentKind.IOU_LOAN: {
        "title": "借条",
        "body": (
            "今借到{{ creditor }}（以下简称“出借人”）人民币（大写）{{ amount_words }}（¥{{ amount_figures }}）"
            "{% if reason %}，用于{{ reason }}{% endif %}。\n\n"
            "借款人：{{ debtor }}，" + IOU_PARTY + "。\n\n"
            "借款期限：{{ term_text }}。还款方式：{{ method }}"
            "{% if has_schedule %}，每期应还金额见所附还款计划表{% endif %}。\n\n"
            "借款利率：{{ rate }}。{{ penalty }}\n\n"
            + GUARANTEE +
            "借款人确认已收到上述全部借款。借款人未按期还款的，出借人为实现债权支出的律师费、诉讼费、保全费等合理费用"
            "由借款人承担。因本借条发生争议的，双方协商解决；协商不成的，依法向出借人所在地人民法院起诉。\n\n"
            "此据。"
        ),
        "closing": (
            "借款人（签字并按手印）：＿＿＿＿＿＿＿＿\n"
            "{{ debtor_id_label }}：{{ debtor_id_number }}\n"
            "{% if guarantor %}担保人（签字并按手印）：＿＿＿＿＿＿＿＿（{{ guarantor }}）\n{% endif %}"
            "{% if witness %}见证人（签字）：＿＿＿＿＿＿＿＿（{{ witness }}）\n{% endif %}"
            "出借人：{{ creditor }}（盖章）\n"
            "日期：{{ contract_date }}"
        ),
    },
    DocumentKind.IOU_DEBT: {
        "title": "欠条",
        "body": (
            "今欠{{ creditor }}（以下简称“债权人”）{{ debt_reason }}人民币（大写）{{ amount_words }}"
            "（¥{{ amount_figures }}）{% if reason %}，系{{ reason }}{% endif %}。\n\n"
            "债务人：{{ debtor }}，" + IOU_PARTY + "。\n\n"
            "{% if due_date %}债务人承诺于{{ due_date }}前一次性付清上述欠款"
            "{% if payment_terms %}（账期：{{ payment_terms }}）{% endif %}。"
            "{% else %}上述欠款未约定还款期限，债权人可以随时要求债务人履行，但应当给予必要的准备时间。{% endif %}"
            "{% if has_interest %}欠款利率：{{ rate }}。{% endif %}{{ penalty }}\n\n"
            + GUARANTEE +
            "债务人确认上述欠款真实无误。债务人未按期付款的，债权人为实现债权支出的律师费、诉讼费、保全费等合理费用"
            "由债务人承担。因本欠条发生争议的，双方协商解决；协商不成的，依法向债权人所在地人民法院起诉。\n\n"
            "此据。"
        ),
        "closing": (
            "债务人（签字并按手印）：＿＿＿＿＿＿＿＿\n"
            "{{ debtor_id_label }}：{{ debtor_id_number }}\n"
            "{% if guarantor %}担保人（签字并按手印）：＿＿＿＿＿＿＿＿（{{ guarantor }}）\n{% endif %}"
            "{% if witness %}见证人（签字）：＿＿＿＿＿＿＿＿（{{ witness }}）\n{% endif %}"
            "债权人：{{ creditor }}（盖章）\n"
            "日期：{{ contract_date }}"
        ),
    },
    DocumentKind.RECEIPT: {
        "title": "还款凭证",
        "body": (
            "兹收到{{ payer }}于{{ payment_date }}以{{ method }}方式"
            "{% if reference %}（流水号/凭证号：{{ reference }}）{% endif %}"
            "支付的借据{{ number }}项下{% if is_recovery %}核销后收回款{% else %}还款{% endif %}"
            "人民币（大写）{{ amount_words }}（¥{{ amount_figures }}）。\n\n"
            "借款人/债务人：{{ debtor }}（{{ debtor_id_label }}：{{ debtor_id_number }}）。"
            "{% if not is_recovery %}本次还款按约定顺序冲抵，明细见下表。{% endif %}"
            "{% if has_overpayment %}多付的¥{{ overpayment_figures }}作为溢缴款，用于冲抵以后到期的款项或按申请退还。{% endif %}\n\n"
            "截至{{ today }}，该借据尚欠本金、利息、罚息及费用合计人民币（大写）{{ outstanding_words }}"
            "（¥{{ outstanding_figures }}）。\n\n"
            "本凭证仅证明上述款项已经收到，不作为发票使用。"
        ),
        "closing": (
            "收款单位：{{ creditor }}（盖章）\n"
            "经办人：{{ operator }}\n"
            "出具日期：{{ today }}"
        ),
    },
    DocumentKind.EXTENSION: {
        "title": "展期协议",
        "body": (
            "{{ creditor_role }}：{{ creditor }}\n"
            "{{ debtor_role }}：{{ debtor }}，" + IOU_PARTY + "\n\n"
            "{{ debtor_role }}于{{ contract_date }}向{{ creditor_role }}出具借据（编号：{{ number }}），"
            "约定{{ loan_word }}本金人民币（大写）{{ principal_words }}（¥{{ principal_figures }}），"
            "期限{{ original_term_text }}，利率：{{ original_rate }}。"
            "现{{ debtor_role }}因{{ extension_reason }}申请展期（第{{ extension_number }}次），经双方协商一致，"
            "达成如下协议：\n\n"
            "一、截至{{ extension_date }}，{{ debtor_role }}尚欠{{ loan_word }}本金人民币（大写）{{ amount_words }}"
            "（¥{{ amount_figures }}）。{% if has_carried %}其中已到期未还的本金、利息、费用及罚息合计"
            "¥{{ carried_figures }}列为展期前欠款，于{{ extension_date }}到期，不因展期而免除。{% endif %}\n\n"
            "二、上述{{ loan_word }}展期后的期限为{{ new_term_text }}，最后到期日由{{ previous_due_date }}变更为"
            "{{ new_due_date }}。还款方式：{{ method }}，每期应还金额见所附展期后还款计划表。\n\n"
            "三、展期后的利率：{{ new_rate }}{% if rate_changed %}（原利率：{{ original_rate }}）{% endif %}。"
            "{{ penalty }}\n\n"
            "四、{% if guarantor %}担保人{{ guarantor }}同意对展期后的债务继续承担连带保证责任，"
            "保证期间为展期后债务履行期限届满之日起三年。{% endif %}"
            "除本协议变更的内容外，原借据的其他约定继续有效；原借据与本协议不一致的，以本协议为准。\n\n"
            "五、{{ debtor_role }}确认上述欠款真实无误。本协议自双方签字（盖章）之日起生效，一式两份，双方各执一份。"
        ),
        "closing": (
            "{{ debtor_role }}（签字并按手印）：＿＿＿＿＿＿＿＿\n"
            "{{ debtor_id_label }}：{{ debtor_id_number }}\n"
            "{% if guarantor %}担保人（签字并按手印）：＿＿＿＿＿＿＿＿（{{ guarantor }}）\n{% endif %}"
            "{{ creditor_role }}：{{ creditor }}（盖章）\n"
            "{{ creditor_role }}经办人（签字）：＿＿＿＿＿＿＿＿\n"
            "日期：{{ extension_date }}"
        ),
    },
    DocumentKind.SETTLEMENT: {
        "title": "结清证明",
        "body": (
            "兹证明：{{ debtor }}（{{ debtor_id_label }}：{{ debtor_id_number }}）于{{ contract_date }}与{{ creditor }}"
            "发生的{{ loan_word }}（借据编号：{{ number }}），本金人民币（大写）{{ principal_words }}"
            "（¥{{ principal_figures }}）。\n\n"
            "截至{{ settled_on }}，上述{{ loan_word }}本息已全部结清，双方债权债务关系终止。"
            "债务人累计归还人民币（大写）{{ amount_words }}（¥{{ amount_figures }}），明细见下表。"
            "{% if has_waiver %}其中经批准减免¥{{ waived_figures }}，不再追收。{% endif %}"
            "{% if has_overpayment %}债务人尚有溢缴款¥{{ overpayment_figures }}，将按其申请退还。{% endif %}\n\n"
            "特此证明。"
        ),
        "closing": (
            "出具单位：{{ creditor }}（盖章）\n"
            "出具日期：{{ today }}"
        ),
    },
}


def _facts(creditor: str) -> str:
    """What the debt is: the IOU, its date and principal, since when it is overdue."""
    return (
        "{{ contract_date }}，{% if is_loan %}您向" + creditor + "借款并出具借条（借据编号：{{ number }}），"
        "借款本金人民币（大写）{{ principal_words }}（¥{{ principal_figures }}）"
        "{% else %}您向" + creditor + "出具欠条（借据编号：{{ number }}），确认欠付{{ debt_reason }}"
        "人民币（大写）{{ principal_words }}（¥{{ principal_figures }}）{% endif %}。"
        "{% if overdue_since %}您未按约定于{{ overdue_since }}履行还款义务，截至{{ as_of }}已逾期{{ days_past_due }}天。"
        "{% endif %}"
    )


DEMAND_OWED = (
    "截至{{ as_of }}，您尚欠本金人民币（大写）{{ principal_owed_words }}（¥{{ principal_owed_figures }}）"
    "{% if has_future_principal %}（其中已到期¥{{ overdue_principal_figures }}）{% endif %}，"
    "利息人民币（大写）{{ interest_owed_words }}（¥{{ interest_owed_figures }}），"
    "{% if has_penalty_owed %}罚息人民币（大写）{{ penalty_owed_words }}（¥{{ penalty_owed_figures }}），{% endif %}"
    "{% if has_fee_owed %}费用人民币（大写）{{ fee_owed_words }}（¥{{ fee_owed_figures }}），{% endif %}"
    "合计人民币（大写）{{ total_owed_words }}（¥{{ total_owed_figures }}），明细见下表。"
)

DEMAND_BASIS = (
    "{% if is_loan %}根据《中华人民共和国民法典》第六百七十四条、第六百七十五条、第六百七十六条的规定及上述借条的约定，"
    "借款人应当按照约定的期限支付利息、返还借款；未按照约定的期限返还借款的，应当按照约定或者国家有关规定支付逾期利息。"
    "{% else %}根据《中华人民共和国民法典》第五百七十七条、第五百七十九条的规定及上述欠条的约定，"
    "当事人一方未支付价款、报酬、租金、利息，或者不履行其他金钱债务的，对方可以请求其支付，并承担继续履行、赔偿损失等违约责任。"
    "{% endif %}"
)

LIMITATION_WARNING = (
    "{% if limitation_expired %}上述债权的诉讼时效期间已于{{ limitation_expires_on }}届满；依照《中华人民共和国民法典》"
    "第一百九十二条，您在本函送达后同意履行的，不得再以诉讼时效期间届满为由抗辩。"
    "{% else %}依照《中华人民共和国民法典》第一百九十五条，本函送达之日起，上述债权的诉讼时效中断，诉讼时效期间重新计算"
    "{% if limitation_expires_on %}（本函送达前，诉讼时效期间至{{ limitation_expires_on }}届满）{% endif %}。{% endif %}"
)

DEFAULTS[DocumentKind.DEMAND] = {
    "title": "催款函",
    "body": (
        "{{ debtor }}（{{ debtor_id_label }}：{{ debtor_id_number }}）：\n\n"
        + _facts("{{ creditor }}") + "\n\n" + DEMAND_OWED + "\n\n" + DEMAND_BASIS + "\n\n"
        "现特函催告：请您于收到本函之日起{{ pay_within_days }}日内将上述欠款全部付清。"
        "如有异议，请在上述期限内与我方联系{% if contact_phone %}（联系电话：{{ contact_phone }}）{% endif %}。"
        "逾期仍不履行的，我方将依法向人民法院提起诉讼，由此产生的诉讼费、保全费、律师费等费用依约由您承担。\n\n"
        + LIMITATION_WARNING + "\n\n"
        "{% if guarantor %}担保人{{ guarantor }}依约对上述债务承担连带保证责任，我方保留依法要求担保人承担保证责任的权利。\n\n{% endif %}"
        "特此函告。"
    ),
    "closing": (
        "{{ creditor }}（盖章）\n"
        "经办人：{{ operator }}\n"
        "日期：{{ letter_date }}"
    ),
}

DEFAULTS[DocumentKind.LAWYER] = {
    "title": "律师函",
    "body": (
        "致：{{ debtor }}（{{ debtor_id_label }}：{{ debtor_id_number }}）\n\n"
        "{{ law_firm }}接受{{ creditor }}（以下简称“委托人”）的委托，指派{{ lawyer }}律师，"
        "就您拖欠委托人{{ loan_word }}一事，郑重致函如下：\n\n"
        "一、根据委托人提供的借据及还款记录等材料：" + _facts("委托人") + "\n\n"
        "二、" + DEMAND_OWED + "\n\n"
        "三、" + DEMAND_BASIS + "您的上述行为已构成违约。\n\n"
        "四、本律师受托郑重要求：请您于收到本函之日起{{ pay_within_days }}日内将上述欠款全部付清。"
        "逾期仍不履行的，本律师将建议委托人依法提起诉讼，届时您除应偿还上述全部欠款外，还将承担诉讼费、保全费、"
        "律师费等费用；经人民法院判决后仍不履行的，可能被依法纳入失信被执行人名单并限制高消费。\n\n"
        "五、" + LIMITATION_WARNING + "\n\n"
        "{% if guarantor %}六、担保人{{ guarantor }}依约对上述债务承担连带保证责任，委托人保留依法要求担保人承担保证责任的权利。\n\n{% endif %}"
        "特此函告。"
    ),
    "closing": (
        "{{ law_firm }}（盖章）\n"
        "承办律师：{{ lawyer }}\n"
        "{% if lawyer_phone %}联系电话：{{ lawyer_phone }}\n{% endif %}"
        "日期：{{ letter_date }}"
    ),
}
