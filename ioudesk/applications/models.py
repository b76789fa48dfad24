"""Loan applications (贷款申请): entered at the desk or submitted on the public page (/apply/).

An ``Application`` carries what the applicant asked for and who they are (ID number and phone
encrypted at rest with blind indexes, as customers keep them), the consent to the privacy terms,
the screening outcome and score (ioudesk.screening), the recommendation, the approval request
(ioudesk.approvals, kind ``application``) and, once approved, the IOU. ``MaterialRequirement`` is
the checklist per product (or for all products); ``ApplicationMaterial`` one uploaded file against
an item (a re-upload is a new row: the history stays); ``ApplicationEvent`` the timeline, of which
the rows marked ``public`` are shown to the applicant on the tracking page. docs/domain.md §25.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ioudesk.core.fields import EncryptedTextField, MoneyField
from ioudesk.core.storage import private_storage


class Channel(models.TextChoices):
    DESK = "desk", _("柜面录入")
    PORTAL = "portal", _("线上申请")


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    SCREENING = "screening", _("初筛中")
    IN_REVIEW = "in_review", _("审批中")
    RETURNED = "returned", _("退回补充")
    APPROVED = "approved", _("已批准")
    OFFERED = "offered", _("待确认新条件")
    ACCEPTED = "accepted", _("已接受")
    REJECTED = "rejected", _("已拒绝")
    WITHDRAWN = "withdrawn", _("已撤回")
    DISBURSED = "disbursed", _("已放款")


OPEN_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.SCREENING, Status.IN_REVIEW, Status.RETURNED,
                 Status.OFFERED)
# the IOU's statuses from disbursement on (ioudesk.ious.models.Status; not imported: names only)
DISBURSED_IOU_STATUSES = ("active", "overdue", "extended", "settled", "written_off")
FINAL_STATUSES = (Status.APPROVED, Status.ACCEPTED, Status.REJECTED, Status.WITHDRAWN, Status.DISBURSED)


class ApplicationProduct(models.Model):
    """How a product may be applied for: on the public page or only at the desk. (The applicant's age
    range is the screening's age rule for the product: one place, ioudesk.screening.)"""

    product = models.OneToOneField("products.Product", verbose_name=_("产品"), on_delete=models.CASCADE,
                                   related_name="application_settings")
    online = models.BooleanField(_("开放线上申请"), default=True)
    intro = models.CharField(_("申请页简介"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("产品申请设置")
        verbose_name_plural = _("产品申请设置")
        ordering = ["product__code"]

    def __str__(self):
        return str(self.product)


class Application(models.Model):
    number = models.CharField(_("申请编号"), max_length=24, unique=True, editable=False)
    channel = models.CharField(_("申请渠道"), max_length=10, choices=Channel.choices, default=Channel.DESK,
                               db_index=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    product = models.ForeignKey("products.Product", verbose_name=_("产品"), on_delete=models.PROTECT,
                                related_name="applications")
    amount = MoneyField(_("申请金额（元）"))
    term = models.PositiveSmallIntegerField(_("期数"))
    purpose = models.CharField(_("借款用途"), max_length=200)

    applicant_name = models.CharField(_("申请人姓名"), max_length=50)
    id_number = EncryptedTextField(_("身份证号"))
    id_number_index = models.CharField(max_length=64, editable=False, db_index=True, default="")
    id_last4 = models.CharField(max_length=4, editable=False, default="")
    birth_date = models.DateField(_("出生日期"), null=True, blank=True, editable=False)
    phone = EncryptedTextField(_("手机号"))
    phone_index = models.CharField(max_length=64, editable=False, db_index=True, default="")
    phone_last4 = models.CharField(max_length=4, editable=False, db_index=True, default="")
    email = models.EmailField(_("电子邮箱"), blank=True)
    monthly_income = MoneyField(_("月收入（元）"), null=True, blank=True)
    employer = models.CharField(_("工作单位"), max_length=100, blank=True)
    monthly_debt = MoneyField(_("现有每月还款（元）"), null=True, blank=True,
                              help_text=_("其他贷款、信用卡等每月需偿还的金额"))

    customer = models.ForeignKey("customers.Customer", verbose_name=_("客户"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="applications")
    branch = models.ForeignKey("core.Branch", verbose_name=_("受理网点"), on_delete=models.PROTECT,
                               related_name="+")
    account_manager = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("客户经理"), null=True,
                                        blank=True, on_delete=models.SET_NULL, related_name="applications")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", editable=False)

    consent_at = models.DateTimeField(_("同意隐私条款时间"), null=True, blank=True)
    consent_version = models.CharField(_("隐私条款版本"), max_length=20, blank=True)
    tracking_token = models.CharField(max_length=64, unique=True, editable=False)
    client_ip = models.GenericIPAddressField(_("提交IP"), null=True, blank=True, editable=False)

    screening_result = models.JSONField(_("初筛结果"), default=dict, blank=True)
    score = models.IntegerField(_("评分"), null=True, blank=True)
    score_band = models.CharField(_("评分等级"), max_length=10, blank=True)
    scorecard_version = models.PositiveIntegerField(_("评分卡版本"), null=True, blank=True)
    screened_at = models.DateTimeField(_("初筛时间"), null=True, blank=True)
    recommendation = models.JSONField(_("推荐方案"), default=dict, blank=True)
    decision_reason = models.TextField(_("决定理由"), blank=True)
    offer = models.JSONField(_("调整后的条件"), default=dict, blank=True,
                             help_text=_("改条件同意时的金额、期数、利率"))

    approval_request = models.ForeignKey("approvals.ApprovalRequest", verbose_name=_("审批单"), null=True,
                                         blank=True, on_delete=models.SET_NULL, related_name="+")
    iou = models.ForeignKey("ious.Iou", verbose_name=_("借据"), null=True, blank=True, on_delete=models.PROTECT,
                            related_name="applications")

    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True, db_index=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scope_branch_field = "branch"

    class Meta:
        verbose_name = _("贷款申请")
        verbose_name_plural = _("贷款申请")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["branch", "status"], name="application_branch_status_idx")]
        permissions = [
            ("review_applicationmaterial", _("审核申请材料")),
            ("submit_application", _("提交贷款申请审批")),
        ]

    def __str__(self):
        return f"{self.number} {self.applicant_name}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def public_reason(self) -> str:
        """The reason the applicant is shown for a rejection: the screening rules that knocked the
        application out (docs/domain.md §24); an approver's comment is internal and is not shown."""
        if self.status == Status.REJECTED and (self.screening_result or {}).get("knocked_out"):
            return self.decision_reason
        return ""

    @property
    def shown_status(self) -> str:
        """The status as the applicant and the page show it: 已放款 once the IOU has been disbursed."""
        if self.iou_id and self.iou.status in DISBURSED_IOU_STATUSES:
            return str(Status.DISBURSED.label)
        return str(self.get_status_display())


class MaterialRequirement(models.Model):
    """One item of the materials checklist, for one product or (no product) for all."""

    product = models.ForeignKey("products.Product", verbose_name=_("产品"), null=True, blank=True,
                                on_delete=models.CASCADE, related_name="material_requirements",
                                help_text=_("留空：所有产品都要"))
    code = models.SlugField(_("代码"), max_length=30)
    name = models.CharField(_("材料名称"), max_length=40)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    required = models.BooleanField(_("必须提供"), default=True)
    allowed_kinds = models.CharField(_("允许的文件类型"), max_length=100, default="jpeg,png,pdf",
                                     help_text=_("申请人可以上传的文件类型（按内容检查）"))
    max_size_mb = models.PositiveSmallIntegerField(_("大小上限（MB）"), default=10)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("申请材料要求")
        verbose_name_plural = _("申请材料要求")
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["product", "code"], name="material_requirement_unique")]

    def __str__(self):
        return self.name

    def kind_keys(self) -> list[str]:
        return [k.strip() for k in (self.allowed_kinds or "").split(",") if k.strip()]


class MaterialStatus(models.TextChoices):
    UPLOADED = "uploaded", _("待审核")
    ACCEPTED = "accepted", _("已通过")
    RETURNED = "returned", _("已退回")


class ApplicationMaterial(models.Model):
    application = models.ForeignKey(Application, verbose_name=_("申请"), on_delete=models.PROTECT,
                                    related_name="materials")
    requirement = models.ForeignKey(MaterialRequirement, verbose_name=_("材料项"), on_delete=models.PROTECT,
                                    related_name="+")
    file = models.FileField(_("文件"), max_length=255, storage=private_storage)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=100)
    kind = models.CharField(_("检测到的类型"), max_length=20)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=MaterialStatus.choices,
                              default=MaterialStatus.UPLOADED, db_index=True)
    reason = models.CharField(_("退回原因"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+", help_text=_("空：申请人本人"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    superseded = models.BooleanField(_("已被重新上传替代"), default=False)

    scope_branch_field = "application__branch"

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["application", "requirement__order", "-uploaded_at", "-pk"]

    def __str__(self):
        return f"{self.requirement.name}：{self.original_name}"


class ApplicationEvent(models.Model):
    """The timeline of an application. ``public`` rows are shown to the applicant on the tracking
    page (the in-app notice of the result)."""

    application = models.ForeignKey(Application, verbose_name=_("申请"), on_delete=models.CASCADE,
                                    related_name="events")
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    verb = models.CharField(_("事项"), max_length=60)
    note = models.TextField(_("说明"), blank=True)
    public = models.BooleanField(_("申请人可见"), default=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, blank=True)

    class Meta:
        verbose_name = _("申请动态")
        verbose_name_plural = _("申请动态")
        ordering = ["at", "pk"]

    def __str__(self):
        return self.verb


class RateLimitHit(models.Model):
    """One use of a rate-limited door of the public page (by IP or by phone index). In the database
    so that every web process counts the same hits; old rows are removed as new ones come in."""

    bucket = models.CharField(max_length=100, db_index=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("访问频率记录")
        verbose_name_plural = _("访问频率记录")
        indexes = [models.Index(fields=["bucket", "at"], name="ratelimit_bucket_at_idx")]

    def __str__(self):
        return f"{self.bucket} {self.at:%Y-%m-%d %H:%M:%S}"
