"""U: text on the report pages that read wrong in English — 流程与效率's 单位 column (a duration's unit,
not the catalogue's 单位 = employer), 报告管理's "title：description" line, the dashboard's role line (each
seeded role named through the catalogue, joined by the catalogue's list separator)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from ioudesk.backoffice import dashboard
from ioudesk.core import roles
from ioudesk.reports import running
from ioudesk.reports.registry import report_get

pytestmark = pytest.mark.django_db


def test_the_efficiency_unit_column_is_not_the_employer(finance, business_date):
    spec = report_get("efficiency")
    with translation.override("en"):
        params = running.report_params(spec, {}, finance)
        result = running.report_run(spec, params, finance)
        labels = [str(c.label) for t in result.tables for c in t.columns if c.key == "unit"]
    assert labels and "Employer/company" not in labels and all("Employer" not in label for label in labels)
    with translation.override("zh-hans"):
        result = running.report_run(spec, running.report_params(spec, {}, finance), finance)
        assert [str(c.label) for t in result.tables for c in t.columns if c.key == "unit"] == ["单位"]


def test_generated_page_has_no_bare_colon_between_title_and_description(client, finance, business_date):
    client.force_login(finance)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("backoffice:reports_generated"), {"code": "loan-balance-summary"}).content.decode()
    what = re.search(r'data-testid="generated-what">(.*?)</p>', html, re.S).group(1)
    assert "：" not in what and " · " in what


@translation.override("zh-hans")
def test_every_seeded_role_is_named_through_the_catalogue(finance, make_staff, admin_user_zh):
    assert set(dashboard.ROLE_LABELS) == set(roles.ROLES)
    assert dashboard.roles_text(finance) == "财务"
    both = make_staff("u-two", role=roles.FINANCE)
    from django.contrib.auth.models import Group

    both.groups.add(Group.objects.get(name=roles.AUDITOR))
    assert dashboard.roles_text(both) == "审计、财务"  # by name, joined by the catalogue's 、
    nobody = make_staff("u-none")
    assert dashboard.roles_text(nobody) == "—"


def test_the_dashboard_role_line_is_one_catalogue_sentence(client, finance, business_date):
    client.force_login(finance)
    html = client.get("/admin/").content.decode()
    assert "角色：财务" in html
