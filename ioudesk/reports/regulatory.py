"""业务状况月报: the monthly statistics table a 小额贷款公司 reports to the 人民银行 branch and the local
financial regulator (地方金融监管局), laid out after the 《贷款公司、小额贷款公司金融统计制度》 (银发〔2009〕268号)
and the provincial 业务状况月报表 built on it (docs/domain.md §27): 总量指标
(累放/累收 since the start, this year, this month; the loan balance), the balance by 贷款方式, 投向, 借款人类型,
额度 and 期限, the five tiers, the month's rates and the ledger's figures. The .xlsx in the form's layout is
`ioudesk.reports.monthly_form.monthly_form_xlsx`.

Only loans (借条, kind "loan") count: a 欠条 for goods is not a loan. Balances are the principal outstanding of
the live loans at the month end: from the month's snapshot (MonthEndIou) when the month is frozen, else the
per-IOU figures the close keeps (now). Flows are the daily figures (FlowDay) up to the month end. One GROUP
BY each; no scan of installments.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import BigIntegerField, Case, CharField, Count, Max, Q, Sum, Value, When
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import ZERO, from_fen
from ioudesk.calc.rates import percent
from ioudesk.core import clock, scope
from ioudesk.ious.models import Classification, GuaranteeType, IouKind, Purpose, Status
from ioudesk.reports.params import iou_filter, month_end, previous_month_end
from ioudesk.reports.registry import Column, Figure, ReportResult, ReportSpec, Table, register_report

# FlowDay kinds whose principal is loan principal collected: payments, and customer credit applied when an
# installment fell due (snapshots.CREDIT_REPAYMENT).
REPAYMENT_KINDS = ("repayment", "repayment_credit")
LIVE = (Status.ACTIVE, Status.OVERDUE, Status.EXTENDED)
NPL = (Classification.SUBSTANDARD, Classification.DOUBTFUL, Classification.LOSS)


class Borrower:
    """借款人类型 as the table counts them, read from the customer (docs: the rule and its limits)."""

    FARMER = "farmer"
    INDIVIDUAL = "individual"
    SOLE_TRADER = "sole_trader"
    SMALL_BUSINESS = "small_business"
    OTHER = "other"
    LABELS = {FARMER: _("农户"), INDIVIDUAL: _("个人（非农户）"), SOLE_TRADER: _("个体工商户"),
              SMALL_BUSINESS: _("小微企业"), OTHER: _("其他")}


# 单笔贷款额度 (contract principal, yuan) and 期限 bands: the same edges as 贷款余额汇总.
SIZE_BANDS = (("s1", _("10万元（含）以下"), Decimal("100000")), ("s2", _("10万至50万元（含）"), Decimal("500000")),
              ("s3", _("50万至100万元（含）"), Decimal("1000000")), ("s4", _("100万至500万元（含）"), Decimal("5000000")),
              ("s5", _("500万元以上"), None))
TERM_BANDS = (("t1", _("6个月（含）以内"), 6), ("t2", _("6至12个月（含）"), 12), ("t3", _("1至3年（含）"), 36),
              ("t4", _("3年以上"), None))
# Periods per band edge by repayment frequency: term is a number of periods of the IOU's frequency.
PERIODS_PER_MONTHS = {"monthly": {6: 6, 12: 12, 36: 36}, "quarterly": {6: 2, 12: 4, 36: 12},
                      "weekly": {6: 26, 12: 52, 36: 156}, "biweekly": {6: 13, 12: 26, 36: 78},
                      "daily": {6: 183, 12: 365, 36: 1095}}


def borrower_expr(prefix: str = "", purpose=None):
    """农户: an individual borrowing for 农林牧渔; 个体工商户: a customer whose 统一社会信用代码 says so (机构类别
    代码 2: "92…") or an individual whose 工作单位 reads 个体; 小微企业: an enterprise ("91…", or no code);
    其他: any other organisation (社会组织, 农民专业合作社 "93…", 机关 …); 个人: every other individual."""
    c = f"{prefix}customer__"
    purpose_is_farming = Q(**{f"{prefix}purpose": Purpose.AGRICULTURE}) if purpose is None else purpose
    return Case(
        When(Q(**{f"{c}kind": "individual"}) & purpose_is_farming, then=Value(Borrower.FARMER)),
        When(Q(**{f"{c}credit_code__startswith": "92"}), then=Value(Borrower.SOLE_TRADER)),
        When(Q(**{f"{c}kind": "individual", f"{c}employer__contains": "个体"}), then=Value(Borrower.SOLE_TRADER)),
        When(Q(**{f"{c}kind": "individual"}), then=Value(Borrower.INDIVIDUAL)),
        When(Q(**{f"{c}credit_code": ""}) | Q(**{f"{c}credit_code__startswith": "91"}),
             then=Value(Borrower.SMALL_BUSINESS)),
        default=Value(Borrower.OTHER), output_field=CharField())


def size_expr(field: str = "principal"):
    whens = [When(**{f"{field}__lte": edge}, then=Value(key)) for key, _label, edge in SIZE_BANDS if edge is not None]
    return Case(*whens, default=Value(SIZE_BANDS[-1][0]), output_field=CharField())


def term_expr(term: str = "term", frequency: str = "frequency"):
    whens = []
    for key, _label, months in TERM_BANDS:
        if months is None:
            continue
        for freq, edges in PERIODS_PER_MONTHS.items():
            whens.append(When(**{frequency: freq, f"{term}__lte": edges[months]}, then=Value(key)))
    return Case(*whens, default=Value(TERM_BANDS[-1][0]), output_field=CharField())


# --- the figures --------------------------------------------------------------------------------


def _money(column: str):
    return Sum(column, output_field=BigIntegerField())


def _loans_at(month: date, user, params):
    """Where the loans live at the month end are read: (Stand, source, snapshot). From PortfolioCube:
    the month end's frozen cells (snapshot) or the latest closed day's (live), else the cube's own
    SELECT over MonthEndIou / the IOUs (no cube rows written: the same figures, computed)."""
    from ioudesk.reports import cube
    from ioudesk.reports.models import MonthSnapshot

    where = cube.where_of(params, user, kind=IouKind.LOAN)
    snapshot = MonthSnapshot.objects.filter(month_end=month).first()
    if snapshot is not None:
        return Stand(where, True, month, cube.frozen_written(month), None), "snapshot", snapshot
    day = cube.latest_day(on_or_before=clock.today())
    return Stand(where, False, day or clock.today(), day is not None, day), "live", None


class Stand:
    """The cube cells a month's figures come from (see _loans_at)."""

    def __init__(self, where, frozen: bool, day: date, use_cube: bool, closed_day: date | None):
        self.where, self.frozen, self.day, self.use_cube, self.closed_day = where, frozen, day, use_cube, closed_day

    def rows(self, by, **kw):
        from ioudesk.reports import cube

        return cube.figures(self.where, by, frozen=self.frozen, day=self.day, use_cube=self.use_cube, **kw)


DIMENSIONS = ("g", "p", "b", "s", "t", "c")
# the cube's columns for the table's dimensions, and its size codes (calc.reporting) as the table's
CUBE_COLUMNS = {"g": "guarantee", "p": "purpose", "b": "borrower", "s": "size_band", "t": "period_band",
                "c": "classification"}


def _size_codes() -> dict[str, str]:
    from ioudesk.calc.reporting import SIZE_BANDS as CUBE_SIZES

    return {code: key for (code, _upper), (key, _label, _edge) in zip(CUBE_SIZES, SIZE_BANDS, strict=True)}


def breakdown(stand: Stand) -> dict[tuple[str, str], tuple[int, Decimal]]:
    """(dimension, value) → (count, principal outstanding), from one grouped read of the cube."""
    sizes = _size_codes()
    out: dict[tuple[str, str], list] = defaultdict(lambda: [0, ZERO])
    total = [0, ZERO]
    for row in stand.rows(tuple(CUBE_COLUMNS.values())):
        for dim, column in CUBE_COLUMNS.items():
            value = sizes.get(row[column], row[column]) if dim == "s" else row[column]
            cell = out[(dim, value)]
            cell[0] += row["count"]
            cell[1] += row["principal_outstanding"]
        total[0] += row["count"]
        total[1] += row["principal_outstanding"]
    out[("all", "all")] = total
    return {key: (n, balance) for key, (n, balance) in out.items()}


def _snapshot_breakdown(month: date, user, params):
    """The breakdown of a frozen month (None when it was not frozen): for 比上月 / 比年初."""
    from ioudesk.reports.models import MonthSnapshot

    if not MonthSnapshot.objects.filter(month_end=month).exists():
        return None
    stand, _source, _snap = _loans_at(month, user, params)
    return breakdown(stand)


def flows(user, params, start: date, end: date) -> dict[str, tuple[int, Decimal]]:
    """放款 (count, principal lent) and 收回本金 (count of repayments, principal) of the days start … end: from the daily
    figures (FlowDay: a reversal is a negative row of the kind it reverses) up to the last day they were written
    for, and from the transactions themselves (by their indexed day) after it — the days the close has not done."""
    from ioudesk.ious.models import Transaction
    from ioudesk.reports.models import FlowDay

    sums = {"disbursement": [0, 0], "repayment": [0, 0]}

    def add(kind, source, n, amount, principal, sign=1):
        if kind == "disbursement":  # the loan principal lent (the cash paid out is less an upfront fee)
            sums["disbursement"][0] += sign * int(n or 0)
            sums["disbursement"][1] += sign * int(principal or 0)
        else:  # a repayment out of customer credit took no new payment: its principal counts, not its count
            if source != "credit":
                sums["repayment"][0] += sign * int(n or 0)
            sums["repayment"][1] += sign * int(principal or 0)

    filters = _flow_params(params)
    written = FlowDay.objects.filter(day__lte=end).aggregate(m=Max("day"))["m"]
    if written is not None and written >= start:
        rows = scope.scope_queryset(user, FlowDay.objects.filter(day__gte=start, day__lte=written,
                                                                 kind__in=("disbursement", *REPAYMENT_KINDS)))
        for kind, n, amount, principal in rows.filter(iou_filter(filters)).values_list("kind").annotate(
                n=Sum("count"), a=_money("amount"), p=_money("principal")).order_by():
            add(kind, "credit" if kind == "repayment_credit" else "", n, amount, principal)
    live_from = max(start, written + timedelta(days=1)) if written is not None else start
    if live_from <= end:
        rows = scope.scope_queryset(user, Transaction.objects.filter(day__gte=live_from, day__lte=end)).filter(
            iou_filter(filters, prefix="iou__"))
        kinds = ("disbursement", "repayment")
        for kind, source, n, amount, principal in rows.filter(kind__in=kinds).values_list("kind", "source").annotate(
                n=Count("id"), a=_money("amount"), p=_money("principal")).order_by():
            add(kind, source, n, amount, principal)
        for kind, source, n, amount, principal in rows.filter(kind="reversal", reverses__kind__in=kinds).values_list(
                "reverses__kind", "reverses__source").annotate(
                n=Count("id"), a=_money("amount"), p=_money("principal")).order_by():
            add(kind, source, n, amount, principal, sign=-1)
    return {kind: (n, from_fen(fen)) for kind, (n, fen) in sums.items()}


def _flow_params(params):
    """FlowDay has branch, product and officer only: the other dimension filters do not apply to it."""
    from dataclasses import replace

    return replace(params, classification="", bucket="", category="", customer_kind="", customer_id=None)


def rates_of_month(user, params, month: date, snapshot, stand: Stand | None = None) -> dict:
    """Highest, lowest and principal-weighted annual rate of the loans disbursed in the month (every
    status but those never disbursed): the cube's figures of the month's new loans — its cells of the
    month end, or of the latest closed day when it is in `month` —, else its SELECT over them."""
    from ioudesk.reports import cube

    if stand is None:
        stand, _source, snapshot = _loans_at(month, user, params)
    first, _last = cube.month_bounds(month)
    if not stand.frozen and (not stand.use_cube or cube.month_bounds(stand.day)[0] != first):
        stand = Stand(stand.where, False, clock.today(), False, None)  # the month's loans computed
    rows = stand.rows((), statuses=None, month=month, new_only=True)
    row = rows[0] if rows else {"new_count": 0}
    if not row["new_count"]:
        return {"count": 0, "max": None, "min": None, "weighted": None}
    return {"count": row["new_count"], "max": row["new_rate_max"], "min": row["new_rate_min"],
            "weighted": cube.weighted_rate(row["new_rate_sum"], row["new_principal"])}


# --- the report ---------------------------------------------------------------------------------

SECTIONS = (
    ("g", _("贷款方式"), [(value, label) for value, label in GuaranteeType.choices]),
    ("p", _("贷款投向"), [(value, label) for value, label in Purpose.choices]),
    ("b", _("借款人类型"), list(Borrower.LABELS.items())),
    ("s", _("贷款额度"), [(key, label) for key, label, _edge in SIZE_BANDS]),
    ("t", _("贷款期限"), [(key, label) for key, label, _edge in TERM_BANDS]),
    ("c", _("资产风险（五级分类）"), [(value, label) for value, label in Classification.choices]),
)


def _pct(part: Decimal, whole: Decimal):
    return percent(part / whole) if whole else None


def _change(now, before, index):
    if before is None:
        return None
    return now[index] - before[index]


def monthly_statistics(params, user) -> ReportResult:
    from ioudesk.reports.cube import latest_note

    today = clock.today()
    month = params.month or previous_month_end(today)
    current = month >= month_end(today)
    day = min(month, today)
    stand, source, snapshot = _loans_at(month, user, params)
    if source == "live" and not current:
        source_note = _g("%(month)s 没有月末快照：余额为营业日 %(day)s 的当前数字，不是该月末的数字。") % {
            "month": month.strftime("%Y-%m"), "day": today.isoformat()}
    elif source == "live":
        source_note = _g("本月尚未结束：余额和资金流为截至营业日 %(day)s 的数字。") % {"day": today.isoformat()}
    else:
        source_note = _g("余额取自 %(month)s 月末快照（%(at)s 生成）。") % {
            "month": month.strftime("%Y-%m"), "at": snapshot.taken_at.strftime("%Y-%m-%d %H:%M")}
    now = breakdown(stand)
    last_month = _snapshot_breakdown(previous_month_end(month), user, params)
    year_start = _snapshot_breakdown(month.replace(month=1, day=1) - timedelta(days=1), user, params)
    total_count, total_balance = now[("all", "all")]

    # 表一 总量指标
    first_of_month, first_of_year = month.replace(day=1), month.replace(month=1, day=1)
    since_start = flows(user, params, date(1990, 1, 1), day)
    this_year = flows(user, params, first_of_year, day)
    this_month = flows(user, params, first_of_month, day)
    totals_rows = [
        ("cum_disbursed", _("累放贷款"), since_start["disbursement"]),
        ("cum_collected", _("累收贷款"), since_start["repayment"]),
        ("year_disbursed", _("当年累放贷款"), this_year["disbursement"]),
        ("year_collected", _("当年累收贷款"), this_year["repayment"]),
        ("month_disbursed", _("当月发放贷款"), this_month["disbursement"]),
        ("month_collected", _("当月收回贷款"), this_month["repayment"]),
    ]
    table1 = [{"group": str(_("总量指标")), "item": str(label), "count": n, "amount": amount, "_key": key}
              for key, label, (n, amount) in totals_rows]
    table1.append({"group": str(_("总量指标")), "item": str(_("各项贷款余额")), "count": total_count,
                   "amount": total_balance, "_key": "balance"})

    # 表二 贷款分类指标
    table2 = []
    for dim, group, values in SECTIONS:
        for value, label in values:
            n, balance = now.get((dim, value), (0, ZERO))
            before = last_month.get((dim, value), (0, ZERO)) if last_month is not None else None
            start = year_start.get((dim, value), (0, ZERO)) if year_start is not None else None
            table2.append({"group": str(group), "item": str(label), "count": n, "balance": balance,
                           "share": _pct(balance, total_balance),
                           "mom": _change((n, balance), before, 1), "ytd": _change((n, balance), start, 1),
                           "_key": f"{dim}:{value}"})
        if dim == "c":
            npl = [now.get(("c", tier), (0, ZERO)) for tier in NPL]
            npl_count, npl_balance = sum(n for n, _b in npl), sum((b for _n, b in npl), ZERO)

            def npl_of(breakdown_):
                if breakdown_ is None:
                    return None
                return sum((breakdown_.get(("c", tier), (0, ZERO))[1] for tier in NPL), ZERO)

            before, start = npl_of(last_month), npl_of(year_start)
            table2.append({"group": str(group), "item": str(_("不良贷款（次级+可疑+损失）")), "count": npl_count,
                           "balance": npl_balance, "share": _pct(npl_balance, total_balance),
                           "mom": None if before is None else npl_balance - before,
                           "ytd": None if start is None else npl_balance - start, "_key": "npl"})

    # 表三 利率、财务与盈利指标
    rates = rates_of_month(user, params, month, snapshot, stand)
    table3 = [
        {"group": str(_("贷款利率")), "item": str(label), "value": percent(rates[key]) if rates[key] is not None else None,
         "_key": f"rate_{key}"}
        for key, label in (("max", _("最高年利率")), ("min", _("最低年利率")), ("weighted", _("加权平均年利率")))
    ]
    table4 = []
    ledger_shown = user.has_perm("ledger.view_account") and not params.branch_id and not params.product_id \
        and not params.officer_id
    notes = [source_note,
             _g("只统计借条（借款）；欠条（货款等欠款）不是贷款，不在本表。单位：元、笔；占比为占各项贷款余额的百分比。"),
             _g("累收贷款为收回的贷款本金（笔数为还款笔数，溢缴款冲抵只计本金）；冲正以负数冲减原类型。"
                "资金流取自日终的每日汇总，尚未日终的日期按当日交易计算。"),
             *([latest_note(stand.closed_day)] if stand.closed_day else []),
             _g("借款人类型按客户资料判断：个人且用途为农林牧渔的为农户；统一社会信用代码第2位为2（92开头）或工作单位含“个体”的为个体工商户；"
                "91开头或未填代码的企业为小微企业；其他组织为其他。")]
    if ledger_shown:
        from ioudesk.reports.financial import balance_sheet_at, balances_at, income_statement

        at_day = balances_at(day)
        sheet = balance_sheet_at(day, at_day)
        month_is = income_statement(first_of_month, day, at_end=at_day)
        year_is = income_statement(first_of_year, day, at_end=at_day)
        for key, label, value, year in (
            ("assets", _("总资产"), sheet.assets, None),
            ("liabilities", _("总负债"), sheet.liabilities, None),
            ("equity", _("所有者权益"), sheet.equity, None),
            ("net_interest_income", _("净利息收入"), month_is.net_interest_income, year_is.net_interest_income),
            ("other_income", _("其他收入"), month_is.revenue - month_is.net_interest_income,
             year_is.revenue - year_is.net_interest_income),
            ("net_profit", _("净利润"), month_is.operating_profit, year_is.operating_profit),
        ):
            table4.append({"group": str(_("财务与盈利指标")), "item": str(label), "value": value, "year": year,
                           "_key": key})
    else:
        notes.append(_g("财务与盈利指标取自总账（全机构、不分网点）：按网点、产品或客户经理筛选时，或无总账查看权限时不显示。"))

    for rows in (table1, table2, table3, table4):  # 指标分类 once per group, as on the form (the .xlsx merges it)
        previous = None
        for row in rows:
            row["_group"] = row["group"]
            if row["group"] == previous:
                row["group"] = ""
            previous = row["_group"]

    from ioudesk.reports.links import iou_list_url

    for row in table2:
        dim, _sep, value = row["_key"].partition(":")
        if dim == "c":
            row["_links"] = {"count": iou_list_url(params, classification__exact=value, live=1)}
    result = ReportResult(
        title=str(_("业务状况月报")),
        tables=[
            Table(columns=[Column("group", _("指标分类")), Column("item", _("指标名称")), Column("count", _("笔数"), "int"),
                           Column("amount", _("金额"), "money")], rows=table1, title=_("表一 总量指标")),
            Table(columns=[Column("group", _("指标分类")), Column("item", _("指标名称")), Column("count", _("笔数"), "int"),
                           Column("balance", _("贷款余额"), "money"), Column("share", _("占比（%）"), "percent"),
                           Column("mom", _("比上月增减"), "money"), Column("ytd", _("比年初增减"), "money")],
                  rows=table2, title=_("表二 贷款分类指标（余额）")),
            Table(columns=[Column("group", _("指标分类")), Column("item", _("指标名称")),
                           Column("value", _("当月发放贷款（%）"), "percent")], rows=table3,
                  title=_("表三 贷款利率（当月发放 %(count)s 笔）") % {"count": rates["count"]}),
            Table(columns=[Column("group", _("指标分类")), Column("item", _("指标名称")), Column("value", _("本月"), "money"),
                           Column("year", _("本年累计"), "money")], rows=table4, title=_("表四 财务与盈利指标")),
        ],
        figures=[Figure(_("各项贷款余额"), total_balance), Figure(_("贷款笔数"), total_count, kind="int"),
                 Figure(_("当月发放贷款"), this_month["disbursement"][1]),
                 Figure(_("不良贷款率"), _pct(npl_balance, total_balance), kind="percent")],
        notes=notes, as_of=day, period=(first_of_month, day), source=source)
    if snapshot is not None:
        from ioudesk.reports.snapshots import differences_count

        result.snapshot_month = month
        result.differences = differences_count(user, month)
    return result


def _xlsx(result, params, user) -> bytes:
    from ioudesk.reports.monthly_form import monthly_form_xlsx

    return monthly_form_xlsx(result, params, user)


def register() -> None:
    register_report(ReportSpec(
        code="monthly-statistics", title=_("业务状况月报"), group="regulatory", run=monthly_statistics,
        filters=("month", "branch", "product", "officer"), permission="reports.view_regulatory", order=10,
        landscape=True, xlsx=_xlsx,
        description=_("小额贷款公司月度统计表：累放累收、贷款方式/投向/借款人/额度/期限、五级分类、利率与盈利，按报送格式导出 Excel")))
