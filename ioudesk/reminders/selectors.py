"""Reads of the reminders app: which installments each rule reminds of on a day (set-based), the
rules of a product, the reminder log.

The day a reminder is for (``send_day``): a close of business day D runs the reminder step at the
end of D, so its messages go out on the next day (quiet hours hold SMS until 08:00), D + 1. The
rules count from that day: "3 days before" reminds of installments due D + 4, "on the due date" of
those due D + 1, "overdue +1" of those due D (unpaid at the end of their due date).

One query per active rule: the current schedules' installments of live IOUs, due on the dates the
rule names (``Installment.due_date`` is indexed), not paid off and still owing something, of the
IOUs the rule applies to. Nothing is read per IOU, and the cost grows with the installments due on
those dates, not with the portfolio.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import ExpressionWrapper, F, Q, QuerySet

from ioudesk.calc.money import format_yuan
from ioudesk.core import scope
from ioudesk.core.fields import MoneyField
from ioudesk.ious.models import LIVE_STATUSES, Installment
from ioudesk.reminders.models import AppliesTo, Reminder, ReminderRule, ReminderState, RuleKind
from ioudesk.reminders.placeholders import CATEGORY, SAMPLE, Item, context_for

OWED = ExpressionWrapper(
    F("principal_due") + F("interest_due") + F("fee_due") + F("penalty_charged")
    - F("principal_paid") - F("interest_paid") - F("fee_paid") - F("penalty_paid")
    - F("interest_waived") - F("fee_waived") - F("penalty_waived"), output_field=MoneyField())

PENALTY_OWED = ExpressionWrapper(F("penalty_charged") - F("penalty_paid") - F("penalty_waived"),
                                output_field=MoneyField())

ITEM_FIELDS = ("id", "number", "due_date", "owed", "penalty_owed", "schedule__iou_id", "schedule__iou__number",
               "schedule__iou__customer_id", "schedule__iou__officer_id", "schedule__iou__branch_id",
               "schedule__iou__product_id", "schedule__iou__overpayment")


def _item(row: dict, send_day: date) -> Item:
    return Item(installment_id=row["id"], number=row["number"], due_date=row["due_date"], owed=row["owed"],
                iou_id=row["schedule__iou_id"], iou_number=row["schedule__iou__number"],
                customer_id=row["schedule__iou__customer_id"], officer_id=row["schedule__iou__officer_id"],
                branch_id=row["schedule__iou__branch_id"], product_id=row["schedule__iou__product_id"],
                credit=row["schedule__iou__overpayment"], send_day=send_day, penalty=row["penalty_owed"])


LIVE = frozenset(str(status) for status in LIVE_STATUSES)


def send_day_for(day: date) -> date:
    """The day the reminders of the close of ``day`` are for."""
    return day + timedelta(days=1)


def open_installments() -> QuerySet:
    """Installments of current schedules of live IOUs with something still owed."""
    return (Installment.objects
            .filter(schedule__is_current=True, schedule__iou__status__in=LIVE_STATUSES, paid_off_on__isnull=True)
            .annotate(owed=OWED, penalty_owed=PENALTY_OWED).filter(owed__gt=0))


# How far back a repeating overdue rule without its own limit reaches: ten years (weekly: 520 due
# dates in one indexed IN list). Finding the oldest open installment instead would read every
# installment of the portfolio at each close.
MAX_REPEAT_DAYS = 3650


def rule_due_dates(rule: ReminderRule, send_day: date, oldest: date | None = None) -> list[date]:
    """The due dates whose installments ``rule`` reminds of on ``send_day``. A repeating overdue
    rule repeats up to ``repeat_until`` days overdue (else MAX_REPEAT_DAYS; ``oldest``, when given,
    cuts the list at that due date)."""
    offsets = rule.offset_list()
    if rule.kind == RuleKind.BEFORE:
        return sorted(send_day + timedelta(days=n) for n in offsets)
    if rule.kind == RuleKind.ON_DUE:
        return [send_day]
    days = set(offsets)
    if rule.repeat_every and offsets:
        last = max(offsets)
        limit = rule.repeat_until or MAX_REPEAT_DAYS
        if oldest is not None:
            limit = min(limit, (send_day - oldest).days)
        n = last + rule.repeat_every
        while n <= limit:
            days.add(n)
            n += rule.repeat_every
    return sorted(send_day - timedelta(days=n) for n in days)


def rule_applies(rule: ReminderRule, product_id: int | None, own: set[int]) -> bool:
    """Whether ``rule`` serves IOUs of ``product_id`` (``own``: the products with rules of their own)."""
    if rule.product_id is not None:
        return product_id == rule.product_id
    return product_id is None or product_id not in own


def kind_for(days_overdue: int) -> str:
    """Which kind of rule speaks for an installment ``days_overdue`` days past due (negative: ahead)."""
    if days_overdue > 0:
        return RuleKind.OVERDUE
    return RuleKind.ON_DUE if days_overdue == 0 else RuleKind.BEFORE


def products_with_rules() -> set[int]:
    return set(ReminderRule.objects.filter(applies_to=AppliesTo.IOU).exclude(product=None)
               .values_list("product_id", flat=True).distinct())


def rule_installments(rule: ReminderRule, send_day: date, *, oldest: date | None = None,
                      own_rules: set[int] | None = None) -> list[Item]:
    """The installments ``rule`` reminds of on ``send_day``: one set-based query."""
    dates = rule_due_dates(rule, send_day, oldest)
    if not dates:
        return []
    # The product is checked here, not in SQL: with it in the query, SQLite's planner starts from the
    # IOUs of the product (every one of them) instead of the installments due on those dates.
    if rule.product_id is not None:
        applies = lambda product_id: product_id == rule.product_id  # noqa: E731
    else:
        own = products_with_rules() if own_rules is None else own_rules
        applies = lambda product_id: product_id is None or product_id not in own  # noqa: E731
    # Likewise the IOU's status: SQLite would start from the status index (every live IOU) once
    # the list of dates is long. Left with due_date as its only indexed condition, it reads just the
    # installments due on those dates.
    rows = (Installment.objects.filter(due_date__in=dates, schedule__is_current=True, paid_off_on__isnull=True)
            .annotate(owed=OWED, penalty_owed=PENALTY_OWED).filter(owed__gt=0)
            .values(*ITEM_FIELDS, "schedule__iou__status").order_by("id"))
    return [_item(row, send_day) for row in rows
            if row["schedule__iou__status"] in LIVE and applies(row["schedule__iou__product_id"])]


def reminders_due(send_day: date) -> list[tuple[ReminderRule, Item]]:
    """Every (rule, installment) reminded of on ``send_day``, rule by rule (the IOU rules: the other
    kinds, ``ReminderRule.applies_to``, are their apps' day steps)."""
    rules = list(ReminderRule.objects.filter(is_active=True, template__is_active=True, applies_to=AppliesTo.IOU)
                 .select_related("template", "product").order_by("id"))
    if not rules:
        return []
    own = products_with_rules()
    return [(rule, item) for rule in rules for item in rule_installments(rule, send_day, own_rules=own)]


def rules_for_product(product) -> QuerySet:
    """The rules that apply to IOUs of ``product`` (None: a 欠条 without a product)."""
    iou_rules = ReminderRule.objects.filter(applies_to=AppliesTo.IOU)
    if product is not None and iou_rules.filter(product=product).exists():
        return iou_rules.filter(product=product)
    return iou_rules.filter(product__isnull=True)


def open_items(installment_ids: set[int], send_day: date) -> list[Item]:
    """These installments, as reminders of ``send_day`` would speak of them, when still open."""
    if not installment_ids:
        return []
    return [_item(row, send_day) for row in
            open_installments().filter(pk__in=installment_ids).values(*ITEM_FIELDS).order_by("id")]


def sample_item(today: date) -> Item | None:
    """A real installment for the template preview: the earliest open one due from ``today`` on,
    else the latest overdue one."""
    rows = open_installments()
    row = (rows.filter(due_date__gte=today).order_by("due_date", "id").values(*ITEM_FIELDS).first()
           or rows.filter(due_date__lt=today).order_by("-due_date", "id").values(*ITEM_FIELDS).first())
    if row is None:
        return None
    return _item(row, today)


def reminder_queryset(user) -> QuerySet:
    return scope.scope_queryset(user, Reminder.objects.all())


def reminder_log(*, start: date | None = None, end: date | None = None) -> list[tuple[date, int, str, str, str]]:
    """The reminder log for assertions (the 90-day close simulation): one tuple per message, sorted:
    (closed day D, customer id, channel, category, message status). A reminder the step did not send
    (a catch-up close's past day) is listed with the status ``suppressed`` on that day, also when the
    next normal day's message carried it on (it appears again under that day). The category is always
    ``repayment_reminder``; in-app notes to the 客户经理 carry the customer they are about."""
    rows = Reminder.objects.all()
    if start is not None:
        rows = rows.filter(day__gte=start)
    if end is not None:
        rows = rows.filter(day__lte=end)
    result = set()
    for day, customer_id, channel, state, status in rows.values_list(
            "day", "customer_id", "channel", "state", "message__status").distinct():
        if state != ReminderState.QUEUED or status is None:
            status = "suppressed"  # not sent that day (a catch-up day; LATE: carried by a later day's message)
        result.add((day, customer_id, channel, CATEGORY, status))
    return sorted(result)


# --- back office: preview and the plan of a day ---------------------------------------------------


def _in_scope(rows: QuerySet, user) -> QuerySet:
    branch_ids = scope.visible_branch_ids(user)
    return rows if branch_ids is None else rows.filter(schedule__iou__branch_id__in=branch_ids)


def _applies(rows: QuerySet, rule: ReminderRule) -> QuerySet:
    if rule.product_id is not None:
        return rows.filter(schedule__iou__product_id=rule.product_id)
    own = products_with_rules()
    return rows.filter(Q(schedule__iou__product_id__isnull=True) | ~Q(schedule__iou__product_id__in=own))


def rule_send_day(rule: ReminderRule, due: date) -> date:
    """The first day ``rule`` reminds of an installment due on ``due``."""
    offsets = rule.offset_list() or [0]
    if rule.kind == RuleKind.BEFORE:
        return due - timedelta(days=max(offsets))
    if rule.kind == RuleKind.ON_DUE:
        return due
    return due + timedelta(days=min(offsets))


def lender_phone_missing() -> bool:
    """No contact phone for {联系电话} but the 客户经理's own (see placeholders.contact_phone)."""
    from ioudesk.reminders.placeholders import contact_phone

    return not contact_phone(None)


def rule_preview(*, rule: ReminderRule, user, today: date) -> tuple[str, str, Item | None]:
    """The rule's template filled in with real data: the earliest open installment due from today on
    (else the latest overdue one) of an IOU the rule applies to, in the user's branches, as the rule's
    first reminder of it would read. Without one, the category's sample values. (subject, body, item)"""
    from django.contrib.auth import get_user_model

    from ioudesk.customers.models import Customer
    from ioudesk.notify.placeholders import template_render
    from ioudesk.reminders.placeholders import SAMPLE, context_for

    rows = _in_scope(_applies(open_installments(), rule), user)
    row = (rows.filter(due_date__gte=today).order_by("due_date", "id").values(*ITEM_FIELDS).first()
           or rows.filter(due_date__lt=today).order_by("-due_date", "id").values(*ITEM_FIELDS).first())
    if row is None:
        subject, body = template_render(rule.template, SAMPLE)
        return subject, body, None
    item = _item(row, rule_send_day(rule, row["due_date"]))
    officer = get_user_model().objects.filter(pk=item.officer_id).first() if item.officer_id else None
    customer = Customer.objects.only("name").get(pk=item.customer_id)
    subject, body = template_render(rule.template, context_for(customer_name=customer.name, items=[item],
                                                               officer=officer))
    return subject, body, item


def reminders_planned(*, user, day: date, limit: int = 500) -> dict:
    """What the close of ``day`` reminds of (for ``day`` + 1), in the user's branches: each
    (rule, installment) with whether it was already recorded. {"send_day", "rows", "total"}."""
    from ioudesk.customers.models import Customer

    send_day = send_day_for(day)
    branch_ids = scope.visible_branch_ids(user)
    pairs = sorted(((rule, item) for rule, item in reminders_due(send_day)
                    if branch_ids is None or item.branch_id in branch_ids),
                   key=lambda p: (p[1].customer_id, p[1].due_date, p[1].installment_id, p[0].pk))
    shown = pairs[:limit]
    done = {(r.installment_id, r.rule_id): r for r in Reminder.objects.select_related("message").filter(
        day=day, installment_id__in=[i.installment_id for _r, i in shown])}
    names = dict(Customer.objects.filter(pk__in={i.customer_id for _r, i in shown}).values_list("pk", "name"))
    rows = [{"rule": rule, "item": item, "customer_name": names.get(item.customer_id, ""),
             "owed": format_yuan(item.owed, symbol=""), "recorded": done.get((item.installment_id, rule.pk))}
            for rule, item in shown]
    return {"send_day": send_day, "rows": rows, "total": len(pairs)}


def placeholder_sample() -> dict[str, str]:
    """The preview "with real data": the earliest upcoming unpaid installment of a live IOU (else the
    most recent overdue one), as a reminder of it would read today; sample values when there is none."""
    from ioudesk.core import clock
    from ioudesk.customers.models import Customer
    today = clock.today()
    item = sample_item(today)
    if item is None:
        return dict(SAMPLE)
    customer = Customer.objects.only("name").get(pk=item.customer_id)
    officer = None
    if item.officer_id:
        from django.contrib.auth import get_user_model

        officer = get_user_model().objects.filter(pk=item.officer_id).first()
    return context_for(customer_name=customer.name, items=[item], officer=officer)
