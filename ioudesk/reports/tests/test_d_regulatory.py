"""业务状况月报, 资产负债表 and 利润表 (D) over a hand-built portfolio made through the real services.

The portfolio (business dates in 2026):
- 01-10 paid-in capital ¥2,000,000.00 (Dr 100201 / Cr 4001);
- A 王建国 (个人, 用途 农林牧渔 → 农户): ¥50,000, 12 % a year, 12 monthly 等额本息, no guarantee recorded and no
  guarantor (→ 信用), disbursed 01-15; installment 1 (due 02-15) = 50,000 × 0.01 / (1 − 1.01⁻¹²) = ¥4,442.44:
  interest 500.00 + principal 3,942.44, repaid on 02-15;
- B 李明 (个人, 工作单位 个体经营 → 个体工商户): ¥200,000, 15 %, 24 months, guarantor named (NULL type → 保证),
  用途 批发零售, disbursed 01-15, set to 关注 by hand on 02-18 — which brings B to date: installment 1 (due 02-15,
  200,000 × 0.0125 / (1 − 1.0125⁻²⁴) = ¥9,697.33) unpaid: interest 2,500.00 receivable and penalty for 3 days at
  15 % × 1.5 = 22.5 % a year, ACT/360, on its principal 7,197.33: 7,197.33 × 0.225 × 3 / 360 = ¥13.49;
- C 华信 (企业, 91… → 小微企业): ¥1,000,000, 10 %, 6 months, 抵押, 工业制造, disbursed 01-20, set to 次级;
- E a 欠条 of ¥8,000 for goods (not a loan: never in the table), confirmed 01-20 (Dr 1122 / Cr 6001);
- the January month end frozen (month_end_take 01-31);
- D 赵敏 (个人 → 个人): ¥30,000, 18 %, 6 months, 质押, 个人消费, with an upfront fee of ¥300 (paid out 29,700;
  the fee is 6021 income), disbursed 02-10: 累放 counts the principal lent, 30,000, not the cash.
Daily figures (FlowDay) written for every day with a transaction up to 02-10, as the close would; the 02-15
repayment (a day not closed yet) is read from the transactions. The report runs on 02-20.
"""

from datetime import date
from decimal import Decimal as D
from io import BytesIO

import pytest
from openpyxl import load_workbook

from ioudesk.core import clock
from ioudesk.customers.models import Customer
from ioudesk.customers.services import customer_create
from ioudesk.ious.models import Iou
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.classification import iou_classify
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.ledger.chart import CHART, AccountCode
from ioudesk.ledger.models import Account, EntryKind
from ioudesk.ledger.selectors import account_balance, trial_balance
from ioudesk.ledger.services import Line, post_entry
from ioudesk.reports import financial, regulatory
from ioudesk.reports.params import params_parse
from ioudesk.reports.registry import report_get
from ioudesk.reports.snapshots import flows_day_write, month_end_take

pytestmark = pytest.mark.django_db


def _loan(customer, user, approver, finance, *, principal, rate, term, day, **fields):
    with clock.frozen(day):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=customer, principal=D(principal), term=term, rate_text=rate,
                                    method="equal_installment", contract_date=day, **fields), user=user)
        iou_submit(iou=iou, user=user)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    iou.refresh_from_db()
    return iou


@pytest.fixture
def portfolio(head_office, manager, approver, finance, debtor):
    with clock.frozen(date(2026, 1, 10)):
        post_entry(kind=EntryKind.ADJUSTMENT, memo="实收资本到位", lines=[
            Line(AccountCode.BANK_BASIC, debit=D("2000000")), Line(AccountCode.PAID_IN_CAPITAL, credit=D("2000000"))])
        li = customer_create(customer=Customer(kind="individual", branch=head_office, name="李明", employer="个体经营",
                                               id_number="110101199003074514", phone="13901012346"), user=manager)
        huaxin = customer_create(customer=Customer(kind="company", branch=head_office, name="华信机械有限公司",
                                                   credit_code="91110000600037341L", phone="13801018888"), user=manager)
        zhao = customer_create(customer=Customer(kind="individual", branch=head_office, name="赵敏",
                                                 id_number="110102198506121230", phone="13901012347"), user=manager)
    a = _loan(debtor, manager, approver, finance, principal="50000", rate="12%", term=12, day=date(2026, 1, 15),
              purpose_category="agriculture")
    b = _loan(li, manager, approver, finance, principal="200000", rate="15%", term=24, day=date(2026, 1, 15),
              guarantor="李强", purpose_category="trade")
    c = _loan(huaxin, manager, approver, finance, principal="1000000", rate="10%", term=6, day=date(2026, 1, 20),
              guarantee_type="mortgage", purpose_category="manufacturing")
    with clock.frozen(date(2026, 1, 20)):
        debt, _ = iou_create(iou=Iou(kind="debt", debt_reason="goods", customer=huaxin, principal=D("8000"),
                                     contract_date=date(2026, 1, 20), due_date=date(2026, 3, 20)), user=manager)
        iou_submit(iou=debt, user=manager)
        iou_approve(iou=debt, user=approver)
        iou_disburse(iou=debt, user=finance)
    for day in (date(2026, 1, 15), date(2026, 1, 20)):
        flows_day_write(day)
    with clock.frozen(date(2026, 1, 31)):
        month_end_take(date(2026, 1, 31))
    d = _loan(zhao, manager, approver, finance, principal="30000", rate="18%", term=6, day=date(2026, 2, 10),
              guarantee_type="pledge", purpose_category="consumption", upfront_fee=D("300"))
    with clock.frozen(date(2026, 2, 15)):
        repayment = iou_repay(iou=a, amount=D("4442.44"), user=finance)
    with clock.frozen(date(2026, 2, 18)):
        iou_classify(iou=b, classification="special_mention", reason="经营下滑", user=approver)
        iou_classify(iou=c, classification="substandard", reason="抵押物查封", user=approver)
    flows_day_write(date(2026, 2, 10))  # 02-15 not closed: its repayment is read from the transactions
    return {"a": a, "b": b, "c": c, "d": d, "debt": debt, "repayment": repayment}


def _run(code, user, **query):
    spec = report_get(code)
    params = params_parse(query, user=user, filters=spec.filters)
    return spec, params, spec.run(params, user)


def _rows(table):
    return {row["_key"]: row for row in table.rows}


def test_the_repayment_split_the_worked_example_uses(portfolio):
    assert (portfolio["repayment"].interest, portfolio["repayment"].principal) == (D("500.00"), D("3942.44"))


def test_monthly_statistics_of_the_running_month(portfolio, finance):
    with clock.frozen(date(2026, 2, 20)):
        spec, params, result = _run("monthly-statistics", finance, month="2026-02")
        assert result.source == "live"
        totals, classes, rates, money = (_rows(t) for t in result.tables)
        # 累放: A + B + C (January) + D (February) = 4 loans, ¥1,280,000.00; 累收: one repayment, principal 3,942.44.
        assert (totals["cum_disbursed"]["count"], totals["cum_disbursed"]["amount"]) == (4, D("1280000.00"))
        assert (totals["cum_collected"]["count"], totals["cum_collected"]["amount"]) == (1, D("3942.44"))
        assert (totals["month_disbursed"]["count"], totals["month_disbursed"]["amount"]) == (1, D("30000.00"))
        assert (totals["month_collected"]["count"], totals["month_collected"]["amount"]) == (1, D("3942.44"))
        assert totals["year_disbursed"]["amount"] == D("1280000.00")
        # 余额: 46,057.56 (A: 50,000 − 3,942.44) + 200,000 + 1,000,000 + 30,000 = 1,276,057.56 (the 欠条 left out)
        #      = 累放 − 累收 = 1,280,000 − 3,942.44, and = the ledger's 1301 贷款-本金.
        assert (totals["balance"]["count"], totals["balance"]["amount"]) == (4, D("1276057.56"))
        assert totals["balance"]["amount"] == account_balance(AccountCode.LOANS, day=date(2026, 2, 20))
        # 贷款方式: A 信用 (nothing recorded, no guarantor), B 保证 (guarantor named), C 抵押, D 质押.
        assert [(classes[f"g:{k}"]["count"], classes[f"g:{k}"]["balance"]) for k in
                ("credit", "guarantee", "mortgage", "pledge")] == [
            (1, D("46057.56")), (1, D("200000.00")), (1, D("1000000.00")), (1, D("30000.00"))]
        # 比上月增减 against the January snapshot (A 50,000 then): 46,057.56 − 50,000 = −3,942.44; D new: +30,000.
        assert classes["g:credit"]["mom"] == D("-3942.44")
        assert classes["g:pledge"]["mom"] == D("30000.00")
        assert classes["g:credit"]["ytd"] is None  # no 2025-12-31 snapshot
        # 占比: 46,057.56 / 1,276,057.56 = 3.609 % → 3.61
        assert classes["g:credit"]["share"] == D("3.61")
        # 投向 and 借款人
        assert classes["p:agriculture"]["balance"] == D("46057.56")
        assert classes["p:manufacturing"]["balance"] == D("1000000.00")
        assert classes["p:other"]["count"] == 0
        assert [classes[f"b:{k}"]["count"] for k in ("farmer", "individual", "sole_trader", "small_business",
                                                      "other")] == [1, 1, 1, 1, 0]
        assert classes["b:sole_trader"]["balance"] == D("200000.00")
        # 额度 (contract principal): A 50,000 and D 30,000 ≤ 10万; B 20万 in 10–50万; C 100万 in 50–100万 (inclusive).
        assert [classes[f"s:{k}"]["count"] for k in ("s1", "s2", "s3", "s4", "s5")] == [2, 1, 1, 0, 0]
        # 期限: C and D 6 months (≤ 6), A 12 (7–12), B 24 (13–36).
        assert [classes[f"t:{k}"]["count"] for k in ("t1", "t2", "t3", "t4")] == [2, 1, 1, 0]
        # 五级: A and D 正常, B 关注, C 次级; 不良 = 1,000,000 / 1,276,057.56 = 78.366 % → 78.37.
        assert classes["c:normal"]["balance"] == D("76057.56")
        assert classes["c:special_mention"]["balance"] == D("200000.00")
        assert classes["npl"]["balance"] == D("1000000.00")
        assert classes["npl"]["share"] == D("78.37")
        assert "classification__exact=substandard" in classes["c:substandard"]["_links"]["count"]
        # 利率 of February's loans: D only, 18 %.
        assert [rates[k]["value"] for k in ("rate_max", "rate_min", "rate_weighted")] == [D("18.00")] * 3
        # 财务: bank 2,000,000 − 1,250,000 − 29,700 + 4,442.44 = 724,742.44; + loans 1,276,057.56 + 欠条 8,000
        # + B's receivable interest 2,500.00 and penalty 13.49 = 2,011,313.49 = capital 2,000,000 + interest and
        # penalty income 500 (A) + 2,500 + 13.49 (B) = 3,013.49 + D's fee 300 + 8,000 (the 欠条's 营业收入, January).
        assert money["assets"]["value"] == D("2011313.49")
        assert money["liabilities"]["value"] == D("0.00")
        assert money["equity"]["value"] == D("2011313.49")
        assert (money["net_interest_income"]["value"], money["net_interest_income"]["year"]) == (D("3013.49"),
                                                                                                 D("3013.49"))
        assert (money["other_income"]["value"], money["other_income"]["year"]) == (D("300.00"), D("8300.00"))
        assert (money["net_profit"]["value"], money["net_profit"]["year"]) == (D("3313.49"), D("11313.49"))


def test_monthly_statistics_of_a_frozen_month_reads_its_snapshot(portfolio, finance):
    with clock.frozen(date(2026, 2, 20)):
        spec, params, result = _run("monthly-statistics", finance, month="2026-01")
    assert (result.source, result.snapshot_month, result.differences) == ("snapshot", date(2026, 1, 31), 0)
    totals, classes, rates, money = (_rows(t) for t in result.tables)
    # At 01-31: A 50,000 + B 200,000 + C 1,000,000 (all 正常 then), D not yet lent.
    assert (totals["balance"]["count"], totals["balance"]["amount"]) == (3, D("1250000.00"))
    assert (totals["cum_disbursed"]["count"], totals["cum_disbursed"]["amount"]) == (3, D("1250000.00"))
    assert totals["cum_collected"]["count"] == 0
    assert classes["c:normal"]["balance"] == D("1250000.00")
    assert classes["npl"]["balance"] == D("0.00")
    # January's loans: max 15 %, min 10 %, weighted (50,000×12 % + 200,000×15 % + 1,000,000×10 %) / 1,250,000
    # = 136,000 / 1,250,000 = 10.88 %.
    assert [rates[k]["value"] for k in ("rate_max", "rate_min", "rate_weighted")] == [
        D("15.00"), D("10.00"), D("10.88")]
    # The ledger at 01-31 (MonthEndAccount): bank 750,000 + loans 1,250,000 + 欠条 8,000 = 2,008,000.
    assert money["assets"]["value"] == D("2008000.00")
    assert money["net_interest_income"]["value"] == D("0.00")


def test_the_monthly_form_xlsx_is_laid_out_like_the_form(portfolio, finance):
    with clock.frozen(date(2026, 2, 20)):
        spec, params, result = _run("monthly-statistics", finance, month="2026-02")
        content = spec.xlsx(result, params, finance)
    sheet = load_workbook(BytesIO(content)).active
    assert sheet["A1"].value == "小额贷款公司业务状况月报表"
    assert sheet["D2"].value == "报表月份：2026年02月"
    assert sheet["F2"].value == "单位：元、笔"
    by_label = {}
    for row in sheet.iter_rows(min_row=4):
        if row[1].value and row[1].value not in by_label:
            by_label[row[1].value] = row
    def number(cell):  # openpyxl reads numbers back as float: compare as the decimal text they print as
        return D(str(cell.value))

    assert (by_label["累放贷款"][2].value, number(by_label["累放贷款"][3])) == (4, D("1280000.00"))
    assert number(by_label["各项贷款余额"][3]) == D("1276057.56")
    assert by_label["各项贷款余额"][3].number_format == "#,##0.00"
    assert (by_label["信用"][2].value, number(by_label["信用"][3]), number(by_label["信用"][5])) == (
        1, D("46057.56"), D("-3942.44"))
    assert number(by_label["加权平均年利率"][2]) == D("18.00")
    assert number(by_label["总资产"][2]) == D("2011313.49")
    # 指标分类 merged over its rows: 贷款方式 spans 信用 … 质押 (4 rows).
    credit_row = by_label["信用"][0].row
    assert sheet.cell(row=credit_row, column=1).value == "贷款方式"
    assert any(str(merged) == f"A{credit_row}:A{credit_row + 3}" for merged in sheet.merged_cells.ranges)


def test_the_balance_sheet_balances_and_agrees_with_the_trial_balance(portfolio, finance):
    with clock.frozen(date(2026, 2, 20)):
        spec, params, result = _run("balance-sheet", finance, as_of="2026-02-20")
        tb = trial_balance(day=date(2026, 2, 20))
    assets, claims, memo = (_rows(t) for t in result.tables)
    assert assets["cash"]["closing"] == D("724742.44")
    assert assets["loans"]["closing"] == D("1276057.56")
    assert assets["receivables"]["closing"] == D("8000.00")
    # A's 500 accrued and paid on 02-15; B's 2,500.00 interest + 13.49 penalty receivable (1302 + 1303).
    assert assets["interest_receivable"]["closing"] == D("2513.49")
    assert assets["total_asset"]["closing"] == D("2011313.49")
    assert claims["paid_in_capital"]["closing"] == D("2000000.00")
    assert claims["retained"]["closing"] == D("11313.49")  # 3,013.49 + 300 + 8,000
    assert claims["total_claims"]["closing"] == D("2011313.49")
    assert assets["total_asset"]["opening"] == D("0.00")  # nothing before 2026
    assert "平衡" == result.figures[-1].value
    # Against the trial balance: the debit balances of the asset accounts (leaves), and every account's
    # balance lands on a line.
    leaves = [r for r in tb.on_balance.rows if not r.is_summary]
    assert sum((r.balance for r in leaves if r.account.type == "asset"), D("0")) == D("2011313.49")
    assert sum((r.balance for r in leaves if r.account.type == "income"), D("0")) \
        - sum((r.balance for r in leaves if r.account.type == "expense"), D("0")) == claims["retained"]["closing"]


def test_the_income_statement_of_february_and_the_year(portfolio, finance):
    with clock.frozen(date(2026, 2, 20)):
        spec, params, result = _run("income-statement", finance, date_from="2026-02-01", date_to="2026-02-20")
    rows = _rows(result.tables[0])
    # 利息收入 = 6011 + 6012: 500 (A) + 2,500 + 13.49 (B), all in February.
    assert (rows["interest_income"]["period"], rows["interest_income"]["year"]) == (D("3013.49"), D("3013.49"))
    assert (rows["other_business_income"]["period"], rows["other_business_income"]["year"]) == (
        D("0.00"), D("8000.00"))
    assert (rows["fee_income"]["period"], rows["fee_income"]["year"]) == (D("300.00"), D("300.00"))
    assert (rows["revenue"]["period"], rows["revenue"]["year"]) == (D("3313.49"), D("11313.49"))
    assert (rows["net_profit"]["period"], rows["net_profit"]["year"]) == (D("3313.49"), D("11313.49"))
    # = the ledger's income accounts over the period: 6011 + 6012 at 02-20 less at 01-31.
    moved = sum((account_balance(code, day=date(2026, 2, 20)) - account_balance(code, day=date(2026, 1, 31))
                 for code in (AccountCode.INTEREST_INCOME, AccountCode.PENALTY_INCOME)), D("0"))
    assert rows["interest_income"]["period"] == moved


def test_every_account_of_the_chart_has_a_line(organisation):
    for chart_account in CHART:
        if chart_account.parent is not None or chart_account.code == AccountCode.MEMO_CONTRA:
            continue
        line = financial.line_for(Account.objects.get(code=chart_account.code))
        assert line is not None and chart_account.code in line.codes, chart_account.code


def test_a_branch_user_sees_the_table_without_the_ledger_figures(portfolio, make_branch, make_staff):
    branch = make_branch("SH", "上海分部")
    clerk = make_staff("branchclerk", role="客户经理", branch=branch)
    with clock.frozen(date(2026, 2, 20)):
        spec, params, result = _run("monthly-statistics", clerk, month="2026-02")
    totals = _rows(result.tables[0])
    assert totals["balance"]["count"] == 0  # every loan is the head office's
    assert result.tables[3].rows == []


def test_the_borrower_reading_is_one_expression(portfolio):
    from ioudesk.ious.models import Iou as IouModel
    from ioudesk.ious.models import Purpose

    kinds = dict(IouModel.objects.filter(kind="loan").annotate(
        who=regulatory.borrower_expr(purpose=__import__("django.db.models", fromlist=["Q"]).Q(
            purpose_category=Purpose.AGRICULTURE))).values_list("customer__name", "who"))
    assert kinds == {"王建国": "farmer", "李明": "sole_trader", "华信机械有限公司": "small_business", "赵敏": "individual"}


def test_a_day_after_a_snapshot_reads_it_plus_what_was_posted_since(portfolio, finance):
    """Balances at 02-20 = the January snapshot's accounts + postings dated after 01-31 + one dated 01-25 but
    entered after the snapshot (a back-dated capital top-up of ¥100): the ledger as it stands; the frozen
    January balance sheet keeps its figures."""
    with clock.frozen(date(2026, 2, 20)):
        post_entry(kind=EntryKind.ADJUSTMENT, memo="补记实收资本", day=date(2026, 1, 25), lines=[
            Line(AccountCode.BANK_BASIC, debit=D("100")), Line(AccountCode.PAID_IN_CAPITAL, credit=D("100"))])
        now = financial.balance_sheet_at(date(2026, 2, 20))
        january = financial.balance_sheet_at(date(2026, 1, 31))
        tb = trial_balance(day=date(2026, 2, 20))
    assert now.source == "live" and january.source == "snapshot"
    leaves = [r for r in tb.on_balance.rows if not r.is_summary]
    # 2,011,313.49 (the worked example) + 100 = 2,011,413.49, as the trial balance has it
    assert now.assets == D("2011413.49") == sum((r.balance for r in leaves if r.account.type == "asset"), D("0"))
    assert now.lines["paid_in_capital"] == D("2000100.00") and now.balanced
    # January as frozen: bank 750,000 + loans 1,250,000 + 欠条 8,000, without the top-up entered later
    assert (january.assets, january.lines["paid_in_capital"]) == (D("2008000.00"), D("2000000.00"))
