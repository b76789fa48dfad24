"""One Idempotency-Key, one request, on every money endpoint and the extension (issue 9, defect 21).

Given the worked example (¥10,000 lent on 2026-01-15 at 12 %, 12 monthly installments of ¥888.49,
disbursed with the key "disburse-1"), for each endpoint: the first request posts; the same key with
the same body answers the same 201 body with ``Idempotent-Replayed: true`` and posts nothing; the
same key with any other body, or sent to another endpoint, is refused with 422
``idempotency_key_reused`` and posts nothing either.
"""

import threading
from datetime import date

import pytest
from django.db import connection
from django.test import Client

from ioudesk.api.services import api_token_issue
from ioudesk.api.tests import test_api_ious as worked
from ioudesk.core import clock
from ioudesk.ious.models import Iou, ScheduleVersion, Transaction
from ioudesk.ledger.models import JournalEntry
from ioudesk.ledger.verify import verify

FEB15 = date(2026, 2, 15)
call, clerks, loan = worked.call, worked.clerks, worked.loan  # the worked example's fixtures


def books():
    return Transaction.objects.count(), JournalEntry.objects.count(), ScheduleVersion.objects.count()


def check_one_key_one_request(cashier, path, body, others, *, key, day=FEB15, sent_before=False):
    """`others`: (path, body) pairs that differ from the first request; each must be refused.
    `sent_before`: the first request here is itself a retry (the fixture sent it)."""
    first = cashier("post", path, body, key=key, day=day)
    assert first.status_code == 201, first.json()
    before = books()

    again = cashier("post", path, body, key=key, day=day)
    refused = [(other_path, other_body, cashier("post", other_path, other_body, key=key, day=day))
               for other_path, other_body in others]

    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert first.has_header("Idempotent-Replayed") == sent_before
    for other_path, other_body, response in refused:
        assert (response.status_code, response.json()["code"]) == (422, "idempotency_key_reused"), (
            other_path, other_body, response.json())
        assert key in response.json()["message"] and "本次未入账" in response.json()["message"]
        assert not response.has_header("Idempotent-Replayed")
    assert books() == before
    return first.json()


def test_disbursement(clerks, loan):
    _, _, cashier = clerks
    path = f"/{loan}/disburse"
    check_one_key_one_request(cashier, path, {}, [
        (path, {"reference": "FK-2"}), (path, {"day": "2026-01-15"}), (path, {"funding_account": "1001"}),
    ], key="disburse-1", day=date(2026, 1, 15), sent_before=True)


def test_repayment_with_another_day_method_payer_or_reference_is_refused(clerks, loan):
    _, _, cashier = clerks
    path = f"/{loan}/repayments"
    body = {"amount": "888.49", "method": "bank_transfer", "payer": "王建国", "reference": "YH-1"}

    check_one_key_one_request(cashier, path, body, [
        (path, {**body, "amount": "888.50"}),
        (path, {**body, "day": "2026-02-14"}),
        (path, {**body, "method": "wechat"}),
        (path, {**body, "payer": "李四"}),
        (path, {**body, "reference": "YH-2"}),
        (f"/{loan}/early-settlement", {"amount": "888.49", "method": "bank_transfer", "payer": "王建国",
                                       "reference": "YH-1"}),
        (f"/{loan}/waivers", {"component": "interest", "amount": "888.49", "reason": "x"}),
        (f"/{loan}/extensions", {"term": 6, "reason": "展期"}),
    ], key="pay-1")

    assert Iou.objects.get(pk=loan).status == "active"  # the early settlement was not taken as done


def test_a_repayments_key_sent_to_early_settlement_does_not_settle(clerks, loan):
    _, _, cashier = clerks
    paid = cashier("post", f"/{loan}/repayments", {"amount": "888.49"}, key="k-1", day=FEB15)
    quote = cashier("get", f"/{loan}/settlement-quote", day=FEB15).json()

    reused = cashier("post", f"/{loan}/early-settlement", {"amount": quote["total"]}, key="k-1", day=FEB15)
    settled = cashier("post", f"/{loan}/early-settlement", {"amount": quote["total"]}, key="k-2", day=FEB15)

    assert paid.status_code == 201 and reused.status_code == 422
    assert settled.status_code == 201 and "Idempotent-Replayed" not in settled
    assert Iou.objects.get(pk=loan).status == "settled"


def test_waiver(clerks, loan):
    _, _, cashier = clerks
    path = f"/{loan}/waivers"
    body = {"component": "interest", "amount": "10.00", "reason": "首期优惠"}
    check_one_key_one_request(cashier, path, body, [
        (path, {**body, "amount": "20.00"}), (path, {**body, "reason": "另一原因"}),
        (path, {**body, "component": "penalty"}),
    ], key="w-1")


def test_reversal(clerks, loan):
    _, _, cashier = clerks
    first = cashier("post", f"/{loan}/repayments", {"amount": "100.00"}, key="r1", day=FEB15).json()
    second = cashier("post", f"/{loan}/repayments", {"amount": "200.00"}, key="r2", day=FEB15).json()
    path = f"/{loan}/transactions/{second['id']}/reversal"
    check_one_key_one_request(cashier, path, {"reason": "银行退票"}, [
        (path, {"reason": "重复登记"}),
        (f"/{loan}/transactions/{first['id']}/reversal", {"reason": "银行退票"}),
    ], key="x-1")


def test_early_settlement(clerks, loan):
    _, _, cashier = clerks
    quote = cashier("get", f"/{loan}/settlement-quote", day=FEB15).json()
    path = f"/{loan}/early-settlement"
    body = {"amount": quote["total"], "method": "bank_transfer"}
    check_one_key_one_request(cashier, path, body, [
        (path, {**body, "method": "cash"}), (path, {**body, "reference": "JQ-2"}),
        (f"/{loan}/repayments", body),
    ], key="s-1")


def test_refund(clerks, loan):
    _, _, cashier = clerks
    cashier("post", f"/{loan}/repayments", {"amount": "1000.00"}, key="r1", day=FEB15)  # ¥111.51 overpaid
    path = f"/{loan}/refunds"
    check_one_key_one_request(cashier, path, {}, [
        (path, {"amount": "100.00"}), (path, {"method": "cash"}), (path, {"reference": "TK-2"}),
    ], key="rf-1")


def test_write_off_and_recovery(clerks, loan):
    _, _, cashier = clerks
    path = f"/{loan}/write-off"
    body = {"reason": "债务人失联", "recovery_method": "write_off"}
    check_one_key_one_request(cashier, path, body, [(path, {**body, "reason": "债务人死亡"})], key="wo-1",
                              day=date(2026, 7, 19))

    path = f"/{loan}/recoveries"
    body = {"amount": "1200.00", "payer": "王建国"}
    check_one_key_one_request(cashier, path, body, [
        (path, {**body, "payer": "担保人"}), (path, {**body, "day": "2026-08-31"}),
        (path, {**body, "method": "cash"}),
    ], key="rc-1", day=date(2026, 9, 1))


def test_extension_with_another_term_is_refused(clerks, loan):
    _, _, cashier = clerks
    path = f"/{loan}/extensions"
    body = {"term": 6, "reason": "客户经营困难申请展期"}
    first = check_one_key_one_request(cashier, path, body, [
        (path, {**body, "term": 7}), (path, {**body, "rate_text": "10%"}),
        (f"/{loan}/repayments", {"amount": "888.49"}),
    ], key="ext-1", day=date(2026, 5, 21))

    assert first["version"] == 2 and ScheduleVersion.objects.filter(iou_id=loan).count() == 2
    assert verify().ok


# --- two requests with one key at the same moment -------------------------------------------------


def same_key_at_once(loan_id, user, *, requests=4):
    """`requests` clients send the same repayment with one key at the same moment."""
    _, token = api_token_issue(user=user, name="并发")
    start = threading.Barrier(requests)
    answers, errors = [], []

    def send():
        try:
            with clock.frozen(FEB15):
                start.wait(timeout=30)
                response = Client().post(
                    f"/api/v1/ious/{loan_id}/repayments", data={"amount": "888.49"}, content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_IDEMPOTENCY_KEY="same-moment")
            answers.append((response.status_code, response.get("Idempotent-Replayed"), response.content))
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers, errors


def check_one_posted(loan_id, answers, errors, requests=4):
    assert errors == [] and len(answers) == requests
    assert {status for status, _, _ in answers} == {201}
    assert sorted(replayed or "" for _, replayed, _ in answers) == [""] + ["true"] * (requests - 1)
    assert len({body for _, _, body in answers}) == 1
    assert Transaction.objects.filter(iou_id=loan_id, kind="repayment").count() == 1
    assert verify().ok


@pytest.mark.django_db(transaction=True)
def test_same_key_at_the_same_moment_on_sqlite(sqlite_file_db, clerks, loan, finance):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has its own test")
    answers, errors = same_key_at_once(loan, finance)
    check_one_posted(loan, answers, errors)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_same_key_at_the_same_moment_on_postgresql(clerks, loan, finance):
    answers, errors = same_key_at_once(loan, finance)
    check_one_posted(loan, answers, errors)
