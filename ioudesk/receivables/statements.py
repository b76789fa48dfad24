"""Statements of account (对账单), the customer's reply to the confirmation (询证函) and disputes
(docs/domain.md §26).

The figures come from the ledger, not from the bills' denormalised columns: a customer's balance is

    Σ (Dr − Cr) of the postings on 1122 应收账款 that name one of the customer's bills (doc_kind "B")
  + Σ (Dr − Cr) of the postings on 2203 预收账款 that name one of the customer's receipts (doc_kind "R")

(payables mirror: 2202 应付账款 and 1123 预付账款, the sign turned so that a positive balance is what we
owe). A bill raises it, a credit note (红字, naming the original bill) and a receipt lower it, a match
(核销: Dr 2203 R / Cr 1122 B) leaves it unchanged and only moves money from "received, not yet matched"
onto the bill. So the closing balance is the ledger's by construction, and it splits into the open
bills (应收账款余额) less the receipts not yet matched (未核销收款).

Aging of the closing balance at ``period_to``: each open item by its due date (未到期 / 1–30 / … /
365天以上, see ``selectors.BUCKETS``). A bill's open amount at a past date comes from its postings; how
it spreads over the bill's due dates is taken from the open items (``BillDue``) when nothing has
happened to the bill since, else the open part is put on the latest due dates first (payments pay the
oldest items first).

An issued statement is frozen: ``AccountStatement.snapshot`` keeps every figure and line, and the
page, the PDF, the .xlsx and the 询证函 are drawn from it, whatever happens to the bills later.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import override, pgettext_lazy

from ioudesk.calc.money import ZERO
from ioudesk.core import audit, clock
from ioudesk.core.errors import InvalidState, PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.numbering import next_number
from ioudesk.core.scope import can_see_branch, scope_queryset
from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.models import Account, EntryKind, JournalEntry, Posting
from ioudesk.receivables import numbers
from ioudesk.receivables.confirmation import confirmation_document, statement_document, statement_workbook
from ioudesk.receivables.events import bill_event
from ioudesk.receivables.models import (
    AccountStatement,
    Allocation,
    Bill,
    BillDue,
    BillEventKind,
    ConfirmationStatus,
    Direction,
    Receipt,
    StatementDispute,
)
from ioudesk.receivables.selectors import BUCKET_KEYS, BUCKET_LABELS, bucket_key

# the control account (the bills') and the unapplied account (the receipts') of each direction
ACCOUNTS = {
    Direction.RECEIVABLE: (AccountCode.RECEIVABLES, AccountCode.ADVANCE_RECEIPTS),
    Direction.PAYABLE: (AccountCode.PAYABLES, AccountCode.PREPAYMENTS),
}
# Dr − Cr times the sign is the statement's balance: what the customer owes us, or what we owe them
SIGN = {Direction.RECEIVABLE: 1, Direction.PAYABLE: -1}
SNAPSHOT_VERSION = 1

# (receivable, payable) label of each category: a snapshot keeps the category and the label is translated
# when the statement is shown (movement_label), so an English page reads English whoever issued it.
CATEGORY_LABELS = {
    "billed": (pgettext_lazy("对账单", "应收单"), pgettext_lazy("对账单", "应付单")),
    "credited": (pgettext_lazy("对账单", "红字冲减"), pgettext_lazy("对账单", "红字冲减")),
    "adjusted": (pgettext_lazy("对账单", "调整"), pgettext_lazy("对账单", "调整")),
    "received": (pgettext_lazy("对账单", "收款"), pgettext_lazy("对账单", "付款")),
    "transfer": (pgettext_lazy("对账单", "收款转借据还款"), pgettext_lazy("对账单", "付款转出")),
}


def movement_label(category: str, *, payable: bool, reversal: bool = False) -> str:
    """A movement's label in the active language."""
    label = str(CATEGORY_LABELS[category][1 if payable else 0])
    return _("冲正：%(what)s") % {"what": label} if reversal else label


@dataclass
class Movement:
    """One entry that changed the balance in the period."""

    day: date
    entry: str  # 凭证号
    category: str  # billed / credited / adjusted / received / transfer
    label: str  # in the language of whoever reads it: from_snapshot translates it again (movement_label)
    document: str  # the bill or receipt number(s) the entry is about
    memo: str
    amount: Decimal  # signed: + raises the balance, − lowers it
    balance: Decimal = ZERO
    bill_ids: list = field(default_factory=list)
    reversal: bool = False  # a reversing entry (冲正：…)

    @property
    def increase(self) -> Decimal | None:
        return self.amount if self.amount > 0 else None

    @property
    def decrease(self) -> Decimal | None:
        return -self.amount if self.amount < 0 else None


@dataclass
class MatchLine:
    """A match (核销) in the period: balance-neutral, shown for the customer's information."""

    day: date
    entry: str
    receipt: str
    bill: str
    amount: Decimal  # negative: an undone match


@dataclass
class OpenItem:
    bill_id: int
    bill: str  # number, with the instalment for a bill of several due dates (YS…-2)
    bill_date: date
    due_date: date
    open: Decimal
    days_overdue: int
    bucket: str
    disputed: bool = False
    bill_number: str = ""


@dataclass
class OpenReceipt:
    receipt_id: int
    number: str
    day: date
    amount: Decimal
    unmatched: Decimal


@dataclass
class StatementFigures:
    customer_id: int
    customer_name: str
    customer_number: str
    direction: str
    period_from: date
    period_to: date
    opening: Decimal = ZERO
    billed: Decimal = ZERO
    credited: Decimal = ZERO
    adjusted: Decimal = ZERO
    received: Decimal = ZERO
    closing: Decimal = ZERO
    bills_open: Decimal = ZERO  # 应收账款余额 (or 应付) at period_to
    unmatched: Decimal = ZERO  # receipts not yet matched at period_to
    movements: list[Movement] = field(default_factory=list)
    matches: list[MatchLine] = field(default_factory=list)
    open_items: list[OpenItem] = field(default_factory=list)
    open_receipts: list[OpenReceipt] = field(default_factory=list)
    aging: dict = field(default_factory=dict)  # bucket key → amount

    @property
    def aging_rows(self) -> list[tuple[str, str, Decimal]]:
        return [(key, str(BUCKET_LABELS[key]), self.aging.get(key, ZERO)) for key in BUCKET_KEYS]

    @property
    def overdue(self) -> Decimal:
        return sum((amount for key, amount in self.aging.items() if key != "current"), ZERO)

    @property
    def receivable(self) -> bool:
        return self.direction == Direction.RECEIVABLE

    @property
    def bills(self) -> list[tuple[int, str]]:
        """The bills on the statement (moved in the period or open at its end): what a reply may dispute."""
        seen: dict[int, str] = {}
        for item in self.open_items:
            seen.setdefault(item.bill_id, item.bill_number or item.bill)
        for movement in self.movements:
            for bill_id, number in movement.bill_ids:
                seen.setdefault(bill_id, number)
        return sorted(seen.items(), key=lambda pair: pair[1])

    # frozen form -----------------------------------------------------------------------------

    def to_snapshot(self) -> dict:
        return _jsonable({"version": SNAPSHOT_VERSION, **asdict(self)})

    @classmethod
    def from_snapshot(cls, data: dict) -> StatementFigures:
        money = ("opening", "billed", "credited", "adjusted", "received", "closing", "bills_open", "unmatched")
        values = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for name in money:
            values[name] = Decimal(values.get(name) or "0.00")
        values["period_from"], values["period_to"] = date.fromisoformat(data["period_from"]), date.fromisoformat(
            data["period_to"])
        payable = data["direction"] == Direction.PAYABLE
        values["movements"] = []
        for m in data.get("movements", []):
            reversal = m.get("reversal")
            if reversal is None:  # a snapshot from before 'reversal' was kept: its label says it
                plain = CATEGORY_LABELS[m["category"]][1 if payable else 0]
                with override("zh-hans"):
                    chinese = str(plain)
                reversal = m["label"] not in (chinese, str(plain))
            values["movements"].append(Movement(**{
                **m, "day": date.fromisoformat(m["day"]), "amount": Decimal(m["amount"]),
                "balance": Decimal(m["balance"]), "bill_ids": [tuple(b) for b in m.get("bill_ids", [])],
                "reversal": reversal, "label": movement_label(m["category"], payable=payable, reversal=reversal)}))
        values["matches"] = [MatchLine(**{**m, "day": date.fromisoformat(m["day"]), "amount": Decimal(m["amount"])})
                             for m in data.get("matches", [])]
        values["open_items"] = [OpenItem(**{**o, "bill_date": date.fromisoformat(o["bill_date"]),
                                            "due_date": date.fromisoformat(o["due_date"]), "open": Decimal(o["open"])})
                                for o in data.get("open_items", [])]
        values["open_receipts"] = [OpenReceipt(**{**r, "day": date.fromisoformat(r["day"]),
                                                  "amount": Decimal(r["amount"]), "unmatched": Decimal(r["unmatched"])})
                                   for r in data.get("open_receipts", [])]
        values["aging"] = {k: Decimal(v) for k, v in data.get("aging", {}).items()}
        return cls(**values)


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return value


# --- the figures -----------------------------------------------------------------------------------


def _category(kind: str, reversed_kind: str | None, amount: Decimal) -> str:
    base = reversed_kind if kind == EntryKind.REVERSAL and reversed_kind else kind
    if base == EntryKind.BILL:
        return "billed"
    if base == EntryKind.CREDIT_NOTE:
        return "credited"
    if base in (EntryKind.RECEIPT, EntryKind.PAYMENT):
        return "received"
    if base == EntryKind.MATCH:
        return "transfer" if amount else "match"
    return "adjusted"


def statement_figures(*, customer, period_from: date, period_to: date,
                      direction: str = Direction.RECEIVABLE) -> StatementFigures:
    """The statement of ``customer`` for ``period_from`` … ``period_to`` (both included), from the ledger."""
    if period_from > period_to:
        raise ValidationFailed(_("对账期间的起始日期不能晚于截止日期，请修改。"), extra={"field": "period_from"})
    if direction not in ACCOUNTS:
        raise ValidationFailed(_("对账方向只能是应收或应付。"), extra={"field": "direction"})
    control, unapplied = ACCOUNTS[direction]
    sign = SIGN[direction]
    account_ids = dict(Account.objects.filter(code__in=[control, unapplied]).values_list("code", "pk"))
    figures = StatementFigures(customer_id=customer.pk, customer_name=customer.name, customer_number=customer.number,
                               direction=direction, period_from=period_from, period_to=period_to)
    bill_ids = Bill.objects.filter(customer=customer, direction=direction).values("pk")
    receipt_ids = Receipt.objects.filter(customer=customer, direction=direction).values("pk")
    postings = Posting.objects.filter(
        Q(doc_kind="B", account_id=account_ids.get(control), doc_id__in=bill_ids)
        | Q(doc_kind="R", account_id=account_ids.get(unapplied), doc_id__in=receipt_ids))

    # the opening balance and each document's balance at the end, added up by the database
    opening = postings.filter(day__lt=period_from).aggregate(d=Sum("debit", default=ZERO), c=Sum("credit", default=ZERO))
    figures.opening = sign * (opening["d"] - opening["c"])
    by_document = {(row["doc_kind"], row["doc_id"]): sign * (row["d"] - row["c"]) for row in
                   postings.filter(day__lte=period_to).values("doc_kind", "doc_id")
                   .annotate(d=Sum("debit"), c=Sum("credit")).order_by()}

    # the period's postings, entry by entry
    period = list(postings.filter(day__gte=period_from, day__lte=period_to)
                  .values("entry_id", "day", "doc_kind", "doc_id", "debit", "credit").order_by("day", "entry_id", "id"))
    entry_ids = sorted({p["entry_id"] for p in period})
    entries = {e["pk"]: e for e in JournalEntry.objects.filter(pk__in=entry_ids).values(
        "pk", "number", "kind", "memo", "reverses__kind")}
    corrections = dict(Bill.objects.filter(entry_id__in=entry_ids).values_list("entry_id", "number"))
    bill_docs = {p["doc_id"] for p in period if p["doc_kind"] == "B"} | {d for k, d in by_document if k == "B"}
    receipt_docs = {p["doc_id"] for p in period if p["doc_kind"] == "R"} | {d for k, d in by_document if k == "R"}
    bills = {b["pk"]: b for b in Bill.objects.filter(pk__in=bill_docs).values(
        "pk", "number", "bill_date", "open_amount", "disputed", "due_last")}
    receipts = {r["pk"]: r for r in Receipt.objects.filter(pk__in=receipt_docs).values("pk", "number", "day", "amount")}

    grouped: dict[int, list[dict]] = defaultdict(list)
    for posting in period:
        grouped[posting["entry_id"]].append(posting)
    balance = figures.opening
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    payable = direction == Direction.PAYABLE
    for entry_id, lines in grouped.items():  # insertion order: by day, then entry
        entry = entries[entry_id]
        amount = sum((sign * (p["debit"] - p["credit"]) for p in lines), ZERO)
        category = _category(entry["kind"], entry["reverses__kind"], amount)
        bill_lines = [p for p in lines if p["doc_kind"] == "B"]
        receipt_lines = [p for p in lines if p["doc_kind"] == "R"]
        if category == "match":
            receipt_number = ", ".join(sorted({receipts[p["doc_id"]]["number"] for p in receipt_lines}))
            for p in bill_lines:
                figures.matches.append(MatchLine(day=p["day"], entry=entry["number"], receipt=receipt_number,
                                                 bill=bills[p["doc_id"]]["number"],
                                                 amount=-sign * (p["debit"] - p["credit"])))
            continue
        if not amount:
            continue
        totals[category] += amount
        balance += amount
        documents = sorted({bills[p["doc_id"]]["number"] for p in bill_lines}) + sorted(
            {receipts[p["doc_id"]]["number"] for p in receipt_lines})
        if entry_id in corrections and corrections[entry_id] not in documents:
            documents.insert(0, corrections[entry_id])
        reversal = entry["kind"] == EntryKind.REVERSAL
        label = movement_label(category, payable=payable, reversal=reversal)
        figures.movements.append(Movement(
            day=lines[0]["day"], entry=entry["number"], category=category, label=label, reversal=reversal,
            document=" / ".join(documents), memo=entry["memo"] or "", amount=amount, balance=balance,
            bill_ids=sorted({(p["doc_id"], bills[p["doc_id"]]["number"]) for p in bill_lines})))
    figures.billed = totals["billed"]
    figures.credited = -totals["credited"]
    figures.received = -totals["received"]
    figures.adjusted = totals["adjusted"] + totals["transfer"]
    figures.closing = balance

    _open_items(figures, by_document, bills, direction)
    for (kind, doc_id), value in sorted(by_document.items(), key=lambda item: item[0][1]):
        if kind == "R" and value:
            receipt = receipts[doc_id]
            figures.open_receipts.append(OpenReceipt(receipt_id=doc_id, number=receipt["number"], day=receipt["day"],
                                                     amount=receipt["amount"], unmatched=-value))
    figures.open_receipts.sort(key=lambda r: (r.day, r.number))
    figures.unmatched = sum((r.unmatched for r in figures.open_receipts), ZERO)
    return figures


def _open_items(figures: StatementFigures, by_document: dict, bills: dict, direction: str) -> None:
    """Each bill open at ``period_to`` split over its due dates, aged at ``period_to``."""
    open_bills = {doc_id: value for (kind, doc_id), value in by_document.items() if kind == "B" and value}
    figures.bills_open = sum(open_bills.values(), ZERO)
    if not open_bills:
        figures.aging = {key: ZERO for key in BUCKET_KEYS}
        return
    control = ACCOUNTS[direction][0]
    later = set(Posting.objects.filter(doc_kind="B", doc_id__in=list(open_bills), account__code=control,
                                       day__gt=figures.period_to).values_list("doc_id", flat=True).distinct())
    dues = defaultdict(list)
    for due in BillDue.objects.filter(bill_id__in=list(open_bills)).order_by("bill_id", "seq").values(
            "pk", "bill_id", "seq", "due_date", "amount", "open_amount"):
        dues[due["bill_id"]].append(due)
    moved_since = _applied_since(figures.period_to, [d["pk"] for b in later for d in dues.get(b, [])])
    aging = {key: ZERO for key in BUCKET_KEYS}
    for bill_id, open_amount in open_bills.items():
        bill = bills[bill_id]
        items = dues.get(bill_id) or [{"pk": None, "seq": 1, "due_date": bill["due_last"] or bill["bill_date"],
                                       "amount": open_amount, "open_amount": open_amount}]
        if bill_id not in later and sum((d["open_amount"] for d in items), ZERO) == open_amount:
            parts = [(due, due["open_amount"]) for due in items if due["open_amount"]]
        else:
            parts = _spread(items, open_amount, moved_since)
        several = len(items) > 1
        for due, amount in parts:
            days = (figures.period_to - due["due_date"]).days
            key = bucket_key(days)
            aging[key] += amount
            figures.open_items.append(OpenItem(
                bill_id=bill_id, bill=f"{bill['number']}-{due['seq']}" if several else bill["number"],
                bill_date=bill["bill_date"], due_date=due["due_date"], open=amount, days_overdue=max(days, 0),
                bucket=key, disputed=bill["disputed"], bill_number=bill["number"]))
    figures.open_items.sort(key=lambda item: (item.due_date, item.bill))
    figures.aging = aging


def _applied_since(day: date, due_ids: list[int]) -> dict[int, Decimal]:
    """For each open item: what matches changed on it after ``day`` (applied then, or undone then),
    so that its open amount at ``day`` is today's plus this."""
    moved: dict[int, Decimal] = defaultdict(lambda: ZERO)
    if not due_ids:
        return moved
    for a in Allocation.objects.filter(due_id__in=due_ids).filter(Q(day__gt=day) | Q(undo_entry__day__gt=day)).values(
            "due_id", "amount", "day", "undone", "undo_entry__day"):
        applied_now = not a["undone"]
        applied_then = a["day"] <= day and (not a["undone"] or (a["undo_entry__day"] or day) > day)
        moved[a["due_id"]] += a["amount"] * (int(applied_now) - int(applied_then))
    return moved


def _spread(items: list[dict], open_amount: Decimal, moved_since: dict) -> list[tuple[dict, Decimal]]:
    """A bill's open amount at a past day over its due dates: today's open items with the matches since
    put back; what is still unexplained (a credit note since) on the latest due dates first."""
    opens = [max(due["open_amount"] + moved_since.get(due["pk"], ZERO), ZERO) for due in items]
    rest = open_amount - sum(opens, ZERO)
    for index in reversed(range(len(items))):  # a later credit note took from the latest items
        if rest <= 0:
            break
        take = min(rest, max(items[index]["amount"] - opens[index], ZERO)) if index else rest
        opens[index] += take
        rest -= take
    if rest != 0 or any(amount < 0 for amount in opens):  # not explainable: the open part on the latest items
        opens, remaining = [ZERO] * len(items), open_amount
        for index in reversed(range(len(items))):
            take = min(remaining, items[index]["amount"]) if index else remaining
            opens[index], remaining = take, remaining - take
    return [(due, amount) for due, amount in zip(items, opens, strict=True) if amount]


def figures_of(statement: AccountStatement) -> StatementFigures:
    """The frozen figures of an issued statement."""
    return StatementFigures.from_snapshot(statement.snapshot)


# --- reads -------------------------------------------------------------------------------------------


def statements_list(user, *, customer_id: int | None = None, status: str | None = None, direction: str | None = None):
    statements = scope_queryset(user, AccountStatement.objects.select_related("customer", "issued_by"))
    if customer_id:
        statements = statements.filter(customer_id=customer_id)
    if status:
        statements = statements.filter(status=status)
    if direction:
        statements = statements.filter(direction=direction)
    return statements.order_by("-issued_at", "-id")


def statement_get(user, pk: int) -> AccountStatement:
    statement = scope_queryset(user, AccountStatement.objects.select_related("customer", "issued_by", "reply_by",
                                                                            "branch")).filter(pk=pk).first()
    if statement is None:
        raise Http404
    return statement


# --- writes ------------------------------------------------------------------------------------------


def _check_customer(customer, user) -> None:
    if user is not None and not can_see_branch(user, customer.branch_id):
        raise PermissionDenied(_("您无权为此客户出具对账单（客户不在您的网点范围内）。"), extra={"field": "customer"})


@transaction.atomic
def statement_issue(*, customer, period_from: date, period_to: date, direction: str = Direction.RECEIVABLE,
                    user) -> AccountStatement:
    """Issue (出具) a statement: the figures worked out now and frozen in the statement."""
    _check_customer(customer, user)
    today = clock.today()
    problems = {}
    if period_to and period_to > today:
        problems["period_to"] = _("截止日期不能晚于营业日 %(day)s。") % {"day": today.isoformat()}
    if period_from and period_to and period_from > period_to:
        problems["period_from"] = _("起始日期不能晚于截止日期。")
    if problems:
        field_name = next(iter(problems))
        raise ValidationFailed(" ".join(str(p) for p in problems.values()), extra={
            "field": field_name, "details": [{"field": k, "message": str(v)} for k, v in problems.items()]})
    figures = statement_figures(customer=customer, period_from=period_from, period_to=period_to, direction=direction)
    statement = AccountStatement.objects.create(
        number=next_number(prefix=numbers.ACCOUNT_STATEMENT, day=today), customer=customer, branch=customer.branch,
        direction=direction, period_from=period_from, period_to=period_to, opening=figures.opening,
        billed=figures.billed, received=figures.received, credited=figures.credited, closing=figures.closing,
        snapshot={**figures.to_snapshot(), "issued_on": today.isoformat()}, issued_by=user if getattr(user, "is_authenticated", False) else None)
    audit.record(AuditAction.CREATE, obj=statement, verb="出具对账单", changes={
        "number": [None, statement.number], "customer": [None, customer.name],
        "period": [None, f"{period_from.isoformat()} — {period_to.isoformat()}"],
        "closing": [None, f"{figures.closing:.2f}"]})
    return statement


MARKABLE = {ConfirmationStatus.SENT: (ConfirmationStatus.ISSUED,),
            ConfirmationStatus.NO_REPLY: (ConfirmationStatus.ISSUED, ConfirmationStatus.SENT)}


@transaction.atomic
def statement_mark(*, statement: AccountStatement, status: str, user) -> AccountStatement:
    """The 询证函 was sent (已发询证函), or the customer did not answer (未回函)."""
    statement = AccountStatement.objects.select_for_update(of=("self",)).get(pk=statement.pk)
    if status not in MARKABLE:
        raise ValidationFailed(_("只能标记为已发询证函或未回函。"), extra={"field": "status"})
    if statement.status not in MARKABLE[status]:
        raise InvalidState(_("对账单 %(number)s 当前为“%(status)s”，不能标记为“%(new)s”。") % {
            "number": statement.number, "status": statement.get_status_display(),
            "new": ConfirmationStatus(status).label})
    before = statement.status
    statement.status = status
    statement.save(update_fields=["status"])
    audit.record(AuditAction.UPDATE, obj=statement, verb="询证函状态", changes={"status": [before, status]})
    return statement


@dataclass(frozen=True)
class DisputeItem:
    bill: Bill | None
    amount: Decimal
    reason: str


@transaction.atomic
def statement_reply(*, statement: AccountStatement, agreed: bool, disputes: list, note: str = "",
                    day: date | None = None, user) -> AccountStatement:
    """Record the customer's answer to the 询证函: agreed (信息证明无误), or disputed with the items
    (信息不符: each a bill of the statement, the amount in dispute and why). Disputed bills are
    flagged (``Bill.disputed``, ``dispute_note``) and get an event."""
    statement = AccountStatement.objects.select_for_update(of=("self",)).get(pk=statement.pk)
    _check_customer(statement.customer, user)
    if statement.status in (ConfirmationStatus.AGREED, ConfirmationStatus.DISPUTED):
        raise InvalidState(_("对账单 %(number)s 已登记过回函（%(status)s），不能重复登记。") % {
            "number": statement.number, "status": statement.get_status_display()})
    day = day or clock.today()
    items = [d if isinstance(d, DisputeItem) else DisputeItem(*d) for d in disputes]
    note = (note or "").strip()
    problems: dict[str, str] = {}
    if day > clock.today():
        problems["day"] = _("回函日期不能晚于营业日。")
    if day < statement.period_to:
        problems["day"] = _("回函日期不能早于对账截止日 %(day)s。") % {"day": statement.period_to.isoformat()}
    if agreed and items:
        problems["agreed"] = _("客户确认无误时不能同时登记不符项目；有不符项目请选择“信息不符”。")
    if not agreed and not items:
        problems["disputes"] = _("客户回复信息不符时，请列明至少一项不符的单据、金额和原因。")
    if len(note) > 300:
        problems["note"] = _("回函说明最多 300 个字。")
    on_statement = {bill_id for bill_id, _number in figures_of(statement).bills}
    details = {}
    for index, item in enumerate(items, start=1):
        wrong = []
        if item.bill is not None and (item.bill.pk not in on_statement or item.bill.customer_id != statement.customer_id):
            wrong.append(_("单据 %(number)s 不在这张对账单上。") % {"number": item.bill.number})
        if item.amount is None or item.amount <= 0:
            wrong.append(_("争议金额须大于 0。"))
        if not (item.reason or "").strip():
            wrong.append(_("请填写不符原因。"))
        elif len(item.reason.strip()) > 200:
            wrong.append(_("不符原因最多 200 个字。"))
        if wrong:
            details[f"disputes.{index}"] = _("第 %(n)d 项：") % {"n": index} + "".join(str(w) for w in wrong)
    problems.update(details)
    if problems:
        field_name = next(iter(problems))
        raise ValidationFailed(" ".join(str(p) for p in problems.values()), extra={
            "field": field_name.split(".")[0],
            "details": [{"field": k, "message": str(v)} for k, v in problems.items()]})
    for item in items:
        reason = item.reason.strip()
        StatementDispute.objects.create(statement=statement, bill=item.bill, amount=item.amount, reason=reason)
        if item.bill is not None:
            Bill.objects.filter(pk=item.bill.pk).update(disputed=True, dispute_note=reason[:200])
            bill_event(item.bill, BillEventKind.DISPUTED, _("对账单 %(number)s 回函不符：¥%(amount)s，%(reason)s") % {
                "number": statement.number, "amount": f"{item.amount:,.2f}", "reason": reason}, by=user)
    before = statement.status
    statement.status = ConfirmationStatus.AGREED if agreed else ConfirmationStatus.DISPUTED
    statement.reply_on, statement.reply_note = day, note
    statement.reply_by = user if getattr(user, "is_authenticated", False) else None
    statement.save(update_fields=["status", "reply_on", "reply_note", "reply_by"])
    audit.record(AuditAction.UPDATE, obj=statement, verb="登记回函", changes={
        "status": [before, statement.status], "reply_on": [None, day.isoformat()],
        **({"disputes": [None, [f"{i.bill.number if i.bill else '—'} {i.amount:.2f} {i.reason}" for i in items]]}
           if items else {})}, reason=note)
    return statement


@transaction.atomic
def dispute_resolve(*, dispute: StatementDispute, resolution: str, user) -> StatementDispute:
    """Close one disputed item with what was done (更正、红冲、客户撤回…); the bill's flag is cleared
    when no open dispute remains on it."""
    dispute = StatementDispute.objects.select_for_update(of=("self",)).select_related("statement", "bill").get(
        pk=dispute.pk)
    _check_customer(dispute.statement.customer, user)
    resolution = (resolution or "").strip()
    if dispute.resolved:
        raise InvalidState(_("这项争议已处理。"))
    if not resolution:
        raise ValidationFailed(_("请填写处理结果（例如：已开红字冲减单、客户撤回异议）。"), extra={"field": "resolution"})
    if len(resolution) > 200:
        raise ValidationFailed(_("处理结果最多 200 个字。"), extra={"field": "resolution"})
    dispute.resolved, dispute.resolution = True, resolution
    dispute.save(update_fields=["resolved", "resolution"])
    bill = dispute.bill
    if bill is not None:
        remaining = StatementDispute.objects.filter(bill=bill, resolved=False).order_by("-id").first()
        if remaining is None:
            Bill.objects.filter(pk=bill.pk).update(disputed=False, dispute_note="")
        else:
            Bill.objects.filter(pk=bill.pk).update(dispute_note=remaining.reason[:200])
        bill_event(bill, BillEventKind.RESOLVED, _("对账争议已处理：%(text)s") % {"text": resolution}, by=user)
    audit.record(AuditAction.UPDATE, obj=dispute.statement, verb="处理对账争议", changes={
        "dispute": [dispute.reason, resolution]})
    return dispute


# --- documents ---------------------------------------------------------------------------------------


def statement_pdf(statement: AccountStatement, *, printed_by: str = "") -> bytes:
    return statement_document(statement, figures_of(statement), printed_by=printed_by)


def confirmation_pdf(statement: AccountStatement, *, printed_by: str = "") -> bytes:
    return confirmation_document(statement, figures_of(statement), printed_by=printed_by)


def statement_xlsx(statement: AccountStatement) -> bytes:
    return statement_workbook(statement, figures_of(statement))


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCUMENT_KINDS = ("pdf", "xlsx", "confirmation")


def statement_download(*, statement: AccountStatement, kind: str, user) -> tuple[bytes, str, str]:
    """One of the statement's documents (对账单 PDF, 对账单 .xlsx, 询证函 PDF), recorded in the audit
    trail: (content, file name, content type)."""
    if kind not in DOCUMENT_KINDS:
        raise ValidationFailed(_("文件类型只能是 pdf、xlsx 或 confirmation。"), extra={"field": "kind"})
    printed_by = (user.get_full_name() or user.username) if getattr(user, "is_authenticated", False) else ""
    if kind == "pdf":
        content, name, mime, verb = statement_pdf(statement, printed_by=printed_by), _("对账单"), "application/pdf", "下载对账单"
    elif kind == "xlsx":
        content, name, mime, verb = statement_xlsx(statement), _("对账单"), XLSX_TYPE, "导出对账单"
    else:
        content, name, mime, verb = (confirmation_pdf(statement, printed_by=printed_by), _("询证函"), "application/pdf",
                                     "下载询证函")
    extension = "xlsx" if kind == "xlsx" else "pdf"
    audit.record(AuditAction.DOWNLOAD, obj=statement, verb=verb, changes={"file": [None, f"{name}.{extension}"]})
    return content, f"{name}-{statement.number}-{statement.customer.name}.{extension}", mime
