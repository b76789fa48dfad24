"""The one-box customer search: every kind of query, normalisation, data scope, the admin list,
and that every kind is answered from an index on SQLite (EXPLAIN QUERY PLAN)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ioudesk.calc.idcheck import check_character
from ioudesk.customers.models import Customer, CustomerKind
from ioudesk.customers.search import search_customers, terms
from ioudesk.customers.services import customer_create

ID_ZHANGSAN = "11010519491231002X"


def valid_id(first17: str) -> str:
    return first17 + check_character(first17)


ID_SANFENG = valid_id("44030519800101001")
ID_LISI = valid_id("31011519900615123")
ID_OTHER_BRANCH = valid_id("51010719751111456")
CREDIT_CODE = "91350100M000100Y43"


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


@pytest.fixture
def customers(branch_a, branch_b, administrator, business_date):
    def person(branch, name, phone, id_number):
        return customer_create(customer=Customer(kind=CustomerKind.INDIVIDUAL, branch=branch, name=name, phone=phone,
                                                 id_number=id_number), user=administrator)

    company = customer_create(customer=Customer(kind=CustomerKind.COMPANY, branch=branch_a, name="北京华信科技有限公司",
                                                phone="010-62345678", credit_code=CREDIT_CODE), user=administrator)
    return {
        "zhangsan": person(branch_a, "张三", "13812345678", ID_ZHANGSAN),
        "sanfeng": person(branch_a, "张三丰", "13900001111", ID_SANFENG),
        "lisi": person(branch_a, "李四", "13700002222", ID_LISI),
        "company": company,
        "other_branch": person(branch_b, "张三", "13600003333", ID_OTHER_BRANCH),
    }


def names(user, query):
    return sorted(c.name for c in search_customers(user, query))


def found(user, query):
    return set(search_customers(user, query).values_list("pk", flat=True))


# --- every kind of query ------------------------------------------------------------------------


def test_chinese_name_anywhere_in_the_name(manager, customers):
    assert names(manager, "张三") == ["张三", "张三丰"]
    assert names(manager, "张三丰") == ["张三丰"]
    assert names(manager, " 张 ") == ["张三", "张三丰"]  # one character: the beginning (a surname)
    assert names(manager, "北京华信") == ["北京华信科技有限公司"]
    assert names(manager, "三丰") == ["张三丰"]  # inside a name: the substring index (defect 5)
    assert names(manager, "科技") == ["北京华信科技有限公司"]


@pytest.mark.parametrize("query", ["zhangsan", "ZhangSan", "zhang san", "zhang", "ｚｈａｎｇ"])
def test_full_pinyin_prefix(manager, customers, query):
    assert names(manager, query) == ["张三", "张三丰"]


def test_pinyin_initials(manager, customers):
    assert names(manager, "zs") == ["张三", "张三丰"]
    assert names(manager, "ZSF") == ["张三丰"]
    assert names(manager, "ls") == ["李四"]
    assert names(manager, "bjhx") == ["北京华信科技有限公司"]
    assert names(manager, "beijing") == ["北京华信科技有限公司"]


@pytest.mark.parametrize("query", ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678",
                                   "１３８１２３４５６７８", "  13812345678  "])
def test_full_phone_number(manager, customers, query):
    assert found(manager, query) == {customers["zhangsan"].pk}


def test_landline_with_area_code(manager, customers):
    assert found(manager, "010-6234 5678") == {customers["company"].pk}


def test_a_partial_phone_number_finds_nothing_rather_than_guessing(manager, customers):
    assert found(manager, "1381234") == set()


def test_last_four_of_phone_or_id_number(manager, customers):
    assert found(manager, "5678") == {customers["zhangsan"].pk, customers["company"].pk}  # phone, landline
    assert found(manager, "002X") == {customers["zhangsan"].pk}
    assert found(manager, "002x") == {customers["zhangsan"].pk}
    assert found(manager, "００２ｘ") == {customers["zhangsan"].pk}
    assert found(manager, ID_SANFENG[-4:]) == {customers["sanfeng"].pk}
    assert found(manager, "2222") == {customers["lisi"].pk}


@pytest.mark.parametrize("query", [ID_ZHANGSAN, ID_ZHANGSAN.lower(), "110105 19491231 002x", "１１０１０５１９４９１２３１００２Ｘ"])
def test_full_id_number(manager, customers, query):
    assert found(manager, query) == {customers["zhangsan"].pk}


def test_id_number_with_a_wrong_check_digit_finds_nothing(manager, customers):
    assert found(manager, ID_ZHANGSAN[:17] + "1") == set()


@pytest.mark.parametrize("query", [CREDIT_CODE, CREDIT_CODE.lower(), "9135 0100-M000 100Y43"])
def test_credit_code(manager, customers, query):
    assert found(manager, query) == {customers["company"].pk}


def test_customer_number_whole_or_beginning(manager, customers):
    zhangsan = customers["zhangsan"]
    assert zhangsan.number == "KH20261128-0002"
    assert found(manager, "KH20261128-0002") == {zhangsan.pk}
    assert found(manager, "kh20261128-0002") == {zhangsan.pk}
    assert found(manager, "KH202611280002") == {zhangsan.pk}  # typed without the dash
    assert found(manager, "ＫＨ２０２６１１２８－０００２") == {zhangsan.pk}
    assert found(manager, "KH20261128-") == {c.pk for k, c in customers.items() if k != "other_branch"}
    assert found(manager, "KH2026") == found(manager, "KH20261128")
    assert found(manager, "KH2025") == set()


def test_empty_query_is_the_whole_scoped_list(manager, customers):
    assert found(manager, "") == found(manager, "   ") == {c.pk for k, c in customers.items() if k != "other_branch"}
    assert found(manager, None) == found(manager, "")


def test_the_query_is_classified_by_shape():
    kinds = {query: [t.kind for t in terms(query)] for query in [
        "13812345678", "02162345678", ID_ZHANGSAN, CREDIT_CODE, "1234", "002X", "KH20261128-0001", "zs", "张三",
        "58同城", "12345", "张", "",
    ]}
    assert kinds == {
        "13812345678": ["phone"], "02162345678": ["phone"], ID_ZHANGSAN: ["id_number"], CREDIT_CODE: ["credit_code"],
        "1234": ["last4", "last4"], "002X": ["last4", "last4"], "KH20261128-0001": ["number"],
        "zs": ["pinyin", "initials", "substring"], "张三": ["substring"], "58同城": ["substring"],
        "12345": ["substring"], "张": ["name"], "": [],
    }
    number = terms("KH20261128-0001")[0]
    assert not number.prefix and terms("KH20261128-00")[0].prefix
    assert [t.kind for t in terms(ID_ZHANGSAN[:17] + "1")] == ["substring"]  # neither check character fits


# --- data scope -------------------------------------------------------------------------------


def test_a_customer_of_another_branch_never_appears(manager, administrator, customers):
    other = customers["other_branch"]
    for query in ["张三", "zhangsan", "zs", "13600003333", ID_OTHER_BRANCH, ID_OTHER_BRANCH[-4:], other.number, ""]:
        assert other.pk not in found(manager, query), query
        assert other.pk in found(administrator, query), query


def test_scope_applies_to_a_queryset_that_is_passed_in(manager, customers):
    everyone = Customer.objects.all()
    assert customers["other_branch"].pk not in set(search_customers(manager, "zs", everyone).values_list("pk", flat=True))
    only_sanfeng = Customer.objects.filter(name="张三丰")
    assert list(search_customers(manager, "zs", only_sanfeng)) == [customers["sanfeng"]]


def test_admin_list_finds_zhangsan_by_initials(client, manager, customers):
    client.force_login(manager)

    response = client.get("/admin/customers/customer/", {"q": "zs"})

    assert response.status_code == 200
    shown = {c.pk for c in response.context["cl"].result_list}
    assert shown == {customers["zhangsan"].pk, customers["sanfeng"].pk}
    assert customers["zhangsan"].number in response.content.decode()


# --- index use on SQLite ----------------------------------------------------------------------

QUERIES = {
    "name": ("张", ["name"]),  # two characters or more: the substring index (test_customer_substring_search)
    "pinyin": ("zhangsan", ["name_pinyin", "name_initials"]),
    "initials": ("zs", ["name_pinyin", "name_initials"]),
    "phone": ("138 1234 5678", ["phone_index"]),
    "last4": ("002x", ["phone_last4", "id_last4"]),
    "id_number": (ID_ZHANGSAN, ["id_number_index"]),
    "credit_code": (CREDIT_CODE, ["credit_code"]),
    "number": ("KH20261128-0002", ["number"]),
    "number prefix": ("KH20261128-", ["number"]),
}


def _plans(evaluate) -> list[str]:
    """EXPLAIN QUERY PLAN of every query on the customer table that ``evaluate()`` runs."""
    with CaptureQueriesContext(connection) as captured:
        evaluate()
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            if 'FROM "customers_customer"' in query["sql"]:
                cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
                plans.append("\n".join(row[-1] for row in cursor.fetchall()))
    return plans


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite query plans")
@pytest.mark.parametrize("kind", list(QUERIES))
@pytest.mark.parametrize("who", ["manager", "administrator"])
def test_every_kind_of_query_uses_its_index(request, customers, kind, who):
    """As the list evaluates it (count, then a page newest first) and without ANALYZE statistics,
    which a fresh database does not have: the planner must still pick the search column's index,
    not the branch index of the data scope nor a scan."""
    user = request.getfixturevalue(who)
    query, columns = QUERIES[kind]
    uses_index = re.compile(r"SEARCH \w+ USING (COVERING )?INDEX \w+ \((" + "|".join(columns) + r")[=<>]")
    searched = search_customers(user, query, Customer.objects.select_related("branch", "owner", "source"))

    plans = _plans(lambda: (searched.count(), list(searched.order_by("-pk")[:50]), list(searched[:50])))

    assert len(plans) == 3
    for plan in plans:
        assert not re.search(r"SCAN customers_customer\b", plan), plan  # the FTS table (…_name_fts) is no scan
        assert uses_index.search(plan), f"{kind}: expected an index on {columns}\n{plan}"
