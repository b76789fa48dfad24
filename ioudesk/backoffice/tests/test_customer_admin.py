"""The customer form in the back office: creates through the services, explains every refusal."""

from django.urls import reverse

from ioudesk.core import audit
from ioudesk.customers.models import Customer

ADD = reverse("admin:customers_customer_add")


def _form(branch, user, **fields):
    return {
        "kind": "individual", "name": "张三", "branch": branch.pk, "owner": user.pk, "category": "normal",
        "risk_grade": "B", "id_number": "11010519491231002x", "phone": "13812345678", "acquired_on": "2026-11-28",
        "contacts-TOTAL_FORMS": "1", "contacts-INITIAL_FORMS": "0", "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000", "contacts-0-name": "李四", "contacts-0-relation": "配偶",
        "contacts-0-phone": "13900001111", "contacts-0-is_emergency": "on", **fields,
    }


def test_create_from_the_back_office(client, make_staff, head_office, business_date):
    manager = make_staff("zhangwei", role="客户经理")
    client.force_login(manager)

    response = client.post(ADD, _form(head_office, manager))

    assert response.status_code == 302, response.content.decode()[-3000:]
    customer = Customer.objects.get()
    assert customer.number == "KH20261128-0001" and customer.id_number == "11010519491231002X"
    assert customer.contacts.get().name == "李四"
    assert audit.events_for(customer.contacts.get()).filter(action="create").exists()


def test_wrong_check_digit_and_duplicates_are_explained(client, make_staff, head_office):
    manager = make_staff("zhangwei", role="客户经理")
    client.force_login(manager)
    client.post(ADD, _form(head_office, manager))
    first = Customer.objects.get()

    wrong = client.post(ADD, _form(head_office, manager, name="王五", id_number="110105194912310021", phone=""))
    duplicate = client.post(ADD, _form(head_office, manager, name="王五", id_number="", phone="138-1234-5678"))

    assert "校验位" in wrong.content.decode()
    page = duplicate.content.decode()
    assert "该手机号已登记为客户" in page and first.number in page
    assert f"/admin/customers/customer/{first.pk}/change/" in page
    assert Customer.objects.count() == 1


def test_edit_keeps_masked_values_unless_retyped(client, make_staff, head_office):
    manager = make_staff("zhangwei", role="客户经理")
    client.force_login(manager)
    client.post(ADD, _form(head_office, manager))
    customer = Customer.objects.get()
    change = reverse("admin:customers_customer_change", args=[customer.pk])

    page = client.get(change).content.decode()
    data = _form(head_office, manager, id_number="", phone="", employer="华信科技",
                 **{"contacts-TOTAL_FORMS": "0"})
    client.post(change, data)

    assert "110105********002X" in page and "11010519491231002X" not in page
    customer.refresh_from_db()
    assert customer.id_number == "11010519491231002X" and customer.phone == "13812345678"
    assert customer.employer == "华信科技"


def test_export_from_the_list_keeps_the_filters(client, make_staff, head_office):
    from io import BytesIO

    from openpyxl import load_workbook

    manager = make_staff("zhangwei", role="客户经理")
    client.force_login(manager)
    client.post(ADD, _form(head_office, manager))
    client.post(ADD, _form(head_office, manager, name="李四", id_number="", phone="13900002222"))

    response = client.get(reverse("admin:customers_customer_export_excel") + "?q=ls")
    rows = list(load_workbook(BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))

    assert response.status_code == 200
    names = [cell for row in rows for cell in row if cell in ("张三", "李四")]
    assert names == ["李四"]
    assert any("139****2222" in str(cell) for row in rows for cell in row)
