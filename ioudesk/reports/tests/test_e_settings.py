"""E: 报表设置 — the one row changed through report_settings_save (checked by field, audited) and its admin form."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.urls import reverse

import ioudesk.backoffice.admin.reports_settings  # noqa: F401  (registered by the admin package once the lead adds it)
from ioudesk.core import roles
from ioudesk.core.errors import PermissionDenied, ValidationFailed
from ioudesk.core.models import AuditEvent
from ioudesk.reports.models import ReportSettings
from ioudesk.reports.settings import report_settings, report_settings_save

pytestmark = pytest.mark.django_db


def test_defaults_are_the_guideline_rates(organisation):
    settings = report_settings()
    assert settings.pk is None
    assert (settings.rate_normal, settings.rate_special_mention, settings.rate_substandard, settings.rate_doubtful,
            settings.rate_loss, settings.general_reserve_rate, settings.concentration_limit) == (0, 2, 25, 50, 100, 1, 10)


def test_save_changes_only_the_given_fields_and_is_audited(finance):
    saved = report_settings_save(user=finance, rate_substandard="30", net_assets="5000000.00")
    assert ReportSettings.objects.count() == 1
    assert (saved.rate_substandard, saved.net_assets, saved.rate_doubtful) == (D("30"), D("5000000.00"), D("50"))
    again = report_settings_save(user=finance, rate_substandard="35.50")
    assert again.pk == saved.pk and ReportSettings.objects.get().rate_substandard == D("35.50")
    event = AuditEvent.objects.filter(verb="修改报表设置").latest("pk")
    assert event.changes["rate_substandard"] == ["30.00", "35.50"]


@pytest.mark.parametrize(("values", "field", "words"), [
    ({"rate_loss": "120"}, "rate_loss", "应在 0 到 100 之间"),
    ({"rate_doubtful": "abc"}, "rate_doubtful", "应为数字"),
    ({"rate_doubtful": "NaN"}, "rate_doubtful", "应为数字"),
    ({"general_reserve_rate": "1.234"}, "general_reserve_rate", "最多两位小数"),
    ({"rate_substandard": "1"}, "rate_substandard", "不能低于关注类"),  # 1 % < 关注 2 %
    ({"net_assets": "-5"}, "net_assets", "应大于0"),
    ({"concentration_limit": "0"}, "concentration_limit", "应在 0.01 到 100 之间"),
    ({"rate_loss": ""}, "rate_loss", "请填写"),
])
def test_bad_values_are_named_in_chinese(finance, values, field, words):
    with pytest.raises(ValidationFailed) as raised:
        report_settings_save(user=finance, **values)
    assert raised.value.extra["field"] == field and words in str(raised.value.message)
    assert not ReportSettings.objects.exists()


def test_a_viewer_opens_the_row_read_only(client, make_staff):
    auditor = make_staff("e-auditor-view", role=roles.AUDITOR)
    client.force_login(auditor)
    response = client.get(reverse("admin:reports_reportsettings_changelist"), follow=True)
    assert response.status_code == 200 and "25" in response.content.decode()


def test_only_who_may_change_settings(make_staff):
    auditor = make_staff("e-auditor", role=roles.AUDITOR)
    with pytest.raises(PermissionDenied):
        report_settings_save(user=auditor, rate_loss="100")


def test_the_admin_opens_the_one_row_and_saves_through_the_service(client, finance):
    client.force_login(finance)
    listing = reverse("admin:reports_reportsettings_changelist")
    response = client.get(listing)  # the one row, made with the defaults the first time (a viewer opens it too)
    stored = ReportSettings.objects.get()
    assert stored.rate_substandard == D("25") and stored.general_reserve_rate == D("1")
    change = reverse("admin:reports_reportsettings_change", args=[stored.pk])
    assert response.status_code == 302 and response["Location"] == change
    form = {"rate_normal": "0", "rate_special_mention": "2", "rate_substandard": "25", "rate_doubtful": "50",
            "rate_loss": "100", "general_reserve_rate": "1.5", "net_assets": "", "concentration_limit": "10"}
    response = client.post(change, form)
    assert response.status_code == 302, response.content.decode()[-2000:]
    stored = ReportSettings.objects.get()
    assert stored.general_reserve_rate == D("1.5") and stored.net_assets is None
    assert client.get(listing)["Location"] == change
    bad = client.post(reverse("admin:reports_reportsettings_change", args=[stored.pk]), {**form, "rate_doubtful": "10"})
    assert bad.status_code == 200 and "不能低于次级类" in bad.content.decode()
    assert ReportSettings.objects.get().rate_doubtful == D("50")
