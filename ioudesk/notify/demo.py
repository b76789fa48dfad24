"""Demo messages for `make demo`: a staff notice in every staff member's inbox (one of them read),
SMS to customers in each outcome (sent, failed after the gateway refused, held back by an opt-out),
and the staff notice template. Built through the services; idempotent (delivery keys)."""

from __future__ import annotations

from ioudesk.core import clock
from ioudesk.core.models import Organisation, User
from ioudesk.customers.models import Customer
from ioudesk.notify import services
from ioudesk.notify.categories import CUSTOMER_NOTICE, STAFF_NOTICE
from ioudesk.notify.channels import PermanentError, SendResult
from ioudesk.notify.models import Channel, Message, MessageTemplate, OptOut, Status


class _Gateway:
    """The demo's SMS gateway: takes every message but the one it is told to refuse."""

    def __init__(self, refuse: str = ""):
        self.refuse = refuse

    def send(self, message):
        if self.refuse and message.delivery_key == self.refuse:
            raise PermanentError("短信网关拒绝：号码为空号（示例）")
        return SendResult(provider_message_id=f"demo-{message.pk}")


def load() -> list[str]:
    organisation = Organisation.objects.order_by("id").first()
    template = MessageTemplate.objects.filter(code="staff-notice").first()
    if template is None:
        template = services.template_save(template=MessageTemplate(
            code="staff-notice", name="员工通知", category=STAFF_NOTICE, channel=Channel.INAPP,
            subject="{通知标题}", body="{员工姓名}，您好：{通知内容}（{机构名称}，{日期}）"))
    day = clock.today().isoformat()
    count = 0
    for user in User.objects.filter(is_active=True, is_staff=True).order_by("pk"):
        context = {"员工姓名": str(user), "机构名称": organisation.name if organisation else "", "日期": day,
                   "通知标题": "欢迎使用站内消息", "通知内容": "系统的通知（如日终结果、审批待办）会出现在右上角的铃铛里。"}
        subject, body = services.placeholders.template_render(template, context)
        message = services.message_queue(channel=Channel.INAPP, subject=subject, body=body, user=user,
                                         category=STAFF_NOTICE, delivery_key=f"demo:welcome:{user.pk}",
                                         template=template, context=context)
        services.message_deliver(message.pk)
        count += 1
    first = Message.objects.filter(delivery_key__startswith="demo:welcome:").order_by("pk").first()
    if first is not None and first.read_at is None and first.user is not None:
        services.message_mark_read(message=first, user=first.user)

    customers = list(Customer.objects.exclude(phone="").order_by("pk")[:3])
    if len(customers) == 3:
        sent, refused, opted = customers
        if not OptOut.objects.filter(customer=opted, channel=Channel.SMS).exists():
            services.opt_out_record(customer=opted, channel=Channel.SMS, reason="客户来电要求不再发短信（示例）")
        gateway = _Gateway(refuse=f"demo:sms:{refused.pk}")
        for customer in customers:
            message = services.message_queue(
                channel=Channel.SMS, customer=customer, category=CUSTOMER_NOTICE, delivery_key=f"demo:sms:{customer.pk}",
                body=f"【华信信贷】{customer.name}，您好：我司营业时间调整为 9:00–18:00，如有疑问请致电 010-65001234。")
            if message.status == Status.QUEUED:
                services.message_deliver(message.pk, now=_in_window(), backend=gateway)
    return [f"站内消息 {count} 条，短信示例 {len(customers)} 条"]


def _in_window():
    """A moment inside the sending window (the demo may be loaded at night)."""
    import datetime as dt

    from django.utils import timezone

    now = timezone.localtime(clock.now(), services.LOCAL_TZ)
    settings = services.notify_settings()
    if services.in_window(settings, now):
        return now
    last = dt.datetime.combine(now.date(), settings.window_end, tzinfo=services.LOCAL_TZ) - dt.timedelta(minutes=1)
    return last if last <= now else last - dt.timedelta(days=1)
