"""Notification services: the only writers of the notify app.

`message_queue` writes the outbox row in the caller's transaction and enqueues its delivery with
`transaction.on_commit` (a rolled-back event leaves no message and sends nothing). `message_deliver`
(run by the worker) claims the row with one conditional UPDATE — queued → sending — so with any
number of workers exactly one goes on; then it applies the rules (opt-out, quiet hours, the daily
cap), calls the channel's backend and records the attempt; a timeout or a 5xx is retried with
exponential backoff up to `NotifySettings.max_attempts`, then the message is failed with the reason.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import traceback
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ioudesk.core import audit, clock
from ioudesk.core.context import current_actor
from ioudesk.core.errors import InvalidState, PermissionDenied, ValidationFailed
from ioudesk.core.masking import mask_phone
from ioudesk.notify import placeholders
from ioudesk.notify.models import (
    FINAL_STATUSES,
    Channel,
    DeliveryAttempt,
    Message,
    MessageTemplate,
    NotifySettings,
    OptOut,
    Status,
)

logger = logging.getLogger(__name__)

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
# A message left in 发送中 for longer than this (the worker died mid-send) is failed, not retried:
# the gateway may have taken it, and a second send is worse than a message marked for a human.
SENDING_LEASE = dt.timedelta(minutes=15)
# A queued message whose delivery task was enqueued this long ago and has not run (the worker is
# behind, or the enqueue was lost) is enqueued again by the sweep; sooner would only pile up tasks
# that find the message claimed.
REENQUEUE_AFTER = dt.timedelta(minutes=10)
MAX_BACKOFF_SECONDS = 6 * 3600  # the doubling stops at six hours between tries
MAX_ATTEMPTS = 20


# --- settings ---------------------------------------------------------------------------------


def notify_settings() -> NotifySettings:
    found = NotifySettings.objects.filter(pk=1).first()
    if found is None:
        found, _created = NotifySettings.objects.get_or_create(pk=1)
    return found


@transaction.atomic
def notify_settings_save(*, settings: NotifySettings, user=None) -> NotifySettings:
    problems = {}
    if settings.window_start == settings.window_end:
        problems["window_end"] = [_("可发送时段的开始和结束不能相同")]
    if not 1 <= settings.max_attempts <= MAX_ATTEMPTS:
        problems["max_attempts"] = [_("最多尝试次数应在 1 到 %(n)s 之间") % {"n": MAX_ATTEMPTS}]
    if settings.retry_base_seconds < 1:
        problems["retry_base_seconds"] = [_("重试间隔至少 1 秒")]
    if problems:
        raise ValidationFailed(_("发送设置有误：") + "；".join(m for ms in problems.values() for m in ms),
                               extra=_details(problems))
    stored = NotifySettings.objects.filter(pk=1).first()
    before = audit.snapshot(stored) if stored else None
    settings.pk = 1
    settings.save()
    audit.record_change(obj=settings, before=before, after=audit.snapshot(settings), verb=_("修改消息发送设置"))
    return settings


def _details(problems: dict[str, list[str]]) -> dict:
    """An error's extra: the first field (the form shows the message there) and every problem by field."""
    return {"field": next(iter(problems), None),
            "details": [{"field": field, "message": str(message)} for field, messages in problems.items()
                        for message in messages]}


# --- queueing ---------------------------------------------------------------------------------


def _mask_address(channel: str, address: str) -> str:
    if not address:
        return ""
    if channel == Channel.EMAIL and "@" in address:
        local, _sep, domain = address.partition("@")
        return (local[:1] + "***@" + domain)[:120]
    return mask_phone(address)[:120]


def _message_check(*, channel, body, customer, user, to, category, delivery_key) -> None:
    """The refusals of message_queue (the same for message_queue_many, item by item)."""
    if channel not in Channel.values:
        raise ValidationFailed(_("未知的消息渠道：%(channel)s") % {"channel": channel}, code="notify_channel")
    if not delivery_key or len(delivery_key) > 200:
        raise ValidationFailed(_("投递键必填，最长 200 个字符"), code="notify_delivery_key")
    if placeholders.category_get(category) is None:
        raise ValidationFailed(_("消息类别“%(category)s”未登记（placeholders.register_category）")
                               % {"category": category}, code="notify_category")
    if customer is not None and user is not None:
        raise ValidationFailed(_("一条消息只能发给一位客户或一位员工"), code="notify_recipient")
    if customer is None and user is None and not to:
        raise ValidationFailed(_("消息没有收件人"), code="notify_recipient")
    if channel == Channel.INAPP and customer is None and user is None:
        raise ValidationFailed(_("站内消息要发给客户或员工"), code="notify_recipient")
    if not (body or "").strip():
        raise ValidationFailed(_("消息正文不能为空"), code="notify_body")


def _message_build(*, channel, body, subject="", customer=None, user=None, to="", category, delivery_key,
                   related=None, template=None, context: dict | None = None, actor_id=None, now=None) -> Message:
    """The unsaved outbox row of one message: the address resolved (the recipient's phone for SMS,
    the staff user's e-mail), suppressed with the reason when there is none, masked for display
    (the model encrypts the address when the row is written)."""
    address = (to or "").strip()
    if not address and channel == Channel.SMS:
        address = (customer.phone if customer is not None else getattr(user, "phone", "")) or ""
    if not address and channel == Channel.EMAIL and user is not None:
        address = user.email or ""
    status, reason = Status.QUEUED, ""
    if channel != Channel.INAPP and not address:
        status = Status.SUPPRESSED
        reason = _("收件人没有手机号") if channel == Channel.SMS else _("收件人没有邮箱")

    branch_id = customer.branch_id if customer is not None else getattr(user, "branch_id", None)
    message = Message(
        channel=channel, category=category, customer=customer, user=user, branch_id=branch_id,
        address=address, address_display=_mask_address(channel, address),
        subject=(subject or "")[:200], body=body, delivery_key=delivery_key, template=template,
        status=status, status_reason=reason,
        enqueued_at=(now or clock.now()) if status == Status.QUEUED else None,
        params=placeholders.template_params(template, context) if template is not None and context else [],
        created_by_id=actor_id,
    )
    if related is not None:
        message.related_type = ContentType.objects.get_for_model(related, for_concrete_model=False)
        message.related_id = str(related.pk)
    return message


def message_queue(*, channel, body, subject="", customer=None, user=None, to="", category, delivery_key,
                  related=None, template=None, context: dict | None = None) -> Message:
    """Write one outgoing message (the outbox row) in the caller's transaction; its delivery is
    enqueued when that transaction commits. The same `delivery_key` returns the message already
    written and queues nothing. `context` (optional) keeps the template's placeholder values for
    SMS providers that send by their own registered template. Many at once: message_queue_many."""
    _message_check(channel=channel, body=body, customer=customer, user=user, to=to, category=category,
                   delivery_key=delivery_key)

    existing = Message.objects.filter(delivery_key=delivery_key).first()
    if existing is not None:
        return existing

    message = _message_build(channel=channel, body=body, subject=subject, customer=customer, user=user, to=to,
                             category=category, delivery_key=delivery_key, related=related, template=template,
                             context=context, actor_id=current_actor().user_id)
    try:
        with transaction.atomic():  # a savepoint: a racing writer of the same key leaves our transaction usable
            message.save()
    except IntegrityError:
        existing = Message.objects.filter(delivery_key=delivery_key).first()
        if existing is None:
            raise
        return existing
    if message.status == Status.QUEUED:
        _enqueue_on_commit(message.pk)
    return message


# Rows written per INSERT (and keys looked up per query) by message_queue_many: well under SQLite's
# limit of bound variables per statement at Message's 26 columns.
BULK_BATCH = 500
# Messages per delivery task enqueued by message_queue_many: one task row instead of one per message,
# small enough that two workers share a close's messages and a batch is done in minutes.
DELIVER_BATCH = 100


def message_queue_many(items: list[dict]) -> list[Message]:
    """message_queue for many messages at once: each item is the keyword arguments of message_queue,
    and each gets exactly what message_queue would give it, in order: the same refusals (checked for
    every item before anything is written), the message already written for a known delivery key
    (queueing nothing; a key twice in `items` is written once and both get that message), and for the
    others a new row with the same address, suppression, status and fields. The rows are written
    with bulk INSERTs in the caller's transaction; their delivery is enqueued when it commits, one
    task per DELIVER_BATCH messages (tasks.deliver_messages: each message claimed and delivered on
    its own, with the same rules, retries and backoff, so never twice). Opt-outs, quiet hours and the
    daily cap are applied at delivery, as for message_queue."""
    for item in items:
        _message_check(channel=item.get("channel"), body=item.get("body"), customer=item.get("customer"),
                       user=item.get("user"), to=item.get("to", ""), category=item.get("category"),
                       delivery_key=item.get("delivery_key"))
    keys = list(dict.fromkeys(item["delivery_key"] for item in items))
    found: dict[str, Message] = {}
    for start in range(0, len(keys), BULK_BATCH):
        found.update((m.delivery_key, m) for m in Message.objects.filter(delivery_key__in=keys[start:start + BULK_BATCH]))
    actor_id, now = current_actor().user_id, clock.now()
    new: list[Message] = []
    for item in items:
        key = item["delivery_key"]
        if key not in found:
            found[key] = _message_build(**item, actor_id=actor_id, now=now)
            new.append(found[key])
    queued: list[int] = []
    for start in range(0, len(new), BULK_BATCH):
        batch = new[start:start + BULK_BATCH]
        try:
            with transaction.atomic():  # a savepoint, as in message_queue
                Message.objects.bulk_create(batch)
        except IntegrityError:
            # a racing writer took one of the keys since we looked: this batch one by one, each
            # getting the racer's message for its key (message_queue enqueues its own)
            item_of = {item["delivery_key"]: item for item in items}
            for message in batch:
                found[message.delivery_key] = message_queue(**item_of[message.delivery_key])
            continue
        queued += [message.pk for message in batch if message.status == Status.QUEUED]
    if queued:
        _enqueue_many_on_commit(queued)
    return [found[item["delivery_key"]] for item in items]


# The delivery task, by name: the task module is an interface (it calls this module), so the service
# names it rather than importing it (as closing/periodic.py does with the close task).
DELIVER_TASK = "ioudesk.notify.tasks.deliver_message"


def _enqueue_on_commit(message_id: int) -> None:
    def enqueue():
        from django.utils.module_loading import import_string

        try:
            import_string(DELIVER_TASK).enqueue(message_id)
        except Exception:  # the periodic sweep (messages_enqueue_due) picks a lost enqueue up
            logger.exception("could not enqueue delivery of message %s", message_id)

    transaction.on_commit(enqueue)


DELIVER_MANY_TASK = "ioudesk.notify.tasks.deliver_messages"


def _enqueue_many_on_commit(message_ids: list[int]) -> None:
    """One on-commit callback enqueuing one delivery task per DELIVER_BATCH messages."""
    def enqueue():
        from django.utils.module_loading import import_string

        task = import_string(DELIVER_MANY_TASK)
        for start in range(0, len(message_ids), DELIVER_BATCH):
            batch = message_ids[start:start + DELIVER_BATCH]
            try:
                task.enqueue(batch)
            except Exception:  # the periodic sweep picks a lost enqueue up
                logger.exception("could not enqueue delivery of messages %s…%s", batch[0], batch[-1])

    transaction.on_commit(enqueue)


def messages_deliver(message_ids: list[int], *, now: dt.datetime | None = None, backend=None) -> dict[str, int]:
    """message_deliver for each message in turn (the batch task of message_queue_many); one that
    raises is logged and left to the sweep (still queued) or to the lease (in 发送中), the others go
    on. Returns the count per new status."""
    results: dict[str, int] = {}
    for message_id in message_ids:
        try:
            status = message_deliver(message_id, now=now, backend=backend)
        except Exception:
            logger.exception("delivery of message %s failed", message_id)
            status = "error"
        key = status or "skipped"
        results[key] = results.get(key, 0) + 1
    return results


# --- the rules --------------------------------------------------------------------------------


def in_window(settings: NotifySettings, moment: dt.datetime) -> bool:
    local = moment.astimezone(LOCAL_TZ).time()
    start, end = settings.window_start, settings.window_end
    if start < end:
        return start <= local < end
    return local >= start or local < end  # a window over midnight


def next_window_opening(settings: NotifySettings, moment: dt.datetime) -> dt.datetime:
    """The first moment at or after `moment` when the sending window is open (Asia/Shanghai)."""
    if in_window(settings, moment):
        return moment
    local = moment.astimezone(LOCAL_TZ)
    opening = dt.datetime.combine(local.date(), settings.window_start, tzinfo=LOCAL_TZ)
    if opening <= local:
        opening += dt.timedelta(days=1)
    return opening


def _local_day_bounds(moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    local = moment.astimezone(LOCAL_TZ)
    start = dt.datetime.combine(local.date(), dt.time(0, 0), tzinfo=LOCAL_TZ)
    return start, start + dt.timedelta(days=1)


def opt_out_active(customer_id: int, channel: str) -> OptOut | None:
    return OptOut.objects.filter(customer_id=customer_id, channel=channel, withdrawn_at__isnull=True).first()


def sent_today(message: Message, moment: dt.datetime) -> int:
    """Messages the customer got today on the message's channel, counting those being sent right now
    with a lower id (so two workers racing agree on which one is over the cap)."""
    start, end = _local_day_bounds(moment)
    return (Message.objects.filter(customer_id=message.customer_id, channel=message.channel)
            .exclude(pk=message.pk)
            .filter(Q(status__in=(Status.SENT, Status.DELIVERED), sent_at__gte=start, sent_at__lt=end)
                    | Q(status=Status.SENDING, pk__lt=message.pk, claimed_at__gte=start, claimed_at__lt=end))
            .count())


# --- delivery ---------------------------------------------------------------------------------


def _claim(message_id: int, moment: dt.datetime) -> bool:
    claimed = (Message.objects
               .filter(pk=message_id, status=Status.QUEUED)
               .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=moment))
               .update(status=Status.SENDING, claimed_at=moment, attempts=F("attempts") + 1))
    return claimed == 1


def _finish(message: Message, *, status: str, reason: str = "", outcome: str, error: str = "",
            moment: dt.datetime, provider_message_id: str = "", duration_ms: int = 0,
            next_attempt_at: dt.datetime | None = None, scheduled_for: dt.datetime | None = None,
            undo_attempt: bool = False) -> None:
    fields = {"status": status, "status_reason": reason[:500], "next_attempt_at": next_attempt_at}
    if status == Status.QUEUED:
        fields["enqueued_at"] = None  # due again at next_attempt_at: the sweep enqueues it then
    if scheduled_for is not None:
        fields["scheduled_for"] = scheduled_for
    if undo_attempt:  # deferred by the rules: not an attempt at the gateway
        fields["attempts"] = F("attempts") - 1
    if status in (Status.SENT, Status.DELIVERED):
        fields["sent_at"] = moment
        fields["provider_message_id"] = provider_message_id[:120]
        if status == Status.DELIVERED:
            fields["delivered_at"] = moment
    with transaction.atomic():
        Message.objects.filter(pk=message.pk, status=Status.SENDING).update(**fields)
        DeliveryAttempt.objects.create(message_id=message.pk, outcome=outcome, error=(error or reason)[:4000],
                                       provider_message_id=provider_message_id[:120], duration_ms=duration_ms)


def message_deliver(message_id: int, *, now: dt.datetime | None = None, backend=None) -> str | None:
    """Deliver one message if it is due and nobody else is delivering it; returns its new status,
    or None when there was nothing to do (already claimed, not due yet, already final)."""
    from ioudesk.notify.channels import PermanentError, TransientError, backend_for

    moment = now or clock.now()
    if not _claim(message_id, moment):
        return None
    message = Message.objects.select_related("customer", "user").get(pk=message_id)
    settings = notify_settings()

    if message.customer_id:
        opted = opt_out_active(message.customer_id, message.channel)
        if opted is not None:
            reason = _("客户已退订%(channel)s（%(date)s 登记%(why)s）") % {
                "channel": message.get_channel_display(),
                "date": timezone.localtime(opted.created_at, LOCAL_TZ).strftime("%Y-%m-%d"),
                "why": f"：{opted.reason}" if opted.reason else "",
            }
            _finish(message, status=Status.SUPPRESSED, reason=reason, outcome=DeliveryAttempt.Outcome.SUPPRESSED,
                    moment=moment, undo_attempt=True)
            return Status.SUPPRESSED
    if settings.quiet_hours_apply(message.channel) and not in_window(settings, moment):
        opening = next_window_opening(settings, moment)
        reason = _("免打扰时段（%(start)s–%(end)s 之外不发送），推迟到 %(when)s") % {
            "start": settings.window_start.strftime("%H:%M"), "end": settings.window_end.strftime("%H:%M"),
            "when": opening.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
        }
        _finish(message, status=Status.QUEUED, reason=reason, outcome=DeliveryAttempt.Outcome.DEFERRED,
                moment=moment, next_attempt_at=opening, scheduled_for=opening, undo_attempt=True)
        return Status.QUEUED
    cap = settings.cap_for(message.channel) if message.customer_id else 0
    if cap and sent_today(message, moment) >= cap:
        reason = _("已达每位客户每天%(channel)s上限（%(cap)s 条）") % {
            "channel": message.get_channel_display(), "cap": cap}
        _finish(message, status=Status.SUPPRESSED, reason=reason, outcome=DeliveryAttempt.Outcome.SUPPRESSED,
                moment=moment, undo_attempt=True)
        return Status.SUPPRESSED

    sender = backend or backend_for(message.channel)
    started = time.monotonic()
    attempt_no = message.attempts  # the claim counted this attempt
    try:
        result = sender.send(message)
    except TransientError as error:
        elapsed = int((time.monotonic() - started) * 1000)
        if attempt_no >= settings.max_attempts:
            reason = _("发送失败（已尝试 %(n)s 次）：%(error)s") % {"n": attempt_no, "error": error}
            _finish(message, status=Status.FAILED, reason=reason, outcome=DeliveryAttempt.Outcome.FAILED,
                    error=str(error), moment=moment, duration_ms=elapsed)
            return Status.FAILED
        delay = min(settings.retry_base_seconds * 2 ** min(attempt_no - 1, 30), MAX_BACKOFF_SECONDS)
        retry_at = moment + dt.timedelta(seconds=delay)
        reason = _("第 %(n)s 次发送失败：%(error)s；%(when)s 重试") % {
            "n": attempt_no, "error": error, "when": retry_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")}
        _finish(message, status=Status.QUEUED, reason=reason, outcome=DeliveryAttempt.Outcome.RETRY,
                error=str(error), moment=moment, duration_ms=elapsed, next_attempt_at=retry_at)
        return Status.QUEUED
    except PermanentError as error:
        elapsed = int((time.monotonic() - started) * 1000)
        reason = _("发送失败：%(error)s") % {"error": error}
        _finish(message, status=Status.FAILED, reason=reason, outcome=DeliveryAttempt.Outcome.FAILED,
                error=str(error), moment=moment, duration_ms=elapsed)
        return Status.FAILED
    except Exception as error:  # a bug or an unexpected answer: the gateway may have sent it; never retry blindly
        elapsed = int((time.monotonic() - started) * 1000)
        reason = _("发送出错：%(error)s") % {"error": f"{type(error).__name__}: {error}"}
        _finish(message, status=Status.FAILED, reason=reason, outcome=DeliveryAttempt.Outcome.FAILED,
                error=traceback.format_exc(), moment=moment, duration_ms=elapsed)
        return Status.FAILED
    elapsed = int((time.monotonic() - started) * 1000)
    status = Status.DELIVERED if result.delivered else Status.SENT
    _finish(message, status=status, outcome=DeliveryAttempt.Outcome.SENT, moment=moment,
            provider_message_id=result.provider_message_id or "", duration_ms=elapsed)
    return status


def _due_query(moment: dt.datetime):
    """Queued messages whose time has come (a retry, the end of quiet hours) and whose delivery task
    is not waiting in the queue already (or has waited for over REENQUEUE_AFTER)."""
    return (Message.objects
            .filter(status=Status.QUEUED)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=moment))
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=moment - REENQUEUE_AFTER)))


def messages_due(now: dt.datetime | None = None, *, limit: int = 1000) -> list[int]:
    """The ids of the due messages (see _due_query), lowest first, at most `limit`."""
    return list(_due_query(now or clock.now()).order_by("id").values_list("id", flat=True)[:limit])


def messages_fail_stuck(now: dt.datetime | None = None) -> int:
    """Messages left in 发送中 past the lease (the worker died mid-send) are failed with the reason,
    never sent again by themselves (the gateway may have taken them): a person may resend."""
    moment = now or clock.now()
    stuck = list(Message.objects.filter(status=Status.SENDING, claimed_at__lt=moment - SENDING_LEASE)
                 .values_list("id", flat=True))
    reason = _("发送中断（处理进程停止），无法确定是否已发出；如需要请核实后重发")
    for message_id in stuck:
        with transaction.atomic():
            if Message.objects.filter(pk=message_id, status=Status.SENDING).update(
                    status=Status.FAILED, status_reason=reason):
                DeliveryAttempt.objects.create(message_id=message_id, outcome=DeliveryAttempt.Outcome.FAILED,
                                               error=reason)
    return len(stuck)


# The sweep reads the due ids once (at most SWEEP_LIMIT per run, so one sweep's transaction, the
# scheduler's, stays bounded), then locks and marks them SWEEP_CHUNK at a time (well under SQLite's
# bound variables per statement). The 08:00 morning after a night close (tens of thousands of SMS held
# by quiet hours) goes in one sweep: 50,000 took 0.6 s on SQLite and 4-5 s on PostgreSQL on a loaded
# 2-CPU machine, 500 batch tasks.
SWEEP_CHUNK = 1000
SWEEP_LIMIT = 100_000


def messages_enqueue_due(now: dt.datetime | None = None, *, limit: int | None = None) -> int:
    """The periodic sweep (registered with the scheduler in apps.py, run in its transaction): mark the
    due messages enqueued (enqueued_at = now) and, on commit, enqueue their delivery in batch tasks of
    DELIVER_BATCH (tasks.deliver_messages). Each due message is enqueued once: the rows are locked as
    they are picked (SELECT … FOR UPDATE SKIP LOCKED where the database has it; SQLite's write
    transactions run one at a time), so an overlapping sweep skips them and, once marked, they are
    not due again before REENQUEUE_AFTER. Delivery is never twice either way: message_deliver claims
    each message with its conditional UPDATE. Returns the number enqueued."""
    from django.db import connection

    moment = now or clock.now()
    limit = SWEEP_LIMIT if limit is None else limit
    messages_fail_stuck(moment)
    due = messages_due(moment, limit=limit)  # one read of the ids (at most SWEEP_LIMIT of them)
    picked: list[int] = []
    with transaction.atomic():
        for start in range(0, len(due), SWEEP_CHUNK):
            # lock the chunk's rows by primary key, checking again that each is still due (another
            # sweep or a delivery may have taken it since the read)
            query = _due_query(moment).filter(pk__in=due[start:start + SWEEP_CHUNK])
            if connection.features.has_select_for_update_skip_locked:
                query = query.select_for_update(skip_locked=True)
            chunk = list(query.order_by("id").values_list("id", flat=True))
            Message.objects.filter(pk__in=chunk).update(enqueued_at=moment)
            picked += chunk
    if picked:
        _enqueue_many_on_commit(picked)
    return len(picked)


def message_test_send(*, channel: str, to: str, user) -> Message:
    """A test message to an address typed by the administrator (发送设置 → 发送测试消息), to check the
    configured gateway; queued like any other (the rules apply), audited."""
    import uuid

    if not user or not user.has_perm("notify.change_notifysettings"):
        raise PermissionDenied(_("只有能修改发送设置的员工可以发送测试消息"))
    if channel not in (Channel.SMS, Channel.EMAIL):
        raise ValidationFailed(_("测试消息只能发短信或邮件"), code="notify_channel", extra={"field": "channel"})
    to = (to or "").strip()
    if channel == Channel.EMAIL and ("@" not in to or len(to) > 254):
        raise ValidationFailed(_("请填写正确的邮箱地址"), code="notify_address", extra={"field": "to"})
    if channel == Channel.SMS and not (to.lstrip("+").replace(" ", "").replace("-", "").isdigit() and len(to) <= 20):
        raise ValidationFailed(_("请填写正确的手机号"), code="notify_address", extra={"field": "to"})
    with transaction.atomic():
        message = message_queue(channel=channel, to=to, subject=str(_("测试消息")), category="staff_notice",
                                body=str(_("这是一条测试消息：消息发送设置正常。（%(who)s 发送）") % {"who": user}),
                                delivery_key=f"test:{uuid.uuid4().hex}")
        audit.record("action", obj=message, verb=_("发送测试消息"))
    return message


# --- delivery receipts -----------------------------------------------------------------------


def message_receipt(*, provider_message_id: str, delivered: bool, at: dt.datetime | None = None,
                    error: str = "") -> Message | None:
    """A gateway's delivery report (回执) for a sent SMS: 已送达, or 发送失败 with the operator's
    reason. Applies once: a report for a message not in 已发送 (unknown, already reported) changes
    nothing and returns None."""
    if not provider_message_id:
        return None
    moment = at or clock.now()
    with transaction.atomic():
        message = (Message.objects.select_for_update()
                   .filter(channel=Channel.SMS, provider_message_id=provider_message_id[:120], status=Status.SENT)
                   .first())
        if message is None:
            return None
        if delivered:
            fields = {"status": Status.DELIVERED, "delivered_at": moment}
            outcome, text = DeliveryAttempt.Outcome.DELIVERED, ""
        else:
            reason = _("运营商回执未送达：%(error)s") % {"error": error or _("未说明原因")}
            fields = {"status": Status.FAILED, "status_reason": reason[:500]}
            outcome, text = DeliveryAttempt.Outcome.UNDELIVERED, reason
        Message.objects.filter(pk=message.pk).update(**fields)
        DeliveryAttempt.objects.create(message_id=message.pk, outcome=outcome, error=text[:4000],
                                       provider_message_id=provider_message_id[:120])
    message.refresh_from_db()
    return message


# --- resend, inbox ----------------------------------------------------------------------------


def can_resend(user, message: Message) -> bool:
    """The resend button: a user with notify.resend_message, a message whose sending is over, with an
    address to send to (an in-app message needs none)."""
    return (bool(user and user.has_perm("notify.resend_message")) and message.status in FINAL_STATUSES
            and (message.channel == Channel.INAPP or bool(message.address)))


@transaction.atomic
def message_resend(*, message: Message, user, reason: str = "") -> Message:
    """A new message copying one (new delivery key), queued now; the original stays as it was."""
    if not user or not user.has_perm("notify.resend_message"):
        raise PermissionDenied(_("您没有重发消息的权限"))
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status not in FINAL_STATUSES:
        raise InvalidState(_("消息还在发送中（%(status)s），发送结束后才能重发") % {"status": message.get_status_display()},
                           code="notify_not_final")
    count = Message.objects.filter(resent_from=message).count()
    copy = Message(
        channel=message.channel, category=message.category, customer_id=message.customer_id,
        user_id=message.user_id, branch_id=message.branch_id, address=message.address,
        address_display=message.address_display, subject=message.subject, body=message.body,
        delivery_key=f"resend:{message.pk}:{count + 1}:{message.delivery_key}"[:200],
        related_type_id=message.related_type_id, related_id=message.related_id, template_id=message.template_id,
        params=message.params, resent_from=message, created_by=user, enqueued_at=clock.now(),
    )
    if copy.channel != Channel.INAPP and not copy.address:
        raise InvalidState(_("原消息没有收件地址，无法重发"), code="notify_no_address")
    copy.save()
    audit.record("action", obj=copy, verb=_("重发消息"), reason=reason,
                 changes={"resent_from": [None, message.pk]})
    _enqueue_on_commit(copy.pk)
    return copy


def message_mark_read(*, message: Message, user) -> Message:
    if message.channel != Channel.INAPP or message.user_id != user.pk:
        raise PermissionDenied(_("只能标记自己的站内消息"))
    if message.read_at is None:
        moment = clock.now()
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=moment)
        message.read_at = moment
    return message


def inbox_mark_all_read(*, user) -> int:
    from ioudesk.notify.selectors import inbox

    return Message.objects.filter(pk__in=inbox(user).filter(read_at__isnull=True).values("pk")).update(
        read_at=clock.now())


# --- opt-outs ---------------------------------------------------------------------------------


@transaction.atomic
def opt_out_record(*, customer, channel: str, reason: str = "", user=None) -> OptOut:
    if channel not in Channel.values:
        raise ValidationFailed(_("未知的消息渠道：%(channel)s") % {"channel": channel}, code="notify_channel")
    existing = opt_out_active(customer.pk, channel)
    if existing is not None:
        raise InvalidState(_("该客户已退订%(channel)s") % {"channel": existing.get_channel_display()},
                           code="notify_opted_out")
    opt_out = OptOut.objects.create(customer=customer, channel=channel, reason=(reason or "")[:300], recorded_by=user)
    audit.record("create", obj=opt_out, verb=_("登记退订"), reason=reason,
                 branch_id=customer.branch_id)
    return opt_out


@transaction.atomic
def opt_out_withdraw(*, opt_out: OptOut, reason: str = "", user=None) -> OptOut:
    opt_out = OptOut.objects.select_for_update().get(pk=opt_out.pk)
    if opt_out.withdrawn_at is not None:
        raise InvalidState(_("该退订已撤销"), code="notify_opt_out_withdrawn")
    opt_out.withdrawn_at = clock.now()
    opt_out.withdrawn_by = user
    opt_out.withdraw_reason = (reason or "")[:300]
    opt_out.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
    audit.record("update", obj=opt_out, verb=_("撤销退订"), reason=reason, branch_id=opt_out.customer.branch_id)
    return opt_out


# --- templates --------------------------------------------------------------------------------


def template_validate(template: MessageTemplate) -> dict[str, list[str]]:
    """Every problem of a template by field (empty when it may be saved)."""
    problems: dict[str, list[str]] = {}
    if placeholders.category_get(template.category) is None:
        problems["category"] = [_("消息类别“%(category)s”不存在") % {"category": template.category}]
        return problems
    for name in ("subject", "body"):
        found = placeholders.template_problems(getattr(template, name) or "", template.category)
        if found:
            problems[name] = found
    if not (template.body or "").strip():
        problems.setdefault("body", []).append(_("正文不能为空"))
    return problems


@transaction.atomic
def template_save(*, template: MessageTemplate, user=None) -> MessageTemplate:
    """Save a template after checking its placeholders: an unknown one is refused here, by name."""
    problems = template_validate(template)
    if problems:
        raise ValidationFailed("；".join(m for ms in problems.values() for m in ms),
                               code="template_placeholder", extra=_details(problems))
    stored = MessageTemplate.objects.filter(pk=template.pk).first() if template.pk else None
    before = audit.snapshot(stored) if stored else None
    template.updated_by = user
    template.save()
    audit.record_change(obj=template, before=before, after=audit.snapshot(template),
                        verb=_("修改消息模板") if before else _("新建消息模板"))
    return template


def template_preview(template: MessageTemplate, context: dict | None = None) -> tuple[str, str]:
    """(subject, body) filled in with the category's sample data (or the given context)."""
    data = placeholders.sample_context(template.category)
    data.update(context or {})
    for name in placeholders.placeholders_in(f"{template.subject}\n{template.body}"):
        data.setdefault(name, "{" + name + "}")
    return placeholders.template_render(template, data)
