"""往来账款 reports (issue 14, docs/domain.md §26–27): 客户欠款分析, 账龄分析, 回款趋势.

Read only, through ioudesk.receivables.selectors where it has the figure (one GROUP BY over the open
items per customer: ``aging_by_customer``; the classification by nature, term and customer category;
DSO), and grouped queries over bills, receipts and allocations by month for the trend. Aging counts
days past due at the business date (due today or later: 未到期); the open amounts are today's.
"""

from __future__ import annotations

from django.db.models import CharField, Count, Q, Sum
from django.db.models.functions import Cast, Substr
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import ZERO
from ioudesk.calc.reporting import share
from ioudesk.core import clock, scope
from ioudesk.receivables import selectors as rs
from ioudesk.receivables.models import (
    Allocation,
    Bill,
    BillKind,
    BillStatus,
    Direction,
    Receipt,
    ReceiptStatus,
)
from ioudesk.reports.links import bills_url
from ioudesk.reports.params import ReportParams, month_end, month_ends
from ioudesk.reports.registry import Chart, Column, Figure, ReportResult, ReportSpec, Table, register_report

LIMIT = 100  # customers listed (the totals are over every customer)


def _filters(params: ReportParams) -> rs.OverviewFilters:
    return rs.OverviewFilters(branch_id=params.branch_id, category=params.category or None, limit=LIMIT)


def _note_scope() -> str:
    return _g("金额为今天的未结金额（应收单的到期明细），逾期天数按营业日 %(day)s 计；网点筛选只含所选网点本身。") % {
        "day": clock.today().isoformat()}


# --- 客户欠款分析 --------------------------------------------------------------------------------------


def _loans_owed(user, filters: rs.OverviewFilters):
    """The live IOUs' unpaid principal, interest, penalty and fees (the 借款 row of 按欠款性质): from
    PortfolioCube of the latest closed day (branch exactly, customer category), else its SELECT.
    Returns (amount, closed day or None)."""
    from ioudesk.reports import cube

    visible = scope.visible_branch_ids(user)
    branches = None if visible is None else set(visible)
    if filters.branch_id:
        branches = {filters.branch_id} if branches is None else branches & {filters.branch_id}
    where = cube.Where(branches=None if branches is None else tuple(sorted(branches)), category=filters.category or "")
    day = cube.latest_day(on_or_before=clock.today())
    rows = cube.figures(where, (), frozen=False, day=day or clock.today(), use_cube=day is not None)
    row = rows[0]
    return (row["principal_outstanding"] + row["interest_outstanding"] + row["penalty_outstanding"]
            + row["fee_outstanding"]), day


def _classification(user, today, filters: rs.OverviewFilters, aging: dict) -> dict:
    """rs.classification with its 借款 row from the cube: the selector is asked with a term that
    leaves its bills alone (only 短期/长期 narrow them) but skips its own sum over every IOU."""
    from dataclasses import replace

    groups = rs.classification(user, day=today, filters=replace(filters, term="all"), aging=aging)
    if filters.direction == Direction.RECEIVABLE and not filters.nature and not filters.term:
        amount, day = _loans_owed(user, filters)
        groups["nature"] = [*groups["nature"], ("loan", _("借款"), amount)]
        groups["loans_day"] = day
    return groups


def debt(params: ReportParams, user) -> ReportResult:
    today = clock.today()
    filters = _filters(params)
    aging = rs.aging_by_customer(user, day=today, filters=filters)
    groups = _classification(user, today, filters, aging)
    rows = []
    for row in aging["rows"]:
        rows.append({"number": row["number"], "name": row["name"], "category": row["category_label"],
                     "items": row["items"], "total": row["total"], "overdue": row["overdue"], "short": row["short"],
                     "long": row["long"], "overdue_share": share(row["overdue"], row["total"]),
                     "_links": {"total": bills_url(customer=row["customer_id"]),
                                "overdue": bills_url(customer=row["customer_id"], overdue="1")}})
    columns = [Column("number", _("客户编号")), Column("name", _("往来单位")), Column("category", _("客户分类")),
               Column("items", _("未结笔数"), "int", total=True), Column("total", _("未结金额"), "money", total=True),
               Column("overdue", _("逾期金额"), "money", total=True), Column("short", _("短期逾期"), "money", total=True),
               Column("long", _("长期逾期"), "money", total=True), Column("overdue_share", _("逾期占比"), "percent")]
    sums = aging["totals"]
    totals = {"number": _g("合计（全部 %(n)d 户）") % {"n": aging["customers"]}, "items": sums["items"],
              "total": sums["total"], "overdue": sums["overdue"], "short": sums["short"], "long": sums["long"],
              "overdue_share": share(sums["overdue"], sums["total"])}

    def group_table(title, key, label_title):
        items = groups[key]
        whole = sum((amount for _k, _l, amount in items), ZERO)
        group_rows = [{"name": str(label), "amount": amount, "share": share(amount, whole)}
                      for _code, label, amount in items]
        return Table([Column("name", label_title), Column("amount", _("金额"), "money", total=True),
                      Column("share", _("占比"), "percent")], group_rows,
                     totals={"name": _g("合计"), "amount": whole}, title=title)

    tables = [Table(columns, rows, totals=totals, title=_g("按客户（未结金额最大的 %(n)d 户）") % {"n": LIMIT}),
              group_table(_g("按欠款性质"), "nature", _("欠款性质")),
              group_table(_g("按逾期期限"), "term", _("期限")),
              group_table(_g("按客户分类"), "category", _("客户分类"))]
    figures = [Figure(_g("应收未结"), sums["total"], "money", link=bills_url(status=BillStatus.OPEN)),
               Figure(_g("逾期金额"), sums["overdue"], "money", link=bills_url(overdue="1")),
               Figure(_g("欠款客户数"), aging["customers"], "int")]
    top = rows[:10]
    chart = Chart("bar", [r["name"] for r in top], [(_g("未结金额"), [r["total"] for r in top]),
                                                   (_g("逾期金额"), [r["overdue"] for r in top])],
                  title=_g("未结金额最大的客户"))
    notes = [_note_scope(),
             _g("短期逾期：逾期不超过 %(days)d 天；长期逾期：超过 %(days)d 天（往来设置）。按欠款性质一表另含借据的"
                "未还本息（借款），其余各表只含应收单。") % {"days": aging["long_overdue_days"]}]
    if groups.get("loans_day") is not None:
        from ioudesk.reports.cube import latest_note

        notes.append(_g("借款一行：") + latest_note(groups["loans_day"]))
    return ReportResult(title=_g("客户欠款分析"), tables=tables, figures=figures, chart=chart, notes=notes,
                        as_of=today)


# --- 账龄分析 ------------------------------------------------------------------------------------------


def aging(params: ReportParams, user) -> ReportResult:
    today = clock.today()
    filters = _filters(params)
    found = rs.aging_by_customer(user, day=today, filters=filters)
    sums = found["totals"]
    bucket_rows = [{"bucket": str(rs.BUCKET_LABELS[key]), "amount": sums[key], "share": share(sums[key], sums["total"]),
                    "_links": {"amount": bills_url(bucket=key)}} for key in rs.BUCKET_KEYS]
    bucket_table = Table([Column("bucket", _("账龄")), Column("amount", _("未结金额"), "money", total=True),
                          Column("share", _("占比"), "percent")], bucket_rows,
                         totals={"bucket": _g("合计"), "amount": sums["total"]}, title=_g("账龄结构"))
    customer_columns = [Column("name", _("往来单位")), Column("total", _("未结金额"), "money", total=True),
                        *(Column(key, rs.BUCKET_LABELS[key], "money", total=True) for key in rs.BUCKET_KEYS)]
    customer_rows = [{"name": row["name"], "total": row["total"], **{key: row[key] for key in rs.BUCKET_KEYS},
                      "_links": {"total": bills_url(customer=row["customer_id"])}} for row in found["rows"]]
    customer_totals = {"name": _g("合计（全部 %(n)d 户）") % {"n": found["customers"]}, "total": sums["total"],
                       **{key: sums[key] for key in rs.BUCKET_KEYS}}
    dso = rs.dso(user, day=today)
    days = rs.receivables_settings().dso_days
    figures = [Figure(_g("应收未结"), sums["total"], "money"),
               Figure(_g("逾期占比"), share(sums["overdue"], sums["total"]), "percent"),
               Figure(_g("应收账款周转天数"), dso, "text")]
    chart = Chart("bar", [r["bucket"] for r in bucket_rows], [(_g("未结金额"), [r["amount"] for r in bucket_rows])],
                  title=_g("各账龄的未结金额"))
    notes = [_note_scope(),
             _g("账龄 = 营业日 − 到期日（天），按每笔到期明细计；未到期 = 今天或以后到期。"),
             _g("应收账款周转天数 = 期末应收未结 ÷ 近 %(days)d 天含税销售额（减红字冲减）× %(days)d，一位小数；不受网点与分类筛选。") % {
                 "days": days}]
    return ReportResult(title=_g("账龄分析"), tables=[bucket_table, Table(
        customer_columns, customer_rows, totals=customer_totals, title=_g("按客户（未结金额最大的 %(n)d 户）") % {
            "n": LIMIT})], figures=figures, chart=chart, notes=notes, as_of=today)


# --- 回款趋势 ------------------------------------------------------------------------------------------


def _month(expression: str):
    return Substr(Cast(expression, CharField()), 1, 7)


def _scoped(user, queryset, params: ReportParams, customer: str = "customer__", branch: str = "branch"):
    queryset = scope.scope_queryset(user, queryset, branch)
    if params.branch_id:
        queryset = queryset.filter(**{f"{branch}_id": params.branch_id})
    if params.category:
        queryset = queryset.filter(**{f"{customer}category": params.category})
    return queryset


def trend(params: ReportParams, user) -> ReportResult:
    today = clock.today()
    ends = month_ends(month_end(today), params.months)
    first, last = ends[0].replace(day=1), min(ends[-1], today)
    rows = {f"{end:%Y-%m}": {"month": f"{end:%Y-%m}", "billed": ZERO, "credited": ZERO, "received": ZERO,
                             "receipts": 0, "matched": ZERO, "unmatched": ZERO} for end in ends}
    bills = _scoped(user, Bill.objects.filter(direction=Direction.RECEIVABLE,
                                              status__in=(BillStatus.OPEN, BillStatus.PAID),
                                              bill_date__gte=first, bill_date__lte=last), params)
    for row in bills.annotate(m=_month("bill_date")).values("m").annotate(
            sales=Sum("total", filter=Q(kind__in=(BillKind.SALES, BillKind.SERVICE)), default=ZERO),
            credited=Sum("total", filter=Q(kind=BillKind.CREDIT_NOTE), default=ZERO)).order_by():
        rows[row["m"]]["billed"] += row["sales"]
        rows[row["m"]]["credited"] += row["credited"]
    receipts = _scoped(user, Receipt.objects.filter(direction=Direction.RECEIVABLE, day__gte=first, day__lte=last)
                       .exclude(status=ReceiptStatus.IGNORED), params)
    for row in receipts.annotate(m=_month("day")).values("m").annotate(
            amount=Sum("amount", default=ZERO), unmatched=Sum("unmatched", default=ZERO),
            n=Count("id")).order_by():
        rows[row["m"]]["received"] += row["amount"]
        rows[row["m"]]["unmatched"] += row["unmatched"]
        rows[row["m"]]["receipts"] += row["n"] or 0
    allocations = _scoped(user, Allocation.objects.filter(undone=False, due__isnull=False,
                                                          due__direction=Direction.RECEIVABLE,
                                                          day__gte=first, day__lte=last), params,
                          customer="due__customer__", branch="due__branch")
    for row in allocations.annotate(m=_month("day")).values("m").annotate(amount=Sum("amount", default=ZERO)).order_by():
        rows[row["m"]]["matched"] += row["amount"]
    out = [rows[key] for key in sorted(rows)]
    for row in out:
        row["net_billed"] = row["billed"] - row["credited"]
        row["collection_rate"] = share(row["matched"], row["net_billed"]) if row["net_billed"] > 0 else None
    columns = [Column("month", _("月份")), Column("billed", _("开单（含税）"), "money", total=True),
               Column("credited", _("红字冲减"), "money", total=True),
               Column("net_billed", _("净开单"), "money", total=True),
               Column("receipts", _("收款笔数"), "int", total=True), Column("received", _("收款金额"), "money", total=True),
               Column("matched", _("核销到应收单"), "money", total=True),
               Column("unmatched", _("尚未核销"), "money", total=True),
               Column("collection_rate", _("回款率"), "percent")]
    totals = {c.key: sum((r[c.key] for r in out), 0 if c.kind == "int" else ZERO) for c in columns if c.total}
    totals.update(month=_g("合计"), collection_rate=share(totals["matched"], totals["net_billed"])
                  if totals["net_billed"] > 0 else None)
    figures = [Figure(_g("期间收款"), totals["received"], "money"),
               Figure(_g("期间回款率"), totals["collection_rate"], "percent"),
               Figure(_g("应收账款周转天数"), rs.dso(user, day=today), "text")]
    chart = Chart("line", [r["month"] for r in out], [(_g("净开单"), [r["net_billed"] for r in out]),
                                                     (_g("收款金额"), [r["received"] for r in out]),
                                                     (_g("核销到应收单"), [r["matched"] for r in out])],
                  title=_g("逐月开单与回款"))
    notes = [_g("开单：已生效（未结清或已结清）的销售单、服务单按单据日期的价税合计；红字冲减单单列。"
                "收款：收付日期在该月的收款（不含无需核销的），尚未核销为其今天仍未核销的金额；"
                "核销到应收单：核销日期在该月、未撤销的核销金额。回款率 = 核销到应收单 ÷ 净开单。"),
             _g("网点筛选只含所选网点本身；本月截至营业日 %(day)s。") % {"day": today.isoformat()}]
    return ReportResult(title=_g("回款趋势"), tables=[Table(columns, out, totals=totals, title=_g("逐月"))],
                        figures=figures, chart=chart, notes=notes, period=(first, last), as_of=today)


def register() -> None:
    register_report(ReportSpec(
        code="receivables-debt", title=_("客户欠款分析"), group="receivables", run=debt,
        filters=("branch", "category"), order=10, landscape=True, permission="receivables.view_bill",
        description=_("每个往来单位的未结、逾期（短期、长期）金额；按欠款性质、逾期期限、客户分类汇总。")))
    register_report(ReportSpec(
        code="receivables-aging", title=_("账龄分析"), group="receivables", run=aging,
        filters=("branch", "category"), order=20, landscape=True, permission="receivables.view_bill",
        description=_("应收未结金额的账龄结构（未到期、1–30天 … 365天以上），按客户；应收账款周转天数。")))
    register_report(ReportSpec(
        code="receivables-trend", title=_("回款趋势"), group="receivables", run=trend,
        filters=("months", "branch", "category"), order=30, permission="receivables.view_bill",
        description=_("逐月开单、收款、核销与回款率。")))

