"""The applications app's message category: the applicant's notices (短信, 邮件)."""

from django.utils.translation import gettext_lazy as _

from ioudesk.notify.placeholders import register_category

CATEGORY = "application_result"


def register() -> None:
    register_category(
        CATEGORY, label=_("贷款申请进度"),
        placeholders={"申请人姓名": _("申请人的姓名"), "申请编号": _("贷款申请编号"), "申请结果": _("进度或结果"),
                      "机构名称": _("本机构名称")},
        sample=lambda: {"申请人姓名": "王建国", "申请编号": "SQ20261201-0001", "申请结果": "申请已批准",
                        "机构名称": "华信信贷"},
    )
