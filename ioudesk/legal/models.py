"""Legal action (法律诉讼) and the defaulter list (失信/黑名单).

A ``LegalCase`` follows a debt through court: the lawyer's letter, filing (which interrupts the
limitation period: 民法典第一百九十五条, recorded as a ``ious.LimitationEvent``), hearings and other
dated steps (``LegalEvent``), the judgment, enforcement, what was recovered and what it cost
(``LegalCost``). A ``Defaulter`` is a person or company the organisation will not lend to without a
second look: listed by a court as 失信被执行人 or by the organisation itself, with the evidence and its
SHA-256; a new IOU for the same person is refused unless its maker confirms (docs/domain.md §21).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ioudesk.core.fields import MoneyField
from ioudesk.core.storage import private_storage


class LegalStatus(models.TextChoices):
    PREPARING = "preparing", _("准备中")
    FILED = "filed", _("已立案")
    HEARING = "hearing", _("审理中")
    JUDGED = "judged", _("已判决")
    ENFORCING = "enforcing", _("执行中")
    CLOSED = "closed", _("已结案")


class LegalCase(models.Model):
    number = models.CharField(_("诉讼编号"), max_length=24, unique=True, editable=False)
    iou = models.ForeignKey("ious.Iou", verbose_name=_("借据"), null=True, blank=True, on_delete=models.PROTECT,
                            related_name="legal_cases", help_text=_("按客户起诉多笔借据的，可留空"))
    customer = models.ForeignKey("customers.Customer", verbose_name=_("被告（债务人）"), on_delete=models.PROTECT,
                                 related_name="legal_cases")
    branch = models.ForeignKey("core.Branch", verbose_name=_("所属网点"), on_delete=models.PROTECT, related_name="+")
    collection_case = models.ForeignKey("collections.Case", verbose_name=_("催收案件"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="legal_cases")
    status = models.CharField(_("状态"), max_length=10, choices=LegalStatus.choices, default=LegalStatus.PREPARING,
                              db_index=True)
    lawyer = models.CharField(_("承办律师"), max_length=50, blank=True)
    law_firm = models.CharField(_("律师事务所"), max_length=100, blank=True)
    lawyer_letter_on = models.DateField(_("律师函日期"), null=True, blank=True)
    filed_on = models.DateField(_("立案（起诉）日期"), null=True, blank=True)
    court = models.CharField(_("受理法院"), max_length=100, blank=True)
    court_case_number = models.CharField(_("案号"), max_length=60, blank=True, help_text=_("如（2026）京0105民初12345号"))
    claim_amount = MoneyField(_("诉讼请求金额"), default=0)
    judgment_amount = MoneyField(_("判决金额"), default=0)
    judgment_on = models.DateField(_("判决日期"), null=True, blank=True)
    enforcement_case_number = models.CharField(_("执行案号"), max_length=60, blank=True)
    recovered_amount = MoneyField(_("已回收金额"), default=0)
    notes = models.TextField(_("备注"), blank=True)
    opened_on = models.DateField(_("转诉讼日期"))
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("经办人"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("法律诉讼")
        verbose_name_plural = _("法律诉讼")
        ordering = ["-opened_on", "-id"]
        permissions = [
            ("issue_demand_letter", _("可以发出催款函/律师函")),
            ("view_evidence_package", _("可以下载证据包")),
        ]
        indexes = [models.Index(fields=["branch", "status"], name="legalcase_branch_status_idx")]

    def __str__(self):
        return self.number

    @property
    def total_costs(self) -> Decimal:
        return sum((cost.amount for cost in self.costs.all()), Decimal("0.00"))


class LegalEventKind(models.TextChoices):
    LETTER = "letter", _("发出律师函")
    FILING = "filing", _("起诉立案")
    PRESERVATION = "preservation", _("财产保全")
    HEARING = "hearing", _("开庭")
    MEDIATION = "mediation", _("调解")
    JUDGMENT = "judgment", _("判决/裁定")
    ENFORCEMENT = "enforcement", _("申请执行")
    RECOVERY = "recovery", _("执行回款")
    OTHER = "other", _("其他")


class LegalEvent(models.Model):
    case = models.ForeignKey(LegalCase, verbose_name=_("诉讼"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事项"), max_length=14, choices=LegalEventKind.choices, default=LegalEventKind.HEARING)
    on = models.DateField(_("日期"))
    text = models.CharField(_("说明"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_branch_field = "case__branch"

    class Meta:
        verbose_name = _("诉讼进程")
        verbose_name_plural = _("诉讼进程")
        ordering = ["case", "on", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.on.isoformat()}"


class LegalCostKind(models.TextChoices):
    COURT_FEE = "court_fee", _("诉讼费")
    LAWYER_FEE = "lawyer_fee", _("律师费")
    PRESERVATION = "preservation", _("保全费")
    ENFORCEMENT = "enforcement", _("执行费")
    NOTARY = "notary", _("公证/鉴定费")
    SERVICE = "service", _("送达/公告费")
    OTHER = "other", _("其他")


class LegalCost(models.Model):
    case = models.ForeignKey(LegalCase, verbose_name=_("诉讼"), on_delete=models.CASCADE, related_name="costs")
    kind = models.CharField(_("费用类型"), max_length=14, choices=LegalCostKind.choices)
    amount = MoneyField(_("金额"))
    paid_on = models.DateField(_("支付日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_branch_field = "case__branch"

    class Meta:
        verbose_name = _("诉讼费用")
        verbose_name_plural = _("诉讼费用")
        ordering = ["case", "paid_on", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="legalcost_amount_positive")]

    def __str__(self):
        return f"{self.get_kind_display()} ¥{self.amount:,.2f}"


class DefaulterSource(models.TextChoices):
    COURT = "court", _("法院失信被执行人")
    INTERNAL = "internal", _("本机构黑名单")


class Defaulter(models.Model):
    """Matched by the blind index of the ID number (身份证号 or 统一社会信用代码), never stored in
    clear here; ``id_last4`` for the list. ``removed_on`` set: no longer listed (kept for the record)."""

    customer = models.ForeignKey("customers.Customer", verbose_name=_("客户"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="defaulter_listings")
    branch = models.ForeignKey("core.Branch", verbose_name=_("登记网点"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("姓名/名称"), max_length=100, db_index=True)
    id_index = models.CharField(max_length=64, blank=True, default="", editable=False, db_index=True)
    id_last4 = models.CharField(_("证件号后四位"), max_length=4, blank=True, default="", editable=False)
    source = models.CharField(_("来源"), max_length=10, choices=DefaulterSource.choices,
                              default=DefaulterSource.INTERNAL)
    reason = models.TextField(_("列入原因"))
    court_case_number = models.CharField(_("执行案号"), max_length=60, blank=True,
                                         help_text=_("法院失信被执行人的执行案号"))
    evidence = models.FileField(_("证据文件"), max_length=255, storage=private_storage, blank=True)
    evidence_name = models.CharField(_("证据原文件名"), max_length=255, blank=True)
    evidence_content_type = models.CharField(_("证据文件类型"), max_length=100, blank=True)
    evidence_sha256 = models.CharField(_("证据SHA-256"), max_length=64, blank=True)
    listed_on = models.DateField(_("列入日期"))
    removed_on = models.DateField(_("移出日期"), null=True, blank=True)
    removal_reason = models.CharField(_("移出原因"), max_length=200, blank=True)
    listed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("移出人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("失信/黑名单")
        verbose_name_plural = _("失信/黑名单")
        ordering = ["-listed_on", "-id"]

    def __str__(self):
        return self.name

    @property
    def is_listed(self) -> bool:
        return self.removed_on is None


class LimitationAlert(models.Model):
    """One alert sent per IOU, threshold and expiry date (90 and 30 days before the limitation period
    ends): the unique row keeps the day step from sending it twice, however often it runs."""

    iou = models.ForeignKey("ious.Iou", verbose_name=_("借据"), on_delete=models.CASCADE, related_name="+")
    threshold = models.PositiveSmallIntegerField(_("提前天数"))
    expires_on = models.DateField(_("诉讼时效届满日"))
    day = models.DateField(_("提醒日"))
    recipients = models.PositiveSmallIntegerField(_("接收人数"), default=0)

    scope_branch_field = "iou__branch"

    class Meta:
        verbose_name = _("时效预警记录")
        verbose_name_plural = _("时效预警记录")
        default_permissions = ("view",)
        constraints = [models.UniqueConstraint(fields=["iou", "threshold", "expires_on"],
                                               name="limitation_alert_once")]

    def __str__(self):
        return f"{self.iou_id} {self.threshold} {self.expires_on.isoformat()}"
