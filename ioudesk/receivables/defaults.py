"""The default 单据到期提醒 / 催款通知 templates and rules (``ReminderRule.applies_to`` bill and payable),
seeded by ``dunning.dunning_defaults_ensure`` at every ``ioudesk setup``: 3 days before the due date (SMS), on the due date
(SMS), 催款通知 at overdue +1, +7, +15 and then every 15 days (SMS), a formal 催款通知 by e-mail at
overdue +7 and then every 30 days, a note to the bill's 业务员 at +1, and to our 财务 staff the
payables falling due in the next 7 days.

SMS texts carry no 【签名】: the SMS provider adds the registered signature itself. The e-mail names
the legal basis of the demand (民法典第六百二十六条 the buyer pays at the agreed time and amount; 第五百七十七条,
第五百七十九条 a party who does not pay must pay and answers for the breach): docs/domain.md §26."""

from ioudesk.receivables.categories import DUNNING, REMINDER

# code → MessageTemplate fields
TEMPLATES = {
    "bill-before-sms": {
        "name": "单据到期前提醒（短信）",
        "category": REMINDER,
        "channel": "sms",
        "subject": "",
        "body": ("{客户名称}您好，贵司在{机构名称}的应付款（单据{单据编号}）将于{到期日}到期，金额{未付金额}元"
                 "（{未付金额大写}），请按时安排付款。如有疑问请致电{联系电话}。"),
    },
    "bill-on-due-sms": {
        "name": "单据到期当日提醒（短信）",
        "category": REMINDER,
        "channel": "sms",
        "subject": "",
        "body": ("{客户名称}您好，贵司在{机构名称}的应付款（单据{单据编号}）今日（{到期日}）到期，金额{未付金额}元"
                 "（{未付金额大写}），请于今日付款。如已付款请忽略。如有疑问请致电{联系电话}。"),
    },
    "bill-dunning-sms": {
        "name": "催款通知（短信）",
        "category": DUNNING,
        "channel": "sms",
        "subject": "",
        "body": ("【催款通知】{客户名称}：贵司在{机构名称}的货款（单据{单据编号}）已逾期{逾期天数}天（到期日{到期日}），"
                 "尚欠{未付金额}元（{未付金额大写}），请尽快付款。如已付款请忽略，如对账目有异议请致电{联系电话}。"),
    },
    "bill-dunning-email": {
        "name": "催款通知（邮件）",
        "category": DUNNING,
        "channel": "email",
        "subject": "催款通知：{单据编号}",
        "body": ("{客户名称}：\n\n"
                 "截至本通知发出之日，贵司尚欠我司（{机构名称}）下列款项，已逾约定付款期限，最长逾期{逾期天数}天：\n\n"
                 "{单据明细}\n\n"
                 "合计：人民币{未付金额}元（{未付金额大写}）。\n\n"
                 "根据《中华人民共和国民法典》第六百二十六条，买受人应当按照约定的数额和支付方式支付价款；"
                 "依第五百七十七条、第五百七十九条，当事人一方未支付价款的，对方可以请求其支付并承担违约责任。"
                 "请贵司收到本通知后尽快安排付款。如已付款，或对上述款项有异议，请与我司联系（{联系电话}），以便核对。\n\n"
                 "{机构名称}"),
    },
    "bill-dunning-manager": {
        "name": "单据逾期（业务员站内消息）",
        "category": DUNNING,
        "channel": "inapp",
        "subject": "单据逾期：{客户名称}",
        "body": "您负责的{客户名称}有{笔数}笔应收款逾期未付（最长{逾期天数}天），合计{未付金额}元，请跟进：\n{单据明细}",
    },
    "payable-before-finance": {
        "name": "应付款即将到期（财务站内消息）",
        "category": REMINDER,
        "channel": "inapp",
        "subject": "应付提醒：{笔数}笔即将到期",
        "body": ("本网点有{笔数}笔应付款即将到期（最早{到期日}），合计{未付金额}元，"
                 "供应商：{客户名称}。请按期安排付款：\n{单据明细}"),
    },
}

# applies_to, kind, offsets, repeat_every, channel, template code, notes
RULES = [
    ("bill", "before", "3", None, "sms", "bill-before-sms", "单据到期前3天短信提醒客户"),
    ("bill", "on_due", "", None, "sms", "bill-on-due-sms", "单据到期当日短信提醒客户"),
    ("bill", "overdue", "1,7,15", 15, "sms", "bill-dunning-sms", "逾期第1、7、15天短信催款，此后每15天一次，直至结清"),
    ("bill", "overdue", "7", 30, "email", "bill-dunning-email", "逾期第7天发催款通知邮件，此后每30天一次"),
    ("bill", "overdue", "1", None, "inapp", "bill-dunning-manager", "逾期第1天通知单据的业务员"),
    ("payable", "before", "7", None, "inapp", "payable-before-finance", "每天提醒本网点财务人员7天内到期的应付款"),
]
