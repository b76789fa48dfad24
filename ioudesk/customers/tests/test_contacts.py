"""A customer's contacts change only through ioudesk.customers.contacts: a name, a relationship, a
real phone, the customer's branch, an audit event with the phone masked (issue 9, defect 19)."""

import pytest

from ioudesk.core import audit
from ioudesk.core.errors import PermissionDenied, ValidationFailed
from ioudesk.customers import contacts
from ioudesk.customers.models import Contact


def test_a_contact_is_added_changed_and_removed_under_the_customers_branch(debtor, manager):
    spouse = contacts.contact_save(customer=debtor, name="李梅", relation="配偶", phone="+86 139-0101-9999",
                                   is_emergency=True, user=manager)
    contacts.contact_save(customer=debtor, contact=spouse, name="李梅", relation="妻子", phone="13901019999",
                          is_emergency=True, user=manager)
    contacts.contact_delete(contact=spouse, user=manager)

    assert not Contact.objects.exists()
    events = list(audit.events_for(spouse).order_by("id"))
    assert [e.verb for e in events] == ["添加联系人", "修改联系人", "删除联系人"]
    assert {e.branch_id for e in events} == {debtor.branch_id}
    assert events[0].changes["phone"] == [None, "****9999"] and "13901019999" not in str(events[0].changes)
    assert events[1].changes == {"relation": ["配偶", "妻子"]}


@pytest.mark.parametrize("fields, field, words", [
    ({"name": " ", "relation": "配偶"}, "name", "请填写联系人姓名"),
    ({"name": "李梅", "relation": ""}, "relation", "与客户的关系"),
    ({"name": "李梅", "relation": "配偶", "phone": "12345"}, "phone", "联系人“李梅”的手机号“12345”不正确"),
    ({"name": "李梅", "relation": "配偶", "is_emergency": True}, "phone", "紧急联系人“李梅”请填写手机号"),
])
def test_a_contact_without_name_relation_or_a_real_phone_is_refused(debtor, manager, fields, field, words):
    with pytest.raises(ValidationFailed) as refused:
        contacts.contact_save(customer=debtor, user=manager, **fields)

    assert refused.value.extra["field"] == field and words in str(refused.value.message)
    assert not Contact.objects.exists() and not audit.events_for(debtor).exclude(action="create").exists()


def test_staff_of_another_branch_cannot_touch_the_contacts(debtor, make_branch, make_staff):
    spouse = contacts.contact_save(customer=debtor, name="李梅", relation="配偶")
    west = make_staff("west", role="客户经理", branch=make_branch("W1", "西城网点"))

    with pytest.raises(PermissionDenied):
        contacts.contact_save(customer=debtor, contact=spouse, name="李梅", relation="前妻", user=west)
    with pytest.raises(PermissionDenied):
        contacts.contact_delete(contact=spouse, user=west)

    spouse.refresh_from_db()
    assert spouse.relation == "配偶" and [e.verb for e in audit.events_for(spouse)] == ["添加联系人"]
