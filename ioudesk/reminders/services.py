"""Writes of the reminders app: rules (checked, audited), the seeded defaults, and the reminder day
step of the daily close.

The day step (``reminders_day_step``, registered with the close as ``reminders``): for the closed
day D it finds, rule by rule with one set-based query each (selectors.rule_installments), the
installments to remind of on D + 1, and writes one message per customer per channel carrying all
of them (delivery key ``reminder:<customer id>:<channel>:<D>``) and one in-app note per 客户经理
listing their customers (``reminder:officer:<user id>:<D>``), and one ``Reminder`` row per
installment and rule.

The amount is what the installments owe as posted (principal, interest and fees due, penalty
posted). Penalty that has run on since its last posting (penalty to date, decision 0006) is not
added: computing it is a calc call per IOU (about 3 ms), which would make the step cost more than
the close itself on a day with tens of thousands of overdue reminders; the overdue template says
the penalty is reckoned to the day of payment. A chunk's messages are written at once
(``message_queue_many``: bulk inserts, one delivery task per batch). Quiet hours, opt-outs and the
daily cap are notify's, applied at delivery: a message queued at the close's hour waits for the
sending window.

Idempotent: the ``Reminder`` rows are unique per (installment, rule, day) and the messages per
delivery key, so a second run for D finds everything done and adds nothing.

A catch-up close (``catching_up``: later days follow in the same close, so D is already past) sends
nothing for D: "3 days before" or "overdue +1" is stale once the day is gone. Those reminders are
recorded as ``skipped`` with the reason 补跑日终，提醒已过期 (shown in 提醒记录, counted on the run
page). The close's last day (not catching up) then carries them, once and with that day's figures,
in its own messages: each skipped installment still open is reminded of by the rule of its channel
that speaks for it that day (overdue, due that day, or still ahead), unless a rule reminds of it
that day anyway; the skipped rows become ``late`` with that message (补跑后合并补发), or keep their
reason with 不再补发 when the installment was paid meanwhile. So moving the business date a month on
reminds every debtor still owing once, not thirty times, and not never.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _g

from ioudesk.core import audit
from ioudesk.core.errors import ValidationFailed
from ioudesk.customers.models import Customer
from ioudesk.ious.models import Iou
from ioudesk.reminders import selectors
from ioudesk.reminders.defaults import RULES, TEMPLATES
from ioudesk.reminders.models import (
    TEMPLATE_CATEGORIES,
    AppliesTo,
    Reminder,
    ReminderChannel,
    ReminderRule,
    ReminderState,
    RuleKind,
)
from ioudesk.reminders.placeholders import CATEGORY, Item, context_for

CATCH_UP_REASON = "补跑日终，提醒已过期"
CATCH_UP_FINAL_REASON = "补跑日终，提醒已过期；之后已还清或无适用规则，不再补发"
LATE_COUNT = "late"  # reminders of catch-up days merged into the last day (labelled by the 日终 page)
NO_OFFICER_REASON = "借据没有客户经理"
CHUNK = 200  # messages written per transaction


# --- rules ----------------------------------------------------------------------------------------

def rule_validate(*, rule: ReminderRule) -> None:
    """Every problem of a rule at once, each under its field (``extra["fields"]``)."""
    problems: dict[str, str] = {}
    try:
        offsets = rule.offset_list()
    except ValueError:
        offsets = None
        problems["offsets"] = _g("天数请写正整数，多个用逗号分隔，如 1,3,7。")
    if rule.kind not in RuleKind.values:
        problems["kind"] = _g("请选择提醒时点。")
    elif offsets is not None:
        if rule.kind == RuleKind.ON_DUE:
            if offsets:
                problems["offsets"] = _g("到期当日提醒不填天数。")
        elif not offsets:
            problems["offsets"] = _g("请填写天数。")
        elif any(n < 1 or n > 3650 for n in offsets):
            problems["offsets"] = _g("天数须在 1 到 3650 之间。")
        elif len(set(offsets)) != len(offsets):
            problems["offsets"] = _g("天数不能重复。")
    if rule.kind != RuleKind.OVERDUE and (rule.repeat_every or rule.repeat_until):
        problems["repeat_every"] = _g("只有逾期后提醒可以重复。")
    elif rule.repeat_until and not rule.repeat_every:
        problems["repeat_until"] = _g("请先填写“此后每隔几天”。")
    elif rule.repeat_until and offsets and rule.repeat_until <= max(offsets):
        problems["repeat_until"] = _g("重复提醒的截止天数应大于最后一个天数。")
    applies_to = rule.applies_to or AppliesTo.IOU
    if applies_to not in AppliesTo.values:
        problems["applies_to"] = _g("请选择规则适用于借据还款、应收单据还是应付单据。")
        applies_to = AppliesTo.IOU
    if rule.channel not in ReminderChannel.values:
        problems["channel"] = _g("请选择渠道。")
    elif applies_to == AppliesTo.PAYABLE and rule.channel != ReminderChannel.INAPP:
        problems["channel"] = _g("应付提醒只发站内信给本网点的财务人员：渠道请选“站内信”。")
    if applies_to != AppliesTo.IOU and rule.product_id is not None:
        problems["product"] = _g("产品只用于借据还款的提醒：单据的提醒规则请留空产品。")
    template = rule.template if rule.template_id else None
    categories = TEMPLATE_CATEGORIES[applies_to]
    if template is None:
        problems["template"] = _g("请选择消息模板。")
    elif template.category not in categories:
        problems["template"] = {
            AppliesTo.IOU: _g("请选择“还款提醒”类别的模板。"),
            AppliesTo.BILL: _g("请选择“单据到期提醒”或“催款通知”类别的模板。"),
            AppliesTo.PAYABLE: _g("请选择“单据到期提醒”类别的模板。"),
        }[applies_to]
    elif rule.channel in ReminderChannel.values and template.channel != rule.channel:
        problems["template"] = _g("模板的渠道（%(template)s）与规则的渠道（%(rule)s）不一致。") % {
            "template": template.get_channel_display(), "rule": ReminderChannel(rule.channel).label}
    if problems:
        raise ValidationFailed("；".join(problems.values()), code="reminder_rule_invalid",
                               extra={"fields": problems})
    rule.offsets = ",".join(str(n) for n in (sorted(offsets) if offsets else []))


@transaction.atomic
def rule_save(*, rule: ReminderRule, user=None) -> ReminderRule:
    before = audit.snapshot(ReminderRule.objects.select_for_update().get(pk=rule.pk)) if rule.pk else None
    rule_validate(rule=rule)
    rule.save()
    audit.record_change(obj=rule, before=before, after=audit.snapshot(rule),
                        verb=_g("新增提醒规则") if before is None else _g("修改提醒规则"))
    return rule


@transaction.atomic
def rule_delete(*, rule: ReminderRule, user=None) -> None:
    """A rule that has reminded anybody is kept (its records point to it): switch it off instead."""
    from ioudesk.core.errors import InvalidState
    from ioudesk.reminders.kinds import rule_used

    if Reminder.objects.filter(rule=rule).exists() or rule_used(rule):
        raise InvalidState(_g("这条规则已发出过提醒，不能删除；不再使用请停用。"), code="reminder_rule_used")
    before = audit.snapshot(rule)
    audit.record_change(obj=rule, before=before, after=None, verb=_g("删除提醒规则"))
    rule.delete()


@transaction.atomic
def reminder_defaults_ensure() -> int:
    """Seed the default templates and the IOU rules when there are no IOU reminder rules at all
    (idempotent: an administrator who deleted or changed them keeps their choice). Returns the rules
    created. The other kinds (receivables bills, payables) seed their own (``ioudesk setup`` calls
    ``receivables.dunning.dunning_defaults_ensure``)."""
    from ioudesk.notify.models import MessageTemplate

    templates = {}
    for code, fields in TEMPLATES.items():
        template = MessageTemplate.objects.filter(code=code).first()
        if template is None:
            template = _template_create(code=code, **fields)
        templates[code] = template
    if ReminderRule.objects.filter(applies_to=AppliesTo.IOU).exists():
        return 0
    for kind, offsets, repeat_every, channel, code, notes in RULES:
        rule_save(rule=ReminderRule(kind=kind, offsets=offsets, repeat_every=repeat_every, channel=channel,
                                    template=templates[code], notes=notes))
    return len(RULES)


def _template_create(*, code, name, channel, subject, body):
    from ioudesk.notify import services as notify
    from ioudesk.notify.models import MessageTemplate

    template = MessageTemplate(code=code, name=name, category=CATEGORY, channel=channel, subject=subject,
                               body=body, is_active=True)
    return notify.template_save(template=template, user=None)


# --- the day step ---------------------------------------------------------------------------------

def reminders_day_step(*, day: date, close_run=None, catching_up: bool = False) -> dict[str, int]:
    """The close's day step for ``day`` (see the module docstring). Counts: per rule the installments
    reminded, "messages" the messages written, "suppressed" the reminders recorded without a message
    (codes: the 日终 page labels them in the reader's language)."""
    from ioudesk.notify.services import message_queue_many

    send_day = selectors.send_day_for(day)
    done = set(Reminder.objects.filter(day=day).values_list("installment_id", "rule_id"))
    matches = [(rule, item) for rule, item in selectors.reminders_due(send_day)
               if (item.installment_id, rule.pk) not in done]
    counts: dict[str, int] = {"messages": 0, "suppressed": 0}
    late_rows: dict[tuple[int, str], list[int]] = {}
    if not catching_up:
        late, late_rows = _late(day, send_day, matches)
        matches += late
        if late_rows:
            counts[LATE_COUNT] = len({key[0] for key in late_rows})
    if not matches:
        _late_settle(late_rows, {})
        return counts
    groups = _groups(matches)
    per_rule: dict[int, int] = defaultdict(int)
    rules = {}
    carried: dict[tuple[int, str], int] = {}  # (installment, channel) → the message that carried it
    keys = list(groups)
    lender = {"phone": _lender_phone(), "organisation": _organisation_label()}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start:start + CHUNK]
        with transaction.atomic():
            customers, officers = {}, {}
            if not catching_up:  # nothing is written for a catch-up day but the records
                customers = Customer.objects.in_bulk({item.customer_id for key in chunk for _rule, item in groups[key]})
                officers = get_user_model().objects.in_bulk(
                    {key[2] for key in chunk if key[2]} | {item.officer_id for key in chunk
                                                           for _rule, item in groups[key] if item.officer_id})
            decided = [(key, *_message_for(day, key, groups[key], customers, officers, catching_up, lender))
                       for key in chunk]
            queued = iter(message_queue_many([message for _key, message, _state, _reason in decided
                                              if message is not None]))
            rows = []
            for key, message, state, reason in decided:
                pairs = groups[key]
                if message is not None:
                    message = next(queued)  # the Message written (or already there) for these kwargs
                    counts["messages"] += 1
                else:
                    counts["suppressed"] += len(pairs)
                for rule, item in pairs:
                    rules[rule.pk] = rule
                    per_rule[rule.pk] += 1
                    if message is not None:
                        carried[(item.installment_id, key[1])] = message.pk
                    rows.append(Reminder(day=day, send_day=send_day, rule=rule, installment_id=item.installment_id,
                                         iou_id=item.iou_id, customer_id=item.customer_id, branch_id=item.branch_id,
                                         channel=key[1], days_overdue=item.days_overdue, message=message,
                                         state=state, reason=reason))
            Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    _late_settle(late_rows, carried)
    for pk, number in per_rule.items():
        counts[rule_count_label(rules[pk])] = number
    return counts


def _late(day: date, send_day: date, matches) -> tuple[list, dict[tuple[int, str], list[int]]]:
    """After a catch-up: the installments whose reminders a catch-up day skipped and that are still
    open, each with the rule of its channel that speaks for it today (overdue, due today, or still
    ahead), to be carried by today's messages, once, with today's figures; unless a rule of that
    channel reminds of it today anyway. Returns those (rule, item) pairs, and the skipped rows by
    (installment, channel) to mark once today's messages are written."""
    skipped = list(Reminder.objects.filter(state=ReminderState.SKIPPED, reason=CATCH_UP_REASON, day__lt=day)
                   .order_by().values_list("pk", "installment_id", "channel"))
    if not skipped:
        return [], {}
    late_rows: dict[tuple[int, str], list[int]] = defaultdict(list)
    for pk, installment_id, channel in skipped:
        late_rows[(installment_id, channel)].append(pk)
    already = {(item.installment_id, rule.channel) for rule, item in matches}
    items = {item.installment_id: item for item in selectors.open_items(
        {installment_id for installment_id, _channel in late_rows}, send_day)}
    rules = list(ReminderRule.objects.filter(is_active=True, template__is_active=True, applies_to=AppliesTo.IOU)
                 .select_related("template", "product").order_by("id"))
    own = selectors.products_with_rules()
    pairs = []
    for installment_id, channel in late_rows:
        item = items.get(installment_id)
        if item is None or (installment_id, channel) in already:
            continue
        kind = selectors.kind_for(item.days_overdue)
        rule = next((r for r in rules if r.channel == channel and r.kind == kind
                     and selectors.rule_applies(r, item.product_id, own)), None)
        if rule is not None:
            pairs.append((rule, item))
    return pairs, dict(late_rows)


def _late_settle(late_rows: dict[tuple[int, str], list[int]], carried: dict[tuple[int, str], int]) -> None:
    """The skipped rows of a catch-up: carried by today's message (LATE), or left skipped for good
    (paid since, or no rule speaks for them now) with a reason that takes them out of the next day's look."""
    with transaction.atomic():
        for key, pks in late_rows.items():
            message_id = carried.get(key)
            if message_id is not None:
                Reminder.objects.filter(pk__in=pks).update(state=ReminderState.LATE, message_id=message_id)
            else:
                Reminder.objects.filter(pk__in=pks).update(reason=CATCH_UP_FINAL_REASON)


def rule_count_label(rule: ReminderRule) -> str:
    scope_label = rule.product.code if rule.product_id else _g("默认")
    return f"#{rule.pk} {scope_label} {rule}"


def _groups(matches: list[tuple[ReminderRule, Item]]) -> dict[tuple, list[tuple[ReminderRule, Item]]]:
    """The messages of the day: (customer, channel, None) for the debtor's SMS and e-mail, one per
    customer per channel; (None, inapp, 客户经理) for the in-app note, one per 客户经理 listing their
    customers. Each with its (rule, item) pairs, after the IOU's customer credit: credit is applied
    when an installment falls due, so an upcoming installment the credit covers is not reminded of,
    and one it partly covers for the rest."""
    officer_of = _recipients([item for _rule, item in matches if _rule.channel == ReminderChannel.INAPP])
    groups: dict[tuple, list] = defaultdict(list)
    for rule, item in matches:
        if rule.channel == ReminderChannel.INAPP:
            groups[(None, rule.channel, officer_of.get(item.iou_id))].append((rule, item))
        else:
            groups[(item.customer_id, rule.channel, None)].append((rule, item))
    result = {}
    for key, pairs in groups.items():
        pairs = _after_credit(pairs)
        if pairs:
            result[key] = pairs
    return result


def _recipients(items: list[Item]) -> dict[int, int | None]:
    """The 客户经理 of each IOU for in-app notes: the IOU's officer, else the customer's owner."""
    if not items:
        return {}
    owners = dict(Customer.objects.filter(pk__in={i.customer_id for i in items}).values_list("pk", "owner_id"))
    return {item.iou_id: item.officer_id or owners.get(item.customer_id) for item in items}


def _after_credit(pairs):
    by_installment: dict[int, Item] = {}
    for _rule, item in pairs:
        by_installment.setdefault(item.installment_id, item)
    owed: dict[int, Decimal] = {}
    credit_left: dict[int, Decimal] = {}
    for item in sorted(by_installment.values(), key=lambda i: (i.due_date, i.number)):
        left = credit_left.setdefault(item.iou_id, item.credit or Decimal("0.00"))
        used = min(left, item.owed) if item.days_overdue <= 0 else Decimal("0.00")
        credit_left[item.iou_id] = left - used
        owed[item.installment_id] = item.owed - used
    return [(rule, dataclasses.replace(item, owed=owed[item.installment_id]))
            for rule, item in pairs if owed[item.installment_id] > 0]


URGENCY = {RuleKind.OVERDUE: 2, RuleKind.ON_DUE: 1, RuleKind.BEFORE: 0}


def _message_for(day, key, pairs, customers, officers, catching_up, lender):
    """The one message of a group, as message_queue's keyword arguments (queued by the caller with
    message_queue_many, a chunk at once), or the decision not to send one: (kwargs, state, reason)."""
    from ioudesk.notify.placeholders import template_render

    customer_id, channel, officer_id = key
    if catching_up:
        return None, ReminderState.SKIPPED, CATCH_UP_REASON
    officer = officers.get(officer_id) if officer_id else None
    if channel == ReminderChannel.INAPP and officer is None:
        return None, ReminderState.SKIPPED, NO_OFFICER_REASON
    items = list({item.installment_id: item for _rule, item in pairs}.values())
    # The most urgent rule's template speaks for the message: overdue before due today before upcoming.
    # (Each rule's most overdue item worked out once: a 客户经理's note can carry thousands of pairs.)
    worst: dict[int, int] = {}
    for r, i in pairs:
        worst[r.pk] = max(worst.get(r.pk, i.days_overdue), i.days_overdue)
    rules = {r.pk: r for r, _i in pairs}
    rule = max(rules.values(), key=lambda r: (URGENCY[r.kind], worst[r.pk], -r.pk))
    officer_named = officer or _officer_of(items, officers)
    names = {item.customer_id: customers[item.customer_id].name for item in items}
    context = context_for(customer_name="", names=names, items=items, officer=officer_named,
                          phone=lender["phone"] or getattr(officer_named, "phone", "") or "",
                          organisation=lender["organisation"])
    subject, body = template_render(rule.template, context)
    first = min(items, key=lambda item: (item.due_date, item.iou_id))
    related = Iou(pk=first.iou_id)
    if channel == ReminderChannel.INAPP:
        return dict(channel=channel, subject=subject, body=body, user=officer, category=CATEGORY,
                    delivery_key=f"reminder:officer:{officer.pk}:{day.isoformat()}",
                    related=related, template=rule.template, context=context), ReminderState.QUEUED, ""
    customer = customers[customer_id]
    to = customer.phone if channel == ReminderChannel.SMS else ""
    return dict(channel=channel, subject=subject, body=body, customer=customer, to=to or "",
                category=CATEGORY, delivery_key=f"reminder:{customer_id}:{channel}:{day.isoformat()}",
                related=related, template=rule.template, context=context), ReminderState.QUEUED, ""


def _officer_of(items, officers):
    for item in items:
        if item.officer_id and item.officer_id in officers:
            return officers[item.officer_id]
    return None


def _lender_phone() -> str:
    from django.conf import settings

    from ioudesk.core.services import organisation_current

    return getattr(organisation_current(), "phone", "") or getattr(settings, "IOUDESK_CONTACT_PHONE", "")


def _organisation_label() -> str:
    from ioudesk.core.services import organisation_current

    return str(organisation_current())

