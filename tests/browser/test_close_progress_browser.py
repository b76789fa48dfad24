"""In the real Chromium: the 日终 run page follows a running close by itself (htmx polls its
progress every 2 s) and, once the run is done, reloads to show the result, with no click."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_run_page_follows_the_close_until_done(live_server, page, organisation, head_office, django_user_model):
    from django.contrib.auth.models import Group

    from ioudesk.closing.models import CloseRun

    admin = django_user_model.objects.create_superuser(username="admin", password="Admin-pass-2026", email="",
                                                       branch=head_office)
    admin.groups.add(Group.objects.get(name="系统管理员"))
    run = CloseRun.objects.create(organisation=organisation, day=date(2026, 11, 27), state="running",
                                  origin="scheduler", partitions_total=4, partitions_done=1, ious_total=8000,
                                  ious_done=2000, started_at=datetime(2026, 11, 27, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai")))
    page.goto(f"{live_server.url}/admin/close/runs/{run.pk}/")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill("Admin-pass-2026")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("close-percent")).to_have_text("25%")
    expect(page.get_by_test_id("close-state")).to_have_text("进行中")

    CloseRun.objects.filter(pk=run.pk).update(partitions_done=3, ious_done=6000)
    expect(page.get_by_test_id("close-percent")).to_have_text("75%", timeout=10_000)  # polled, not reloaded
    CloseRun.objects.filter(pk=run.pk).update(state="done", partitions_done=4, ious_done=8000,
                                              finished_at=datetime(2026, 11, 27, 23, 31, tzinfo=ZoneInfo("Asia/Shanghai")))
    expect(page.get_by_test_id("close-state")).to_have_text("已完成", timeout=10_000)
    expect(page.get_by_test_id("close-percent")).to_have_text("100%")
    expect(page.get_by_test_id("close-progress")).to_contain_text(re.compile(r"借据 8000 / 8000，分区 4 / 4"))
    expect(page.get_by_test_id("close-steps")).to_have_count(0)  # no steps recorded: said so instead
    expect(page.get_by_text("尚无步骤完成。")).to_be_visible()
