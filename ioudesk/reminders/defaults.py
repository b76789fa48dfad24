"""The default 还款提醒 templates and rules, seeded by ``services.reminder_defaults_ensure`` (run by
``ioudesk setup``): 3 days before the due date (SMS), on the due date (SMS), overdue +1, +3, +7 and
then every 7 days (SMS), and an in-app note to the IOU's 客户经理 at +1 overdue.

SMS texts carry no 【签名】: the SMS provider adds the registered signature itself.
"""

# code → MessageTemplate fields (category repayment_reminder)
TEMPLATES = {
    "reminder-before-sms": {
        "name": "到期前提醒（短信）",
        "channel": "sms",
        "subject": "",
        "body": ("{客户姓名}您好，您在{机构名称}的借据{借据编号}将于{到期日}到期，应还金额{应还金额}元"
                 "（{应还金额大写}），请按时还款。如有疑问请致电{联系电话}。"),
    },
    "reminder-on-due-sms": {
        "name": "到期当日提醒（短信）",
        "channel": "sms",
        "subject": "",
        "body": ("{客户姓名}您好，您在{机构名称}的借据{借据编号}今日（{到期日}）到期，应还金额{应还金额}元"
                 "（{应还金额大写}），请于今日还款，以免产生逾期罚息。如有疑问请致电{联系电话}。"),
    },
    "reminder-overdue-sms": {
        "name": "逾期提醒（短信）",
        "channel": "sms",
        "subject": "",
        "body": ("{客户姓名}您好，您在{机构名称}的借据{借据编号}已逾期{逾期天数}天（到期日{到期日}），"
                 "尚欠{应还金额}元（{应还金额大写}），逾期罚息按约定计至实际还款日，请尽快还款。如已还款请忽略。"
                 "如有疑问请致电{联系电话}。"),
    },
    "reminder-overdue-officer": {
        "name": "逾期提醒（客户经理站内消息）",
        "channel": "inapp",
        "subject": "逾期提醒：{客户姓名}",
        "body": ("您负责的客户{客户姓名}有{笔数}期逾期未还（最长{逾期天数}天），合计{应还金额}元，请跟进：\n"
                 "{还款明细}"),
    },
}

# kind, offsets, repeat_every, channel, template code, notes
RULES = [
    ("before", "3", None, "sms", "reminder-before-sms", "到期前3天短信提醒债务人"),
    ("on_due", "", None, "sms", "reminder-on-due-sms", "到期当日短信提醒债务人"),
    ("overdue", "1,3,7", 7, "sms", "reminder-overdue-sms", "逾期第1、3、7天短信提醒，此后每周一次，直至还清"),
    ("overdue", "1", None, "inapp", "reminder-overdue-officer", "逾期第1天通知客户经理"),
]
