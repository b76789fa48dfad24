"""Helper B's test book: open items made directly (a bill, its due items and its ledger entry, as
``bills.bill_post`` leaves them), so the matching tests do not depend on the bill services' rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from ioudesk.core.numbering import next_number
from ioudesk.customers.models import Customer
from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.models import EntryKind
from ioudesk.ledger.services import Line, post_entry
from ioudesk.receivables.models import Bill, BillDue, BillKind, BillStatus, Direction


def company(name: str, branch, user) -> Customer:
    """An enterprise customer, through the customers service (``user``: one who may create customers)."""
    from ioudesk.customers.services import customer_create

    return customer_create(customer=Customer(kind="company", branch=branch, name=name), user=user)


def open_bill(customer: Customer, dues: list[tuple[date, str]], *, direction: str = Direction.RECEIVABLE,
              bill_date: date | None = None) -> Bill:
    """A posted bill whose open items are ``dues`` [(due date, amount)]; total = their sum (no tax)."""
    bill_date = bill_date or dues[0][0]
    total = sum((D(a) for _d, a in dues), D("0"))
    prefix = "YS" if direction == Direction.RECEIVABLE else "YF"
    bill = Bill.objects.create(
        number=next_number(prefix=prefix, day=bill_date), direction=direction,
        kind=BillKind.SALES if direction == Direction.RECEIVABLE else BillKind.PURCHASE, status=BillStatus.OPEN,
        customer=customer, branch=customer.branch, bill_date=bill_date, net_amount=total, total=total,
        open_amount=total, due_first=dues[0][0], due_last=dues[-1][0])
    BillDue.objects.bulk_create([
        BillDue(bill=bill, seq=seq, customer=customer, direction=direction, branch=customer.branch, due_date=day,
                amount=D(amount), open_amount=D(amount))
        for seq, (day, amount) in enumerate(dues, start=1)
    ])
    if direction == Direction.RECEIVABLE:
        lines = [Line(AccountCode.RECEIVABLES, debit=total, doc_kind="B", doc_id=bill.pk),
                 Line(AccountCode.SALES_INCOME, credit=total)]
    else:
        lines = [Line(AccountCode.INVENTORY, debit=total),
                 Line(AccountCode.PAYABLES, credit=total, doc_kind="B", doc_id=bill.pk)]
    entry = post_entry(kind=EntryKind.BILL, lines=lines, memo=bill.number, day=bill_date)
    Bill.objects.filter(pk=bill.pk).update(entry=entry)
    bill.refresh_from_db()
    return bill


def doc_balance(doc_kind: str, doc_id: int, account: str) -> D:
    """Dr − Cr of a document's postings on one account."""
    from django.db.models import Sum

    from ioudesk.ledger.models import Posting

    sums = Posting.objects.filter(doc_kind=doc_kind, doc_id=doc_id, account__code=account).aggregate(
        d=Sum("debit"), c=Sum("credit"))
    return D(sums["d"] or 0) - D(sums["c"] or 0)
