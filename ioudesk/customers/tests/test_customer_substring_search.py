"""Substring search (issue 9, defect 5): a given name or any part of a company name finds the
customer, in the list, in the 新建借据 customer box and in the API, on SQLite and PostgreSQL,
from the substring index (never a scan), kept in step with every write and never past the
data scope."""

import re
from io import BytesIO

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from ioudesk.customers import excel, search_index
from ioudesk.customers.models import Customer, CustomerKind
from ioudesk.customers.search import search_customers, terms
from ioudesk.customers.services import customer_create, customer_delete, customer_update


@pytest.fixture
def branch_a(make_branch):
    return make_branch("A", "东城网点")


@pytest.fixture
def branch_b(make_branch):
    return make_branch("B", "西城网点")


@pytest.fixture
def manager(make_staff, branch_a):
    return make_staff("manager_a", role="客户经理", branch=branch_a)


@pytest.fixture
def administrator(make_staff):
    return make_staff("sysadmin", role="系统管理员")


def person(branch, name, user, **fields):
    return customer_create(customer=Customer(kind=CustomerKind.INDIVIDUAL, branch=branch, name=name, **fields),
                           user=user)


def company(branch, name, user):
    return customer_create(customer=Customer(kind=CustomerKind.COMPANY, branch=branch, name=name), user=user)


@pytest.fixture
def customers(branch_a, branch_b, administrator, business_date):
    return {
        "wangjianguo": person(branch_a, "王建国", administrator),
        "wukong": person(branch_a, "测试用户孙悟空", administrator),
        "zhangsan": person(branch_a, "张三", administrator),
        "huaxin": company(branch_a, "北京华信科技有限公司", administrator),
        "abc": company(branch_a, "深圳市ＡＢＣ（中国）贸易有限公司", administrator),
        "other_jianguo": person(branch_b, "李建国", administrator),
        "other_company": company(branch_b, "上海华信物流有限公司", administrator),
    }


def names(user, query):
    return sorted(c.name for c in search_customers(user, query))


def test_a_given_name_finds_the_customer(manager, customers):
    assert names(manager, "建国") == ["王建国"]
    assert names(manager, "孙悟空") == ["测试用户孙悟空"]
    assert names(manager, "悟空") == ["测试用户孙悟空"]
    assert names(manager, "用户孙") == ["测试用户孙悟空"]


def test_any_part_of_a_company_name_finds_it(manager, customers):
    assert names(manager, "华信") == ["北京华信科技有限公司"]
    assert names(manager, "华信科技") == ["北京华信科技有限公司"]
    assert names(manager, "科技有限") == ["北京华信科技有限公司"]
    assert names(manager, "有限公司") == ["北京华信科技有限公司", "深圳市ＡＢＣ（中国）贸易有限公司"]
    assert names(manager, "公司") == ["北京华信科技有限公司", "深圳市ＡＢＣ（中国）贸易有限公司"]


def test_spaces_punctuation_width_and_case_do_not_matter(manager, customers):
    assert names(manager, "abc") == ["深圳市ＡＢＣ（中国）贸易有限公司"]  # also pinyin: letters are both
    assert names(manager, "ABC中国贸易") == ["深圳市ＡＢＣ（中国）贸易有限公司"]
    assert names(manager, "（中国）贸易") == ["深圳市ＡＢＣ（中国）贸易有限公司"]
    assert names(manager, "华信 科技") == ["北京华信科技有限公司"]


def test_the_characters_must_be_consecutive_and_in_order(manager, customers):
    assert names(manager, "华科") == []
    assert names(manager, "国建") == []
    assert names(manager, "信华") == []
    assert names(manager, "王建国国") == []


def test_one_character_is_still_the_beginning_of_the_name(manager, customers):
    assert names(manager, "张") == ["张三"]
    assert names(manager, "国") == []  # 王建国 ends with it: a single character is a surname search
    assert [t.kind for t in terms("国")] == ["name"]
    assert [t.kind for t in terms("建国")] == ["substring"]


def test_a_customer_of_another_branch_is_never_found(manager, administrator, customers):
    for query in ["建国", "华信", "有限公司", "华信物流", "李建国"]:
        found = {c.pk for c in search_customers(manager, query)}
        assert customers["other_jianguo"].pk not in found, query
        assert customers["other_company"].pk not in found, query
    assert names(administrator, "建国") == ["李建国", "王建国"]
    assert names(administrator, "华信") == ["上海华信物流有限公司", "北京华信科技有限公司"]
    assert names(manager, "华信物流") == []


def test_the_index_follows_renames_and_deletes(manager, administrator, customers):
    wukong = Customer.objects.get(pk=customers["wukong"].pk)
    wukong.name = "猪八戒"
    customer_update(customer=wukong, user=administrator)
    assert names(manager, "悟空") == []
    assert names(manager, "八戒") == ["猪八戒"]

    customer_delete(customer=Customer.objects.get(pk=customers["zhangsan"].pk))
    assert names(manager, "张三") == []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {search_index.FTS} WHERE rowid = %s", [customers["zhangsan"].pk])
            assert cursor.fetchone() == (0,)


def test_the_index_is_installed(db):
    assert search_index.missing(connection) == []


def test_the_migration_backfills_customers_saved_before_it(manager, customers):
    Customer.objects.update(name_bigrams="")  # as the rows were before the column existed
    assert names(manager, "建国") == []

    search_index.backfill(django_apps, None)

    assert names(manager, "建国") == ["王建国"]
    assert Customer.objects.get(pk=customers["huaxin"].pk).name_bigrams == "北京 京华 华信 信科 科技 技有 有限 限公 公司"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite FTS table")
def test_install_puts_back_lost_triggers_and_refills_the_table(manager, customers):
    search_index.uninstall(connection=connection)
    assert set(search_index.missing(connection)) == set(search_index.expected("sqlite"))

    search_index.install(connection=connection)

    assert search_index.missing(connection) == []
    assert names(manager, "建国") == ["王建国"]


def test_customers_from_the_excel_import_are_found(manager, customers, administrator):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(excel.IMPORT_COLUMNS))
    for name in ["赵建国", "杭州恒达建材经营部"]:
        row = {excel.columns.KIND: "个人" if len(name) == 3 else "企业", excel.columns.NAME: name,
               excel.columns.CATEGORY: "普通客户", excel.columns.GRADE: "B", excel.columns.BRANCH: "A"}
        sheet.append([row.get(header) for header in excel.IMPORT_COLUMNS])
    buffer = BytesIO()
    workbook.save(buffer)
    buffer.seek(0)

    result = excel.importing.customers_import(user=administrator, file=buffer, mode="good")

    assert len(result.created) == 2, [(e.row, e.column, e.reason) for e in result.skipped]
    assert names(manager, "建国") == ["王建国", "赵建国"]
    assert names(manager, "恒达建材") == ["杭州恒达建材经营部"]


def test_the_customer_list_finds_a_given_name(client, manager, customers):
    client.force_login(manager)

    response = client.get("/admin/customers/customer/", {"q": "建国"})

    assert response.status_code == 200
    assert {c.pk for c in response.context["cl"].result_list} == {customers["wangjianguo"].pk}


def test_the_iou_customer_box_finds_a_given_name_and_a_company_part(client, manager, customers):
    client.force_login(manager)
    url = reverse("backoffice:iou_customer_search")

    for term, expected in [("建国", customers["wangjianguo"]), ("孙悟空", customers["wukong"]),
                           ("华信科技", customers["huaxin"])]:
        response = client.get(url, {"term": term})
        assert response.status_code == 200
        assert [row["id"] for row in response.json()["results"]] == [str(expected.pk)], term
    assert client.get(url, {"term": "华信物流"}).json()["results"] == []  # another branch's


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite query plans")
@pytest.mark.parametrize("who", ["manager", "administrator"])
def test_a_substring_query_is_answered_from_the_fts_index(request, customers, who):
    user = request.getfixturevalue(who)
    searched = search_customers(user, "建国", Customer.objects.select_related("branch", "owner", "source"))
    with CaptureQueriesContext(connection) as captured:
        searched.count(), list(searched.order_by("-pk")[:50])
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
            plan = "\n".join(row[-1] for row in cursor.fetchall())
            assert not re.search(r"SCAN customers_customer\b", plan), plan
            assert f"SCAN {search_index.FTS} VIRTUAL TABLE INDEX 0:M" in plan, plan
