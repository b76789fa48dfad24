"""POST /api/v1/calc/*: the same numbers and messages as the command line."""

import json

import pytest

from ioudesk.api.services import api_token_issue


@pytest.fixture
def api(client, make_staff):
    _, token = api_token_issue(user=make_staff("chenjing", role="财务"), name="测试")

    def post(path, payload, **headers):
        return client.post(f"/api/v1/calc/{path}", json.dumps(payload), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {token}", **headers)

    return post


def test_schedule_of_the_classic_mortgage(api):
    response = api("schedule", {"principal": "1000000", "rate": "4.9%", "term": 360, "start": "2025-01-15"})

    body = response.json()
    assert response.status_code == 200
    assert body["periodic_payment"] == "5307.27"
    assert body["total_principal"] == "1000000.00"
    assert body["installments"][0] == {
        "number": 1, "due_date": "2025-02-15", "principal": "1223.94", "interest": "4083.33", "fee": "0.00",
        "total": "5307.27", "balance": "998776.06",
    }
    assert len(body["installments"]) == 360 and body["installments"][-1]["balance"] == "0.00"


def test_schedule_matches_the_cli(api, capsys):
    from ioudesk.calc.cli import main

    args = {"principal": "100000", "rate": "月息1分", "term": 12, "method": "equal_principal", "start": "2025-01-31"}
    main(["schedule", "--principal", "100000", "--rate", "月息1分", "--term", "12", "--method", "equal_principal",
          "--start", "2025-01-31", "--json"])

    assert api("schedule", args).json() == json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("payload", "code", "fragment"),
    [
        ({"principal": "0", "rate": "12%", "term": 12}, "invalid_amount", "本金"),
        ({"principal": "100.123", "rate": "12%", "term": 12}, "invalid_amount", "两位小数"),
        ({"principal": "10000", "rate": "500%", "term": 12}, "rate_out_of_range", "利率"),
        ({"principal": "10000", "rate": "12%", "term": 10000}, "invalid_term", "600"),
        ({"principal": "10000", "rate": "12%", "term": 12, "start": "2025-02-30"}, "validation_failed", "start"),
    ],
)
def test_bad_input_is_answered_in_one_shape(api, payload, code, fragment):
    response = api("schedule", payload)

    body = response.json()
    assert response.status_code in (400, 422)
    assert body["code"] == code and fragment in body["message"], body


def test_bad_input_in_english(api):
    body = api("schedule", {"principal": "0", "rate": "12%", "term": 12}, HTTP_ACCEPT_LANGUAGE="en").json()

    assert body["code"] == "invalid_amount"
    assert body["message"].startswith("The amount")


def test_cap_for_a_contract_of_october_2024(api):
    body = api("cap", {"contract_date": "2024-10-21", "rate": "15%"}).json()

    assert body["lpr_1y"] == "3.10" and body["cap_rate"] == "12.40"
    assert body["rate"] == "15.00" and body["within_cap"] is False


def test_words_and_identity_checks(api):
    assert api("words", {"amount": "1409.50", "prefix": True}).json()["words"] == "人民币壹仟肆佰零玖元伍角"
    assert api("check-id", {"number": "11010519491231002x"}).json()["sex"] == "女"
    bad = api("check-id", {"number": "110105194912310021"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_checksum"
