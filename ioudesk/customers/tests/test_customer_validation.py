"""One validation for every way a customer is written (defects 9 and 23 of issue 9): the service
refuses bad amounts, dates out of range, over-long text and an owner who cannot see the branch,
and the back-office form, the API and the Excel import all answer with its message."""

from datetime import date

import pytest

from ioudesk.core.errors import ValidationFailed
from ioudesk.customers.models import Customer, CustomerKind
from ioudesk.customers.services import customer_create, customer_update, customer_validate


def _person(branch, **fields):
    return Customer(branch=branch, **{"kind": CustomerKind.INDIVIDUAL, "name": "张三", **fields})


def _refused(customer, user=None) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        customer_validate(customer=customer, user=user)
    return {d["field"]: d["message"] for d in caught.value.extra["details"]}


@pytest.mark.parametrize("fields, field, words", [
    ({"monthly_income": "-100"}, "monthly_income", "月收入（元）不能为负数"),
    ({"kind": CustomerKind.COMPANY, "registered_capital": "-1"}, "registered_capital", "注册资本（元）不能为负数"),
    ({"acquired_on": date(2099, 1, 1)}, "acquired_on", "晚于营业日 2026-11-28"),
    ({"acquired_on": date(1800, 1, 1)}, "acquired_on", "早于 1990-01-01"),
    ({"address": "街" * 100_000}, "address", "地址不能超过 200 个字"),
    ({"notes": "备" * 100_000}, "notes", "备注不能超过 2000 个字"),
    ({"name": "名" * 101}, "name", "姓名/名称不能超过 100 个字"),
    ({"bank_account": "6222-abc"}, "bank_account", "银行账号应为 6 到 32 位数字"),
    ({"category": None}, "category", "请填写客户分类"),
    ({"risk_grade": "Z"}, "risk_grade", "风险等级“Z”不是可选值"),
])
def test_bad_values_are_refused_naming_the_field(head_office, manager, business_date, fields, field, words):
    problems = _refused(_person(head_office, **fields), manager)

    assert field in problems and words in problems[field], problems


def test_every_problem_of_a_record_is_reported_at_once(head_office, manager, business_date):
    problems = _refused(_person(head_office, monthly_income="-1", acquired_on=date(2100, 1, 1),
                                id_number="110105194912310021"), manager)

    assert set(problems) == {"monthly_income", "acquired_on", "id_number"}


def test_null_text_means_empty_and_bank_account_is_normalised(head_office, manager, business_date):
    customer = customer_create(customer=_person(head_office, address=None, employer=None, notes=None,
                                                bank_account="6222 0210-0112 3456"), user=manager)

    customer.refresh_from_db()
    assert (customer.address, customer.employer, customer.notes) == ("", "", "")
    assert customer.bank_account == "6222021001123456"


def test_the_owner_must_be_staff_who_can_see_the_customers_branch(head_office, make_branch, make_staff,
                                                                  business_date):
    east, west = make_branch("E1", "东城网点"), make_branch("W1", "西城网点")
    east_manager = make_staff("east", role="客户经理", branch=east)
    west_manager = make_staff("west", role="客户经理", branch=west)
    head_manager = make_staff("head", role="客户经理")  # the head office sees its sub-branches

    problems = _refused(_person(east, owner=west_manager), east_manager)
    customer = customer_create(customer=_person(east, owner=head_manager), user=east_manager)
    customer.owner = west_manager
    with pytest.raises(ValidationFailed, match="看不到该客户所在的网点"):
        customer_update(customer=customer, user=east_manager)

    assert "west 看不到该客户所在的网点" in problems["owner"]
    west_manager.is_active = False
    west_manager.save()
    assert "在职" in _refused(_person(west, owner=west_manager))["owner"]


def test_the_back_office_form_shows_the_services_message(client, head_office, make_staff, business_date):
    from django.contrib.auth.models import Group

    manager = make_staff("boss", role="客户经理")
    manager.groups.add(Group.objects.get(name="系统管理员"))
    client.force_login(manager)
    form = {"kind": "individual", "name": "张三", "branch": head_office.pk, "category": "normal", "risk_grade": "B",
            "monthly_income": "-100", "acquired_on": "2099-01-01",
            "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0"}

    page = client.post("/admin/customers/customer/add/", form)

    assert page.status_code == 200 and not Customer.objects.exists()
    text = page.content.decode()
    assert "月收入（元）不能为负数" in text and "建档日期 2099-01-01 晚于营业日" in text
    client.post("/admin/customers/customer/add/", {**form, "monthly_income": "8000", "acquired_on": "1800-01-01"})
    assert not Customer.objects.exists()


def test_the_import_refuses_with_the_same_messages(client, head_office, make_branch, make_staff, business_date,
                                                   tmp_path, monkeypatch):
    from ioudesk.customers import excel
    from ioudesk.customers.tests.test_customer_excel import person, upload, xlsx

    monkeypatch.setattr(excel.staging, "_staging_dir", lambda: tmp_path)
    west = make_branch("W1", "西城网点")
    make_staff("westie", role="客户经理", branch=west)
    client.force_login(make_staff("importer", role="系统管理员"))

    check = upload(client, xlsx([person(1, **{"月收入/注册资本（元）": "-1"}), person(2, 建档日期="1800-01-01"),
                                 person(3, 客户经理="westie"), person(4, 地址="街" * 201)])).context["check"]

    errors = {(e.row, e.column): e.reason for e in check.errors}
    assert errors[(2, "月收入/注册资本（元）")] == "月收入（元）不能为负数。"
    assert "早于 1990-01-01" in errors[(3, "建档日期")]
    assert "看不到该客户所在的网点" in errors[(4, "客户经理")]
    assert "地址不能超过 200 个字" in errors[(5, "地址")]
