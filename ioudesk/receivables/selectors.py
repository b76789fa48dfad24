"""Reads of 往来账款 for analysis (docs/domain.md §26): a counterparty's position (receivable, payable
and the net 往来), overdue short/long, credit limit and what is available, DSO, the classification
goods/services/loan · short/long · ordinary/important customer, aging by customer, the 往来总览 page,
and the customer 360 page's section.

Everything here is added up by the database (GROUP BY with conditional sums over the open items,
``BillDue``), never in a Python loop over the items: the overview is meant for a million open items.
Lists go through ``ioudesk.core.scope.scope_queryset``.

Aging counts days past due at the day asked for: ``day − due_date`` (an open item due today or
later is 未到期). Buckets: 未到期 / 1–30 / 31–60 / 61–90 / 91–180 / 181–365 / 365天以上.

DSO (应收账款周转天数, days sales outstanding) over ``ReceivablesSettings.dso_days`` (N, 90 by default):

    DSO = 期末应收账款余额 ÷ 近 N 天含税销售额 × N

期末应收账款余额 is the open amount of the receivable bills at the day; 含税销售额 is the total (价税合计)
of the sales and service bills dated in the N days up to and including the day, less the credit notes
(红字) dated in those days. Both sides include VAT, as the receivable does. Example: ¥300,000.00 open,
¥450,000.00 billed in the last 90 days → 300,000 ÷ 450,000 × 90 = 60.0 days. No sales in the window:
no DSO (shown as —).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import ZERO, round_places
from ioudesk.core import clock
from ioudesk.core.scope import scope_queryset
from ioudesk.customers.models import Category, Customer
from ioudesk.ious.models import LIVE_STATUSES, Iou
from ioudesk.receivables.models import (
    Bill,
    BillDue,
    BillKind,
    BillStatus,
    CounterpartyProfile,
    Direction,
    DueStatus,
    Nature,
    Receipt,
    ReceiptStatus,
    ReceivablesSettings,
)

try:  # helper A's credit control; until it lands the limit is read from the profile
    from ioudesk.receivables import credit as _credit
except ImportError:  # pragma: no cover - only while credit.py is being written
    _credit = None

# (key, label, lowest days past due, highest days past due); None: open-ended
BUCKETS = (
    ("current", _("未到期"), None, 0),
    ("d1_30", _("1–30天"), 1, 30),
    ("d31_60", _("31–60天"), 31, 60),
    ("d61_90", _("61–90天"), 61, 90),
    ("d91_180", _("91–180天"), 91, 180),
    ("d181_365", _("181–365天"), 181, 365),
    ("over_365", _("365天以上"), 366, None),
)
BUCKET_KEYS = tuple(key for key, *_rest in BUCKETS)
BUCKET_LABELS = {key: label for key, label, *_rest in BUCKETS}
POSTED = (BillStatus.OPEN, BillStatus.PAID)
SALES_KINDS = (BillKind.SALES, BillKind.SERVICE)
OPEN_RECEIPT = (ReceiptStatus.UNMATCHED, ReceiptStatus.PARTIAL)


def bucket_key(days_past_due: int) -> str:
    """The aging bucket of an open item ``days_past_due`` days past due (0 or less: not yet due).

    >>> [bucket_key(d) for d in (-5, 0, 1, 30, 31, 90, 91, 180, 181, 365, 366)]
    ['current', 'current', 'd1_30', 'd1_30', 'd31_60', 'd61_90', 'd91_180', 'd91_180', 'd181_365', 'd181_365', 'over_365']
    """
    for key, _label, low, high in BUCKETS:
        if high is None or days_past_due <= high:
            if low is None or days_past_due >= low:
                return key
    return BUCKETS[-1][0]


def bucket_condition(key: str, day: date, prefix: str = "") -> Q:
    """The open items of bucket ``key`` at ``day``, as a condition on ``due_date``."""
    _key, _label, low, high = next(b for b in BUCKETS if b[0] == key)
    name = f"{prefix}due_date"
    condition = Q()
    if low is not None:  # at least `low` days past due: due on or before day − low
        condition &= Q(**{f"{name}__lte": day - timedelta(days=low)})
    if high is not None:  # at most `high` days: due on or after day − high
        condition &= Q(**{f"{name}__gte": day - timedelta(days=high)})
    return condition


def receivables_settings() -> ReceivablesSettings:
    """The organisation's 往来设置, or the defaults when none are saved yet."""
    from ioudesk.core.services import organisation_current

    organisation = organisation_current()
    found = ReceivablesSettings.objects.filter(organisation=organisation).first()
    return found or ReceivablesSettings(organisation=organisation)


def _overdue_conditions(day: date, long_days: int) -> dict[str, Q]:
    return {
        "overdue": Q(due_date__lt=day),
        "short": Q(due_date__lt=day, due_date__gte=day - timedelta(days=long_days)),
        "long": Q(due_date__lt=day - timedelta(days=long_days)),
    }


def _open_dues(direction: str = Direction.RECEIVABLE):
    return BillDue.objects.filter(direction=direction, status=DueStatus.OPEN, open_amount__gt=0)


def _sums(day: date, long_days: int, *, buckets: bool = True) -> dict:
    """Conditional sums of the open amount: total, overdue, short, long and (optionally) each bucket."""
    aggregates = {"total": Sum("open_amount", default=ZERO), "items": Count("id")}
    for name, condition in _overdue_conditions(day, long_days).items():
        aggregates[name] = Sum("open_amount", filter=condition, default=ZERO)
    if buckets:
        for key in BUCKET_KEYS:
            aggregates[key] = Sum("open_amount", filter=bucket_condition(key, day), default=ZERO)
    return aggregates


# --- one counterparty ---------------------------------------------------------------------------


@dataclass
class Position:
    """A counterparty's 往来 position at a day."""

    customer: Customer
    day: date
    receivable: Decimal = ZERO  # open receivable bills (应收账款)
    advance: Decimal = ZERO  # money received not yet matched (预收账款 / 待核销)
    payable: Decimal = ZERO  # open supplier bills (应付账款)
    prepaid: Decimal = ZERO  # money paid not yet matched (预付账款)
    overdue: Decimal = ZERO
    overdue_short: Decimal = ZERO
    overdue_long: Decimal = ZERO
    long_overdue_days: int = 90
    aging: dict = field(default_factory=dict)
    by_nature: dict = field(default_factory=dict)
    open_items: int = 0
    disputed_bills: int = 0
    credit_limit: Decimal | None = None
    exposure: Decimal = ZERO
    available: Decimal | None = None
    exceeds_limit: bool = False
    credit_reasons: list = field(default_factory=list)
    dso: Decimal | None = None
    dso_days: int = 90
    category: str = Category.NORMAL
    category_label: str = ""
    is_supplier: bool = False
    loans: Decimal = ZERO  # what the customer owes on live IOUs (借款)

    @property
    def net_receivable(self) -> Decimal:
        """What the customer owes on bills less what they paid in advance."""
        return self.receivable - self.advance

    @property
    def net_payable(self) -> Decimal:
        return self.payable - self.prepaid

    @property
    def net(self) -> Decimal:
        """净往来: positive, the counterparty owes us on balance; negative, we owe them."""
        return self.net_receivable - self.net_payable

    @property
    def important(self) -> bool:
        return self.category == Category.IMPORTANT

    @property
    def has_anything(self) -> bool:
        return bool(self.receivable or self.advance or self.payable or self.prepaid or self.open_items)


def customer_position(customer: Customer, *, day: date | None = None) -> Position:
    day = day or clock.today()
    settings = receivables_settings()
    long_days = settings.long_overdue_days
    position = Position(customer=customer, day=day, long_overdue_days=long_days, dso_days=settings.dso_days,
                        category=customer.category, category_label=str(customer.get_category_display()))
    receivable = _open_dues(Direction.RECEIVABLE).filter(customer=customer).aggregate(**_sums(day, long_days))
    position.receivable = receivable["total"]
    position.open_items = receivable["items"]
    position.overdue, position.overdue_short, position.overdue_long = (
        receivable["overdue"], receivable["short"], receivable["long"])
    position.aging = {key: receivable[key] for key in BUCKET_KEYS}
    position.payable = _open_dues(Direction.PAYABLE).filter(customer=customer).aggregate(
        t=Sum("open_amount", default=ZERO))["t"]
    unapplied = Receipt.objects.filter(customer=customer, status__in=OPEN_RECEIPT).aggregate(
        advance=Sum("unmatched", filter=Q(direction=Direction.RECEIVABLE), default=ZERO),
        prepaid=Sum("unmatched", filter=Q(direction=Direction.PAYABLE), default=ZERO))
    position.advance, position.prepaid = unapplied["advance"], unapplied["prepaid"]
    position.by_nature = {row["bill__nature"]: row["amount"] for row in
                          _open_dues(Direction.RECEIVABLE).filter(customer=customer).values("bill__nature")
                          .annotate(amount=Sum("open_amount")).order_by()}
    position.disputed_bills = Bill.objects.filter(customer=customer, disputed=True).exclude(
        status=BillStatus.VOID).count()
    profile = CounterpartyProfile.objects.filter(customer=customer).first()
    position.is_supplier = bool(profile and profile.is_supplier) or bool(position.payable)
    _credit_of(position, profile, day)
    position.dso = dso_of(Bill.objects.filter(customer=customer), _open_dues().filter(customer=customer),
                          day=day, days=settings.dso_days)
    position.loans = _loans(Customer.objects.filter(pk=customer.pk))
    return position


def _credit_of(position: Position, profile: CounterpartyProfile | None, day: date) -> None:
    if _credit is not None and hasattr(_credit, "credit_check"):
        verdict = _credit.credit_check(position.customer, ZERO, day=day)
        position.credit_limit, position.exposure = verdict.limit, verdict.exposure
        position.available, position.exceeds_limit = verdict.available, verdict.exceeds_limit
        position.credit_reasons = list(verdict.reasons)
        return
    position.credit_limit = profile.credit_limit if profile else None
    position.exposure = position.receivable
    if position.credit_limit is not None:
        position.available = position.credit_limit - position.exposure
        position.exceeds_limit = position.available < 0


def _loans(customers) -> Decimal:
    """What the given customers owe on live IOUs (借款: the 'loan' of the classification)."""

    totals = Iou.objects.filter(customer__in=customers, status__in=LIVE_STATUSES).aggregate(
        p=Sum("principal_outstanding", default=ZERO), i=Sum("interest_outstanding", default=ZERO),
        n=Sum("penalty_outstanding", default=ZERO), f=Sum("fee_outstanding", default=ZERO))
    return totals["p"] + totals["i"] + totals["n"] + totals["f"]


# --- DSO ----------------------------------------------------------------------------------------


def dso_of(bills, open_dues, *, day: date, days: int, balance: Decimal | None = None) -> Decimal | None:
    """DSO (see the module's docstring) of ``bills`` (a Bill queryset: the sales side) and
    ``open_dues`` (the receivable open items: the balance side), to one decimal; ``balance``: their
    open amount when the caller has added it up already."""
    start = day - timedelta(days=days - 1)
    window = bills.filter(direction=Direction.RECEIVABLE, status__in=POSTED, bill_date__gte=start,
                          bill_date__lte=day).aggregate(
        sales=Sum("total", filter=Q(kind__in=SALES_KINDS), default=ZERO),
        credited=Sum("total", filter=Q(kind=BillKind.CREDIT_NOTE), default=ZERO))
    sales = window["sales"] - window["credited"]
    if sales <= 0:
        return None
    if balance is None:
        balance = open_dues.aggregate(t=Sum("open_amount", default=ZERO))["t"]
    return round_places(balance / sales * days, 1)


def dso(user, *, day: date | None = None, days: int | None = None) -> Decimal | None:
    """The portfolio's DSO for the bills the user sees."""
    day = day or clock.today()
    days = days or receivables_settings().dso_days
    return dso_of(scope_queryset(user, Bill.objects.all()), scope_queryset(user, _open_dues()), day=day, days=days)


# --- aging by customer, classification, the overview ----------------------------------------------


@dataclass(frozen=True)
class OverviewFilters:
    direction: str = Direction.RECEIVABLE
    branch_id: int | None = None
    category: str | None = None
    nature: str | None = None
    term: str | None = None  # "short" / "long": only customers with items overdue so
    limit: int = 50


def _filtered_dues(user, filters: OverviewFilters):
    dues = scope_queryset(user, _open_dues(filters.direction))
    if filters.branch_id:
        dues = dues.filter(branch_id=filters.branch_id)
    if filters.category:
        dues = dues.filter(customer__category=filters.category)
    if filters.nature:
        dues = dues.filter(bill__nature=filters.nature)
    return dues


def aging_by_customer(user, *, day: date | None = None, filters: OverviewFilters = OverviewFilters()) -> dict:
    """Aging by customer: ONE GROUP BY over the open items (a scan of the open items, whatever their
    number), one row per customer owing anything, largest first. ``rows``: the first ``limit`` of them
    (each: customer id, number, name, category, total, overdue, short, long, each bucket); ``totals``:
    the same sums over every customer (added up from the per-customer rows, not from the items);
    ``customers``: how many owe anything; ``by_customer``: every customer's total (for the classification)."""
    day = day or clock.today()
    long_days = receivables_settings().long_overdue_days
    aggregates = _sums(day, long_days)
    grouped = _filtered_dues(user, filters).values("customer_id").annotate(**aggregates)
    if filters.term in ("short", "long"):  # the customers with items overdue so (all their items)
        grouped = grouped.filter(**{f"{filters.term}__gt": 0})
    groups = list(grouped.order_by("-total", "customer_id"))
    totals = {name: sum((g[name] for g in groups), ZERO) for name in aggregates if name != "items"}
    totals["items"] = sum(g["items"] for g in groups)
    rows = groups[:filters.limit]
    names = {c["pk"]: c for c in Customer.objects.filter(pk__in=[r["customer_id"] for r in rows]).values(
        "pk", "number", "name", "category")}
    categories = dict(Category.choices)
    for row in rows:
        customer = names.get(row["customer_id"], {})
        row.update(number=customer.get("number", ""), name=customer.get("name", ""),
                   category=customer.get("category", ""), category_label=str(categories.get(customer.get("category"), "")))
        row["buckets"] = [(key, row[key]) for key in BUCKET_KEYS]
    return {"rows": rows, "totals": totals, "customers": len(groups), "day": day, "long_overdue_days": long_days,
            "by_customer": {g["customer_id"]: g["total"] for g in groups}}


def classification(user, *, day: date | None = None, filters: OverviewFilters = OverviewFilters(),
                   aging: dict | None = None) -> dict:
    """Open receivables classified three ways (the seeds' 欠款分类): by nature (货款 / 服务费 / mixed, plus
    借款 from the IOUs), by term (未到期 / 短期逾期 / 长期逾期 at ``long_overdue_days``) and by the
    customer's category (普通 / 重要 / 黑名单). Each a list of (key, label, amount). ``aging``: the
    answer of ``aging_by_customer`` for the same filters, when the caller has it (saves its scan)."""
    day = day or clock.today()
    aging = aging or aging_by_customer(user, day=day, filters=filters)
    # by nature from the open bills themselves (a bill's open amount is the sum of its open items):
    # a GROUP BY on the bills, without joining a million open items to them
    bills = scope_queryset(user, Bill.objects.filter(direction=filters.direction, status=BillStatus.OPEN))
    if filters.branch_id:
        bills = bills.filter(branch_id=filters.branch_id)
    if filters.category:
        bills = bills.filter(customer__category=filters.category)
    if filters.nature:
        bills = bills.filter(nature=filters.nature)
    if filters.term in ("short", "long"):
        bills = bills.filter(customer_id__in=list(aging["by_customer"]))
    natures = dict(Nature.choices)
    by_nature = {row["nature"]: row["amount"] for row in
                 bills.values("nature").annotate(amount=Sum("open_amount")).order_by()}
    nature_rows = [(key, natures[key], by_nature.get(key, ZERO)) for key in natures]
    if filters.direction == Direction.RECEIVABLE and not filters.nature and not filters.term:
        ious = scope_queryset(user, Iou.objects.filter(status__in=LIVE_STATUSES))
        if filters.branch_id:
            ious = ious.filter(branch_id=filters.branch_id)
        if filters.category:
            ious = ious.filter(customer__category=filters.category)
        loans = ious.aggregate(p=Sum("principal_outstanding", default=ZERO), i=Sum("interest_outstanding", default=ZERO),
                               n=Sum("penalty_outstanding", default=ZERO), f=Sum("fee_outstanding", default=ZERO))
        nature_rows.append(("loan", _("借款"), sum(loans.values(), ZERO)))
    sums = aging["totals"]
    term_rows = [("current", _("未到期"), sums["total"] - sums["overdue"]),
                 ("short", _("短期逾期"), sums["short"]), ("long", _("长期逾期"), sums["long"])]
    # the few customers not 普通 are looked up; everyone else owing is 普通
    special = dict(Customer.objects.exclude(category=Category.NORMAL).values_list("pk", "category"))
    by_category = {key: ZERO for key, _label in Category.choices}
    for customer_id, amount in aging["by_customer"].items():
        by_category[special.get(customer_id, Category.NORMAL)] += amount
    category_rows = [(key, label, by_category[key]) for key, label in Category.choices]
    return {"nature": nature_rows, "term": term_rows, "category": category_rows,
            "long_overdue_days": aging["long_overdue_days"]}


def overview(user, filters: OverviewFilters = OverviewFilters(), *, day: date | None = None) -> dict:
    """What the 往来总览 page shows: totals (receivable, overdue short/long, unmatched receipts, payable,
    net), aging by customer, DSO, the classification."""
    day = day or clock.today()
    settings = receivables_settings()
    aging = aging_by_customer(user, day=day, filters=filters)
    receipts = scope_queryset(user, Receipt.objects.filter(status__in=OPEN_RECEIPT))
    if filters.branch_id:
        receipts = receipts.filter(branch_id=filters.branch_id)
    unapplied = receipts.aggregate(
        advance=Sum("unmatched", filter=Q(direction=Direction.RECEIVABLE), default=ZERO),
        prepaid=Sum("unmatched", filter=Q(direction=Direction.PAYABLE), default=ZERO),
        waiting=Count("id", filter=Q(direction=Direction.RECEIVABLE)))
    other = Direction.PAYABLE if filters.direction == Direction.RECEIVABLE else Direction.RECEIVABLE
    other_open = _filtered_dues(user, OverviewFilters(direction=other, branch_id=filters.branch_id,
                                                      category=filters.category)).aggregate(
        t=Sum("open_amount", default=ZERO))["t"]
    receivable = aging["totals"]["total"] if filters.direction == Direction.RECEIVABLE else other_open
    payable = other_open if filters.direction == Direction.RECEIVABLE else aging["totals"]["total"]
    bills = scope_queryset(user, Bill.objects.all())
    dues = _filtered_dues(user, OverviewFilters(branch_id=filters.branch_id, category=filters.category,
                                                nature=filters.nature))
    if filters.branch_id:
        bills = bills.filter(branch_id=filters.branch_id)
    if filters.category:
        bills = bills.filter(customer__category=filters.category)
    if filters.nature:
        bills = bills.filter(nature=filters.nature)
    plain_receivable = filters.direction == Direction.RECEIVABLE and not filters.term
    disputed = bills.filter(disputed=True).exclude(status=BillStatus.VOID).aggregate(
        n=Count("id"), amount=Sum("open_amount", default=ZERO))
    return {
        "day": day, "filters": filters, "aging": aging, "totals": aging["totals"],
        "receivable": receivable, "payable": payable, "advance": unapplied["advance"],
        "prepaid": unapplied["prepaid"], "waiting_receipts": unapplied["waiting"],
        "net": (receivable - unapplied["advance"]) - (payable - unapplied["prepaid"]),
        "dso": dso_of(bills, dues, day=day, days=settings.dso_days,
                      balance=aging["totals"]["total"] if plain_receivable else None), "dso_days": settings.dso_days,
        "classification": classification(user, day=day, filters=filters, aging=aging),
        "long_overdue_days": settings.long_overdue_days, "disputed": disputed,
    }


# --- the customer 360 page ----------------------------------------------------------------------


def _acting_user():
    """The user the 360 page is drawn for (OVERVIEW_SECTIONS get only the customer)."""
    from ioudesk.core.context import current_actor
    from ioudesk.core.models import User

    user_id = current_actor().user_id
    return User.objects.filter(pk=user_id).first() if user_id else None


def customer_receivables_section(customer) -> dict:
    """The customer's 往来 position for the 360 page (OVERVIEW_SECTIONS): receivable, payable, net,
    overdue short/long, credit, DSO, the open bills, the latest statements, and links (each shown only
    to a user who may follow it)."""
    from django.template.loader import render_to_string

    from ioudesk.receivables.models import AccountStatement

    viewer = _acting_user()

    def may(permission: str) -> bool:
        return viewer is not None and viewer.has_perm(permission)

    position = customer_position(customer)
    statements = list(AccountStatement.objects.filter(customer=customer).order_by("-period_to", "-id")[:5]) \
        if may("receivables.view_accountstatement") else []
    open_bills = list(Bill.objects.filter(customer=customer, status=BillStatus.OPEN, direction=Direction.RECEIVABLE)
                      .order_by("due_first", "id")[:10])
    html = render_to_string("backoffice/receivables/_customer_section.html", {
        "position": position, "customer": customer, "statements": statements, "open_bills": open_bills,
        "buckets": [(BUCKET_LABELS[key], position.aging.get(key, ZERO)) for key in BUCKET_KEYS],
        "can_bills": may("receivables.view_bill"), "can_statements": may("receivables.view_accountstatement"),
        "can_add_bill": may("receivables.add_bill")})
    return {"title": _("往来账款"), "html": html, "owed": position.receivable, "overdue": position.overdue}


def register() -> None:
    """At start-up (registrations.py): the 360 page's section."""
    from ioudesk.customers.selectors import OVERVIEW_SECTIONS

    if customer_receivables_section not in OVERVIEW_SECTIONS:
        OVERVIEW_SECTIONS.append(customer_receivables_section)
