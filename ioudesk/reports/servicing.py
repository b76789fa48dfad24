"""还款与回收 reports (issue 14, docs/domain.md §27): 还款 (scheduled vs collected, on-time rate,
prepayments) and 回收 (recovery against plan, the collection trend by month, roll rates).

Where the figures come from:
- 应收计划 (scheduled): the installments of the IOUs' current schedules falling due in the period (the
  indexed ``due_date``; a period is bounded), grouped in SQL by month;
- 实收 (collected): the close's daily money flows (FlowDay), kind 还款 (a reversal is written under the
  reversed repayment's kind, negative, so the sum is net), and 溢缴款冲抵 (kind ``repayment_credit``:
  customer credit applied, no money in) apart;
- prepayments: the early settlements (提前结清: a settlement schedule version effective in the period)
  with the principal and interest they settled;
- 回收计划: ioudesk.recovery.selectors (the 回收报告's plans and progress);
- the trend: FlowDay (还款, 核销, 核销后收回) by month and the month ends' overdue balance from PortfolioDay;
- roll rates: MonthEndMove (ioudesk.reports.moves: the chosen month end's snapshot joined with the one
  before, written once with the snapshot; the month not yet frozen from the latest close's moves).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import CharField, Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Cast, Substr
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

from ioudesk.calc.money import ZERO
from ioudesk.calc.reporting import share
from ioudesk.core import clock, scope
from ioudesk.core.fields import MoneySum
from ioudesk.ious.models import (
    LIVE_STATUSES,
    Installment,
    ScheduleKind,
    ScheduleVersion,
    Status,
    TransactionKind,
)
from ioudesk.recovery import selectors as recovery
from ioudesk.recovery.models import PlanScope
from ioudesk.reports.links import iou_list_url
from ioudesk.reports.models import FlowDay, MonthEndIou, PortfolioDay
from ioudesk.reports.params import (
    BUCKETS,
    ReportParams,
    iou_filter,
    month_end,
    month_ends,
    previous_month_end,
)
from ioudesk.reports.registry import Chart, Column, Figure, ReportResult, ReportSpec, Table, register_report
from ioudesk.reports.snapshots import differences_count

CREDIT_REPAYMENT = "repayment_credit"  # A's FlowDay kind for a repayment out of customer credit
NOT_LENT = (Status.DRAFT, Status.PENDING_APPROVAL, Status.APPROVED, Status.CANCELLED)
LIVE = tuple(str(s) for s in LIVE_STATUSES)
GONE = (("settled", _("已结清")), ("written_off", _("已核销")), ("closed", _("已终止")))


def _month(expression: str):
    """A date column's month as '2026-11' (a native substring on SQLite and PostgreSQL)."""
    return Substr(Cast(expression, CharField()), 1, 7)


def _month_keys(start: date, end: date) -> list[str]:
    keys, day = [], start.replace(day=1)
    while day <= end:
        keys.append(f"{day:%Y-%m}")
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return keys


def _totals(rows: list[dict], columns: list[Column]) -> dict:
    out = {}
    for column in columns:
        if column.total:
            zero = ZERO if column.kind == "money" else 0
            out[column.key] = sum((row.get(column.key) or zero for row in rows), zero)
    return out


# --- 还款 ----------------------------------------------------------------------------------------


def _installments(user, params: ReportParams):
    """The installments falling due in the period as the IOU was to repay then: those of the current
    schedule, and those of a replaced schedule due before the version that replaced it took effect
    (an extension's installment 0 only carries what was already owed: left out)."""
    replaced_from = Subquery(ScheduleVersion.objects.filter(
        iou_id=OuterRef("schedule__iou_id"), version__gt=OuterRef("schedule__version"))
        .order_by("version").values("effective_from")[:1])
    qs = (Installment.objects.filter(due_date__gte=params.date_from, due_date__lte=params.date_to)
          .exclude(schedule__iou__status__in=NOT_LENT)
          .exclude(number=0, schedule__kind__in=(ScheduleKind.EXTENSION, ScheduleKind.TRANCHE))
          .filter(Q(schedule__is_current=True) | Q(schedule__is_current=False, due_date__lt=replaced_from)))
    qs = scope.scope_queryset(user, qs, "schedule__iou__branch")
    return qs.filter(iou_filter(params, "schedule__iou__"))


def _flows(user, params: ReportParams, start: date, end: date, kinds):
    qs = scope.scope_queryset(user, FlowDay.objects.filter(day__gte=start, day__lte=end, kind__in=kinds), "branch")
    return qs.filter(iou_filter(params))


def repayments(params: ReportParams, user) -> ReportResult:
    today = clock.today()
    as_of = min(params.date_to, today)
    months = {key: {"month": key} for key in _month_keys(params.date_from, params.date_to)}
    zero = {"due_count": 0, "scheduled_principal": ZERO, "scheduled_interest": ZERO, "scheduled_fee": ZERO,
            "scheduled": ZERO, "fell_due": 0, "on_time": 0, "late": 0, "unpaid": 0, "collected": ZERO,
            "collected_principal": ZERO, "collected_interest": ZERO, "collected_penalty": ZERO,
            "collected_fee": ZERO, "credit_applied": ZERO}
    for row in months.values():
        row.update(zero)
    on_time = Q(paid_off_on__isnull=False, paid_off_on__lte=F("due_date"))
    fell_due = Q(due_date__lte=as_of)
    for row in (_installments(user, params).annotate(m=_month("due_date")).values("m").annotate(
            n=Count("id"), principal=MoneySum("principal_due"), interest=MoneySum("interest_due"),
            fee=MoneySum("fee_due"), fell_due=Count("id", filter=fell_due),
            on_time=Count("id", filter=fell_due & on_time),
            late=Count("id", filter=fell_due & Q(paid_off_on__isnull=False, paid_off_on__gt=F("due_date"))),
            unpaid=Count("id", filter=fell_due & Q(paid_off_on__isnull=True))).order_by()):
        cell = months.setdefault(row["m"], {"month": row["m"], **zero})
        cell.update(due_count=row["n"], scheduled_principal=row["principal"] or ZERO,
                    scheduled_interest=row["interest"] or ZERO, scheduled_fee=row["fee"] or ZERO,
                    fell_due=row["fell_due"], on_time=row["on_time"], late=row["late"], unpaid=row["unpaid"])
        cell["scheduled"] = cell["scheduled_principal"] + cell["scheduled_interest"] + cell["scheduled_fee"]
    for row in (_flows(user, params, params.date_from, params.date_to,
                       (TransactionKind.REPAYMENT, CREDIT_REPAYMENT))
                .annotate(m=_month("day")).values("m", "kind").annotate(
                    amount=MoneySum("amount"), principal=MoneySum("principal"), interest=MoneySum("interest"),
                    penalty=MoneySum("penalty"), fee=MoneySum("fee")).order_by()):
        cell = months.setdefault(row["m"], {"month": row["m"], **zero})
        if row["kind"] == CREDIT_REPAYMENT:
            cell["credit_applied"] += row["amount"] or ZERO
            continue
        cell["collected"] += row["amount"] or ZERO
        cell["collected_principal"] += row["principal"] or ZERO
        cell["collected_interest"] += row["interest"] or ZERO
        cell["collected_penalty"] += row["penalty"] or ZERO
        cell["collected_fee"] += row["fee"] or ZERO
    rows = [months[key] for key in sorted(months)]
    for row in rows:
        row["on_time_rate"] = share(row["on_time"], row["fell_due"])
        row["collection_ratio"] = share(row["collected"], row["scheduled"])
        row["_links"] = {"unpaid": iou_list_url(params, live=1, dpd_min=1)} if row["unpaid"] else {}
    columns = [
        Column("month", _("月份")),
        Column("due_count", _("应还期数"), "int", total=True),
        Column("scheduled_principal", _("应收本金"), "money", total=True),
        Column("scheduled_interest", _("应收利息"), "money", total=True),
        Column("scheduled", _("应收合计"), "money", total=True),
        Column("fell_due", _("已到期期数"), "int", total=True),
        Column("on_time", _("按期还清"), "int", total=True),
        Column("late", _("逾期后还清"), "int", total=True),
        Column("unpaid", _("未还清"), "int", total=True),
        Column("on_time_rate", _("按期还款率"), "percent"),
        Column("collected", _("实收合计"), "money", total=True),
        Column("collected_principal", _("实收本金"), "money", total=True),
        Column("collected_interest", _("实收利息"), "money", total=True),
        Column("collected_penalty", _("实收罚息"), "money", total=True),
        Column("collected_fee", _("实收费用"), "money", total=True),
        Column("credit_applied", _("溢缴款冲抵"), "money", total=True),
        Column("collection_ratio", _("实收 ÷ 应收"), "percent"),
    ]
    totals = _totals(rows, columns)
    totals.update(month=_g("合计"), on_time_rate=share(totals["on_time"], totals["fell_due"]),
                  collection_ratio=share(totals["collected"], totals["scheduled"]))

    # prepayments: the early settlements effective in the period (their settlement installment)
    settled = (_installments(user, params).filter(schedule__kind=ScheduleKind.SETTLEMENT,
                                                  schedule__effective_from__gte=params.date_from,
                                                  schedule__effective_from__lte=params.date_to)
               .annotate(m=_month("schedule__effective_from")).values("m").annotate(
                   n=Count("schedule__iou_id", distinct=True), principal=MoneySum("principal_due"),
                   interest=MoneySum("interest_due"), fee=MoneySum("fee_due")).order_by("m"))
    prepay_rows = [{"month": r["m"], "count": r["n"], "principal": r["principal"] or ZERO,
                    "interest": r["interest"] or ZERO, "fee": r["fee"] or ZERO} for r in settled]
    prepay_columns = [Column("month", _("月份")), Column("count", _("提前结清笔数"), "int", total=True),
                      Column("principal", _("结清本金"), "money", total=True),
                      Column("interest", _("结清利息"), "money", total=True),
                      Column("fee", _("费用（含提前还款手续费）"), "money", total=True)]
    prepay_totals = _totals(prepay_rows, prepay_columns)
    prepay_totals["month"] = _g("合计")

    tables = [Table(columns, rows, totals=totals, title=_g("应收计划与实收（按月）")),
              Table(prepay_columns, prepay_rows, totals=prepay_totals, title=_g("提前还款（提前结清）"))]
    figures = [
        Figure(_g("应收合计"), totals["scheduled"], "money"),
        Figure(_g("实收合计"), totals["collected"], "money"),
        Figure(_g("按期还款率"), totals["on_time_rate"], "percent"),
        Figure(_g("提前结清笔数"), prepay_totals["count"], "int"),
    ]
    chart = Chart("bar", [r["month"] for r in rows], [
        (_g("应收合计"), [r["scheduled"] for r in rows]), (_g("实收合计"), [r["collected"] for r in rows])],
        title=_g("逐月应收与实收"))
    notes = [
        _g("应收计划：到期日在期间内的各期应还本金、利息、费用（不含罚息），不论是否已还；按到期当时有效的还款计划："
           "展期或提前结清前已到期的期次按原计划，之后按新计划（展期时转入的已欠款项不重复计入）。"),
        _g("按期还款率 = 到期日不晚于 %(day)s 的各期中，在到期日当天或之前还清的期数 ÷ 这些期数；"
           "逾期后还清、未还清的期数分列。") % {"day": as_of.isoformat()},
        _g("实收：日终资金流汇总中的还款（截至最近一个已完成日终的营业日），冲正按原还款冲减；"
           "溢缴款冲抵是以客户多缴的钱冲抵到期款，不是新收到的钱，单列不计入实收。"),
        _g("提前还款：期间内提前结清的借据（提前结清生成的结清计划），结清的本金、利息与费用。"
           "提前归还部分本金而不结清的，计入实收，不单列。"),
    ]
    return ReportResult(title=_g("还款"), tables=tables, figures=figures, chart=chart, notes=notes,
                        period=(params.date_from, params.date_to), as_of=as_of)


# --- 回收 ----------------------------------------------------------------------------------------


def _plan_rows(user, params: ReportParams) -> list[dict]:
    report = recovery.recovery_report(user, start=params.date_from, end=params.date_to, day=clock.today())
    scopes = dict(PlanScope.choices)
    rows = []
    for progress in report["plans"]:
        plan = progress.plan
        if params.branch_id and plan.scope != PlanScope.PORTFOLIO and plan.branch_id not in (
                _branches(params.branch_id) or []):
            continue
        if plan.collector_id:
            who = plan.collector.get_full_name() or plan.collector.username
        else:
            who = plan.branch.name if plan.scope == PlanScope.TEAM else _g("全部资产")
        rows.append({"name": plan.name, "scope": str(scopes.get(plan.scope, plan.scope)), "who": who,
                     "period_start": plan.period_start, "deadline": plan.deadline, "target": plan.target,
                     "recovered": progress.recovered, "achieved": share(progress.recovered, plan.target),
                     "forecast": progress.forecast, "forecast_rate": share(progress.forecast, plan.target),
                     "shortfall": progress.shortfall, "on_track": _g("是") if progress.on_track else _g("否")})
    return rows


def _branches(branch_id: int | None) -> list[int] | None:
    if not branch_id:
        return None
    from ioudesk.core.models import Branch

    path = Branch.objects.filter(pk=branch_id).values_list("path", flat=True).first() or "/-/"
    return list(Branch.objects.filter(path__startswith=path).values_list("pk", flat=True))


def _trend_rows(user, params: ReportParams, ends: list[date]) -> list[dict]:
    first = ends[0].replace(day=1)
    rows = {f"{end:%Y-%m}": {"month": f"{end:%Y-%m}", "month_end": end, "repaid": ZERO, "repaid_principal": ZERO,
                             "written_off": ZERO, "recovered": ZERO, "case_recovered": ZERO,
                             "overdue_balance": None, "overdue_count": None} for end in ends}
    kinds = (TransactionKind.REPAYMENT, TransactionKind.WRITE_OFF, TransactionKind.RECOVERY)
    for row in (_flows(user, params, first, ends[-1], kinds).annotate(m=_month("day")).values("m", "kind")
                .annotate(amount=MoneySum("amount"), principal=MoneySum("principal")).order_by()):
        cell = rows.get(row["m"])
        if cell is None:
            continue
        if row["kind"] == TransactionKind.REPAYMENT:
            cell["repaid"] += row["amount"] or ZERO
            cell["repaid_principal"] += row["principal"] or ZERO
        elif row["kind"] == TransactionKind.WRITE_OFF:
            cell["written_off"] += row["principal"] or ZERO
        else:
            cell["recovered"] += row["amount"] or ZERO
    days = scope.scope_queryset(user, PortfolioDay.objects.filter(day__in=ends), "branch").filter(iou_filter(params))
    for row in (days.exclude(bucket="M0").values("day").annotate(balance=MoneySum("principal_outstanding"),
                                                                 n=Sum("count")).order_by()):
        cell = rows.get(f"{row['day']:%Y-%m}")
        if cell is not None:
            cell["overdue_balance"], cell["overdue_count"] = row["balance"] or ZERO, row["n"] or 0
    for day in days.values_list("day", flat=True).distinct():  # a closed month end with nothing overdue
        cell = rows.get(f"{day:%Y-%m}")
        if cell is not None and cell["overdue_balance"] is None:
            cell["overdue_balance"], cell["overdue_count"] = ZERO, 0
    filters = recovery.ReportFilters(start=first, end=ends[-1], branch_id=params.branch_id)
    for month in recovery.recovered(user, filters)["by_month"]:
        cell = rows.get(f"{month['month']:%Y-%m}")
        if cell is not None:
            cell["case_recovered"] = month["amount"]
    return [rows[key] for key in sorted(rows)]


def _roll_matrix(user, params: ReportParams, month: date) -> tuple[list[dict], date]:
    """Where the IOUs live at the month end before `month` are at `month`: counts per (from, to), read
    from the grouped moves (MonthEndMove, ioudesk.reports.moves: the two snapshots joined IOU by IOU
    once, when the later month end was frozen; the month not yet frozen from the latest close)."""
    from ioudesk.reports import moves as moves_module
    from ioudesk.reports.models import MonthSnapshot

    before = previous_month_end(month)
    if MonthSnapshot.objects.filter(month_end=month).exists():
        moves = moves_module.month_moves(user, params, month)
    elif month == month_end(clock.today()):
        moves = moves_module.current_moves(user, params)
    else:
        moves = None
    cells: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    balances: dict[str, object] = defaultdict(lambda: ZERO)
    for row in (moves.rows if moves is not None and moves.previous is not None else []):
        if row["from_state"] != "live":
            continue
        status = {"gone": None, "live": LIVE[0]}.get(row["to_state"], row["to_state"])  # a status, as _target reads
        cells[row["from_bucket"]][_target(row["to_bucket"], status)] += row["count"]
        balances[row["from_bucket"]] += row["from_balance"] or ZERO
    rows = []
    targets = [*BUCKETS, *(code for code, _label in GONE)]
    for source in BUCKETS:
        if source not in cells:
            continue
        count = sum(cells[source].values())
        row = {"bucket": source, "count": count, "balance": balances[source]}
        for target in targets:
            row[target] = cells[source].get(target, 0)
        worse = sum(n for t, n in cells[source].items() if t in BUCKETS and BUCKETS.index(t) > BUCKETS.index(source))
        cured = cells[source].get("M0", 0) + cells[source].get("settled", 0) if source != "M0" else None
        row["roll_forward"] = share(worse, count)
        row["cure"] = share(cured, count) if cured is not None else None
        rows.append(row)
    return rows, before


def _target(bucket: str | None, status: str | None) -> str:
    if status is None:
        return "closed"
    if status in LIVE:
        return bucket or "M0"
    if status == Status.SETTLED:
        return "settled"
    if status == Status.WRITTEN_OFF:
        return "written_off"
    return "closed"


def recovery_report(params: ReportParams, user) -> ReportResult:
    today = clock.today()
    plan_rows = _plan_rows(user, params)
    plan_columns = [
        Column("name", _("计划名称")), Column("scope", _("计划范围")), Column("who", _("催收员/网点")),
        Column("period_start", _("开始日期"), "date"), Column("deadline", _("截止日期"), "date"),
        Column("target", _("目标回收"), "money", total=True), Column("recovered", _("已回收"), "money", total=True),
        Column("achieved", _("完成率"), "percent"), Column("forecast", _("预计回收"), "money", total=True),
        Column("forecast_rate", _("预计完成率"), "percent"), Column("shortfall", _("尚差"), "money", total=True),
        Column("on_track", _("能否完成")),
    ]
    plan_totals = _totals(plan_rows, plan_columns)
    plan_totals.update(name=_g("合计"), achieved=share(plan_totals["recovered"], plan_totals["target"]),
                       forecast_rate=share(plan_totals["forecast"], plan_totals["target"]))

    last = month_end(params.date_to or today)
    ends = month_ends(last, params.months)
    trend = _trend_rows(user, params, ends)
    trend_columns = [
        Column("month", _("月份")), Column("repaid", _("还款回收"), "money", total=True),
        Column("repaid_principal", _("其中本金"), "money", total=True),
        Column("recovered", _("核销后收回"), "money", total=True),
        Column("case_recovered", _("催收案件回收"), "money", total=True),
        Column("written_off", _("核销本金"), "money", total=True),
        Column("overdue_count", _("月末逾期笔数"), "int"), Column("overdue_balance", _("月末逾期本金余额"), "money"),
    ]
    trend_totals = _totals(trend, trend_columns)
    trend_totals["month"] = _g("合计")

    month = params.month or previous_month_end(today)
    roll_rows, before = _roll_matrix(user, params, month)
    roll_columns = [Column("bucket", _("上月末账龄")), Column("count", _("笔数"), "int", total=True),
                    Column("balance", _("上月末本金余额"), "money", total=True),
                    *(Column(b, b, "int", total=True) for b in BUCKETS),
                    *(Column(code, label, "int", total=True) for code, label in GONE),
                    Column("roll_forward", _("恶化率"), "percent"), Column("cure", _("好转率"), "percent")]
    roll_totals = _totals(roll_rows, roll_columns)
    roll_totals["bucket"] = _g("合计")

    tables = [
        Table(plan_columns, plan_rows, totals=plan_totals if plan_rows else None, title=_g("回收计划完成情况")),
        Table(trend_columns, trend, totals=trend_totals, title=_g("逐月回收趋势")),
        Table(roll_columns, roll_rows, totals=roll_totals if roll_rows else None,
              title=_g("账龄迁徙（%(before)s → %(month)s）") % {"before": before.isoformat(),
                                                               "month": month.isoformat()}),
    ]
    m1 = next((r for r in roll_rows if r["bucket"] == "M0"), None)
    figures = [
        Figure(_g("计划目标"), plan_totals.get("target", ZERO), "money"),
        Figure(_g("计划已回收"), plan_totals.get("recovered", ZERO), "money"),
        Figure(_g("M0 → M1 滚动率"), share(m1["M1"], m1["count"]) if m1 else None, "percent"),
    ]
    chart = Chart("bar", [r["month"] for r in trend], [
        (_g("还款回收"), [r["repaid"] for r in trend]), (_g("核销后收回"), [r["recovered"] for r in trend]),
        (_g("月末逾期本金余额"), [r["overdue_balance"] or ZERO for r in trend])], title=_g("逐月回收与逾期余额"))
    notes = [
        _g("回收计划：与期间有交集的回收计划，已回收为计划开始日到今天（或截止日）催收登记的回收金额；"
           "预计回收 = 已回收 + 按目前日均速度到截止日 + 截止日前到期的未兑现承诺。"),
        _g("回收趋势：还款回收、核销后收回与核销本金取日终资金流汇总（冲正已冲减）；催收案件回收取催收登记的回收；"
           "月末逾期本金余额取该月末日终的每日组合汇总（账龄非 M0 的借据本金余额），未完成日终的月份为空。"),
        _g("账龄迁徙：上月末在贷借据（月末快照）到本月末的去向，按笔数；恶化率 = 转入更差账龄的笔数 ÷ 上月末笔数，"
           "好转率 = 回到 M0 或结清的笔数 ÷ 上月末笔数（M0 不计）。滚动率 M0 → M1 = 上月末 M0 中本月末为 M1 的比例。"),
    ]
    if not MonthEndIou.objects.filter(month_end=before).exists():
        notes.append(_g("%(day)s 没有月末快照，账龄迁徙无法计算。") % {"day": before.isoformat()})
    return ReportResult(title=pgettext("报表", "回收"), tables=tables, figures=figures, chart=chart, notes=notes,
                        period=(params.date_from, params.date_to), snapshot_month=month, source="snapshot",
                        differences=differences_count(user, month))


def register() -> None:
    register_report(ReportSpec(
        code="repayments", title=_("还款"), group="servicing", run=repayments,
        filters=("period", "branch", "product", "officer"), order=10, landscape=True,
        description=_("按月的应收计划与实收、按期还款率、提前结清。")))
    register_report(ReportSpec(
        code="recovery", title=pgettext_lazy("报表", "回收"), group="servicing", run=recovery_report,
        filters=("period", "month", "months", "branch", "product", "officer"), order=20, landscape=True,
        description=_("回收计划完成情况、逐月回收趋势、账龄迁徙与滚动率。")))
