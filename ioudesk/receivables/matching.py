"""自动核销 and 手工核销: receipts applied to open items (bills' due items and IOU installments).
docs/domain.md §26.

The rules are data (``MatchRule``, seeded by ``ioudesk setup`` and edited in the back office): the
engine tries the active ones in their ``order`` for every receipt that still has money unmatched.

- ``memo_number``: a bill number (YS…/YF…, with or without the dash) or an IOU number (JD…) in the
  memo (摘要/附言): that document's open items, oldest first, up to the receipt's amount.
- ``payer_exact``: the payer is a customer (the receipt's customer, a ``PayerAlias`` by account or
  by name — learned from every match — or a customer of exactly that name) and exactly one of its
  open items is open for exactly the amount.
- ``payer_oldest``: that customer's oldest open items add up to exactly the amount.
- ``payer_partial``: the amount is within ``ReceivablesSettings.match_tolerance`` of one open item,
  or of the oldest ones together: a ``MatchSuggestion`` only, a person confirms it.

A rule that is not ``automatic`` suggests instead of matching. Never across customers (one
receipt's allocations all belong to one customer), never over an item's open amount, never more
than the receipt has unmatched.

Accounting, per receipt and match run (one entry): money in Dr 2203 预收账款 (R receipt) / Cr 1122
应收账款 (B bill), a pair of lines per open item; money out Dr 2202 应付账款 (B bill) / Cr 1123 预付账款
(R receipt). An IOU installment: Dr 2203 (R receipt) / Cr the bank account the IOU's repayment
debits (``ious.services.guards.funding_for``), then ``iou_repay`` (the IOU's own door: Dr that
account / Cr its receivables as its strategy allocates), so the two entries together take the money
off 2203 onto the loan. Undo (``allocation_undo``) posts the mirror lines of the one allocation
(the IOU's repayment is reversed through ``transaction_reverse``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from ioudesk.core import audit, clock, scope
from ioudesk.core.errors import ApplicationError, InvalidState, PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.numbering import reserved_block
from ioudesk.ious.models import Installment, Iou, PaymentMethod
from ioudesk.ious.models import Transaction as IouTransaction
from ioudesk.ious.predicates import LIVE
from ioudesk.ious.services.corrections import transaction_reverse
from ioudesk.ious.services.guards import funding_for
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.models import EntryKind
from ioudesk.ledger.services import NUMBER_PREFIX, EntryRequest, Line, post_entries, post_entry
from ioudesk.receivables import openitems
from ioudesk.receivables.models import (
    Allocation,
    Bill,
    BillDue,
    BillEvent,
    BillEventKind,
    BillStatus,
    Channel,
    Direction,
    DueStatus,
    MatchMethod,
    MatchRule,
    MatchRuleCode,
    MatchSuggestion,
    Receipt,
    ReceiptStatus,
    ReceivablesSettings,
)
from ioudesk.receivables.payers import learn_aliases, payer_customers

ZERO = Decimal("0.00")
BATCH = 2000
# installments of an IOU offered for matching: those due by the day, and the next one due within this
IOU_LOOKAHEAD = timedelta(days=45)

DEFAULT_RULES = (
    # code, order, automatic
    (MatchRuleCode.MEMO_NUMBER, 10, True),
    (MatchRuleCode.PAYER_EXACT, 20, True),
    (MatchRuleCode.PAYER_OLDEST, 30, True),
    (MatchRuleCode.PAYER_PARTIAL, 40, False),
)
METHOD_FOR_RULE = {
    MatchRuleCode.MEMO_NUMBER: MatchMethod.MEMO_NUMBER,
    MatchRuleCode.PAYER_EXACT: MatchMethod.PAYER_EXACT,
    MatchRuleCode.PAYER_OLDEST: MatchMethod.PAYER_OLDEST,
}
IOU_METHOD = {Channel.CASH: PaymentMethod.CASH, Channel.BANK: PaymentMethod.BANK_TRANSFER,
              Channel.WECHAT: PaymentMethod.WECHAT, Channel.ALIPAY: PaymentMethod.ALIPAY,
              Channel.ACCEPTANCE_BILL: PaymentMethod.OTHER}
# YS20261128-0001, ys 20261128 0001, YS202611280001, ＹＳ２０２６… (NFKC first)
NUMBER_RE = re.compile(r"(YS|YF|JD)\s*(20\d{6})\s*[-_—–/]?\s*(\d{4,7})(?!\d)")


def rules_ensure() -> int:
    """Seed the four rules (``ioudesk setup``); existing ones are left as edited. Returns how many
    were created."""
    created = 0
    for code, order, automatic in DEFAULT_RULES:
        _rule, made = MatchRule.objects.get_or_create(code=code, defaults={"order": order, "automatic": automatic})
        created += made
    return created


match_rules_defaults_ensure = rules_ensure  # ``ioudesk setup``


@transaction.atomic
def match_rule_save(*, rule: MatchRule, user) -> MatchRule:
    """Change a rule's order, whether it is on, automatic (or only suggests) and whether it also
    matches IOU installments; the partial rule only ever suggests. Audited."""
    if not user.has_perm("receivables.change_matchrule"):
        raise PermissionDenied(_("您没有修改核销规则的权限。"))
    locked = MatchRule.objects.select_for_update().get(pk=rule.pk)
    if rule.code == MatchRuleCode.PAYER_PARTIAL and rule.automatic:
        raise ValidationFailed(_("“金额在容差内”只能作为核销建议，不能自动核销：请取消“自动核销”。"),
                               extra={"field": "automatic"})
    if not 1 <= int(rule.order) <= 999:
        raise ValidationFailed(_("顺序请填 1 到 999 之间的数字，小的先试。"), extra={"field": "order"})
    changes = {name: [getattr(locked, name), getattr(rule, name)]
               for name in ("order", "is_active", "automatic", "include_ious") if getattr(locked, name) != getattr(rule, name)}
    if changes:
        MatchRule.objects.filter(pk=rule.pk).update(order=rule.order, is_active=rule.is_active,
                                                    automatic=rule.automatic, include_ious=rule.include_ious)
        audit.record(AuditAction.UPDATE, obj=locked, verb=_g("修改核销规则"), changes=changes)
    rule.refresh_from_db()
    return rule


@dataclass(frozen=True)
class RuleSpec:
    code: str
    automatic: bool
    include_ious: bool


def active_rules() -> list[RuleSpec]:
    rows = list(MatchRule.objects.filter(is_active=True).order_by("order", "id"))
    if not rows and not MatchRule.objects.exists():  # a book set up before the rules existed
        return [RuleSpec(code, automatic, True) for code, _order, automatic in DEFAULT_RULES]
    return [RuleSpec(r.code, r.automatic and r.code != MatchRuleCode.PAYER_PARTIAL, r.include_ious) for r in rows]


def tolerance() -> Decimal:
    value = ReceivablesSettings.objects.order_by("id").values_list("match_tolerance", flat=True).first()
    return value or ZERO


def memo_numbers(memo: str) -> list[str]:
    """The bill and IOU numbers written in a memo, as the documents are numbered (with the dash).

    >>> memo_numbers("货款 ys20261128 0001，ＹＳ２０２６１１２８－０００２ 及 JD202611010003")
    ['YS20261128-0001', 'YS20261128-0002', 'JD20261101-0003']
    """
    text = unicodedata.normalize("NFKC", memo or "").upper()
    found = []
    for prefix, day, counter in NUMBER_RE.findall(text):
        number = f"{prefix}{day}-{counter}"
        if number not in found:
            found.append(number)
    return found


# --- open items -----------------------------------------------------------------------------------


@dataclass
class Item:
    """An open item a receipt may go to: a bill's due item, or an IOU installment."""

    kind: str  # "due" | "iou"
    pk: int  # BillDue id, or Installment id
    customer_id: int
    due_date: date
    open: Decimal
    doc_id: int  # bill id, or IOU id
    number: str  # the bill's / IOU's number
    seq: int = 1

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.pk)


def _visible(user):
    return scope.visible_branch_ids(user)


def load_bill_items(customer_ids, direction: str, user, *, bill_ids=None) -> dict[int, list[Item]]:
    """The open due items of these customers (or bills), by customer, oldest first. Raw SQL: the
    matching run reads ~10 items for each of 2,000 customers per batch."""
    keys = list(bill_ids if bill_ids is not None else customer_ids)
    if not keys:
        return {}
    quote = connection.ops.quote_name
    due_table, bill_table = quote(BillDue._meta.db_table), quote(Bill._meta.db_table)
    branches = _visible(user)
    out: dict[int, list[Item]] = defaultdict(list)
    rows = []
    with connection.cursor() as cursor:
        for start in range(0, len(keys), 500):
            part = keys[start:start + 500]
            sql = (f"SELECT d.id, d.customer_id, d.due_date, d.open_amount, d.bill_id, b.number, d.seq, d.branch_id "
                   f"FROM {due_table} d JOIN {bill_table} b ON b.id = d.bill_id "
                   f"WHERE d.direction = %s AND d.status = %s AND d.open_amount > 0 AND b.status = %s AND "
                   f"{'d.bill_id' if bill_ids is not None else 'd.customer_id'} IN ({', '.join(['%s'] * len(part))})")
            cursor.execute(sql, [direction, DueStatus.OPEN, BillStatus.OPEN, *part])
            rows.extend(cursor.fetchall())
    to_date = _date_of
    for pk, customer_id, due_date, open_fen, bill_id, number, seq, branch_id in rows:
        if branches is not None and branch_id not in branches:
            continue
        out[customer_id].append(Item("due", pk, customer_id, to_date(due_date), Decimal(open_fen).scaleb(-2), bill_id,
                                     number, seq))
    for items in out.values():
        items.sort(key=lambda item: (item.due_date, item.pk))
    return out


def _date_of(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def installment_owed(row: Installment) -> Decimal:
    """What an installment will have asked for by its due date and is still unpaid."""
    return ((row.principal_due - row.principal_paid) + (row.interest_due - row.interest_paid - row.interest_waived)
            + (row.fee_due - row.fee_paid - row.fee_waived) + (row.penalty_charged - row.penalty_paid - row.penalty_waived))


def load_iou_items(customer_ids, user, day: date, *, iou_ids=None) -> dict[int, list[Item]]:
    """The live IOUs' unpaid installments due by ``day`` and the next one (within 45 days), by customer."""
    if not user.has_perm("ious.record_repayment"):
        return {}
    ious = Iou.objects.filter(status__in=LIVE)
    ious = ious.filter(pk__in=list(iou_ids)) if iou_ids is not None else ious.filter(customer_id__in=list(customer_ids))
    branches = _visible(user)
    if branches is not None:
        ious = ious.filter(branch_id__in=branches)
    heads = {pk: (customer_id, number) for pk, customer_id, number in ious.values_list("id", "customer_id", "number")}
    if not heads:
        return {}
    rows = (Installment.objects.filter(schedule__iou_id__in=list(heads), schedule__is_current=True,
                                       paid_off_on__isnull=True)
            .select_related("schedule").order_by("schedule__iou_id", "number"))
    out: dict[int, list[Item]] = defaultdict(list)
    next_taken: set[int] = set()
    for row in rows:
        iou_id = row.schedule.iou_id
        if row.due_date > day:
            if iou_id in next_taken or row.due_date > day + IOU_LOOKAHEAD:
                continue
            next_taken.add(iou_id)
        owed = installment_owed(row)
        if owed <= 0:
            continue
        customer_id, number = heads[iou_id]
        out[customer_id].append(Item("iou", row.pk, customer_id, row.due_date, owed, iou_id, number, row.number))
    for items in out.values():
        items.sort(key=lambda item: (item.due_date, item.kind, item.pk))
    return out


def _merge(*maps) -> dict[int, list[Item]]:
    out: dict[int, list[Item]] = defaultdict(list)
    for mapping in maps:
        for customer_id, items in mapping.items():
            out[customer_id].extend(items)
    for items in out.values():
        items.sort(key=lambda item: (item.due_date, item.kind != "due", item.pk))
    return out


# --- the decision ----------------------------------------------------------------------------------


@dataclass
class Plan:
    receipt: dict
    customer_id: int | None = None
    parts: list[tuple[Item, Decimal, str]] = field(default_factory=list)  # item, amount, MatchMethod
    suggestions: list[tuple[Item, Decimal, str, str]] = field(default_factory=list)  # item, amount, rule, reason

    @property
    def amount(self) -> Decimal:
        return sum((amount for _item, amount, _method in self.parts), ZERO)


def _remaining(items: list[Item], used: dict) -> list[tuple[Item, Decimal]]:
    return [(item, item.open - used.get(item.key, ZERO)) for item in items if item.open - used.get(item.key, ZERO) > 0]


def decide(receipt: dict, *, rules: list[RuleSpec], customer_id: int | None, memo_items: list[Item] | None,
           items: list[Item], used: dict, tol: Decimal) -> Plan:
    """What the rules make of one receipt (pure: reads ``used``, the amounts other receipts of the
    run have already taken off items, and adds its own)."""
    plan = Plan(receipt=receipt, customer_id=customer_id)
    left = receipt["unmatched"]
    for rule in rules:
        if left <= 0 or plan.parts or plan.suggestions:
            break
        pool = items if rule.include_ious else [i for i in items if i.kind == "due"]
        chosen: list[tuple[Item, Decimal]] = []
        reason = ""
        if rule.code == MatchRuleCode.MEMO_NUMBER:
            if not memo_items:
                continue
            named = memo_items if rule.include_ious else [i for i in memo_items if i.kind == "due"]
            take = left
            for item, open_amount in _remaining(named, used):
                if take <= 0:
                    break
                amount = min(open_amount, take)
                chosen.append((item, amount))
                take -= amount
            reason = _g("摘要中有单号 %(numbers)s") % {"numbers": "、".join(sorted({i.number for i, _a in chosen}))}
        elif customer_id is None:
            continue
        elif rule.code == MatchRuleCode.PAYER_EXACT:
            hits = [(item, open_amount) for item, open_amount in _remaining(pool, used) if open_amount == left]
            if len(hits) == 1:
                chosen = hits
                reason = _g("金额与 %(number)s 的未结金额一致") % {"number": hits[0][0].number}
        elif rule.code == MatchRuleCode.PAYER_OLDEST:
            total = ZERO
            prefix = []
            for item, open_amount in _remaining(pool, used):
                total += open_amount
                prefix.append((item, open_amount))
                if total >= left:
                    break
            if total == left:  # one item: the oldest of several open for the same amount
                chosen = prefix
                reason = _g("最早的 %(n)d 笔未结项合计等于收款金额") % {"n": len(prefix)}
        elif rule.code == MatchRuleCode.PAYER_PARTIAL:
            if tol <= 0:
                continue
            chosen, reason = _partial(_remaining(pool, used), left, tol)
        if not chosen:
            continue
        automatic = rule.automatic and rule.code != MatchRuleCode.PAYER_PARTIAL
        for item, amount in chosen:
            used[item.key] = used.get(item.key, ZERO) + amount
            if automatic:
                plan.parts.append((item, amount, METHOD_FOR_RULE[rule.code]))
            else:
                plan.suggestions.append((item, amount, rule.code, reason))
        if not automatic:  # a suggestion does not take the items from the other receipts of the run
            for item, amount in chosen:
                used[item.key] -= amount
        left -= sum((a for _i, a in chosen), ZERO)
    return plan


def _partial(remaining: list[tuple[Item, Decimal]], amount: Decimal, tol: Decimal):
    """A suggestion within the tolerance: the one item closest to the amount, else the oldest items
    whose total is closest; never more than an item's open amount or than the receipt."""
    best = None
    for item, open_amount in remaining:
        gap = abs(open_amount - amount)
        if 0 < gap <= tol and (best is None or gap < best[0]):
            best = (gap, [(item, min(open_amount, amount))])
    if best is None:
        total, prefix = ZERO, []
        for item, open_amount in remaining:
            total += open_amount
            prefix.append((item, open_amount))
            if total >= amount:
                break
        if prefix and 0 < abs(total - amount) <= tol:
            if total > amount:  # the last item takes only what is left of the receipt
                last, open_last = prefix[-1]
                prefix[-1] = (last, open_last - (total - amount))
            best = (abs(total - amount), [p for p in prefix if p[1] > 0])
    if best is None:
        return [], ""
    gap, chosen = best
    return chosen, _g("金额相差 ¥%(gap)s，在容差内") % {"gap": f"{gap:,.2f}"}


# --- the run ---------------------------------------------------------------------------------------


@dataclass
class MatchSummary:
    receipts: int = 0
    matched: int = 0  # receipts fully matched
    partial: int = 0
    suggested: int = 0
    unmatched: int = 0
    allocations: int = 0
    amount: Decimal = ZERO

    def add(self, other: MatchSummary) -> None:
        for name in ("receipts", "matched", "partial", "suggested", "unmatched", "allocations", "amount"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


RECEIPT_FIELDS = ("id", "number", "direction", "channel", "day", "amount", "unmatched", "matched", "status",
                  "payer_name", "payer_account_index", "payer_account_last4", "memo", "customer_id", "branch_id")


def match_receipts(receipt_ids, *, user, day: date | None = None, job=None) -> MatchSummary:
    """Run the active rules over these receipts (those still unmatched or partly matched), set-based
    in batches of 2,000: each batch loads its customers' open items once, decides every receipt in
    memory, then writes the allocations, the open items, the entries and the receipts in a few
    statements, in one transaction per batch. Progress goes to ``job`` (a ``jobs.Job``)."""
    if not user.has_perm("receivables.match_receipt"):
        raise PermissionDenied(_("您没有核销收付款的权限。"))
    day = day or clock.today()
    ids = sorted(set(int(pk) for pk in receipt_ids))
    rules = active_rules()
    tol = tolerance()
    summary = MatchSummary()
    if job is not None:
        _job_progress(job, total=len(ids), processed=0)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        with ExitStack() as stack:
            if not connection.in_atomic_block:
                stack.enter_context(reserved_block(NUMBER_PREFIX, day, len(chunk)))
            with transaction.atomic():
                summary.add(_match_batch(chunk, user=user, day=day, rules=rules, tol=tol))
        if job is not None:
            _job_progress(job, processed=min(start + BATCH, len(ids)))
    if summary.receipts:
        audit.record(AuditAction.ACTION, obj=None, verb=_g("自动核销"),
                     object_repr=_g("收付款 %(n)d 笔") % {"n": summary.receipts},
                     changes={"matched": [None, summary.matched], "partial": [None, summary.partial],
                              "suggested": [None, summary.suggested], "amount": [None, str(summary.amount)]})
    return summary


def _job_progress(job, **values) -> None:
    type(job).objects.filter(pk=job.pk).update(**values)


def _receipts_to_match(ids: list[int], day: date) -> list[dict]:
    """The batch's receipts still unmatched or partly matched, dated by ``day``, oldest first (raw SQL:
    money in fen → Decimal yuan)."""
    money = {"amount", "unmatched", "matched"}
    rows = []
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            cursor.execute(
                f"SELECT {', '.join(RECEIPT_FIELDS)} FROM {connection.ops.quote_name(Receipt._meta.db_table)} "
                f"WHERE id IN ({', '.join(['%s'] * len(part))}) AND status IN (%s, %s) AND unmatched > 0 AND day <= %s",
                [*part, ReceiptStatus.UNMATCHED, ReceiptStatus.PARTIAL, connection.ops.adapt_datefield_value(day)])
            for values in cursor.fetchall():
                row = dict(zip(RECEIPT_FIELDS, values, strict=True))
                for name in money:
                    row[name] = Decimal(row[name]).scaleb(-2)
                row["day"] = _date_of(row["day"])
                rows.append(row)
    rows.sort(key=lambda r: (r["day"], r["id"]))
    return rows


def _match_batch(ids: list[int], *, user, day: date, rules, tol) -> MatchSummary:
    receipts = _receipts_to_match(ids, day)
    branches = _visible(user)
    if branches is not None:
        receipts = [r for r in receipts if r["branch_id"] in branches]
    summary = MatchSummary(receipts=len(receipts))
    if not receipts:
        return summary
    payer = payer_customers(receipts)
    memo = {r["id"]: memo_numbers(r["memo"]) for r in receipts} if any(
        rule.code == MatchRuleCode.MEMO_NUMBER for rule in rules) else {}
    bill_numbers = {n for numbers in memo.values() for n in numbers if not n.startswith("JD")}
    iou_numbers = {n for numbers in memo.values() for n in numbers if n.startswith("JD")}
    bills_by_number = {number: (pk, direction, customer_id) for pk, number, direction, customer_id in
                       Bill.objects.filter(number__in=bill_numbers).values_list("id", "number", "direction",
                                                                                "customer_id")} if bill_numbers else {}
    ious_by_number = {number: (pk, customer_id) for pk, number, customer_id in
                      Iou.objects.filter(number__in=iou_numbers).values_list("id", "number", "customer_id")
                      } if iou_numbers else {}
    # the customer each receipt's allocations may go to ("never across customers")
    memo_docs: dict[int, list[tuple[str, int, int]]] = {}
    for r in receipts:
        docs = []
        for number in memo.get(r["id"], ()):
            if number in bills_by_number:
                pk, direction, customer_id = bills_by_number[number]
                if direction == r["direction"]:
                    docs.append(("due", pk, customer_id))
            elif number in ious_by_number and r["direction"] == Direction.RECEIVABLE:
                pk, customer_id = ious_by_number[number]
                docs.append(("iou", pk, customer_id))
        if docs:
            # the receipt's own customer (entered by a person) wins over a number in the memo; a number
            # wins over a payer alias (an agent may pay for several customers)
            owner = r["customer_id"] or docs[0][2]
            docs = [d for d in docs if d[2] == owner]
        memo_docs[r["id"]] = docs
    customers = set(payer.values()) | {d[2] for docs in memo_docs.values() for d in docs}
    want_ious = any(rule.include_ious for rule in rules)
    items_by_customer = {}
    for direction in {r["direction"] for r in receipts}:
        bills = load_bill_items(customers, direction, user)
        ious = load_iou_items(customers, user, day) if want_ious and direction == Direction.RECEIVABLE else {}
        items_by_customer[direction] = _merge(bills, ious)
    used: dict = {}
    plans = []
    for r in receipts:
        docs = memo_docs.get(r["id"], [])
        customer = r["customer_id"] or (docs[0][2] if docs else payer.get(r["id"]))
        items = items_by_customer[r["direction"]].get(customer, []) if customer else []
        doc_keys = {(kind, pk) for kind, pk, _c in docs}
        memo_items = [i for i in items if (i.kind, i.doc_id) in doc_keys] if docs else None
        plans.append(decide(r, rules=rules, customer_id=customer, memo_items=memo_items, items=items, used=used,
                            tol=tol))
    return _apply(plans, user=user, day=day, summary=summary)


# --- writing ---------------------------------------------------------------------------------------


def fen(amount: Decimal) -> int:
    return int(amount * 100)


def insert_rows(model, columns: list[str], rows: list[tuple], *, returning: bool = False, ignore_conflicts=False,
                chunk: int = 400) -> list[int]:
    """INSERT many rows of ``model`` by hand (values already as the database stores them: money in
    fen, dates as the backend adapts them), one multi-row statement per ``chunk``; the matching run's
    and the import's hot path, where building model instances cost more than the database."""
    if not rows:
        return []
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    tail += f" RETURNING {quote(model._meta.pk.column)}" if returning else ""
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start:start + chunk]
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES {', '.join([row_sql] * len(part))}{tail}",
                           [value for row in part for value in row])
            if returning:
                ids.extend(pk for (pk,) in cursor.fetchall())
    return ids


def _db_date(day: date):
    return connection.ops.adapt_datefield_value(day)


def _apply(plans: list[Plan], *, user, day: date, summary: MatchSummary) -> MatchSummary:
    created_by = user.pk if user.is_authenticated else None
    allocations: list[list] = []  # [receipt, due, amount, method, entry index]
    entries: list[EntryRequest] = []
    due_changes: dict[int, Decimal] = defaultdict(lambda: ZERO)
    by_bill: dict[int, Decimal] = defaultdict(lambda: ZERO)
    receipt_updates = []
    aliases = []
    suggestion_rows = []
    label, event_text = pgettext("往来", "核销"), _g("自动核销 ¥%(amount)s")  # translated once per batch
    for plan in plans:
        r = plan.receipt
        applied = ZERO
        iou_parts = [(item, amount, method) for item, amount, method in plan.parts if item.kind == "iou"]
        bill_parts = [(item, amount, method) for item, amount, method in plan.parts if item.kind == "due"]
        if iou_parts:
            try:
                with transaction.atomic():
                    made = _apply_iou_parts(r, iou_parts, user=user, day=day)
            except ApplicationError:
                made, bill_parts = [], []  # the IOU refused it (state, day): the receipt waits for a person
            applied += sum((a.amount for a in made), ZERO)
            summary.allocations += len(made)
        if bill_parts:
            lines = []
            for item, amount, method in bill_parts:
                due_changes[item.pk] += amount
                by_bill[item.doc_id] += amount
                allocations.append((r["id"], item.pk, amount, method, len(entries)))
                lines.extend(_pair(r["direction"], r["id"], item.doc_id, amount))
                applied += amount
            entries.append(EntryRequest(kind=EntryKind.MATCH, lines=lines, iou_id=None, day=day,
                                        memo=_entry_memo(r, {i.number for i, _a, _m in bill_parts}, label=label)))
        for item, amount, rule, reason in plan.suggestions:
            suggestion_rows.append((r["id"], item.pk if item.kind == "due" else None,
                                    item.doc_id if item.kind == "iou" else None, fen(amount), rule, reason[:200], _now()))
        matched = r["matched"] + applied
        unmatched = r["unmatched"] - applied
        status = (ReceiptStatus.MATCHED if unmatched == 0 else ReceiptStatus.PARTIAL if matched > 0
                  else ReceiptStatus.UNMATCHED)
        customer = plan.customer_id if (applied or plan.suggestions or r["customer_id"]) else None
        if applied or customer != r["customer_id"]:
            receipt_updates.append((r["id"], matched, unmatched, status, customer or r["customer_id"]))
        if applied:
            summary.amount += applied
            aliases.append((plan.customer_id, r))
        if status == ReceiptStatus.MATCHED:
            summary.matched += 1
        elif status == ReceiptStatus.PARTIAL:
            summary.partial += 1
        else:
            summary.unmatched += 1
        if plan.suggestions and not applied:
            summary.suggested += 1
    if due_changes:
        openitems.dues_apply_bulk(dict(due_changes), day=day)
    if entries:
        posted = post_entries(entries, user=user)
        now, on = _now(), _db_date(day)
        insert_rows(Allocation, ["receipt_id", "due_id", "iou_id", "iou_transaction_id", "amount", "method", "day",
                                 "entry_id", "undone", "undo_entry_id", "undo_reason", "created_by_id", "created_at"],
                    [(receipt_id, due_id, None, None, fen(amount), method, on, posted[index].pk, False, None, "",
                      created_by, now) for receipt_id, due_id, amount, method, index in allocations])
        summary.allocations += len(allocations)
        insert_rows(BillEvent, ["bill_id", "kind", "text", "by_id", "at"],
                    [(bill_id, BillEventKind.MATCHED, event_text % {"amount": f"{amount:,.2f}"},
                      created_by, now) for bill_id, amount in by_bill.items()])
    ids = [p.receipt["id"] for p in plans]
    with connection.cursor() as cursor:  # the run's suggestions replace the last run's
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(MatchSuggestion._meta.db_table)} "
                           f"WHERE receipt_id IN ({', '.join(['%s'] * len(part))})", part)
    insert_rows(MatchSuggestion, ["receipt_id", "due_id", "iou_id", "amount", "rule", "reason", "created_at"],
                suggestion_rows)
    _update_receipts(receipt_updates)
    learn_aliases(aliases)
    return summary


def _pair(direction: str, receipt_id: int, bill_id: int, amount: Decimal) -> list[Line]:
    if direction == Direction.RECEIVABLE:
        return [Line(AccountCode.ADVANCE_RECEIPTS, debit=amount, doc_kind="R", doc_id=receipt_id),
                Line(AccountCode.RECEIVABLES, credit=amount, doc_kind="B", doc_id=bill_id)]
    return [Line(AccountCode.PAYABLES, debit=amount, doc_kind="B", doc_id=bill_id),
            Line(AccountCode.PREPAYMENTS, credit=amount, doc_kind="R", doc_id=receipt_id)]


def _entry_memo(receipt: dict, numbers, *, label: str | None = None) -> str:
    return f"{label or _g('核销')} {receipt['number']} → {'、'.join(sorted(numbers))}"[:200]


def _apply_iou_parts(receipt: dict, parts, *, user, day: date) -> list[Allocation]:
    """One allocation per IOU: Dr 2203 (R) / Cr the account the repayment debits, then the IOU's
    own repayment (dated the day the money came in)."""
    by_iou: dict[int, list] = defaultdict(list)
    for item, amount, method in parts:
        by_iou[item.doc_id].append((item, amount, method))
    made = []
    for iou_id, rows in by_iou.items():
        iou = Iou.objects.get(pk=iou_id)
        amount = sum((a for _i, a, _m in rows), ZERO)
        method = IOU_METHOD.get(receipt["channel"], PaymentMethod.OTHER)
        funding = funding_for(method)
        entry = post_entry(kind=EntryKind.MATCH, day=day, user=user, audited=False,
                           lines=[Line(AccountCode.ADVANCE_RECEIPTS, debit=amount, doc_kind="R", doc_id=receipt["id"]),
                                  Line(funding, credit=amount)],
                           memo=_entry_memo(receipt, {iou.number}))
        record = iou_repay(iou=iou, amount=amount, user=user, day=min(receipt["day"], day), method=method,
                           reference=receipt["number"], payer=receipt["payer_name"][:100])
        made.append(Allocation.objects.create(
            receipt_id=receipt["id"], iou=iou, iou_transaction=record, amount=amount, method=rows[0][2], day=day,
            entry=entry, created_by=user if user.is_authenticated else None))
    return made


def _update_receipts(rows) -> None:
    """matched, unmatched, status, customer of many receipts: UPDATE … CASE per 300."""
    if not rows:
        return
    table = connection.ops.quote_name(Receipt._meta.db_table)
    for start in range(0, len(rows), 300):
        chunk = rows[start:start + 300]
        params = []
        parts = {}
        for column, position in (("matched", 1), ("unmatched", 2), ("status", 3), ("customer_id", 4)):
            cases = " ".join("WHEN %s THEN %s" for _ in chunk)
            parts[column] = f"{column} = CASE id {cases} END"
            for row in chunk:
                value = row[position]
                if isinstance(value, Decimal):
                    value = int(value * 100)
                params.extend([row[0], value])
        params.extend(row[0] for row in chunk)
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET {', '.join(parts.values())}, updated_at = %s "
                           f"WHERE id IN ({', '.join(['%s'] * len(chunk))})",
                           params[:len(params) - len(chunk)] + [_now()] + params[len(params) - len(chunk):])


def _now():
    from django.utils import timezone

    return connection.ops.adapt_datetimefield_value(timezone.now())


# --- one receipt at a time: manual matching, suggestions, undo -----------------------------------


def _lock_receipt(receipt: Receipt) -> Receipt:
    return Receipt.objects.select_for_update(of=("self",)).get(pk=receipt.pk)


@transaction.atomic
def match_manual(*, receipt: Receipt, targets: list, user, method: str = MatchMethod.MANUAL) -> list[Allocation]:
    """手工核销: apply parts of a receipt to open items a person chose: ``targets`` is a list of
    (BillDue or Iou, amount). All to one customer, each at most what is open, together at most what
    the receipt has unmatched; refused as a whole, every problem named."""
    from ioudesk.receivables import receipt_predicates

    receipt = _lock_receipt(receipt)
    if not receipt_predicates.can_match(receipt, user):
        if receipt.status in (ReceiptStatus.MATCHED, ReceiptStatus.IGNORED) or receipt.unmatched <= 0:
            raise InvalidState(_("收付款 %(number)s 已没有未核销的金额。") % {"number": receipt.number})
        raise PermissionDenied(_("您没有核销这笔收付款的权限。"))
    day = clock.today()
    wanted = [(target, Decimal(amount)) for target, amount in targets if Decimal(amount) != 0]
    if not wanted:
        raise ValidationFailed(_("请至少为一笔未结项填写核销金额。"), extra={"field": "targets"})
    problems = {}
    customers = set()
    total = ZERO
    checked = []
    for target, amount in wanted:
        if isinstance(target, BillDue):
            due = BillDue.objects.select_related("bill").get(pk=target.pk)
            label = f"{due.bill.number}-{due.seq}"
            customers.add(due.customer_id)
            if due.direction != receipt.direction:
                problems[label] = _g("%(label)s 与这笔%(kind)s的方向不同。") % {
                    "label": label, "kind": receipt.get_direction_display()}
            elif due.bill.status != BillStatus.OPEN or due.status != DueStatus.OPEN:
                problems[label] = _g("%(label)s 已结清或未生效。") % {"label": label}
            elif not scope.can_see_branch(user, due.branch_id):
                problems[label] = _g("您看不到 %(label)s。") % {"label": label}
            elif amount < 0 or amount > due.open_amount:
                problems[label] = _g("%(label)s 的核销金额 ¥%(amount)s 须大于 0 且不超过未结金额 ¥%(open)s。") % {
                    "label": label, "amount": f"{amount:,.2f}", "open": f"{due.open_amount:,.2f}"}
            checked.append(("due", due, amount))
        elif isinstance(target, Iou):
            iou = Iou.objects.get(pk=target.pk)
            customers.add(iou.customer_id)
            owed = iou.total_outstanding
            if receipt.direction != Direction.RECEIVABLE:
                problems[iou.number] = _g("付款不能核销到借据。")
            elif iou.status not in LIVE:
                problems[iou.number] = _g("借据 %(number)s 不在还款中。") % {"number": iou.number}
            elif amount < 0 or amount > owed:
                problems[iou.number] = _g("%(number)s 的核销金额 ¥%(amount)s 须大于 0 且不超过未还金额 ¥%(open)s。") % {
                    "number": iou.number, "amount": f"{amount:,.2f}", "open": f"{owed:,.2f}"}
            checked.append(("iou", iou, amount))
        else:
            raise ValidationFailed(_("核销对象必须是单据的到期明细或借据。"), extra={"field": "targets"})
        total += amount
    if len(customers) > 1:
        problems["customer"] = _g("一笔收付款只能核销同一往来单位的款项，请分开核销。")
    if receipt.customer_id and customers and receipt.customer_id not in customers:
        problems["customer"] = _g("这笔收付款已对应往来单位“%(name)s”，不能核销其他单位的单据。") % {
            "name": receipt.customer.name}
    if total > receipt.unmatched:
        problems["amount"] = _g("核销合计 ¥%(total)s 超过这笔收付款的未核销金额 ¥%(left)s。") % {
            "total": f"{total:,.2f}", "left": f"{receipt.unmatched:,.2f}"}
    if problems:
        raise ValidationFailed("；".join(str(p) for p in problems.values()), code="match_refused",
                               extra={"field": "targets",
                                      "details": [{"field": k, "message": str(v)} for k, v in problems.items()]})
    customer_id = next(iter(customers))
    made = []
    receipt_row = {"id": receipt.pk, "number": receipt.number, "channel": receipt.channel, "day": receipt.day,
                   "payer_name": receipt.payer_name}
    due_parts = [(due, amount) for kind, due, amount in checked if kind == "due"]
    if due_parts:
        lines = [line for due, amount in due_parts for line in _pair(receipt.direction, receipt.pk, due.bill_id, amount)]
        entry = post_entry(kind=EntryKind.MATCH, lines=lines, day=day, user=user, audited=False,
                           memo=_entry_memo(receipt_row, {due.bill.number for due, _a in due_parts}))
        for due, amount in due_parts:
            openitems.due_apply(due, paid=amount, day=day)
            made.append(Allocation.objects.create(receipt=receipt, due=due, amount=amount, method=method, day=day,
                                                  entry=entry, created_by=user))
            BillEvent.objects.create(bill_id=due.bill_id, kind=BillEventKind.MATCHED, by=user,
                                     text=_g("%(receipt)s 核销 ¥%(amount)s") % {"receipt": receipt.number,
                                                                              "amount": f"{amount:,.2f}"})
    for kind, iou, amount in checked:
        if kind == "iou":
            fake = Item("iou", 0, iou.customer_id, day, amount, iou.pk, iou.number)
            made.extend(_apply_iou_parts(receipt_row, [(fake, amount, method)], user=user, day=day))
    _after_change(receipt, customer_id=customer_id)
    learn_aliases([(customer_id, {"payer_name": receipt.payer_name, "payer_account_index": receipt.payer_account_index,
                                  "payer_account_last4": receipt.payer_account_last4})])
    MatchSuggestion.objects.filter(receipt=receipt).delete()
    audit.record(AuditAction.ACTION, obj=receipt, verb=_g("手工核销") if method == MatchMethod.MANUAL else _g("确认核销建议"),
                 changes={"amount": [None, str(total)],
                          "targets": [None, [a.due_id and f"due:{a.due_id}" or f"iou:{a.iou_id}" for a in made]]},
                 branch_id=receipt.branch_id)
    return made


def _after_change(receipt: Receipt, *, customer_id=None) -> None:
    """The receipt's matched/unmatched/status from its allocations that stand."""
    applied = sum((a.amount for a in Allocation.objects.filter(receipt_id=receipt.pk, undone=False)), ZERO)
    unmatched = receipt.amount - applied
    status = (ReceiptStatus.MATCHED if unmatched == 0 else ReceiptStatus.PARTIAL if applied > 0
              else ReceiptStatus.UNMATCHED)
    values = {"matched": applied, "unmatched": unmatched, "status": status}
    if customer_id:
        values["customer_id"] = customer_id
    Receipt.objects.filter(pk=receipt.pk).update(**values)


@transaction.atomic
def suggestion_accept(*, suggestion: MatchSuggestion, user) -> list[Allocation]:
    """A person confirms a suggested match (all the receipt's suggestions of that run together)."""
    receipt = suggestion.receipt
    rows = list(MatchSuggestion.objects.filter(receipt=receipt).select_related("due", "iou"))
    if not rows:
        raise InvalidState(_("这条核销建议已不存在，请刷新页面。"))
    targets = [(row.due if row.due_id else row.iou, row.amount) for row in rows]
    return match_manual(receipt=receipt, targets=targets, user=user, method=MatchMethod.SUGGESTION)


@transaction.atomic
def allocation_undo(*, allocation: Allocation, reason: str, user, approval=None) -> Allocation:
    """撤销核销: the allocation's own lines mirrored in a new entry (the open item owes again, the
    receipt is unmatched again). An IOU allocation: the IOU's repayment reversed through
    ``transaction_reverse`` (its approval flow applies), then 2203 credited back."""
    from ioudesk.receivables import receipt_predicates

    allocation = Allocation.objects.select_for_update(of=("self",)).select_related("receipt", "due", "iou").get(
        pk=allocation.pk)
    receipt = _lock_receipt(allocation.receipt)
    if not receipt_predicates.can_undo(allocation, user):
        if allocation.undone:
            raise InvalidState(_("这笔核销已撤销。"))
        raise PermissionDenied(_("您没有撤销这笔核销的权限。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写撤销核销的原因。"), extra={"field": "reason"})
    if len(reason) > 200:
        raise ValidationFailed(_("原因最多 200 个字。"), extra={"field": "reason"})
    day = clock.today()
    amount = allocation.amount
    memo = f"{_g('撤销核销')} {receipt.number}：{reason}"[:200]
    if allocation.due_id:
        due = allocation.due
        lines = [Line(x.account_code, debit=x.credit, credit=x.debit, doc_kind=x.doc_kind, doc_id=x.doc_id)
                 for x in _pair(receipt.direction, receipt.pk, due.bill_id, amount)]
        entry = post_entry(kind=EntryKind.MATCH, lines=lines, memo=memo, day=day, user=user, audited=False)
        openitems.due_apply(due, paid=-amount, day=day)
        BillEvent.objects.create(bill_id=due.bill_id, kind=BillEventKind.UNMATCHED, by=user,
                                 text=_g("撤销 %(receipt)s 核销 ¥%(amount)s：%(reason)s") % {
                                     "receipt": receipt.number, "amount": f"{amount:,.2f}", "reason": reason})
    else:
        record = IouTransaction.objects.get(pk=allocation.iou_transaction_id)
        transaction_reverse(record=record, reason=reason, user=user, approval=approval)
        method = IOU_METHOD.get(receipt.channel, PaymentMethod.OTHER)
        entry = post_entry(kind=EntryKind.MATCH, memo=memo, day=day, user=user, audited=False,
                           lines=[Line(funding_for(method), debit=amount),
                                  Line(AccountCode.ADVANCE_RECEIPTS, credit=amount, doc_kind="R", doc_id=receipt.pk)])
    Allocation.objects.filter(pk=allocation.pk).update(undone=True, undo_entry=entry, undo_reason=reason)
    _after_change(receipt)
    audit.record(AuditAction.ACTION, obj=receipt, verb=_g("撤销核销"), reason=reason,
                 changes={"allocation": [str(allocation.pk), None], "amount": [str(amount), None]},
                 branch_id=receipt.branch_id)
    allocation.refresh_from_db()
    return allocation


def customer_open_items(customer, *, direction: str, user, day: date | None = None,
                        whole_ious: bool = False) -> list[Item]:
    """What the receipt page offers for manual matching: the customer's open items, oldest first.
    ``whole_ious``: one item per IOU (its whole outstanding, due from its oldest unpaid installment),
    as manual matching applies to an IOU and the IOU allocates by its own strategy."""
    day = day or clock.today()
    bills = load_bill_items([customer.pk], direction, user)
    ious = load_iou_items([customer.pk], user, day) if direction == Direction.RECEIVABLE else {}
    if whole_ious and ious:
        whole = {}
        for item in ious.get(customer.pk, []):
            whole.setdefault(item.doc_id, item)
        for iou in Iou.objects.filter(pk__in=list(whole)):
            first = whole[iou.pk]
            whole[iou.pk] = Item("iou", first.pk, customer.pk, first.due_date, iou.total_outstanding, iou.pk, iou.number)
        ious = {customer.pk: list(whole.values())}
    return _merge(bills, ious).get(customer.pk, [])
