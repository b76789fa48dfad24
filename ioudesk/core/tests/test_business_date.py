"""The business date (营业日) changes only through services.business_date_set: a reason, a sane
date, never before business already booked, an audit event (issue 9, defect 17)."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from ioudesk.core import clock, services
from ioudesk.core.errors import PermissionDenied, ValidationFailed
from ioudesk.core.models import AuditEvent, Organisation
from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.services import Line, post_entry


def field_of(error):
    return error.value.extra.get("field")


def test_the_date_is_set_with_a_reason_and_audited(organisation, admin_user_zh):
    services.business_date_set(new_date=date(2026, 11, 20), reason="演示", actor=admin_user_zh)

    assert clock.today() == date(2026, 11, 20)
    event = AuditEvent.objects.get(verb="设置营业日")
    assert event.changes["business_date"] == [None, "2026-11-20"] and event.actor_id == admin_user_zh.pk


@pytest.mark.parametrize("new_date, reason, field, words", [
    (date(2026, 11, 20), "  ", "reason", "请填写设置营业日的原因"),
    (date(1999, 12, 31), "演示", "business_date", "不能早于 2000-01-01"),
    (None, "演示", None, None),  # clearing is fine with nothing booked
])
def test_a_reason_and_a_sane_date_are_needed(organisation, new_date, reason, field, words):
    if field is None:
        services.business_date_set(new_date=new_date, reason=reason)
        return
    with pytest.raises(ValidationFailed) as refused:
        services.business_date_set(new_date=new_date, reason=reason)
    assert field_of(refused) == field and words in str(refused.value.message)
    assert Organisation.objects.get().business_date is None and not AuditEvent.objects.filter(verb="设置营业日")


def test_not_too_far_ahead(organisation, settings):
    settings.BUSINESS_DATE_MAX_DAYS_AHEAD = 10
    today = timezone.localdate()
    services.business_date_set(new_date=today + timedelta(days=10), reason="演示")

    with pytest.raises(ValidationFailed) as refused:
        services.business_date_set(new_date=today + timedelta(days=11), reason="演示")
    assert field_of(refused) == "business_date" and "最多只能比今天" in str(refused.value.message)


def test_not_before_a_posted_entry(organisation):
    from ioudesk.ledger.services import chart_ensure

    chart_ensure()
    with clock.frozen(date(2026, 11, 28)):
        post_entry(kind="disbursement", iou_id=1, memo="放款", lines=[
            Line(AccountCode.LOANS, debit=D("100")), Line(AccountCode.BANK_BASIC, credit=D("100"))])
    services.business_date_set(new_date=date(2026, 11, 28), reason="日终后")

    with pytest.raises(ValidationFailed) as refused:
        services.business_date_set(new_date=date(2026, 11, 27), reason="往回调")

    assert field_of(refused) == "business_date" and "2026-11-28 的记账凭证" in str(refused.value.message)
    assert Organisation.objects.get().business_date == date(2026, 11, 28)


def test_only_who_may_set_it(organisation, make_staff):
    with pytest.raises(PermissionDenied):
        services.business_date_set(new_date=date(2026, 11, 20), reason="演示", actor=make_staff("clerk"))


def test_the_page_shows_the_refusal_on_the_field(client, admin_user_zh):
    client.force_login(admin_user_zh)

    response = client.post(reverse("backoffice:business_date"), {"business_date": "1990-01-01", "reason": "演示"})

    assert response.status_code == 200
    assert "不能早于 2000-01-01" in str(response.context["form"].errors["business_date"])
    assert Organisation.objects.get().business_date is None


def test_the_organisation_form_cannot_change_it(client, admin_user_zh, organisation):
    client.force_login(admin_user_zh)

    client.post(reverse("admin:core_organisation_change", args=[organisation.pk]), {
        "name": organisation.name, "short_name": "示范", "logo_text": "", "currency_display": "¥",
        "interest_cap_applies": "on", "business_date": "1990-01-01"})

    assert Organisation.objects.get().business_date is None
