from datetime import date

import pytest

from ioudesk.calc.dates import BusinessDay, Frequency, add_months, adjust_business_day, due_dates, parse_date
from ioudesk.calc.daycount import DayCount
from ioudesk.calc.errors import InvalidDate, InvalidOption


def test_month_end_rule_anchors_on_the_start_day():
    # given a loan drawn on 31 January; then due dates clip to February's end and return to the 31st
    dues = due_dates(date(2025, 1, 31), 4, Frequency.MONTHLY)
    assert dues == [date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30), date(2025, 5, 31)]


def test_month_end_rule_in_a_leap_year():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


@pytest.mark.parametrize(
    ("frequency", "expected"),
    [
        (Frequency.QUARTERLY, [date(2025, 4, 15), date(2025, 7, 15)]),
        (Frequency.WEEKLY, [date(2025, 1, 22), date(2025, 1, 29)]),
        (Frequency.BIWEEKLY, [date(2025, 1, 29), date(2025, 2, 12)]),
        (Frequency.DAILY, [date(2025, 1, 16), date(2025, 1, 17)]),
    ],
)
def test_frequencies(frequency, expected):
    assert due_dates(date(2025, 1, 15), 2, frequency) == expected


def test_a_date_that_does_not_exist_is_explained():
    with pytest.raises(InvalidDate, match="2025年2月只有28天"):
        parse_date("2025-02-30")
    with pytest.raises(InvalidDate, match="格式不正确"):
        parse_date("15/01/2025")


def test_first_due_must_follow_the_start():
    with pytest.raises(InvalidDate, match="必须晚于放款日"):
        due_dates(date(2025, 1, 15), 3, Frequency.MONTHLY, first_due=date(2025, 1, 10))


def test_national_day_holiday_moves_forward_or_back():
    # 2025 National Day holiday: 1–8 October (国办发明电〔2024〕12号); 9 October is a workday
    assert adjust_business_day(date(2025, 10, 3), BusinessDay.FOLLOWING) == date(2025, 10, 9)
    assert adjust_business_day(date(2025, 10, 3), BusinessDay.PRECEDING) == date(2025, 9, 30)


def test_a_weekend_worked_in_lieu_is_a_working_day():
    # Sunday 28 September 2025 was a working day in lieu of the National Day holiday
    assert adjust_business_day(date(2025, 9, 28), BusinessDay.FOLLOWING) == date(2025, 9, 28)


def test_years_outside_the_holiday_data_fall_back_to_weekends():
    # 2099 is beyond chinesecalendar's data: Saturday 3 January moves to Monday 5 January
    assert adjust_business_day(date(2099, 1, 3), BusinessDay.FOLLOWING) == date(2099, 1, 5)


def test_day_counts():
    start, end = date(2024, 2, 1), date(2024, 3, 1)
    assert DayCount.THIRTY_360.days(start, end) == 30
    assert DayCount.ACT_360.days(start, end) == 29
    assert DayCount.THIRTY_360.days(date(2025, 1, 31), date(2025, 3, 31)) == 60


def test_unknown_options_list_the_allowed_values():
    with pytest.raises(InvalidOption, match="monthly"):
        Frequency.parse("fortnightly")
    with pytest.raises(InvalidOption, match="30/360"):
        DayCount.parse("ACT/ACT")
