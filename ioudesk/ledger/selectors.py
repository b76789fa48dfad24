"""Reading the ledger: balances, the trial balance (试算平衡表), an account's ledger (明细账) and the
per-IOU balances the IOU's denormalised columns are proven against.

Sums are added by the database in integer fen (the MoneyField column) and turned into ``Decimal``
yuan here. The ledger belongs to the organisation as a whole, not to a branch: access is by the
``ledger.view_account`` permission (财务, 审计, 系统管理员), so there is no branch scope here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import BigIntegerField, Q, Sum

from ioudesk.calc.money import ZERO, from_fen
from ioudesk.ledger.chart import ACCOUNT_COMPONENTS, FUNDING_ROOTS, IOU_COMPONENTS
from ioudesk.ledger.models import MEMO_TYPES, Account, EntryKind, JournalEntry, NormalSide, Posting


def _sum(column: str, **extra) -> Sum:
    """SUM of a MoneyField column in integer fen (PostgreSQL returns numeric: callers int() it)."""
    return Sum(column, output_field=BigIntegerField(), **extra)


def _sides(queryset) -> tuple[int, int]:
    totals = queryset.aggregate(d=_sum("debit", default=0), c=_sum("credit", default=0))
    return int(totals["d"]), int(totals["c"])

IN_CHUNK = 5_000  # ids per IN (…) list: well under every database's bound-parameter limit


# --- the chart --------------------------------------------------------------------------------


def accounts_all() -> list[Account]:
    return list(Account.objects.select_related("parent").order_by("code"))


def account_get(*, pk: int | None = None, code: str | None = None) -> Account | None:
    lookup = {"pk": pk} if pk is not None else {"code": code}
    return Account.objects.select_related("parent").filter(**lookup).first()


def _descendants(accounts: list[Account]) -> dict[int, list[int]]:
    """Each account's id → its own id and every sub-account's id, at any depth."""
    children = defaultdict(list)
    for account in accounts:
        if account.parent_id is not None:
            children[account.parent_id].append(account.pk)
    result = {}
    for account in accounts:
        ids, stack = [], [account.pk]
        while stack:
            current = stack.pop()
            ids.append(current)
            stack.extend(children.get(current, ()))
        result[account.pk] = ids
    return result


def _depth(account: Account, by_id: dict[int, Account]) -> int:
    depth, current = 0, account
    while current.parent_id is not None and current.parent_id in by_id:
        depth, current = depth + 1, by_id[current.parent_id]
    return depth


def funding_accounts() -> list[Account]:
    """The accounts money can be paid out of or into (库存现金, bank sub-accounts): active leaves
    under 1001 and 1002."""
    accounts = accounts_all()
    descendants = _descendants(accounts)
    roots = {a.pk for a in accounts if a.code in FUNDING_ROOTS}
    under = {pk for root in roots for pk in descendants[root]}
    has_children = {a.parent_id for a in accounts if a.parent_id is not None}
    return [a for a in accounts if a.pk in under and a.pk not in has_children and a.is_active]


# --- balances ---------------------------------------------------------------------------------


def _signed(account: Account | dict, debit_fen: int, credit_fen: int) -> int:
    side = account["normal_side"] if isinstance(account, dict) else account.normal_side
    return debit_fen - credit_fen if side == NormalSide.DEBIT else credit_fen - debit_fen


def account_balance(account: Account | str, *, day: date | None = None) -> Decimal:
    """The balance on the account's normal side (sub-accounts included) at the end of ``day``
    (all postings when ``day`` is None). A negative balance is on the other side."""
    if not isinstance(account, Account):
        account = Account.objects.get(code=account)
    ids = _descendants(accounts_all())[account.pk]
    postings = Posting.objects.filter(account_id__in=ids)
    if day is not None:
        postings = postings.filter(day__lte=day)
    return from_fen(_signed(account, *_sides(postings)))


def _totals_by_account(day: date | None) -> dict[int, tuple[int, int]]:
    postings = Posting.objects.all()
    if day is not None:
        postings = postings.filter(day__lte=day)
    rows = postings.values_list("account_id").annotate(
        d=_sum("debit"), c=_sum("credit")
    ).order_by()
    return {account_id: (int(d or 0), int(c or 0)) for account_id, d, c in rows}


@dataclass(frozen=True)
class TrialBalanceRow:
    account: Account
    depth: int
    is_summary: bool  # has sub-accounts: shown rolled up, left out of the totals
    debit: Decimal  # total debits posted up to the date
    credit: Decimal  # total credits posted up to the date
    balance: Decimal  # on the account's normal side (negative: the other side)
    debit_balance: Decimal  # the closing balance split by side, as on a 试算平衡表
    credit_balance: Decimal


@dataclass(frozen=True)
class TrialBalanceSection:
    rows: list[TrialBalanceRow]
    debit_total: Decimal
    credit_total: Decimal
    debit_balance_total: Decimal
    credit_balance_total: Decimal

    @property
    def balanced(self) -> bool:
        return self.debit_total == self.credit_total and self.debit_balance_total == self.credit_balance_total

    @property
    def difference(self) -> Decimal:
        return self.debit_total - self.credit_total


@dataclass(frozen=True)
class TrialBalance:
    day: date | None
    on_balance: TrialBalanceSection  # 表内科目
    memo: TrialBalanceSection  # 表外科目, shown separately
    entries: int = 0
    postings: int = 0

    @property
    def balanced(self) -> bool:
        return self.on_balance.balanced and self.memo.balanced


def trial_balance(*, day: date | None = None, include_empty: bool = True) -> TrialBalance:
    """Every account's debit and credit totals and closing balance at the end of ``day``; summary
    accounts show their sub-accounts rolled up. Totals are over leaf accounts only: debits must
    equal credits, on the balance sheet and off it."""
    accounts = accounts_all()
    by_id = {a.pk: a for a in accounts}
    descendants = _descendants(accounts)
    totals = _totals_by_account(day)
    has_children = {a.parent_id for a in accounts if a.parent_id is not None}
    sections: dict[bool, list[TrialBalanceRow]] = {False: [], True: []}
    sums = {False: [0, 0, 0, 0], True: [0, 0, 0, 0]}
    for account in accounts:
        is_summary = account.pk in has_children
        debit = sum(totals.get(pk, (0, 0))[0] for pk in descendants[account.pk])
        credit = sum(totals.get(pk, (0, 0))[1] for pk in descendants[account.pk])
        signed = _signed(account, debit, credit)
        net = debit - credit
        debit_balance, credit_balance = (net, 0) if net > 0 else (0, -net)
        memo = account.type in MEMO_TYPES
        if not include_empty and not debit and not credit:
            continue
        sections[memo].append(TrialBalanceRow(
            account=account, depth=_depth(account, by_id), is_summary=is_summary, debit=from_fen(debit),
            credit=from_fen(credit), balance=from_fen(signed), debit_balance=from_fen(debit_balance),
            credit_balance=from_fen(credit_balance),
        ))
        if not is_summary:
            for index, value in enumerate((debit, credit, debit_balance, credit_balance)):
                sums[memo][index] += value
    # Postings on accounts missing from the chart cannot happen (PROTECT), but would show here.
    counts = Posting.objects.filter(day__lte=day) if day else Posting.objects.all()
    entries = JournalEntry.objects.filter(day__lte=day) if day else JournalEntry.objects.all()

    def section(memo: bool) -> TrialBalanceSection:
        d, c, db, cb = (from_fen(v) for v in sums[memo])
        return TrialBalanceSection(rows=sections[memo], debit_total=d, credit_total=c, debit_balance_total=db,
                                   credit_balance_total=cb)

    return TrialBalance(day=day, on_balance=section(False), memo=section(True), entries=entries.count(),
                        postings=counts.count())


# --- an account's ledger ----------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerRow:
    posting_id: int
    day: date
    entry_id: int
    number: str
    kind: str
    kind_label: str
    memo: str
    account_code: str
    iou_id: int | None
    component: str
    debit: Decimal
    credit: Decimal
    balance: Decimal  # running, on the account's normal side


@dataclass(frozen=True)
class AccountLedger:
    account: Account
    start: date | None
    end: date | None
    opening: Decimal  # balance before ``start``
    closing: Decimal  # balance at the end of ``end``
    debit_total: Decimal  # within the range
    credit_total: Decimal
    rows: list[LedgerRow]
    page: Page


def account_ledger(
    *, account: Account, start: date | None = None, end: date | None = None, page: int | str = 1, per_page: int = 50
) -> AccountLedger:
    """The postings of ``account`` (and its sub-accounts) between ``start`` and ``end`` inclusive,
    oldest first, one page at a time, each with the running balance after it."""
    ids = _descendants(accounts_all())[account.pk]
    own = Posting.objects.filter(account_id__in=ids)
    in_range = own
    if start is not None:
        in_range = in_range.filter(day__gte=start)
    if end is not None:
        in_range = in_range.filter(day__lte=end)
    ordered = in_range.select_related("entry", "account").order_by("day", "id")
    paginator = Paginator(ordered, per_page)
    current = paginator.get_page(page)

    def balance_of(queryset) -> int:
        return _signed(account, *_sides(queryset))

    opening = balance_of(own.filter(day__lt=start)) if start is not None else 0
    range_debit, range_credit = _sides(in_range)
    closing = opening + _signed(account, range_debit, range_credit)
    postings = list(current.object_list)
    running = 0
    if postings:
        first = postings[0]
        # Everything before the first row of this page, in (day, id) order, whatever the range.
        running = balance_of(own.filter(Q(day__lt=first.day) | Q(day=first.day, id__lt=first.id)))
    kinds = dict(EntryKind.choices)
    rows = []
    for posting in postings:
        running += _signed(account, int(posting.debit * 100), int(posting.credit * 100))
        rows.append(LedgerRow(
            posting_id=posting.pk, day=posting.day, entry_id=posting.entry_id, number=posting.entry.number,
            kind=posting.entry.kind, kind_label=str(kinds.get(posting.entry.kind, posting.entry.kind)),
            memo=posting.entry.memo, account_code=posting.account.code, iou_id=posting.iou_id,
            component=posting.component, debit=posting.debit, credit=posting.credit, balance=from_fen(running),
        ))
    return AccountLedger(
        account=account, start=start, end=end, opening=from_fen(opening), closing=from_fen(closing),
        debit_total=from_fen(range_debit), credit_total=from_fen(range_credit), rows=rows, page=current,
    )


# --- entries ----------------------------------------------------------------------------------


def entry_get(*, pk: int | None = None, number: str | None = None) -> JournalEntry | None:
    lookup = {"pk": pk} if pk is not None else {"number": number}
    return JournalEntry.objects.select_related("reverses", "created_by").filter(**lookup).first()


def entries_for_iou(iou_id: int):
    """The IOU's entries with their postings, oldest first (for the IOU page)."""
    return (
        JournalEntry.objects.filter(iou_id=iou_id)
        .prefetch_related("postings__account")
        .select_related("reverses")
        .order_by("day", "id")
    )


# --- per-IOU balances -------------------------------------------------------------------------


def _component_accounts() -> dict[int, tuple[str, str]]:
    """account id → (component, normal side) for every account at or under an IOU balance account."""
    accounts = accounts_all()
    descendants = _descendants(accounts)
    result = {}
    for account in accounts:
        component = ACCOUNT_COMPONENTS.get(account.code)
        if component:
            for pk in descendants[account.pk]:
                result[pk] = (component, account.normal_side)
    return result


def _empty() -> dict[str, Decimal]:
    return dict.fromkeys(IOU_COMPONENTS, ZERO)


def iou_component_balances(iou_id: int, *, day: date | None = None) -> dict[str, Decimal]:
    """The IOU's balances by component as its postings say: principal = Dr − Cr on 1301, interest
    on 1302, penalty on 1303, fee on 1304, overpayment = Cr − Dr on 2241, written_off_principal
    and written_off_interest on the memo accounts 9001/9002. Every component is present (0.00 when
    nothing was posted)."""
    return iou_balances_bulk([iou_id], day=day).get(iou_id, _empty())


def iou_balances_bulk(
    iou_ids: Iterable[int] | None = None, *, day: date | None = None
) -> dict[int, dict[str, Decimal]]:
    """``{iou_id: {component: balance}}`` from one GROUP BY (iou_id, account) query (per chunk of
    ids; ``iou_ids=None`` means every IOU with postings). IOUs asked for but without postings get
    all-zero balances."""
    components = _component_accounts()
    account_ids = list(components)
    fen: dict[int, dict[str, int]] = {}

    def run(queryset):
        if day is not None:
            queryset = queryset.filter(day__lte=day)
        rows = (
            queryset.filter(account_id__in=account_ids)
            .values_list("iou_id", "account_id")
            .annotate(d=_sum("debit"), c=_sum("credit"))
            .order_by()
        )
        for iou_id, account_id, debit, credit in rows.iterator(chunk_size=10_000):
            component, side = components[account_id]
            debit, credit = int(debit or 0), int(credit or 0)
            amount = debit - credit if side == NormalSide.DEBIT else credit - debit
            balances = fen.setdefault(iou_id, dict.fromkeys(IOU_COMPONENTS, 0))
            balances[component] += amount

    base = Posting.objects.filter(iou_id__isnull=False)
    if iou_ids is None:
        run(base)
    else:
        wanted = list(dict.fromkeys(iou_ids))
        for offset in range(0, len(wanted), IN_CHUNK):
            run(base.filter(iou_id__in=wanted[offset:offset + IN_CHUNK]))
        for iou_id in wanted:
            fen.setdefault(iou_id, dict.fromkeys(IOU_COMPONENTS, 0))
    return {iou_id: {k: from_fen(v) for k, v in balances.items()} for iou_id, balances in fen.items()}


def ledger_counts() -> dict[str, int]:
    return {"entries": JournalEntry.objects.count(), "postings": Posting.objects.count(),
            "accounts": Account.objects.count(), "reversals": JournalEntry.objects.filter(
                reverses__isnull=False).count()}


__all__ = [
    "AccountLedger", "LedgerRow", "TrialBalance", "TrialBalanceRow", "TrialBalanceSection", "account_balance",
    "account_get", "account_ledger", "accounts_all", "entries_for_iou", "entry_get", "funding_accounts",
    "iou_balances_bulk", "iou_component_balances", "ledger_counts", "trial_balance",
]
