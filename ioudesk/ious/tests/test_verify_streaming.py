"""`ledger verify`'s IOU balance check streams in id ranges and finds exactly what the in-memory
version found (kept here as the reference), with the same messages, in the same order."""

from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.calc.money import format_yuan
from ioudesk.core import clock
from ioudesk.ious import verify as iou_verify
from ioudesk.ious.models import Iou
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ious.services.ledgering import BALANCE_FIELDS
from ioudesk.ledger.chart import AccountCode as C
from ioudesk.ledger.selectors import iou_balances_bulk
from ioudesk.ledger.services import Line, post_entry
from ioudesk.ledger.verify import verify


def reference_differences() -> list[str]:
    """The check as it was before it streamed (everything in memory)."""
    ledger = iou_balances_bulk()
    zero = dict.fromkeys(BALANCE_FIELDS, D("0.00"))
    differences = []
    fields = ["pk", "number", *BALANCE_FIELDS.values()]
    for row in Iou.objects.values_list(*fields).order_by("pk"):
        pk, number, stored = row[0], row[1], dict(zip(BALANCE_FIELDS, row[2:], strict=True))
        posted = ledger.pop(pk, zero)
        for component, amount in stored.items():
            if amount != posted.get(component, D("0.00")):
                differences.append(f"借据 {number}：{iou_verify.LABELS[component]} 账面 {format_yuan(amount)}，"
                                   f"总账 {format_yuan(posted.get(component, D('0.00')))}")
    differences.extend(f"总账中有借据ID {iou_id} 的分录，但借据不存在" for iou_id in sorted(ledger))
    return differences


@pytest.fixture
def three_loans(debtor, manager, approver, finance):
    ious = []
    with clock.frozen(date(2026, 1, 15)):
        for amount in ("10000", "2000", "500"):
            iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D(amount), term=12, rate_text="12%",
                                        method="equal_installment", contract_date=date(2026, 1, 15)), user=manager)
            iou_submit(iou=iou, user=manager)
            iou_approve(iou=iou, user=approver)
            iou_disburse(iou=iou, user=finance)
            ious.append(iou)
    return ious


@pytest.mark.parametrize("chunk", [1, 2, iou_verify.CHUNK])
def test_the_streamed_check_finds_what_the_in_memory_one_found(three_loans, chunk, monkeypatch):
    monkeypatch.setattr(iou_verify, "CHUNK", chunk)
    first, _second, third = three_loans
    assert list(iou_verify.iou_balances_differences()) == [] == reference_differences()

    # Tamper: one IOU's stored principal and penalty, another's overpayment; postings for IOU ids
    # that do not exist (one far beyond the others: sparse ids are walked over, not counted through).
    Iou.objects.filter(pk=first.pk).update(principal_outstanding=D("9900.00"), penalty_outstanding=D("1.50"))
    Iou.objects.filter(pk=third.pk).update(overpayment=D("0.01"))
    with clock.frozen(date(2026, 1, 16)):
        for missing in (third.pk + 7, 10**12):
            post_entry(kind="repayment", iou_id=missing, lines=[Line(C.BANK_BASIC, debit=D("3.00")),
                                                                 Line(C.LOANS, credit=D("3.00"))])

    found = list(iou_verify.iou_balances_differences())

    assert found == reference_differences()
    assert found == [
        f"借据 {first.number}：未还本金 账面 ¥9,900.00，总账 ¥10,000.00",
        f"借据 {first.number}：未还罚息 账面 ¥1.50，总账 ¥0.00",
        f"借据 {third.number}：溢缴款 账面 ¥0.01，总账 ¥0.00",
        f"总账中有借据ID {third.pk + 7} 的分录，但借据不存在",
        "总账中有借据ID 1000000000000 的分录，但借据不存在",
    ]
    report = verify(limit=2)
    assert report.difference_count == 5 and report.omitted == 3  # listed up to the limit, all counted
