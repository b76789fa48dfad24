from datetime import date

import pytest

from ioudesk.calc import idcheck, uscc
from ioudesk.calc.errors import (
    InvalidBirthDate,
    InvalidCharacter,
    InvalidChecksum,
    InvalidLength,
    InvalidRegion,
)


def test_the_standards_sample_id_number():
    # Source: GB 11643-1999 § 8 example 11010519491231002X (a woman born 31 December 1949)
    card = idcheck.validate("11010519491231002X")
    assert (card.birth_date, card.sex, card.region_code) == (date(1949, 12, 31), "女", "110105")


def test_lowercase_x_is_accepted_and_stored_uppercase():
    assert idcheck.validate("11010519491231002x").number == "11010519491231002X"


def test_an_area_code_not_in_any_list_is_still_valid():
    # 8xxxxx (Hong Kong/Macao residence permits) and retired area codes are not refused
    number = "810000199001011" + "23"
    number += idcheck.check_character(number[:17])
    number = number[:17] + idcheck.check_character(number[:17])
    assert idcheck.is_valid(number)


def test_a_man_has_an_odd_sequence_digit():
    number = "32010619800101001"
    number += idcheck.check_character(number)
    assert idcheck.validate(number).sex == "男"


@pytest.mark.parametrize(
    ("number", "error", "reason"),
    [
        ("110105194912310021", InvalidChecksum, "校验位应为X"),
        ("1101051949123100", InvalidLength, "当前为16位"),
        ("110105491231002", InvalidLength, "15位的旧身份证号"),
        ("11010519491231002A", InvalidCharacter, "数字或X"),
        ("910105194912310029", InvalidRegion, "1至8"),
        ("110105194902300027", InvalidBirthDate, "不存在"),
    ],
)
def test_id_errors_say_what_is_wrong(number, error, reason):
    with pytest.raises(error, match=reason):
        idcheck.validate(number)


def test_a_birth_date_in_the_future_is_refused():
    number = "11010520990101001"
    number += idcheck.check_character(number)
    with pytest.raises(InvalidBirthDate, match="晚于今天"):
        idcheck.validate(number, today=date(2026, 1, 1))


def test_mask_hides_birth_date_and_sequence():
    assert idcheck.mask("11010519491231002X") == "110105********002X"


def test_uscc_with_a_valid_check_character():
    code = uscc.validate("91350100M000100Y43")
    assert (code.registration_authority, code.organisation_type, code.region_code) == ("9", "1", "350100")


@pytest.mark.parametrize("authority", ["A", "N", "Y"])
def test_uscc_from_authorities_a_n_y_are_valid(authority):
    # python-stdnum's cn.uscc refuses these; GB 32100-2015 allows them
    body = authority + "1110000MA0000001"
    assert uscc.is_valid(body + uscc.check_character(body))


@pytest.mark.parametrize(
    ("code", "error", "reason"),
    [
        ("91350100M000100Y44", InvalidChecksum, "校验位应为3"),
        ("91350100M000100Y4", InvalidLength, "当前为17位"),
        ("91350100M00O100Y43", InvalidCharacter, "O"),
        ("B1350100M000100Y43", InvalidCharacter, "登记管理部门"),
    ],
)
def test_uscc_errors_say_what_is_wrong(code, error, reason):
    with pytest.raises(error, match=reason):
        uscc.validate(code)
