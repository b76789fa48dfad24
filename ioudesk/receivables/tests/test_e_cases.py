"""Overdue receivables bills become collection cases (the close's day step ``receivables``, order 42),
beside the IOU cases of the collections step (order 40), which stay as they were.

The book (every figure in yuan):
- the IOU: ¥10,000 at 12 % in 12 monthly installments of ¥888.49 from 2026-01-15, first due 2026-02-15
  (unpaid: its case opens at the close of 02-16 with arrears ¥888.88 = 888.49 + 0.39 penalty);
- B1 (goods), billed 2026-01-20: ¥5,000.00 due 2026-02-10 and ¥6,300.00 due 2026-03-10;
- B2 (services), billed 2026-01-25: ¥2,120.00 due 2026-02-20;
- B3 (goods), billed 2026-01-10: ¥800.00 due 2026-02-01 (paid in full on 02-17: 已结清);
- B4 (goods), billed 2026-01-10: ¥300.00 due 2026-02-05 (voided on 02-17: 单据已作废).
"""

from __future__ import annotations

import datetime as dt
from datetime import date
from decimal import Decimal

import pytest

from ioudesk.collections.arrears import arrears_of
from ioudesk.collections.models import Case, CaseEvent, CaseStatus, CloseReason, Nature, Promise, Recovery
from ioudesk.core import clock
from ioudesk.receivables.models import BillDue, BillEvent, BillStatus, ReceivablesSettings
from ioudesk.receivables.models import Nature as BillNature
from ioudesk.receivables.tests import e_book

D = Decimal
BEIJING = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def make_loan(debtor, manager, approver, finance):
    from ioudesk.ious.models import Iou
    from ioudesk.ious.services import iou_approve, iou_create, iou_submit
    from ioudesk.ious.services.disbursement import iou_disburse

    with clock.frozen(date(2026, 1, 15)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("10000"), term=12, rate_text="12%",
                                    method="equal_installment", contract_date=date(2026, 1, 15)), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    iou.refresh_from_db()
    return iou


@pytest.fixture
def company(head_office, manager):
    from ioudesk.calc.uscc import check_character
    from ioudesk.customers.models import Customer
    from ioudesk.customers.services import customer_create

    first17 = "91310115MA1K4ABC1"
    return customer_create(customer=Customer(kind="company", name="上海恒达建材有限公司", branch=head_office,
                                             credit_code=first17 + check_character(first17), phone="02158001234"),
                           user=manager)


def close(day: date) -> None:
    from ioudesk.closing import services as closing

    with clock.frozen(day):
        closing.close_execute(through=day, origin="command")


@pytest.fixture
def book(organisation, make_loan, company, manager):
    from ioudesk.collections.services import strategy_defaults_ensure

    strategy_defaults_ensure()
    with clock.frozen(date(2026, 1, 25)):
        b1 = e_book.bill(company, date(2026, 1, 20), [(date(2026, 2, 10), "5000.00"), (date(2026, 3, 10), "6300.00")],
                         manager=manager)
        b2 = e_book.bill(company, date(2026, 1, 25), [(date(2026, 2, 20), "2120.00")], nature=BillNature.SERVICES)
        b3 = e_book.bill(company, date(2026, 1, 10), [(date(2026, 2, 1), "800.00")])
        b4 = e_book.bill(company, date(2026, 1, 10), [(date(2026, 2, 5), "300.00")])
    return {"iou": make_loan, "b1": b1, "b2": b2, "b3": b3, "b4": b4}


def _cases(bill):
    return list(Case.objects.filter(bill=bill).order_by("pk"))


def test_overdue_bills_open_cases_beside_the_ious_and_close_when_paid_credited_or_void(book, company):
    iou, b1, b2, b3, b4 = book["iou"], book["b1"], book["b2"], book["b3"], book["b4"]
    close(date(2026, 2, 16))

    # the IOU's case, as the collections step opened it: untouched by the bills' step
    iou_case = Case.objects.get(iou=iou)
    assert (iou_case.bill_id, iou_case.days_past_due, iou_case.bucket, iou_case.arrears) == (None, 1, "M1",
                                                                                              D("888.88"))
    assert iou_case.nature == Nature.LOAN

    # open items' days past due at the close of 02-16: D − due date when due before D
    assert BillDue.objects.get(bill=b1, seq=1).days_past_due == 6  # due 02-10
    assert BillDue.objects.get(bill=b1, seq=2).days_past_due == 0  # due 03-10
    assert BillDue.objects.get(bill=b3).days_past_due == 15  # due 02-01
    assert BillDue.objects.get(bill=b2).days_past_due == 0  # due 02-20

    # B1, B3, B4 are overdue ≥ 1 day (case_after_days): one case each; B2 not yet
    (c1,) = _cases(b1)
    assert (c1.iou_id, c1.customer_id, c1.branch_id, c1.status) == (None, company.pk, company.branch_id, "open")
    assert (c1.days_past_due, c1.bucket, c1.arrears, c1.nature, c1.opened_on) == (
        6, "M1", D("5000.00"), Nature.GOODS, date(2026, 2, 16))  # arrears: only the item due 02-10
    assert c1.number.startswith("CS20260216-")
    assert c1.stage is not None and c1.stage.strategy.bucket == "M1"  # the strategy's first step
    assert _cases(b2) == []
    assert [c.arrears for c in _cases(b3)] == [D("800.00")]
    assert CaseEvent.objects.filter(case=c1, kind="opened").get().text.startswith(f"单据 {b1.number} 逾期 6 天")
    assert BillEvent.objects.filter(bill=b1, kind="case").get().text == f"逾期 6 天，转催收 {c1.number}"

    # 02-17: ¥2,000.00 of B1's first item paid; B3 paid in full; B4 voided
    e_book.pay(b1, "2000.00", date(2026, 2, 17))
    e_book.pay(b3, "800.00", date(2026, 2, 17))
    type(b4).objects.filter(pk=b4.pk).update(status=BillStatus.VOID)
    close(date(2026, 2, 17))
    c1.refresh_from_db()
    assert (c1.status, c1.days_past_due, c1.arrears) == ("open", 7, D("3000.00"))
    assert [(r.amount, r.day, r.iou_id, r.transaction_id) for r in Recovery.objects.filter(case=c1)] == [
        (D("2000.00"), date(2026, 2, 17), None, None)]
    (c3,) = _cases(b3)
    (c4,) = _cases(b4)
    assert (c3.status, c3.close_reason, c3.closed_on) == ("closed", CloseReason.SETTLED, date(2026, 2, 17))
    assert (c4.status, c4.close_reason) == ("closed", CloseReason.VOID)
    assert [r.amount for r in Recovery.objects.filter(case=c3)] == [D("800.00")]  # recovered on its last day

    # the IOU case: its arrears are the collections step's, as posted (never the bills' step's)
    iou_case.refresh_from_db()
    assert iou_case.arrears == arrears_of([iou.pk], date(2026, 2, 17))[iou.pk]
    assert iou_case.status == "open" and iou_case.days_past_due == 2

    # 02-18: the rest of the first item paid; the item due 03-10 is not yet due: 逾期已还清 (cured)
    e_book.pay(b1, "3000.00", date(2026, 2, 18))
    close(date(2026, 2, 18))
    c1.refresh_from_db()
    assert (c1.status, c1.close_reason, c1.closed_on) == ("closed", CloseReason.CURED, date(2026, 2, 18))
    assert sorted(r.amount for r in Recovery.objects.filter(case=c1)) == [D("2000.00"), D("3000.00")]
    b1.refresh_from_db()
    assert b1.status == BillStatus.OPEN and b1.open_amount == D("6300.00")

    # B2 (due 02-20): not overdue at the close of 02-20, 1 day overdue at 02-21: its case, nature 服务费
    close(date(2026, 2, 19))
    close(date(2026, 2, 20))
    assert _cases(b2) == []
    close(date(2026, 2, 21))
    (c2,) = _cases(b2)
    assert (c2.nature, c2.arrears, c2.days_past_due, c2.opened_on) == (Nature.SERVICES, D("2120.00"), 1,
                                                                       date(2026, 2, 21))
    # a credit note (红字) clears it: 已红字冲销
    e_book.credit(b2, "2120.00", date(2026, 2, 23))
    close(date(2026, 2, 23))
    c2.refresh_from_db()
    assert (c2.status, c2.close_reason) == ("closed", CloseReason.CREDITED)

    # nothing but bills' cases closed here; the IOU case is still open, counted once
    assert Case.objects.filter(iou=iou).count() == 1 and Case.objects.get(iou=iou).status == CaseStatus.OPEN


def test_a_company_owing_only_on_a_bill_in_collection_is_a_debtor(book, company):
    from ioudesk.collections.selectors import has_bill_in_collection
    from ioudesk.customers.permissions import is_debtor
    from ioudesk.receivables.cases import bill_cases_step

    assert not has_bill_in_collection(company)
    bill_cases_step(day=date(2026, 2, 16))
    assert has_bill_in_collection(company) and is_debtor(company)


def test_case_after_days_and_a_second_run_adds_nothing(book):
    from ioudesk.core.services import organisation_ensure
    from ioudesk.receivables.cases import bill_cases_step

    ReceivablesSettings.objects.update_or_create(organisation=organisation_ensure(), defaults={"case_after_days": 10})
    counts = bill_cases_step(day=date(2026, 2, 16))
    # B3 is 15 days overdue (≥ 10): a case; B1 (6 days) and B4 (11 days: due 02-05) …
    assert sorted(Case.objects.filter(bill__isnull=False).values_list("bill__number", "days_past_due")) == sorted([
        (book["b3"].number, 15), (book["b4"].number, 11)])
    assert counts["cases_opened"] == 2
    again = bill_cases_step(day=date(2026, 2, 16))
    assert "cases_opened" not in again
    assert Case.objects.filter(bill__isnull=False).count() == 2


def test_a_bill_case_promise_is_judged_by_the_matches_to_the_bill(book, make_staff):
    from ioudesk.collections.services import case_assign, contact_record_create

    collector = make_staff("zhaolei", role="催收员")
    b1 = book["b1"]
    close(date(2026, 2, 16))
    (case,) = _cases(b1)
    case_assign(case, owner=collector, method="hand", by=None)
    with clock.frozen(date(2026, 2, 16)):
        record = contact_record_create(
            case, method="phone", party="debtor", outcome="promised", contacted_at=dt.datetime(2026, 2, 16, 10, 0,
                                                                                               tzinfo=BEIJING),
            by=collector, promise=(D("3000.00"), date(2026, 2, 18)))
    assert record.iou_id is None and not record.interruption_recorded  # no IOU limitation clock to interrupt
    promise = Promise.objects.get(case=case)
    assert promise.iou_id is None

    # ¥2,000.00 on 02-17, ¥1,000.00 on 02-18: ¥3,000.00 matched to B1 by the promised date — kept
    e_book.pay(b1, "2000.00", date(2026, 2, 17))
    close(date(2026, 2, 17))
    e_book.pay(b1, "1000.00", date(2026, 2, 18))
    close(date(2026, 2, 18))
    promise.refresh_from_db()
    assert (promise.status, promise.paid, promise.checked_on) == ("kept", D("3000.00"), date(2026, 2, 18))
    case.refresh_from_db()
    assert case.arrears == D("2000.00") and case.promise_due_on is None


def test_a_bill_case_promise_is_broken_without_matches_and_an_undone_match_is_taken_back(book, make_staff):
    from ioudesk.collections.services import case_assign, contact_record_create

    collector = make_staff("zhaolei", role="催收员")
    b1 = book["b1"]
    close(date(2026, 2, 16))
    (case,) = _cases(b1)
    case_assign(case, owner=collector, method="hand", by=None)
    with clock.frozen(date(2026, 2, 16)):
        contact_record_create(case, method="phone", party="debtor", outcome="promised",
                              contacted_at=dt.datetime(2026, 2, 16, 11, 0, tzinfo=BEIJING), by=collector,
                              promise=(D("1500.00"), date(2026, 2, 17)))
    allocation = e_book.pay(b1, "1500.00", date(2026, 2, 17))
    e_book.undo(allocation, date(2026, 2, 17))  # the match undone the same day: it does not count
    close(date(2026, 2, 17))
    promise = Promise.objects.get(case=case)
    assert (promise.status, promise.paid) == ("broken", D("0.00"))
    # the match was undone before the close saw it: no recovery at all
    assert list(Recovery.objects.filter(case=case)) == []

    # a match counted on 02-18 and undone on 02-19: +¥700.00, then −¥700.00
    allocation = e_book.pay(b1, "700.00", date(2026, 2, 18))
    close(date(2026, 2, 18))
    e_book.undo(allocation, date(2026, 2, 19))
    close(date(2026, 2, 19))
    assert sorted((r.day, r.amount, r.undo) for r in Recovery.objects.filter(case=case)) == [
        (date(2026, 2, 18), D("700.00"), False), (date(2026, 2, 19), D("-700.00"), True)]
    case.refresh_from_db()
    assert case.arrears == D("5000.00")


def test_the_case_page_and_the_workbench_show_a_bill_case(book, client, make_staff):
    from ioudesk.collections.services import case_assign

    collector = make_staff("zhaolei", role="催收员")
    close(date(2026, 2, 16))
    (case,) = _cases(book["b1"])
    case_assign(case, owner=collector, method="hand", by=None)
    client.force_login(collector)
    with clock.frozen(date(2026, 2, 17)):
        page = client.get(f"/admin/collection/cases/{case.pk}/")
        assert page.status_code == 200
        html = page.content.decode()
        assert book["b1"].number in html and "往来单据" in html and "¥5,000.00" in html
        assert 'data-testid="case-bill"' in html and 'data-testid="case-limitation"' not in html
        bench = client.get("/admin/collection/")
        assert bench.status_code == 200 and book["b1"].number in bench.content.decode()
        contact = client.get(f"/admin/collection/cases/{case.pk}/contact/")
        assert contact.status_code == 200 and "担保人：" not in contact.content.decode()  # no guarantor to contact


def test_the_api_lists_a_bill_case_with_its_bill_and_no_iou(book, client, admin_user_zh):
    from ioudesk.api.services import api_token_issue

    close(date(2026, 2, 16))
    (case,) = _cases(book["b1"])
    _, token = api_token_issue(user=admin_user_zh, name="e")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    with clock.frozen(date(2026, 2, 17)):
        rows = client.get("/api/v1/collections/cases?page_size=50", **auth)
        detail = client.get(f"/api/v1/collections/cases/{case.pk}", **auth)
    assert rows.status_code == 200 and detail.status_code == 200
    found = next(row for row in rows.json()["items"] if row["id"] == case.pk)
    assert (found["iou_id"], found["iou_number"], found["bill_id"], found["bill_number"], found["classification"],
            found["arrears"]) == (None, None, book["b1"].pk, book["b1"].number, None, "5000.00")
    body = detail.json()
    assert body["limitation_expires_on"] is None and body["bill_number"] == book["b1"].number
    iou_row = next(row for row in rows.json()["items"] if row["iou_id"] == book["iou"].pk)
    assert iou_row["bill_id"] is None and iou_row["arrears"] == "888.88"
