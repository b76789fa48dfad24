"""Helper E's book for tests: receivable and payable bills with their open items, and matches (核销)
to them, written with the models and ``openitems.due_apply`` (no ledger entries: the collection
cases and the dunning read open items and allocations only), so that each test states its figures."""

from __future__ import annotations

import datetime as dt
from datetime import date
from decimal import Decimal

from ioudesk.core.numbering import next_number
from ioudesk.receivables.models import (
    Allocation,
    Bill,
    BillDue,
    BillKind,
    BillStatus,
    Direction,
    MatchMethod,
    Nature,
    Receipt,
    ReceiptStatus,
)

D = Decimal


def bill(customer, day: date, dues: list[tuple[date, str]], *, nature=Nature.GOODS, direction=Direction.RECEIVABLE,
         manager=None, kind=None) -> Bill:
    total = sum((D(amount) for _d, amount in dues), D("0.00"))
    prefix = "YS" if direction == Direction.RECEIVABLE else "YF"
    kind = kind or (BillKind.PURCHASE if direction == Direction.PAYABLE else
                    BillKind.SERVICE if nature == Nature.SERVICES else BillKind.SALES)
    b = Bill.objects.create(number=next_number(prefix=prefix, day=day), direction=direction, kind=kind,
                            status=BillStatus.OPEN, customer=customer, branch=customer.branch, nature=nature,
                            bill_date=day, net_amount=total, tax_amount=0, total=total, open_amount=total,
                            manager=manager, due_first=dues[0][0], due_last=dues[-1][0])
    for seq, (due_date, amount) in enumerate(dues, start=1):
        BillDue.objects.create(bill=b, seq=seq, customer=customer, direction=direction, branch=customer.branch,
                               due_date=due_date, amount=D(amount), open_amount=D(amount))
    return b


ZERO = D("0.00")


def due_apply(item: BillDue, *, paid=ZERO, credited=ZERO, day: date) -> None:
    """An open item and its bill changed by a match or credit (negative: undone), the values worked out
    here (what ``openitems.due_apply`` does, for this book without the ledger)."""
    item = BillDue.objects.get(pk=item.pk)
    b = Bill.objects.get(pk=item.bill_id)
    change = D(paid) + D(credited)
    item.paid += D(paid)
    item.credited += D(credited)
    item.open_amount -= change
    item.status = "paid" if item.open_amount == 0 else "open"
    item.paid_on = day if item.open_amount == 0 else None
    item.days_past_due = 0 if item.open_amount == 0 else item.days_past_due
    item.save()
    b.paid += D(paid)
    b.credited += D(credited)
    b.open_amount -= change
    b.status = BillStatus.PAID if b.open_amount == 0 else BillStatus.OPEN
    b.save()


def due(b: Bill, seq: int = 1) -> BillDue:
    return BillDue.objects.get(bill=b, seq=seq)


def pay(b: Bill, amount: str, day: date, *, seq: int = 1) -> Allocation:
    """A receipt of ``amount`` on ``day`` matched to the bill's open item ``seq``."""
    item = due(b, seq)
    receipt = Receipt.objects.create(number=next_number(prefix="SK", day=day), direction=b.direction,
                                     account_code="100201", day=day, amount=D(amount), matched=D(amount), unmatched=0,
                                     customer=b.customer, branch=b.branch, status=ReceiptStatus.MATCHED)
    allocation = Allocation.objects.create(receipt=receipt, due=item, amount=D(amount), method=MatchMethod.MANUAL,
                                           day=day)
    due_apply(item, paid=D(amount), day=day)
    return allocation


def undo(allocation: Allocation, day: date) -> None:
    due_apply(allocation.due, paid=-allocation.amount, day=day)
    Allocation.objects.filter(pk=allocation.pk).update(undone=True, undo_reason="测试撤销")


def credit(b: Bill, amount: str, day: date, *, seq: int = 1) -> None:
    due_apply(due(b, seq), credited=D(amount), day=day)


def days(first: date, last: date):
    current = first
    while current <= last:
        yield current
        current += dt.timedelta(days=1)
