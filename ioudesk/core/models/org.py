"""The organisation, its branches (a tree) and the staff who work in them."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from ioudesk.core.names import person_name, staff_name


class Organisation(models.Model):
    name = models.CharField(_("机构名称"), max_length=120)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    logo_text = models.CharField(
        _("标识文字"), max_length=12, blank=True, help_text=_("显示在单据和页面顶部的文字标识，如“欠条管家”。")
    )
    currency_display = models.CharField(
        _("金额显示"), max_length=8, default="¥", help_text=_("金额前的货币符号，默认 ¥。")
    )
    interest_cap_applies = models.BooleanField(
        _("适用民间借贷利率上限"),
        default=True,
        help_text=_("民间借贷与一般企业适用四倍LPR上限；持牌金融机构及地方金融组织可关闭。"),
    )
    business_date = models.DateField(
        _("营业日"),
        null=True,
        blank=True,
        help_text=_("留空则使用当天日期；设置后系统按此日期办理业务（补录、演示）。"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("机构设置")
        verbose_name_plural = _("机构设置")
        permissions = [
            ("set_business_date", _("可以设置营业日")),
            ("view_all_branches", _("可以查看所有网点的数据")),
        ]

    def __str__(self):
        return self.short_name or self.name


class Branch(models.Model):
    """A branch (网点) in the organisation's tree. `path` holds the ids from the root ("/1/4/"),
    so "this branch and everything under it" is one indexed prefix query."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("机构"), on_delete=models.PROTECT, related_name="branches"
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("上级网点"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.CharField(_("网点代码"), max_length=20)
    name = models.CharField(_("网点名称"), max_length=80)
    path = models.CharField(_("层级路径"), max_length=255, editable=False, db_index=True, default="")
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("网点")
        verbose_name_plural = _("网点")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="branch_code_unique_per_org"),
        ]

    def __str__(self):
        return self.name

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)


class User(AbstractUser):
    branch = models.ForeignKey(
        Branch, verbose_name=_("所属网点"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="staff",
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("员工")
        verbose_name_plural = _("员工")
        swappable = "AUTH_USER_MODEL"

    def __str__(self):
        return staff_name(self)

    def get_full_name(self):
        """Family name first without a space ("张伟"), see :mod:`ioudesk.core.names`."""
        return person_name(self.last_name, self.first_name)
