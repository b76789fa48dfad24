"""L: LedgerDay (each account's debits and credits per posting day) and ledger_days.account_balances(day),
over a hand-made ledger (entries posted through ledger.services.post_entry, 2026):

- 03-01 paid-in capital ¥1,000,000.00 (Dr 100201 银行存款-基本户 / Cr 4001 实收资本);
- 03-02 office costs ¥1,200.00 (Dr 6602 管理费用 / Cr 100201);
- 03-03 a fee received ¥350.50 (Dr 100201 / Cr 6021 手续费收入);
- the writer runs for 03-03 (the close of 03-03);
- entered on 03-04 after that close: a back-dated cost ¥80.00 dated 03-02 (Dr 6602 / Cr 100201), a fee of
  the day ¥1,000.00 dated 03-04 (Dr 100201 / Cr 6021), and ¥500.00 of customer credit dated ahead, 03-10
  (Dr 100201 / Cr 2241 客户溢缴款).

Expected balances (yuan, debit − credit on 100201):
- 03-01: 1,000,000.00;  03-02: 1,000,000 − 1,200 − 80 = 998,720.00;
- 03-03: 998,720 + 350.50 = 999,070.50;  03-04: 999,070.50 + 1,000 = 1,000,070.50;  03-10: + 500 = 1,000,570.50.
6602 at 03-02 and after: 1,280.00 debit; 6021 at 03-04: 1,350.50 credit; 2241 from 03-10: 500.00 credit.
"""

from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.core import clock
from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.models import Account, EntryKind, Posting
from ioudesk.ledger.selectors import trial_balance
from ioudesk.ledger.services import Line, post_entry
from ioudesk.reports import financial, ledger_days
from ioudesk.reports.model_ledger import LedgerDay, LedgerDayMark
from ioudesk.reports.params import params_parse
from ioudesk.reports.registry import report_get

pytestmark = pytest.mark.django_db

BANK, CAPITAL, ADMIN, FEE, CREDIT = (AccountCode.BANK_BASIC, AccountCode.PAID_IN_CAPITAL, AccountCode.ADMIN_EXPENSE,
                                     AccountCode.FEE_INCOME, AccountCode.CUSTOMER_CREDIT)


def post(day, debit_code, credit_code, amount, *, on=None, memo="测试"):
    with clock.frozen(on or day):
        return post_entry(kind=EntryKind.ADJUSTMENT, memo=memo, day=day, lines=[
            Line(debit_code, debit=D(amount)), Line(credit_code, credit=D(amount))])


def ids():
    return dict(Account.objects.values_list("code", "pk"))


def by_code(balances):
    codes = {pk: code for code, pk in ids().items()}
    return {codes[pk]: value for pk, value in balances.items()}


def trial(day):
    """The trial balance over all postings (ledger.selectors), leaves with a movement, by code."""
    return {row.account.code: (row.debit, row.credit) for row in trial_balance(day=day).on_balance.rows
            if not row.is_summary and (row.debit or row.credit)}


def rows():
    codes = {pk: code for code, pk in ids().items()}
    return sorted((r.day, codes[r.account_id], r.debit, r.credit) for r in LedgerDay.objects.all())


@pytest.fixture
def ledger(organisation):
    made = [post(date(2026, 3, 1), BANK, CAPITAL, "1000000"), post(date(2026, 3, 2), ADMIN, BANK, "1200"),
            post(date(2026, 3, 3), BANK, FEE, "350.50")]
    with clock.frozen(date(2026, 3, 3)):
        written = ledger_days.ledger_day_write(date(2026, 3, 3), latest=True, previous=None)
    assert written == 6  # the first run: every day, (03-01 bank, capital), (03-02 admin, bank), (03-03 bank, fee)
    made += [post(date(2026, 3, 2), ADMIN, BANK, "80", on=date(2026, 3, 4), memo="补记 03-02 办公费"),
             post(date(2026, 3, 4), BANK, FEE, "1000"),
             post(date(2026, 3, 10), BANK, CREDIT, "500", on=date(2026, 3, 4), memo="预收 03-10")]
    return [entry.pk for entry in made]


EXPECTED = {
    date(2026, 3, 1): {BANK: (D("1000000.00"), D("0.00")), CAPITAL: (D("0.00"), D("1000000.00"))},
    date(2026, 3, 2): {BANK: (D("1000000.00"), D("1280.00")), CAPITAL: (D("0.00"), D("1000000.00")),
                       ADMIN: (D("1280.00"), D("0.00"))},
    date(2026, 3, 3): {BANK: (D("1000350.50"), D("1280.00")), CAPITAL: (D("0.00"), D("1000000.00")),
                       ADMIN: (D("1280.00"), D("0.00")), FEE: (D("0.00"), D("350.50"))},
    date(2026, 3, 4): {BANK: (D("1001350.50"), D("1280.00")), CAPITAL: (D("0.00"), D("1000000.00")),
                       ADMIN: (D("1280.00"), D("0.00")), FEE: (D("0.00"), D("1350.50"))},
    date(2026, 3, 10): {BANK: (D("1001850.50"), D("1280.00")), CAPITAL: (D("0.00"), D("1000000.00")),
                        ADMIN: (D("1280.00"), D("0.00")), FEE: (D("0.00"), D("1350.50")),
                        CREDIT: (D("0.00"), D("500.00"))},
}


def check_every_day():
    for day, expected in [(date(2026, 2, 28), {}), *EXPECTED.items(), (date(2026, 12, 31), EXPECTED[date(2026, 3, 10)])]:
        got = by_code(ledger_days.account_balances(day))
        assert got == expected, day
        assert got == trial(day), day


def test_the_first_run_sums_every_day(ledger):
    # LedgerDay as the close of 03-03 left it: the entries made after it are not in it yet.
    assert rows() == [
        (date(2026, 3, 1), BANK, D("1000000.00"), D("0.00")), (date(2026, 3, 1), CAPITAL, D("0.00"), D("1000000.00")),
        (date(2026, 3, 2), BANK, D("0.00"), D("1200.00")), (date(2026, 3, 2), ADMIN, D("1200.00"), D("0.00")),
        (date(2026, 3, 3), BANK, D("350.50"), D("0.00")), (date(2026, 3, 3), FEE, D("0.00"), D("350.50")),
    ]
    assert LedgerDayMark.objects.get().entry_max == ledger[2]  # the third entry, the last before the close


def test_balances_are_exact_before_the_next_close(ledger):
    """The back-dated cost, today's fee and the ahead-dated credit are read by their entry ids (above the
    writer's mark): the balances equal the trial balance over all postings at every day."""
    bank = by_code(ledger_days.account_balances(date(2026, 3, 2)))[BANK]
    assert bank[0] - bank[1] == D("998720.00")
    check_every_day()


def test_the_next_close_rewrites_the_days_the_late_entries_are_dated_on(ledger):
    with clock.frozen(date(2026, 3, 4)):
        written = ledger_days.ledger_day_write(date(2026, 3, 4), latest=True, previous=None)
    # 03-02 (bank, admin), 03-04 (bank, fee), 03-10 (bank, credit): 3 days rewritten, 6 rows
    assert written == 6
    assert rows() == [
        (date(2026, 3, 1), BANK, D("1000000.00"), D("0.00")), (date(2026, 3, 1), CAPITAL, D("0.00"), D("1000000.00")),
        (date(2026, 3, 2), BANK, D("0.00"), D("1280.00")), (date(2026, 3, 2), ADMIN, D("1280.00"), D("0.00")),
        (date(2026, 3, 3), BANK, D("350.50"), D("0.00")), (date(2026, 3, 3), FEE, D("0.00"), D("350.50")),
        (date(2026, 3, 4), BANK, D("1000.00"), D("0.00")), (date(2026, 3, 4), FEE, D("0.00"), D("1000.00")),
        (date(2026, 3, 10), BANK, D("500.00"), D("0.00")), (date(2026, 3, 10), CREDIT, D("0.00"), D("500.00")),
    ]
    assert LedgerDayMark.objects.get().entry_max == ledger[5]
    check_every_day()
    # Run again: nothing entered since, only the day itself rewritten, the same rows.
    before = rows()
    with clock.frozen(date(2026, 3, 4)):
        assert ledger_days.ledger_day_write(date(2026, 3, 4), latest=True, previous=None) == 2
    assert rows() == before
    # A later entry, back-dated into the first day, and a reversal-like correction the same day:
    post(date(2026, 3, 1), BANK, CAPITAL, "0.01", on=date(2026, 3, 5))
    assert by_code(ledger_days.account_balances(date(2026, 3, 1)))[CAPITAL] == (D("0.00"), D("1000000.01"))
    assert by_code(ledger_days.account_balances(date(2026, 3, 10))) == trial(date(2026, 3, 10))


def test_the_backfill_writes_what_the_writer_writes(ledger):
    with clock.frozen(date(2026, 3, 4)):
        ledger_days.ledger_day_write(date(2026, 3, 4), latest=True, previous=None)
    written = rows()
    LedgerDay.objects.all().delete()
    LedgerDayMark.objects.all().delete()
    # The range does not limit it: the postings of 03-10 (after `last`) are summed too.
    assert ledger_days.ledger_day_backfill(date(2026, 3, 2), date(2026, 3, 4)) == 10
    assert rows() == written
    assert LedgerDayMark.objects.get().entry_max == ledger[5]
    check_every_day()


def test_without_a_run_the_balances_are_one_sum_over_the_postings(organisation):
    post(date(2026, 3, 1), BANK, CAPITAL, "1000000")
    post(date(2026, 3, 2), ADMIN, BANK, "1200")
    assert not LedgerDayMark.objects.exists()
    assert by_code(ledger_days.account_balances(date(2026, 3, 2))) == {
        BANK: (D("1000000.00"), D("1200.00")), CAPITAL: (D("0.00"), D("1000000.00")), ADMIN: (D("1200.00"), D("0.00"))}
    assert ledger_days.account_balances_fen(date(2026, 3, 1)) == {
        ids()[BANK]: (100000000, 0), ids()[CAPITAL]: (0, 100000000)}


def _run(code, user, **query):
    spec = report_get(code)
    return spec.run(params_parse(query, user=user, filters=spec.filters), user)


def _statements(user):
    with clock.frozen(date(2026, 3, 5)):
        sheet = _run("balance-sheet", user, as_of="2026-03-04")
        income = _run("income-statement", user, date_from="2026-03-02", date_to="2026-03-04")
    assets, claims, _memo = ({row["_key"]: row for row in table.rows} for table in sheet.tables)
    lines = {row["_key"]: row for row in income.tables[0].rows}
    return assets, claims, lines


def test_the_statements_read_the_same_figures_with_and_without_ledger_days(ledger, finance):
    """Balance sheet at 03-04: cash 1,000,070.50 (the 03-10 credit not yet); 实收资本 1,000,000.00; 未分配利润
    = fees 1,350.50 − costs 1,280.00 = 70.50; assets 1,000,070.50 = 1,000,000.00 + 70.50. Income statement
    03-02 … 03-04: 手续费及佣金收入 1,350.50, 业务及管理费 1,280.00 (the back-dated 80 included), 净利润 70.50."""
    def figures():
        assets, claims, lines = _statements(finance)
        return (assets["cash"]["closing"], assets["total_asset"]["closing"], claims["paid_in_capital"]["closing"],
                claims["retained"]["closing"], claims["customer_credit"]["closing"], claims["total_claims"]["closing"],
                lines["fee_income"]["period"], lines["admin_expense"]["period"], lines["net_profit"]["period"],
                lines["net_profit"]["year"])

    expected = (D("1000070.50"), D("1000070.50"), D("1000000.00"), D("70.50"), D("0.00"), D("1000070.50"),
                D("1350.50"), D("1280.00"), D("70.50"), D("70.50"))
    assert figures() == expected  # LedgerDay to 03-03's close + the entries made since
    with clock.frozen(date(2026, 3, 4)):
        ledger_days.ledger_day_write(date(2026, 3, 4), latest=True, previous=None)
    assert figures() == expected  # LedgerDay rewritten
    LedgerDay.objects.all().delete()
    LedgerDayMark.objects.all().delete()
    assert figures() == expected  # no LedgerDay: one sum over the postings
    with clock.frozen(date(2026, 3, 12)):
        later = _run("balance-sheet", finance, as_of="2026-03-10")
    claims = {row["_key"]: row for row in later.tables[1].rows}
    assert claims["customer_credit"]["closing"] == D("500.00") and later.figures[-1].value == "平衡"


def test_the_day_step_runs_the_writer(ledger):
    from ioudesk.reports.daystep import reports_day_step
    from ioudesk.reports.models import DayMark

    DayMark.objects.create(day=date(2026, 3, 3), transaction_max=0, entry_max=ledger[2])
    with clock.frozen(date(2026, 3, 4)):
        counts = reports_day_step(day=date(2026, 3, 4))
    assert counts["ledger_days_rows"] == 6
    assert LedgerDay.objects.filter(day=date(2026, 3, 2), account__code=ADMIN).get().debit == D("1280.00")
    check_every_day()


def test_the_balances_read_no_posting_but_the_late_ones(ledger):
    """After the close, account_balances reads LedgerDay and the postings of entries above the mark (3 entries:
    6 postings), not the ledger."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert Posting.objects.filter(entry_id__gt=LedgerDayMark.objects.get().entry_max).count() == 6
    with CaptureQueriesContext(connection) as queries:
        ledger_days.account_balances(date(2026, 3, 10))
    posting_reads = [q["sql"] for q in queries.captured_queries if "ledger_posting" in q["sql"]]
    assert len(posting_reads) == 1 and '"entry_id" >' in posting_reads[0]
    assert financial.balances_at(date(2026, 3, 10)).get(AccountCode.BANK) == D("1000570.50")
