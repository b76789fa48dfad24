"""初筛规则 and the score card (评分卡), as data the administrator edits (docs/domain.md §24).

A *rule* checks one thing about an applicant (age from the ID number, the defaulter list, overdue
IOUs, debt-to-income, duplicate applications, the amount limit of a product); a *knock-out* rule
that fails rejects the application with its reason, the others are shown to the approver.

A *score card* row is one published version: its attributes (each row one bin of one attribute with
its points) and bands never change once published; editing the card publishes a new version, and an
application keeps the version it was scored with (``ScoreCard.version``).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ioudesk.core.fields import MoneyField


class RuleKind(models.TextChoices):
    AGE_RANGE = "age_range", _("年龄范围（按身份证号）")
    DEFAULTER = "defaulter", _("失信/黑名单")
    OVERDUE = "overdue", _("现有逾期借据")
    DEBT_TO_INCOME = "debt_to_income", _("负债收入比")
    DUPLICATE = "duplicate", _("重复申请")
    AMOUNT_LIMIT = "amount_limit", _("产品金额上限")


class ScreeningRule(models.Model):
    """One 初筛 rule. Rules of a kind set for one product replace the general rules of that kind for
    that product (e.g. a product's own age range)."""

    code = models.SlugField(_("规则代码"), max_length=40, unique=True)
    name = models.CharField(_("规则名称"), max_length=60)
    kind = models.CharField(_("规则类型"), max_length=20, choices=RuleKind.choices)
    product = models.ForeignKey("products.Product", verbose_name=_("适用产品"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+",
                                help_text=_("留空适用所有产品；为某产品设置的同类规则取代通用规则"))
    min_age = models.PositiveSmallIntegerField(_("最低年龄（周岁）"), null=True, blank=True,
                                               help_text=_("年龄范围规则使用"))
    max_age = models.PositiveSmallIntegerField(_("最高年龄（周岁）"), null=True, blank=True,
                                               help_text=_("年龄范围规则使用：申请日已满此年龄的下一岁即超限"))
    max_ratio = models.DecimalField(_("负债收入比上限"), max_digits=5, decimal_places=4, null=True, blank=True,
                                    help_text=_("负债收入比规则使用：0.5 即 50%（现有月还款 + 本笔月供）÷ 月收入"))
    window_days = models.PositiveSmallIntegerField(_("查重天数"), null=True, blank=True,
                                                   help_text=_("重复申请规则使用：此天数内同一身份证号或手机号的其他申请"))
    max_count = models.PositiveSmallIntegerField(_("允许笔数"), default=0,
                                                 help_text=_("重复申请、现有逾期规则使用：超过此笔数即不通过"))
    max_overdue_days = models.PositiveSmallIntegerField(_("容忍逾期天数"), default=0,
                                                        help_text=_("现有逾期规则使用：逾期超过此天数的借据才计入"))
    max_amount = MoneyField(_("金额上限（元）"), null=True, blank=True,
                            help_text=_("金额上限规则使用；留空则按产品的最高金额"))
    knock_out = models.BooleanField(_("一票否决"), default=True,
                                    help_text=_("不通过即拒绝申请；不勾选则只提示审批人"))
    is_active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=100)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("初筛规则")
        verbose_name_plural = _("初筛规则")
        ordering = ["order", "pk"]

    def __str__(self):
        return self.name


class ScoreCard(models.Model):
    """One published version of the score card. ``is_current`` marks the version new applications
    are scored with; older versions stay for the applications that used them."""

    name = models.CharField(_("评分卡名称"), max_length=60)
    version = models.PositiveIntegerField(_("版本号"), unique=True, editable=False)
    base_points = models.IntegerField(_("基础分"), default=0, help_text=_("各属性得分之前的起始分"))
    is_current = models.BooleanField(_("当前版本"), default=False, editable=False)
    note = models.CharField(_("修改说明"), max_length=200, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发布人"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+", editable=False)
    published_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评分卡")
        verbose_name_plural = _("评分卡")
        ordering = ["-version"]

    def __str__(self):
        return f"{self.name} v{self.version}"


class Attribute(models.TextChoices):
    AGE = "age", _("年龄（周岁）")
    MONTHLY_INCOME = "monthly_income", _("月收入（元）")
    DEBT_TO_INCOME = "debt_to_income", _("负债收入比（%）")
    EMPLOYER = "employer", _("有工作单位（1 是 0 否）")
    GOOD_HISTORY = "good_history", _("老客户且记录良好（1 是 0 否）")
    OVERDUE_HISTORY = "overdue_history", _("逾期或核销借据笔数")
    AMOUNT_TO_INCOME = "amount_to_income", _("申请金额为月收入的倍数")


class ScoreAttribute(models.Model):
    """One bin of one attribute: a value ``lower`` ≤ v < ``upper`` (either end open when blank), or
    the bin for an unknown value (``when_missing``), scores ``points``."""

    card = models.ForeignKey(ScoreCard, verbose_name=_("评分卡"), on_delete=models.CASCADE, related_name="attributes")
    attribute = models.CharField(_("属性"), max_length=20, choices=Attribute.choices)
    label = models.CharField(_("分箱说明"), max_length=40, help_text=_("如 25–34岁"))
    lower = models.DecimalField(_("下限（含）"), max_digits=14, decimal_places=2, null=True, blank=True)
    upper = models.DecimalField(_("上限（不含）"), max_digits=14, decimal_places=2, null=True, blank=True)
    when_missing = models.BooleanField(_("未提供时"), default=False, help_text=_("该属性无法取得时使用此分箱"))
    points = models.IntegerField(_("得分"))
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("评分属性")
        verbose_name_plural = _("评分属性")
        ordering = ["card", "order", "pk"]

    def __str__(self):
        return f"{self.get_attribute_display()} {self.label}"

    def matches(self, value: Decimal | None) -> bool:
        if value is None:
            return self.when_missing
        if self.when_missing:
            return False
        return (self.lower is None or value >= self.lower) and (self.upper is None or value < self.upper)


class ScoreBand(models.Model):
    """A score band (评级): scores from ``min_score`` up to the next band's; a score below the lowest
    band's ``min_score`` falls in the lowest band. ``amount_factor`` and ``rate_add`` drive the
    recommendation (docs/domain.md §24)."""

    card = models.ForeignKey(ScoreCard, verbose_name=_("评分卡"), on_delete=models.CASCADE, related_name="bands")
    code = models.CharField(_("评级"), max_length=4)
    label = models.CharField(_("名称"), max_length=30)
    min_score = models.IntegerField(_("最低分"))
    action = models.CharField(_("建议处理"), max_length=100)
    amount_factor = models.DecimalField(_("建议额度系数"), max_digits=4, decimal_places=2, default=Decimal("1"),
                                        help_text=_("建议金额 = 申请金额（不超过产品上限）× 系数；0 即建议拒绝"))
    rate_add = models.DecimalField(_("利率上浮（年化）"), max_digits=6, decimal_places=4, default=Decimal("0"),
                                   help_text=_("在产品年利率上增加，0.01 即加 1 个百分点"))

    class Meta:
        verbose_name = _("评分等级")
        verbose_name_plural = _("评分等级")
        ordering = ["card", "-min_score"]
        constraints = [models.UniqueConstraint(fields=["card", "code"], name="screening_band_code_unique")]

    def __str__(self):
        return f"{self.code} {self.label}"
