"""/api/v1/ious: the worked example through the API, idempotency, bad input, scope and permissions.

The worked example (ioudesk/ious/tests/test_iou_life.py): ¥10,000 lent on 2026-01-15 at 12 % a year,
12 equal monthly installments (30/360) → ¥888.49 a month; the first is interest 100.00 + principal
788.49. The API reads the business date from clock.today(), so every call runs inside clock.frozen.
"""

import json
from datetime import date

import pytest

from ioudesk.api.services import api_token_issue
from ioudesk.core import clock
from ioudesk.ious.models import Iou, Transaction
from ioudesk.ledger.models import JournalEntry
from ioudesk.ledger.verify import verify
from ioudesk.products.models import Product
from ioudesk.products.services import product_save

START = date(2026, 1, 15)


@pytest.fixture
def call(client):
    """call(user)(method, path, payload, key=…, day=…) → response; `day` pins the business date."""

    def make(user):
        _, token = api_token_issue(user=user, name="测试")

        def request(method, path="", payload=None, *, key=None, day=START):
            kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
            if key is not None:
                kwargs["HTTP_IDEMPOTENCY_KEY"] = key
            if payload is not None:
                kwargs |= {"data": json.dumps(payload), "content_type": "application/json"}
            with clock.frozen(day):
                return getattr(client, method)(f"/api/v1/ious{path}", **kwargs)

        return request

    return make


@pytest.fixture
def clerks(call, manager, approver, finance):
    return call(manager), call(approver), call(finance)


def worked_example(clerks, debtor):
    """Create, submit, approve and disburse the worked example; returns the IOU id."""
    maker, checker, cashier = clerks
    created = maker("post", "", {"customer_id": debtor.pk, "principal": "10000", "term": 12, "rate_text": "12%",
                                 "method": "equal_installment", "contract_date": "2026-01-15"})
    assert created.status_code == 201, created.json()
    iou_id = created.json()["id"]
    assert maker("post", f"/{iou_id}/submit").status_code == 200
    approved = checker("post", f"/{iou_id}/approve", {"comment": "同意"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.json()
    disbursed = cashier("post", f"/{iou_id}/disburse", {}, key="disburse-1")
    assert disbursed.status_code == 201, disbursed.json()
    return iou_id


@pytest.fixture
def loan(clerks, debtor):
    return worked_example(clerks, debtor)


def balances(body):
    b = body["balances"]
    return b["principal"], b["interest"], b["penalty"], b["fee"], b["overpayment"]


def test_the_worked_example_through_the_api(clerks, debtor):
    maker, checker, cashier = clerks

    created = maker("post", "", {"customer_id": debtor.pk, "principal": "10000", "term": 12, "rate_text": "12%",
                                 "method": "equal_installment", "contract_date": "2026-01-15", "guarantor": "李四"})
    body = created.json()
    iou_id = body["id"]
    assert created.status_code == 201, body
    assert body["number"] == "JD20260115-0001" and body["status"] == "draft" and body["principal"] == "10000.00"
    # The cap check is recorded: 4 × LPR 3.00 % = 12.00 %. Rounding 888.4879 up to 888.49 puts the
    # IRR a hair above 12 %; rates are stated to 0.01 %, so 12.00 % is within the cap.
    assert body["cap"]["rate"] == "0.12" and body["cap"]["checked_on"] == "2026-01-15"
    assert body["cap"]["unprotected_interest"] == "0.00" and body["cap_warning"] == ""
    assert body["terms"]["annual_rate"] == "0.12" and body["terms"]["day_count"] == "30/360"
    assert body["actions"] == ["submit", "cancel"]

    assert maker("post", f"/{iou_id}/submit").json()["status"] == "pending_approval"
    assert checker("post", f"/{iou_id}/approve", {"comment": "同意"}).json()["status"] == "approved"
    disbursed = cashier("post", f"/{iou_id}/disburse", {"reference": "FK-1"}, key="disburse-1")
    assert disbursed.status_code == 201 and disbursed.json()["kind"] == "disbursement"
    assert disbursed.json()["amount"] == "10000.00" and disbursed.json()["entry_number"] == "PZ20260115-0001"

    detail = cashier("get", f"/{iou_id}").json()
    assert detail["status"] == "active" and detail["maturity_date"] == "2027-01-15"
    assert balances(detail) == ("10000.00", "0.00", "0.00", "0.00", "0.00")
    schedule = cashier("get", f"/{iou_id}/schedule").json()
    first = schedule["current"]["installments"][0]
    assert len(schedule["versions"]) == 1 and len(schedule["current"]["installments"]) == 12
    assert (first["due_date"], first["principal_due"], first["interest_due"], first["total_due"]) == (
        "2026-02-15", "788.49", "100.00", "888.49")

    # 1. On time: interest 100.00 + principal 788.49; the same key again posts nothing.
    paid = cashier("post", f"/{iou_id}/repayments", {"amount": "888.49", "method": "bank_transfer"},
                   key="r1", day=date(2026, 2, 15))
    again = cashier("post", f"/{iou_id}/repayments", {"amount": "888.49", "method": "bank_transfer"},
                    key="r1", day=date(2026, 2, 16))
    assert paid.status_code == 201 and again.status_code == 201
    assert again.content == paid.content, (paid.content.decode(), again.content.decode())
    assert again["Idempotent-Replayed"] == "true"
    assert not paid.has_header("Idempotent-Replayed")
    assert paid.json()["allocation"] == [
        {"number": 1, "penalty": "0.00", "fee": "0.00", "interest": "100.00", "principal": "788.49"}]
    assert (paid.json()["interest"], paid.json()["principal"], paid.json()["day"]) == ("100.00", "788.49", "2026-02-15")
    assert Transaction.objects.filter(kind="repayment").count() == 1
    assert balances(cashier("get", f"/{iou_id}").json()) == ("9211.51", "0.00", "0.00", "0.00", "0.00")

    # 2. Ten days late: interest 92.12, penalty 796.37 × 18 % × 10/360 = 3.98, principal 796.37.
    late = cashier("post", f"/{iou_id}/repayments", {"amount": "892.47", "method": "wechat"}, key="r2",
                   day=date(2026, 3, 25)).json()
    assert late["allocation"] == [
        {"number": 2, "penalty": "3.98", "fee": "0.00", "interest": "92.12", "principal": "796.37"}]
    cashier("post", f"/{iou_id}/repayments", {"amount": "888.49", "method": "cash"}, key="r3", day=date(2026, 4, 15))

    # 3. Five days late on 2026-05-20: waive the penalty 2.03; a payment bounces and is reversed.
    may20 = date(2026, 5, 20)
    waiver = cashier("post", f"/{iou_id}/waivers", {"component": "penalty", "amount": "2.03", "reason": "首次逾期"},
                     key="w1", day=may20)
    assert waiver.status_code == 201 and waiver.json()["penalty"] == "2.03", waiver.json()
    assert cashier("get", f"/{iou_id}", day=may20).json()["days_past_due"] == 5
    bounced = cashier("post", f"/{iou_id}/repayments", {"amount": "888.49"}, key="r4", day=may20).json()
    reversal = cashier("post", f"/{iou_id}/transactions/{bounced['id']}/reversal", {"reason": "银行退票"},
                       key="x1", day=may20)
    assert reversal.status_code == 201 and reversal.json()["reverses_id"] == bounced["id"]
    detail = cashier("get", f"/{iou_id}", day=may20).json()
    assert balances(detail) == ("7610.80", "76.11", "0.00", "0.00", "0.00") and detail["status"] == "overdue"
    rows = {t["id"]: t for t in cashier("get", f"/{iou_id}/transactions", day=may20).json()}
    assert rows[bounced["id"]]["reversed_by_id"] == reversal.json()["id"]

    # 4. Extension over 6 months on 2026-05-21: the owed part is installment 0, a new version.
    extended = cashier("post", f"/{iou_id}/extensions", {"term": 6, "reason": "客户经营困难申请展期"},
                       key="ext-1", day=date(2026, 5, 21))
    retried = cashier("post", f"/{iou_id}/extensions", {"term": 6, "reason": "客户经营困难申请展期"},
                      key="ext-1", day=date(2026, 5, 21))
    assert extended.status_code == 201, extended.json()
    assert retried.json()["version"] == extended.json()["version"] == 2
    zero = extended.json()["installments"][0]
    assert (zero["number"], zero["principal_due"], zero["interest_due"], zero["penalty_charged"]) == (
        0, "812.38", "76.11", "0.41")
    schedule = cashier("get", f"/{iou_id}/schedule", day=date(2026, 5, 21)).json()
    assert [v["version"] for v in schedule["versions"]] == [1, 2] and schedule["current"]["version"] == 2

    # 5. Early settlement on 2026-06-01 on the quote (GET and POST give the same).
    june1 = date(2026, 6, 1)
    quote = cashier("get", f"/{iou_id}/settlement-quote", day=june1).json()
    # Broken interest on the principal not yet due only: 6,798.42 × 12 % × 10/360 = 22.66.
    assert (quote["broken_interest"], quote["penalty"], quote["total"]) == ("22.66", "4.88", "7714.45")
    assert cashier("post", f"/{iou_id}/settlement-quote", {}, day=june1).json() == quote
    short = cashier("post", f"/{iou_id}/early-settlement", {"amount": "7700.00"}, key="s1", day=june1)
    assert short.status_code == 400 and "7,714.45" in short.json()["message"]
    settled = cashier("post", f"/{iou_id}/early-settlement", {"amount": "7714.45"}, key="s2", day=june1)
    assert settled.status_code == 201, settled.json()
    detail = cashier("get", f"/{iou_id}", day=june1).json()
    assert detail["status"] == "settled" and detail["settled_on"] == "2026-06-01"
    assert balances(detail) == ("0.00", "0.00", "0.00", "0.00", "0.00")

    report = verify()
    assert report.ok, report.differences


def test_write_off_and_recovery(clerks, loan):
    _, _, cashier = clerks
    day = date(2026, 7, 19)
    written_off = cashier("post", f"/{loan}/write-off", {"reason": "债务人失联", "recovery_method": "write_off"},
                          key="wo-1", day=day)
    assert written_off.status_code == 201, written_off.json()
    detail = cashier("get", f"/{loan}", day=day).json()
    assert detail["status"] == "written_off" and detail["balances"]["total"] == "0.00"
    assert detail["balances"]["written_off_principal"] == "10000.00"
    recovered = cashier("post", f"/{loan}/recoveries", {"amount": "1200"}, key="rc-1", day=date(2026, 9, 1))
    assert recovered.status_code == 201 and recovered.json()["amount"] == "1200.00"
    assert cashier("get", f"/{loan}", day=date(2026, 9, 1)).json()["balances"]["written_off_principal"] == "8800.00"
    assert verify().ok


def test_overpayment_is_refunded(clerks, loan):
    _, _, cashier = clerks
    day = date(2026, 2, 15)
    paid = cashier("post", f"/{loan}/repayments", {"amount": "1000.00"}, key="r1", day=day).json()
    assert paid["overpayment"] == "111.51"
    refund = cashier("post", f"/{loan}/refunds", {}, key="rf-1", day=day)
    assert refund.status_code == 201 and refund.json()["amount"] == "111.51"
    assert cashier("get", f"/{loan}", day=day).json()["balances"]["overpayment"] == "0.00"


def test_loan_from_a_product_and_a_debt_with_payment_terms(clerks, debtor, organisation):
    maker, _, _ = clerks
    product = product_save(product=Product(code="XFD", name="消费贷", rate_text="12%", method="equal_installment",
                                           min_amount=1000, max_amount=500000, min_term=3, max_term=36))

    from_product = maker("post", "", {"customer_id": debtor.pk, "product_id": product.pk, "principal": "20000",
                                      "term": 12})
    overridden = maker("post", "", {"customer_id": debtor.pk, "product_id": product.pk, "principal": "20000",
                                    "term": 12, "rate_text": "24%"})
    debt = maker("post", "", {"kind": "debt", "customer_id": debtor.pk, "principal": "58000.00",
                              "debt_reason": "goods", "reason": "钢材货款", "payment_terms": "net_30"})
    plain_without_rate = maker("post", "", {"customer_id": debtor.pk, "principal": "1000", "term": 3})

    assert from_product.status_code == 201, from_product.json()
    assert from_product.json()["product_id"] == product.pk and from_product.json()["rate_text"] == "12%"
    assert overridden.status_code == 400 and overridden.json()["details"][0]["field"] == "rate_text"
    assert debt.status_code == 201, debt.json()
    assert debt.json()["terms"]["due_date"] == "2026-02-14" and debt.json()["terms"]["method"] == "bullet"
    assert plain_without_rate.status_code == 400 and "rate_text" in plain_without_rate.json()["message"]
    assert Iou.objects.count() == 2


def test_list_filters_and_pagination(clerks, loan, debtor):
    maker, _, cashier = clerks
    maker("post", "", {"kind": "debt", "customer_id": debtor.pk, "principal": "500", "due_date": "2026-03-01"})

    everything = cashier("get", "").json()
    active = cashier("get", "?status=active").json()
    debts = cashier("get", f"?kind=debt&customer_id={debtor.pk}").json()

    assert everything["count"] == 2
    assert [i["id"] for i in active["items"]] == [loan] and active["items"][0]["customer_name"] == "王建国"
    assert debts["count"] == 1 and debts["items"][0]["status"] == "draft"
    assert cashier("get", "?status=nonsense").status_code == 422


def test_missing_or_reused_idempotency_key(clerks, loan):
    _, _, cashier = clerks
    day = date(2026, 2, 15)
    entries = JournalEntry.objects.count()

    missing = cashier("post", f"/{loan}/repayments", {"amount": "888.49"}, day=day)
    blank = cashier("post", f"/{loan}/repayments", {"amount": "888.49"}, key="  ", day=day)
    assert missing.status_code == 400 and missing.json()["code"] == "idempotency_key_required"
    assert "Idempotency-Key" in missing.json()["message"] and "幂等键" in missing.json()["message"]
    assert blank.json()["code"] == "idempotency_key_required"
    assert JournalEntry.objects.count() == entries

    first = cashier("post", f"/{loan}/repayments", {"amount": "888.49"}, key="k-1", day=day)
    other_amount = cashier("post", f"/{loan}/repayments", {"amount": "100.00"}, key="k-1", day=day)
    other_kind = cashier("post", f"/{loan}/waivers", {"component": "interest", "amount": "888.49", "reason": "x"},
                         key="k-1", day=day)
    disbursement_key = cashier("post", f"/{loan}/repayments", {"amount": "10000"}, key="disburse-1", day=day)
    assert first.status_code == 201
    for refused in (other_amount, other_kind, disbursement_key):
        assert refused.status_code == 422 and refused.json()["code"] == "idempotency_key_reused", refused.json()
    assert "k-1" in other_amount.json()["message"]
    assert Transaction.objects.filter(kind="repayment").count() == 1


def test_bad_input_is_refused_and_nothing_posted(clerks, loan, debtor):
    maker, checker, cashier = clerks
    feb = date(2026, 2, 15)
    entries = JournalEntry.objects.count()

    negative = cashier("post", f"/{loan}/repayments", {"amount": "-5"}, key="b1", day=feb)
    float_amount = cashier("post", f"/{loan}/repayments", {"amount": 888.49}, key="b2", day=feb)
    three_places = cashier("post", f"/{loan}/repayments", {"amount": "1.005"}, key="b3", day=feb)
    before_disbursement = cashier("post", f"/{loan}/repayments", {"amount": "100", "day": "2026-01-10"},
                                  key="b4", day=feb)
    future = cashier("post", f"/{loan}/repayments", {"amount": "100", "day": "2026-03-01"}, key="b5", day=feb)
    bad_method = cashier("post", f"/{loan}/repayments", {"amount": "100", "method": "bitcoin"}, key="b6", day=feb)

    assert negative.status_code == 400 and negative.json()["code"] == "validation_failed"
    assert "大于0" in negative.json()["message"]
    assert float_amount.status_code == 422 and float_amount.json()["details"][0]["field"] == "payload.amount"
    assert three_places.status_code == 400 and "两位小数" in three_places.json()["message"]
    assert before_disbursement.status_code == 400 and "早于放款日" in before_disbursement.json()["message"]
    assert future.status_code == 400 and "晚于营业日" in future.json()["message"]
    assert bad_method.status_code == 422

    # A draft and an approved-but-not-disbursed IOU: no payment, no write-off.
    draft = maker("post", "", {"customer_id": debtor.pk, "principal": "1000", "term": 3, "rate_text": "12%"},
                  day=feb).json()["id"]
    unpaid = cashier("post", f"/{draft}/repayments", {"amount": "100"}, key="b7", day=feb)
    write_off = cashier("post", f"/{draft}/write-off", {"reason": "试试"}, key="b8", day=feb)
    assert unpaid.status_code == 400 and unpaid.json()["code"] == "invalid_state" and "草稿" in unpaid.json()["message"]
    assert write_off.status_code == 400 and write_off.json()["code"] == "invalid_state"
    assert "草稿" in write_off.json()["message"] and "核销" in write_off.json()["message"]
    maker("post", f"/{draft}/submit", day=feb)
    checker("post", f"/{draft}/approve", {}, day=feb)
    approved_only = cashier("post", f"/{draft}/repayments", {"amount": "100"}, key="b9", day=feb)
    assert approved_only.status_code == 400 and "已批准" in approved_only.json()["message"]
    assert JournalEntry.objects.count() == entries

    # Reversing a reversal, and reversing twice.
    paid = cashier("post", f"/{loan}/repayments", {"amount": "888.49"}, key="p1", day=feb).json()
    reversal = cashier("post", f"/{loan}/transactions/{paid['id']}/reversal", {"reason": "退票"}, key="x1",
                       day=feb).json()
    entries = JournalEntry.objects.count()
    of_reversal = cashier("post", f"/{loan}/transactions/{reversal['id']}/reversal", {"reason": "再次"}, key="x2",
                          day=feb)
    twice = cashier("post", f"/{loan}/transactions/{paid['id']}/reversal", {"reason": "再次"}, key="x3", day=feb)
    no_reason = cashier("post", f"/{loan}/transactions/{paid['id']}/reversal", {}, key="x4", day=feb)
    assert of_reversal.status_code == 400 and "冲正交易不能再冲正" in of_reversal.json()["message"]
    assert twice.status_code == 400 and "已于此前冲正" in twice.json()["message"]
    assert no_reason.status_code == 400
    assert cashier("post", f"/{loan}/transactions/999999/reversal", {"reason": "x"}, key="x5",
                   day=feb).status_code == 404

    # Repaying a settled IOU.
    feb20 = date(2026, 2, 20)
    quote = cashier("get", f"/{loan}/settlement-quote", day=feb20).json()
    settled = cashier("post", f"/{loan}/early-settlement", {"amount": quote["total"]}, key="s1", day=feb20)
    assert settled.status_code == 201, (quote, settled.json())
    entries = JournalEntry.objects.count()
    after = cashier("post", f"/{loan}/repayments", {"amount": "1"}, key="b10", day=date(2026, 2, 21))
    assert after.status_code == 400 and after.json()["code"] == "invalid_state" and "已结清" in after.json()["message"]
    assert JournalEntry.objects.count() == entries
    assert verify().ok


def test_early_settlement_on_a_due_date(clerks, loan):
    """No broken-period interest and no prepayment fee: nothing extra to post (fixed in e38143e)."""
    _, _, cashier = clerks
    feb15 = date(2026, 2, 15)
    quote = cashier("get", f"/{loan}/settlement-quote", day=feb15).json()
    assert quote["broken_interest"] == "0.00" and quote["total"] == "10100.00"
    settled = cashier("post", f"/{loan}/early-settlement", {"amount": "10100.00"}, key="s1", day=feb15)
    assert settled.status_code == 201, settled.json()


def test_scope_other_branch_sees_nothing(clerks, loan, call, make_branch, make_staff):
    west = make_branch("W1", "西城网点")
    outsider = call(make_staff("west", role="财务", branch=west))

    assert outsider("get", "").json()["count"] == 0
    assert outsider("get", f"/{loan}").status_code == 404
    assert outsider("get", f"/{loan}/schedule").status_code == 404
    response = outsider("post", f"/{loan}/repayments", {"amount": "100"}, key="w-1", day=date(2026, 2, 15))
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not Transaction.objects.filter(kind="repayment").exists()


def test_permissions_follow_the_roles(clerks, debtor, call, make_staff):
    maker, checker, cashier = clerks
    iou_id = maker("post", "", {"customer_id": debtor.pk, "principal": "1000", "term": 3, "rate_text": "12%"}).json()["id"]
    maker("post", f"/{iou_id}/submit")

    own_approval = maker("post", f"/{iou_id}/approve", {})
    assert own_approval.status_code == 403 and own_approval.json()["code"] == "permission_denied"
    checker("post", f"/{iou_id}/approve", {})
    disburse = maker("post", f"/{iou_id}/disburse", {}, key="d-1")
    assert disburse.status_code == 403 and disburse.json()["code"] == "permission_denied"
    assert checker("post", f"/{iou_id}/repayments", {"amount": "1"}, key="r-1").status_code == 403
    assert cashier("post", "", {"customer_id": debtor.pk, "principal": "1", "term": 1, "rate_text": "0%"}).status_code == 403
    assert not JournalEntry.objects.exists()
    assert call(make_staff("nobody"))("get", f"/{iou_id}").status_code == 403
