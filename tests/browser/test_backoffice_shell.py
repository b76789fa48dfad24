"""In the real Chromium: log in as the administrator, see the dashboard in Chinese, open the audit
log, switch to English and back — and the page never asks another host for anything."""

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin_in_db(organisation, head_office, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_superuser(
        username="admin", password="Admin-pass-2026", email="", branch=head_office
    )
    user.groups.add(Group.objects.get(name="系统管理员"))
    return user


@pytest.fixture
def recorded_hosts(page):
    hosts = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
    return hosts


def test_admin_logs_in_sees_chinese_dashboard_audit_log_and_switches_language(
    live_server, page, admin_in_db, recorded_hosts, tmp_path
):
    page.goto(f"{live_server.url}/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill("Admin-pass-2026")
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_test_id("dashboard")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("欢迎使用欠条管家"))).to_be_visible()
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    sidebar = page.get_by_role("navigation").first
    for area in ["客户", "申请", "审批", "借据", "催收", "报表", "系统设置"]:
        expect(sidebar.get_by_role("heading", name=re.compile(f"^{area}"))).to_be_attached()

    sidebar.get_by_role("heading", name=re.compile("^系统设置")).click()
    page.get_by_role("link", name=re.compile(r"审计日志$")).click()
    expect(page).to_have_url(re.compile(r"/admin/core/auditevent/"))
    expect(page.get_by_text("登录", exact=True).first).to_be_visible()  # the login just made

    page.goto(f"{live_server.url}/admin/")
    _switch_language(page, "en")
    expect(page.get_by_role("heading", name=re.compile("^Settings"))).to_be_visible()
    expect(page.get_by_test_id("dashboard")).not_to_contain_text("营业日")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    _switch_language(page, "zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", name=re.compile("^系统设置"))).to_be_visible()
    expect(page.get_by_test_id("dashboard")).to_contain_text("营业日")

    live_host = urlparse(live_server.url).netloc
    assert recorded_hosts == {live_host}, f"requests to other hosts: {recorded_hosts - {live_host}}"


def _switch_language(page, code):
    """Unfold puts the language forms in the user menu; submit the one for `code`."""
    form = page.locator(f"form:has(input[name=language][value='{code}'])").first
    form.evaluate("form => form.submit()")
    page.wait_for_load_state("networkidle")
