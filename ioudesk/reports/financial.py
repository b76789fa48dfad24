"""资产负债表 and 利润表 from the ledger (issue 14, docs/domain.md §27): the accounts of
ioudesk/ledger/chart.py mapped to statement lines in one table (`LINES`), after the 《企业会计准则第30号——
财务报表列报》 and the 金融企业 format (财会〔2018〕36号 附件, loosely: a lender's own lines, no deposits).

Balances are cumulative debits and credits of every leaf account up to a day, rolled up to the top
account (an administrator's sub-accounts, 100202 …, land on their parent's line): read from the month-end
snapshot (MonthEndAccount) when the day is a frozen month end, else `ledger_days.account_balances` (the
close's per-day sums of each account, LedgerDay, plus the entries made since it ran): exact at any day. Income and expense accounts are never closed into an equity account in this ledger, so
未分配利润 is what they add up to since the first entry; assets = liabilities + equity then holds
whenever the trial balance does, and the statement shows the check.

The ledger belongs to the organisation, not to a branch: the statements have no branch filter and are
offered to who may read the ledger (`ledger.view_account`: 财务, 审计, 系统管理员).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import BigIntegerField, Sum
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import ZERO, from_fen
from ioudesk.ledger.models import MEMO_TYPES, Account, AccountType, NormalSide
from ioudesk.reports.ledger_days import account_balances_fen
from ioudesk.reports.registry import Column, Figure, ReportResult, ReportSpec, Table, register_report

# --- the mapping --------------------------------------------------------------------------------
# (statement, line key, label, account codes (top accounts), sign). A top account not named here lands on
# the "other" line of its type. sign +1: the account's balance on its normal side adds to the line's
# section; -1: subtracts (a contra account, e.g. 1310 贷款损失准备 shown under assets as 减：…).

BS, IS, MEMO = "balance_sheet", "income_statement", "memo"


@dataclass(frozen=True)
class Line:
    statement: str
    key: str
    label: object
    codes: tuple[str, ...]
    section: str  # balance sheet: asset / liability / equity; income statement: income / expense; memo
    indent: int = 0


LINES: tuple[Line, ...] = (
    # 资产负债表：资产
    Line(BS, "cash", _("货币资金"), ("1001", "1002"), "asset"),
    Line(BS, "notes_receivable", _("应收票据"), ("1121",), "asset"),
    Line(BS, "receivables", _("应收账款"), ("1122",), "asset"),
    Line(BS, "prepayments", _("预付款项"), ("1123",), "asset"),
    Line(BS, "interest_receivable", _("应收利息（含应收罚息）"), ("1302", "1303"), "asset"),
    Line(BS, "other_receivables", _("其他应收款（应收费用）"), ("1304",), "asset"),
    Line(BS, "inventory", _("存货"), ("1405",), "asset"),
    Line(BS, "loans", _("发放贷款和垫款"), ("1301",), "asset"),
    Line(BS, "loan_provision", _("减：贷款损失准备"), ("1310",), "asset", indent=1),
    Line(BS, "other_assets", _("其他资产"), (), "asset"),
    # 负债
    Line(BS, "payables", _("应付账款"), ("2202",), "liability"),
    Line(BS, "advance_receipts", _("预收款项"), ("2203",), "liability"),
    Line(BS, "taxes", _("应交税费"), ("2221",), "liability"),
    Line(BS, "customer_credit", _("其他应付款（客户溢缴款）"), ("2241",), "liability"),
    Line(BS, "other_liabilities", _("其他负债"), (), "liability"),
    # 所有者权益
    Line(BS, "paid_in_capital", _("实收资本"), ("4001",), "equity"),
    Line(BS, "other_equity", _("其他权益"), (), "equity"),
    Line(BS, "retained", _("未分配利润"), (), "equity"),  # income − expense to date (no closing entries)
    # 利润表：营业收入
    Line(IS, "interest_income", _("利息收入"), ("6011", "6012"), "income", indent=1),
    Line(IS, "interest_expense", _("利息支出"), (), "expense", indent=1),  # no borrowing accounts in the chart
    Line(IS, "fee_income", _("手续费及佣金收入"), ("6021",), "income", indent=1),
    Line(IS, "other_business_income", _("其他业务收入"), ("6001",), "income"),
    Line(IS, "recovery_income", _("核销贷款收回"), ("6051",), "income"),
    Line(IS, "other_income", _("其他收益"), (), "income"),
    # 营业支出
    Line(IS, "admin_expense", _("业务及管理费"), ("6602",), "expense"),
    Line(IS, "finance_expense", _("财务费用（银行手续费）"), ("6603",), "expense"),
    Line(IS, "loan_loss", _("贷款损失（核销）"), ("6701",), "expense"),
    Line(IS, "impairment", _("信用减值损失"), ("6711",), "expense"),
    Line(IS, "waiver_expense", _("减免支出"), ("6702",), "expense"),
    Line(IS, "other_expense", _("其他支出"), (), "expense"),
    # 表外
    Line(MEMO, "written_off_principal", _("已核销贷款本金（表外）"), ("9001",), "memo"),
    Line(MEMO, "written_off_interest", _("已核销利息（表外）"), ("9002",), "memo"),
)
OTHER_LINE = {
    AccountType.ASSET: "other_assets", AccountType.LIABILITY: "other_liabilities", AccountType.EQUITY: "other_equity",
    AccountType.INCOME: "other_income", AccountType.EXPENSE: "other_expense",
}
CONTRA_CODES = frozenset({"1310"})  # credit-side accounts among the assets: their balance subtracts
LINE_BY_CODE = {code: line for line in LINES for code in line.codes}
LINE_BY_KEY = {line.key: line for line in LINES}


def line_for(account: Account) -> Line | None:
    """The statement line of a top account (None: 表外对方 9901, which only balances the memo entries)."""
    if account.code in LINE_BY_CODE:
        return LINE_BY_CODE[account.code]
    if account.type in MEMO_TYPES:
        return None
    return LINE_BY_KEY[OTHER_LINE[account.type]]


# --- balances -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Balances:
    """Each top account's balance at the end of `day` on the account's normal side (yuan), read from
    `source` ("snapshot" or "live")."""

    day: date
    by_code: dict[str, Decimal]
    accounts: dict[str, Account]
    source: str

    def get(self, code: str) -> Decimal:
        return self.by_code.get(code, ZERO)


def _snapshot_month(day: date):
    from ioudesk.reports.models import MonthSnapshot

    return MonthSnapshot.objects.filter(month_end=day).first()


def balances_at(day: date) -> Balances:
    """Top accounts' balances at the end of `day`: the month-end snapshot's rows when `day` is a frozen month
    end, else the ledger as it stands (ledger_days.account_balances: LedgerDay to `day` plus the entries made
    since the close's writer ran; before it has run, one GROUP BY over the postings)."""
    from ioudesk.reports.models import MonthEndAccount

    accounts = list(Account.objects.all())
    by_id = {a.pk: a for a in accounts}
    parents = {a.parent_id for a in accounts if a.parent_id is not None}
    def grouped(queryset):
        return list(queryset.values_list("account_id").annotate(
            d=Sum("debit", output_field=BigIntegerField()), c=Sum("credit", output_field=BigIntegerField())
        ).order_by())

    snapshot = _snapshot_month(day)
    if snapshot is not None:
        rows = grouped(MonthEndAccount.objects.filter(month_end=day))
        source = "snapshot"
    else:
        # The ledger as it stands (what the trial balance says) from the close's per-day account sums plus
        # the entries made since it ran (ledger_days.account_balances), not a scan of every posting.
        rows = [(account_id, debit, credit) for account_id, (debit, credit) in account_balances_fen(day).items()]
        source = "live"

    def top(account: Account) -> Account:
        while account.parent_id is not None and account.parent_id in by_id:
            account = by_id[account.parent_id]
        return account

    sides: dict[str, list[int]] = {}
    tops: dict[str, Account] = {}
    for account_id, debit, credit in rows:
        if account_id in parents:  # a summary account's row (a snapshot may keep it rolled up): leaves only
            continue
        root = top(by_id[account_id])
        tops[root.code] = root
        pair = sides.setdefault(root.code, [0, 0])
        pair[0] += int(debit or 0)
        pair[1] += int(credit or 0)
    by_code = {}
    for code, (debit, credit) in sides.items():
        root = tops[code]
        by_code[code] = from_fen(debit - credit if root.normal_side == NormalSide.DEBIT else credit - debit)
    for account in accounts:
        if account.parent_id is None:
            tops.setdefault(account.code, account)
    return Balances(day=day, by_code=by_code, accounts=tops, source=source)


def _line_amounts(balances: Balances, statement: str) -> dict[str, Decimal]:
    """Each line's amount: its accounts' balances, a contra account's subtracted (shown negative)."""
    amounts = {line.key: ZERO for line in LINES if line.statement == statement}
    for code, amount in balances.by_code.items():
        line = line_for(balances.accounts[code])
        if line is None or line.statement != statement:
            continue
        amounts[line.key] += -amount if code in CONTRA_CODES else amount
    return amounts


def _accounts_text(line: Line, balances: Balances) -> str:
    codes = [code for code, account in sorted(balances.accounts.items())
             if (lf := line_for(account)) is not None and lf.key == line.key]
    return "、".join(codes)


@dataclass(frozen=True)
class BalanceSheet:
    day: date
    lines: dict[str, Decimal]
    assets: Decimal
    liabilities: Decimal
    equity: Decimal
    profit_to_date: Decimal  # income − expense since the first entry (未分配利润)
    memo: dict[str, Decimal]
    source: str

    @property
    def difference(self) -> Decimal:
        return self.assets - self.liabilities - self.equity

    @property
    def balanced(self) -> bool:
        return self.difference == ZERO


def balance_sheet_at(day: date, balances: Balances | None = None) -> BalanceSheet:
    balances = balances or balances_at(day)
    lines = _line_amounts(balances, BS)
    income = _line_amounts(balances, IS)
    profit = sum((amount for key, amount in income.items() if LINE_BY_KEY[key].section == "income"), ZERO) - sum(
        (amount for key, amount in income.items() if LINE_BY_KEY[key].section == "expense"), ZERO)
    lines["retained"] = profit

    def total(section):
        return sum((amount for key, amount in lines.items() if LINE_BY_KEY[key].section == section), ZERO)

    return BalanceSheet(day=day, lines=lines, assets=total("asset"), liabilities=total("liability"),
                        equity=total("equity"), profit_to_date=profit, memo=_line_amounts(balances, MEMO),
                        source=balances.source)


@dataclass(frozen=True)
class IncomeStatement:
    start: date
    end: date
    lines: dict[str, Decimal]  # the period's movement of each income and expense line

    def _sum(self, *keys) -> Decimal:
        return sum((self.lines[key] for key in keys), ZERO)

    @property
    def net_interest_income(self) -> Decimal:  # 利息净收入
        return self.lines["interest_income"] - self.lines["interest_expense"]

    @property
    def net_fee_income(self) -> Decimal:  # 手续费及佣金净收入
        return self.lines["fee_income"]

    @property
    def revenue(self) -> Decimal:  # 营业收入
        return self.net_interest_income + self.net_fee_income + self._sum(
            "other_business_income", "recovery_income", "other_income")

    @property
    def expenses(self) -> Decimal:  # 营业支出
        return self._sum("admin_expense", "finance_expense", "loan_loss", "impairment", "waiver_expense",
                         "other_expense")

    @property
    def operating_profit(self) -> Decimal:  # 营业利润 = 利润总额 = 净利润 (no non-operating or tax accounts)
        return self.revenue - self.expenses


def income_statement(start: date, end: date, *, at_end: Balances | None = None,
                     before: Balances | None = None) -> IncomeStatement:
    """Income and expense of the days `start` … `end` (inclusive): balances at `end` less those at the day
    before `start`."""
    at_end = at_end or balances_at(end)
    before = before or balances_at(start - timedelta(days=1))
    after_lines, before_lines = _line_amounts(at_end, IS), _line_amounts(before, IS)
    return IncomeStatement(start=start, end=end,
                           lines={key: after_lines[key] - before_lines.get(key, ZERO) for key in after_lines})


def _year_start(day: date) -> date:
    return day.replace(month=1, day=1)


# --- the reports --------------------------------------------------------------------------------


def _differences(month_end: date, user) -> int:
    from ioudesk.reports.snapshots import differences_count

    return differences_count(user, month_end)


def balance_sheet_report(params, user) -> ReportResult:
    day = params.as_of
    opening_day = _year_start(day) - timedelta(days=1)
    balances = balances_at(day)
    sheet = balance_sheet_at(day, balances)
    opening_balances = balances_at(opening_day)
    opening = balance_sheet_at(opening_day, opening_balances)
    columns = [Column("line", _("项目")), Column("accounts", _("科目")), Column("closing", _("期末余额"), "money"),
               Column("opening", _("年初余额"), "money")]

    def rows_for(sections, totals):
        rows = []
        for section in sections:
            for line in LINES:
                if line.statement != BS or line.section != section:
                    continue
                if line.key in ("other_assets", "other_liabilities", "other_equity", "loan_provision") \
                        and not sheet.lines[line.key] and not opening.lines[line.key]:
                    continue  # an empty catch-all line says nothing
                accounts = _g("累计收入减累计费用") if line.key == "retained" else _accounts_text(line, balances)
                rows.append({"line": ("　" * line.indent) + str(line.label), "accounts": accounts,
                             "closing": sheet.lines[line.key], "opening": opening.lines[line.key], "_key": line.key})
            label, closing, start = totals[section]
            rows.append({"line": str(label), "accounts": "", "closing": closing, "opening": start,
                         "_key": f"total_{section}", "_total": True})
        return rows

    assets = rows_for(["asset"], {"asset": (_("资产总计"), sheet.assets, opening.assets)})
    claims = rows_for(["liability", "equity"], {
        "liability": (_("负债合计"), sheet.liabilities, opening.liabilities),
        "equity": (_("所有者权益合计"), sheet.equity, opening.equity)})
    claims.append({"line": str(_("负债和所有者权益总计")), "accounts": "", "closing": sheet.liabilities + sheet.equity,
                   "opening": opening.liabilities + opening.equity, "_key": "total_claims", "_total": True})
    memo_rows = [{"line": str(line.label), "accounts": "、".join(line.codes), "closing": sheet.memo[line.key],
                  "opening": opening.memo[line.key], "_key": line.key}
                 for line in LINES if line.statement == MEMO]
    check = _g("平衡") if sheet.balanced else _g("不平衡，差额 ¥%(amount)s") % {"amount": f"{sheet.difference:,.2f}"}
    notes = [
        _g("资产 = 负债 + 所有者权益：%(check)s（资产 ¥%(a)s，负债 ¥%(l)s，所有者权益 ¥%(e)s）。") % {
            "check": check, "a": f"{sheet.assets:,.2f}", "l": f"{sheet.liabilities:,.2f}", "e": f"{sheet.equity:,.2f}"},
        _g("损益类科目未结转：未分配利润为自第一笔凭证起累计收入减累计费用。"),
        _g("总账不分网点：本表为全机构数字。年初余额为上年末（%(day)s）的余额。") % {"day": opening_day.isoformat()},
    ]
    result = ReportResult(
        title=str(_("资产负债表")),
        tables=[Table(columns=columns, rows=assets, title=_("资产")),
                Table(columns=columns, rows=claims, title=_("负债和所有者权益")),
                Table(columns=columns, rows=memo_rows, title=_("表外项目"))],
        figures=[Figure(_("资产总计"), sheet.assets), Figure(_("负债合计"), sheet.liabilities),
                 Figure(_("所有者权益合计"), sheet.equity),
                 Figure(_("平衡检查"), check, kind="text")],
        notes=notes, as_of=day, source=sheet.source)
    if sheet.source == "snapshot":
        result.snapshot_month = day
        result.differences = _differences(day, user)
    return result


IS_LAYOUT: tuple[tuple[str, object, int], ...] = (
    # (key, label, indent); keys of IncomeStatement lines or its computed properties
    ("revenue", _("一、营业收入"), 0),
    ("net_interest_income", _("利息净收入"), 1),
    ("interest_income", _("利息收入"), 2),
    ("interest_expense", _("利息支出"), 2),
    ("net_fee_income", _("手续费及佣金净收入"), 1),
    ("fee_income", _("手续费及佣金收入"), 2),
    ("other_business_income", _("其他业务收入"), 1),
    ("recovery_income", _("核销贷款收回"), 1),
    ("other_income", _("其他收益"), 1),
    ("expenses", _("二、营业支出"), 0),
    ("admin_expense", _("业务及管理费"), 1),
    ("finance_expense", _("财务费用（银行手续费）"), 1),
    ("loan_loss", _("贷款损失（核销）"), 1),
    ("impairment", _("信用减值损失"), 1),
    ("waiver_expense", _("减免支出"), 1),
    ("other_expense", _("其他支出"), 1),
    ("operating_profit", _("三、营业利润"), 0),
    ("profit_before_tax", _("四、利润总额"), 0),
    ("income_tax", _("减：所得税费用"), 1),
    ("net_profit", _("五、净利润"), 0),
)
COMPUTED = {"revenue", "net_interest_income", "net_fee_income", "expenses", "operating_profit", "profit_before_tax",
            "income_tax", "net_profit"}


def income_statement_value(statement: IncomeStatement, key: str) -> Decimal:
    if key in ("operating_profit", "profit_before_tax", "net_profit"):
        return statement.operating_profit
    if key == "income_tax":
        return ZERO  # no tax expense account in the chart
    if key in COMPUTED:
        return getattr(statement, key)
    return statement.lines[key]


def income_statement_report(params, user) -> ReportResult:
    start, end = params.date_from, params.date_to
    at_end = balances_at(end)
    period = income_statement(start, end, at_end=at_end)
    year = income_statement(_year_start(end), end, at_end=at_end)
    columns = [Column("line", _("项目")), Column("accounts", _("科目")), Column("period", _("本期金额"), "money"),
               Column("year", _("本年累计金额"), "money")]
    rows = []
    for key, label, indent in IS_LAYOUT:
        line = LINE_BY_KEY.get(key)
        if key in ("other_income", "other_expense", "impairment", "interest_expense") and not (
                income_statement_value(period, key) or income_statement_value(year, key)):
            continue
        rows.append({"line": ("　" * indent) + str(label),
                     "accounts": _accounts_text(line, at_end) if line and key not in COMPUTED else "",
                     "period": income_statement_value(period, key), "year": income_statement_value(year, key),
                     "_key": key, "_total": indent == 0})
    result = ReportResult(
        title=str(_("利润表")), tables=[Table(columns=columns, rows=rows)],
        figures=[Figure(_("营业收入"), period.revenue), Figure(_("利息净收入"), period.net_interest_income),
                 Figure(_("营业支出"), period.expenses), Figure(_("净利润"), period.operating_profit)],
        notes=[_g("本期 %(start)s 至 %(end)s；本年累计自 %(year)s 起。") % {
                   "start": start.isoformat(), "end": end.isoformat(), "year": _year_start(end).isoformat()},
               _g("利息收入含罚息收入（6011、6012）；本机构未设借入资金科目，利息支出为零；未设所得税科目，利润总额即净利润。"),
               _g("总账不分网点：本表为全机构数字。")],
        period=(start, end), as_of=end, source=at_end.source)
    if at_end.source == "snapshot":
        result.snapshot_month = end
        result.differences = _differences(end, user)
    return result


def register() -> None:
    register_report(ReportSpec(
        code="balance-sheet", title=_("资产负债表"), group="regulatory", run=balance_sheet_report, filters=("as_of",),
        permission="ledger.view_account", order=20,
        description=_("某日的资产、负债和所有者权益，按科目映射到报表项目，检查资产 = 负债 + 所有者权益")))
    register_report(ReportSpec(
        code="income-statement", title=_("利润表"), group="regulatory", run=income_statement_report,
        filters=("period",), permission="ledger.view_account", order=30,
        description=_("期间的利息、手续费及其他收入与各项支出，本期和本年累计")))
