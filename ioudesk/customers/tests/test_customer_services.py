"""Creating and changing customers: identity checks, duplicates, search columns, masked audit."""

from datetime import date

import pytest

from ioudesk.core import audit
from ioudesk.core.errors import PermissionDenied, ValidationFailed
from ioudesk.customers.models import Customer, CustomerKind, Tag
from ioudesk.customers.services import (
    DuplicateCustomer,
    customer_create,
    customer_delete,
    customer_reveal,
    customer_update,
    customers_tag,
)

ID = "11010519491231002X"


@pytest.fixture
def manager(make_staff):
    return make_staff("zhangwei", role="客户经理")


def _person(branch, **fields):
    return Customer(kind=CustomerKind.INDIVIDUAL, branch=branch, **{"name": "张三", "phone": "138 1234 5678",
                                                                     "id_number": ID.lower(), **fields})


def test_individual_gets_number_birth_date_sex_and_search_columns(head_office, manager, business_date):
    customer = customer_create(customer=_person(head_office), user=manager)

    customer.refresh_from_db()
    assert customer.number == "KH20261128-0001"
    assert customer.id_number == ID and customer.birth_date == date(1949, 12, 31) and customer.sex == "F"
    assert customer.phone == "13812345678" and customer.phone_last4 == "5678" and customer.id_last4 == "002X"
    assert (customer.name_pinyin, customer.name_initials) == ("zhangsan", "zs")
    assert customer.acquired_on == business_date and customer.created_by == manager


def test_personal_data_is_encrypted_in_the_table_and_masked_in_the_trail(head_office, manager):
    from django.db import connection

    customer = customer_create(customer=_person(head_office), user=manager)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM customers_customer WHERE id = %s", [customer.pk])
        raw_id, raw_phone = cursor.fetchone()

    assert ID not in raw_id and "13812345678" not in raw_phone
    event = audit.events_for(customer).get(action="create")
    assert event.changes["id_number"] == [None, "110105********002X"]
    assert event.changes["phone"] == [None, "138****5678"]
    assert ID not in str(event.changes) and "13812345678" not in str(event.changes)


def test_wrong_check_digit_is_refused_with_the_reason(head_office, manager):
    with pytest.raises(ValidationFailed, match="身份证号校验位应为X"):
        customer_create(customer=_person(head_office, id_number="110105194912310021"), user=manager)
    assert not Customer.objects.exists()


@pytest.mark.parametrize("field,value", [("id_number", ID), ("phone", "13812345678")])
def test_duplicates_are_refused_with_a_link(head_office, manager, field, value):
    first = customer_create(customer=_person(head_office), user=manager)
    other = {"id_number": "", "phone": ""} | {field: value}

    with pytest.raises(DuplicateCustomer) as caught:
        customer_create(customer=_person(head_office, name="李四", **other), user=manager)

    assert first.number in str(caught.value.message) and "张三" in str(caught.value.message)
    assert caught.value.extra["duplicates"][0]["url"] == f"/admin/customers/customer/{first.pk}/change/"
    assert Customer.objects.count() == 1


def test_duplicate_in_another_branch_does_not_reveal_the_name(head_office, make_branch, make_staff):
    east, west = make_branch("E1", "东城网点"), make_branch("W1", "西城网点")
    customer_create(customer=_person(east), user=make_staff("east", role="客户经理", branch=east))
    west_manager = make_staff("west", role="客户经理", branch=west)

    with pytest.raises(DuplicateCustomer) as caught:
        customer_create(customer=_person(west, name="张三", phone=""), user=west_manager)

    assert "张三" not in str(caught.value.message) and "其他网点的客户" in str(caught.value.message)
    assert caught.value.extra["duplicates"][0]["url"] is None


def test_company_credit_code_checked_and_unique(head_office, manager):
    company = Customer(kind=CustomerKind.COMPANY, branch=head_office, name="北京华信商贸有限公司",
                       credit_code="91110108MA01ABCD1X")
    with pytest.raises(ValidationFailed, match="统一社会信用代码"):
        customer_create(customer=company, user=manager)


def test_update_records_masked_before_and_after(head_office, manager):
    customer = customer_create(customer=_person(head_office), user=manager)
    customer.phone = "13900001111"
    customer.employer = "华信科技"

    customer_update(customer=customer, user=manager, reason="客户换号")

    event = audit.events_for(customer).get(action="update")
    assert event.changes["phone"] == ["138****5678", "139****1111"]
    assert event.changes["employer"] == ["", "华信科技"] and event.reason == "客户换号"


def test_reveal_needs_the_permission_and_is_audited(head_office, manager, make_staff):
    customer = customer_create(customer=_person(head_office), user=manager)

    with pytest.raises(PermissionDenied):
        customer_reveal(customer=customer, field="id_number", user=make_staff("chenjing", role="财务"))
    assert customer_reveal(customer=customer, field="id_number", user=manager) == ID
    assert audit.events_for(customer).filter(action="view_sensitive").count() == 1


def test_bulk_tagging_and_delete(head_office, manager):
    a = customer_create(customer=_person(head_office), user=manager)
    b = customer_create(customer=_person(head_office, name="李四", id_number="", phone=""), user=manager)
    vip = Tag.objects.create(name="老客户", colour="success")

    assert customers_tag(customers=[a, b], tags=[vip]) == 2
    assert customers_tag(customers=[a, b], tags=[vip]) == 0
    customer_delete(customer=b, reason="重复录入")
    assert list(Customer.objects.values_list("name", flat=True)) == ["张三"]
