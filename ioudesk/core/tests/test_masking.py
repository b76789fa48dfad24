import pytest

from ioudesk.core.masking import mask_bank_account, mask_id_number, mask_name, mask_phone


def test_the_usual_values_keep_the_agreed_characters():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_bank_account("6222021234567890123") == "6222 **** **** 0123"
    assert mask_name("张三丰") == "张**"


def test_the_birth_date_never_shows_in_a_masked_id_number():
    for id_number in ("11010519491231002X", "110105491231002", " 44030119900307123x"):
        masked = mask_id_number(id_number)
        assert "1949" not in masked and "1231" not in masked and "0307" not in masked
        assert len(masked) == len(id_number.strip())
    assert mask_id_number("44030119900307123x") == "440301********123X"


def test_input_as_people_type_it_is_normalised_first():
    assert mask_id_number("１１０１０５１９４９１２３１００２Ｘ") == "110105********002X"  # full-width IME input
    assert mask_phone("138 1234 5678") == "138****5678"
    assert mask_phone("+8613812345678") == mask_phone("0086 138-1234-5678") == "+86 138****5678"
    assert mask_bank_account("6222-0212-3456-7890") == "6222 **** **** 7890"


def test_bank_account_masks_do_not_reveal_the_length():
    assert mask_bank_account("622202123456789") == "6222 **** **** 6789"
    assert len(mask_bank_account("6222021234567")) == len(mask_bank_account("62220212345678901234567"))


@pytest.mark.parametrize("mask", [mask_id_number, mask_phone, mask_bank_account, mask_name])
@pytest.mark.parametrize("value", ["", None, "   "])
def test_empty_input_gives_an_empty_string(mask, value):
    assert mask(value) == ""


@pytest.mark.parametrize(
    ("mask", "value", "expected"),
    [
        (mask_id_number, "E1234567", "******67"),
        (mask_id_number, "1", "*"),
        (mask_phone, "95588", "****8"),
        (mask_phone, "12", "**"),
        (mask_bank_account, "12345678", "**** 5678"),
        (mask_bank_account, "12345", "**** 45"),
        (mask_bank_account, "123", "**3"),
        (mask_name, "张", "*"),
        (mask_name, "欧阳娜娜", "欧***"),
    ],
)
def test_short_values_show_at_most_half_and_never_raise(mask, value, expected):
    assert mask(value) == expected
    visible = sum(1 for char in expected if char not in "* ")
    assert visible <= max(len(value) // 2, 1) or mask is mask_name
