"""Helper D's book for tests: bills, credit notes, receipts and matches written as the contract's
ledger entries (ledger.post_entry with doc_kind/doc_id) and the models, without A's and B's services,
so that the statement and the analysis are tested against postings whose figures the test states."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ioudesk.calc.uscc import check_character
from ioudesk.core.numbering import next_number
from ioudesk.customers.models import Customer, CustomerKind
from ioudesk.customers.services import customer_create
from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.models import EntryKind
from ioudesk.ledger.services import Line, post_entry
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
from ioudesk.receivables.openitems import due_apply

D = Decimal


def company(name: str, first17: str, *, branch, user, category: str = "normal") -> Customer:
    return customer_create(customer=Customer(kind=CustomerKind.COMPANY, name=name, category=category,
                                             credit_code=first17 + check_character(first17),
                                             phone="021" + "".join(c for c in first17 if c.isdigit())[-8:],
                                             branch=branch), user=user)


def bill(customer, day: date, net: str, tax: str, dues: list[tuple[date, str]], *, kind=BillKind.SALES,
         nature=Nature.GOODS, direction=Direction.RECEIVABLE, user=None) -> Bill:
    net, tax = D(net), D(tax)
    total = net + tax
    prefix = "YS" if direction == Direction.RECEIVABLE else "YF"
    b = Bill.objects.create(number=next_number(prefix=prefix, day=day), direction=direction, kind=kind,
                            status=BillStatus.OPEN, customer=customer, branch=customer.branch, nature=nature,
                            bill_date=day, net_amount=net, tax_amount=tax, total=total, open_amount=total,
                            due_first=dues[0][0], due_last=dues[-1][0])
    for seq, (due_date, amount) in enumerate(dues, start=1):
        BillDue.objects.create(bill=b, seq=seq, customer=customer, direction=direction, branch=customer.branch,
                               due_date=due_date, amount=D(amount), open_amount=D(amount))
    if direction == Direction.RECEIVABLE:
        lines = [Line(AccountCode.RECEIVABLES, debit=total, doc_kind="B", doc_id=b.pk),
                 Line(AccountCode.SALES_INCOME, credit=net)]
        if tax:
            lines.append(Line(AccountCode.OUTPUT_VAT, credit=tax))
    else:
        lines = [Line(AccountCode.INVENTORY, debit=net)]
        if tax:
            lines.append(Line(AccountCode.INPUT_VAT, debit=tax))
        lines.append(Line(AccountCode.PAYABLES, credit=total, doc_kind="B", doc_id=b.pk))
    entry = post_entry(kind=EntryKind.BILL, lines=lines, memo=f"{b.number} 挂账", day=day, user=user)
    Bill.objects.filter(pk=b.pk).update(entry=entry)
    b.refresh_from_db()
    return b


def credit_note(original: Bill, day: date, net: str, tax: str, *, user=None) -> Bill:
    """A 红字 against ``original``: the 1122 line names the original bill; the latest open items first."""
    net, tax = D(net), D(tax)
    total = net + tax
    note = Bill.objects.create(number=next_number(prefix="HZ", day=day), direction=original.direction,
                               kind=BillKind.CREDIT_NOTE, status=BillStatus.PAID, customer=original.customer,
                               branch=original.branch, nature=original.nature, bill_date=day, net_amount=-net,
                               tax_amount=-tax, total=total, original=original)
    lines = [Line(AccountCode.SALES_INCOME, debit=net)]
    if tax:
        lines.append(Line(AccountCode.OUTPUT_VAT, debit=tax))
    lines.append(Line(AccountCode.RECEIVABLES, credit=total, doc_kind="B", doc_id=original.pk))
    entry = post_entry(kind=EntryKind.CREDIT_NOTE, lines=lines,
        memo=f"{note.number} 红字冲减 {original.number}", day=day, user=user)
    Bill.objects.filter(pk=note.pk).update(entry=entry)
    remaining = total
    for due in original.dues.order_by("-seq"):
        take = min(remaining, due.open_amount)
        if take:
            due_apply(due, credited=take, day=day)
            remaining -= take
    note.refresh_from_db()
    return note


def receipt(customer, day: date, amount: str, *, user=None, direction=Direction.RECEIVABLE) -> Receipt:
    amount = D(amount)
    r = Receipt.objects.create(number=next_number(prefix="SK", day=day), direction=direction, day=day, amount=amount,
                               unmatched=amount, account_code=AccountCode.BANK_BASIC, customer=customer,
                               branch=customer.branch, payer_name=customer.name)
    entry = post_entry(kind=EntryKind.RECEIPT, lines=[
        Line(AccountCode.BANK_BASIC, debit=amount), Line(AccountCode.ADVANCE_RECEIPTS, credit=amount, doc_kind="R",
                                                         doc_id=r.pk)], memo=f"{r.number} 收款", day=day, user=user)
    Receipt.objects.filter(pk=r.pk).update(entry=entry)
    r.refresh_from_db()
    return r


def match(r: Receipt, due: BillDue, amount: str, day: date, *, user=None) -> Allocation:
    amount = D(amount)
    entry = post_entry(kind=EntryKind.MATCH, lines=[
        Line(AccountCode.ADVANCE_RECEIPTS, debit=amount, doc_kind="R", doc_id=r.pk),
        Line(AccountCode.RECEIVABLES, credit=amount, doc_kind="B", doc_id=due.bill_id)],
        memo=f"{r.number} 核销 {due.bill.number}", day=day, user=user)
    due_apply(due, paid=amount, day=day)
    r.refresh_from_db()
    unmatched = r.unmatched - amount
    Receipt.objects.filter(pk=r.pk).update(matched=r.matched + amount, unmatched=unmatched,
                                           status=ReceiptStatus.MATCHED if unmatched == 0 else ReceiptStatus.PARTIAL)
    return Allocation.objects.create(receipt=r, due=due, amount=amount, method=MatchMethod.MANUAL, day=day, entry=entry)
