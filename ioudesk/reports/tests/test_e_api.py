"""E: /api/v1/reports — the list, one report as JSON with the page's filters and figures, errors (400 naming
the field, 403, 404), the .xlsx/PDF download — against the dummy reports of test_e_pages."""

from __future__ import annotations

import json
import re
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from ioudesk.api.services import api_token_issue
from ioudesk.core import roles
from ioudesk.reports import registry
from ioudesk.reports.registry import ReportOption, ReportSpec
from ioudesk.reports.tests.test_e_pages import DETAIL, DUMMY, detail_run, dummy_run

pytestmark = [pytest.mark.django_db, pytest.mark.urls("ioudesk.reports.tests.urls_e")]


@pytest.fixture
def reports_registered():
    registry.register_report(ReportSpec(code=DUMMY, title="示例报表", group="quality", run=dummy_run,
                                        filters=("as_of", "branch", "product", "classification"),
                                        description="按网点汇总的示例。", order=1))
    registry.register_report(ReportSpec(code=DETAIL, title="示例明细", group="quality", run=detail_run,
                                        filters=("as_of",), paginated=True, order=2))
    registry.register_options(DUMMY, ReportOption("dimension", "汇总维度", (("branch", "网点"), ("product", "产品"))))
    yield
    for code in (DUMMY, DETAIL):
        registry.unregister_report(code)
        registry.OPTIONS.pop(code, None)


@pytest.fixture
def call(client):
    def call_as(user, path, **query):
        _, token = api_token_issue(user=user, name="测试")
        return client.get(f"/api/v1/reports{path}", query, HTTP_AUTHORIZATION=f"Bearer {token}")

    return call_as


def test_the_list_names_each_report_with_its_filters_and_options(call, reports_registered, finance):
    response = call(finance, "")
    assert response.status_code == 200
    item = next(r for r in response.json() if r["code"] == DUMMY)
    assert item == {"code": DUMMY, "title": "示例报表", "group": "quality", "group_label": "资产质量",
                    "description": "按网点汇总的示例。", "filters": ["as_of", "branch", "product", "classification"],
                    "options": [{"key": "dimension", "label": "汇总维度", "choices": [
                        {"value": "branch", "label": "网点"}, {"value": "product", "label": "产品"}]}],
                    "paginated": False}


def test_the_json_has_the_figures_the_page_shows(call, client, reports_registered, finance, business_date):
    body = call(finance, f"/{DUMMY}", branch=str(finance.branch_id), dimension="product").json()
    assert body["params"] == {"as_of": "2026-11-28", "branch": finance.branch_id, "dimension": "product"}
    table = body["tables"][0]
    assert table["rows"][0] == {"branch": "总部", "count": 2, "balance": "15000.00", "rate": "0.1200", "share": "60.00",
                                "opened": "2026-01-15"}
    assert table["totals"] == {"count": 3, "balance": "25000.00", "share": "100.00"}
    assert table["links"][0]["count"].startswith("/admin/ious/iou/?")
    assert body["figures"][0] == {"label": "贷款余额", "value": "25000.00", "kind": "money",
                                  "link": f"/admin/ious/iou/?branch_tree={finance.branch_id}&live=1"}
    assert body["charts"][0]["series"][0]["values"] == ["15000.00", "10000.00"]
    # the page, same filters: the same figures, formatted
    client.force_login(finance)
    html = client.get(reverse("backoffice:report", args=[DUMMY]),
                      {"branch": finance.branch_id, "dimension": "product"}).content.decode()
    cards = re.findall(r'<div class="rp-value">(?:<a[^>]*>)?([^<]+)', html)
    assert cards == ["¥25,000.00", "3"]  # 25000.00 and 3 of the JSON
    totals = html.split('data-testid="report-totals"', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r">([^<>]+)</td>", totals) == ["合计", "3", "25,000.00", "100.00%"]


def test_a_paginated_report_gives_its_page_and_total(call, reports_registered, finance, business_date):
    body = call(finance, f"/{DETAIL}", page="3").json()
    assert body["rows_total"] == 120 and body["page"] == 3 and body["page_size"] == 50
    assert [r["number"] for r in body["tables"][0]["rows"]] == [f"JD{i:05d}" for i in range(100, 120)]


@pytest.mark.parametrize(("query", "field", "words"), [
    ({"as_of": "2026-02-30"}, "as_of", "数据日期应为日期"),
    ({"as_of": "2026-11-29"}, "as_of", "数据日期不能晚于营业日"),
    ({"branch": "abc"}, "branch", "网点无效"),
    ({"product": "987654"}, "product", "所选产品不存在"),
    ({"dimension": "colour"}, "dimension", "汇总维度无效"),
    ({"page": "99999999999999999999999"}, "page", "页码不能超过"),
])
def test_a_bad_filter_is_a_400_naming_the_field(call, reports_registered, finance, business_date, query, field, words):
    response = call(finance, f"/{DUMMY}", **query)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_failed" and words in body["message"]
    assert field in {d["field"] for d in body["details"]}


def test_unknown_report_404_and_no_permission_403(call, reports_registered, make_staff):
    collector = make_staff("e-collector", role=roles.COLLECTOR)  # 催收员: no report permission
    manager = make_staff("e-manager", role=roles.ACCOUNT_MANAGER)
    assert call(manager, "/no-such-report").status_code == 404
    assert call(collector, f"/{DUMMY}").status_code == 403
    assert call(collector, "").status_code == 403


def test_export_needs_the_export_permission(call, reports_registered, finance, make_staff, business_date):
    auditor = make_staff("e-auditor", role=roles.AUDITOR)
    assert call(auditor, f"/{DUMMY}/export", format="xlsx").status_code == 403
    response = call(finance, f"/{DETAIL}/export", format="xlsx")
    assert response.status_code == 200
    rows = [r for r in load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True)
            if isinstance(r[0], str) and r[0].startswith("JD")]
    assert len(rows) == 120  # every row, not the first page
    assert call(finance, f"/{DUMMY}/export", format="pdf").content.startswith(b"%PDF")


def test_the_schema_documents_the_reports_operations(client, admin_user_zh):
    client.force_login(admin_user_zh)
    schema = json.loads(client.get("/api/v1/openapi.json").content)
    paths = {path for path in schema["paths"] if path.startswith("/api/v1/reports")}
    assert paths == {"/api/v1/reports", "/api/v1/reports/{code}", "/api/v1/reports/{code}/export"}
    for path in paths:
        assert {"400", "401", "403", "404", "422"} <= set(schema["paths"][path]["get"]["responses"])


def test_stored_params_read_back_the_same(reports_registered, finance, business_date):
    """What 报告管理 keeps (ReportParams.to_json: the form's names, branch and dimension) parses back to the same parameters."""
    from ioudesk.reports.running import report_params, spec_get

    spec = spec_get(DUMMY, finance)
    params = report_params(spec, {"branch": str(finance.branch_id), "dimension": "product", "as_of": "2026-11-20"},
                           finance)
    stored = json.loads(json.dumps(params.to_json()))
    assert stored == {"as_of": "2026-11-20", "branch": finance.branch_id, "dimension": "product"}
    assert report_params(spec, stored, finance) == params


def test_parameters_stored_the_old_way_are_rewritten_by_the_migration():
    """0004: branch_id and a nested extra (what an earlier to_json wrote) become the parser's names."""
    import importlib

    migration = importlib.import_module("ioudesk.reports.migrations.0004_params_form_names")
    assert migration.form_names({"as_of": "2026-11-20", "branch_id": 3, "extra": {"dimension": "product"}}) == {
        "as_of": "2026-11-20", "branch": 3, "dimension": "product"}
    assert migration.form_names({"as_of": "2026-11-20", "branch": 3}) is None  # already the parser's names
