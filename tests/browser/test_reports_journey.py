"""A manager's look at the reports in the real Chromium, issue 14's second "Done when": the dashboard,
drill-down from the overdue rate to the IOUs behind it, the regulator's monthly table exported and opened
in openpyxl, a report's PDF downloaded and drawn by pdftoppm.

The book (the worked figures of ioudesk/reports/tests/test_a_snapshots.py): two loans at the head office
lent 2026-01-15 at 12 %, equal installments —
    A ¥10,000.00 / 12 months: installment 1 (principal 788.49 + interest 100.00) paid 02-15 → 9,211.51 owed;
    B ¥5,000.00 / 6 months: installment 1 (due 02-15) never paid → overdue since 02-15 (M1, 关注).
The close runs 2026-02-27 … 2026-03-01 (the February month end is snapshotted); business date 03-02.
    balance 9,211.51 + 5,000.00 = 14,211.51; overdue 5,000.00 / 14,211.51 = 35.18 %; no NPL.
"""

import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Finance-pass-2026"
TODAY = date(2026, 3, 2)
SLOW = 20_000  # ms: a page that draws a PDF, on a loaded machine


@pytest.fixture
def book(debtor, manager, approver, finance, settings, tmp_path):
    from ioudesk.core import clock
    from ioudesk.core.models import Organisation
    from ioudesk.ious.models import Iou
    from ioudesk.ious.services.repayment import iou_repay
    from ioudesk.reports.tests.test_a_snapshots import close_through, lend

    settings.IOUDESK_PRIVATE_DIR = str(tmp_path / "private")
    finance.set_password(PASSWORD)
    finance.last_name, finance.first_name = "陈", "静"
    finance.save()
    a = lend(debtor, manager, approver, finance, principal="10000", term=12, on=date(2026, 1, 15))
    b = lend(debtor, manager, approver, finance, principal="5000", term=6, on=date(2026, 1, 15))
    with clock.frozen(date(2026, 2, 15)):
        iou_repay(iou=a, amount=D("888.49"), user=finance, day=date(2026, 2, 15), reference="HK0215")
    close_through(date(2026, 2, 27), date(2026, 3, 1))
    Organisation.objects.update(business_date=TODAY)  # what the live server's pages take as today
    a, b = Iou.objects.get(pk=a.pk), Iou.objects.get(pk=b.pk)
    assert (a.principal_outstanding, b.principal_outstanding, b.status) == (D("9211.51"), D("5000.00"), "overdue")
    return {"a": a, "b": b}


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    tool = shutil.which("pdftotext") or "/usr/bin/pdftotext"
    out = subprocess.run([tool, "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, timeout=60)
    return re.sub(r"\s+", "", out.stdout.decode("utf-8"))


def test_a_manager_reads_the_dashboard_drills_down_exports_and_prints(live_server, page, book, tmp_path):
    from openpyxl import load_workbook

    base = live_server.url
    page.goto(f"{base}/admin/login/")
    page.get_by_label("用户名").fill("chenjing")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    # --- 1. the dashboard: the day's figures from the 03-01 close ---------------------------------
    dashboard = page.get_by_test_id("dashboard")
    expect(dashboard).to_be_visible(timeout=SLOW)
    expect(page.get_by_test_id("fig-balance")).to_have_text("¥14,211.51")
    expect(page.get_by_test_id("fig-overdue-rate")).to_have_text("35.18%")
    expect(page.get_by_test_id("fig-npl-rate")).to_have_text("0.00%")
    expect(page.get_by_test_id("figures-as-of")).to_contain_text("2026-03-01")

    # --- 2. from the overdue rate to the IOUs behind it --------------------------------------------
    page.get_by_test_id("fig-overdue-rate").click()
    report = page.get_by_test_id("report-page")
    expect(report).to_be_visible(timeout=SLOW)
    figures = page.get_by_test_id("report-figures")
    expect(figures).to_contain_text("¥5,000.00")  # the overdue principal: B's
    link = figures.locator("a").first
    link.click()
    expect(page.locator("#result_list")).to_be_visible(timeout=SLOW)
    listing = page.locator("#result_list")
    expect(listing).to_contain_text(book["b"].number)
    expect(listing).not_to_contain_text(book["a"].number)

    # --- 3. the regulator's monthly table of February, exported and read by openpyxl ---------------
    page.goto(base + reverse("backoffice:report", args=["monthly-statistics"]) + "?month=2026-02")
    expect(page.get_by_test_id("report-page")).to_be_visible(timeout=SLOW)
    expect(page.get_by_test_id("report-source")).to_contain_text("2026-02")  # read from the month-end snapshot
    with page.expect_download(timeout=SLOW) as download:
        page.get_by_test_id("report-xlsx").click()
    path = tmp_path / "monthly.xlsx"
    download.value.save_as(path)
    book_xlsx = load_workbook(path)
    cells = [[cell for cell in row] for sheet in book_xlsx.worksheets for row in sheet.iter_rows(values_only=True)]
    balance_rows = [row for row in cells if "各项贷款余额" in [str(v) for v in row if v is not None]]
    assert balance_rows, "the table has its 各项贷款余额 row"
    numbers = [D(str(v)) for v in balance_rows[0] if isinstance(v, (int, float, D)) and not isinstance(v, bool)]
    assert D("14211.51") in numbers and 2 in numbers  # two loans, ¥14,211.51 at the February month end

    # --- 4. a report's PDF, drawn by pdftoppm ------------------------------------------------------
    page.goto(base + reverse("backoffice:report", args=["loan-balance-summary"]))
    expect(page.get_by_test_id("report-page")).to_be_visible(timeout=SLOW)
    # the PDF opens in the browser's viewer (inline): fetched as the logged-in user, as the viewer does
    href = page.get_by_test_id("report-pdf").get_attribute("href")
    response = page.request.get(page.url.split("?")[0] + href, timeout=60_000)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline")
    content = response.body()
    pdf = tmp_path / "summary.pdf"
    pdf.write_bytes(content)
    assert content.startswith(b"%PDF")
    text = _text(content, tmp_path)
    assert "贷款余额汇总" in text and "14,211.51" in text
    tool = shutil.which("pdftoppm") or "/usr/bin/pdftoppm"
    subprocess.run([tool, "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True,
                   timeout=60)
    pngs = sorted(tmp_path.glob("page*.png"))
    assert pngs and pngs[0].stat().st_size > 5_000  # an A4 page with a table on it, not a blank sheet
