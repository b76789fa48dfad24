"""单据到期提醒 and 催款通知 (dunning, docs/domain.md §26): the day step ``dunning`` (order 52, after the
IOU reminders at 50), for closed day D, by the reminder rules whose ``applies_to`` is ``bill`` (our
customers' open receivable items) or ``payable`` (what we owe our suppliers).

The rules count from the day the messages go out, D + 1 (``reminders.selectors.send_day_for``), as
the IOU reminders do: "3 days before" reminds of items due D + 4, "on the due date" of those due
D + 1, "overdue +1" of those due D (unpaid at the end of their due date), then +7, +15 and every
15 days. One set-based query per rule (open items due on the dates it names; ``BillDue`` is indexed
by direction, status and due date). What an item owes is its open amount. A disputed bill
(对账争议, ``Bill.disputed``) is not dunned until its dispute is resolved.

- bill rules, SMS/e-mail: one message per customer per channel per day (delivery key
  ``bill-dunning:<customer>:<channel>:<D>``) carrying all of the customer's items that day; the most
  urgent rule's template speaks for it (overdue → 催款通知 before due today before upcoming);
- bill rules, in-app: one note per 业务员 (the bill's ``manager``, else the customer's owner) per day;
- payable rules (in-app only): "before N days" lists what we owe in the next N days (a window, every
  day until paid or due), one note per 财务 user of the bill's branch per day (``payable:<user>:<D>``).

Every (open item, rule, day, channel) reminded is one ``BillReminder`` row (unique: the step is
idempotent), and each bill reminded gets one event that day (提醒 / 催款). A catch-up close (later days
follow in the same close) sends nothing for its past days: their reminders are recorded as not sent
(补跑日终，提醒已过期), and the close's last day carries those still open, once, in its own messages,
with that day's figures (as the IOU reminders do). Quiet hours, opt-outs and the daily cap are
notify's, applied at delivery.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.words import amount_in_words
from ioudesk.core import scope
from ioudesk.core.roles import FINANCE
from ioudesk.customers.models import Customer
from ioudesk.receivables import categories
from ioudesk.receivables.defaults import RULES, TEMPLATES
from ioudesk.receivables.models import (
    Bill,
    BillDue,
    BillEvent,
    BillEventKind,
    BillReminder,
    BillReminderKind,
    BillStatus,
    Direction,
    DueStatus,
)
from ioudesk.reminders import selectors as reminder_selectors
from ioudesk.reminders.kinds import RuleKindHooks, register_rule_kind
from ioudesk.reminders.models import AppliesTo, ReminderChannel, ReminderRule, RuleKind
from ioudesk.reminders.placeholders import NO_PHONE, chinese_date, contact_phone, organisation_label, yuan

CATCH_UP_REASON = "补跑日终，提醒已过期"
CARRIED_REASON = "补跑日终，提醒已过期；已并入之后的消息补发"
CATCH_UP_FINAL_REASON = "补跑日终，提醒已过期；之后已结清或无适用规则，不再补发"
NO_RECIPIENT = "没有收件人（业务员或本网点财务人员）"
CHUNK = 200
URGENCY = {RuleKind.OVERDUE: 2, RuleKind.ON_DUE: 1, RuleKind.BEFORE: 0}

COUNT_LABELS = {
    "messages": _("提醒与催款消息"),
    "items": _("提醒的到期明细"),
    "suppressed": _("未发送"),
    "late": _("补跑期间的提醒并入今日"),
}


@dataclass(frozen=True)
class DueItem:
    """One open item to remind of."""

    due_id: int
    bill_id: int
    bill_number: str
    seq: int
    due_date: dt.date
    open_amount: Decimal
    direction: str
    customer_id: int
    branch_id: int
    manager_id: int | None
    send_day: dt.date

    @property
    def days_overdue(self) -> int:
        """Days past due on the day the message goes out (negative: days before the due date)."""
        return (self.send_day - self.due_date).days


FIELDS = ("pk", "bill_id", "bill__number", "seq", "due_date", "open_amount", "direction", "customer_id",
          "branch_id", "bill__manager_id")


def _item(row: tuple, send_day: dt.date) -> DueItem:
    pk, bill_id, number, seq, due_date, open_amount, direction, customer_id, branch_id, manager_id = row
    return DueItem(due_id=pk, bill_id=bill_id, bill_number=number, seq=seq, due_date=due_date,
                   open_amount=open_amount, direction=direction, customer_id=customer_id, branch_id=branch_id,
                   manager_id=manager_id, send_day=send_day)


def _open_items(applies_to: str):
    direction = Direction.PAYABLE if applies_to == AppliesTo.PAYABLE else Direction.RECEIVABLE
    rows = BillDue.objects.filter(direction=direction, status=DueStatus.OPEN, open_amount__gt=0,
                                  bill__status=BillStatus.OPEN)
    return rows.filter(bill__disputed=False) if direction == Direction.RECEIVABLE else rows


def rule_items(rule: ReminderRule, send_day: dt.date) -> list[DueItem]:
    """The open items ``rule`` reminds of on ``send_day``: one set-based query."""
    rows = _open_items(rule.applies_to)
    if rule.applies_to == AppliesTo.PAYABLE and rule.kind == RuleKind.BEFORE:
        ahead = max(rule.offset_list() or [0])
        rows = rows.filter(due_date__gte=send_day, due_date__lte=send_day + dt.timedelta(days=ahead))
    else:
        dates = reminder_selectors.rule_due_dates(rule, send_day)
        if not dates:
            return []
        rows = rows.filter(due_date__in=dates)
    return [_item(row, send_day) for row in rows.order_by("pk").values_list(*FIELDS)]


def _rules(applies_to=None) -> list[ReminderRule]:
    kinds = [applies_to] if applies_to else [AppliesTo.BILL, AppliesTo.PAYABLE]
    return list(ReminderRule.objects.filter(applies_to__in=kinds, is_active=True, template__is_active=True)
                .select_related("template").order_by("id"))


def _kind_of(rule: ReminderRule) -> str:
    if rule.applies_to == AppliesTo.PAYABLE:
        return BillReminderKind.PAYABLE
    return BillReminderKind.OVERDUE if rule.kind == RuleKind.OVERDUE else BillReminderKind.BEFORE


def reminders_due(send_day: dt.date) -> list[tuple[ReminderRule, DueItem]]:
    return [(rule, item) for rule in _rules() for item in rule_items(rule, send_day)]


# --- recipients and messages ----------------------------------------------------------------------

def _finance_users(branch_ids) -> dict[int, list]:
    """The active 财务 users of each branch (the payables' note goes to them)."""
    users = (get_user_model().objects.filter(is_active=True, groups__name=FINANCE, branch_id__in=list(branch_ids))
             .distinct().order_by("pk"))
    found: dict[int, list] = defaultdict(list)
    for user in users:
        found[user.branch_id].append(user)
    return found


def _groups(pairs) -> dict[tuple, list]:
    """(kind, recipient id, channel) → its (rule, item) pairs: ("customer", customer, sms|email),
    ("user", 业务员, inapp) for a bill's in-app rule, ("finance", user, inapp) for a payable."""
    groups: dict[tuple, list] = defaultdict(list)
    inapp = [item for rule, item in pairs if rule.channel == ReminderChannel.INAPP and rule.applies_to == AppliesTo.BILL]
    owners = dict(Customer.objects.filter(pk__in={i.customer_id for i in inapp}).values_list("pk", "owner_id"))
    finance = _finance_users({item.branch_id for rule, item in pairs if rule.applies_to == AppliesTo.PAYABLE})
    for rule, item in pairs:
        if rule.applies_to == AppliesTo.PAYABLE:
            recipients = finance.get(item.branch_id) or [None]
            for user in recipients:
                groups[("finance", user.pk if user else None, ReminderChannel.INAPP)].append((rule, item))
        elif rule.channel == ReminderChannel.INAPP:
            groups[("user", item.manager_id or owners.get(item.customer_id), ReminderChannel.INAPP)].append((rule, item))
        else:
            groups[("customer", item.customer_id, rule.channel)].append((rule, item))
    return groups


def context_for(items: list[DueItem], *, names: dict[int, str], manager=None, phone: str | None = None,
                organisation: str | None = None) -> dict[str, str]:
    """The placeholder values of one message about ``items`` (one customer's, or a 业务员's / 财务's list)."""
    items = sorted(items, key=lambda item: (item.due_date, item.bill_number, item.seq))
    total = sum((item.open_amount for item in items), Decimal("0.00"))
    listed = list(dict.fromkeys(names.get(item.customer_id, "") for item in items))
    several = len(listed) > 1
    overdue = max(item.days_overdue for item in items)

    def line(item: DueItem) -> str:
        text = (f"{names.get(item.customer_id, '')} " if several else "") + (
            f"单据{item.bill_number} 第{item.seq}期，{chinese_date(item.due_date)}到期，未付 ¥{yuan(item.open_amount)}")
        if item.days_overdue > 0:
            text += f"（逾期{item.days_overdue}天）"
        return text

    return {
        "客户名称": "、".join(listed[:3]) + (f"等{len(listed)}家" if len(listed) > 3 else ""),
        "单据编号": "、".join(dict.fromkeys(item.bill_number for item in items)),
        "未付金额": yuan(total),
        "未付金额大写": amount_in_words(total),
        "到期日": chinese_date(items[0].due_date),
        "距到期天数": str(max(-min(item.days_overdue for item in items), 0)),
        "逾期天数": str(max(overdue, 0)),
        "笔数": str(len(items)),
        "单据明细": "\n".join(line(item) for item in items),
        "机构名称": organisation_label() if organisation is None else organisation,
        "联系电话": (contact_phone(manager) if phone is None else phone) or NO_PHONE,
        "业务员": str(manager) if manager is not None else "",
    }


def _message_for(day: dt.date, key, pairs, customers, users, lender) -> dict | None:
    """The one message of a group as message_queue's keyword arguments (None: nobody to send it to)."""
    from ioudesk.notify.placeholders import template_render

    kind, recipient_id, channel = key
    items = list({item.due_id: item for _rule, item in pairs}.values())
    worst: dict[int, int] = {}
    for rule, item in pairs:
        worst[rule.pk] = max(worst.get(rule.pk, item.days_overdue), item.days_overdue)
    rule = max({r.pk: r for r, _i in pairs}.values(), key=lambda r: (URGENCY[r.kind], worst[r.pk], -r.pk))
    names = {pk: customer.name for pk, customer in customers.items()}
    if kind == "customer":
        customer = customers[recipient_id]
        manager = users.get(items[0].manager_id) if items[0].manager_id else None
        context = context_for(items, names=names, manager=manager, phone=lender["phone"] or None,
                              organisation=lender["organisation"])
        subject, body = template_render(rule.template, context)
        to = customer.phone if channel == ReminderChannel.SMS else (getattr(customer, "email", "") or "")
        return dict(channel=channel, subject=subject, body=body, customer=customer, to=to or "",
                    category=rule.template.category, delivery_key=f"bill-dunning:{recipient_id}:{channel}:{day}",
                    related=Bill(pk=min(items, key=lambda i: (i.due_date, i.bill_id)).bill_id),
                    template=rule.template, context=context)
    user = users.get(recipient_id) if recipient_id else None
    if user is None:
        return None
    context = context_for(items, names=names, manager=user if kind == "user" else None,
                          phone=lender["phone"] or None, organisation=lender["organisation"])
    subject, body = template_render(rule.template, context)
    prefix = "payable" if kind == "finance" else "bill-dunning:user"
    return dict(channel=channel, subject=subject, body=body, user=user, category=rule.template.category,
                delivery_key=f"{prefix}:{user.pk}:{day}", related=Bill(pk=items[0].bill_id),
                template=rule.template, context=context)


def _lender() -> dict:
    from django.conf import settings

    from ioudesk.core.services import organisation_current

    organisation = organisation_current()
    return {"phone": getattr(organisation, "phone", "") or getattr(settings, "IOUDESK_CONTACT_PHONE", ""),
            "organisation": str(organisation)}


# --- catch-up -------------------------------------------------------------------------------------

def _late(day: dt.date, send_day: dt.date, pairs) -> tuple[list, dict]:
    """After a catch-up: the items a catch-up day skipped that are still open, each with the rule of
    its channel and kind that speaks for it today (unless a rule of that channel reminds of it today
    anyway); and the skipped rows by (item, channel) to settle once today's messages are written."""
    skipped = list(BillReminder.objects.filter(sent=False, note=CATCH_UP_REASON, day__lt=day)
                   .values_list("pk", "due_id", "channel", "rule__applies_to"))
    if not skipped:
        return [], {}
    rows: dict[tuple, list[int]] = defaultdict(list)
    kinds: dict[tuple, str] = {}
    for pk, due_id, channel, applies_to in skipped:
        rows[(due_id, channel)].append(pk)
        kinds[(due_id, channel)] = applies_to or AppliesTo.BILL
    already = {(item.due_id, rule.channel) for rule, item in pairs}
    items = {row[0]: _item(row, send_day) for row in BillDue.objects.filter(
        pk__in={due_id for due_id, _c in rows}, status=DueStatus.OPEN, open_amount__gt=0,
        bill__status=BillStatus.OPEN).values_list(*FIELDS)}
    rules = _rules()
    late = []
    for (due_id, channel), _pks in rows.items():
        item = items.get(due_id)
        if item is None or (due_id, channel) in already:
            continue
        kind = reminder_selectors.kind_for(item.days_overdue)
        rule = next((r for r in rules if r.channel == channel and r.applies_to == kinds[(due_id, channel)]
                     and (r.kind == kind or r.applies_to == AppliesTo.PAYABLE)), None)
        if rule is not None:
            late.append((rule, item))
    return late, dict(rows)


def _late_settle(rows: dict, carried: set) -> None:
    for key, pks in rows.items():
        BillReminder.objects.filter(pk__in=pks).update(
            note=CARRIED_REASON if key in carried else CATCH_UP_FINAL_REASON)


# --- the day step ---------------------------------------------------------------------------------

def dunning_day_step(*, day: dt.date, close_run=None, catching_up: bool = False) -> dict[str, int]:
    """The close's day step for ``day`` (module docstring). Counts: messages written, items reminded,
    suppressed (recorded without a message), late (catch-up items carried today)."""
    from ioudesk.notify.services import message_queue_many

    send_day = reminder_selectors.send_day_for(day)
    done = set(BillReminder.objects.filter(day=day).values_list("due_id", "rule_id", "channel"))
    pairs = [(rule, item) for rule, item in reminders_due(send_day)
             if (item.due_id, rule.pk, rule.channel) not in done]
    counts = {"messages": 0, "items": 0, "suppressed": 0}
    late_rows: dict = {}
    if not catching_up:
        late, late_rows = _late(day, send_day, pairs)
        pairs += late
        if late:
            counts["late"] = len({item.due_id for _rule, item in late})
    carried: set = set()
    if pairs:
        groups = _groups(pairs)
        lender = _lender()
        keys = list(groups)
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start:start + CHUNK]
            with transaction.atomic():
                customer_ids = {item.customer_id for key in chunk for _r, item in groups[key]}
                customers = Customer.objects.in_bulk(customer_ids)
                user_ids = {key[1] for key in chunk if key[0] != "customer" and key[1]}
                user_ids |= {item.manager_id for key in chunk for _r, item in groups[key] if item.manager_id}
                users = get_user_model().objects.in_bulk(user_ids)
                decided = [(key, None if catching_up else _message_for(day, key, groups[key], customers, users,
                                                                       lender)) for key in chunk]
                queued = iter(message_queue_many([message for _key, message in decided if message is not None]))
                rows, events = [], {}
                for key, message in decided:
                    if message is not None:
                        message = next(queued)
                        counts["messages"] += 1
                    else:
                        counts["suppressed"] += len(groups[key])
                    for rule, item in groups[key]:
                        sent = message is not None
                        note = "" if sent else (CATCH_UP_REASON if catching_up else NO_RECIPIENT)
                        rows.append(BillReminder(due_id=item.due_id, rule=rule, kind=_kind_of(rule), day=day,
                                                 channel=rule.channel, sent=sent, note=note))
                        if sent:
                            carried.add((item.due_id, rule.channel))
                            events.setdefault((item.bill_id, _kind_of(rule)), []).append((rule, item))
                written = BillReminder.objects.bulk_create(rows, ignore_conflicts=True)
                counts["items"] += len({(r.due_id, r.rule_id) for r in written})
                BillEvent.objects.bulk_create([_event(bill_id, kind, found) for (bill_id, kind), found in events.items()])
    _late_settle(late_rows, carried)
    return {key: value for key, value in counts.items() if value}


def _event(bill_id: int, kind: str, found: list) -> BillEvent:
    channels = "、".join(dict.fromkeys(str(ReminderChannel(rule.channel).label) for rule, _i in found))
    owed = sum((item.open_amount for item in {i.due_id: i for _r, i in found}.values()), Decimal("0.00"))
    worst = max(item.days_overdue for _r, item in found)
    if kind == BillReminderKind.OVERDUE:
        text = _g("催款通知（%(channels)s）：逾期 %(n)s 天，未付 ¥%(owed)s") % {
            "channels": channels, "n": worst, "owed": f"{owed:,.2f}"}
        event_kind = BillEventKind.DUNNED
    elif kind == BillReminderKind.PAYABLE:
        text = _g("应付提醒（财务站内信）：%(due)s 到期，未付 ¥%(owed)s") % {
            "due": min(i.due_date for _r, i in found).isoformat(), "owed": f"{owed:,.2f}"}
        event_kind = BillEventKind.REMINDED
    else:
        text = _g("到期提醒（%(channels)s）：%(due)s 到期，未付 ¥%(owed)s") % {
            "channels": channels, "due": min(i.due_date for _r, i in found).isoformat(), "owed": f"{owed:,.2f}"}
        event_kind = BillEventKind.REMINDED
    return BillEvent(bill_id=bill_id, kind=event_kind, text=text[:300])


# --- seeded defaults (ioudesk setup), preview and plan (reminders.kinds) ------------------------

@transaction.atomic
def dunning_defaults_ensure() -> int:
    """The bill and payable templates (each when missing) and rules (when there is no rule of that
    kind at all): idempotent, an administrator's changes stay. Returns the rules created."""
    from ioudesk.notify import services as notify
    from ioudesk.notify.models import MessageTemplate
    from ioudesk.reminders.services import rule_save

    templates = {}
    for code, fields in TEMPLATES.items():
        template = MessageTemplate.objects.filter(code=code).first()
        if template is None:
            template = notify.template_save(template=MessageTemplate(code=code, is_active=True, **fields), user=None)
        templates[code] = template
    created = 0
    for applies_to in (AppliesTo.BILL, AppliesTo.PAYABLE):
        if ReminderRule.objects.filter(applies_to=applies_to).exists():
            continue
        for kind_of, kind, offsets, repeat_every, channel, code, notes in RULES:
            if kind_of != applies_to:
                continue
            rule_save(rule=ReminderRule(applies_to=applies_to, kind=kind, offsets=offsets, repeat_every=repeat_every,
                                        channel=channel, template=templates[code], notes=notes))
            created += 1
    return created


def _scoped(rows, user):
    branch_ids = scope.visible_branch_ids(user)
    return rows if branch_ids is None else rows.filter(branch_id__in=branch_ids)


def rule_preview(rule: ReminderRule, user, today: dt.date) -> tuple[str, str, str]:
    """The rule's template with a real open item of the user's branches (the earliest due from today
    on, else the latest overdue), as the rule's first reminder of it reads; else the sample."""
    from ioudesk.notify.placeholders import template_render

    rows = _scoped(_open_items(rule.applies_to), user)
    row = (rows.filter(due_date__gte=today).order_by("due_date", "pk").values_list(*FIELDS).first()
           or rows.filter(due_date__lt=today).order_by("-due_date", "pk").values_list(*FIELDS).first())
    if row is None:
        return (*template_render(rule.template, dict(categories.SAMPLE)), "")
    send_day = reminder_selectors.rule_send_day(rule, row[4])
    item = _item(row, send_day)
    names = dict(Customer.objects.filter(pk=item.customer_id).values_list("pk", "name"))
    manager = get_user_model().objects.filter(pk=item.manager_id).first() if item.manager_id else None
    subject, body = template_render(rule.template, context_for([item], names=names, manager=manager))
    source = _g("单据 %(number)s 第%(seq)s期（%(due)s 到期）：按本规则在 %(send)s 发出的提醒") % {
        "number": item.bill_number, "seq": item.seq, "due": item.due_date.isoformat(), "send": send_day.isoformat()}
    return subject, body, source


def _plan(applies_to: str):
    def planned(user, day: dt.date, limit: int = 500) -> dict:
        send_day = reminder_selectors.send_day_for(day)
        branch_ids = scope.visible_branch_ids(user)
        pairs = sorted(((rule, item) for rule in _rules(applies_to) for item in rule_items(rule, send_day)
                        if branch_ids is None or item.branch_id in branch_ids),
                       key=lambda p: (p[1].customer_id, p[1].due_date, p[1].due_id, p[0].pk))
        shown = pairs[:limit]
        done = {(r.due_id, r.rule_id): r for r in BillReminder.objects.filter(
            day=day, due_id__in=[i.due_id for _r, i in shown])}
        names = dict(Customer.objects.filter(pk__in={i.customer_id for _r, i in shown}).values_list("pk", "name"))
        rows = []
        for rule, item in shown:
            recorded = done.get((item.due_id, rule.pk))
            if recorded is None:
                status = _g("待日终生成")
            elif recorded.sent:
                status = _g("已生成消息")
            else:
                status = _g("未发送：%(reason)s") % {"reason": recorded.note}
            rows.append({"rule": rule, "customer_name": names.get(item.customer_id, ""), "number": item.bill_number,
                         "url": _bill_url(item.bill_id, user), "due_date": item.due_date,
                         "amount": yuan(item.open_amount), "status": status})
        return {"rows": rows, "total": len(pairs), "send_day": send_day}

    return planned


def _bill_url(bill_id: int, user) -> str:
    from django.urls import NoReverseMatch, reverse

    if not user.has_perm("receivables.view_bill"):
        return ""
    try:
        return reverse("backoffice:receivables_bill", args=[bill_id])
    except NoReverseMatch:
        return ""


def placeholder_sample(*, overdue: bool) -> dict[str, str]:
    """The preview "with real data": an open receivable item (overdue for 催款通知, else the earliest
    upcoming one), as a message about it reads today; the sample values when there is none."""
    from ioudesk.core import clock

    today = clock.today()
    rows = _open_items(AppliesTo.BILL)
    row = (rows.filter(due_date__lt=today).order_by("-due_date", "pk") if overdue
           else rows.filter(due_date__gte=today).order_by("due_date", "pk")).values_list(*FIELDS).first()
    if row is None:
        return dict(categories.SAMPLE)
    item = _item(row, today)
    names = dict(Customer.objects.filter(pk=item.customer_id).values_list("pk", "name"))
    return context_for([item], names=names)


def reminder_log(*, start=None, end=None) -> list[tuple]:
    """(closed day D, bill number, due seq, channel, kind, sent) of every BillReminder, sorted (tests)."""
    rows = BillReminder.objects.all()
    if start is not None:
        rows = rows.filter(day__gte=start)
    if end is not None:
        rows = rows.filter(day__lte=end)
    return sorted(rows.values_list("day", "due__bill__number", "due__seq", "channel", "kind", "sent"))


def register() -> None:
    hooks = dict(preview=rule_preview,
                 used=lambda rule: BillReminder.objects.filter(rule=rule).exists())
    register_rule_kind(AppliesTo.BILL, RuleKindHooks(planned=_plan(AppliesTo.BILL), **hooks))
    register_rule_kind(AppliesTo.PAYABLE, RuleKindHooks(planned=_plan(AppliesTo.PAYABLE), **hooks))
