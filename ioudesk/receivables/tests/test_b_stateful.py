"""Receipts and matching as a state machine: random sequences of bills, credit notes, receipts
(matched by the rules or not), manual matches (some over the open amount), undos, 无需核销 and runs
of the rules, with the books checked after every step (docs/domain.md §26).

After every step: ``ledger verify`` passes (the receivables checks included: every bill's open
amount equals its 1122 postings, every receipt's unmatched its 2203 postings); and, from the
documents: each open item's open = amount − paid − credited ≥ 0, a bill's open is the sum of its
items', paid = the allocations that stand; a receipt's matched = its standing allocations and
matched + unmatched = amount (unless ignored); no receipt's allocations go to two customers. A
refused step (ApplicationError) changes nothing.
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal as D

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ioudesk.core import clock
from ioudesk.core.errors import ApplicationError
from ioudesk.ledger.verify import verify
from ioudesk.receivables.matching import allocation_undo, match_manual, match_receipts, rules_ensure
from ioudesk.receivables.models import (
    Allocation,
    Bill,
    BillDue,
    BillStatus,
    DueStatus,
    Receipt,
    ReceiptStatus,
)
from ioudesk.receivables.receipts import receipt_create, receipt_ignore
from ioudesk.receivables.tests.b_book import company, doc_balance, open_bill

DAY = date(2026, 11, 28)
AMOUNTS = st.sampled_from(["100.00", "250.50", "1000.00", "1130.00", "3000.00", "5650.00", "0.01", "99999.99"])


def snapshot():
    return (list(BillDue.objects.order_by("id").values_list("id", "open_amount", "paid", "credited")),
            list(Receipt.objects.order_by("id").values_list("id", "matched", "unmatched", "status")),
            Allocation.objects.filter(undone=False).count())


class MatchMachine(RuleBasedStateMachine):
    user = None
    customers: list = []

    def __init__(self):
        super().__init__()
        self._example = transaction.atomic()
        self._example.__enter__()
        self._day = clock.frozen(DAY)
        self._day.__enter__()

    def teardown(self):
        self._day.__exit__(None, None, None)
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    def attempt(self, call):
        before = snapshot()
        try:
            return call()
        except ApplicationError:
            assert snapshot() == before, "a refused step changed the books"
            return None

    @initialize(data=st.data())
    def start(self, data):
        self.bill(data)

    @precondition(lambda self: Bill.objects.count() < 8)
    @rule(data=st.data())
    def bill(self, data):
        customer = data.draw(st.sampled_from(self.customers))
        dues = data.draw(st.lists(st.tuples(st.integers(0, 90), AMOUNTS), min_size=1, max_size=3))
        dues = sorted((date(2026, 9, 1).toordinal() + offset, amount) for offset, amount in dues)
        open_bill(customer, [(date.fromordinal(d), amount) for d, amount in dues], bill_date=date(2026, 9, 1))

    @rule(data=st.data())
    def credit_note(self, data):
        from ioudesk.receivables.bills import credit_note_create

        bills = list(Bill.objects.filter(status=BillStatus.OPEN, kind="sales"))
        if not bills:
            return
        bill = data.draw(st.sampled_from(bills))
        amount = data.draw(st.sampled_from([bill.open_amount, D("0.01"), D("50.00"), bill.open_amount + D("1")]))
        self.attempt(lambda: credit_note_create(original=bill, reason="退货", amount=amount, user=self.user))

    @rule(data=st.data())
    def receive(self, data):
        how = data.draw(st.sampled_from(["memo", "payer", "unknown", "exact"]))
        amount = D(data.draw(AMOUNTS))
        memo, payer = "货款", "不认识的公司"
        dues = list(BillDue.objects.filter(status=DueStatus.OPEN).select_related("bill", "customer"))
        if how == "memo" and dues:
            due = data.draw(st.sampled_from(dues))
            memo = f"付{due.bill.number.replace('-', '') if data.draw(st.booleans()) else due.bill.number}"
        elif how in ("payer", "exact") and dues:
            due = data.draw(st.sampled_from(dues))
            payer = due.customer.name
            if how == "exact":
                amount = due.open_amount
        self.attempt(lambda: receipt_create(direction="receivable", channel="bank", account_code="100201", day=DAY,
                                            amount=amount, payer_name=payer, memo=memo, branch=self.branch,
                                            user=self.user, auto_match=data.draw(st.booleans())))

    @rule(data=st.data())
    def manual(self, data):
        receipts = list(Receipt.objects.filter(status__in=(ReceiptStatus.UNMATCHED, ReceiptStatus.PARTIAL)))
        dues = list(BillDue.objects.filter(status=DueStatus.OPEN))
        if not receipts or not dues:
            return
        receipt = data.draw(st.sampled_from(receipts))
        picked = data.draw(st.lists(st.sampled_from(dues), min_size=1, max_size=2, unique_by=lambda d: d.pk))
        targets = []
        for due in picked:
            amount = data.draw(st.sampled_from([due.open_amount, min(due.open_amount, receipt.unmatched),
                                                due.open_amount + D("0.01"), D("0.01")]))
            targets.append((due, amount))
        self.attempt(lambda: match_manual(receipt=receipt, targets=targets, user=self.user))

    @rule(data=st.data())
    def undo(self, data):
        standing = list(Allocation.objects.filter(undone=False))
        if standing:
            allocation = data.draw(st.sampled_from(standing))
            self.attempt(lambda: allocation_undo(allocation=allocation, reason="核销错了", user=self.user))

    @rule(data=st.data())
    def ignore(self, data):
        receipts = list(Receipt.objects.filter(status__in=(ReceiptStatus.UNMATCHED, ReceiptStatus.PARTIAL)))
        if receipts:
            receipt = data.draw(st.sampled_from(receipts))
            self.attempt(lambda: receipt_ignore(receipt=receipt, account_code="6001", reason="非客户款项",
                                                user=self.user))

    @rule()
    def rerun(self):
        match_receipts(list(Receipt.objects.values_list("pk", flat=True)), user=self.user)

    @invariant()
    def books_agree(self):
        report = verify()
        assert report.ok, report.differences
        for due in BillDue.objects.all():
            standing = Allocation.objects.filter(due=due, undone=False).aggregate(s=Sum("amount"))["s"] or D("0")
            assert due.open_amount == due.amount - due.paid - due.credited >= 0, due
            assert due.paid == standing, (due, due.paid, standing)
            assert (due.status == DueStatus.PAID) == (due.open_amount == 0)
        for bill in Bill.objects.filter(kind="sales"):
            items = bill.dues.aggregate(s=Sum("open_amount"))["s"] or D("0")
            assert bill.open_amount == items == doc_balance("B", bill.pk, "1122"), bill
        for receipt in Receipt.objects.all():
            standing = Allocation.objects.filter(receipt=receipt, undone=False)
            assert receipt.matched == (standing.aggregate(s=Sum("amount"))["s"] or D("0"))
            assert receipt.unmatched == -doc_balance("R", receipt.pk, "2203")
            if receipt.status != ReceiptStatus.IGNORED:
                assert receipt.matched + receipt.unmatched == receipt.amount
            assert len({a.due.customer_id for a in standing.select_related("due")}) <= 1


@pytest.mark.django_db
def test_receipts_and_matching_state_machine(organisation, head_office, finance, manager):
    rules_ensure()
    with clock.frozen(DAY):
        customers = [company("华东钢材有限公司", head_office, manager), company("宏达贸易有限公司", head_office, manager)]

    class Machine(MatchMachine):
        pass

    Machine.user, Machine.customers, Machine.branch = finance, customers, head_office
    examples = int(os.environ.get("IOUDESK_B_EXAMPLES", "12"))
    run_state_machine_as_test(Machine, settings=settings(max_examples=examples, stateful_step_count=15, deadline=None,
                                                          suppress_health_check=list(HealthCheck)))
