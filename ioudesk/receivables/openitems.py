"""THE one place a bill's open items change (docs/domain.md §26): a match (核销) or its undo, a credit
note (红字) or its reversal. Both the open item (BillDue) and its bill are updated in one statement
each, under a row lock on the bill, and the bill's status follows (open ↔ paid). ``due_apply`` does one item;
``dues_apply_bulk`` the same for the many items of a bank statement's automatic matching.

The ledger is the record: every call here goes with a journal entry whose 1122/2202 postings name the
bill (``doc_kind="B"``); ``receivables.verify`` checks that a bill's open amount equals its postings.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Value
from django.utils import timezone
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


def dues_apply_bulk(changes: dict[int, Decimal], *, day: date) -> None:
    """``due_apply`` for many open items at once (positive amounts: matches): the same
    checks (never over an item's open amount) and the same changes to the items and their bills,
    in one SELECT and a few UPDATEs per 300 rows. For the automatic matching of a bank statement."""
    if not changes:
        return
    due_ids = list(changes)
    rows = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for start in range(0, len(due_ids), 500):
            part = due_ids[start:start + 500]
            cursor.execute(f"SELECT id, bill_id, open_amount FROM {quote(BillDue._meta.db_table)} "
                           f"WHERE id IN ({', '.join(['%s'] * len(part))})", part)
            for pk, bill_id, open_fen in cursor.fetchall():
                rows[pk] = (bill_id, Decimal(open_fen).scaleb(-2))
    by_bill: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for pk, amount in changes.items():
        bill_id, open_amount = rows[pk]
        if amount <= 0 or amount > open_amount:
            number, seq = BillDue.objects.filter(pk=pk).values_list("bill__number", "seq").get()
            raise ValidationFailed(
                _("核销金额 ¥%(amount)s 超过单据 %(number)s 第 %(seq)d 期的未结金额 ¥%(open)s。")
                % {"amount": f"{amount:,.2f}", "number": number, "seq": seq, "open": f"{open_amount:,.2f}"},
                extra={"field": "amount"}, code="over_open_amount")
        by_bill[bill_id] += amount
    bills = list(by_bill)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:  # the bills locked, as due_apply locks its bill
        for start in range(0, len(bills), 500):
            part = bills[start:start + 500]
            cursor.execute(f"SELECT id FROM {quote(Bill._meta.db_table)} WHERE id IN ({', '.join(['%s'] * len(part))})"
                           f"{lock}", part)
    day_value = connection.ops.adapt_datefield_value(day)
    due_table = connection.ops.quote_name(BillDue._meta.db_table)
    bill_table = connection.ops.quote_name(Bill._meta.db_table)
    items = [(pk, int(amount * 100)) for pk, amount in changes.items()]
    for start in range(0, len(items), 300):
        chunk = items[start:start + 300]
        case = "CASE id " + " ".join("WHEN %s THEN %s" for _ in chunk) + " END"
        flat = [v for pair in chunk for v in pair]
        placeholders = ", ".join(["%s"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {due_table} SET paid = paid + {case}, open_amount = open_amount - {case}, "
                f"status = CASE WHEN open_amount - {case} = 0 THEN %s ELSE %s END, "
                f"paid_on = CASE WHEN open_amount - {case} = 0 THEN %s ELSE NULL END, "
                f"days_past_due = CASE WHEN open_amount - {case} = 0 THEN 0 ELSE days_past_due END "
                f"WHERE id IN ({placeholders})",
                flat + flat + flat + [DueStatus.PAID, DueStatus.OPEN] + flat + [day_value] + flat + [pk for pk, _a in chunk])
    bill_items = [(pk, int(amount * 100)) for pk, amount in by_bill.items()]
    for start in range(0, len(bill_items), 300):
        chunk = bill_items[start:start + 300]
        case = "CASE id " + " ".join("WHEN %s THEN %s" for _ in chunk) + " END"
        flat = [v for pair in chunk for v in pair]
        placeholders = ", ".join(["%s"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {bill_table} SET paid = paid + {case}, open_amount = open_amount - {case}, "
                f"status = CASE WHEN open_amount - {case} = 0 THEN %s ELSE %s END, updated_at = %s "
                f"WHERE id IN ({placeholders})",
                flat + flat + flat + [BillStatus.PAID, BillStatus.OPEN, connection.ops.adapt_datetimefield_value(timezone.now())] + [pk for pk, _a in chunk])
