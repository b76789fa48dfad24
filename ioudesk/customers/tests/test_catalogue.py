"""Tags and source channels change only through ioudesk.customers.catalogue: unique names, a tag
or channel in use is not deleted, every change audited (issue 9, defect 19)."""

import pytest

from ioudesk.core import audit
from ioudesk.core.errors import InvalidState, ValidationFailed
from ioudesk.core.models import AuditEvent
from ioudesk.customers import catalogue
from ioudesk.customers.models import Customer, SourceChannel, Tag
from ioudesk.customers.services import customer_create


def trail(obj):
    return list(audit.events_for(obj).order_by("id").values_list("verb", flat=True))


def test_a_tag_is_created_renamed_and_deleted_with_an_audit_event(organisation):
    tag = catalogue.tag_save(name=" 老客户 ", colour=Tag.Colour.SUCCESS)
    catalogue.tag_save(tag=tag, name="老客户（3年以上）", colour=Tag.Colour.INFO)
    catalogue.tag_delete(tag=tag)

    assert not Tag.objects.exists()
    assert trail(tag) == ["新建标签", "修改标签", "删除标签"]
    renamed = audit.events_for(tag).get(verb="修改标签")
    assert renamed.changes == {"colour": ["success", "info"], "name": ["老客户", "老客户（3年以上）"]}


@pytest.mark.parametrize("name, colour, field", [("VIP", "primary", "name"), ("", "primary", "name"),
                                                 ("新标签", "pink", "colour")])
def test_a_tag_name_taken_in_any_case_empty_or_a_bad_colour_is_refused(organisation, name, colour, field):
    catalogue.tag_save(name="vip")

    with pytest.raises(ValidationFailed) as refused:
        catalogue.tag_save(name=name, colour=colour)

    assert refused.value.extra["field"] == field
    assert list(Tag.objects.values_list("name", flat=True)) == ["vip"]
    assert AuditEvent.objects.filter(verb="新建标签").count() == 1


def test_a_tag_in_use_is_not_deleted(head_office, manager):
    tag = catalogue.tag_save(name="VIP")
    customer_create(customer=Customer(kind="individual", branch=head_office, name="王建国"), user=manager, tags=[tag])

    with pytest.raises(InvalidState) as refused:
        catalogue.tag_delete(tag=tag)

    assert "正用于 1 位客户" in str(refused.value.message)
    assert Tag.objects.filter(pk=tag.pk).exists() and "删除标签" not in trail(tag)


def test_a_source_channel_is_saved_switched_off_and_deleted(organisation):
    channel = catalogue.source_channel_save(name="抖音推广", sort_order=8)
    catalogue.source_channel_save(channel=channel, name="抖音推广", is_active=False, sort_order=8)
    catalogue.source_channel_delete(channel=channel)

    assert not SourceChannel.objects.filter(name="抖音推广").exists()
    assert trail(channel) == ["新建来源渠道", "修改来源渠道", "删除来源渠道"]


def test_a_source_channel_in_use_or_a_bad_order_is_refused(head_office, manager):
    channel = catalogue.source_channel_save(name="中介推荐")
    customer_create(customer=Customer(kind="individual", branch=head_office, name="王建国", source=channel),
                    user=manager)

    with pytest.raises(InvalidState) as in_use:
        catalogue.source_channel_delete(channel=channel)
    with pytest.raises(ValidationFailed) as order:
        catalogue.source_channel_save(channel=channel, name="中介推荐", sort_order=-1)

    assert "已用于 1 位客户、0 位潜在客户" in str(in_use.value.message) and order.value.extra["field"] == "sort_order"
    channel.refresh_from_db()
    assert channel.sort_order == 0 and trail(channel) == ["新建来源渠道"]
