"""The score card and rules in the back office: saving the current version publishes the next one
(the old stays, read only); a rule saves through rule_save and its refusals show on the form."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from ioudesk.screening import services
from ioudesk.screening.models import ScoreCard, ScreeningRule


@pytest.fixture
def seeded(organisation):
    services.screening_defaults_ensure()


def card_post(card: ScoreCard, **changes) -> dict:
    data = {"name": card.name, "base_points": str(card.base_points), "note": "", "_save": "1"}
    attributes = list(card.attributes.order_by("order", "pk"))
    bands = list(card.bands.order_by("-min_score"))
    data |= {"attributes-TOTAL_FORMS": str(len(attributes)), "attributes-INITIAL_FORMS": str(len(attributes)),
             "attributes-MIN_NUM_FORMS": "0", "attributes-MAX_NUM_FORMS": "1000",
             "bands-TOTAL_FORMS": str(len(bands)), "bands-INITIAL_FORMS": str(len(bands)),
             "bands-MIN_NUM_FORMS": "0", "bands-MAX_NUM_FORMS": "1000"}
    for n, a in enumerate(attributes):
        data |= {f"attributes-{n}-id": str(a.pk), f"attributes-{n}-card": str(card.pk),
                 f"attributes-{n}-order": str(a.order), f"attributes-{n}-attribute": a.attribute,
                 f"attributes-{n}-label": a.label, f"attributes-{n}-lower": "" if a.lower is None else str(a.lower),
                 f"attributes-{n}-upper": "" if a.upper is None else str(a.upper),
                 f"attributes-{n}-points": str(a.points)}
        if a.when_missing:
            data[f"attributes-{n}-when_missing"] = "on"
    for n, b in enumerate(bands):
        data |= {f"bands-{n}-id": str(b.pk), f"bands-{n}-card": str(card.pk), f"bands-{n}-code": b.code,
                 f"bands-{n}-label": b.label, f"bands-{n}-min_score": str(b.min_score), f"bands-{n}-action": b.action,
                 f"bands-{n}-amount_factor": str(b.amount_factor), f"bands-{n}-rate_add": str(b.rate_add)}
    return data | changes


def test_saving_the_current_card_publishes_version_2(client, admin_user_zh, seeded):
    client.force_login(admin_user_zh)
    v1 = ScoreCard.objects.get(version=1)
    url = reverse("admin:screening_scorecard_change", args=[v1.pk])
    page = client.get(url)
    assert page.status_code == 200 and "评分等级" in page.content.decode()
    employer = v1.attributes.get(attribute="employer", label="有")
    n = list(v1.attributes.order_by("order", "pk")).index(employer)
    response = client.post(url, card_post(v1, base_points="410", note="基础分410", **{f"attributes-{n}-points": "55"}))
    assert response.status_code == 302, response.content.decode()[:3000]
    v2 = ScoreCard.objects.get(version=2)
    assert v2.is_current and v2.base_points == 410 and v2.note == "基础分410"
    assert v2.attributes.get(attribute="employer", label="有").points == 55
    assert v2.attributes.count() == v1.attributes.count() and v2.bands.count() == 4
    v1.refresh_from_db()
    assert not v1.is_current and v1.base_points == 400 and employer.__class__.objects.get(pk=employer.pk).points == 40
    # the old version is read only now
    assert client.post(url, card_post(v1)).status_code == 403
    assert client.get(reverse("admin:screening_scorecard_changelist")).status_code == 200


def test_an_overlapping_bin_is_refused_on_the_form(client, admin_user_zh, seeded):
    client.force_login(admin_user_zh)
    v1 = ScoreCard.objects.get(version=1)
    age = v1.attributes.get(attribute="age", label="25–34岁")
    n = list(v1.attributes.order_by("order", "pk")).index(age)
    response = client.post(reverse("admin:screening_scorecard_change", args=[v1.pk]),
                           card_post(v1, **{f"attributes-{n}-upper": "40"}))
    assert response.status_code == 200 and "重叠" in response.content.decode()
    assert ScoreCard.objects.count() == 1


def test_a_rule_is_saved_through_the_service_and_its_refusal_shown(client, admin_user_zh, seeded):
    client.force_login(admin_user_zh)
    rule = ScreeningRule.objects.get(code="debt_to_income")
    url = reverse("admin:screening_screeningrule_change", args=[rule.pk])
    data = {"code": rule.code, "name": "负债收入比不超过60%", "kind": rule.kind, "product": "", "is_active": "on",
            "order": "40", "note": "", "min_age": "", "max_age": "", "max_ratio": "0.6", "window_days": "",
            "max_count": "0", "max_overdue_days": "0", "max_amount": "", "_save": "1"}
    assert client.post(url, data).status_code == 302
    rule.refresh_from_db()
    assert rule.max_ratio == D("0.6") and rule.name == "负债收入比不超过60%"
    response = client.post(url, data | {"max_ratio": ""})
    assert response.status_code == 200 and "负债收入比上限须大于0" in response.content.decode()
    assert client.get(reverse("admin:screening_screeningrule_changelist")).status_code == 200
