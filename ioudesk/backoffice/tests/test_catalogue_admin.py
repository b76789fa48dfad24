"""The pages of tags, source channels, a customer's contacts, prospects and follow-ups write
through their services (catalogue, contacts, followups): a refusal is shown and nothing is saved;
a change is audited by the service (defect 19)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from ioudesk.core import audit
from ioudesk.core.errors import ValidationFailed
from ioudesk.core.models import AuditEvent
from ioudesk.customers import catalogue, contacts, followups
from ioudesk.customers.models import Contact, FollowUp, Prospect, SourceChannel, Tag

MORNING = datetime(2026, 11, 28, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def page(response):
    return response.content.decode()


def field_errors(response, field):
    return [str(e) for e in response.context["adminform"].form.errors.get(field, [])]


@pytest.fixture
def admin_client(client, admin_user_zh):
    client.force_login(admin_user_zh)
    return client


# ---------------------------------------------------------------- tags and source channels


def test_a_tag_added_on_the_form_is_audited_by_the_service(admin_client):
    response = admin_client.post(reverse("admin:customers_tag_add"), {"name": "老客户", "colour": "success"})

    tag = Tag.objects.get()
    assert response.status_code == 302 and [e.verb for e in audit.events_for(tag)] == ["新建标签"]


def test_a_tag_name_taken_in_another_case_is_refused_on_the_form(admin_client):
    catalogue.tag_save(name="VIP")

    response = admin_client.post(reverse("admin:customers_tag_add"), {"name": "vip", "colour": "primary"})

    assert response.status_code == 200 and field_errors(response, "name") == ["已有名为“vip”的标签。"]
    assert Tag.objects.count() == 1


def test_deleting_a_tag_in_use_is_refused_with_the_reason(admin_client, debtor):
    tag = catalogue.tag_save(name="VIP")
    debtor.tags.add(tag)

    response = admin_client.post(reverse("admin:customers_tag_delete", args=[tag.pk]), {"post": "yes"}, follow=True)

    assert "正用于 1 位客户，不能删除" in page(response) and Tag.objects.filter(pk=tag.pk).exists()
    assert not AuditEvent.objects.filter(verb="删除标签").exists()


def test_bulk_deleting_tags_is_all_or_nothing(admin_client, debtor):
    used, unused = catalogue.tag_save(name="VIP"), catalogue.tag_save(name="待回访")
    debtor.tags.add(used)

    response = admin_client.post(reverse("admin:customers_tag_changelist"), {
        "action": "delete_selected", "_selected_action": [unused.pk, used.pk], "post": "yes"}, follow=True)

    assert "标签“VIP”正用于 1 位客户" in page(response)
    assert Tag.objects.filter(pk__in=[used.pk, unused.pk]).count() == 2
    assert not AuditEvent.objects.filter(verb="删除标签").exists()


def test_switching_a_channel_off_in_the_list_goes_through_the_service(admin_client):
    channel = catalogue.source_channel_save(name="抖音推广", sort_order=3)

    response = admin_client.post(reverse("admin:customers_sourcechannel_changelist"), {
        "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-0-id": channel.pk, "form-0-sort_order": "3",
        "_save": "保存"})

    channel.refresh_from_db()
    assert response.status_code == 302 and not channel.is_active
    assert audit.events_for(channel).get(verb="修改来源渠道").changes == {"is_active": [True, False]}


# ---------------------------------------------------------------- contacts inline


def customer_form(customer, **contact):
    return {
        "kind": customer.kind, "name": customer.name, "branch": customer.branch_id, "owner": customer.owner_id or "",
        "category": customer.category, "risk_grade": customer.risk_grade, "id_number": "", "phone": "",
        "acquired_on": customer.acquired_on.isoformat(),
        "contacts-TOTAL_FORMS": "1", "contacts-INITIAL_FORMS": "0", "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000", "contacts-0-name": "李梅", "contacts-0-relation": "配偶",
        "contacts-0-phone": "13901019999", **{f"contacts-0-{k}": v for k, v in contact.items()},
    }


def test_a_contact_with_a_bad_phone_is_refused_and_the_customer_is_not_changed(client, manager, debtor):
    client.force_login(manager)
    change = reverse("admin:customers_customer_change", args=[debtor.pk])

    response = client.post(change, {**customer_form(debtor, phone="12345"), "employer": "华信科技"})

    assert response.status_code == 200
    assert "联系人“李梅”的手机号“12345”不正确" in " ".join(response.context["adminform"].form.non_field_errors())
    debtor.refresh_from_db()
    assert debtor.employer == "" and not Contact.objects.exists()
    assert not audit.events_for(debtor).exclude(action="create").exists()


def test_contacts_saved_on_the_customer_form_are_audited_by_the_service(client, manager, debtor):
    client.force_login(manager)
    change = reverse("admin:customers_customer_change", args=[debtor.pk])

    added = client.post(change, customer_form(debtor, is_emergency="on"))
    spouse = Contact.objects.get()
    removed = client.post(change, {**customer_form(debtor), "contacts-INITIAL_FORMS": "1",
                                   "contacts-0-id": spouse.pk, "contacts-0-customer": debtor.pk,
                                   "contacts-0-DELETE": "on"})

    assert added.status_code == 302 and removed.status_code == 302 and not Contact.objects.exists()
    events = list(audit.events_for(spouse).order_by("id"))
    assert [e.verb for e in events] == ["添加联系人", "删除联系人"] and events[0].branch_id == debtor.branch_id


def test_tags_chosen_on_the_customer_form_are_saved_with_the_customer(client, manager, debtor):
    tag = catalogue.tag_save(name="VIP")
    client.force_login(manager)

    client.post(reverse("admin:customers_customer_change", args=[debtor.pk]),
                {**customer_form(debtor), "contacts-TOTAL_FORMS": "0", "tags": [tag.pk]})

    assert list(debtor.tags.values_list("name", flat=True)) == ["VIP"]
    assert audit.events_for(debtor).get(action="update").changes["tags"] == [[], ["VIP"]]


# ---------------------------------------------------------------- prospects and follow-ups


def prospect_form(branch, manager, **fields):
    return {"kind": "individual", "name": "李四", "phone": "138 0000 5678", "company_name": "", "branch": branch.pk,
            "owner": manager.pk, "notes": "", "follow_ups-TOTAL_FORMS": "0", "follow_ups-INITIAL_FORMS": "0",
            **fields}


def test_a_prospect_refused_by_the_service_is_shown_on_the_form_and_not_saved(client, manager, head_office,
                                                                              monkeypatch):
    real = followups.prospect_create

    def refuse_after_writing(**kwargs):  # the service writes, then refuses: the write is undone too
        real(**kwargs)
        raise ValidationFailed("该姓名不可用。", extra={"field": "name"})

    monkeypatch.setattr(followups, "prospect_create", refuse_after_writing)
    client.force_login(manager)

    response = client.post(reverse("admin:customers_prospect_add"), prospect_form(head_office, manager))

    assert response.status_code == 200 and field_errors(response, "name") == ["该姓名不可用。"]
    assert not Prospect.objects.exists() and not AuditEvent.objects.filter(content_type__model="prospect").exists()


def test_a_prospect_changed_on_the_form_is_audited_once(client, manager, head_office):
    prospect = followups.prospect_create(prospect=Prospect(name="李四", phone="13800005678", branch=head_office),
                                         user=manager)
    client.force_login(manager)

    response = client.post(reverse("admin:customers_prospect_change", args=[prospect.pk]),
                           prospect_form(head_office, manager, phone="", company_name="华信科技"))

    assert response.status_code == 302
    assert audit.events_for(prospect).get(action="update").changes == {"company_name": ["", "华信科技"]}


def test_a_follow_up_deleted_on_its_page_goes_through_the_service(client, manager, debtor):
    entry = followups.follow_up_record(customer=debtor, owner=manager, user=manager, channel="phone",
                                       happened_at=MORNING, content="电话提醒还款。")
    client.force_login(manager)

    response = client.post(reverse("admin:customers_followup_delete", args=[entry.pk]), {"post": "yes"})

    assert response.status_code == 302 and not FollowUp.objects.exists()
    assert audit.events_for(entry).get(action="delete").verb == "删除跟进"


def test_contacts_module_is_the_one_the_admin_uses(monkeypatch, client, manager, debtor):
    calls = []
    monkeypatch.setattr(contacts, "contact_save", lambda **kwargs: calls.append(kwargs) or Contact(pk=1))
    client.force_login(manager)

    client.post(reverse("admin:customers_customer_change", args=[debtor.pk]), customer_form(debtor))

    assert [(c["customer"], c["name"], c["relation"], c["phone"]) for c in calls] == [
        (debtor, "李梅", "配偶", "13901019999")]


def test_an_unused_channel_deleted_on_its_page_is_audited(admin_client):
    channel = catalogue.source_channel_save(name="抖音推广")

    response = admin_client.post(reverse("admin:customers_sourcechannel_delete", args=[channel.pk]), {"post": "yes"})

    assert response.status_code == 302 and not SourceChannel.objects.filter(pk=channel.pk).exists()
    assert audit.events_for(channel).filter(verb="删除来源渠道").count() == 1
