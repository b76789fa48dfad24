"""The calculator CLI, called through main() as `ioudesk calc …` does."""
import json
from decimal import Decimal

import pytest

from ioudesk.calc.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_schedule_json_has_the_documented_shape(capsys):
    code, out, _ = run(capsys, "schedule", "--principal", "100000", "--rate", "12%", "--term", "12",
                       "--method", "equal_installment", "--start", "2025-01-15", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"principal", "periodic_payment", "total_principal", "total_interest", "total_payment",
                         "annualised_rate", "installments"}
    assert (data["principal"], data["periodic_payment"], data["annualised_rate"]) == ("100000.00", "8884.88", "12.00")
    first = data["installments"][0]
    assert first == {"number": 1, "due_date": "2025-02-15", "principal": "7884.88", "interest": "1000.00",
                     "fee": "0.00", "total": "8884.88", "balance": "92115.12"}
    assert sum(Decimal(row["principal"]) for row in data["installments"]) == Decimal("100000.00")


def test_schedule_accepts_chinese_rates_fees_and_a_broken_first_period(capsys):
    code, out, _ = run(capsys, "schedule", "--principal", "10000", "--rate", "月息1分", "--term", "6",
                       "--method", "flat", "--start", "2025-01-31", "--first-due", "2025-03-10",
                       "--deducted-interest", "600", "--fee", "10", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["installments"][0]["due_date"] == "2025-03-10"
    assert {row["fee"] for row in data["installments"]} == {"10.00"}
    assert Decimal(data["annualised_rate"]) > 12


def test_schedule_table_is_readable_chinese(capsys):
    code, out, _ = run(capsys, "schedule", "--principal", "1000000", "--rate", "4.9%", "--term", "360",
                       "--start", "2025-01-15")
    assert code == 0
    assert "等额本息" in out and "5,307.27" in out and "年化利率" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--principal", "0", "--rate", "12%", "--term", "12"], "本金必须大于0"),
        (["--principal", "100000", "--rate", "12%", "--term", "10000"], "1到600"),
        (["--principal", "100000", "--rate", "500%", "--term", "12"], "超过上限"),
        (["--principal", "100000.001", "--rate", "12%", "--term", "12"], "最多两位小数"),
        (["--principal", "100000", "--rate", "12%", "--term", "12", "--start", "2025-02-30"], "只有28天"),
        (["--principal", "100000", "--rate", "0.12", "--term", "12"], "含义不明"),
    ],
)
def test_bad_schedule_input_exits_1_with_the_reason(capsys, argv, message):
    code, out, err = run(capsys, "schedule", *argv)
    assert code == 1
    assert message in err and "Traceback" not in err
    assert out == ""


def test_usage_errors_exit_2(capsys):
    code, _, err = run(capsys, "schedule", "--principal", "1", "--rate", "1%", "--term", "1", "--method", "nope")
    assert code == 2 and "参数错误" in err
    assert run(capsys)[0] == 2


def test_words(capsys):
    assert run(capsys, "words", "1409.50") == (0, "壹仟肆佰零玖元伍角\n", "")
    assert run(capsys, "words", "1409.50", "--prefix")[1] == "人民币壹仟肆佰零玖元伍角\n"


def test_cap_json_with_a_rate(capsys):
    code, out, _ = run(capsys, "cap", "--contract-date", "2024-10-21", "--rate", "15%", "--json")
    data = json.loads(out)
    assert code == 0
    assert (data["contract_date"], data["lpr_1y"], data["cap_rate"]) == ("2024-10-21", "3.10", "12.40")
    assert (data["rate"], data["within_cap"]) == ("15.00", False)
    assert "第25条" in data["rule"]


def test_cap_without_a_rate_has_no_verdict(capsys):
    data = json.loads(run(capsys, "cap", "--contract-date", "2024-10-21", "--json")[1])
    assert set(data) == {"contract_date", "lpr_1y", "cap_rate", "rule"}


def test_check_id(capsys):
    code, out, _ = run(capsys, "check-id", "11010519491231002x")
    assert code == 0 and "1949-12-31" in out and "女" in out
    code, out, err = run(capsys, "check-id", "110105194912310021")
    assert code == 1 and "校验位" in err and out == ""


def test_check_uscc(capsys):
    assert run(capsys, "check-uscc", "91350100M000100Y43")[0] == 0
    code, _, err = run(capsys, "check-uscc", "91350100M000100Y44")
    assert code == 1 and "校验位" in err


def test_limitation(capsys):
    code, out, _ = run(capsys, "limitation", "--last-due", "2022-03-01", "--interruption", "2024-06-10:partial_payment",
                       "--json")
    assert code == 0
    assert json.loads(out)["expires_on"] == "2027-06-10"


def test_classify(capsys):
    code, out, _ = run(capsys, "classify", "--dpd", "100", "--json")
    assert code == 0
    assert json.loads(out) == {"dpd": 100, "bucket": "M4", "floor": "次级", "non_performing": True}


def test_limitation_takes_several_interruptions(capsys):
    code, out, _ = run(capsys, "limitation", "--last-due", "2020-01-01", "--interruption", "2022-06-01",
                       "2025-03-03:acknowledgement", "--json")
    assert code == 0 and json.loads(out)["expires_on"] == "2028-03-03"
