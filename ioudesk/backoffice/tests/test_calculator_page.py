"""The 贷款计算器 page: numbers from ioudesk.calc, the cap verdict, Excel export and print view."""

from decimal import Decimal
from io import BytesIO

from django.urls import reverse
from openpyxl import load_workbook

URL = reverse("backoffice:calculator")
MORTGAGE = {"principal": "1000000", "rate": "4.9%", "term": "360", "method": "equal_installment",
            "frequency": "monthly", "day_count": "30/360", "start": "2025-01-15", "business_day": "none",
            "last_installment": "settle_balance", "deducted_interest": "0", "fee": "0", "upfront_fee": "0"}


def test_schedule_summary_and_cap_verdict(client, make_staff):
    client.force_login(make_staff("zhangwei", role="客户经理"))

    page = client.get(URL, MORTGAGE).content.decode()

    assert "¥5,307.27" in page
    assert "998,776.06" in page  # balance after the first installment
    assert "在保护范围内" in page
    assert "上限为年化 12.40%" in page  # 4 × the 3.10 % one-year LPR in force since 2024-10-21


def test_flat_loan_with_deducted_interest_exceeds_the_cap(client, make_staff):
    client.force_login(make_staff("zhangwei", role="客户经理"))
    flat = {**MORTGAGE, "principal": "10000", "rate": "月息1分", "term": "12", "method": "flat",
            "deducted_interest": "1000", "start": "2025-06-01"}

    page = client.get(URL, flat).content.decode()

    assert "超过保护上限" in page
    assert "¥9,000.00" in page  # what the borrower actually received


def test_bad_input_is_explained_and_the_form_kept(client, make_staff):
    client.force_login(make_staff("zhangwei", role="客户经理"))

    page = client.get(URL, {**MORTGAGE, "term": "10000"}).content.decode()

    assert "10000" in page and "600" in page and 'data-testid="schedule-table"' not in page


def test_excel_export_has_numbers_not_text(client, make_staff):
    client.force_login(make_staff("zhangwei", role="客户经理"))

    response = client.get(URL, {**MORTGAGE, "term": "12", "principal": "120000", "rate": "12%", "export": "xlsx"})
    sheet = load_workbook(BytesIO(response.content)).active
    rows = [row for row in sheet.iter_rows(values_only=True) if row and isinstance(row[0], int)]

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert len(rows) == 12
    assert sum(Decimal(str(row[2])) for row in rows) == Decimal("120000.00")
    assert rows[0][3] == 1200  # first month's interest on ¥120,000 at 1 %


def test_print_view(client, make_staff):
    client.force_login(make_staff("zhangwei", role="客户经理"))

    page = client.get(URL, {**MORTGAGE, "print": "1"}).content.decode()

    assert "壹佰万元整" in page and "window.print()" in page


def test_page_needs_a_login(client, organisation):
    assert client.get(URL).status_code == 302
