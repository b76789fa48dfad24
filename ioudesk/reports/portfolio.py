"""资产质量 reports (issue 14, docs/domain.md §27): 贷款余额明细 and 贷款余额汇总, 逾期与账龄, 五级分类 with
its migration matrix, 不良率与逾期率趋势, 核销与收回.

Where the figures come from (never a scan of installments per request):
- today (the business date): the per-IOU figures the close keeps on Iou (principal_outstanding …,
  days_past_due, bucket, classification), live statuses only;
- a closed month end: the month's snapshot (MonthEndIou), and the result says so (source "snapshot");
- 逾期与账龄 needs overdue principal and interest (unpaid parts of installments already due), which the
  close writes per day into PortfolioDay: the latest closed day, or a month end's MonthEndIou.

Definitions (§27): 贷款余额 = unpaid principal; 逾期贷款余额 = the unpaid principal of IOUs overdue
(days past due > 0); 逾期率 = 逾期贷款余额 ÷ 贷款余额; 不良贷款 = 次级 + 可疑 + 损失, 不良率 = their
balance ÷ 贷款余额; PAR30/PAR90 = the balance of IOUs more than 30/90 days past due ÷ 贷款余额.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, CharField, Count, F, Max, Q, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import ZERO
from ioudesk.calc.reporting import NON_PERFORMING, SIZE_BANDS, TERM_BANDS, TIERS, share
from ioudesk.core import clock, scope
from ioudesk.core.errors import ValidationFailed
from ioudesk.core.fields import MoneyField, MoneySum
from ioudesk.core.names import person_name
from ioudesk.ious.models import (
    LIVE_STATUSES,
    Classification,
    GuaranteeType,
    Iou,
    IouKind,
    Purpose,
    RecoveryMethod,
    Status,
    Transaction,
    TransactionKind,
)
from ioudesk.reports.dimensions import guarantee_expr, purpose_expr
from ioudesk.reports.links import iou_list_url
from ioudesk.reports.models import MonthEndIou, MonthSnapshot, PortfolioDay, SnapshotDifference
from ioudesk.reports.params import BUCKETS, ReportParams, iou_filter, month_end, month_ends
from ioudesk.reports.registry import (
    Chart,
    Column,
    Figure,
    ReportOption,
    ReportResult,
    ReportSpec,
    Table,
    register_export_rows,
    register_options,
    register_report,
)

PAGE_SIZE = 50
LIVE = [str(s) for s in LIVE_STATUSES]
DIMENSION_FILTERS = ("branch", "product", "officer", "category", "customer_kind", "classification", "bucket")

KIND_LABELS = {"loan": _("借条"), "debt": _("欠条")}
SIZE_LABELS = {"le_10w": _("10万元及以下"), "10w_50w": _("10万至50万元"), "50w_100w": _("50万至100万元"),
               "100w_500w": _("100万至500万元"), "gt_500w": _("500万元以上")}
TERM_LABELS = {"le_6": _("6个月及以下"), "7_12": _("7至12个月"), "13_36": _("13至36个月"), "gt_36": _("36个月以上")}
DIMENSIONS = {
    "product": _("产品"), "branch": _("网点"), "officer": _("客户经理"), "purpose": _("借款用途"),
    "guarantee": _("担保方式"), "size": _("金额分档"), "term": _("期限分档"),
}
BUCKET_DPD = {"M0": (0, 0), "M1": (1, 30), "M2": (31, 60), "M3": (61, 90), "M4": (91, 120), "M5": (121, 150),
              "M6": (151, 180), "M7+": (181, None)}
BUCKET_LABELS = {"M0": _("M0 未逾期"), "M1": _("M1（1–30天）"), "M2": _("M2（31–60天）"), "M3": _("M3（61–90天）"),
                 "M4": _("M4（91–120天）"), "M5": _("M5（121–150天）"), "M6": _("M6（151–180天）"),
                 "M7+": _("M7+（180天以上）")}


# --- shared pieces --------------------------------------------------------------------------------------


def kind_of(params: ReportParams) -> str:
    kind = (params.extra or {}).get("kind") or ""
    if kind and kind not in IouKind.values:
        raise ValidationFailed(_g("类型无效，请选择借条或欠条。"), extra={"field": "kind"})
    return kind


def staff_names(ids) -> dict[int, str]:
    from django.contrib.auth import get_user_model

    rows = get_user_model().objects.filter(pk__in=[i for i in ids if i]).values_list(
        "pk", "last_name", "first_name", "username")
    return {pk: person_name(last, first) or username for pk, last, first, username in rows}


def sees_every_branch(user) -> bool:
    """Whether the user's data scope is the whole organisation (every branch, e.g. the head office's staff)."""
    from ioudesk.core.models import Branch

    visible = scope.visible_branch_ids(user)
    return visible is None or len(set(visible)) >= Branch.objects.count()


def snapshot_differences(user, month: date) -> int:
    return scope.scope_queryset(user, SnapshotDifference.objects.filter(month_end=month)).count()


class Source:
    """Where an as-of report reads its IOUs: the live Iou table (the business date) or a month end's
    MonthEndIou rows. `qs` is scoped and filtered; field names common to both are used."""

    def __init__(self, params: ReportParams, user, *, kind: str = ""):
        today = clock.today()
        self.as_of = params.as_of or today
        self.snapshot = None
        if self.as_of >= today:
            qs = Iou.objects.filter(status__in=LIVE)
        else:
            self.snapshot = MonthSnapshot.objects.filter(month_end=self.as_of).first()
            if self.snapshot is None:
                raise ValidationFailed(
                    _g("数据日期 %(day)s 没有月末快照：请选营业日 %(today)s（当前数）或已生成快照的月末日。") % {
                        "day": self.as_of.isoformat(), "today": today.isoformat()}, extra={"field": "as_of"})
            qs = MonthEndIou.objects.filter(month_end=self.as_of, status__in=LIVE)
        qs = scope.scope_queryset(user, qs).filter(iou_filter(params))
        if kind:
            qs = qs.filter(kind=kind)
        self.qs = qs
        self.user = user
        self.params = params
        self.kind = kind
        self.cube_day = None  # the closed day whose PortfolioCube cells a live report read

    def cube_rows(self, by: tuple[str, ...]) -> list[dict] | None:
        """The IOUs of `qs` grouped by the PortfolioCube dimensions `by` (every measure summed): the
        cells of the latest closed day (live) or of the month end (snapshot) when the close wrote
        them, else the cube's own SELECT over the IOUs / MonthEndIou. None when a filter is not a
        cube dimension (a single customer): the caller runs its query over `qs`."""
        from ioudesk.reports import cube

        where = cube.where_of(self.params, self.user, kind=self.kind)
        if where is None:
            return None
        if self.live:
            day = cube.latest_day(on_or_before=self.as_of)
            self.cube_day = day
            return cube.figures(where, by, frozen=False, day=day or self.as_of, use_cube=day is not None)
        return cube.figures(where, by, frozen=True, day=self.as_of, use_cube=cube.frozen_written(self.as_of))

    @property
    def live(self) -> bool:
        return self.snapshot is None

    @property
    def iou_prefix(self) -> str:
        return "" if self.live else "iou__"

    def guarantee(self):
        return guarantee_expr() if self.live else F("guarantee")

    def purpose(self):
        return purpose_expr() if self.live else F("purpose")

    def stamp(self, result: ReportResult) -> ReportResult:
        result.as_of = self.cube_day or self.as_of  # the day the figures stand at (the latest close's)
        if self.cube_day is not None:
            from ioudesk.reports.cube import latest_note

            result.notes.append(latest_note(self.cube_day))
        if not self.live:
            result.source = "snapshot"
            result.snapshot_month = self.as_of
            result.differences = snapshot_differences(self.user, self.as_of)
            result.notes.append(_g("%(day)s 为已关账月末：数字取自月末快照；快照后追溯录入的变动另列为差异（%(count)s 项），不改写快照。") % {
                "day": self.as_of.isoformat(), "count": result.differences})
        return result


def size_expr():
    whens = [When(principal__lte=Value(upper, output_field=MoneyField()), then=Value(code))
             for code, upper in SIZE_BANDS if upper is not None]
    return Case(*whens, default=Value(SIZE_BANDS[-1][0]), output_field=CharField())


def term_expr():
    whens = [When(term__lte=upper, then=Value(code)) for code, upper in TERM_BANDS if upper is not None]
    return Case(*whens, default=Value(TERM_BANDS[-1][0]), output_field=CharField())


def balance_sums(prefix: str = "") -> dict:
    return {
        "count": Count("id"),
        "principal": MoneySum(f"{prefix}principal"),
        "principal_outstanding": MoneySum(f"{prefix}principal_outstanding"),
        "interest_outstanding": MoneySum(f"{prefix}interest_outstanding"),
        "penalty_outstanding": MoneySum(f"{prefix}penalty_outstanding"),
        "fee_outstanding": MoneySum(f"{prefix}fee_outstanding"),
    }


def _money(value) -> Decimal:
    return value if value is not None else ZERO


BALANCE_COLUMNS = [
    Column("count", _("笔数"), "int", total=True),
    Column("principal", _("合同本金"), "money", total=True),
    Column("principal_outstanding", _("本金余额"), "money", total=True),
    Column("interest_outstanding", _("应收利息"), "money", total=True),
    Column("penalty_outstanding", _("应收罚息"), "money", total=True),
    Column("fee_outstanding", _("应收费用"), "money", total=True),
    Column("total_outstanding", _("欠款合计"), "money", total=True),
    Column("share", _("余额占比"), "percent"),
]


def totals_of(rows: list[dict], columns: list[Column]) -> dict:
    out = {}
    for column in columns:
        if column.total:
            zero = 0 if column.kind == "int" else ZERO
            out[column.key] = sum((row.get(column.key) or zero for row in rows), zero)
    return out


# --- 贷款余额明细 ---------------------------------------------------------------------------------------


DETAIL_COLUMNS = [
    Column("number", _("借据编号")), Column("kind", _("类型")), Column("customer", _("客户")),
    Column("branch", _("网点")), Column("product", _("产品")), Column("officer", _("客户经理")),
    Column("principal", _("合同本金"), "money", total=True),
    Column("principal_outstanding", _("本金余额"), "money", total=True),
    Column("interest_outstanding", _("应收利息"), "money", total=True),
    Column("penalty_outstanding", _("应收罚息"), "money", total=True),
    Column("fee_outstanding", _("应收费用"), "money", total=True),
    Column("annual_rate", _("年利率"), "rate"),
    Column("contract_date", _("借款日期"), "date"), Column("maturity_date", _("到期日"), "date"),
    Column("days_past_due", _("逾期天数"), "int"), Column("bucket", _("账龄")),
    Column("classification", _("五级分类")),
]


def detail_rows(source: Source, *, offset: int = 0, limit: int | None = PAGE_SIZE) -> list[dict]:
    """One row per IOU, ordered by number; a page (offset/limit) or all (limit=None, the .xlsx export)."""
    from django.urls import reverse

    p = source.iou_prefix
    fields = {
        "iou_id": "id" if source.live else "iou_id", "number": f"{p}number", "kind": "kind",
        "customer": "customer__name", "branch": "branch__name", "product": "product__name", "officer_id": "officer_id",
        "principal": "principal", "principal_outstanding": "principal_outstanding",
        "interest_outstanding": "interest_outstanding", "penalty_outstanding": "penalty_outstanding",
        "fee_outstanding": "fee_outstanding", "contract_date": "contract_date", "maturity_date": "maturity_date",
        "days_past_due": "days_past_due", "bucket": "bucket", "classification": "classification",
    }
    qs = source.qs.order_by(f"{p}number")
    values = [*fields.values(), "annual_rate"]
    window = qs.values_list(*values)
    window = window[offset:offset + limit] if limit is not None else window[offset:]
    keys = list(fields) + ["annual_rate"]
    rows = [dict(zip(keys, row, strict=True)) for row in window]
    names = staff_names({row["officer_id"] for row in rows})
    tiers = dict(Classification.choices)
    for row in rows:
        row["officer"] = names.get(row.pop("officer_id"), "")
        row["kind"] = str(KIND_LABELS.get(row["kind"], row["kind"]))
        row["classification"] = str(tiers.get(row["classification"], row["classification"]))
        row["customer"] = row["customer"] or ""
        row["product"] = row["product"] or ""
        row["total_outstanding"] = (row["principal_outstanding"] + row["interest_outstanding"]
                                    + row["penalty_outstanding"] + row["fee_outstanding"])
        row["_links"] = {"number": reverse("backoffice:iou_detail", args=[row.pop("iou_id")])}
    return rows


def loan_balance_detail(params: ReportParams, user, *, all_rows: bool = False) -> ReportResult:
    source = Source(params, user, kind=kind_of(params))
    # The rows are the IOUs as they stand, so are their totals (an index holds every summed column);
    # a frozen month end's from its cells.
    cells = None if source.live else source.cube_rows(())
    totals = cells[0] if cells is not None else source.qs.aggregate(**balance_sums())
    offset = 0 if all_rows else (params.page - 1) * PAGE_SIZE
    rows = detail_rows(source, offset=offset, limit=None if all_rows else PAGE_SIZE)
    total_row = {key: _money(totals[key]) for key in ("principal", "principal_outstanding", "interest_outstanding",
                                                       "penalty_outstanding", "fee_outstanding")}
    result = ReportResult(
        title=_g("贷款余额明细"),
        tables=[Table(columns=DETAIL_COLUMNS, rows=rows, totals=total_row)],
        figures=[Figure(_("笔数"), totals["count"], "int", link=iou_list_url(params, live=1) if source.live else ""),
                 Figure(_("本金余额"), total_row["principal_outstanding"]),
                 Figure(_("应收利息、罚息与费用"), total_row["interest_outstanding"] + total_row["penalty_outstanding"]
                        + total_row["fee_outstanding"])],
        rows_total=totals["count"],
        notes=[_g("在贷借据（生效、逾期、已展期），按借据编号排序；合计为全部符合条件的借据，不只本页。")],
    )
    return source.stamp(result)


# --- 贷款余额汇总 ---------------------------------------------------------------------------------------


def _dimension(params: ReportParams) -> str:
    dimension = (params.extra or {}).get("dimension") or "product"
    if dimension not in DIMENSIONS:
        raise ValidationFailed(_g("汇总维度无效，请选择产品、网点、客户经理、借款用途、担保方式、金额分档或期限分档。"),
                               extra={"field": "dimension"})
    return dimension


SUMMARY_KEYS = {"product": "product_id", "branch": "branch_id", "officer": "officer_id", "purpose": "purpose",
                "guarantee": "guarantee", "size": "size_band", "term": "term_band"}


def _summary_cells(source: Source, dimension: str) -> dict | None:
    """key → figures from PortfolioCube (or its SELECT), with the product's / branch's name."""
    column = SUMMARY_KEYS[dimension]
    rows = source.cube_rows((column,))
    if rows is None:
        return None
    found = {row[column]: {**row, "key": row[column]} for row in rows}
    if dimension in ("product", "branch"):
        from ioudesk.core.models import Branch
        from ioudesk.products.models import Product

        model = Product if dimension == "product" else Branch
        names = dict(model.objects.filter(pk__in=[k for k in found if k is not None]).values_list("pk", "name"))
        for key, row in found.items():
            row["name"] = names.get(key)
    return found


def _summary_query(source: Source, dimension: str) -> dict:
    """The same figures by a GROUP BY over the IOUs (a filter the cube has no dimension for)."""
    qs = source.qs
    if dimension == "product":
        grouped = qs.values(key=F("product_id"), name=F("product__name"))
    elif dimension == "branch":
        grouped = qs.values(key=F("branch_id"), name=F("branch__name"))
    elif dimension == "officer":
        grouped = qs.values(key=F("officer_id"))
    elif dimension == "purpose":
        grouped = qs.annotate(key=source.purpose()).values("key")
    elif dimension == "guarantee":
        grouped = qs.annotate(key=source.guarantee()).values("key")
    elif dimension == "size":
        grouped = qs.annotate(key=size_expr()).values("key")
    else:
        grouped = qs.annotate(key=term_expr()).values("key")
    return {row["key"]: row for row in grouped.annotate(**balance_sums()).order_by()}


def loan_balance_summary(params: ReportParams, user) -> ReportResult:
    dimension = _dimension(params)
    source = Source(params, user, kind=kind_of(params))
    found = _summary_cells(source, dimension)
    if found is None:
        found = _summary_query(source, dimension)
    labels: dict = {}
    order: list = []
    if dimension == "purpose":
        labels, order = dict(Purpose.choices), list(Purpose.values)
    elif dimension == "guarantee":
        labels, order = dict(GuaranteeType.choices), list(GuaranteeType.values)
    elif dimension == "size":
        labels, order = SIZE_LABELS, [code for code, _upper in SIZE_BANDS]
    elif dimension == "term":
        labels, order = TERM_LABELS, [code for code, _upper in TERM_BANDS]
    elif dimension == "officer":
        labels = staff_names(found)
        order = sorted(found, key=lambda k: (k is None, labels.get(k, "")))
    else:
        labels = {key: row.get("name") for key, row in found.items()}
        order = sorted(found, key=lambda k: (k is None, labels.get(k) or ""))
    whole = sum((_money(row["principal_outstanding"]) for row in found.values()), ZERO)
    link_key = {"product": "product__id__exact", "branch": "branch__id__exact", "officer": "officer__id__exact"}
    rows = []
    for key in order:
        row = found.get(key)
        if row is None and dimension in ("product", "branch", "officer"):
            continue
        row = row or {"count": 0}
        out = {"key": key, "name": str(labels.get(key) or _g("（未指定）"))}
        for column in ("principal", "principal_outstanding", "interest_outstanding", "penalty_outstanding",
                       "fee_outstanding"):
            out[column] = _money(row.get(column))
        out["count"] = row.get("count", 0)
        out["total_outstanding"] = (out["principal_outstanding"] + out["interest_outstanding"]
                                    + out["penalty_outstanding"] + out["fee_outstanding"])
        out["share"] = share(out["principal_outstanding"], whole)
        if source.live and dimension in link_key and key is not None:
            out["_links"] = {"count": iou_list_url(params, live=1, **{link_key[dimension]: key})}
        rows.append(out)
    columns = [Column("name", DIMENSIONS[dimension]), *BALANCE_COLUMNS]
    result = ReportResult(
        title=_g("贷款余额汇总"),
        tables=[Table(columns=columns, rows=rows, totals=totals_of(rows, columns))],
        figures=[Figure(_("本金余额"), whole), Figure(_("笔数"), sum(r["count"] for r in rows), "int")],
        chart=Chart("bar", [r["name"] for r in rows], [(_g("本金余额"), [r["principal_outstanding"] for r in rows])],
                    title=_g("按%(dimension)s的本金余额") % {"dimension": DIMENSIONS[dimension]}),
        notes=[_g("金额分档按单笔合同本金：10万元及以下、10万至50万元、50万至100万元、100万至500万元、500万元以上；"
                  "期限分档按期数（月）：6个月及以下、7至12个月、13至36个月、36个月以上。担保方式未登记的，有担保人按保证、"
                  "否则按信用；借款用途未登记的按其他。")],
    )
    return source.stamp(result)


# --- 逾期与账龄 ------------------------------------------------------------------------------------------


def _aging_rows(params: ReportParams, user, kind: str):
    """(rows by bucket and branch as dicts, as_of, snapshot or None) from PortfolioDay of the latest
    closed day ≤ as_of, or from MonthEndIou at a snapshotted month end."""
    from ioudesk.closing.selectors import closed_through

    today = clock.today()
    as_of = params.as_of or today
    snapshot = MonthSnapshot.objects.filter(month_end=as_of).first() if as_of < today else None
    sums = {
        "count": Count("id"), "principal_outstanding": MoneySum("principal_outstanding"),
        "interest_outstanding": MoneySum("interest_outstanding"), "penalty_outstanding": MoneySum("penalty_outstanding"),
        "overdue_principal": MoneySum("overdue_principal"), "overdue_interest": MoneySum("overdue_interest"),
    }
    if snapshot is not None:
        qs = MonthEndIou.objects.filter(month_end=as_of, status__in=LIVE)
        qs = scope.scope_queryset(user, qs).filter(iou_filter(params))
        day = as_of
    else:
        # the latest day the close (or the demo) wrote PortfolioDay for, on or before as_of, in scope
        day = (scope.scope_queryset(user, PortfolioDay.objects.filter(day__lte=as_of))
               .aggregate(latest=Max("day"))["latest"])
        if day is None:
            closed = closed_through()
            day = min(as_of, closed) if closed else as_of
            return _aging_live(params, user, kind, day), day, None, _g(
                "还没有日终汇总数据：按借据当前的余额与逾期天数计算（截至 %(day)s）。") % {"day": day.isoformat()}
        # PortfolioDay: the close's figures of `day` (A writes them; count is a column, not rows)
        sums["count"] = Sum("count")  # a PortfolioDay row counts several IOUs
        qs = scope.scope_queryset(user, PortfolioDay.objects.filter(day=day)).filter(iou_filter(params))
    if kind:
        qs = qs.filter(kind=kind)
    rows = list(qs.values("bucket", "branch_id", "branch__name").annotate(**sums).order_by())
    return rows, day, snapshot, ""


def _aging_live(params: ReportParams, user, kind: str, day: date) -> list[dict]:
    """The same rows from the IOUs themselves (before the close's daily figures exist): balances by
    bucket and branch, and the overdue parts (unpaid) of the current installments due before
    `day` of the overdue IOUs only (overdue_since set)."""
    from django.db.models import ExpressionWrapper

    from ioudesk.ious.models import Installment

    ious = scope.scope_queryset(user, Iou.objects.filter(status__in=LIVE)).filter(iou_filter(params))
    if kind:
        ious = ious.filter(kind=kind)
    rows = list(ious.values("bucket", "branch_id", "branch__name").annotate(
        count=Count("id"), principal_outstanding=MoneySum("principal_outstanding")).order_by())
    money = MoneyField()
    due = (Installment.objects.filter(schedule__is_current=True, due_date__lt=day,
                                      schedule__iou__in=ious.filter(overdue_since__isnull=False))
           .values("schedule__iou__bucket", "schedule__iou__branch_id")
           .annotate(op=MoneySum(ExpressionWrapper(F("principal_due") - F("principal_paid"), output_field=money)),
                     oi=MoneySum(ExpressionWrapper(F("interest_due") - F("interest_paid") - F("interest_waived"),
                                                   output_field=money)))
           .order_by())
    parts = {(r["schedule__iou__bucket"], r["schedule__iou__branch_id"]): r for r in due}
    for row in rows:
        part = parts.get((row["bucket"], row["branch_id"]), {})
        row["overdue_principal"] = part.get("op") or ZERO
        row["overdue_interest"] = part.get("oi") or ZERO
    return rows


AGING_COLUMNS = [
    Column("bucket", _("账龄")),
    Column("count", _("笔数"), "int", total=True),
    Column("principal_outstanding", _("本金余额"), "money", total=True),
    Column("overdue_principal", _("逾期本金"), "money", total=True),
    Column("overdue_interest", _("逾期利息"), "money", total=True),
    Column("share", _("余额占比"), "percent"),
]
BRANCH_COLUMNS = [
    Column("branch", _("网点")),
    Column("count", _("笔数"), "int", total=True),
    Column("principal_outstanding", _("本金余额"), "money", total=True),
    Column("overdue_balance", _("逾期贷款余额"), "money", total=True),
    Column("overdue_principal", _("逾期本金"), "money", total=True),
    Column("overdue_interest", _("逾期利息"), "money", total=True),
    Column("overdue_rate", _("逾期率"), "percent"),
    Column("par30", _("PAR30"), "percent"),
    Column("par90", _("PAR90"), "percent"),
]
PAR30_BUCKETS = ("M2", "M3", "M4", "M5", "M6", "M7+")
PAR90_BUCKETS = ("M4", "M5", "M6", "M7+")


def _aging_figures(rows: list[dict]) -> dict:
    whole = sum((_money(r["principal_outstanding"]) for r in rows), ZERO)
    overdue = sum((_money(r["principal_outstanding"]) for r in rows if r["bucket"] != "M0"), ZERO)
    par30 = sum((_money(r["principal_outstanding"]) for r in rows if r["bucket"] in PAR30_BUCKETS), ZERO)
    par90 = sum((_money(r["principal_outstanding"]) for r in rows if r["bucket"] in PAR90_BUCKETS), ZERO)
    return {"whole": whole, "overdue": overdue, "par30": par30, "par90": par90,
            "overdue_rate": share(overdue, whole), "par30_rate": share(par30, whole),
            "par90_rate": share(par90, whole)}


def aging(params: ReportParams, user) -> ReportResult:
    kind = kind_of(params)
    raw, day, snapshot, computed = _aging_rows(params, user, kind)
    by_bucket: dict[str, dict] = {}
    for r in raw:
        agg = by_bucket.setdefault(r["bucket"], {"count": 0, "principal_outstanding": ZERO, "overdue_principal": ZERO,
                                                 "overdue_interest": ZERO})
        agg["count"] += r["count"] or 0
        for key in ("principal_outstanding", "overdue_principal", "overdue_interest"):
            agg[key] += _money(r[key])
    figures = _aging_figures(raw)
    # the IOU list shows IOUs as they are now: links only on the current figures
    live = snapshot is None and (params.as_of or clock.today()) >= clock.today()
    rows = []
    for bucket in BUCKETS:
        agg = by_bucket.get(bucket, {"count": 0, "principal_outstanding": ZERO, "overdue_principal": ZERO,
                                     "overdue_interest": ZERO})
        low, high = BUCKET_DPD[bucket]
        row = {"bucket": str(BUCKET_LABELS[bucket]), **agg, "share": share(agg["principal_outstanding"], figures["whole"])}
        if live:
            row["_links"] = {"count": iou_list_url(params, live=1, bucket=bucket)}
        rows.append(row)
    by_branch: dict[int, dict] = {}
    for r in raw:
        agg = by_branch.setdefault(r["branch_id"], {"branch": r["branch__name"], "rows": []})
        agg["rows"].append(r)
    branch_rows = []
    for branch_id, agg in sorted(by_branch.items(), key=lambda item: item[1]["branch"]):
        f = _aging_figures(agg["rows"])
        branch_rows.append({
            "branch": agg["branch"], "count": sum(r["count"] or 0 for r in agg["rows"]),
            "principal_outstanding": f["whole"], "overdue_balance": f["overdue"],
            "overdue_principal": sum((_money(r["overdue_principal"]) for r in agg["rows"]), ZERO),
            "overdue_interest": sum((_money(r["overdue_interest"]) for r in agg["rows"]), ZERO),
            "overdue_rate": f["overdue_rate"], "par30": f["par30_rate"], "par90": f["par90_rate"],
            "_links": {"overdue_balance": iou_list_url(params, live=1, dpd_min=1, branch__id__exact=branch_id)}
            if live else {},
        })
    branch_totals = totals_of(branch_rows, BRANCH_COLUMNS)
    branch_totals.update(overdue_rate=figures["overdue_rate"], par30=figures["par30_rate"], par90=figures["par90_rate"])
    overdue_link = iou_list_url(params, live=1, dpd_min=1) if live else ""
    result = ReportResult(
        title=_g("逾期与账龄"),
        tables=[Table(columns=AGING_COLUMNS, rows=rows, totals=totals_of(rows, AGING_COLUMNS), title=_g("按账龄")),
                Table(columns=BRANCH_COLUMNS, rows=branch_rows, totals=branch_totals, title=_g("按网点"))],
        figures=[Figure(_("本金余额"), figures["whole"]),
                 Figure(_("逾期贷款余额"), figures["overdue"], link=overdue_link),
                 Figure(_("逾期率"), figures["overdue_rate"], "percent", link=overdue_link),
                 Figure(_("PAR30"), figures["par30_rate"], "percent",
                        link=iou_list_url(params, live=1, dpd_min=31) if live else ""),
                 Figure(_("PAR90"), figures["par90_rate"], "percent",
                        link=iou_list_url(params, live=1, dpd_min=91) if live else "")],
        chart=Chart("bar", [str(BUCKET_LABELS[b]) for b in BUCKETS],
                    [(_g("本金余额"), [r["principal_outstanding"] for r in rows])], title=_g("各账龄本金余额")),
        as_of=day,
        notes=[_g("逾期率 = 逾期贷款余额（逾期天数大于0的借据的本金余额）÷ 本金余额；PAR30、PAR90 = 逾期超过30天、90天的借据的本金余额 ÷ "
                  "本金余额。逾期本金、逾期利息为已到期未还的部分。数据为 %(day)s 日终后的数字。") % {
                      "day": day.isoformat() if day else "—"}],
    )
    if day is None:
        result.notes.append(_g("还没有完成过日终，暂无账龄数据。"))
    if computed:
        result.notes.insert(0, computed)
    if snapshot is not None:
        result.source, result.snapshot_month = "snapshot", day
        result.differences = snapshot_differences(user, day)
    return result


# --- 五级分类 --------------------------------------------------------------------------------------------


TIER_COLUMNS = [
    Column("tier", _("五级分类")),
    Column("count", _("笔数"), "int", total=True),
    Column("principal_outstanding", _("本金余额"), "money", total=True),
    Column("share", _("余额占比"), "percent"),
]


def tier_balances(qs) -> dict[str, dict]:
    rows = qs.values("classification").annotate(count=Count("id"), balance=MoneySum("principal_outstanding")).order_by()
    return {r["classification"]: {"count": r["count"], "balance": _money(r["balance"])} for r in rows}


def _month_moves(user, params: ReportParams, month: date, kind: str):
    """The moves to a month end (MonthEndMove, ioudesk.reports.moves): a frozen month's from its
    snapshot, the business date's month's from the latest close or the IOUs as they stand (None when
    neither)."""
    from ioudesk.reports import moves

    if MonthSnapshot.objects.filter(month_end=month).exists():
        return moves.month_moves(user, params, month, kind=kind)
    if month == month_end(clock.today()):
        return moves.current_moves(user, params, kind=kind)
    return None


def five_tier(params: ReportParams, user) -> ReportResult:
    from ioudesk.reports import moves as moves_module

    kind = kind_of(params)
    month = params.month or month_end(clock.today())
    moves = _month_moves(user, params, month, kind)
    fallback = ""
    if moves is None:  # no snapshot of that month (yet): today's figures, said so at the top of the notes
        fallback = _g("%(month)s 没有月末快照，以下为营业日 %(today)s 的当前数。") % {
            "month": month.strftime("%Y-%m"), "today": clock.today().isoformat()}
        month = month_end(clock.today())
        moves = _month_moves(user, params, month, kind)
    source = "snapshot" if moves.source == "snapshot" else "live"
    found = moves_module.tiers(moves)
    whole = sum((v["balance"] for v in found.values()), ZERO)
    labels = dict(Classification.choices)
    rows = []
    for tier in TIERS:
        agg = found.get(tier, {"count": 0, "balance": ZERO})
        row = {"tier": str(labels[tier]), "count": agg["count"], "principal_outstanding": agg["balance"],
               "share": share(agg["balance"], whole)}
        if source == "live":
            row["_links"] = {"count": iou_list_url(params, live=1, classification__exact=tier)}
        rows.append(row)
    npl = sum((found.get(t, {"balance": ZERO})["balance"] for t in NON_PERFORMING), ZERO)
    tables = [Table(columns=TIER_COLUMNS, rows=rows, totals=totals_of(rows, TIER_COLUMNS),
                    title=_g("%(month)s 五级分类") % {"month": month.strftime("%Y-%m")})]
    # the migration matrix: where each IOU of the previous month end stands at this one
    previous = month.replace(day=1) - timedelta(days=1)
    notes = [fallback] if fallback else []
    notes += [_g("不良贷款 = 次级 + 可疑 + 损失；不良率 = 不良贷款余额 ÷ 本金余额。迁徙矩阵：上月末各类借据（笔数与上月末本金余额）"
                "在本月末所处的类别；已结清、已核销的单列。")]
    if moves.source == "close":
        notes.append(_g("本月尚未关账：各类与迁徙为 %(day)s 日终的借据情况（数据截至 %(day)s 日终）。") % {
            "day": moves.as_of.isoformat()})
    if moves.previous is not None:
        tables.append(migration_table(moves, previous, month))
    else:
        notes.append(_g("上月末 %(month)s 没有快照，无法列出迁徙矩阵。") % {"month": previous.strftime("%Y-%m")})
    result = ReportResult(
        title=_g("五级分类"), tables=tables,
        figures=[Figure(_("本金余额"), whole), Figure(_("不良贷款余额"), npl),
                 Figure(_("不良率"), share(npl, whole), "percent")],
        chart=Chart("bar", [r["tier"] for r in rows], [(_g("本金余额"), [r["principal_outstanding"] for r in rows])],
                    title=_g("各类本金余额")),
        as_of=month if source == "snapshot" else moves.as_of, notes=notes,
    )
    if source == "snapshot":
        result.source, result.snapshot_month = "snapshot", month
        result.differences = snapshot_differences(user, month)
    return result


def migration_table(moves, previous: date, month: date) -> Table:
    """Rows: the tier at `previous`; columns: the tier (or 结清 / 核销) at `month`; cells: counts, and the
    previous balance of those IOUs — from the grouped moves (ioudesk.reports.moves), not per IOU."""
    from ioudesk.reports.model_moves import LIVE as LIVE_STATE

    labels = dict(Classification.choices)
    cells: dict[tuple[str, str], dict] = {}
    for r in moves.rows:
        if r["from_state"] != LIVE_STATE:
            continue
        if r["to_state"] == Status.WRITTEN_OFF:
            target = "written_off"
        elif r["to_state"] == LIVE_STATE:
            target = r["to_class"]
        else:  # settled, or an IOU no longer on the books
            target = "settled"
        cell = cells.setdefault((r["from_class"], target), {"count": 0, "balance": ZERO})
        cell["count"] += r["count"]
        cell["balance"] += _money(r["from_balance"])
    targets = [*TIERS, "settled", "written_off"]
    target_labels = {**{t: labels[t] for t in TIERS}, "settled": _("已结清"), "written_off": _("已核销")}
    columns = [Column("tier", _("上月末＼本月末"))]
    columns += [Column(f"to_{t}", target_labels[t], "int", total=True) for t in targets]
    columns += [Column("count", _("上月末笔数"), "int", total=True),
                Column("balance", _("上月末本金余额"), "money", total=True),
                Column("worse", _("下迁笔数"), "int", total=True)]
    rows = []
    for tier in TIERS:
        row = {"tier": str(labels[tier])}
        for t in targets:
            row[f"to_{t}"] = cells.get((tier, t), {"count": 0})["count"]
        row["count"] = sum(row[f"to_{t}"] for t in targets)
        row["balance"] = sum((cells.get((tier, t), {"balance": ZERO})["balance"] for t in targets), ZERO)
        rank = TIERS.index(tier)
        row["worse"] = sum(row[f"to_{t}"] for t in TIERS[rank + 1:]) + row["to_written_off"]
        rows.append(row)
    return Table(columns=columns, rows=rows, totals=totals_of(rows, columns),
                 title=_g("迁徙矩阵 %(a)s → %(b)s（笔数）") % {"a": previous.strftime("%Y-%m"), "b": month.strftime("%Y-%m")})


# --- 不良率与逾期率趋势 ------------------------------------------------------------------------------------


TREND_COLUMNS = [
    Column("month", _("月份")), Column("source", _("数据来源")),
    Column("count", _("在贷笔数"), "int"),
    Column("principal_outstanding", _("本金余额"), "money"),
    Column("overdue_balance", _("逾期贷款余额"), "money"),
    Column("overdue_rate", _("逾期率"), "percent"),
    Column("npl_balance", _("不良贷款余额"), "money"),
    Column("npl_rate", _("不良率"), "percent"),
]


def _trend_sums():
    return {
        "count": Count("id"), "balance": MoneySum("principal_outstanding"),
        "overdue": MoneySum("principal_outstanding", filter=Q(days_past_due__gt=0)),
        "npl": MoneySum("principal_outstanding", filter=Q(classification__in=NON_PERFORMING)),
    }


def _dimension_filtered(params: ReportParams) -> bool:
    return bool(params.branch_id or params.product_id or params.officer_id or params.category or params.customer_kind
                or params.classification or params.bucket or params.customer_id)


def _trend_cells(where, **at) -> dict:
    """count, balance, overdue and npl of a month from PortfolioCube (or its SELECT)."""
    from ioudesk.reports import cube

    rows = cube.figures(where, ("classification",), **at)
    return {"count": sum(r["count"] for r in rows),
            "balance": sum((r["principal_outstanding"] for r in rows), ZERO),
            "overdue": sum((r["overdue_balance"] for r in rows), ZERO),
            "npl": sum((r["principal_outstanding"] for r in rows if r["classification"] in NON_PERFORMING), ZERO)}


def npl_trend(params: ReportParams, user) -> ReportResult:
    from ioudesk.reports import cube

    kind = kind_of(params)
    today = clock.today()
    ends = month_ends(today, params.months)
    snapped = set(MonthSnapshot.objects.filter(month_end__in=ends).values_list("month_end", flat=True))
    snaps = scope.scope_queryset(user, MonthEndIou.objects.filter(month_end__in=snapped, status__in=LIVE)).filter(
        iou_filter(params))
    if kind:
        snaps = snaps.filter(kind=kind)
    by_month: dict = {}
    whole = not kind and not _dimension_filtered(params) and sees_every_branch(user)
    if whole:  # the whole book: the snapshots' own totals (A writes them when it freezes the month)
        for snap in MonthSnapshot.objects.filter(month_end__in=snapped):
            t = snap.totals or {}
            if all(key in t for key in ("count", "principal_outstanding", "overdue_balance", "npl_balance")):
                by_month[snap.month_end] = {"count": t["count"], "balance": Decimal(t["principal_outstanding"]),
                                            "overdue": Decimal(t["overdue_balance"]), "npl": Decimal(t["npl_balance"])}
    rest = snapped - set(by_month)
    where = cube.where_of(params, user, kind=kind)
    if rest and where is not None:
        for end in sorted(rest):
            by_month[end] = _trend_cells(where, frozen=True, day=end, use_cube=cube.frozen_written(end))
    elif rest:
        snaps = snaps.filter(month_end__in=rest)
        by_month.update({r["month_end"]: r for r in snaps.values("month_end").annotate(**_trend_sums()).order_by()})
    current = month_end(today)
    closed_day = None
    if current not in snapped and where is not None:
        closed_day = cube.latest_day(on_or_before=today)
        by_month[current] = {**_trend_cells(where, frozen=False, day=closed_day or today,
                                            use_cube=closed_day is not None), "live": True}
    elif current not in snapped:
        live = scope.scope_queryset(user, Iou.objects.filter(status__in=LIVE)).filter(iou_filter(params))
        if kind:
            live = live.filter(kind=kind)
        by_month[current] = {**live.aggregate(**_trend_sums()), "live": True}
    rows = []
    for end in ends:
        r = by_month.get(end)
        label = end.strftime("%Y-%m")
        if r is None:
            rows.append({"month": label, "source": _g("无快照"), "count": None, "principal_outstanding": None,
                         "overdue_balance": None, "overdue_rate": None, "npl_balance": None, "npl_rate": None})
            continue
        balance, overdue, npl = _money(r["balance"]), _money(r["overdue"]), _money(r["npl"])
        current_text = (_g("%(day)s 日终") % {"day": closed_day.isoformat()} if closed_day is not None
                        else _g("当前数（%(day)s）") % {"day": today.isoformat()})
        rows.append({"month": label, "source": current_text if r.get("live") else _g("月末快照"), "count": r["count"], "principal_outstanding": balance,
                     "overdue_balance": overdue, "overdue_rate": share(overdue, balance), "npl_balance": npl,
                     "npl_rate": share(npl, balance)})
    shown = [r for r in rows if r["count"] is not None]
    last = shown[-1] if shown else None
    notes = [_g("已关账月份取月末快照，本月取最近一次日终的数字（还没有日终时取当前数）。逾期率 = 逾期天数大于0的借据的本金余额 ÷ 本金余额；"
                "不良率 = 次级、可疑、损失类本金余额 ÷ 本金余额。")]
    if closed_day is not None:
        notes.append(cube.latest_note(closed_day))
    return ReportResult(
        title=_g("不良率与逾期率趋势"), tables=[Table(columns=TREND_COLUMNS, rows=rows)],
        figures=[Figure(_("逾期率"), last["overdue_rate"] if last else None, "percent",
                        link=iou_list_url(params, live=1, dpd_min=1)),
                 Figure(_("不良率"), last["npl_rate"] if last else None, "percent")],
        chart=Chart("line", [r["month"] for r in shown],
                    [(_g("逾期率（%）"), [r["overdue_rate"] for r in shown]),
                     (_g("不良率（%）"), [r["npl_rate"] for r in shown])], title=_g("逾期率与不良率")),
        as_of=today, source="snapshot" if snapped else "live", notes=notes,
    )


# --- 核销与收回 ------------------------------------------------------------------------------------------


WRITEOFF_COLUMNS = [
    Column("month", _("月份")),
    Column("writeoff_count", _("核销笔数"), "int", total=True),
    Column("writeoff_principal", _("核销本金"), "money", total=True),
    Column("writeoff_interest", _("核销利息、罚息与费用"), "money", total=True),
    Column("writeoff_amount", _("核销金额"), "money", total=True),
    Column("recovery_count", _("核销后收回笔数"), "int", total=True),
    Column("recovery_amount", _("核销后收回金额"), "money", total=True),
]
METHOD_COLUMNS = [
    Column("method", _("收回方式")),
    Column("count", _("笔数"), "int", total=True),
    Column("amount", _("处置时欠款"), "money", total=True),
    Column("principal", _("其中本金"), "money", total=True),
    Column("recovered", _("核销后已收回"), "money", total=True),
]


def writeoffs(params: ReportParams, user) -> ReportResult:
    start, end = params.date_from, params.date_to
    base = scope.scope_queryset(user, Transaction.objects.filter(day__gte=start, day__lte=end))
    base = base.filter(iou_filter(params, "iou__"))
    kinds = (TransactionKind.WRITE_OFF, TransactionKind.RECOVERY)
    # reversed documents (and the reversals themselves) are left out: what stands is what counts
    standing = base.filter(kind__in=kinds, reversed_by__isnull=True)
    monthly = (standing.annotate(m=TruncMonth("day")).values("m", "kind")
               .annotate(count=Count("id"), amount=MoneySum("amount"), principal=MoneySum("principal")).order_by())
    months: dict = {}
    for r in monthly:
        month = r["m"] if isinstance(r["m"], date) else r["m"].date()
        row = months.setdefault(month, {"month": month.strftime("%Y-%m"), "writeoff_count": 0,
                                        "writeoff_principal": ZERO, "writeoff_interest": ZERO, "writeoff_amount": ZERO,
                                        "recovery_count": 0, "recovery_amount": ZERO})
        if r["kind"] == TransactionKind.WRITE_OFF:
            row["writeoff_count"] += r["count"]
            row["writeoff_amount"] += _money(r["amount"])
            row["writeoff_principal"] += _money(r["principal"])
            row["writeoff_interest"] = row["writeoff_amount"] - row["writeoff_principal"]
        else:
            row["recovery_count"] += r["count"]
            row["recovery_amount"] += _money(r["amount"])
    rows = [months[k] for k in sorted(months)]
    after = end + timedelta(days=1)
    for row in rows:
        first = date.fromisoformat(row["month"] + "-01")
        row["_links"] = {"writeoff_count": iou_list_url(params, written_off_on__gte=max(first, start),
                                                        written_off_on__lt=min(month_end(first) + timedelta(days=1),
                                                                               after))}
    # by 收回方式: the IOUs that left the books in the period by each method (written-off IOUs carry it)
    ious = scope.scope_queryset(user, Iou.objects.filter(written_off_on__gte=start, written_off_on__lte=end)).filter(
        iou_filter(params))
    leaving = (standing.filter(kind=TransactionKind.WRITE_OFF, iou__in=ious).values("iou__recovery_method")
               .annotate(count=Count("id"), amount=MoneySum("amount"), principal=MoneySum("principal")).order_by())
    recovered = {r["iou__recovery_method"]: _money(r["amount"]) for r in
                 scope.scope_queryset(user, Transaction.objects.filter(kind=TransactionKind.RECOVERY,
                                                                       reversed_by__isnull=True, iou__in=ious))
                 .values("iou__recovery_method").annotate(amount=MoneySum("amount")).order_by()}
    found = {r["iou__recovery_method"]: r for r in leaving}
    method_rows = []
    for method, label in RecoveryMethod.choices:
        r = found.get(method, {})
        method_rows.append({"method": str(label), "count": r.get("count", 0), "amount": _money(r.get("amount")),
                            "principal": _money(r.get("principal")), "recovered": recovered.get(method, ZERO)})
    totals = totals_of(rows, WRITEOFF_COLUMNS)
    return ReportResult(
        title=_g("核销与收回"),
        tables=[Table(columns=WRITEOFF_COLUMNS, rows=rows, totals=totals, title=_g("按月")),
                Table(columns=METHOD_COLUMNS, rows=method_rows, totals=totals_of(method_rows, METHOD_COLUMNS),
                      title=_g("期间内核销的借据，按收回方式"))],
        figures=[Figure(_("核销金额"), totals["writeoff_amount"],
                        link=iou_list_url(params, written_off_on__gte=start, written_off_on__lt=after)),
                 Figure(_("核销后收回"), totals["recovery_amount"]),
                 Figure(_("收回率"), share(totals["recovery_amount"], totals["writeoff_amount"]), "percent")],
        chart=Chart("bar", [r["month"] for r in rows], [(_g("核销金额"), [r["writeoff_amount"] for r in rows]),
                                                        (_g("核销后收回金额"), [r["recovery_amount"] for r in rows])],
                    title=_g("核销与核销后收回")),
        period=(start, end), as_of=end,
        notes=[_g("核销金额 = 核销时的本金、利息、罚息与费用（总账：借 贷款损失）；核销后收回为期间内登记的收回（贷 核销后收回收入）。"
                  "已冲正的不计。收回率 = 期间收回 ÷ 期间核销。")],
    )


# --- registration ----------------------------------------------------------------------------------------


def detail_export_rows(params: ReportParams, user):
    """Every row of 贷款余额明细 for the .xlsx export, streamed in chunks (the page's column keys)."""
    source = Source(params, user, kind=kind_of(params))
    offset = 0
    while True:
        rows = detail_rows(source, offset=offset, limit=EXPORT_CHUNK)
        yield from rows
        if len(rows) < EXPORT_CHUNK:
            return
        offset += EXPORT_CHUNK


EXPORT_CHUNK = 2000
KIND_OPTION = ReportOption(key="kind", label=_("类型"), choices=(("", _("全部")), ("loan", _("借条")), ("debt", _("欠条"))))


def register() -> None:
    register_options("loan-balance-summary", ReportOption(key="dimension", label=_("汇总维度"),
                                                          choices=tuple(DIMENSIONS.items())), KIND_OPTION)
    for code in ("loan-balance-detail", "aging", "five-tier", "npl-trend"):
        register_options(code, KIND_OPTION)
    register_export_rows("loan-balance-detail", detail_export_rows)
    register_report(ReportSpec(
        code="loan-balance-detail", title=_("贷款余额明细"), group="quality", run=loan_balance_detail,
        filters=("as_of", *DIMENSION_FILTERS), order=10, landscape=True, paginated=True,
        description=_("每笔在贷借据的本金、利息罚息费用余额、利率、日期、逾期天数、账龄与五级分类。")))
    register_report(ReportSpec(
        code="loan-balance-summary", title=_("贷款余额汇总"), group="quality", run=loan_balance_summary,
        filters=("as_of", *DIMENSION_FILTERS), order=20,
        description=_("按产品、网点、客户经理、借款用途、担保方式、金额分档或期限分档汇总贷款余额。")))
    register_report(ReportSpec(
        code="aging", title=_("逾期与账龄"), group="quality", run=aging,
        filters=("as_of", "branch", "product", "officer", "classification"), order=30, landscape=True,
        description=_("各账龄的笔数、本金余额、逾期本金与利息；逾期率、PAR30、PAR90，按网点。")))
    register_report(ReportSpec(
        code="five-tier", title=_("五级分类"), group="quality", run=five_tier,
        filters=("month", "branch", "product", "officer", "category", "customer_kind"), order=40, landscape=True,
        description=_("各类笔数、余额与占比，不良率；上月末到本月末的迁徙矩阵。")))
    register_report(ReportSpec(
        code="npl-trend", title=_("不良率与逾期率趋势"), group="quality", run=npl_trend,
        filters=("months", "branch", "product", "officer", "category", "customer_kind"), order=50,
        description=_("逐月的本金余额、逾期率与不良率：已关账月份取月末快照，本月取最近一次日终的数字。")))
    register_report(ReportSpec(
        code="writeoffs", title=_("核销与收回"), group="quality", run=writeoffs,
        filters=("period", "branch", "product", "officer", "category", "customer_kind"), order=60,
        description=_("逐月核销金额与核销后收回，按收回方式（现金收回、以物抵债、核销、转让）。")))
