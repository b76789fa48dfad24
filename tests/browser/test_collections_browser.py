"""In the real Chromium, as a collector (催收员) on a phone (390 px): the workbench shows the case as a
card, 记录催收 opens the phone-first contact form (the contact-hours warning follows the time typed, before
saving), a call with a recording and a promise is saved,
and the record page shows the recording's SHA-256; at 1400 px the workbench is a table.

The debt: ¥10,000 at 12 % over 12 months lent 56 days before today, so its first installment
(¥888.49) is overdue and the case is open in M1."""

import hashlib
import io
import wave
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Collector-pass-2026"


def _wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 800)
    return buffer.getvalue()


@pytest.fixture
def open_case(debtor, manager, approver, finance, make_staff):
    from ioudesk.backoffice.tests.test_iou_pages import make_loan
    from ioudesk.collections.services import case_assign, case_open, strategy_defaults_ensure
    from ioudesk.core.context import acting_as, actor_for_user
    from ioudesk.core.models import User
    from ioudesk.ious.services.accrual import iou_close_day

    collector = make_staff("zhaolei", role="催收员", password=PASSWORD)
    User.objects.filter(pk=collector.pk).update(last_name="赵", first_name="磊")
    admin = User.objects.create_superuser(username="boss", password=PASSWORD, branch=collector.branch)
    strategy_defaults_ensure()
    today = timezone.localdate()
    iou = make_loan(debtor, manager, approver, finance, day=today - timedelta(days=56))
    iou = iou_close_day(iou=iou, day=today)
    case = case_open(iou, day=today)
    with acting_as(actor_for_user(admin)):
        case_assign(case, owner=collector, by=admin, reason="测试分案")
    return case


def test_collector_records_a_call_with_a_recording_and_a_promise_on_a_phone(live_server, page, open_case, tmp_path,
                                                                          settings):
    from ioudesk.collections.models import ContactAttachment

    settings.IOUDESK_PRIVATE_DIR = str(tmp_path / "private")
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/admin/login/")
    page.get_by_label("用户名").fill("zhaolei")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    page.goto(f"{base}/admin/collection/")
    card = page.get_by_test_id("case-card")
    expect(card).to_have_count(1)
    expect(card).to_be_visible()
    expect(card).to_contain_text("王建国")
    expect(page.get_by_test_id("case-table")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    card.get_by_test_id("card-record").click()
    expect(page.get_by_test_id("contact-form")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # the contact policy is shown before saving, for the time and method chosen (htmx)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    page.get_by_label("联系时间").fill(f"{yesterday}T22:30")
    page.get_by_label("联系时间").dispatch_event("change")
    expect(page.get_by_test_id("policy-warning")).to_contain_text("22:30")
    page.get_by_label("联系时间").fill(f"{yesterday}T10:00")
    page.get_by_label("联系时间").dispatch_event("change")
    expect(page.get_by_test_id("policy-warning")).to_have_count(0)

    page.get_by_label("债务人：王建国").check()
    page.get_by_label("结果").select_option("promised")
    page.get_by_label("沟通内容").fill("债务人答应两天内先还 500 元。")
    page.get_by_label("承诺金额").fill("500")
    page.get_by_label("承诺还款日").fill((timezone.localdate() + timedelta(days=2)).isoformat())
    audio = _wav()
    page.locator("input[name=recording]").set_input_files(
        files=[{"name": "通话.wav", "mimeType": "audio/wav", "buffer": audio}])
    expect(page.locator("[data-file-name-of=recording]")).to_have_text("通话.wav")
    page.get_by_test_id("save-contact").click()

    expect(page.get_by_test_id("record-page")).to_be_visible()
    digest = hashlib.sha256(audio).hexdigest()
    expect(page.get_by_test_id("attachment-sha256")).to_contain_text(digest)
    expect(page.get_by_test_id("record-promise")).to_contain_text("¥500.00")
    assert ContactAttachment.objects.get().sha256 == digest

    # the case page on the phone: 分案记录 is one card per assignment, nothing cut off on the right
    page.get_by_role("link", name="返回案件").click()
    history = page.get_by_test_id("assignment-history")
    expect(history).to_contain_text("测试分案")
    expect(page.get_by_test_id("owed-today")).to_contain_text("截至今日欠款")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert history.bounding_box()["x"] + history.bounding_box()["width"] <= 390
    assert page.evaluate("(t) => t.scrollWidth <= t.parentElement.clientWidth", history.element_handle())

    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{base}/admin/collection/")
    expect(page.get_by_test_id("case-table")).to_be_visible()
    expect(page.get_by_test_id("case-card")).to_be_hidden()
