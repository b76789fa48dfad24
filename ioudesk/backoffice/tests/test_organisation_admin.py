"""The 机构设置 page saves through services.organisation_update: a refusal is shown on the form next
to the fields it names, and nothing is saved or audited (defect 19)."""

import pytest
from django.urls import reverse

from ioudesk.core import audit, services
from ioudesk.core.errors import ValidationFailed
from ioudesk.core.models import Organisation


def field_errors(response, field):
    return [str(e) for e in response.context["adminform"].form.errors.get(field, [])]


def organisation_form(**overrides):
    return {"name": "欠条管家示范机构", "short_name": "示范", "logo_text": "欠条管家", "currency_display": "¥",
            "interest_cap_applies": "on", **overrides}


@pytest.fixture
def admin_client(client, admin_user_zh):
    client.force_login(admin_user_zh)
    return client


def test_the_form_saves_through_the_service(admin_client, organisation):
    response = admin_client.post(reverse("admin:core_organisation_change", args=[organisation.pk]),
                                 organisation_form(short_name="新简称", interest_cap_applies=""))

    assert response.status_code == 302
    stored = Organisation.objects.get()
    assert stored.short_name == "新简称" and stored.interest_cap_applies is False
    assert audit.events_for(stored).filter(verb="修改机构设置").count() == 1  # once: not again by the admin


def test_a_refusal_is_shown_next_to_its_fields_and_nothing_is_saved(admin_client, organisation, monkeypatch):
    update = services.organisation_update

    def refuse_after_writing(**kwargs):  # the service writes, then refuses: the write is undone too
        update(**kwargs)
        raise ValidationFailed("机构名称不可用；标识文字不可用", extra={"field": "name", "details": [
            {"field": "name", "message": "机构名称不可用"}, {"field": "logo_text", "message": "标识文字不可用"}]})

    monkeypatch.setattr(services, "organisation_update", refuse_after_writing)

    response = admin_client.post(reverse("admin:core_organisation_change", args=[organisation.pk]),
                                 organisation_form(name="改过的名称", logo_text="新标识"))

    assert response.status_code == 200
    assert field_errors(response, "name") == ["机构名称不可用"]
    assert field_errors(response, "logo_text") == ["标识文字不可用"]
    stored = Organisation.objects.get()
    assert stored.name == "欠条管家示范机构" and stored.logo_text == "欠条管家"
    assert not audit.events_for(stored).filter(verb="修改机构设置").exists()


def test_there_is_one_organisation_and_it_is_not_added_or_deleted_here(admin_client, organisation):
    assert admin_client.get(reverse("admin:core_organisation_add")).status_code == 403
    assert admin_client.get(reverse("admin:core_organisation_delete", args=[organisation.pk])).status_code == 403
