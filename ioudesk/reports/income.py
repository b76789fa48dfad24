"""收入与客户 reports (issue 14, docs/domain.md §27): 利息收入 (interest, penalty and fee income accrued
and received, by month, from the ledger) and 客户贷款分析 (per customer: IOUs, limit, balance, overdue
history, repayment behaviour; the ten largest borrowers and their concentration against net assets).

利息收入 reads the ledger only, so it agrees with the trial balance by construction:
- 计提 (accrued) = credits − debits on 6011 利息收入, 6012 罚息收入, 6021 手续费收入 in the month
  (a waiver charged to the income account, or a reversal, reduces it);
- 实收 (received) = what repayments took off 1302 应收利息, 1303 应收罚息, 1304 应收费用 (credits of
  repayment entries, less the reversals of repayments), plus the income kept back when the loan was paid
  out (砍头息 and an upfront fee: credited to 6011/6021 by the disbursement, never a receivable).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import ZERO
from ioudesk.calc.reporting import CONCENTRATION_LIMIT, share
from ioudesk.core import clock, scope
from ioudesk.core.fields import MoneySum
from ioudesk.ious.models import LIVE_STATUSES, Iou
from ioudesk.reports.links import iou_list_url
from ioudesk.reports.params import ReportParams, iou_filter, month_end
from ioudesk.reports.portfolio import sees_every_branch
from ioudesk.reports.provisions import settings_current
from ioudesk.reports.registry import Chart, Column, Figure, ReportResult, ReportSpec, Table, register_report

INCOME_ACCOUNTS = {"interest": "6011", "penalty": "6012", "fee": "6021"}
RECEIVABLE_ACCOUNTS = {"interest": "1302", "penalty": "1303", "fee": "1304"}
LIVE = [str(s) for s in LIVE_STATUSES]
PAGE_SIZE = 50


def _filtered(params: ReportParams, user) -> bool:
    """A dimension filter is set, or (`user` given) the user does not see every branch."""
    chosen = bool(params.branch_id or params.product_id or params.officer_id or params.category
                  or params.customer_kind or params.customer_id)
    return chosen or (user is not None and not sees_every_branch(user))


def _postings(params: ReportParams, user, codes):
    """Postings on `codes` (and their sub-accounts) in the period; restricted to the IOUs the user sees
    and the filters pick when the user does not see every branch or a filter is set."""
    from ioudesk.ledger.models import Account, Posting

    roots = list(Account.objects.filter(code__in=codes).values_list("pk", "code"))
    ids = {pk: code for pk, code in roots}
    children = Account.objects.filter(parent_id__in=list(ids)).values_list("pk", "parent_id")
    for pk, parent in children:
        ids[pk] = ids[parent]
    postings = Posting.objects.filter(account_id__in=list(ids), day__gte=params.date_from, day__lte=params.date_to)
    if _filtered(params, user):
        ious = scope.scope_queryset(user, Iou.objects.all()).filter(iou_filter(params)).values("pk")
        postings = postings.filter(iou_id__in=ious)
    return postings, ids


def _month(value) -> date:
    return value if isinstance(value, date) and not hasattr(value, "hour") else value.date()


INCOME_COLUMNS = [
    Column("month", _("月份")),
    Column("interest_accrued", _("利息收入（计提）"), "money", total=True),
    Column("penalty_accrued", _("罚息收入（计提）"), "money", total=True),
    Column("fee_accrued", _("手续费收入"), "money", total=True),
    Column("accrued", _("收入合计"), "money", total=True),
    Column("interest_received", _("实收利息"), "money", total=True),
    Column("penalty_received", _("实收罚息"), "money", total=True),
    Column("fee_received", _("实收费用"), "money", total=True),
    Column("received", _("实收合计"), "money", total=True),
]


def interest_income(params: ReportParams, user) -> ReportResult:
    from ioudesk.ledger.models import EntryKind

    income, income_ids = _postings(params, user, list(INCOME_ACCOUNTS.values()))
    receivable, receivable_ids = _postings(params, user, list(RECEIVABLE_ACCOUNTS.values()))
    receivable = receivable.filter(Q(entry__kind=EntryKind.REPAYMENT)
                                   | Q(entry__kind=EntryKind.REVERSAL, entry__reverses__kind=EntryKind.REPAYMENT))
    # 砍头息 and an upfront fee are kept back from the loan paid out: income received at once, with no receivable
    kept_back = income.filter(Q(entry__kind=EntryKind.DISBURSEMENT)
                              | Q(entry__kind=EntryKind.REVERSAL, entry__reverses__kind=EntryKind.DISBURSEMENT))
    parts = {code: part for part, code in INCOME_ACCOUNTS.items()}
    parts.update({code: part for part, code in RECEIVABLE_ACCOUNTS.items()})
    months: dict[date, dict] = {}

    def row_for(month: date) -> dict:
        return months.setdefault(month, {"month": month.strftime("%Y-%m"), **{c.key: ZERO for c in INCOME_COLUMNS[1:]}})

    for qs, ids, suffix in ((income, income_ids, "accrued"), (receivable, receivable_ids, "received"),
                            (kept_back, income_ids, "received")):
        grouped = (qs.annotate(m=TruncMonth("day")).values("m", "account_id")
                   .annotate(d=MoneySum("debit"), c=MoneySum("credit")).order_by())
        for r in grouped:
            row = row_for(_month(r["m"]))
            part = parts[ids[r["account_id"]]]
            row[f"{part}_{suffix}"] += r["c"] - r["d"]
    rows = [months[k] for k in sorted(months)]
    for row in rows:
        row["accrued"] = row["interest_accrued"] + row["penalty_accrued"] + row["fee_accrued"]
        row["received"] = row["interest_received"] + row["penalty_received"] + row["fee_received"]
    totals = {c.key: sum((r[c.key] for r in rows), ZERO) for c in INCOME_COLUMNS[1:]}
    notes = [_g("计提 = 期间内 6011 利息收入、6012 罚息收入、6021 手续费收入的贷方减借方（减免、冲正冲减）；实收 = 还款冲减 1302 应收利息、"
                "1303 应收罚息、1304 应收费用的金额（还款冲正后扣回），加放款时预扣的利息与手续费。数字直接取自总账。")]
    if _filtered(params, user):
        notes.append(_g("已按网点、产品等筛选：只计与所选借据有关的分录。") if _filtered(params, None)
                     else _g("只计您可查看的网点的借据的分录，与全机构总账不同。"))
    return ReportResult(
        title=_g("利息收入"),
        tables=[Table(columns=INCOME_COLUMNS, rows=rows, totals=totals)],
        figures=[Figure(_("利息收入（计提）"), totals["interest_accrued"]),
                 Figure(_("罚息收入（计提）"), totals["penalty_accrued"]),
                 Figure(_("实收利息与罚息"), totals["interest_received"] + totals["penalty_received"]),
                 Figure(_("收入实收率"), share(totals["received"], totals["accrued"]), "percent")],
        chart=Chart("bar", [r["month"] for r in rows], [(_g("收入合计"), [r["accrued"] for r in rows]),
                                                        (_g("实收合计"), [r["received"] for r in rows])],
                    title=_g("逐月收入与实收")),
        period=(params.date_from, params.date_to), as_of=params.date_to, notes=notes,
    )


# --- 客户贷款分析 -----------------------------------------------------------------------------------------


def net_assets(day: date | None = None) -> tuple[Decimal, str]:
    """ReportSettings.net_assets when set, else the ledger's equity to `day` (default: every posting,
    as before): Σ(credit − debit) over equity, income and expense accounts (paid-in capital plus the
    profit not yet closed out), from the close's per-day account sums (ledger_days.account_balances)."""
    from ioudesk.ledger.models import Account, AccountType
    from ioudesk.reports.ledger_days import account_balances

    settings = settings_current()
    if settings.net_assets is not None:
        return settings.net_assets, "settings"
    ids = set(Account.objects.filter(type__in=[AccountType.EQUITY, AccountType.INCOME, AccountType.EXPENSE])
              .values_list("pk", flat=True))
    balances = account_balances(day or date.max)
    return sum((credit - debit for pk, (debit, credit) in balances.items() if pk in ids), ZERO), "ledger"


CUSTOMER_COLUMNS = [
    Column("customer", _("客户")), Column("number", _("客户编号")), Column("kind", _("客户类型")),
    Column("ious", _("借据笔数"), "int", total=True), Column("live", _("在贷笔数"), "int", total=True),
    Column("principal", _("累计借款本金"), "money", total=True),
    Column("limit", _("信用额度"), "money"),
    Column("balance", _("本金余额"), "money", total=True),
    Column("outstanding", _("欠款合计"), "money", total=True),
    Column("max_dpd", _("当前最长逾期天数"), "int"),
    Column("overdue_months", _("近12个月逾期月数"), "int"),
    Column("on_time", _("按期还款率"), "percent"),
    Column("written_off", _("核销笔数"), "int", total=True),
]
TOP_COLUMNS = [
    Column("rank", _("排名"), "int"), Column("customer", _("客户")),
    Column("balance", _("本金余额"), "money", total=True),
    Column("share", _("占全部余额"), "percent"),
    Column("concentration", _("占净资产"), "percent"),
    Column("over", _("超过单户上限")),
]


def _customer_rows(params: ReportParams, user):
    """(the IOUs the report counts, scoped and filtered; their figures per customer: the one SELECT the
    close writes into CustomerFigure)."""
    from ioudesk.reports.customer_figures import counted_ious, customer_grouped

    ious = scope.scope_queryset(user, counted_ious()).filter(iou_filter(params))
    return ious, customer_grouped(ious)


def _customer_live(params: ReportParams, user, offset: int):
    """The report's rows computed from the IOUs (no close wrote CustomerFigure yet, or the figures
    cannot answer the filters): the same grouped query."""
    from ioudesk.reports.customer_figures import CustomerRows

    ious, grouped = _customer_rows(params, user)
    count = ious.values("customer_id").distinct().count()
    page = list(grouped.order_by("-balance", "customer_id")[offset:offset + PAGE_SIZE])
    top = ([r for r in page[:10] if r["balance"] > 0] if offset == 0
           else list(grouped.filter(balance__gt=0).order_by("-balance", "customer_id")[:10]))
    whole = ious.filter(status__in=LIVE).aggregate(v=MoneySum("principal_outstanding"))["v"]
    return CustomerRows(count=count, page=page, top=top, whole=whole, day=None)


def customer_analysis(params: ReportParams, user) -> ReportResult:
    from ioudesk.customers.models import Customer, CustomerKind
    from ioudesk.ious.models import Installment
    from ioudesk.reports.customer_figures import customer_figures_read
    from ioudesk.reports.models import MonthEndIou

    today = clock.today()
    offset = (params.page - 1) * PAGE_SIZE
    # the latest close's CustomerFigure (customers with transactions since computed from their IOUs),
    # else the same figures from the IOUs
    ious, _grouped = _customer_rows(params, user)
    found = customer_figures_read(params, user, ious, offset, PAGE_SIZE) or _customer_live(params, user, offset)
    count, page, whole, top = found.count, found.page, found.whole, found.top
    ids = [r["customer_id"] for r in page]
    customers = {c.pk: c for c in Customer.objects.filter(pk__in=ids).select_related("counterparty")
                 .only("pk", "name", "number", "kind", "counterparty__credit_limit")}
    # overdue history: month ends of the last 12 at which one of the customer's IOUs was past due
    first = month_end(today.replace(day=1) - timedelta(days=335))
    history = dict(MonthEndIou.objects.filter(customer_id__in=ids, month_end__gte=first, days_past_due__gt=0)
                   .values("customer_id").annotate(n=Count("month_end", distinct=True)).values_list("customer_id", "n"))
    # repayment behaviour: of the installments already due (current schedules), the share paid off on time
    due = Installment.objects.filter(schedule__iou__customer_id__in=ids, schedule__is_current=True, due_date__lt=today)
    behaviour = {r["schedule__iou__customer_id"]: r for r in due.values("schedule__iou__customer_id").annotate(
        due=Count("id"), on_time=Count("id", filter=Q(paid_off_on__isnull=False, paid_off_on__lte=F("due_date"))))
        .order_by()}
    kinds = dict(CustomerKind.choices)
    rows = []
    for r in page:
        customer = customers.get(r["customer_id"])
        profile = getattr(customer, "counterparty", None) if customer else None
        b = behaviour.get(r["customer_id"], {})
        rows.append({
            "customer": customer.name if customer else "", "number": customer.number if customer else "",
            "kind": str(kinds.get(customer.kind, "")) if customer else "",
            "ious": r["ious"], "live": r["live"], "principal": r["principal"],
            "limit": profile.credit_limit if profile else None, "balance": r["balance"],
            "outstanding": r["balance"] + r["interest"] + r["penalty"] + r["fee"],
            "max_dpd": r["max_dpd"] or 0, "overdue_months": history.get(r["customer_id"], 0),
            "on_time": share(b.get("on_time", 0), b.get("due", 0)), "written_off": r["written_off"],
            "_links": {"ious": iou_list_url(params, customer__id__exact=r["customer_id"]),
                       "live": iou_list_url(params, customer__id__exact=r["customer_id"], live=1)},
        })
    # the ten largest borrowers against net assets (the single-borrower limit)
    limit = settings_current().concentration_limit or CONCENTRATION_LIMIT
    assets, assets_source = net_assets()
    names = dict(Customer.objects.filter(pk__in=[r["customer_id"] for r in top]).values_list("pk", "name"))
    top_rows = []
    for rank, r in enumerate(top, 1):
        concentration = share(r["balance"], assets) if assets > 0 else None
        top_rows.append({
            "rank": rank, "customer": names.get(r["customer_id"], ""), "balance": r["balance"],
            "share": share(r["balance"], whole), "concentration": concentration,
            "over": (_g("是") if concentration is not None and concentration > limit else _g("否")),
            "_links": {"balance": iou_list_url(params, customer__id__exact=r["customer_id"], live=1)},
        })
    top_total = sum((r["balance"] for r in top_rows), ZERO)
    largest = top_rows[0]["concentration"] if top_rows else None
    over = sum(1 for r in top_rows if r["over"] == _g("是"))
    notes = [
        _g("单户集中度 = 单一借款人本金余额 ÷ 净资产；小额贷款公司对同一借款人的贷款余额不得超过净资产的 %(limit)s%%"
           "（《关于加强小额贷款公司监督管理的通知》银保监办发〔2020〕86号）。") % {"limit": limit},
        (_g("净资产取自报表设置：¥%(v)s。") if assets_source == "settings" else
         _g("净资产按总账计算（实收资本等所有者权益加未结转的收入减费用）：¥%(v)s。")) % {"v": f"{assets:,.2f}"},
        _g("近12个月逾期月数：最近12个月末快照中有借据逾期的月数；按期还款率：已到期的各期中在到期日当天或以前还清的比例。"),
    ]
    if assets <= 0:
        notes.append(_g("净资产不大于零，无法计算集中度：请在报表设置中填写净资产。"))
    if found.day is not None:
        notes.append(_g("数据截至 %(day)s 日终（客户日终汇总）。") % {"day": found.day.isoformat()})
        if found.patched:
            notes.append(_g("其中 %(n)s 个客户（日终后有交易，或借据分属不同网点、产品、客户经理而按其筛选）按借据当前数计算。")
                         % {"n": found.patched})
    return ReportResult(
        title=_g("客户贷款分析"),
        tables=[Table(columns=CUSTOMER_COLUMNS, rows=rows, title=_g("客户（按本金余额从大到小）")),
                Table(columns=TOP_COLUMNS, rows=top_rows, totals={"balance": top_total,
                                                                  "share": share(top_total, whole)},
                      title=_g("前十大借款人与单户集中度"))],
        figures=[Figure(_("客户数"), count, "int"), Figure(_("前十大借款人余额占比"), share(top_total, whole), "percent"),
                 Figure(_("最大单户集中度"), largest, "percent"),
                 Figure(_("超过单户上限的客户"), over, "int")],
        chart=Chart("bar", [r["customer"] for r in top_rows], [(_g("本金余额"), [r["balance"] for r in top_rows])],
                    title=_g("前十大借款人")),
        rows_total=count, as_of=today, notes=notes,
    )


def register() -> None:
    register_report(ReportSpec(
        code="interest-income", title=_("利息收入"), group="income", run=interest_income,
        filters=("period", "branch", "product", "officer", "category", "customer_kind"), order=10, landscape=True,
        description=_("逐月计提的利息、罚息与手续费收入和实收数，取自总账（6011、6012、6021；1302、1303、1304）。")))
    register_report(ReportSpec(
        code="customer-analysis", title=_("客户贷款分析"), group="income", run=customer_analysis,
        filters=("branch", "product", "officer", "category", "customer_kind", "customer"), order=20, landscape=True,
        paginated=True,
        description=_("每个客户的借据、额度、余额、逾期记录与还款表现；前十大借款人与单户集中度（净资产的 10%）。")))
