"""A finance clerk's (财务) 往来 day in the real Chromium, issue 13's second "Done when": enter a bill
with two lines in the bill form, import a bank statement (China Merchants Bank's .xlsx account
details, written by the statement generator), see 80 % or more of its lines matched automatically,
match the rest by hand, print a statement of account and record the customer's disputed item.

The book, business date 2026-11-30 (no payment terms: each bill's one open item is due on its date):

    杭州明达贸易有限公司  A1 11-02  100 × ¥50.00 +13 %            ¥5,650.00
                          A2 11-05  200 × ¥30.00 +13 %            ¥6,780.00
                          A3 11-30  the bill entered in the form:
                                    120 × ¥45.50 = ¥5,460.00 + 13 % ¥709.80 = ¥6,169.80
                                      1 × ¥300.00 = ¥300.00  +  6 % ¥18.00  =   ¥318.00   → ¥6,487.80
    宁波恒信包装材料有限公司 B0 10-20  25 × ¥210.00 +13 %           ¥5,932.50 (before the statement's period)
                          B1 11-03  10 × ¥1,200.00 +13 %         ¥13,560.00
                          B2 11-06  50 × ¥80.00 +13 %             ¥4,520.00
                          B3 11-10  40 × ¥75.00 +13 %             ¥3,390.00
                          B4 11-12   1 × ¥880.00 +13 %              ¥994.40
                          B5 11-20  60 × ¥150.00 +13 %           ¥10,170.00
    绍兴柯桥锦绣纺织有限公司 C1 11-01 100 × ¥12.00 +13 %            ¥1,356.00
                          C2 11-02  200 × ¥12.00 +13 %            ¥2,712.00
                          C3 11-04  服务 ¥20,000.00 + 6 %        ¥21,200.00
                          C4 11-09  300 × ¥15.00 +13 %            ¥5,085.00

The statement, 11 lines (11-24 … 11-30):
    memo names the bill (摘要单号): A3 ¥6,487.80, A1 ¥5,650.00, B1 ¥13,560.00 (number without its
        dash), C4 ¥5,085.00, B4 ¥994.40                                               → 5 lines
    payer = the customer, amount = exactly one open item (金额一致): A2 ¥6,780.00, B2 ¥4,520.00,
        C3 ¥21,200.00                                                                  → 3 lines
    payer = the customer, its oldest open items sum to it (先到期先核销): C1 + C2 = ¥4,068.00 → 1 line
    a transfer from 王小明's own account (the owner of 恒信包装) ¥3,390.00: nobody's name → by hand to B3
    the bank's fee ¥25.00 (money out): 无需核销, to 6603 财务费用
  automatically: 9 of 11 = 81.8 %.

The statement of account of 宁波恒信包装 for 2026-11-01 — 11-30: opening ¥5,932.50 (B0); billed B1–B5
¥32,634.40; received ¥22,464.40 (B1–B4); closing ¥5,932.50 + ¥32,634.40 − ¥22,464.40 = ¥16,102.50 (B0 + B5,
what the ledger's 1122 says it owes). The customer answers that 6 of B5's 60 cartons came broken:
6 × ¥150.00 × 1.13 = ¥1,017.00 disputed, B5 flagged 有争议.
"""

import os
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
TODAY = date(2026, 11, 30)
SLOW = 20_000  # ms: a page that renders a PDF or imports a file, on a loaded machine
SHOTS = os.environ.get("IOUDESK_SCREENSHOTS", "")  # e.g. /tmp/f- writes /tmp/f-1-bill-form.png …
MINGDA, HENGXIN, JINXIU = "杭州明达贸易有限公司", "宁波恒信包装材料有限公司", "绍兴柯桥锦绣纺织有限公司"


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}{name}.png", full_page=True)


def _goods(quantity, price, rate="13", description="货物"):
    return {"description": description, "quantity": str(quantity), "unit_price": str(price), "tax_rate": rate,
            "kind": "goods", "unit": "个"}


def _pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "statement.pdf"
    path.write_bytes(content)
    tool = shutil.which("pdftotext") or "/usr/bin/pdftotext"
    out = subprocess.run([tool, "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, timeout=30)
    return re.sub(r"\s+", "", out.stdout.decode("utf-8"))


def _pick(page, within, text: str) -> None:
    """Choose ``text`` in the select2 autocomplete ``within`` a part of the page (the customer pickers)."""
    within.locator(".select2-selection").first.click()
    page.keyboard.type(text)
    option = page.locator(".select2-results__option", has_text=text).first
    expect(option).to_be_visible(timeout=SLOW)
    option.click()


@pytest.fixture
def book(finance, manager, head_office, settings, tmp_path):
    from ioudesk.core import clock
    from ioudesk.core.models import Organisation
    from ioudesk.customers.models import Customer
    from ioudesk.customers.services import customer_create
    from ioudesk.receivables.bills import bill_create, bill_post

    settings.IOUDESK_PRIVATE_DIR = str(tmp_path / "private")
    finance.set_password(PASSWORD)
    finance.last_name, finance.first_name = "陈", "静"
    finance.save()
    customers = {name: customer_create(customer=Customer(kind="company", branch=head_office, name=name,
                                                         phone=f"1390101{index:04d}"), user=manager)
                 for index, name in enumerate((MINGDA, HENGXIN, JINXIU))}

    def bill(name, day, *lines, service=False):
        with clock.frozen(day):
            made = bill_create(customer=customers[name], bill_date=day, lines=list(lines), user=finance,
                               kind="service" if service else "sales")
            return bill_post(bill=made, user=finance)

    bills = {
        "A1": bill(MINGDA, date(2026, 11, 2), _goods(100, "50.00")),
        "A2": bill(MINGDA, date(2026, 11, 5), _goods(200, "30.00")),
        "B0": bill(HENGXIN, date(2026, 10, 20), _goods(25, "210.00", description="五层瓦楞纸箱")),
        "B1": bill(HENGXIN, date(2026, 11, 3), _goods(10, "1200.00")),
        "B2": bill(HENGXIN, date(2026, 11, 6), _goods(50, "80.00")),
        "B3": bill(HENGXIN, date(2026, 11, 10), _goods(40, "75.00")),
        "B4": bill(HENGXIN, date(2026, 11, 12), _goods(1, "880.00")),
        "B5": bill(HENGXIN, date(2026, 11, 20), _goods(60, "150.00", description="七层重型纸箱")),
        "C1": bill(JINXIU, date(2026, 11, 1), _goods(100, "12.00")),
        "C2": bill(JINXIU, date(2026, 11, 2), _goods(200, "12.00")),
        "C3": bill(JINXIU, date(2026, 11, 4), {"description": "面料检测服务", "quantity": "1", "unit_price": "20000.00",
                                               "tax_rate": "6", "kind": "service", "unit": "项"}, service=True),
        "C4": bill(JINXIU, date(2026, 11, 9), _goods(300, "15.00")),
    }
    totals = {key: b.total for key, b in bills.items()}
    assert totals == {"A1": D("5650.00"), "A2": D("6780.00"), "B0": D("5932.50"), "B1": D("13560.00"),
                      "B2": D("4520.00"), "B3": D("3390.00"), "B4": D("994.40"), "B5": D("10170.00"),
                      "C1": D("1356.00"), "C2": D("2712.00"), "C3": D("21200.00"), "C4": D("5085.00")}
    Organisation.objects.update(business_date=TODAY)  # what the live server's pages take as today
    return customers, bills


def test_a_finance_clerk_bills_imports_matches_and_reconciles(live_server, page, book, tmp_path):
    from ioudesk.ledger.verify import verify
    from ioudesk.receivables.models import (
        AccountStatement,
        BankStatement,
        Bill,
        Receipt,
        ReceiptStatus,
        StatementDispute,
    )
    from ioudesk.receivables.tests.bankfiles import Line, statement_file, statement_filename

    customers, bills = book
    base = live_server.url
    page.goto(f"{base}/admin/login/")
    page.get_by_label("用户名").fill("chenjing")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    # --- 1. a bill with two lines in the bill form ---------------------------------------------
    # the clerk types the customer's name into the 客户 picker, as on a fresh form
    page.goto(base + reverse("backoffice:receivables_bill_create"))
    form = page.get_by_test_id("bill-form-page")
    expect(form).to_be_visible(timeout=SLOW)
    _pick(page, form, MINGDA)
    expect(page.get_by_label("单据日期")).to_have_value(TODAY.isoformat())
    first = page.get_by_test_id("bill-line").nth(0)
    first.locator("[data-field=description]").fill("不锈钢保温杯")
    first.locator("[data-field=unit]").fill("个")
    first.locator("[data-field=quantity]").fill("120")
    first.locator("[data-field=unit_price]").fill("45.50")
    first.locator("[data-field=tax_rate]").select_option("13")
    page.get_by_test_id("add-line").click()
    second = page.get_by_test_id("bill-line").nth(1)
    second.locator("[data-field=description]").fill("包装及运输服务")
    second.locator("[data-field=kind]").select_option("service")
    second.locator("[data-field=unit]").fill("次")
    second.locator("[data-field=quantity]").fill("1")
    second.locator("[data-field=unit_price]").fill("300.00")
    second.locator("[data-field=tax_rate]").select_option("6")
    net, tax = D("120") * D("45.50") + D("300.00"), D("709.80") + D("18.00")  # 13 % of 5,460.00; 6 % of 300.00
    assert (net, tax, net + tax) == (D("5760.00"), D("727.80"), D("6487.80"))
    expect(page.get_by_test_id("sum-net")).to_have_text("¥5,760.00", timeout=SLOW)
    expect(page.get_by_test_id("sum-tax")).to_have_text("¥727.80")
    expect(page.get_by_test_id("sum-total")).to_have_text("¥6,487.80")
    _shot(page, "1-bill-form")
    page.get_by_test_id("bill-save").click()
    expect(page.get_by_test_id("bill-page")).to_be_visible(timeout=SLOW)
    expect(page.get_by_test_id("bill-status")).to_have_text("草稿")
    page.get_by_test_id("bill-submit").click()  # no sign-off flow in this book: effective at once
    expect(page.get_by_test_id("bill-status")).to_have_text("未结清", timeout=SLOW)
    expect(page.get_by_test_id("bill-open")).to_have_text("¥6,487.80")
    a3 = Bill.objects.get(customer=customers[MINGDA], bill_date=TODAY)
    assert (a3.total, a3.net_amount, a3.tax_amount, a3.lines.count(), a3.status) == (
        D("6487.80"), D("5760.00"), D("727.80"), 2, "open")
    expect(page.get_by_test_id("bill-page")).to_contain_text(a3.number)
    _shot(page, "2-bill-posted")

    # --- 2. the bank statement: CMB's .xlsx, written by the generator --------------------------
    b = bills
    mingda = ("杭州明达贸易有限公司", "571908881110203", "招商银行杭州分行")
    hengxin = ("宁波恒信包装材料有限公司", "3901140009000123456", "中国工商银行宁波分行")
    jinxiu = ("绍兴柯桥锦绣纺织有限公司", "33050163612700001234", "中国建设银行绍兴分行")

    def paid(day, payer, amount, memo):
        name, account, bank = payer
        return Line(day=date(2026, 11, day), amount=amount, name=name, account=account, bank=bank, memo=memo)

    lines = [
        paid(24, jinxiu, D("4068.00"), "10月面料款"),  # C1 + C2, the oldest two
        paid(24, mingda, b["A1"].total, f"货款 {b['A1'].number}"),
        paid(25, hengxin, b["B1"].total, f"付{b['B1'].number.replace('-', '')}"),
        paid(25, hengxin, b["B2"].total, "货款"),
        paid(26, jinxiu, b["C3"].total, "检测服务费"),
        paid(26, jinxiu, b["C4"].total, f"{b['C4'].number} 货款"),
        Line(day=date(2026, 11, 27), amount=D("3390.00"), name="王小明", account="6222021202012345678",
             bank="中国工商银行宁波分行", memo="恒信包装付款"),
        paid(27, mingda, b["A2"].total, "11月货款"),
        paid(28, hengxin, b["B4"].total, f"{b['B4'].number}"),
        Line(day=date(2026, 11, 28), amount=D("25.00"), direction="out", memo="跨行汇款手续费"),
        paid(30, mingda, a3.total, f"{a3.number} 保温杯货款"),
    ]
    assert b["C1"].total + b["C2"].total == D("4068.00")
    data = statement_file("cmb", lines)
    name = statement_filename("cmb", lines=lines)
    assert name.endswith(".xlsx")
    page.goto(base + reverse("backoffice:receivables_import"))
    upload = page.get_by_test_id("statement-upload")
    expect(upload).to_be_visible(timeout=SLOW)
    upload.locator("input[name=file]").set_input_files(files=[{
        "name": name, "buffer": data,
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
    _shot(page, "3-import")
    page.get_by_test_id("statement-upload-submit").click()
    expect(page.get_by_test_id("statement-batch")).to_be_visible(timeout=SLOW)
    counts = page.get_by_test_id("statement-counts")
    expect(counts).to_contain_text("11")
    matched, total = 9, 11
    assert matched * 100 / total >= 80  # 81.8 %
    expect(page.get_by_test_id("statement-matched")).to_have_text("9（81.8%）")
    expect(page.get_by_test_id("statement-lines").get_by_test_id("statement-line")).to_have_count(11)
    _shot(page, "4-import-result")
    batch = BankStatement.objects.get()
    assert (batch.bank, batch.lines_total, batch.lines_new, batch.lines_matched) == ("cmb", 11, 11, 9)
    for key in ("A1", "A2", "A3", "B1", "B2", "B4", "C1", "C2", "C3", "C4"):
        bill = a3 if key == "A3" else b[key]
        bill.refresh_from_db()
        assert (key, bill.status, bill.open_amount) == (key, "paid", D("0.00"))

    # --- 3. the rest by hand: 王小明's transfer to B3, the fee off to 6602 ------------------------
    page.get_by_test_id("statement-queue-link").click()
    queue = page.get_by_test_id("queue-table")
    expect(queue.get_by_test_id("queue-row")).to_have_count(2, timeout=SLOW)
    _shot(page, "5-queue")
    queue.get_by_test_id("queue-row").filter(has_text="王小明").get_by_role("link").click()
    expect(page.get_by_test_id("receipt-page")).to_be_visible(timeout=SLOW)
    expect(page.get_by_test_id("receipt-unmatched")).to_have_text("¥3,390.00")
    picker = page.get_by_test_id("pick-customer")
    _pick(page, picker, HENGXIN)
    picker.get_by_role("button", name="查看未结项").click()
    items = page.get_by_test_id("manual-match").get_by_test_id("open-item")
    expect(items).to_have_count(3, timeout=SLOW)  # B0, B3, B5 still open
    items.filter(has_text=b["B3"].number).locator("input").fill("3390.00")
    expect(page.get_by_test_id("match-total")).to_have_text("¥3,390.00")
    _shot(page, "6-manual-match")
    page.get_by_test_id("match-submit").click()
    expect(page.get_by_test_id("receipt-status")).to_have_text("已核销", timeout=SLOW)
    expect(page.get_by_test_id("allocations")).to_contain_text(b["B3"].number)

    page.goto(base + reverse("backoffice:receivables_match_queue"))
    page.get_by_test_id("queue-table").get_by_test_id("queue-row").filter(has_text="跨行汇款手续费").get_by_role(
        "link").click()
    expect(page.get_by_test_id("receipt-page")).to_be_visible(timeout=SLOW)
    ignore = page.get_by_test_id("ignore")
    ignore.locator("select[name=account_code]").select_option("6603")
    ignore.locator("input[name=reason]").fill("银行跨行汇款手续费")
    ignore.get_by_role("button", name="无需核销").click()
    expect(page.get_by_test_id("receipt-status")).to_have_text("无需核销", timeout=SLOW)
    page.goto(base + reverse("backoffice:receivables_match_queue"))
    expect(page.get_by_test_id("queue-table")).to_contain_text("没有待核销的收付款。")
    assert not Receipt.objects.filter(status__in=[ReceiptStatus.UNMATCHED, ReceiptStatus.PARTIAL]).exists()
    by_hand = Receipt.objects.get(payer_name="王小明")
    assert (by_hand.status, by_hand.customer_id, by_hand.allocations.get().due.bill_id) == (
        "matched", customers[HENGXIN].pk, b["B3"].pk)

    # --- 4. the statement of account of 宁波恒信包装 for November, printed ------------------------
    opening = b["B0"].total
    billed = sum((b[k].total for k in ("B1", "B2", "B3", "B4", "B5")), D("0"))
    received = sum((b[k].total for k in ("B1", "B2", "B3", "B4")), D("0"))
    closing = opening + billed - received
    assert (opening, billed, received, closing) == (D("5932.50"), D("32634.40"), D("22464.40"), D("16102.50"))
    page.goto(base + reverse("backoffice:receivables_statements"))
    issue = page.get_by_test_id("statement-issue")
    expect(issue).to_be_visible(timeout=SLOW)
    chosen = issue.locator("select[name=customer] option", has_text=HENGXIN).get_attribute("value")
    issue.locator("select[name=customer]").select_option(chosen)
    issue.locator("input[name=period_from]").fill("2026-11-01")
    issue.locator("input[name=period_to]").fill("2026-11-30")
    page.get_by_test_id("statement-issue-submit").click()
    expect(page.get_by_test_id("statement-detail")).to_be_visible(timeout=SLOW)
    expect(page.get_by_test_id("statement-closing")).to_have_text("¥16,102.50")
    expect(page.get_by_test_id("statement-figures")).to_contain_text("¥5,932.50")
    _shot(page, "7-statement")
    statement = AccountStatement.objects.get()
    assert (statement.opening, statement.closing) == (opening, closing)
    href = page.get_by_test_id("statement-pdf").get_attribute("href")
    response = page.request.get(base + reverse("backoffice:receivables_statement", args=[statement.pk]) + href)
    assert response.ok and response.body()[:5] == b"%PDF-"
    text = _pdf_text(response.body(), tmp_path)
    for figure in ("16,102.50", "5,932.50", "10,170.00", b["B5"].number, HENGXIN):
        assert figure in text, f"{figure} not in the PDF: {text[:400]}"

    # --- 5. the customer's answer: 6 broken cartons on B5 -----------------------------------------
    disputed = 6 * D("150.00") * D("1.13")
    assert disputed == D("1017.00")
    reply = page.get_by_test_id("statement-reply")
    reply.get_by_label("信息不符（列明不符项目）").check()
    reply.locator("input[name=day]").fill(TODAY.isoformat())
    reply.locator("input[name=note]").fill("客户财务部盖章回函")
    reply.locator("select[name=bill_1]").select_option(label=b["B5"].number)
    reply.locator("input[name=amount_1]").fill("1017.00")
    reply.locator("input[name=reason_1]").fill("60只纸箱中6只压损，客户拒收")
    _shot(page, "8-reply")
    page.get_by_test_id("statement-reply-submit").click()
    expect(page.get_by_test_id("statement-status")).to_have_text("客户有异议", timeout=SLOW)
    disputes = page.get_by_test_id("statement-disputes")
    expect(disputes).to_contain_text(b["B5"].number)
    expect(disputes).to_contain_text("¥1,017.00")
    _shot(page, "9-disputed")
    dispute = StatementDispute.objects.get()
    b["B5"].refresh_from_db()
    assert (dispute.bill_id, dispute.amount, b["B5"].disputed) == (b["B5"].pk, disputed, True)
    page.goto(base + reverse("backoffice:receivables_bills") + "?disputed=1")  # the bills flagged, as 往来总览 drills down
    flagged = page.locator("tr", has_text=b["B5"].number)
    expect(flagged).to_contain_text("有争议", timeout=SLOW)
    flagged.get_by_role("link", name=b["B5"].number).click()
    expect(page.get_by_test_id("bill-summary")).to_contain_text("对账争议", timeout=SLOW)
    expect(page.get_by_test_id("bill-summary")).to_contain_text("60只纸箱中6只压损，客户拒收")

    report = verify()
    assert report.ok, report.differences
