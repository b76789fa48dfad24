"""The bell and the inbox as every role; the message log, resend, templates (unknown placeholder
refused when saved, preview), opt-outs and the sending rules in the back office."""

from __future__ import annotations

import re

import pytest

from ioudesk.core import audit, roles
from ioudesk.notify import services
from ioudesk.notify.models import Channel, Message, MessageTemplate, NotifySettings, OptOut, Status
from ioudesk.notify.tests.conftest import at

pytestmark = pytest.mark.django_db

ROLES = [roles.ADMINISTRATOR, roles.ACCOUNT_MANAGER, roles.APPROVER, roles.FINANCE, roles.COLLECTOR, roles.AUDITOR]


def notice(user, key, body="今晚系统维护"):
    message = services.message_queue(channel=Channel.INAPP, subject="系统通知", body=body, user=user,
                                     category="staff_notice", delivery_key=key)
    services.message_deliver(message.pk)
    return message


def unread_badge(html: str) -> str | None:
    found = re.search(r'data-testid="notify-unread">([^<]*)<', html)
    return found.group(1) if found else None


@pytest.mark.parametrize("role", ROLES)
def test_bell_count_and_inbox_as_every_role(role, make_staff, client):
    user = make_staff(f"user{ROLES.index(role)}", role=role)
    other = make_staff("someone-else", role=roles.FINANCE)
    first, second = notice(user, "a", "第一条"), notice(user, "b", "第二条")
    notice(other, "c", "别人的消息")
    failed = services.message_queue(channel=Channel.INAPP, body="没发出", user=user, category="staff_notice",
                                    delivery_key="d")
    Message.objects.filter(pk=failed.pk).update(status=Status.FAILED)
    client.force_login(user)

    home = client.get("/admin/").content.decode()
    assert 'data-testid="notify-bell"' in home and unread_badge(home) == "2"
    page = client.get("/admin/inbox/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "第一条" in html and "第二条" in html and "别人的消息" not in html and "没发出" not in html
    assert unread_badge(html) == "2" and "未读 2 条" in html

    response = client.post("/admin/inbox/", {"message": first.pk})
    assert response.status_code == 302
    assert unread_badge(client.get("/admin/").content.decode()) == "1"
    assert Message.objects.get(pk=first.pk).read_at is not None
    assert "第二条" in client.get("/admin/inbox/?unread=1").content.decode()
    assert "第一条" not in client.get("/admin/inbox/?unread=1").content.decode()

    client.post("/admin/inbox/", {"message": Message.objects.get(delivery_key="c").pk})  # not theirs
    assert Message.objects.get(delivery_key="c").read_at is None

    client.post("/admin/inbox/", {"all": "1"})
    home = client.get("/admin/").content.decode()
    assert unread_badge(home) is None and 'data-testid="notify-bell"' in home
    assert Message.objects.get(pk=second.pk).read_at is not None


def test_message_log_filters_detail_and_resend(admin_user_zh, debtor, client, rules, gateway):
    from ioudesk.notify.channels import PermanentError
    from ioudesk.notify.tests.conftest import RecordingGateway

    sent = services.message_queue(channel=Channel.SMS, body="已发出的短信", customer=debtor,
                                  category="customer_notice", delivery_key="s1")
    services.message_deliver(sent.pk, now=at("2026-12-01 10:00"), backend=gateway)
    failed = services.message_queue(channel=Channel.SMS, body="没发出的短信", customer=debtor,
                                    category="customer_notice", delivery_key="s2")
    services.message_deliver(failed.pk, now=at("2026-12-01 10:00"),
                             backend=RecordingGateway(fail_with=PermanentError("空号")))
    client.force_login(admin_user_zh)
    listing = client.get("/admin/notify/message/?status__exact=failed").content.decode()
    assert "没发出的短信" in listing and "已发出的短信" not in listing
    assert "已发出的短信" in client.get("/admin/notify/message/?category=customer_notice&channel__exact=sms").content.decode()
    detail = client.get(f"/admin/notify/message/{failed.pk}/change/").content.decode()
    assert "发送失败：空号" in detail and "139****2345" in detail and "13901012345" not in detail
    assert f"/admin/notify/message/{failed.pk}/resend/" in detail

    form = client.get(f"/admin/notify/message/{failed.pk}/resend/")
    assert form.status_code == 200 and "确认重发" in form.content.decode()
    response = client.post(f"/admin/notify/message/{failed.pk}/resend/", {"reason": "客户换了号码"})
    copy = Message.objects.get(resent_from=failed)
    assert response.status_code == 302 and response["Location"] == f"/admin/notify/message/{copy.pk}/change/"
    assert copy.status == Status.QUEUED and copy.delivery_key != failed.delivery_key
    assert audit.events_for(copy).get().reason == "客户换了号码"


def test_auditor_sees_the_log_but_is_not_offered_resend(make_staff, debtor, client, rules, gateway):
    auditor = make_staff("audit", role=roles.AUDITOR)
    message = services.message_queue(channel=Channel.SMS, body="短信", customer=debtor,
                                     category="customer_notice", delivery_key="s")
    services.message_deliver(message.pk, now=at("2026-12-01 10:00"), backend=gateway)
    client.force_login(auditor)
    detail = client.get(f"/admin/notify/message/{message.pk}/change/")
    assert detail.status_code == 200 and "/resend/" not in detail.content.decode()
    assert client.post(f"/admin/notify/message/{message.pk}/resend/", {"reason": "x"}).status_code in (302, 403)
    assert not Message.objects.filter(resent_from=message).exists()
    assert client.get("/admin/notify/notifysettings/", follow=True).status_code == 200  # read only


def test_collector_sees_the_log_of_their_branch_only(make_staff, make_branch, debtor, manager, client, rules):
    from ioudesk.customers.models import Customer
    from ioudesk.customers.services import customer_create

    branch = make_branch("SH", "上海")
    far = customer_create(customer=Customer(kind="individual", branch=branch, name="远方客户",
                                            id_number="110105198001010016", phone="13800000000"), user=None)
    collector = make_staff("collector", role=roles.COLLECTOR, branch=branch)
    for customer, key in [(debtor, "here"), (far, "there")]:
        services.message_queue(channel=Channel.SMS, body=f"给{customer.name}", customer=customer,
                               category="customer_notice", delivery_key=key)
    own = notice(collector, "own", "给催收员自己的通知")
    colleagues = notice(make_staff("colleague", role=roles.FINANCE, branch=branch), "colleague", "同事的站内消息")
    client.force_login(collector)
    html = client.get("/admin/notify/message/").content.decode()
    assert "给远方客户" in html and "给王建国" not in html
    assert f"/admin/notify/message/{own.pk}/change/" in html
    assert f"/admin/notify/message/{colleagues.pk}/change/" not in html  # a colleague's inbox is theirs
    assert client.get(f"/admin/notify/message/{colleagues.pk}/change/", follow=True).status_code in (200, 404)
    assert "同事的站内消息" not in client.get(f"/admin/notify/message/{colleagues.pk}/change/", follow=True).content.decode()
    assert client.get("/admin/notify/messagetemplate/").status_code == 403
    assert not collector.has_perm("notify.resend_message")


def test_template_with_an_unknown_placeholder_is_refused_when_saved(admin_user_zh, client):
    client.force_login(admin_user_zh)
    data = {"code": "notice", "name": "客户通知", "category": "customer_notice", "channel": "sms", "subject": "",
            "body": "{客户姓名}您好：请于{到期日}前还款，{不存在的占位符}", "is_active": "on"}
    response = client.post("/admin/notify/messagetemplate/add/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "模板里有本类别没有的占位符：{到期日}、{不存在的占位符}" in html
    assert not MessageTemplate.objects.exists()

    data["body"] = "{客户姓名}您好：{通知内容}。如有疑问请致电{联系电话}。"
    assert client.post("/admin/notify/messagetemplate/add/", data).status_code == 302
    template = MessageTemplate.objects.get(code="notice")
    page = client.get(f"/admin/notify/messagetemplate/{template.pk}/change/").content.decode()
    assert "王建国您好：我司营业时间调整为 9:00–18:00。。如有疑问请致电010-65001234。" in page  # the sample's preview
    assert audit.events_for(template).get().verb == "新建消息模板"


def test_template_check_and_render():
    from ioudesk.core.errors import ValidationFailed
    from ioudesk.notify.placeholders import template_check, template_render

    template_check("{客户姓名}，{{不是占位符}}", "customer_notice")
    with pytest.raises(ValidationFailed) as refused:
        template_check("{客户名字} {日期} {金额}", "customer_notice")
    assert "{客户名字}、{金额}" in refused.value.message
    with pytest.raises(ValidationFailed, match="不成对的花括号"):
        template_check("{客户姓名", "customer_notice")
    probe = MessageTemplate(subject="致{客户姓名}", body="{客户姓名}：{{原样}} {日期}")
    assert template_render(probe, {"客户姓名": "张伟", "日期": "2026-12-01"}) == ("致张伟", "张伟：{原样} 2026-12-01")


def test_opt_out_recorded_and_withdrawn_in_the_back_office(admin_user_zh, debtor, client):
    client.force_login(admin_user_zh)
    response = client.post("/admin/notify/optout/add/", {"customer": debtor.pk, "channel": "sms",
                                                          "reason": "客户来电要求退订"})
    assert response.status_code == 302
    opt_out = OptOut.objects.get()
    assert opt_out.recorded_by == admin_user_zh and opt_out.is_active
    assert client.post("/admin/notify/optout/add/", {"customer": debtor.pk, "channel": "sms"}).status_code == 200
    assert OptOut.objects.count() == 1  # a second one is refused with the reason
    assert client.get(f"/admin/notify/optout/{opt_out.pk}/withdraw/").status_code == 200
    response = client.post(f"/admin/notify/optout/{opt_out.pk}/withdraw/", {"reason": "客户要求恢复"})
    assert response.status_code == 302
    opt_out.refresh_from_db()
    assert opt_out.withdrawn_by == admin_user_zh and opt_out.withdraw_reason == "客户要求恢复"


def test_sending_rules_are_the_administrators(admin_user_zh, make_staff, client):
    client.force_login(admin_user_zh)
    response = client.get("/admin/notify/notifysettings/")
    settings = NotifySettings.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/notify/notifysettings/{settings.pk}/change/"
    data = {"window_start": "09:00", "window_end": "20:00", "daily_cap_sms": "2", "daily_cap_email": "5",
            "daily_cap_inapp": "0", "max_attempts": "4", "retry_base_seconds": "30"}
    assert client.post(f"/admin/notify/notifysettings/{settings.pk}/change/", data).status_code == 302
    settings.refresh_from_db()
    assert (settings.window_start.hour, settings.window_end.hour, settings.daily_cap_sms) == (9, 20, 2)
    data["window_end"] = "09:00"
    html = client.post(f"/admin/notify/notifysettings/{settings.pk}/change/", data).content.decode()
    assert "可发送时段的开始和结束不能相同" in html
    client.force_login(make_staff("fin", role=roles.FINANCE))
    assert client.get(f"/admin/notify/notifysettings/{settings.pk}/change/").status_code == 403


def test_the_sweep_is_registered_with_the_scheduler():
    from ioudesk.jobs.scheduler import periodics

    [sweep] = [p for p in periodics() if p.name == "notify.deliver_due"]
    assert sweep.due(at("2026-12-01 10:00:40")) == sweep.due(at("2026-12-01 10:00:10"))
    assert sweep.due(at("2026-12-01 10:01:00")) != sweep.due(at("2026-12-01 10:00:10"))


def test_the_administrator_sends_a_test_message(admin_user_zh, make_staff, client, rules):
    client.force_login(admin_user_zh)
    settings = NotifySettings.objects.get()
    url = f"/admin/notify/notifysettings/{settings.pk}/send-test/"
    assert url in client.get(f"/admin/notify/notifysettings/{settings.pk}/change/").content.decode()
    assert client.get(url).status_code == 200
    refused = client.post(url, {"channel": "sms", "to": "不是号码"})
    assert refused.status_code == 200 and "请填写正确的手机号" in refused.content.decode()
    response = client.post(url, {"channel": "sms", "to": "13800001111"})
    message = Message.objects.get(delivery_key__startswith="test:")
    assert response.status_code == 302 and response["Location"] == f"/admin/notify/message/{message.pk}/change/"
    assert message.address == "13800001111" and message.status == Status.QUEUED and message.customer is None
    assert audit.events_for(message).get().verb == "发送测试消息"
    from ioudesk.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.message_test_send(channel="sms", to="13800001111", user=make_staff("fin2", role=roles.FINANCE))
