"""往来账款: bills we issue and receive, their open items, receipts and payments, automatic matching,
bank statements, statements of account. docs/domain.md §26.

- ``Bill``: a sales/service bill (应收), a supplier's bill (应付), a credit note (红字) against one of
  them, an adjustment, or a purchase order (采购订单, never posted). Lines carry quantity, unit price,
  tax rate; totals are kept in fen. Posted once, when it takes effect (after its approval, if any),
  as one journal entry whose receivable/payable postings name the bill (``Posting.doc_kind="B"``).
- ``BillDue``: the open items (应收/应付的到期明细): one per due date the payment terms give. What the
  matching engine allocates to and what aging, dunning and collection cases read.
- ``Receipt``: money in (收款) or out (付款), by bank, cash, WeChat/Alipay or acceptance bill. Booked
  when recorded against the unapplied account (2203 预收账款 in, 1123 预付账款 out; postings name the
  receipt, ``doc_kind="R"``); each ``Allocation`` (核销) moves part of it onto a bill's open item, or
  is an IOU repayment. Undoing an allocation posts a reversing entry.
- ``BankStatement`` / ``StatementLine``: an imported bank or Alipay/WeChat file; lines de-duplicated
  by ``line_hash``; each incoming/outgoing line becomes a Receipt.
- ``AccountStatement`` (对账单) with its confirmation (询证函) and ``StatementDispute`` items.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ioudesk.core import append_only
from ioudesk.core.fields import EncryptedTextField, MoneyField
from ioudesk.core.storage import private_storage


class Direction(models.TextChoices):
    RECEIVABLE = "receivable", _("应收")
    PAYABLE = "payable", _("应付")


class BillKind(models.TextChoices):
    SALES = "sales", _("销售单")
    SERVICE = "service", _("服务单")
    PURCHASE = "purchase", _("采购应付单")
    CREDIT_NOTE = "credit_note", _("红字冲减单")
    ADJUSTMENT = "adjustment", _("调整单")
    PURCHASE_ORDER = "purchase_order", _("采购订单")


class BillStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PENDING = "pending", _("待审批")
    OPEN = "open", _("未结清")
    PAID = "paid", _("已结清")
    VOID = "void", _("已作废")
    ORDERED = "ordered", _("已下单")  # a purchase order not yet billed
    RECEIVED = "received", _("已到票")  # a purchase order whose supplier bill is in


class Nature(models.TextChoices):
    GOODS = "goods", _("货款")
    SERVICES = "services", _("服务费")
    MIXED = "mixed", _("货款及服务费")


class LineKind(models.TextChoices):
    GOODS = "goods", _("货物")
    SERVICE = "service", _("服务")


class TermsKind(models.TextChoices):
    COD = "cod", _("货到付款")
    NET_DAYS = "net_days", _("票到N天")
    MONTH_END_NET = "month_end_net", _("月结N天")
    NEXT_MONTH_END = "next_month_end", _("次月底付款")
    INSTALMENTS = "instalments", _("分期")


class PaymentTerms(models.Model):
    """付款条件: how a bill's due dates follow from its date (calc.payterms works them out)."""

    name = models.CharField(_("名称"), max_length=40, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=TermsKind.choices)
    days = models.PositiveSmallIntegerField(_("天数"), default=0)
    # 分期: [{"days": 30, "percent": "30"}, {"days": 60, "percent": "70"}] (percent of the total, summing to 100)
    plan = models.JSONField(_("分期计划"), default=list, blank=True)
    # Where the terms say so, a due date on a weekend or public holiday moves to the next working day.
    shift_holidays = models.BooleanField(_("遇节假日顺延"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("付款条件")
        verbose_name_plural = _("付款条件")
        ordering = ["sort", "id"]

    def __str__(self):
        return self.name


class ReceivablesSettings(models.Model):
    organisation = models.OneToOneField("core.Organisation", verbose_name=_("机构"), on_delete=models.CASCADE,
                                        related_name="receivables_settings")
    tax_rates = models.CharField(_("可用税率（%）"), max_length=60, default="13,9,6,3,1,0",
                                 help_text=_("逗号分隔，例如 13,9,6,3,1,0"))
    long_overdue_days = models.PositiveSmallIntegerField(_("长期逾期天数"), default=90,
                                                         help_text=_("逾期超过此天数为长期逾期，否则为短期逾期"))
    case_after_days = models.PositiveSmallIntegerField(_("逾期多少天转催收"), default=1)
    match_tolerance = MoneyField(_("部分核销容差"), default=0, help_text=_("金额差在此范围内时提示核销建议"))
    default_terms = models.ForeignKey(PaymentTerms, verbose_name=_("默认付款条件"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    dso_days = models.PositiveSmallIntegerField(_("应收账款周转天数的计算期（天）"), default=90)

    class Meta:
        verbose_name = _("往来设置")
        verbose_name_plural = _("往来设置")

    def __str__(self):
        return str(_("往来设置"))


class CounterpartyProfile(models.Model):
    """What receivables knows about a customer as a counterparty (往来单位): customer, supplier or both."""

    customer = models.OneToOneField("customers.Customer", verbose_name=_("往来单位"), on_delete=models.CASCADE,
                                    related_name="counterparty")
    is_customer = models.BooleanField(_("客户"), default=True)
    is_supplier = models.BooleanField(_("供应商"), default=False)
    credit_limit = MoneyField(_("信用额度"), null=True, blank=True, help_text=_("留空为不限额"))
    payment_terms = models.ForeignKey(PaymentTerms, verbose_name=_("默认付款条件"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    tax_id = models.CharField(_("纳税人识别号"), max_length=20, blank=True)
    notes = models.CharField(_("备注"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("往来单位设置")
        verbose_name_plural = _("往来单位设置")

    def __str__(self):
        return str(self.customer)


class Bill(models.Model):
    number = models.CharField(_("单号"), max_length=24, unique=True, editable=False)
    direction = models.CharField(_("方向"), max_length=10, choices=Direction.choices, default=Direction.RECEIVABLE)
    kind = models.CharField(_("单据类型"), max_length=16, choices=BillKind.choices, default=BillKind.SALES)
    status = models.CharField(_("状态"), max_length=10, choices=BillStatus.choices, default=BillStatus.DRAFT)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("往来单位"), on_delete=models.PROTECT,
                                 related_name="bills")
    branch = models.ForeignKey("core.Branch", verbose_name=_("所属网点"), on_delete=models.PROTECT, related_name="+")
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("业务员"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    nature = models.CharField(_("欠款性质"), max_length=10, choices=Nature.choices, default=Nature.GOODS)
    bill_date = models.DateField(_("单据日期"))
    delivery_date = models.DateField(_("交货日期"), null=True, blank=True)
    payment_terms = models.ForeignKey(PaymentTerms, verbose_name=_("付款条件"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="bills")
    terms_text = models.CharField(_("付款条件说明"), max_length=100, blank=True, help_text=_("开单时的付款条件"))
    net_amount = MoneyField(_("不含税金额"), default=0)
    tax_amount = MoneyField(_("税额"), default=0)
    total = MoneyField(_("价税合计"), default=0)
    paid = MoneyField(pgettext_lazy("往来", "已核销"), default=0)
    credited = MoneyField(_("已红冲"), default=0)
    open_amount = MoneyField(_("未结金额"), default=0)
    # a credit note or adjustment names the bill it changes; a payable bill may name its purchase order
    original = models.ForeignKey("self", verbose_name=_("原单"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="corrections")
    vat_invoice_number = models.CharField(_("发票号码"), max_length=20, blank=True)
    vat_invoice_date = models.DateField(_("开票日期"), null=True, blank=True)
    # who issued the VAT invoice: "" for us (a receivable), the supplier's tax id / customer id for a payable
    seller_key = models.CharField(_("销售方"), max_length=40, blank=True, editable=False)
    external_ref = models.CharField(_("合同/订单号"), max_length=40, blank=True)
    memo = models.CharField(_("备注"), max_length=200, blank=True)
    disputed = models.BooleanField(_("有争议"), default=False)
    dispute_note = models.CharField(_("争议说明"), max_length=200, blank=True)
    due_first = models.DateField(_("最早到期日"), null=True, blank=True, editable=False)
    due_last = models.DateField(_("最晚到期日"), null=True, blank=True, editable=False)
    entry = models.ForeignKey("ledger.JournalEntry", verbose_name=_("记账凭证"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+", editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("制单人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    posted_at = models.DateTimeField(_("生效时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("往来单据")
        verbose_name_plural = _("往来单据")
        ordering = ["-bill_date", "-id"]
        permissions = [
            ("post_bill", _("可以使单据生效（过账）")),
            ("void_bill", _("可以作废单据")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["direction", "seller_key", "vat_invoice_number"],
                condition=~Q(vat_invoice_number="") & ~Q(status="void"),
                name="bill_vat_invoice_unique_per_seller",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "direction", "status"], name="bill_customer_status_idx"),
            models.Index(fields=["direction", "status", "due_first"], name="bill_status_due_idx"),
            models.Index(fields=["branch", "status"], name="bill_branch_status_idx"),
        ]

    def __str__(self):
        return self.number


class BillLine(models.Model):
    bill = models.ForeignKey(Bill, verbose_name=_("单据"), on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveSmallIntegerField(_("行号"))
    kind = models.CharField(_("类别"), max_length=8, choices=LineKind.choices, default=LineKind.GOODS)
    description = models.CharField(_("货物或服务名称"), max_length=100)
    spec = models.CharField(_("规格型号"), max_length=60, blank=True)
    unit = models.CharField(pgettext_lazy("往来", "单位"), max_length=10, blank=True)
    quantity = models.DecimalField(pgettext_lazy("往来", "数量"), max_digits=18, decimal_places=4)
    unit_price = models.DecimalField(_("单价（不含税）"), max_digits=18, decimal_places=4)
    tax_rate = models.DecimalField(_("税率（%）"), max_digits=5, decimal_places=2)
    net_amount = MoneyField(_("金额"))
    tax_amount = MoneyField(_("税额"))
    total = MoneyField(_("价税合计"))
    account_code = models.CharField(_("入账科目"), max_length=20, blank=True,
                                    help_text=_("应付单：库存商品或费用科目；留空按类别默认"))

    class Meta:
        verbose_name = _("单据明细")
        verbose_name_plural = _("单据明细")
        ordering = ["bill_id", "line_no"]
        constraints = [models.UniqueConstraint(fields=["bill", "line_no"], name="billline_unique_no")]

    def __str__(self):
        return f"{self.bill.number}#{self.line_no}"


class DueStatus(models.TextChoices):
    OPEN = "open", _("未结清")
    PAID = "paid", _("已结清")
    VOID = "void", _("已作废")


class BillDue(models.Model):
    """An open item (到期明细): what one due date of a bill asks for, and how much of it is still open."""

    bill = models.ForeignKey(Bill, verbose_name=_("单据"), on_delete=models.CASCADE, related_name="dues")
    seq = models.PositiveSmallIntegerField(_("期次"), default=1)
    # copied from the bill: the matching engine and aging read open items without a join
    customer = models.ForeignKey("customers.Customer", verbose_name=_("往来单位"), on_delete=models.PROTECT,
                                 related_name="+")
    direction = models.CharField(_("方向"), max_length=10, choices=Direction.choices)
    branch = models.ForeignKey("core.Branch", verbose_name=_("所属网点"), on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField(_("到期日"))
    amount = MoneyField(_("应付金额"))
    paid = MoneyField(pgettext_lazy("往来", "已核销"), default=0)
    credited = MoneyField(_("已红冲"), default=0)
    open_amount = MoneyField(_("未结金额"))
    status = models.CharField(_("状态"), max_length=6, choices=DueStatus.choices, default=DueStatus.OPEN)
    days_past_due = models.PositiveIntegerField(_("逾期天数"), default=0)
    paid_on = models.DateField(_("结清日"), null=True, blank=True)

    class Meta:
        verbose_name = _("到期明细")
        verbose_name_plural = _("到期明细")
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["bill", "seq"], name="billdue_unique_seq"),
            models.CheckConstraint(condition=Q(open_amount__gte=0), name="billdue_open_not_negative"),
        ]
        indexes = [
            # matching: a customer's open items oldest first; aging and dunning by due date
            models.Index(fields=["customer", "direction", "status", "due_date"], name="billdue_customer_open_idx"),
            models.Index(fields=["direction", "status", "due_date"], name="billdue_status_due_idx"),
            models.Index(fields=["status", "open_amount"], name="billdue_status_amount_idx"),
            # 往来总览: one direction's open items at once (the other direction's total; docs/benchmarks.md)
            models.Index(fields=["direction", "status", "open_amount", "customer", "due_date", "branch"],
                         name="billdue_direction_open_idx"),
        ]

    def __str__(self):
        return f"{self.bill.number}-{self.seq}"


class AttachmentKind(models.TextChoices):
    DELIVERY = "delivery", _("送货单")
    CONTRACT = "contract", _("合同")
    INVOICE = "invoice", _("发票")
    ACCEPTANCE = "acceptance", _("验收单")
    OTHER = "other", _("其他")


class AppendOnlyModel(append_only.AppendOnlyModel):
    append_only_message = _("往来账款的记录只能新增，不能修改或删除。")

    class Meta:
        abstract = True


class BillAttachment(AppendOnlyModel):
    bill = models.ForeignKey(Bill, verbose_name=_("单据"), on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField(_("类别"), max_length=12, choices=AttachmentKind.choices, default=AttachmentKind.OTHER)
    file = models.FileField(_("文件"), max_length=255, storage=private_storage)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    objects = append_only.AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("单据附件")
        verbose_name_plural = _("单据附件")
        ordering = ["bill_id", "id"]
        default_permissions = ("view", "add")

    def __str__(self):
        return self.original_name


class BillEventKind(models.TextChoices):
    CREATED = "created", _("制单")
    SUBMITTED = "submitted", _("提交审批")
    POSTED = "posted", _("生效")
    RETURNED = "returned", _("退回")
    CREDITED = "credited", _("红字冲减")
    ADJUSTED = "adjusted", _("调整")
    MATCHED = "matched", pgettext_lazy("往来", "核销")
    UNMATCHED = "unmatched", _("撤销核销")
    REMINDED = "reminded", _("提醒")
    DUNNED = "dunned", _("催款")
    DISPUTED = "disputed", _("对账争议")
    RESOLVED = "resolved", _("争议解决")
    CASE = "case", _("转催收")
    VOIDED = "voided", _("作废")
    ATTACHED = "attached", _("上传附件")
    OTHER = "other", _("其他")


class BillEvent(AppendOnlyModel):
    bill = models.ForeignKey(Bill, verbose_name=_("单据"), on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("事件"), max_length=12, choices=BillEventKind.choices)
    text = models.CharField(_("说明"), max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                           on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    objects = append_only.AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("单据事件")
        verbose_name_plural = _("单据事件")
        ordering = ["bill_id", "at", "id"]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.bill_id} {self.kind}"


class Channel(models.TextChoices):
    BANK = "bank", _("银行转账")
    CASH = "cash", _("现金")
    WECHAT = "wechat", _("微信支付")
    ALIPAY = "alipay", _("支付宝")
    ACCEPTANCE_BILL = "acceptance", _("承兑汇票")


class ReceiptStatus(models.TextChoices):
    UNMATCHED = "unmatched", _("待核销")
    PARTIAL = "partial", _("部分核销")
    MATCHED = "matched", pgettext_lazy("往来", "已核销")
    IGNORED = "ignored", _("无需核销")


class Receipt(models.Model):
    """Money that came in (收款, direction receivable) or went out (付款, direction payable)."""

    number = models.CharField(_("收付款单号"), max_length=24, unique=True, editable=False)
    direction = models.CharField(_("方向"), max_length=10, choices=Direction.choices, default=Direction.RECEIVABLE)
    channel = models.CharField(_("收付方式"), max_length=10, choices=Channel.choices, default=Channel.BANK)
    account_code = models.CharField(_("资金科目"), max_length=20, help_text=_("银行存款、库存现金或应收票据的明细科目"))
    day = models.DateField(_("收付日期"))
    amount = MoneyField(_("金额"))
    matched = MoneyField(pgettext_lazy("往来", "已核销"), default=0)
    unmatched = MoneyField(_("未核销"), default=0)
    payer_name = models.CharField(_("对方户名"), max_length=100, blank=True)
    payer_account = EncryptedTextField(_("对方账号"), blank=True, default="")
    payer_account_index = models.CharField(max_length=64, blank=True, default="", editable=False, db_index=True)
    payer_account_last4 = models.CharField(max_length=4, blank=True, default="", editable=False)
    payer_bank = models.CharField(_("对方开户行"), max_length=100, blank=True)
    memo = models.CharField(_("摘要/附言"), max_length=300, blank=True)
    reference = models.CharField(_("流水号/票据号"), max_length=60, blank=True)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("往来单位"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="receipts")
    branch = models.ForeignKey("core.Branch", verbose_name=_("所属网点"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=10, choices=ReceiptStatus.choices, default=ReceiptStatus.UNMATCHED)
    ignore_reason = models.CharField(_("无需核销原因"), max_length=200, blank=True)
    statement_line = models.OneToOneField("StatementLine", verbose_name=_("银行流水"), null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="receipt")
    entry = models.ForeignKey("ledger.JournalEntry", verbose_name=_("记账凭证"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+", editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("收付款")
        verbose_name_plural = _("收付款")
        ordering = ["-day", "-id"]
        permissions = [("match_receipt", _("可以核销收付款"))]
        indexes = [
            models.Index(fields=["direction", "status", "day"], name="receipt_queue_idx"),
            models.Index(fields=["customer", "direction", "status"], name="receipt_customer_idx"),
        ]

    def __str__(self):
        return self.number


class MatchRuleCode(models.TextChoices):
    MEMO_NUMBER = "memo_number", _("摘要中的单号或借据号")
    PAYER_EXACT = "payer_exact", _("付款人对应客户，金额与一笔未结项一致")
    PAYER_OLDEST = "payer_oldest", _("付款人对应客户，最早的未结项合计等于金额")
    PAYER_PARTIAL = "payer_partial", _("付款人对应客户，金额在容差内（仅建议）")


class MatchRule(models.Model):
    """One automatic matching rule; the engine tries the active ones by ``order``."""

    code = models.CharField(_("规则"), max_length=16, choices=MatchRuleCode.choices, unique=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=10)
    is_active = models.BooleanField(_("启用"), default=True)
    # False: the rule only suggests, a person confirms
    automatic = models.BooleanField(_("自动核销"), default=True)
    include_ious = models.BooleanField(_("也核销借据还款"), default=True)

    class Meta:
        verbose_name = _("核销规则")
        verbose_name_plural = _("核销规则")
        ordering = ["order", "id"]

    def __str__(self):
        return self.get_code_display()


class PayerAliasKind(models.TextChoices):
    NAME = "name", _("对方户名")
    ACCOUNT = "account", _("对方账号")


class PayerAlias(models.Model):
    """A payer name or account known to belong to a customer: entered, or learned from a match."""

    customer = models.ForeignKey("customers.Customer", verbose_name=_("往来单位"), on_delete=models.CASCADE,
                                 related_name="payer_aliases")
    kind = models.CharField(_("类型"), max_length=8, choices=PayerAliasKind.choices)
    # the name as written (normalised: full-width → half-width, spaces removed), or an account's blind index
    value = models.CharField(_("户名/账号索引"), max_length=100)
    label = models.CharField(_("显示"), max_length=100, help_text=_("户名，或账号的末四位"))
    learned = models.BooleanField(_("自动学习"), default=False)
    uses = models.PositiveIntegerField(_("命中次数"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("付款人对应")
        verbose_name_plural = _("付款人对应")
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="payeralias_unique")]

    def __str__(self):
        return self.label


class MatchMethod(models.TextChoices):
    MEMO_NUMBER = "memo_number", _("摘要单号")
    PAYER_EXACT = "payer_exact", _("金额一致")
    PAYER_OLDEST = "payer_oldest", _("先到期先核销")
    SUGGESTION = "suggestion", _("确认建议")
    MANUAL = "manual", _("手工核销")


class Allocation(models.Model):
    """One 核销: part of a receipt applied to a bill's open item, or to an IOU as a repayment."""

    receipt = models.ForeignKey(Receipt, verbose_name=_("收付款"), on_delete=models.PROTECT, related_name="allocations")
    due = models.ForeignKey(BillDue, verbose_name=_("到期明细"), null=True, blank=True, on_delete=models.PROTECT,
                            related_name="allocations")
    iou = models.ForeignKey("ious.Iou", verbose_name=_("借据"), null=True, blank=True, on_delete=models.PROTECT,
                            related_name="+")
    iou_transaction = models.ForeignKey("ious.Transaction", verbose_name=_("借据交易"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    amount = MoneyField(_("核销金额"))
    method = models.CharField(_("核销方式"), max_length=12, choices=MatchMethod.choices)
    day = models.DateField(_("核销日期"))
    entry = models.ForeignKey("ledger.JournalEntry", verbose_name=_("记账凭证"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    undone = models.BooleanField(_("已撤销"), default=False)
    undo_entry = models.ForeignKey("ledger.JournalEntry", verbose_name=_("撤销凭证"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    undo_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("核销人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("核销时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("核销记录")
        verbose_name_plural = _("核销记录")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=(Q(due__isnull=False) & Q(iou__isnull=True))
                                   | (Q(due__isnull=True) & Q(iou__isnull=False)), name="allocation_one_target"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
        ]
        indexes = [models.Index(fields=["due", "undone"], name="allocation_due_idx")]

    def __str__(self):
        return f"{self.receipt.number} → {self.amount}"


class MatchSuggestion(models.Model):
    """A match the engine only suggests (a partial match within the tolerance); a person confirms it."""

    receipt = models.ForeignKey(Receipt, verbose_name=_("收付款"), on_delete=models.CASCADE, related_name="suggestions")
    due = models.ForeignKey(BillDue, verbose_name=_("到期明细"), null=True, blank=True, on_delete=models.CASCADE,
                            related_name="+")
    iou = models.ForeignKey("ious.Iou", verbose_name=_("借据"), null=True, blank=True, on_delete=models.CASCADE,
                            related_name="+")
    amount = MoneyField(_("建议金额"))
    rule = models.CharField(_("规则"), max_length=16, choices=MatchRuleCode.choices)
    reason = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("核销建议")
        verbose_name_plural = _("核销建议")
        ordering = ["receipt_id", "id"]

    def __str__(self):
        return f"{self.receipt_id} ~ {self.amount}"


class Bank(models.TextChoices):
    ICBC = "icbc", _("中国工商银行")
    CCB = "ccb", _("中国建设银行")
    ABC = "abc", _("中国农业银行")
    BOC = "boc", _("中国银行")
    CMB = "cmb", _("招商银行")
    BOCOM = "bocom", _("交通银行")
    ALIPAY = "alipay", _("支付宝")
    WECHAT = "wechat", _("微信支付")
    MAPPED = "mapped", _("自定义列对应")


class ImportStatus(models.TextChoices):
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ColumnMapping(models.Model):
    """A saved column mapping for a bank whose layout the product does not know."""

    name = models.CharField(_("名称"), max_length=60, unique=True)
    header_row = models.PositiveSmallIntegerField(_("表头所在行"), default=1)
    # {"day": "交易日期", "credit": "收入金额", "debit": "支出金额", "amount": "", "name": "对方户名", ...}
    columns = models.JSONField(_("列对应"), default=dict)
    date_format = models.CharField(_("日期格式"), max_length=20, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("流水列对应")
        verbose_name_plural = _("流水列对应")

    def __str__(self):
        return self.name


class BankStatement(models.Model):
    """One imported statement file (银行流水/支付宝/微信账单)."""

    number = models.CharField(_("导入批次号"), max_length=24, unique=True, editable=False)
    bank = models.CharField(_("银行/渠道"), max_length=8, choices=Bank.choices)
    account_code = models.CharField(_("资金科目"), max_length=20)
    account_number_last4 = models.CharField(_("本方账号末四位"), max_length=4, blank=True)
    branch = models.ForeignKey("core.Branch", verbose_name=_("所属网点"), on_delete=models.PROTECT, related_name="+")
    file = models.FileField(_("文件"), max_length=255, storage=private_storage)
    original_name = models.CharField(_("原文件名"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    mapping = models.ForeignKey(ColumnMapping, verbose_name=_("列对应"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    period_from = models.DateField(_("起始日期"), null=True, blank=True)
    period_to = models.DateField(pgettext_lazy("往来", "截止日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=ImportStatus.choices, default=ImportStatus.RUNNING)
    lines_total = models.PositiveIntegerField(_("流水笔数"), default=0)
    lines_new = models.PositiveIntegerField(_("新增笔数"), default=0)
    lines_duplicate = models.PositiveIntegerField(_("重复笔数"), default=0)
    lines_matched = models.PositiveIntegerField(_("自动核销笔数"), default=0)
    error = models.TextField(_("错误"), blank=True)
    job = models.ForeignKey("jobs.Job", verbose_name=_("后台作业"), null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("导入人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("银行流水导入")
        verbose_name_plural = _("银行流水导入")
        ordering = ["-uploaded_at", "-id"]
        permissions = [("import_bankstatement", _("可以导入银行流水"))]

    def __str__(self):
        return self.number


class StatementLine(models.Model):
    statement = models.ForeignKey(BankStatement, verbose_name=_("导入批次"), on_delete=models.PROTECT,
                                  related_name="lines")
    # sha256 of (account, day/time, amount, direction, counterparty, memo, bank serial): the same line in
    # another file (an overlapping period) hashes the same and is skipped
    line_hash = models.CharField(_("流水指纹"), max_length=64, unique=True)
    row_number = models.PositiveIntegerField(_("文件行号"))
    day = models.DateField(_("交易日期"))
    booked_at = models.DateTimeField(_("交易时间"), null=True, blank=True)
    direction = models.CharField(_("收支"), max_length=10, choices=Direction.choices)
    amount = MoneyField(_("金额"))
    balance = MoneyField(_("余额"), null=True, blank=True)
    counterparty_name = models.CharField(_("对方户名"), max_length=100, blank=True)
    counterparty_account = EncryptedTextField(_("对方账号"), blank=True, default="")
    counterparty_bank = models.CharField(_("对方开户行"), max_length=100, blank=True)
    memo = models.CharField(_("摘要/附言"), max_length=300, blank=True)
    bank_reference = models.CharField(_("银行流水号"), max_length=60, blank=True)
    raw = models.JSONField(_("原始内容"), default=dict)

    class Meta:
        verbose_name = _("银行流水明细")
        verbose_name_plural = _("银行流水明细")
        ordering = ["statement_id", "row_number"]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.statement.number}:{self.row_number}"


class ConfirmationStatus(models.TextChoices):
    ISSUED = "issued", _("已出具")
    SENT = "sent", _("已发询证函")
    AGREED = "agreed", _("客户确认无误")
    DISPUTED = "disputed", _("客户有异议")
    NO_REPLY = "no_reply", _("未回函")


class AccountStatement(models.Model):
    """对账单: one customer, one period, the figures frozen when issued."""

    number = models.CharField(_("对账单号"), max_length=24, unique=True, editable=False)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("往来单位"), on_delete=models.PROTECT,
                                 related_name="account_statements")
    branch = models.ForeignKey("core.Branch", verbose_name=_("所属网点"), on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(_("方向"), max_length=10, choices=Direction.choices, default=Direction.RECEIVABLE)
    period_from = models.DateField(_("起始日期"))
    period_to = models.DateField(pgettext_lazy("往来", "截止日期"))
    # balances may be negative (the customer paid more than was billed)
    opening = MoneyField(_("期初余额"))
    billed = MoneyField(_("本期发生"), default=0)
    received = MoneyField(_("本期收回"), default=0)
    credited = MoneyField(_("本期红冲"), default=0)
    closing = MoneyField(_("期末余额"))
    # the frozen lines and aging: {"items": [...], "aging": {...}} written by the service
    snapshot = models.JSONField(_("明细"), default=dict)
    status = models.CharField(_("状态"), max_length=10, choices=ConfirmationStatus.choices,
                              default=ConfirmationStatus.ISSUED)
    reply_on = models.DateField(_("回函日期"), null=True, blank=True)
    reply_note = models.CharField(_("回函说明"), max_length=300, blank=True)
    reply_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("回函登记人"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("出具人"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("出具时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("对账单")
        verbose_name_plural = _("对账单")
        ordering = ["-period_to", "-id"]

    def __str__(self):
        return self.number


class StatementDispute(models.Model):
    statement = models.ForeignKey(AccountStatement, verbose_name=_("对账单"), on_delete=models.CASCADE,
                                  related_name="disputes")
    bill = models.ForeignKey(Bill, verbose_name=_("争议单据"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="disputes")
    amount = MoneyField(_("争议金额"))
    reason = models.CharField(_("争议原因"), max_length=200)
    resolved = models.BooleanField(_("已解决"), default=False)
    resolution = models.CharField(_("处理结果"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("对账争议")
        verbose_name_plural = _("对账争议")
        ordering = ["statement_id", "id"]

    def __str__(self):
        return self.reason


class BillReminderKind(models.TextChoices):
    BEFORE = "before", _("到期前提醒")
    OVERDUE = "overdue", _("催款通知")
    PAYABLE = "payable", _("应付提醒")


class BillReminder(models.Model):
    """One reminder or 催款通知 for one open item on one day under one rule (unique: the close is idempotent)."""

    due = models.ForeignKey(BillDue, verbose_name=_("到期明细"), on_delete=models.CASCADE, related_name="reminders")
    rule = models.ForeignKey("reminders.ReminderRule", verbose_name=_("提醒规则"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("类型"), max_length=8, choices=BillReminderKind.choices)
    day = models.DateField(_("日期"))
    channel = models.CharField(_("渠道"), max_length=10)
    sent = models.BooleanField(_("已发送"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("单据提醒记录")
        verbose_name_plural = _("单据提醒记录")
        ordering = ["-day", "-id"]
        default_permissions = ("view",)
        constraints = [models.UniqueConstraint(fields=["due", "rule", "day", "channel"], name="billreminder_once")]

    def __str__(self):
        return f"{self.due_id} {self.day}"
