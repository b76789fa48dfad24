"""THE one place a bill's open items change (docs/domain.md §26): a match (核销) or its undo, a credit
note (红字) or its reversal. Both the open item (BillDue) and its bill are updated in one statement
each, under a row lock on the bill, and the bill's status follows (open ↔ paid).

The ledger is the record: every call here goes with a journal entry whose 1122/2202 postings name the
bill (``doc_kind="B"``); ``receivables.verify`` checks that a bill's open amount equals its postings.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Value
from django.utils.translation import gettext as _

from ioudesk.core.errors import ValidationFailed
from ioudesk.core.fields import MoneyField
from ioudesk.receivables.models import Bill, BillDue, BillStatus, DueStatus

ZERO = Decimal("0.00")


def lock_bill(bill_id: int) -> Bill:
    return Bill.objects.select_for_update(of=("self",)).get(pk=bill_id)


@transaction.atomic
def due_apply(due: BillDue, *, paid: Decimal = ZERO, credited: Decimal = ZERO, day: date) -> BillDue:
    """Take ``paid`` (a match) and/or ``credited`` (a credit note) off an open item; negative values
    put them back (an undo). Refuses to take off more than is open, or put back more than was taken."""
    bill = lock_bill(due.bill_id)
    due = BillDue.objects.get(pk=due.pk)
    paid, credited = Decimal(paid), Decimal(credited)
    change = paid + credited
    if change > due.open_amount:
        raise ValidationFailed(
            _("核销金额 ¥%(amount)s 超过单据 %(number)s 第 %(seq)d 期的未结金额 ¥%(open)s。")
            % {"amount": f"{change:,.2f}", "number": bill.number, "seq": due.seq, "open": f"{due.open_amount:,.2f}"},
            extra={"field": "amount"}, code="over_open_amount",
        )
    if due.paid + paid < 0 or due.credited + credited < 0:
        raise ValidationFailed(_("撤销的金额超过了已核销的金额。"), extra={"field": "amount"})
    open_after = due.open_amount - change
    # constants in money SQL are fen: Value(…, output_field=MoneyField()) converts the yuan
    paid_sql, credited_sql = Value(paid, output_field=MoneyField()), Value(credited, output_field=MoneyField())
    BillDue.objects.filter(pk=due.pk).update(
        paid=F("paid") + paid_sql, credited=F("credited") + credited_sql, open_amount=open_after,
        status=DueStatus.PAID if open_after == 0 else DueStatus.OPEN,
        paid_on=day if open_after == 0 else None,
        days_past_due=0 if open_after == 0 else F("days_past_due"),
    )
    bill_open_after = bill.open_amount - change
    Bill.objects.filter(pk=bill.pk).update(
        paid=F("paid") + paid_sql, credited=F("credited") + credited_sql, open_amount=bill_open_after,
        status=BillStatus.PAID if bill_open_after == 0 else BillStatus.OPEN,
    )
    due.refresh_from_db()
    return due
