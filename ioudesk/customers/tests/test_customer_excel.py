"""Customers to and from Excel: the import's dry run and its two confirmation modes, the template,
refused uploads, and the export (masked unless asked for in full by someone allowed, scoped,
audited).  Every file is a real .xlsx built with openpyxl."""

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from ioudesk.calc.idcheck import check_character
from ioudesk.core.errors import PermissionDenied
from ioudesk.core.models import AuditEvent
from ioudesk.customers import excel
from ioudesk.customers.models import Category, Customer, CustomerKind, SourceChannel, Tag
from ioudesk.customers.services import customer_create

IMPORT_URL = reverse("backoffice:customer_import")
TEMPLATE_URL = reverse("backoffice:customer_import_template")
EXISTING_PHONE = "13800000000"


def id_number(n: int) -> str:
    first17 = f"11010519800101{n:03d}"
    return first17 + check_character(first17)


def wrong_check_digit(number: str) -> str:
    return number[:17] + ("1" if number[17] != "1" else "2")


def person(n: int, **overrides) -> dict:
    return {"类型": "个人", "姓名/名称": f"客户{n:03d}", "手机号": f"139{n:08d}", "证件号": id_number(n),
            "分类": "普通客户", "风险等级": "B", **overrides}


def xlsx(rows: list[dict], headers=excel.IMPORT_COLUMNS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append([row.get(header) for header in headers])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, data: bytes, name="客户.xlsx"):
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, data)})


@pytest.fixture(autouse=True)
def staging_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(excel.staging, "_staging_dir", lambda: tmp_path)
    return tmp_path


@pytest.fixture
def manager(make_staff, business_date):
    return make_staff("zhangwei", role="客户经理")


@pytest.fixture
def existing(head_office, manager):
    return customer_create(customer=Customer(kind=CustomerKind.INDIVIDUAL, branch=head_office, name="王五",
                                             phone=EXISTING_PHONE), user=manager)


@pytest.fixture
def hundred_rows_three_bad(existing) -> bytes:
    """100 customers; Excel rows 12, 52 and 82 are wrong in one way each."""
    rows = [person(n) for n in range(1, 101)]
    rows[10]["证件号"] = wrong_check_digit(rows[10]["证件号"])  # Excel row 12
    rows[50]["手机号"] = EXISTING_PHONE  # row 52: already 王五's
    rows[80]["风险等级"] = "F"  # row 82
    return xlsx(rows)


def test_dry_run_reports_exactly_the_three_bad_rows_and_saves_nothing(client, manager, existing,
                                                                      hundred_rows_three_bad):
    client.force_login(manager)

    response = upload(client, hundred_rows_three_bad)

    check = response.context["check"]
    assert (len(check.rows), len(check.good), len(check.bad)) == (100, 97, 3)
    errors = [(e.row, e.column) for e in check.errors]
    assert errors == [(12, "证件号"), (52, "手机号"), (82, "风险等级")]
    reasons = {e.row: e.reason for e in check.errors}
    assert "校验位" in reasons[12]
    assert f"已登记为客户 {existing.number}（王五）" in reasons[52]
    assert "“F”不是有效的风险等级" in reasons[82]
    page = response.content.decode()
    assert "97 行可以导入" in page and "3 行有错误" in page and "尚未保存" in page
    assert Customer.objects.count() == 1
    assert not AuditEvent.objects.filter(verb="导入客户").exists()


def test_all_or_nothing_with_bad_rows_saves_nothing(client, manager, hundred_rows_three_bad):
    client.force_login(manager)
    token = upload(client, hundred_rows_three_bad).context["token"]

    response = client.post(IMPORT_URL, {"token": token, "mode": "all"})

    result = response.context["result"]
    assert result.refused and result.created == []
    assert sorted({e.row for e in result.skipped}) == [12, 52, 82]
    assert "没有导入任何客户" in response.content.decode()
    assert Customer.objects.count() == 1
    assert response.context["token"] not in ("", token)  # the file is kept for another try
    assert AuditEvent.objects.get(verb="导入客户").changes["created"] == 0


def test_good_rows_mode_saves_the_97_and_lists_the_3(client, manager, hundred_rows_three_bad):
    client.force_login(manager)
    token = upload(client, hundred_rows_three_bad).context["token"]

    response = client.post(IMPORT_URL, {"token": token, "mode": "good"})

    result = response.context["result"]
    assert len(result.created) == 97 and not result.refused
    assert sorted({e.row for e in result.skipped}) == [12, 52, 82]
    assert Customer.objects.count() == 98
    assert not Customer.objects.filter(name__in=["客户011", "客户051", "客户081"]).exists()
    page = response.content.decode()
    assert "已导入 97 位客户" in page and "3 行未导入" in page
    assert result.created[0].number in page and "KH20261128-0098" in page
    event = AuditEvent.objects.get(verb="导入客户")
    assert event.changes["created"] == 97 and event.changes["skipped_rows"] == [12, 52, 82]

    again = client.post(IMPORT_URL, {"token": token, "mode": "good"}, follow=True)  # reload / double click
    assert "已导入或已过期" in again.content.decode()
    assert Customer.objects.count() == 98


def test_all_or_nothing_imports_a_clean_file_with_every_column(client, manager, head_office, make_branch,
                                                               make_staff):
    east = make_branch("E1", "东城网点")
    owner = make_staff("lina", role="客户经理", branch=east)
    SourceChannel.objects.create(name="转介绍")
    vip, old = Tag.objects.create(name="VIP"), Tag.objects.create(name="老客户")
    rows = [
        person(1, 来源渠道="转介绍", 标签="VIP、老客户", 网点="E1", 客户经理="lina", 建档日期=datetime(2026, 3, 5),
               地址="北京市东城区", **{"工作单位/法定代表人": "示例公司", "月收入/注册资本（元）": 8000.5},
               婚姻状况="已婚", 开户银行="工商银行", 银行账号="6222021234567890123"),
        {"类型": "企业", "姓名/名称": "示例商贸有限公司", "证件号": "91110000600037341l", "分类": "重要客户",
         "风险等级": "A 低风险", "网点": "东城网点", "建档日期": "2026-11-28",
         "工作单位/法定代表人": "李四", "月收入/注册资本（元）": "1,000,000"},
    ]
    client.force_login(manager)
    token = upload(client, xlsx(rows)).context["token"]

    result = client.post(IMPORT_URL, {"token": token, "mode": "all"}).context["result"]

    assert len(result.created) == 2 and result.skipped == []
    individual = Customer.objects.get(name="客户001")
    assert (individual.branch, individual.owner, individual.source.name) == (east, owner, "转介绍")
    assert set(individual.tags.all()) == {vip, old}
    assert individual.acquired_on == date(2026, 3, 5) and individual.monthly_income == Decimal("8000.50")
    assert (individual.employer, individual.marital_status, individual.bank_account) == (
        "示例公司", "married", "6222021234567890123")
    assert individual.birth_date == date(1980, 1, 1) and individual.created_by == manager
    company = Customer.objects.get(kind=CustomerKind.COMPANY)
    assert (company.credit_code, company.category, company.risk_grade) == ("91110000600037341L", "important", "A")
    assert (company.legal_representative, company.registered_capital) == ("李四", Decimal("1000000.00"))
    assert company.acquired_on == date(2026, 11, 28) and company.branch == east and company.owner is None


def test_every_bad_value_is_named_with_its_column(client, manager):
    rows = [
        person(1, 类型="个体户", 分类="VIP客户"),
        person(2, 来源渠道="抖音", 标签="不存在的标签"),
        person(3, 网点="火星网点", 客户经理="nobody"),
        person(4, 建档日期="2026-12-01", **{"月收入/注册资本（元）": "12.345"}),
        person(5, **{"姓名/名称": "", "手机号": "12345"}),
        person(6, 证件号=11010519800101006, 银行账号="62220-abc"),
        {**person(7, 类型="企业", 婚姻状况="已婚"), "证件号": "91110000600037341A"},
    ]
    client.force_login(manager)

    check = upload(client, xlsx(rows)).context["check"]

    found = {(e.row, e.column): e.reason for e in check.errors}
    assert "应为：个人、企业" in found[(2, "类型")] and "应为：普通客户、重要客户、黑名单" in found[(2, "分类")]
    assert "来源渠道“抖音”不存在" in found[(3, "来源渠道")] and "标签“不存在的标签”不存在" in found[(3, "标签")]
    assert "网点“火星网点”不存在" in found[(4, "网点")] and "客户经理“nobody”不存在" in found[(4, "客户经理")]
    assert "晚于营业日" in found[(5, "建档日期")] and "最多两位小数" in found[(5, "月收入/注册资本（元）")]
    assert "请填写客户姓名" in found[(6, "姓名/名称")] and "手机号“12345”不正确" in found[(6, "手机号")]
    assert "文本格式" in found[(7, "证件号")] and "6 到 32 位数字" in found[(7, "银行账号")]
    assert "婚姻状况只适用于个人客户" in found[(8, "婚姻状况")] and "统一社会信用代码" in found[(8, "证件号")]
    assert check.good == [] and Customer.objects.count() == 0


def test_the_same_person_twice_in_the_file_is_refused_on_the_later_row(client, manager):
    rows = [person(1), person(2), person(3, 证件号=id_number(1)), person(4, 手机号="139-0000-0002")]
    client.force_login(manager)

    check = upload(client, xlsx(rows)).context["check"]

    assert [(e.row, e.column, e.reason) for e in check.errors] == [
        (4, "证件号", "与第 2 行的证件号重复。"), (5, "手机号", "与第 3 行的手机号重复。")]


def test_branches_outside_the_scope_cannot_be_named(client, make_branch, make_staff, business_date):
    east = make_branch("E1", "东城网点")
    make_branch("W1", "西城网点")  # exists, but not in the east manager's scope
    client.force_login(make_staff("east", role="客户经理", branch=east))

    check = upload(client, xlsx([person(1, 网点="W1"), person(2)])).context["check"]

    assert [(e.row, e.column) for e in check.errors] == [(2, "网点")]
    assert check.good[0].customer.branch == east


@pytest.mark.parametrize("name,content,reason", [
    ("客户.csv", "姓名/名称\n张三\n".encode(), "只能导入 .xlsx"),
    ("客户.xlsx", "姓名/名称,张三".encode(), "不是有效的 .xlsx"),
    ("客户.xlsx", b"MZ\x90\x00" + b"\x00" * 200, "不是有效的 .xlsx"),  # a program renamed
    ("客户.xlsx", b"PK\x03\x04broken zip", "无法读取该文件"),
])
def test_files_that_are_not_xlsx_are_refused(client, manager, staging_dir, name, content, reason):
    client.force_login(manager)

    response = upload(client, content, name=name)

    assert reason in response.content.decode()
    assert "check" not in response.context and list(staging_dir.iterdir()) == []


def test_files_without_a_header_or_too_many_rows_are_refused(client, manager, settings):
    client.force_login(manager)
    assert "没有找到列名行" in upload(client, xlsx([{"x": 1}], headers=["姓名", "电话"])).content.decode()
    assert "没有客户数据" in upload(client, xlsx([])).content.decode()
    settings.IOUDESK_IMPORT_MAX_ROWS = 5
    assert "文件超过 5 行客户" in upload(client, xlsx([person(n) for n in range(6)])).content.decode()


def test_a_file_over_10_mb_is_refused_before_it_is_read():
    with pytest.raises(excel.ImportFileError, match="不能超过 10 MB"):
        excel.check_upload(name="客户.xlsx", size=11 * 1024 * 1024, head=b"PK\x03\x04")


def test_a_token_of_another_user_or_a_path_is_not_found(client, manager, make_staff):
    client.force_login(manager)
    token = upload(client, xlsx([person(1)])).context["token"]
    client.force_login(make_staff("lina", role="客户经理"))

    stolen = client.post(IMPORT_URL, {"token": token, "mode": "good"}, follow=True)
    path = client.post(IMPORT_URL, {"token": "../../etc/passwd", "mode": "good"}, follow=True)

    assert "已过期" in stolen.content.decode() and "请选择导入方式" in path.content.decode()
    assert Customer.objects.count() == 0


def test_template_downloads_with_lists_and_reimports_when_filled(client, manager):
    SourceChannel.objects.create(name="转介绍")
    client.force_login(manager)

    response = client.get(TEMPLATE_URL)

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(BytesIO(response.content))
    assert workbook.sheetnames == ["客户", "可选值", "填写说明"]
    sheet = workbook["客户"]
    assert [c.value for c in sheet[1]] == excel.IMPORT_COLUMNS and sheet.max_row == 1
    lists = {dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert {'"个人,企业"', '"普通客户,重要客户,黑名单"', '"A,B,C,D,E"'} <= lists
    assert "'可选值'!$A$2:$A$2" in lists
    for n in (1, 2):
        sheet.append([person(n, 来源渠道="转介绍").get(h) for h in excel.IMPORT_COLUMNS])
    filled = BytesIO()
    workbook.save(filled)

    check = upload(client, filled.getvalue(), name="填好的模板.xlsx").context["check"]

    assert len(check.good) == 2 and check.errors == [] and check.ignored_columns == []


def test_import_needs_the_import_permission(client, make_staff, business_date):
    client.force_login(make_staff("shen", role="审批员"))

    assert client.get(IMPORT_URL).status_code == 403
    assert client.get(TEMPLATE_URL).status_code == 403


# --- export -----------------------------------------------------------------------------------

ID = "11010519491231002X"


def changelist_request(user, query="", referer=None):
    headers = {"HTTP_REFERER": referer} if referer else {}
    request = RequestFactory().get(reverse("admin:customers_customer_changelist") + query, **headers)
    request.user = user
    return request


def exported(response) -> list[list]:
    content = b"".join(response.streaming_content)
    return [list(row) for row in load_workbook(BytesIO(content)).active.iter_rows(values_only=True)]


@pytest.fixture
def two_customers(head_office, manager):
    tag = Tag.objects.create(name="VIP")
    zhang = customer_create(customer=Customer(
        kind=CustomerKind.INDIVIDUAL, branch=head_office, owner=manager, name="张三", phone="13812345678",
        id_number=ID, bank_account="6222021234567890123", category=Category.IMPORTANT, monthly_income="8000.50",
        acquired_on=date(2026, 11, 1)), user=manager, tags=[tag])
    company = customer_create(customer=Customer(
        kind=CustomerKind.COMPANY, branch=head_office, name="示例商贸有限公司", credit_code="91110000600037341L",
        legal_representative="李四"), user=manager)
    return zhang, company


def test_export_is_masked_by_default_filtered_and_audited(manager, two_customers):
    from ioudesk.backoffice.customer_excel import export_changelist

    admin = site._registry[Customer]
    response = export_changelist(admin, changelist_request(manager, "?category__exact=important"))

    rows = exported(response)
    assert rows[0] == excel.EXPORT_COLUMNS
    assert len(rows) == 2  # the filter kept only 张三
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["姓名/名称"], row["手机号"], row["证件号"], row["银行账号"]) == (
        "张三", "138****5678", "110105********002X", "6222 **** **** 0123")
    assert (row["类型"], row["分类"], row["标签"], row["网点"], row["客户经理"]) == (
        "个人", "重要客户", "VIP", "总部", "zhangwei")
    assert row["建档日期"] == datetime(2026, 11, 1) and row["月收入/注册资本（元）"] == 8000.5
    assert "13812345678" not in str(rows) and ID not in str(rows)
    event = AuditEvent.objects.get(action="download")
    assert event.verb == "导出客户" and event.changes == {"rows": 1, "full_sensitive_data": False}


def test_the_list_action_link_takes_the_filters_of_the_page_it_came_from(manager, two_customers):
    from ioudesk.backoffice.customer_excel import export_changelist

    list_url = "http://testserver" + reverse("admin:customers_customer_changelist") + "?kind__exact=company&p=2"
    response = export_changelist(site._registry[Customer], changelist_request(manager, referer=list_url))

    rows = exported(response)
    assert [r[2] for r in rows[1:]] == ["示例商贸有限公司"]
    assert rows[1][4] == "91110000600037341L" and rows[1][13] == "李四"


def test_full_data_only_when_asked_by_someone_allowed_and_audited_as_such(manager, make_staff, two_customers):
    full = excel.customers_export(user=manager, queryset=Customer.objects.filter(name="张三"), full=True)
    row = list(load_workbook(full.file).active.iter_rows(values_only=True))[1]
    assert row[3] == "13812345678" and row[4] == ID and row[18] == "6222021234567890123"
    assert AuditEvent.objects.get(action="download").verb == "导出客户（含完整敏感信息）"

    clerk = make_staff("clerk")
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_customer", "export_customer"]))
    clerk = type(clerk).objects.get(pk=clerk.pk)
    with pytest.raises(PermissionDenied):
        excel.customers_export(user=clerk, queryset=Customer.objects.all(), full=True)
    assert excel.customers_export(user=clerk, queryset=Customer.objects.all()).count == 2
    assert AuditEvent.objects.filter(action="download").count() == 2
    with pytest.raises(PermissionDenied):
        excel.customers_export(user=make_staff("shen", role="审批员"), queryset=Customer.objects.all())


def test_export_keeps_to_the_users_branches(make_branch, make_staff, business_date):
    east, west = make_branch("E1", "东城网点"), make_branch("W1", "西城网点")
    east_manager = make_staff("east", role="客户经理", branch=east)
    for branch, name in ((east, "东城客户"), (west, "西城客户")):
        customer_create(customer=Customer(branch=branch, name=name), user=make_staff(f"m{branch.code}",
                                                                                   role="客户经理", branch=branch))

    export = excel.customers_export(user=east_manager, queryset=Customer.objects.all())

    names = [row[2] for row in load_workbook(export.file).active.iter_rows(min_row=2, values_only=True)]
    assert names == ["东城客户"] and export.count == 1
