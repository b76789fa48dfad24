"""In the real Chromium on a phone (390 px), as 催收主管-like staff with the legal permissions: 时效预警
lists an old 欠条 whose limitation period ends in 19 days, with its reasoning; the IOU page shows the
诉讼时效 card; 转诉讼 from the collection case opens the legal case; no page scrolls sideways."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Legal-pass-2026"


@pytest.fixture
def old_debt(debtor, manager, approver, finance):
    from ioudesk.calc.dates import add_years
    from ioudesk.collections.models import Case
    from ioudesk.ious.services import iou_approve, iou_create, iou_submit
    from ioudesk.ious.services.disbursement import iou_disburse

    today = timezone.localdate()
    due = add_years(today + timedelta(days=19), -3)
    iou, _ = iou_create(user=manager, kind="debt", customer=debtor, debt_reason="goods", reason="陈年货款",
                        principal="46800", rate_text="0%", contract_date=due - timedelta(days=90), due_date=due)
    iou_submit(iou=iou, user=manager)
    iou_approve(iou=iou, user=approver)
    iou_disburse(iou=iou, user=finance, idempotency_key="old-debt")
    iou.refresh_from_db()
    case = Case.objects.create(number="CS20261201-0009", iou=iou, customer=debtor, branch=iou.branch,
                               opened_on=today, bucket="M7+", days_past_due=1000)
    return iou, case


def test_watch_list_iou_card_and_legal_case_on_a_phone(live_server, page, old_debt, django_user_model, head_office):
    iou, case = old_debt
    django_user_model.objects.create_superuser(username="boss", password=PASSWORD, branch=head_office)
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/admin/login/")
    page.get_by_label("用户名").fill("boss")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("dashboard")).to_be_visible()

    page.goto(f"{base}/admin/legal/limitation/")
    row = page.get_by_test_id("limitation-row").filter(has_text=iou.number)
    expect(row).to_be_visible()
    expect(row).to_contain_text("还剩 19 天")
    expect(row).to_contain_text("民法典第188、189条")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    row.get_by_role("link", name=iou.number).click()
    card = page.get_by_test_id("limitation-clock")
    expect(card).to_contain_text(iou.limitation_expires_on.isoformat())
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.goto(f"{base}/admin/legal/open/{case.pk}/")
    page.get_by_label("承办律师").fill("李明")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="确认转诉讼").click()
    expect(page.get_by_text("已转诉讼")).to_be_visible()
    case.refresh_from_db()
    assert case.legal
