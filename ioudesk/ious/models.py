"""The IOU aggregate (借据/欠条): the IOU with its copied terms and balances, its approvals, its
schedule versions and installments, and one document per money event (Transaction)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ioudesk.core.fields import MoneyField
from ioudesk.products.terms import TermsFields


class IouKind(models.TextChoices):
    LOAN = "loan", _("借条（借款）")
    DEBT = "debt", _("欠条（欠款）")


class DebtReason(models.TextChoices):
    LOAN = "loan", _("借款")
    GOODS = "goods", _("货款")
    SERVICES = "services", _("服务费")
    RENT = "rent", _("租金")
    OTHER = "other", _("其他")


class PaymentTerms(models.TextChoices):
    """账期: when money owed for goods or services falls due."""

    NONE = "", _("按约定到期日")
    ON_DELIVERY = "on_delivery", _("货到付款")
    NET_30 = "net_30", _("月结30天")
    NET_60 = "net_60", _("发票后60天")
    NET_90 = "net_90", _("发票后90天")
    END_OF_NEXT_MONTH = "eonm", _("次月末")
    END_OF_NEXT_QUARTER = "eonq", _("下季度末")


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PENDING_APPROVAL = "pending_approval", _("待审批")
    APPROVED = "approved", _("已批准")
    ACTIVE = "active", _("已放款/生效")
    OVERDUE = "overdue", _("逾期")
    EXTENDED = "extended", _("已展期")
    SETTLED = "settled", _("已结清")
    WRITTEN_OFF = "written_off", _("已核销")
    CANCELLED = "cancelled", _("已作废")


LIVE_STATUSES = (Status.ACTIVE, Status.OVERDUE, Status.EXTENDED)


class RecoveryMethod(models.TextChoices):
    """收回方式 of a non-performing debt that leaves the books."""

    CASH = "cash", _("现金收回")
    ASSET_IN_LIEU = "asset_in_lieu", _("以物抵债")
    WRITE_OFF = "write_off", _("核销")
    TRANSFER = "transfer", _("转让")


class Classification(models.TextChoices):
    NORMAL = "normal", _("正常")
    SPECIAL_MENTION = "special_mention", _("关注")
    SUBSTANDARD = "substandard", _("次级")
    DOUBTFUL = "doubtful", _("可疑")
    LOSS = "loss", _("损失")


class GuaranteeType(models.TextChoices):
    """担保方式 as the regulator's monthly table counts loans (信用/保证/抵押/质押)."""

    CREDIT = "credit", _("信用")
    GUARANTEE = "guarantee", _("保证")
    MORTGAGE = "mortgage", _("抵押")
    PLEDGE = "pledge", _("质押")


class Purpose(models.TextChoices):
    """借款用途 in the regulator's categories."""

    AGRICULTURE = "agriculture", _("农林牧渔")
    MANUFACTURING = "manufacturing", _("工业制造")
    TRADE = "trade", _("批发零售")
    SERVICES = "services", _("服务业")
    CONSTRUCTION = "construction", _("建筑与房地产")
    CONSUMPTION = "consumption", _("个人消费")
    OTHER = "other", _("其他")


class Iou(TermsFields):
    number = models.CharField(_("借据编号"), max_length=24, unique=True, editable=False)
    kind = models.CharField(_("类型"), max_length=8, choices=IouKind.choices, default=IouKind.LOAN)
    debt_reason = models.CharField(_("欠款原因"), max_length=10, choices=DebtReason.choices, default=DebtReason.LOAN)
    reason = models.CharField(_("事由"), max_length=200, blank=True, help_text=_("如：2026年10月采购钢材货款"))
    customer = models.ForeignKey("customers.Customer", verbose_name=_("债务人"), on_delete=models.PROTECT,
                                 related_name="ious")
    branch = models.ForeignKey("core.Branch", verbose_name=_("所属网点"), on_delete=models.PROTECT, related_name="ious")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("客户经理"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="ious")
    product = models.ForeignKey("products.Product", verbose_name=_("产品"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="ious")
    creditor = models.CharField(_("债权人"), max_length=100, blank=True, help_text=_("留空表示本机构"))
    guarantor = models.CharField(_("担保人"), max_length=100, blank=True)
    witness = models.CharField(_("见证人"), max_length=100, blank=True)
    notes = models.TextField(_("备注"), blank=True)

    principal = MoneyField(_("本金（元）"))
    term = models.PositiveSmallIntegerField(_("期数"), default=1)
    contract_date = models.DateField(_("借款/欠款日期"))
    first_due = models.DateField(_("首期还款日"), null=True, blank=True)
    due_date = models.DateField(_("到期日"), null=True, blank=True,
                                help_text=_("一次性还款的欠条填写；留空且无账期表示未约定还款期限"))
    payment_terms = models.CharField(_("账期"), max_length=12, choices=PaymentTerms.choices, blank=True, default="")
    deducted_interest = MoneyField(_("预扣利息（砍头息）"), default=0)
    upfront_fee = MoneyField(_("放款手续费"), default=0)
    installment_fee = MoneyField(_("每期手续费"), default=0)
    prepayment_fee_rate = models.DecimalField(_("提前还款手续费率"), max_digits=6, decimal_places=4, default=0)

    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    disbursed_on = models.DateField(_("放款/生效日"), null=True, blank=True)
    maturity_date = models.DateField(_("最后到期日"), null=True, blank=True, db_index=True)
    settled_on = models.DateField(_("结清日"), null=True, blank=True)
    written_off_on = models.DateField(_("核销日"), null=True, blank=True)
    recovery_method = models.CharField(_("收回方式"), max_length=16, choices=RecoveryMethod.choices, blank=True,
                                       default="")
    # For the reports (the regulator's monthly table counts loans by these). NULL: not recorded — the
    # reports read it as 保证 when a guarantor is named, else 信用, and the purpose as 其他.
    guarantee_type = models.CharField(_("担保方式"), max_length=10, choices=GuaranteeType.choices,  # noqa: DJ001
                                      null=True, blank=True)
    purpose_category = models.CharField(_("借款用途分类"), max_length=16, choices=Purpose.choices,  # noqa: DJ001
                                        null=True, blank=True)

    # The legal-cap check made at creation (and again at extension).
    cap_checked_on = models.DateField(_("利率上限检查日"), null=True, blank=True, editable=False)
    cap_rate = models.DecimalField(_("保护上限（年）"), max_digits=10, decimal_places=8, null=True, blank=True,
                                   editable=False)
    cap_within = models.BooleanField(_("在保护范围内"), null=True, editable=False)
    cap_rule = models.TextField(_("上限依据"), blank=True, editable=False)
    cap_unprotected_interest = MoneyField(_("不受保护的利息"), default=0, editable=False)
    # Art. 29: penalty interest accrued beyond what overdue charges may come to (4×LPR a year on
    # the overdue principal). It is charged as agreed, like interest above the cap, and counted
    # here so that collection and lawsuits claim only the protected part.
    cap_unprotected_penalty = MoneyField(_("超出上限的罚息"), default=0, editable=False)

    limitation_expires_on = models.DateField(_("诉讼时效届满日"), null=True, blank=True, db_index=True, editable=False)

    # Denormalised balances: updated in the same transaction as the postings; `ioudesk ledger
    # verify` proves they equal the ledger.
    principal_outstanding = MoneyField(_("未还本金"), default=0, editable=False)
    interest_outstanding = MoneyField(_("未还利息"), default=0, editable=False)
    penalty_outstanding = MoneyField(_("未还罚息"), default=0, editable=False)
    fee_outstanding = MoneyField(_("未还费用"), default=0, editable=False)
    overpayment = MoneyField(_("溢缴款"), default=0, editable=False)
    written_off_principal = MoneyField(_("已核销本金（表外）"), default=0, editable=False)
    written_off_interest = MoneyField(_("已核销利息（表外）"), default=0, editable=False)
    days_past_due = models.PositiveIntegerField(_("逾期天数"), default=0, editable=False, db_index=True)
    bucket = models.CharField(_("账龄"), max_length=4, default="M0", editable=False, db_index=True)
    classification = models.CharField(_("五级分类"), max_length=16, choices=Classification.choices,
                                      default=Classification.NORMAL, editable=False, db_index=True)
    # A tier set by hand (iou_classify, audited): the IOU shows the worse of it and the floor by days
    # past due; the daily close never overwrites a worse hand tier. Nullable without a default (a plain
    # ALTER TABLE ADD COLUMN on SQLite, no rebuild of a large table).
    classification_manual = models.CharField(_("人工五级分类"), max_length=16, choices=Classification.choices,  # noqa: DJ001
                                             null=True, blank=True, editable=False)
    # The oldest due date still unpaid (before the day delinquency was last refreshed for): days past
    # due are the day minus it, so the daily close advances them for every overdue IOU in one UPDATE.
    overdue_since = models.DateField(_("逾期起始日"), null=True, blank=True, editable=False)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("借据")
        verbose_name_plural = _("借据")
        ordering = ["-id"]
        permissions = [
            ("approve_iou", _("可以审批借据")),
            ("disburse_iou", _("可以放款")),
            ("record_repayment", _("可以登记还款")),
            ("reverse_transaction", _("可以冲正")),
            ("waive_iou", _("可以减免")),
            ("extend_iou", _("可以展期/重组")),
            ("write_off_iou", _("可以核销")),
            ("classify_iou", _("可以调整五级分类")),
        ]
        indexes = [models.Index(fields=["branch", "status"], name="iou_branch_status_idx"),
                   # 核销与收回 finds the IOUs written off in a period (few among a million)
                   models.Index(fields=["written_off_on"], condition=Q(written_off_on__isnull=False),
                                name="iou_written_off_on_idx"),
                   # 贷款余额明细's totals of the live IOUs as they stand: a scan of this index alone, a
                   # fraction of the table. status last on purpose: led by status, the planner would take it
                   # for every "status IN … ORDER BY …" list and sort a million rows instead of walking an order
                   models.Index(fields=["principal", "principal_outstanding", "interest_outstanding",
                                        "penalty_outstanding", "fee_outstanding", "kind", "status"],
                                name="iou_live_balances_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(principal__gt=0), name="iou_principal_positive"),
        ]

    def __str__(self):
        # The number alone: the debtor is a related row with encrypted fields, and this string is
        # written into every audit event of the IOU.
        return self.number

    @property
    def total_outstanding(self):
        return self.principal_outstanding + self.interest_outstanding + self.penalty_outstanding + self.fee_outstanding


class Approval(models.Model):
    class Decision(models.TextChoices):
        APPROVED = "approved", _("同意")
        REJECTED = "rejected", _("驳回")

    iou = models.ForeignKey(Iou, verbose_name=_("借据"), on_delete=models.CASCADE, related_name="approvals")
    decision = models.CharField(_("审批结果"), max_length=10, choices=Decision.choices)
    comment = models.TextField(_("审批意见"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审批人"), on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("审批时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("借据审批记录")
        verbose_name_plural = _("借据审批记录")
        ordering = ["decided_at"]

    def __str__(self):
        return f"{self.get_decision_display()} {self.decided_by}"


class ScheduleKind(models.TextChoices):
    """Why a schedule version was made: typed, so that documents never read it from the reason text."""

    DISBURSEMENT = "disbursement", _("放款")
    TRANCHE = "tranche", _("追加放款")
    EXTENSION = "extension", _("展期/重组")
    SETTLEMENT = "settlement", _("提前结清")


class ScheduleVersion(models.Model):
    """One repayment schedule of an IOU. An extension or restructure adds a version; the old one
    stays, marked not current, so the history is kept. Each version keeps the terms it was made
    on (term, rate), because the IOU's own fields move on: the 借条 prints version 1's terms,
    the 展期协议 an extension version's (ioudesk/documents)."""

    iou = models.ForeignKey(Iou, verbose_name=_("借据"), on_delete=models.CASCADE, related_name="schedules")
    version = models.PositiveSmallIntegerField(_("版本"))
    is_current = models.BooleanField(_("当前"), default=True)
    effective_from = models.DateField(_("生效日"))
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    kind = models.CharField(_("类型"), max_length=12, choices=ScheduleKind.choices, default=ScheduleKind.DISBURSEMENT)
    term = models.PositiveSmallIntegerField(_("期数"), null=True, blank=True)
    rate_text = models.CharField(_("利率"), max_length=30, blank=True)
    annual_rate = models.DecimalField(_("年利率"), max_digits=10, decimal_places=8, null=True, blank=True)
    idempotency_key = models.CharField(_("幂等键"), max_length=80, null=True, blank=True, unique=True,
                                       editable=False)
    # Nullable without a default, so that adding it is a plain ALTER TABLE ADD COLUMN on SQLite (no
    # rebuild of a large table); None on records made before fingerprints (services/idempotency.py).
    request_hash = models.CharField(_("请求指纹"), max_length=64, null=True, blank=True,  # noqa: DJ001
                                    editable=False, help_text=_("幂等键所对应请求的 SHA-256 指纹"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("还款计划版本")
        verbose_name_plural = _("还款计划版本")
        ordering = ["iou", "version"]
        constraints = [
            models.UniqueConstraint(fields=["iou", "version"], name="schedule_version_unique"),
            models.UniqueConstraint(fields=["iou"], condition=Q(is_current=True), name="schedule_one_current"),
        ]

    def __str__(self):
        return f"v{self.version}（{self.effective_from}）"


class Installment(models.Model):
    schedule = models.ForeignKey(ScheduleVersion, verbose_name=_("还款计划"), on_delete=models.CASCADE,
                                 related_name="installments")
    number = models.PositiveSmallIntegerField(_("期次"))
    due_date = models.DateField(_("还款日"), db_index=True)
    principal_due = MoneyField(_("应还本金"))
    interest_due = MoneyField(_("应还利息"))
    fee_due = MoneyField(_("应还费用"), default=0)
    interest_accrued = models.BooleanField(_("利息已入账"), default=False)
    principal_paid = MoneyField(_("已还本金"), default=0)
    interest_paid = MoneyField(_("已还利息"), default=0)
    fee_paid = MoneyField(_("已还费用"), default=0)
    penalty_charged = MoneyField(_("已计罚息"), default=0)
    penalty_paid = MoneyField(_("已还罚息"), default=0)
    interest_waived = MoneyField(_("减免利息"), default=0)
    fee_waived = MoneyField(_("减免费用"), default=0)
    penalty_waived = MoneyField(_("减免罚息"), default=0)
    penalty_accrued_to = models.DateField(_("罚息计至"), null=True, blank=True)
    paid_off_on = models.DateField(_("结清日"), null=True, blank=True)

    class Meta:
        verbose_name = _("还款计划期次")
        verbose_name_plural = _("还款计划期次")
        ordering = ["schedule", "number"]
        constraints = [models.UniqueConstraint(fields=["schedule", "number"], name="installment_number_unique")]
        # The daily close finds the installments falling due (interest not booked yet) in this small
        # index instead of among every installment ever due (ioudesk/closing/engine.py).
        indexes = [models.Index(fields=["due_date"], condition=Q(interest_accrued=False),
                                name="installment_due_unbooked_idx")]

    def __str__(self):
        return f"第{self.number}期 {self.due_date}"

    @property
    def total_due(self):
        return self.principal_due + self.interest_due + self.fee_due


class TransactionKind(models.TextChoices):
    DISBURSEMENT = "disbursement", _("放款")
    ACTIVATION = "activation", _("欠款确认")
    ACCRUAL = "accrual", _("计息")
    PENALTY = "penalty", _("计罚息")
    FEE = "fee", _("收费")
    REPAYMENT = "repayment", _("还款")
    REFUND = "refund", _("退还溢缴款")
    WAIVER = "waiver", _("减免")
    REVERSAL = "reversal", _("冲正")
    WRITE_OFF = "write_off", _("核销")
    RECOVERY = "recovery", _("核销后收回")


class PaymentSource(models.TextChoices):
    """Where the money of a repayment came from: paid in by the customer, or customer credit
    (溢缴款) applied when an installment fell due. Typed, so that nothing tells them apart by a
    translated label; a replay after a reversal posts again only what the customer paid."""

    PAYMENT = "payment", _("客户付款")
    CREDIT = "credit", _("溢缴款冲抵")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("现金")
    BANK_TRANSFER = "bank_transfer", _("银行转账")
    WECHAT = "wechat", _("微信")
    ALIPAY = "alipay", _("支付宝")
    OTHER = "other", _("其他")


class Transaction(models.Model):
    """One document per money event (放款, 还款, 减免, 冲正 …), with its breakdown by component and
    the journal entry that put it on the ledger. Never edited: a reversal is a new document."""

    iou = models.ForeignKey(Iou, verbose_name=_("借据"), on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(_("类型"), max_length=16, choices=TransactionKind.choices, db_index=True)
    day = models.DateField(_("业务日期"), db_index=True)
    amount = MoneyField(_("金额"))
    principal = MoneyField(_("本金"), default=0)
    interest = MoneyField(_("利息"), default=0)
    penalty = MoneyField(_("罚息"), default=0)
    fee = MoneyField(_("费用"), default=0)
    overpayment = MoneyField(_("溢缴"), default=0)
    method = models.CharField(_("支付方式"), max_length=16, choices=PaymentMethod.choices, blank=True, default="")
    reference = models.CharField(_("流水号/凭证号"), max_length=80, blank=True)
    payer = models.CharField(_("付款人"), max_length=100, blank=True)
    # Nullable without a default, so that adding it is a plain ALTER TABLE ADD COLUMN on SQLite (no
    # rebuild of a large table); only repayments have one.
    source = models.CharField(_("资金来源"), max_length=8, choices=PaymentSource.choices, null=True,  # noqa: DJ001
                              blank=True, editable=False, help_text=_("还款：客户付款或溢缴款冲抵"))
    funding_account = models.CharField(_("资金账户"), max_length=10, blank=True, help_text=_("科目代码，如 100201"))
    reason = models.TextField(_("原因/说明"), blank=True)
    allocation = models.JSONField(_("分摊明细"), default=list, blank=True)
    entry_id = models.BigIntegerField(_("记账凭证"), null=True, blank=True, editable=False)
    reverses = models.OneToOneField("self", verbose_name=_("冲正的原交易"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="reversed_by")
    idempotency_key = models.CharField(_("幂等键"), max_length=80, null=True, blank=True, unique=True)
    request_hash = models.CharField(_("请求指纹"), max_length=64, null=True, blank=True,  # noqa: DJ001
                                    editable=False, help_text=_("幂等键所对应请求的 SHA-256 指纹"))  # as above
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("经办人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    scope_branch_field = "iou__branch"

    class Meta:
        verbose_name = _("交易")
        verbose_name_plural = _("交易")
        ordering = ["iou", "day", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} ({self.day})"

    @property
    def is_reversed(self) -> bool:
        return hasattr(self, "reversed_by")


class LimitationKind(models.TextChoices):
    """The interruptions of the limitation period (民法典第一百九十五条); the values are
    ``calc.limitation.InterruptionKind``'s."""

    DEMAND = "demand", _("债权人催收")
    ACKNOWLEDGEMENT = "acknowledgement", _("债务人同意履行")
    PARTIAL_PAYMENT = "partial_payment", _("部分还款")
    LAWSUIT = "lawsuit", _("提起诉讼")
    ARBITRATION = "arbitration", _("申请仲裁")
    OTHER = "other", _("具有同等效力的事项")


class LimitationEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("诉讼时效中断记录只能追加，不能修改。")

    def delete(self):
        raise PermissionError("诉讼时效中断记录只能追加，不能删除。")


class LimitationEvent(models.Model):
    """One recorded interruption of an IOU's limitation period (a demand whose delivery is
    evidenced, an acknowledgement, a lawsuit …), with the SHA-256 of its evidence and where it came
    from (``source``: "collections.contactrecord:12", "legal.legalcase:3"). Append-only: a mistake is
    corrected by the record it came from, never here. Partial payments are not recorded here: they
    are the IOU's repayment transactions (docs/domain.md §12)."""

    iou = models.ForeignKey(Iou, verbose_name=_("借据"), on_delete=models.PROTECT, related_name="limitation_events",
                            db_index=False)  # limitation_event_iou_on_idx serves every lookup by IOU
    kind = models.CharField(_("中断事由"), max_length=16, choices=LimitationKind.choices)
    on = models.DateField(_("中断日期"))
    evidence_sha256 = models.CharField(_("证据SHA-256"), max_length=64, blank=True)
    evidence_note = models.TextField(_("证据说明"), blank=True)
    source = models.CharField(_("来源"), max_length=120, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = LimitationEventQuerySet.as_manager()
    scope_branch_field = "iou__branch"

    class Meta:
        verbose_name = _("诉讼时效中断")
        verbose_name_plural = _("诉讼时效中断")
        ordering = ["iou", "on", "id"]
        default_permissions = ("add", "view")
        indexes = [models.Index(fields=["iou", "on"], name="limitation_event_iou_on_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.on.isoformat()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("诉讼时效中断记录只能追加，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("诉讼时效中断记录只能追加，不能删除。")
