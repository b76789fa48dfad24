"""Prospects and follow-ups: registering, converting, giving up, recording contacts, the due list,
and the back-office pages built on them. The business date is 2026-11-28."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from ioudesk.core import audit
from ioudesk.core.crypto import blind_index
from ioudesk.core.errors import InvalidState, PermissionDenied, ValidationFailed
from ioudesk.customers import followups
from ioudesk.customers.models import Customer, CustomerKind, FollowUp, Prospect, ProspectStatus, SourceChannel
from ioudesk.customers.services import DuplicateCustomer, customer_create

SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 11, 28, 9, 30, tzinfo=SHANGHAI)


@pytest.fixture
def manager(make_staff):
    return make_staff("zhangwei", role="客户经理")


@pytest.fixture
def now(monkeypatch):
    """Pin "now" to 2026-11-28 15:00 in Shanghai, the afternoon of the business date."""
    from ioudesk.core import clock

    moment = datetime(2026, 11, 28, 15, 0, tzinfo=SHANGHAI)
    monkeypatch.setattr(clock, "now", lambda: moment)
    return moment


def _prospect(branch, manager, **fields):
    return followups.prospect_create(prospect=Prospect(**{
        "name": "王小明", "phone": "+86 139-0000-1234", "company_name": "华信科技", "branch": branch, **fields,
    }), user=manager)


def _record(manager, *, customer=None, prospect=None, **fields):
    return followups.follow_up_record(customer=customer, prospect=prospect, owner=manager, **{
        "channel": "phone", "happened_at": MORNING, "content": "介绍了月息 1 分的经营贷，客户有意向借 20 万。", **fields,
    })


# ---------------------------------------------------------------- prospects


def test_prospect_phone_is_normalised_indexed_and_masked_in_the_trail(head_office, manager):
    prospect = _prospect(head_office, manager)

    prospect.refresh_from_db()
    assert prospect.phone == "13900001234" and prospect.status == ProspectStatus.NEW
    assert prospect.owner == manager
    assert prospect.phone_index == blind_index("13900001234", "prospect.phone")
    event = audit.events_for(prospect).get(action="create")
    assert event.changes["phone"] == [None, "139****1234"] and "13900001234" not in str(event.changes)


def test_bad_phone_is_refused_next_to_the_field(head_office, manager):
    with pytest.raises(ValidationFailed, match="1开头的11位数字") as caught:
        _prospect(head_office, manager, phone="12345")
    assert caught.value.extra["field"] == "phone"
    assert not Prospect.objects.exists()


def test_the_same_prospect_phone_twice_is_allowed(head_office, manager, make_staff):
    _prospect(head_office, manager)
    _prospect(head_office, make_staff("lina", role="客户经理"), name="王晓明")

    assert Prospect.objects.filter(phone_index=blind_index("13900001234", "prospect.phone")).count() == 2


def test_a_phone_that_is_already_a_customer_is_refused_with_a_link(head_office, manager):
    customer = customer_create(customer=Customer(kind=CustomerKind.INDIVIDUAL, name="王小明", phone="13900001234",
                                                 branch=head_office), user=manager)

    with pytest.raises(DuplicateCustomer) as caught:
        _prospect(head_office, manager)

    assert f"该手机号已是客户 {customer.number}（王小明）" in str(caught.value.message)
    assert caught.value.extra["duplicates"][0]["url"] == f"/admin/customers/customer/{customer.pk}/change/"
    assert not Prospect.objects.exists()


def test_converting_creates_a_numbered_customer_and_moves_the_follow_ups(head_office, manager, business_date, now):
    web = SourceChannel.objects.create(name="网络推广")
    prospect = _prospect(head_office, manager, source=web)
    first = _record(manager, prospect=prospect, next_action="寄送合同样本", next_action_on=date(2026, 11, 30))

    customer = followups.prospect_convert(prospect=prospect, user=manager, address="北京市朝阳区建国路 1 号")

    prospect.refresh_from_db()
    first.refresh_from_db()
    assert customer.number == "KH20261128-0001"
    assert (customer.name, customer.phone, customer.source, customer.branch, customer.owner) == (
        "王小明", "13900001234", web, head_office, manager)
    assert customer.employer == "华信科技" and customer.address == "北京市朝阳区建国路 1 号"
    assert prospect.status == ProspectStatus.CONVERTED and prospect.converted_customer == customer
    assert (first.customer, first.prospect) == (customer, None)
    event = audit.events_for(prospect).get(verb="转为客户")
    assert event.changes["status"] == ["following", "converted"] and event.changes["follow_ups"] == [[first.pk], customer.number]


def test_converting_twice_or_a_lost_prospect_is_refused(head_office, manager, business_date):
    converted = _prospect(head_office, manager)
    followups.prospect_convert(prospect=converted, user=manager)
    lost = _prospect(head_office, manager, name="赵六", phone="")
    followups.prospect_mark_lost(prospect=lost, user=manager, reason="已在其他机构借款")

    with pytest.raises(InvalidState, match="不能重复转化"):
        followups.prospect_convert(prospect=converted, user=manager)
    with pytest.raises(InvalidState, match="已标记放弃"):
        followups.prospect_convert(prospect=lost, user=manager)
    assert Customer.objects.count() == 1


def test_a_failed_conversion_leaves_the_prospect_as_it_was(head_office, manager):
    prospect = _prospect(head_office, manager)

    with pytest.raises(ValidationFailed, match="身份证号"):
        followups.prospect_convert(prospect=prospect, user=manager, id_number="110105194912310021")

    prospect.refresh_from_db()
    assert prospect.status == ProspectStatus.NEW and not Customer.objects.exists()


def test_marking_lost_needs_a_reason_and_keeps_it(head_office, manager, business_date):
    prospect = _prospect(head_office, manager)

    with pytest.raises(ValidationFailed, match="请填写放弃的原因"):
        followups.prospect_mark_lost(prospect=prospect, user=manager, reason="  ")
    followups.prospect_mark_lost(prospect=prospect, user=manager, reason="利率嫌高")

    prospect.refresh_from_db()
    assert prospect.status == ProspectStatus.LOST and "【2026-11-28 放弃】利率嫌高" in prospect.notes
    assert audit.events_for(prospect).get(verb="标记放弃").reason == "利率嫌高"
    with pytest.raises(InvalidState, match="已标记放弃"):
        followups.prospect_mark_lost(prospect=prospect, user=manager, reason="again")


# ---------------------------------------------------------------- follow-ups


def test_first_follow_up_on_a_new_prospect_starts_following(head_office, manager, business_date, now):
    prospect = _prospect(head_office, manager)

    follow_up = _record(manager, prospect=prospect, channel="material", material_sent="产品介绍册",
                        next_action="电话确认是否收到", next_action_on=date(2026, 12, 1))

    prospect.refresh_from_db()
    assert prospect.status == ProspectStatus.FOLLOWING
    assert follow_up.branch == head_office and follow_up.material_sent == "产品介绍册"
    assert audit.events_for(follow_up).filter(action="create").count() == 1


def test_follow_up_takes_the_customers_branch(make_branch, make_staff, business_date, now):
    east = make_branch("E1", "东城网点")
    east_manager = make_staff("east", role="客户经理", branch=east)
    customer = customer_create(customer=Customer(name="张三", branch=east), user=east_manager)

    assert _record(east_manager, customer=customer).branch == east


@pytest.mark.parametrize("fields,message,field", [
    ({"happened_at": datetime(2026, 11, 28, 16, 0, tzinfo=SHANGHAI)}, "还没到", "happened_at"),
    ({"next_action": "回访", "next_action_on": date(2026, 11, 27)}, "不能早于营业日 2026-11-28", "next_action_on"),
    ({"next_action_on": date(2026, 12, 1)}, "写明下一步要做什么", "next_action"),
    ({"content": "   "}, "请填写跟进内容", "content"),
])
def test_bad_follow_ups_are_refused(head_office, manager, business_date, now, fields, message, field):
    customer = customer_create(customer=Customer(name="张三", branch=head_office), user=manager)

    with pytest.raises(ValidationFailed, match=message) as caught:
        _record(manager, customer=customer, **fields)

    assert caught.value.extra["field"] == field
    assert not FollowUp.objects.exists()


def test_a_follow_up_needs_exactly_one_target(head_office, manager, business_date, now):
    customer = customer_create(customer=Customer(name="张三", branch=head_office), user=manager)
    prospect = _prospect(head_office, manager)

    with pytest.raises(ValidationFailed, match="只能记在一位客户或一位潜在客户名下"):
        _record(manager, customer=customer, prospect=prospect)
    with pytest.raises(ValidationFailed, match="请选择跟进的客户或潜在客户"):
        _record(manager)
    assert not FollowUp.objects.exists()
    assert Prospect.objects.get().status == ProspectStatus.NEW


def test_another_branchs_customer_cannot_be_followed_up(make_branch, make_staff, business_date, now):
    east, west = make_branch("E1", "东城网点"), make_branch("W1", "西城网点")
    customer = customer_create(customer=Customer(name="张三", branch=east),
                               user=make_staff("east", role="客户经理", branch=east))

    with pytest.raises(PermissionDenied):
        _record(make_staff("west", role="客户经理", branch=west), customer=customer)
    assert not FollowUp.objects.exists()


def test_completing_a_next_action(head_office, manager, make_staff, business_date, now):
    customer = customer_create(customer=Customer(name="张三", branch=head_office), user=manager)
    follow_up = _record(manager, customer=customer, next_action="上门签合同", next_action_on=date(2026, 11, 28))
    no_action = _record(manager, customer=customer)

    with pytest.raises(PermissionDenied, match="跟进人本人"):
        followups.follow_up_complete(follow_up=follow_up, user=make_staff("finance", role="财务"))
    followups.follow_up_complete(follow_up=follow_up, user=manager)

    follow_up.refresh_from_db()
    assert follow_up.next_action_done
    with pytest.raises(InvalidState, match="已经标记完成"):
        followups.follow_up_complete(follow_up=follow_up, user=manager)
    with pytest.raises(InvalidState, match="没有约定下一步"):
        followups.follow_up_complete(follow_up=no_action, user=manager)


def test_due_list_is_mine_open_up_to_the_business_date_overdue_first(head_office, manager, make_staff, business_date,
                                                                     now):
    from ioudesk.core import clock

    colleague = make_staff("lina", role="客户经理")
    customer = customer_create(customer=Customer(name="张三", branch=head_office), user=manager)
    prospect = _prospect(head_office, manager)
    with clock.frozen(date(2026, 11, 20)):
        overdue = _record(manager, customer=customer, next_action="催要银行流水", next_action_on=date(2026, 11, 25))
        done = _record(manager, customer=customer, next_action="补签字", next_action_on=date(2026, 11, 26))
    today = _record(manager, prospect=prospect, next_action="约到店面谈", next_action_on=date(2026, 11, 28))
    _record(manager, customer=customer, next_action="下周回访", next_action_on=date(2026, 12, 5))
    _record(colleague, customer=customer, next_action="同事的事", next_action_on=date(2026, 11, 28))
    followups.follow_up_complete(follow_up=done, user=manager)

    assert list(followups.follow_ups_due(user=manager)) == [overdue, today]
    assert len(followups.follow_ups_due(user=manager, day=date(2026, 12, 5))) == 3

    followups.prospect_mark_lost(prospect=prospect, user=manager, reason="联系不上")
    assert list(followups.follow_ups_due(user=manager)) == [overdue]


# ---------------------------------------------------------------- back office


def test_prospect_of_another_branch_is_not_in_the_admin(client, make_branch, make_staff):
    east, west = make_branch("E1", "东城网点"), make_branch("W1", "西城网点")
    east_manager = make_staff("east", role="客户经理", branch=east)
    prospect = _prospect(east, east_manager)
    client.force_login(make_staff("west", role="客户经理", branch=west))

    listing = client.get(reverse("admin:customers_prospect_changelist")).content.decode()
    change = client.get(reverse("admin:customers_prospect_change", args=[prospect.pk]))
    convert = client.post(reverse("admin:customers_prospect_convert", args=[prospect.pk]))

    assert "王小明" not in listing
    assert change.status_code == 302  # "does not exist, perhaps deleted" back to the list
    assert convert.status_code == 302 and not Customer.objects.exists()


def test_prospect_list_shows_masked_phone_and_admin_form_registers(client, head_office, manager):
    client.force_login(manager)

    response = client.post(reverse("admin:customers_prospect_add"), {
        "kind": "individual", "name": "李四", "phone": "138 0000 5678", "company_name": "", "branch": head_office.pk,
        "owner": manager.pk, "notes": "",
        "follow_ups-TOTAL_FORMS": "0", "follow_ups-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    listing = client.get(reverse("admin:customers_prospect_changelist")).content.decode()

    assert "138****5678" in listing and "13800005678" not in listing and "新线索" in listing


def test_prospect_form_shows_the_bad_phone_in_chinese(client, head_office, manager):
    client.force_login(manager)

    page = client.post(reverse("admin:customers_prospect_add"), {
        "kind": "individual", "name": "李四", "phone": "555", "branch": head_office.pk, "owner": manager.pk,
        "follow_ups-TOTAL_FORMS": "0", "follow_ups-INITIAL_FORMS": "0",
    }).content.decode()

    assert "手机号“555”不正确" in page and not Prospect.objects.exists()


def test_convert_page_converts_after_confirmation(client, head_office, manager, business_date):
    prospect = _prospect(head_office, manager)
    client.force_login(manager)
    url = reverse("admin:customers_prospect_convert", args=[prospect.pk])

    page = client.get(url).content.decode()
    assert "确认转为客户" in page and "139****1234" in page and not Customer.objects.exists()
    response = client.post(url, {"id_number": "", "address": "北京市"})

    customer = Customer.objects.get()
    assert response.url == reverse("backoffice:customer_overview", args=[customer.pk])
    assert customer.number == "KH20261128-0001" and customer.address == "北京市"


def test_mark_lost_page_asks_for_the_reason(client, head_office, manager, business_date):
    prospect = _prospect(head_office, manager)
    client.force_login(manager)
    url = reverse("admin:customers_prospect_mark_lost", args=[prospect.pk])

    assert "请填写放弃的原因" in client.post(url, {"reason": ""}).content.decode()
    client.post(url, {"reason": "利率嫌高"})

    prospect.refresh_from_db()
    assert prospect.status == ProspectStatus.LOST


def test_follow_up_add_form_is_prefilled_from_the_customer(client, head_office, manager, business_date):
    customer = customer_create(customer=Customer(name="张三", branch=head_office), user=manager)
    client.force_login(manager)

    response = client.get(reverse("admin:customers_followup_add") + f"?customer={customer.pk}")

    form = response.context["adminform"].form
    assert form.initial["customer"] == str(customer.pk) and form.initial["owner"] == manager.pk
    assert form.initial["happened_at"].second == 0
    assert f'<option value="{customer.pk}" selected>' in response.content.decode()


def test_follow_up_add_form_records_through_the_service(client, head_office, manager, business_date, now):
    customer = customer_create(customer=Customer(name="张三", branch=head_office), user=manager)
    client.force_login(manager)
    data = {"customer": customer.pk, "owner": manager.pk, "channel": "visit", "happened_at_0": "2026-11-28",
            "happened_at_1": "10:00", "content": "上门看了经营场所", "next_action": "补交营业执照",
            "next_action_on": "2026-11-27"}

    page = client.post(reverse("admin:customers_followup_add"), data).content.decode()
    assert "下次跟进日期不能早于营业日 2026-11-28" in page and not FollowUp.objects.exists()

    response = client.post(reverse("admin:customers_followup_add"), {**data, "next_action_on": "2026-12-01"})

    follow_up = FollowUp.objects.get()
    assert response.url == reverse("backoffice:customer_overview", args=[customer.pk])
    assert (follow_up.branch, follow_up.channel, follow_up.next_action_on) == (head_office, "visit", date(2026, 12, 1))
    assert audit.events_for(follow_up).filter(action="create").count() == 1


def test_follow_up_form_without_a_target_says_so(client, head_office, manager, business_date, now):
    client.force_login(manager)

    page = client.post(reverse("admin:customers_followup_add"), {
        "owner": manager.pk, "channel": "phone", "happened_at_0": "2026-11-28", "happened_at_1": "10:00",
        "content": "电话沟通"}).content.decode()

    assert "请选择跟进的客户或潜在客户" in page and "Constraint" not in page


def test_my_follow_ups_page_lists_and_completes(client, head_office, manager, business_date, now):
    from ioudesk.core import clock

    customer = customer_create(customer=Customer(name="张三", branch=head_office), user=manager)
    prospect = _prospect(head_office, manager)
    with clock.frozen(date(2026, 11, 20)):
        overdue = _record(manager, customer=customer, next_action="催要银行流水", next_action_on=date(2026, 11, 25))
    _record(manager, prospect=prospect, next_action="约到店面谈", next_action_on=date(2026, 11, 28))
    client.force_login(manager)
    url = reverse("backoffice:my_follow_ups")

    page = client.get(url).content.decode()
    assert page.index("催要银行流水") < page.index("约到店面谈")
    assert "逾期 3 天" in page and 'data-testid="overdue"' in page
    assert reverse("backoffice:customer_overview", args=[customer.pk]) in page
    assert reverse("admin:customers_prospect_change", args=[prospect.pk]) in page

    response = client.post(url, {"follow_up": overdue.pk})

    overdue.refresh_from_db()
    assert response.status_code == 302 and overdue.next_action_done
    assert client.get(url).content.decode().count('data-testid="due-row"') == 1


def test_my_follow_ups_page_when_nothing_is_due(client, manager, business_date):
    client.force_login(manager)

    page = client.get(reverse("backoffice:my_follow_ups")).content.decode()

    assert "今天没有到期的跟进" in page


def test_follow_up_list_marks_overdue_and_completes_in_bulk(client, head_office, manager, business_date, now):
    from ioudesk.core import clock

    prospect = _prospect(head_office, manager)
    with clock.frozen(date(2026, 11, 20)):
        overdue = _record(manager, prospect=prospect, next_action="寄送利率说明", next_action_on=date(2026, 11, 25))
    client.force_login(manager)
    url = reverse("admin:customers_followup_changelist")

    listing = client.get(url).content.decode()
    assert '<span class="text-red-600 font-semibold">2026-11-25</span>' in listing and "王小明" in listing
    assert client.get(reverse("admin:customers_prospect_change", args=[prospect.pk])).status_code == 200
    assert client.get(reverse("admin:customers_followup_change", args=[overdue.pk])).status_code == 200

    client.post(url, {"action": "complete_selected", "_selected_action": [overdue.pk]})

    overdue.refresh_from_db()
    assert overdue.next_action_done
