"""The notify app's own message categories: a generic notice to staff (站内消息, 邮件) and one to
customers (短信, 邮件). Reminders and later features register theirs in their own apps."""

from django.utils.translation import gettext_lazy as _

from ioudesk.notify.placeholders import register_category

STAFF_NOTICE = "staff_notice"
CUSTOMER_NOTICE = "customer_notice"


def _sample() -> dict:
    return {"员工姓名": "张伟", "机构名称": "示例小额贷款有限公司", "通知标题": "系统维护通知",
            "通知内容": "今晚 22:00–23:00 系统维护，请提前保存工作。", "日期": "2026-12-01"}


def register() -> None:
    register_category(
        STAFF_NOTICE, label=_("员工通知"),
        placeholders={"员工姓名": _("收件员工的姓名"), "机构名称": _("本机构名称"), "通知标题": _("通知的标题"),
                      "通知内容": _("通知的内容"), "日期": _("营业日")},
        sample=_sample,
    )
    register_category(
        CUSTOMER_NOTICE, label=_("客户通知"),
        placeholders={"客户姓名": _("客户的姓名或名称"), "机构名称": _("本机构名称"), "联系电话": _("本机构的联系电话"),
                      "通知内容": _("通知的内容"), "日期": _("营业日")},
        sample=lambda: {"客户姓名": "王建国", "机构名称": "示例小额贷款有限公司", "联系电话": "010-65001234",
                        "通知内容": "我司营业时间调整为 9:00–18:00。", "日期": "2026-12-01"},
    )
