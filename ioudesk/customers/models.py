"""Customers (个人 and 企业), their contacts, files, tags, prospects and follow-ups.

Personal data (ID numbers, phone numbers, bank accounts) is encrypted at rest
(EncryptedTextField). Exact-match search and duplicate detection use blind indexes
(`*_index`, HMAC of the normalised value); search by the last digits uses the plain `*_last4`
columns, which reveal no more than a masked display does.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ioudesk.core.fields import EncryptedTextField, MoneyField
from ioudesk.core.storage import private_storage


class CustomerKind(models.TextChoices):
    INDIVIDUAL = "individual", _("个人")
    COMPANY = "company", _("企业")


class Category(models.TextChoices):
    NORMAL = "normal", _("普通客户")
    IMPORTANT = "important", _("重要客户")
    BLACKLIST = "blacklist", _("黑名单")


class RiskGrade(models.TextChoices):
    A = "A", _("A 低风险")
    B = "B", _("B 较低风险")
    C = "C", _("C 中等风险")
    D = "D", _("D 较高风险")
    E = "E", _("E 高风险")


class MaritalStatus(models.TextChoices):
    UNKNOWN = "", _("未填写")
    UNMARRIED = "unmarried", _("未婚")
    MARRIED = "married", _("已婚")
    DIVORCED = "divorced", _("离异")
    WIDOWED = "widowed", _("丧偶")


class Sex(models.TextChoices):
    UNKNOWN = "", _("未知")
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class SourceChannel(models.Model):
    """Where customers and prospects come from (来源渠道), a list the organisation keeps."""

    name = models.CharField(_("渠道名称"), max_length=40, unique=True)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("来源渠道")
        verbose_name_plural = _("来源渠道")
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class Tag(models.Model):
    class Colour(models.TextChoices):
        PRIMARY = "primary", _("紫色")
        SUCCESS = "success", _("绿色")
        INFO = "info", _("蓝色")
        WARNING = "warning", _("橙色")
        DANGER = "danger", _("红色")

    name = models.CharField(_("标签"), max_length=30, unique=True)
    colour = models.CharField(_("颜色"), max_length=10, choices=Colour.choices, default=Colour.PRIMARY)

    class Meta:
        verbose_name = _("客户标签")
        verbose_name_plural = _("客户标签")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Customer(models.Model):
    number = models.CharField(_("客户编号"), max_length=24, unique=True, editable=False)
    kind = models.CharField(_("客户类型"), max_length=12, choices=CustomerKind.choices, default=CustomerKind.INDIVIDUAL)
    name = models.CharField(_("姓名/名称"), max_length=100, db_index=True)
    name_pinyin = models.CharField(_("拼音"), max_length=300, editable=False, db_index=True, default="")
    name_initials = models.CharField(_("拼音首字母"), max_length=100, editable=False, db_index=True, default="")
    # "王建 建国": substring search; indexed by FTS5 (SQLite) or GIN (PostgreSQL), see customers/search_index.py
    name_bigrams = models.TextField(_("名称检索词"), editable=False, default="")
    branch = models.ForeignKey("core.Branch", verbose_name=_("所属网点"), on_delete=models.PROTECT,
                               related_name="customers")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("客户经理"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="customers")
    category = models.CharField(_("客户分类"), max_length=12, choices=Category.choices, default=Category.NORMAL,
                                db_index=True)
    risk_grade = models.CharField(_("风险等级"), max_length=1, choices=RiskGrade.choices, default=RiskGrade.B,
                                  db_index=True)
    source = models.ForeignKey(SourceChannel, verbose_name=_("来源渠道"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="customers")
    tags = models.ManyToManyField(Tag, verbose_name=_("标签"), blank=True, related_name="customers")

    phone = EncryptedTextField(_("手机号"), blank=True)
    phone_index = models.CharField(max_length=64, blank=True, default="", editable=False, db_index=True)
    phone_last4 = models.CharField(max_length=4, blank=True, default="", editable=False, db_index=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)

    # individuals
    id_number = EncryptedTextField(_("身份证号"), blank=True)
    id_number_index = models.CharField(max_length=64, blank=True, default="", editable=False, db_index=True)
    id_last4 = models.CharField(max_length=4, blank=True, default="", editable=False, db_index=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True, editable=False)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, blank=True, default="", editable=False)
    employer = models.CharField(_("工作单位"), max_length=100, blank=True)
    monthly_income = MoneyField(_("月收入（元）"), null=True, blank=True)
    marital_status = models.CharField(_("婚姻状况"), max_length=10, choices=MaritalStatus.choices, blank=True,
                                      default="")

    # companies
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, default="", db_index=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    registered_capital = MoneyField(_("注册资本（元）"), null=True, blank=True)
    industry = models.CharField(_("所属行业"), max_length=50, blank=True)

    bank_name = models.CharField(_("开户银行"), max_length=100, blank=True)
    bank_account = EncryptedTextField(_("银行账号"), blank=True)

    notes = models.TextField(_("备注"), blank=True)
    acquired_on = models.DateField(_("建档日期"), db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("建档人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        ordering = ["-id"]
        permissions = [
            ("view_sensitive_customer", _("可以查看客户完整证件号、手机号和银行账号")),
            ("export_customer", _("可以导出客户")),
            ("import_customer", _("可以导入客户")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["id_number_index"], condition=~Q(id_number_index=""),
                                    name="customer_unique_id_number"),
            models.UniqueConstraint(fields=["credit_code"], condition=~Q(credit_code=""),
                                    name="customer_unique_credit_code"),
        ]
        indexes = [
            models.Index(fields=["branch", "acquired_on"], name="customer_branch_acquired_idx"),
        ]

    def __str__(self):
        return f"{self.name}（{self.number}）"

    @property
    def is_company(self) -> bool:
        return self.kind == CustomerKind.COMPANY


class Contact(models.Model):
    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("姓名"), max_length=50)
    relation = models.CharField(_("关系/职务"), max_length=30, help_text=_("如：配偶、父母、同事、财务负责人"))
    phone = EncryptedTextField(_("手机号"), blank=True)
    is_emergency = models.BooleanField(_("紧急联系人"), default=False)
    notes = models.CharField(_("备注"), max_length=200, blank=True)

    scope_branch_field = "customer__branch"

    class Meta:
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        ordering = ["-is_emergency", "id"]

    def __str__(self):
        return f"{self.name}（{self.relation}）"


class FileKind(models.TextChoices):
    ID_FRONT = "id_front", _("身份证人像面")
    ID_BACK = "id_back", _("身份证国徽面")
    BUSINESS_LICENSE = "license", _("营业执照")
    CONTRACT = "contract", _("合同")
    IOU = "iou", _("借条/欠条原件")
    BANK_STATEMENT = "bank_statement", _("银行流水")
    OTHER = "other", _("其他")


class CustomerFile(models.Model):
    """A document kept with the customer (客户资料). Stored outside the web root; downloads go
    through a permission check and are logged."""

    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="files")
    iou = models.ForeignKey("ious.Iou", verbose_name=_("借据"), null=True, blank=True, on_delete=models.PROTECT,
                            related_name="paper_files", help_text=_("借条/欠条原件等与某笔借据相关的资料"))
    kind = models.CharField(_("资料类型"), max_length=16, choices=FileKind.choices, default=FileKind.OTHER)
    file = models.FileField(_("文件"), max_length=255, storage=private_storage)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    scope_branch_field = "customer__branch"

    class Meta:
        verbose_name = _("客户资料")
        verbose_name_plural = _("客户资料")
        ordering = ["-uploaded_at"]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.original_name}"


class ProspectStatus(models.TextChoices):
    NEW = "new", _("新线索")
    FOLLOWING = "following", _("跟进中")
    CONVERTED = "converted", _("已转化")
    LOST = "lost", _("已放弃")


class Prospect(models.Model):
    """A potential customer (潜在客户) being worked on; converted into a Customer when they sign up."""

    name = models.CharField(_("姓名/名称"), max_length=100)
    kind = models.CharField(_("客户类型"), max_length=12, choices=CustomerKind.choices, default=CustomerKind.INDIVIDUAL)
    phone = EncryptedTextField(_("手机号"), blank=True)
    phone_index = models.CharField(max_length=64, blank=True, default="", editable=False, db_index=True)
    company_name = models.CharField(_("单位"), max_length=100, blank=True)
    source = models.ForeignKey(SourceChannel, verbose_name=_("来源渠道"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="prospects")
    branch = models.ForeignKey("core.Branch", verbose_name=_("所属网点"), on_delete=models.PROTECT,
                               related_name="prospects")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("客户经理"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="prospects")
    status = models.CharField(_("状态"), max_length=12, choices=ProspectStatus.choices, default=ProspectStatus.NEW,
                              db_index=True)
    expected_amount = MoneyField(_("意向金额（元）"), null=True, blank=True)
    converted_customer = models.OneToOneField(Customer, verbose_name=_("转化后的客户"), null=True, blank=True,
                                              on_delete=models.SET_NULL, related_name="prospect", editable=False)
    notes = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("潜在客户")
        verbose_name_plural = _("潜在客户")
        ordering = ["-created_at"]

    def __str__(self):
        return self.name


class FollowUpChannel(models.TextChoices):
    PHONE = "phone", _("电话")
    VISIT = "visit", _("上门拜访")
    IN_STORE = "in_store", _("到店面谈")
    WECHAT = "wechat", _("微信")
    MATERIAL = "material", _("寄送资料")
    OTHER = "other", _("其他")


class FollowUp(models.Model):
    """One contact with a customer or prospect (跟进记录), and the next action it sets."""

    customer = models.ForeignKey(Customer, verbose_name=_("客户"), null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="follow_ups")
    prospect = models.ForeignKey(Prospect, verbose_name=_("潜在客户"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="follow_ups")
    branch = models.ForeignKey("core.Branch", verbose_name=_("所属网点"), on_delete=models.PROTECT,
                               related_name="follow_ups")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("跟进人"), on_delete=models.PROTECT,
                              related_name="follow_ups")
    channel = models.CharField(_("方式"), max_length=12, choices=FollowUpChannel.choices, default=FollowUpChannel.PHONE)
    happened_at = models.DateTimeField(_("跟进时间"))
    content = models.TextField(_("内容"))
    material_sent = models.CharField(_("发送的资料"), max_length=200, blank=True,
                                     help_text=_("如：产品介绍册、利率说明、合同样本"))
    next_action = models.CharField(_("下一步"), max_length=200, blank=True)
    next_action_on = models.DateField(_("下次跟进日期"), null=True, blank=True, db_index=True)
    next_action_done = models.BooleanField(_("下一步已完成"), default=False)
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("跟进记录")
        verbose_name_plural = _("跟进记录")
        ordering = ["-happened_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(customer__isnull=False, prospect__isnull=True) | Q(customer__isnull=True, prospect__isnull=False)),
                name="follow_up_customer_xor_prospect",
            ),
        ]
        indexes = [models.Index(fields=["owner", "next_action_on", "next_action_done"], name="follow_up_due_idx")]

    def __str__(self):
        return f"{self.happened_at:%Y-%m-%d} {self.get_channel_display()}：{(self.customer or self.prospect)}"
