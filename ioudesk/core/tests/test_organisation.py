"""The organisation's settings change only through services.organisation_update: checked, every
problem named by its field, audited with before and after (defect 19)."""

import pytest

from ioudesk.core import audit, services
from ioudesk.core.errors import PermissionDenied, ValidationFailed
from ioudesk.core.models import Organisation


def test_settings_are_saved_and_audited(organisation, admin_user_zh):
    services.organisation_update(organisation=organisation, actor=admin_user_zh, short_name=" 示范 ",
                                 interest_cap_applies=False)

    stored = Organisation.objects.get()
    assert stored.short_name == "示范" and stored.interest_cap_applies is False
    assert organisation.short_name == "示范"  # the caller's instance is the saved one
    event = audit.events_for(stored).get(verb="修改机构设置")
    assert event.changes["short_name"] == ["示范机构", "示范"]
    assert event.changes["interest_cap_applies"] == [True, False]


def test_every_problem_is_named_by_its_field_and_nothing_is_saved(organisation):
    with pytest.raises(ValidationFailed) as refused:
        services.organisation_update(organisation=organisation, name="  ", logo_text="欠" * 13)

    details = refused.value.extra["details"]
    assert [d["field"] for d in details] == ["name", "logo_text"]
    assert details[0]["message"] == "请填写机构名称。"
    assert details[1]["message"] == "标识文字最多 12 个字，现为 13 个。"
    assert refused.value.extra["field"] == "name"
    stored = Organisation.objects.get()
    assert stored.name == "欠条管家示范机构" and stored.logo_text == "欠条管家"
    assert not audit.events_for(stored).filter(verb="修改机构设置").exists()


def test_the_currency_symbol_is_needed(organisation):
    with pytest.raises(ValidationFailed) as refused:
        services.organisation_update(organisation=organisation, currency_display="")
    assert refused.value.extra["field"] == "currency_display"


def test_only_who_may_change_the_settings(organisation, make_staff):
    clerk = make_staff("wangfang", role="财务")
    with pytest.raises(PermissionDenied):
        services.organisation_update(organisation=organisation, actor=clerk, name="别的机构")
    assert Organisation.objects.get().name == "欠条管家示范机构"
