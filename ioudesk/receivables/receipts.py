"""收付款: money that came in (收款, direction receivable) or went out (付款, direction payable).
docs/domain.md §26 (收款与自动核销).

A receipt is booked when it is recorded, against the unapplied account, its postings naming the
receipt (``doc_kind="R"``):

- money in:  Dr the bank/cash/应收票据 account it came into / Cr 2203 预收账款 (R receipt)
- money out: Dr 1123 预付账款 (R receipt) / Cr the bank/cash account it left

so that ``receipt.unmatched`` always equals the receipt's postings on 2203 (Cr − Dr) or 1123
(Dr − Cr), which ``ledger verify`` checks. Matching (matching.py) moves it onto the bills' open items;
``receipt_ignore`` moves what is left off 2203/1123 to the account a person chooses (money that is
not a customer's: a refund from a supplier, interest from the bank, a transfer between our accounts).

``receipts_create_bulk`` is the bank statement import's fast path: numbers from a reserved block,
the entries through ``ledger.services.post_entries``, the receipts in one INSERT per batch.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import parse_amount
from ioudesk.core import audit, clock, scope
from ioudesk.core.errors import InvalidState, PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.numbering import next_number, reserved_block
from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.models import MEMO_TYPES, Account, EntryKind
from ioudesk.ledger.services import NUMBER_PREFIX, EntryRequest, Line, post_entries, post_entry
from ioudesk.receivables import numbers, receipt_predicates
from ioudesk.receivables.matching import insert_rows, match_receipts
from ioudesk.receivables.models import Channel, Direction, Receipt, ReceiptStatus
from ioudesk.receivables.payers import account_index

ZERO = Decimal("0.00")
BULK_BATCH = 2000
# where a receipt's money may be: cash, a bank account, an acceptance bill received (应收票据)
FUNDING_ROOTS = (AccountCode.CASH, AccountCode.BANK, AccountCode.NOTES_RECEIVABLE)


@dataclass(frozen=True)
class ReceiptRow:
    """One receipt for ``receipts_create_bulk`` (a bank statement line, already parsed)."""

    direction: str
    day: date
    amount: Decimal
    channel: str = Channel.BANK
    payer_name: str = ""
    payer_account: str = ""
    payer_bank: str = ""
    memo: str = ""
    reference: str = ""
    customer_id: int | None = None
    statement_line_id: int | None = None


def unapplied_account(direction: str) -> str:
    """2203 预收账款 for money in, 1123 预付账款 for money out."""
    return AccountCode.ADVANCE_RECEIPTS if direction == Direction.RECEIVABLE else AccountCode.PREPAYMENTS


def receipt_lines(*, direction: str, account_code: str, amount: Decimal, receipt_id: int) -> list[Line]:
    if direction == Direction.RECEIVABLE:
        return [Line(account_code, debit=amount),
                Line(AccountCode.ADVANCE_RECEIPTS, credit=amount, doc_kind="R", doc_id=receipt_id)]
    return [Line(AccountCode.PREPAYMENTS, debit=amount, doc_kind="R", doc_id=receipt_id),
            Line(account_code, credit=amount)]


def funding_account_check(code: str, *, field: str = "account_code") -> str:
    """A leaf account under 库存现金, 银行存款 or 应收票据, active."""
    code = (code or "").strip()
    account = Account.objects.filter(code=code, is_active=True).first()
    if account is None or not code.startswith(FUNDING_ROOTS):
        raise ValidationFailed(
            _("资金科目“%(code)s”不存在或不是库存现金、银行存款或应收票据科目，请选择款项进出的账户。") % {"code": code},
            extra={"field": field})
    if Account.objects.filter(parent=account).exists():
        raise ValidationFailed(_("请选择具体的明细科目（如 100201 基本户），不要选择汇总科目。"), extra={"field": field})
    return code


def _check_user(user, branch, perm: str = "receivables.add_receipt") -> None:
    if not user.has_perm(perm) or not scope.can_see_branch(user, branch.pk):
        raise PermissionDenied(_("您没有登记收付款的权限，或看不到该网点。"))


def _checked_row(*, direction, channel, day, amount, memo="", payer_name="", reference="", today=None,
                 line: int | None = None) -> tuple[Decimal, date]:
    """Every problem of one receipt at once (ValidationFailed with details per field)."""
    problems = {}
    where = (_g("第 %(n)d 行：") % {"n": line}) if line is not None else ""
    if direction not in Direction.values:
        problems["direction"] = _g("请选择收款或付款。")
    if channel not in Channel.values:
        problems["channel"] = _g("请选择收付方式：银行转账、现金、微信支付、支付宝或承兑汇票。")
    value = None
    try:
        value = parse_amount(amount, field="金额")
    except Exception:  # noqa: BLE001 - calc's own error, shown as the field's problem
        problems["amount"] = _g("金额不是有效的数字（最多两位小数），例如 12,345.67。")
    else:
        if value <= 0:
            problems["amount"] = _g("金额必须大于 0。")
    today = today or clock.today()
    if not isinstance(day, date):
        problems["day"] = _g("请填写收付日期。")
    elif day > today:
        problems["day"] = _g("收付日期 %(day)s 晚于营业日 %(today)s，请核对日期。") % {
            "day": day.isoformat(), "today": today.isoformat()}
    for field, text, limit, label in (("memo", memo, 300, _g("摘要/附言")), ("payer_name", payer_name, 100, _g("对方户名")),
                                      ("reference", reference, 60, _g("流水号/票据号"))):
        if len(text or "") > limit:
            problems[field] = _g("%(label)s最多 %(n)d 个字。") % {"label": label, "n": limit}
    if problems:
        raise ValidationFailed(where + "；".join(str(p) for p in problems.values()),
                               extra={"field": next(iter(problems)),
                                      "details": [{"field": k, "message": str(v)} for k, v in problems.items()]})
    return value, day


@transaction.atomic
def receipt_create(*, direction: str, channel: str, account_code: str, day: date, amount, payer_name: str = "",
                   payer_account: str = "", payer_bank: str = "", memo: str = "", reference: str = "",
                   customer=None, branch, user, auto_match: bool = True) -> Receipt:
    """Record one receipt or payment, post it (Dr bank / Cr 2203, or Dr 1123 / Cr bank), then try the
    matching rules (``auto_match``)."""
    _check_user(user, branch)
    amount, day = _checked_row(direction=direction, channel=channel, day=day, amount=amount, memo=memo,
                               payer_name=payer_name, reference=reference)
    account_code = funding_account_check(account_code)
    if customer is not None and not scope.can_see_branch(user, customer.branch_id):
        raise PermissionDenied(_("您看不到该往来单位。"))
    prefix = numbers.RECEIPT if direction == Direction.RECEIVABLE else numbers.PAYMENT
    receipt = Receipt(
        number=next_number(prefix=prefix, day=day), direction=direction, channel=channel, account_code=account_code,
        day=day, amount=amount, matched=ZERO, unmatched=amount, payer_name=(payer_name or "").strip(),
        payer_account=(payer_account or "").strip(), payer_account_index=account_index(payer_account),
        payer_account_last4=_last4(payer_account), payer_bank=(payer_bank or "").strip(),
        memo=(memo or "").strip(), reference=(reference or "").strip(), customer=customer, branch=branch,
        status=ReceiptStatus.UNMATCHED, created_by=user if user.is_authenticated else None,
    )
    receipt.save()
    entry = post_entry(kind=EntryKind.RECEIPT if direction == Direction.RECEIVABLE else EntryKind.PAYMENT,
                       lines=receipt_lines(direction=direction, account_code=account_code, amount=amount,
                                           receipt_id=receipt.pk),
                       memo=_memo(receipt), day=day, user=user, audited=False)
    Receipt.objects.filter(pk=receipt.pk).update(entry=entry)
    receipt.entry = entry
    audit.record(AuditAction.CREATE, obj=receipt, verb=_g("登记收款") if direction == Direction.RECEIVABLE else _g("登记付款"),
                 changes={"number": [None, receipt.number], "amount": [None, str(amount)],
                          "account_code": [None, account_code]}, branch_id=branch.pk)
    if auto_match:
        match_receipts([receipt.pk], user=user, day=day)
        receipt.refresh_from_db()
    return receipt


def _last4(value: str) -> str:
    digits = "".join(ch for ch in (value or "") if ch.isalnum())
    return digits[-4:]


def _memo(receipt) -> str:
    return _memo_for(receipt.direction, receipt.number, receipt.payer_name)


def receipts_create_bulk(rows: list[ReceiptRow], *, branch, account_code: str, user) -> list[int]:
    """Many receipts at once (a bank statement's lines): every row checked first (refused as a whole,
    naming the row, if one is wrong), then in batches of 2,000: numbers from a reserved block, one
    INSERT of receipts, their entries through ``post_entries``. Returns the receipts' ids in the order
    of ``rows``. Outside a transaction each batch commits on its own (a reserved block needs that);
    inside one, everything is in the caller's transaction and numbers come from the counter row."""
    _check_user(user, branch)
    account_code = funding_account_check(account_code)
    if not rows:
        return []
    today = clock.today()
    checked = []
    for index, row in enumerate(rows, start=1):
        amount, day = _checked_row(direction=row.direction, channel=row.channel, day=row.day, amount=row.amount,
                                   memo=row.memo, payer_name=row.payer_name, reference=row.reference, today=today,
                                   line=index)
        checked.append((row, amount, day))
    ids: list[int] = []
    for start in range(0, len(checked), BULK_BATCH):
        ids.extend(_bulk_batch(checked[start:start + BULK_BATCH], branch=branch, account_code=account_code, user=user))
    audit.record(AuditAction.CREATE, obj=None, verb=_g("批量登记收付款"), object_repr=_g("收付款 %(n)d 笔") % {"n": len(ids)},
                 changes={"receipts": [None, len(ids)], "account_code": [None, account_code],
                          "amount": [None, str(sum((a for _r, a, _d in checked), ZERO))]}, branch_id=branch.pk)
    return ids


def _blocks(batch, *, branch) -> list:
    """The reserved number blocks a batch needs (receipt/payment prefixes and PZ per day), or none
    inside a transaction."""
    if connection.in_atomic_block:
        return [nullcontext()]
    counts: dict[tuple[str, date], int] = {}
    for row, _amount, day in batch:
        prefix = numbers.RECEIPT if row.direction == Direction.RECEIVABLE else numbers.PAYMENT
        counts[(prefix, day)] = counts.get((prefix, day), 0) + 1
        counts[(NUMBER_PREFIX, day)] = counts.get((NUMBER_PREFIX, day), 0) + 1
    return [reserved_block(prefix, day, size) for (prefix, day), size in counts.items()]


def _bulk_batch(batch, *, branch, account_code: str, user) -> list[int]:
    from contextlib import ExitStack

    from django.utils import timezone

    from ioudesk.core import crypto

    created_by = user.pk if user.is_authenticated else None
    adapt_day = connection.ops.adapt_datefield_value
    with ExitStack() as stack:
        for block in _blocks(batch, branch=branch):
            stack.enter_context(block)
        with transaction.atomic():
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            rows, made = [], []
            for row, amount, day in batch:
                prefix = numbers.RECEIPT if row.direction == Direction.RECEIVABLE else numbers.PAYMENT
                number = next_number(prefix=prefix, day=day)
                account = (row.payer_account or "").strip()
                cents = int(amount * 100)
                rows.append((
                    number, row.direction, row.channel, account_code, adapt_day(day), cents, 0, cents,
                    (row.payer_name or "").strip()[:100], crypto.encrypt(account) if account else "",
                    account_index(account), _last4(account), (row.payer_bank or "").strip()[:100],
                    (row.memo or "").strip()[:300], (row.reference or "").strip()[:60], row.customer_id, branch.pk,
                    ReceiptStatus.UNMATCHED, "", row.statement_line_id, None, created_by, now, now))
                made.append((number, row.direction, amount, day, (row.payer_name or "").strip()))
            ids = insert_rows(Receipt, RECEIPT_COLUMNS, rows, returning=True, chunk=300)
            entries = post_entries([
                EntryRequest(kind=EntryKind.RECEIPT if direction == Direction.RECEIVABLE else EntryKind.PAYMENT,
                             lines=receipt_lines(direction=direction, account_code=account_code, amount=amount,
                                                 receipt_id=pk),
                             memo=_memo_for(direction, number, payer), iou_id=None, day=day)
                for pk, (number, direction, amount, day, payer) in zip(ids, made, strict=True)
            ], user=user)
            _set_entries([(pk, e.pk) for pk, e in zip(ids, entries, strict=True)])
    return ids


RECEIPT_COLUMNS = ["number", "direction", "channel", "account_code", "day", "amount", "matched", "unmatched",
                   "payer_name", "payer_account", "payer_account_index", "payer_account_last4", "payer_bank", "memo",
                   "reference", "customer_id", "branch_id", "status", "ignore_reason", "statement_line_id", "entry_id",
                   "created_by_id", "created_at", "updated_at"]


def _memo_for(direction: str, number: str, payer: str) -> str:
    label = _g("收款") if direction == Direction.RECEIVABLE else _g("付款")
    return f"{label} {number} {payer}".strip()[:200]


def _set_entries(pairs: list[tuple[int, int]]) -> None:
    """receipt.entry_id for many receipts: one UPDATE … CASE per 500."""
    table = connection.ops.quote_name(Receipt._meta.db_table)
    for start in range(0, len(pairs), 500):
        chunk = pairs[start:start + 500]
        cases = " ".join("WHEN %s THEN %s" for _ in chunk)
        params = [v for pair in chunk for v in pair] + [pk for pk, _e in chunk]
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET entry_id = CASE id {cases} END "
                           f"WHERE id IN ({', '.join(['%s'] * len(chunk))})", params)


@transaction.atomic
def receipt_ignore(*, receipt: Receipt, account_code: str, reason: str, user) -> Receipt:
    """无需核销: what is still unmatched of a receipt is not a customer's money. Moves it off
    2203/1123 to ``account_code`` (money in: Dr 2203 (R) / Cr the account; money out: Dr the account /
    Cr 1123 (R)) and marks the receipt ignored."""
    receipt = Receipt.objects.select_for_update(of=("self",)).get(pk=receipt.pk)
    if not receipt_predicates.can_ignore(receipt, user):
        if receipt.status == ReceiptStatus.IGNORED or receipt.unmatched <= 0:
            raise InvalidState(_("收付款 %(number)s 已没有未核销的金额。") % {"number": receipt.number})
        raise PermissionDenied(_("您没有处理这笔收付款的权限。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写无需核销的原因，例如：银行结息、内部转账。"), extra={"field": "reason"})
    if len(reason) > 200:
        raise ValidationFailed(_("原因最多 200 个字。"), extra={"field": "reason"})
    code = (account_code or "").strip()
    account = Account.objects.filter(code=code, is_active=True).first()
    if account is None or Account.objects.filter(parent=account).exists():
        raise ValidationFailed(_("请选择一个存在的明细科目作为对方科目。"), extra={"field": "account_code"})
    if code in (AccountCode.ADVANCE_RECEIPTS, AccountCode.PREPAYMENTS, AccountCode.RECEIVABLES, AccountCode.PAYABLES):
        raise ValidationFailed(_("对方科目不能是预收、预付、应收或应付账款：客户的款项请核销到单据。"),
                               extra={"field": "account_code"})
    amount = receipt.unmatched
    if receipt.direction == Direction.RECEIVABLE:
        lines = [Line(AccountCode.ADVANCE_RECEIPTS, debit=amount, doc_kind="R", doc_id=receipt.pk), Line(code, credit=amount)]
    else:
        lines = [Line(code, debit=amount), Line(AccountCode.PREPAYMENTS, credit=amount, doc_kind="R", doc_id=receipt.pk)]
    post_entry(kind=EntryKind.ADJUSTMENT, lines=lines, memo=f"{_g('无需核销')} {receipt.number}：{reason}"[:200],
               day=clock.today(), user=user, audited=False)
    Receipt.objects.filter(pk=receipt.pk).update(status=ReceiptStatus.IGNORED, unmatched=ZERO, ignore_reason=reason)
    receipt.refresh_from_db()
    audit.record(AuditAction.ACTION, obj=receipt, verb=_g("无需核销"), reason=reason,
                 changes={"unmatched": [str(amount), "0.00"], "account_code": [None, code]},
                 branch_id=receipt.branch_id)
    return receipt


# --- reads (the pages and the API) -----------------------------------------------------------------


def receipts_visible(user):
    """The receipts the user may see (the data scope: the receipt's branch)."""
    return scope.scope_queryset(user, Receipt.objects.all())


def receipt_get(user, pk) -> Receipt | None:
    try:
        return receipts_visible(user).select_related("customer", "branch", "entry", "created_by").get(pk=int(pk))
    except (Receipt.DoesNotExist, ValueError, TypeError):
        return None


def receipt_list(user, filters: dict):
    """收付款 list: by direction, status, channel, dates, customer, and a word (number, payer, memo, reference)."""
    from datetime import date as _date

    from django.db.models import Q

    query = receipts_visible(user).select_related("customer")
    if filters.get("direction") in Direction.values:
        query = query.filter(direction=filters["direction"])
    if filters.get("status") in ReceiptStatus.values:
        query = query.filter(status=filters["status"])
    if filters.get("channel") in Channel.values:
        query = query.filter(channel=filters["channel"])
    for key, lookup in (("day_from", "day__gte"), ("day_to", "day__lte")):
        try:
            query = query.filter(**{lookup: _date.fromisoformat(str(filters.get(key) or ""))})
        except ValueError:
            pass
    if str(filters.get("customer") or "").isdigit():
        query = query.filter(customer_id=int(filters["customer"]))
    word = str(filters.get("q") or "").strip()
    if word:
        query = query.filter(Q(number__icontains=word) | Q(payer_name__icontains=word) | Q(memo__icontains=word)
                             | Q(reference__icontains=word))
    return query.order_by("-day", "-id")


def receipt_totals(query) -> dict:
    from django.db.models import Count, Sum

    sums = query.aggregate(n=Count("id"), amount=Sum("amount"), matched=Sum("matched"), unmatched=Sum("unmatched"))
    return {k: (v if v is not None else (0 if k == "n" else ZERO)) for k, v in sums.items()}


def match_queue(user):
    """待核销: receipts with money unmatched, oldest first."""
    return (receipts_visible(user).filter(status__in=(ReceiptStatus.UNMATCHED, ReceiptStatus.PARTIAL), unmatched__gt=0)
            .select_related("customer").order_by("day", "id"))


def match_queue_count(user) -> int:
    return match_queue(user).count()


def funding_accounts() -> list[tuple[str, str]]:
    """The leaf accounts money may come into or leave from (cash, bank accounts, acceptance bills)."""
    accounts = list(Account.objects.filter(is_active=True).order_by("code").values_list("id", "code", "name", "parent_id"))
    parents = {parent for _pk, _code, _name, parent in accounts if parent}
    return [(code, f"{code} {name}") for pk, code, name, _parent in accounts
            if pk not in parents and code.startswith(FUNDING_ROOTS)]


def ignore_accounts() -> list[tuple[str, str]]:
    """Where money that is not a customer's may go (receipt_ignore): any active leaf account but the
    receivables/payables and unapplied accounts."""
    refused = (AccountCode.ADVANCE_RECEIPTS, AccountCode.PREPAYMENTS, AccountCode.RECEIVABLES, AccountCode.PAYABLES)
    accounts = list(Account.objects.filter(is_active=True).exclude(type__in=MEMO_TYPES).order_by("code")
                    .values_list("id", "code", "name", "parent_id"))
    parents = {parent for _pk, _code, _name, parent in accounts if parent}
    choices = [(code, f"{code} {name}") for pk, code, name, _parent in accounts if pk not in parents and code not in refused]
    # 6603 财务费用 first (the form's default): bank charges and bank interest are the usual case; a bank or
    # cash account is for an internal transfer between our own accounts
    return sorted(choices, key=lambda choice: choice[0] != AccountCode.FINANCE_EXPENSE)


def customer_for_matching(user, pk: int):
    """A customer the user sees (the manual matching's customer box)."""
    from ioudesk.customers.models import Customer

    return scope.scope_queryset(user, Customer.objects.all()).filter(pk=pk).first()
