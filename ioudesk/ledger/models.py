"""The double-entry ledger: chart of accounts, journal entries (凭证) and their postings (分录).

Entries and postings are append-only, held three times over:
- the model refuses ``save()`` of an existing row and ``delete()``; the querysets refuse
  ``update()`` and ``delete()``;
- database triggers refuse UPDATE (SQLite) and UPDATE or DELETE (PostgreSQL), see
  :mod:`ioudesk.ledger.triggers`;
- on PostgreSQL a deferred constraint trigger proves at COMMIT that every entry has at least two
  postings and that its debits equal its credits.
A correction is a reversing entry (``kind=reversal``) that points to the original.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ioudesk.core.fields import MoneyField


class AccountType(models.TextChoices):
    ASSET = "asset", _("资产")
    LIABILITY = "liability", _("负债")
    EQUITY = "equity", _("所有者权益")
    INCOME = "income", _("收入")
    EXPENSE = "expense", _("费用")
    # Off-balance-sheet (表外) memo accounts: their own pair, so on-balance totals stay clean.
    MEMO_DEBIT = "memo_debit", _("表外（借方）")
    MEMO_CREDIT = "memo_credit", _("表外（贷方）")


MEMO_TYPES = (AccountType.MEMO_DEBIT, AccountType.MEMO_CREDIT)


class NormalSide(models.TextChoices):
    DEBIT = "debit", _("借")
    CREDIT = "credit", _("贷")


class EntryKind(models.TextChoices):
    DISBURSEMENT = "disbursement", _("放款")
    INTEREST_ACCRUAL = "interest_accrual", _("计提利息")
    PENALTY_ACCRUAL = "penalty_accrual", _("计提罚息")
    FEE_CHARGE = "fee_charge", _("收取费用")
    REPAYMENT = "repayment", _("还款")
    REFUND = "refund", _("退还溢缴款")
    WAIVER = "waiver", _("减免")
    WRITE_OFF = "write_off", _("核销")
    RECOVERY = "recovery", _("核销后收回")
    REVERSAL = "reversal", _("冲正")
    ADJUSTMENT = "adjustment", _("调整")
    BILL = "bill", _("往来挂账")
    CREDIT_NOTE = "credit_note", _("红字冲减")
    RECEIPT = "receipt", _("收款")
    PAYMENT = "payment", _("付款")
    MATCH = "match", _("往来核销")
    PROVISION = "provision", _("计提贷款损失准备")


class Component(models.TextChoices):
    """What a posting is about; receivable accounts imply theirs (see ``chart.ACCOUNT_COMPONENTS``)."""

    PRINCIPAL = "principal", _("本金")
    INTEREST = "interest", _("利息")
    PENALTY = "penalty", _("罚息")
    FEE = "fee", _("费用")
    OVERPAYMENT = "overpayment", _("溢缴款")
    CASH = "cash", _("资金")
    INCOME = "income", _("收入")
    EXPENSE = "expense", _("支出")
    WRITTEN_OFF_PRINCIPAL = "written_off_principal", _("已核销本金")
    WRITTEN_OFF_INTEREST = "written_off_interest", _("已核销利息")
    MEMO = "memo", _("表外对方")


class AppendOnlyError(PermissionError):
    """Someone tried to change or delete a journal entry or posting."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("总账只能追加，不能修改；更正请做冲正凭证。")

    def delete(self):
        raise AppendOnlyError("总账只能追加，不能删除；更正请做冲正凭证。")

    # bulk_update goes through update(); named here so the refusal is explicit.
    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("总账只能追加，不能修改；更正请做冲正凭证。")


class AppendOnlyModel(models.Model):
    prepared_insert = True  # save() only refuses updates: core.prepared.insert may write new rows

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("总账只能追加，不能修改；更正请做冲正凭证。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("总账只能追加，不能删除；更正请做冲正凭证。")


class Account(models.Model):
    """A ledger account (会计科目). Codes are stable: code refers to them by ``chart.AccountCode``.
    Only the name and ``is_active`` change after creation; an account with sub-accounts is a
    summary account (汇总科目) and is never posted to directly."""

    code = models.CharField(_("科目代码"), max_length=20, unique=True)
    name = models.CharField(_("科目名称"), max_length=100)
    type = models.CharField(_("科目类别"), max_length=20, choices=AccountType.choices)
    normal_side = models.CharField(_("余额方向"), max_length=6, choices=NormalSide.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级科目"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("会计科目")
        verbose_name_plural = _("会计科目")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=[t.value for t in AccountType]), name="ledger_account_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(normal_side__in=[s.value for s in NormalSide]), name="ledger_account_side_valid"
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def is_memo(self) -> bool:
        return self.type in MEMO_TYPES


class JournalEntry(AppendOnlyModel):
    """One business event (凭证): balanced postings, written once, never changed."""

    number = models.CharField(_("凭证号"), max_length=30, unique=True)
    day = models.DateField(_("记账日期"), db_index=True)
    kind = models.CharField(_("业务类型"), max_length=20, choices=EntryKind.choices, db_index=True)
    memo = models.CharField(_("摘要"), max_length=200, blank=True)
    # The lead turns this into a ForeignKey to the IOU later, keeping the column name iou_id.
    iou_id = models.BigIntegerField(_("借据ID"), null=True, blank=True, db_index=True)
    reverses = models.OneToOneField(
        "self", verbose_name=_("冲正的原凭证"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    idempotency_key = models.CharField(_("幂等键"), max_length=100, null=True, blank=True, unique=True)
    # sha256 of the request that created the entry, to tell a retry from a different request.
    request_hash = models.CharField(_("请求指纹"), max_length=64, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记账人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("记账时间"), auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("记账凭证")
        verbose_name_plural = _("记账凭证")
        ordering = ["-day", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="reversal") & Q(reverses__isnull=False))
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="ledger_entry_reversal_points_to_original",
            ),
        ]
        default_permissions = ("view",)

    def __str__(self):
        return self.number

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None


class Posting(AppendOnlyModel):
    """One line of an entry (分录): a debit or a credit, never both, never neither, never negative."""

    entry = models.ForeignKey(JournalEntry, verbose_name=_("凭证"), on_delete=models.PROTECT, related_name="postings")
    # No index of its own: ledger_posting_account_day (account, day, id) serves every lookup by account.
    account = models.ForeignKey(Account, verbose_name=_("科目"), on_delete=models.PROTECT, related_name="postings",
                                db_index=False)
    debit = MoneyField(_("借方金额"), default=0)
    credit = MoneyField(_("贷方金额"), default=0)
    # Copied from the entry so that per-IOU and as-of-date sums need no join.
    iou_id = models.BigIntegerField(_("借据ID"), null=True, blank=True, db_index=True)
    day = models.DateField(_("记账日期"))
    component = models.CharField(_("构成"), max_length=30, blank=True, choices=Component.choices)
    # the receivables document the line is about: "B" a bill (its receivable/payable), "R" a receipt
    # or payment (its unapplied part); the document's balance is the sum of its postings
    # nullable without a default, so adding the columns is an ALTER TABLE, not a table rebuild
    doc_kind = models.CharField(_("单据类型"), max_length=1, null=True, blank=True)  # noqa: DJ001 (nullable: an ALTER TABLE on a large table, not a rebuild)
    doc_id = models.BigIntegerField(_("单据ID"), null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("分录")
        verbose_name_plural = _("分录")
        ordering = ["entry_id", "id"]
        indexes = [
            models.Index(fields=["account", "day", "id"], name="ledger_posting_account_day"),
            models.Index(fields=["doc_kind", "doc_id"], name="ledger_posting_doc",
                         condition=Q(doc_id__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(debit__gte=0), name="ledger_posting_debit_not_negative"),
            models.CheckConstraint(condition=Q(credit__gte=0), name="ledger_posting_credit_not_negative"),
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(debit=0) & Q(credit__gt=0)),
                name="ledger_posting_one_side",
            ),
        ]
        default_permissions = ("view",)

    def __str__(self):
        side = f"借 {self.debit}" if self.debit else f"贷 {self.credit}"
        return f"{self.entry_id} {self.account_id} {side}"
