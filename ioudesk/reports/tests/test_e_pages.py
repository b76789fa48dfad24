"""E: the report pages (报表中心 and one report), the filters and their errors, figures, totals, drill-down,
pages of a detail list, .xlsx and PDF, print, actions — against two dummy reports registered here whose
figures are written out below — and every registered report rendered for every role that may see it."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal as D
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from ioudesk.core import roles
from ioudesk.core.errors import InvalidState
from ioudesk.core.models import AuditEvent
from ioudesk.reports import registry
from ioudesk.reports.links import iou_list_url
from ioudesk.reports.registry import (
    Chart,
    Column,
    Figure,
    ReportAction,
    ReportOption,
    ReportResult,
    ReportSpec,
    Table,
)
from tests.test_pages_by_role import LATIN, TOKENS
from tests.test_translations import visible_text

pytestmark = [pytest.mark.django_db, pytest.mark.urls("ioudesk.reports.tests.urls_e")]

DUMMY, DETAIL = "e-dummy", "e-detail"
DETAIL_ROWS = 120
CALLS: list[tuple] = []


def dummy_run(params, user):
    """Two branches: 总部 2 IOUs ¥15,000.00, 东城支行 1 IOU ¥10,000.00; total 3 and ¥25,000.00;
    shares 15,000 / 25,000 = 60.00 % and 40.00 %."""
    CALLS.append(("dummy", params))
    rows = [
        {"branch": "总部", "count": 2, "balance": D("15000.00"), "rate": D("0.1200"), "share": D("60.00"),
         "opened": date(2026, 1, 15), "_links": {"count": iou_list_url(params, live=1, branch__id__exact=1)}},
        {"branch": "东城支行", "count": 1, "balance": D("10000.00"), "rate": D("0.0950"), "share": D("40.00"),
         "opened": date(2026, 3, 2), "_links": {"count": iou_list_url(params, live=1, branch__id__exact=2)}},
    ]
    columns = [Column("branch", "网点"), Column("count", "笔数", "int", True), Column("balance", "贷款余额", "money", True),
               Column("rate", "加权利率", "rate"), Column("share", "占比", "percent"), Column("opened", "首笔放款日", "date")]
    return ReportResult(
        title="示例报表", as_of=params.as_of,
        tables=[Table(columns=columns, rows=rows, totals={"count": 3, "balance": D("25000.00"), "share": D("100.00")})],
        figures=[Figure("贷款余额", D("25000.00"), "money", iou_list_url(params, live=1)), Figure("笔数", 3, "int")],
        chart=Chart("bar", ["总部", "东城支行"], [("贷款余额", [D("15000.00"), D("10000.00")])], title="按网点"),
        notes=[f"汇总维度：{ {'branch': '网点', 'product': '产品'}[params.extra['dimension']]}"])


def detail_run(params, user):
    """120 rows JD00000 … JD00119, amount i + 0.50: all rows sum to 0 + 1 + … + 119 = 7,140 plus
    120 × 0.50 = 60, so ¥7,200.00."""
    from ioudesk.reports.running import page_size

    size = page_size(params)
    start = (params.page - 1) * size
    CALLS.append(("detail", params.page, size))
    rows = [{"number": f"JD{i:05d}", "amount": D(i) + D("0.50")} for i in range(start, min(start + size, DETAIL_ROWS))]
    return ReportResult(title="示例明细", as_of=params.as_of, rows_total=DETAIL_ROWS,
                        tables=[Table(columns=[Column("number", "借据编号"), Column("amount", "金额", "money", True)],
                                      rows=rows, totals={"amount": D("7200.00")})])


@pytest.fixture
def dummies():
    registry.register_report(ReportSpec(code=DUMMY, title="示例报表", group="quality", run=dummy_run,
                                        filters=("as_of", "branch", "product", "classification"),
                                        description="按网点汇总的示例。", order=1))
    registry.register_report(ReportSpec(code=DETAIL, title="示例明细", group="quality", run=detail_run,
                                        filters=("as_of",), paginated=True, landscape=True, order=2))
    registry.register_options(DUMMY, ReportOption("dimension", "汇总维度", (("branch", "网点"), ("product", "产品"))))
    CALLS.clear()
    yield
    for code in (DUMMY, DETAIL):
        registry.unregister_report(code)
        registry.OPTIONS.pop(code, None)
        registry.ACTIONS.pop(code, None)
        registry.EXPORT_ROWS.pop(code, None)


@pytest.fixture
def staff(make_staff):
    """One user per role, signed in by the test as needed."""
    return {role: make_staff(f"e-{index}", role=role) for index, role in enumerate(roles.ROLES)}


def page(code):
    return reverse("backoffice:report", args=[code])


def english(html: str) -> list[str]:
    at = html.find('id="main"')
    main = html[html.rfind("<", 0, at):] if at >= 0 else html  # after the sidebar (checked by its own test)
    return [w for w in LATIN.findall(visible_text(main)) if w.lower() not in TOKENS and not w.startswith("JD")]


def test_index_lists_the_reports_by_group_with_descriptions(client, dummies, finance):
    client.force_login(finance)
    response = client.get(reverse("backoffice:reports_index"))
    assert response.status_code == 200
    html = response.content.decode()
    quality = html.split('data-testid="report-group-quality"', 1)[1].split("</ul>", 1)[0]
    assert "示例报表" in quality and "按网点汇总的示例。" in quality and page(DUMMY) in quality
    assert "示例明细" in quality


def test_the_page_shows_figures_totals_chart_and_drilldown(client, dummies, finance, business_date):
    client.force_login(finance)
    response = client.get(page(DUMMY), {"branch": finance.branch_id, "dimension": "product"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "¥25,000.00" in html  # the figure
    totals = html.split('data-testid="report-totals"', 1)[1].split("</tr>", 1)[0]
    assert "25,000.00" in totals and ">3<" in totals and "100.00%" in totals and "合计" in totals
    assert "12.00%" in html and "9.50%" in html and "60.00%" in html and "2026-01-15" in html
    # drill-down: the IOU list with the report's branch (and its sub-branches) plus the row's branch exactly
    assert "/admin/ious/iou/?live=1&amp;branch__id__exact=1" in html
    assert f"branch_tree={finance.branch_id}&amp;live=1" in html
    assert "unfold/components/chart" not in html and "按网点" in html  # the chart card drawn
    assert "汇总维度：产品" in html  # the option reached the report
    assert CALLS[-1][1].as_of == date(2026, 11, 28)
    # the form shows what the report used: the chosen branch and option, the default data date
    assert f'<option value="{finance.branch_id}" selected>' in html and '<option value="product" selected>' in html
    assert 'name="as_of" value="2026-11-28"' in html
    assert english(html) == []


def test_a_bad_filter_is_named_in_chinese_on_the_page(client, dummies, finance, business_date):
    client.force_login(finance)
    response = client.get(page(DUMMY), {"as_of": "2026-13-45", "dimension": "colour"})
    assert response.status_code == 200
    html = response.content.decode()
    error = html.split('data-testid="report-error"', 1)[1].split("</div>", 1)[0]
    assert "数据日期应为日期" in error and "汇总维度无效" in error
    assert "data-testid=\"report-table\"" not in html and CALLS == []
    assert english(html) == []
    # a day after the business date, and a branch that does not exist
    html = client.get(page(DUMMY), {"as_of": "2026-12-01", "branch": "999999"}).content.decode()
    assert "数据日期不能晚于营业日 2026-11-28" in html and "所选网点不存在或不在您的权限范围内" in html


def test_unknown_report_is_404_and_a_report_without_permission_is_403(client, dummies, staff):
    client.force_login(staff[roles.FINANCE])
    assert client.get(page("no-such-report")).status_code == 404
    registry.register_report(ReportSpec(code="e-secret", title="监管", group="regulatory", run=dummy_run,
                                        permission="reports.no_such_permission"))
    try:
        assert client.get(page("e-secret")).status_code == 403
    finally:
        registry.unregister_report("e-secret")


def test_downloads_need_the_export_permission(client, dummies, staff):
    client.force_login(staff[roles.AUDITOR])  # 审计: view_* only
    html = client.get(page(DUMMY)).content.decode()
    assert "report-xlsx" not in html
    assert client.get(page(DUMMY), {"format": "xlsx"}).status_code == 403
    assert client.get(page(DUMMY), {"print": "1"}).status_code == 403


def test_xlsx_opens_with_numbers_and_totals_and_is_audited(client, dummies, finance, business_date):
    client.force_login(finance)
    response = client.get(page(DUMMY), {"format": "xlsx", "dimension": "branch"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0][0] == "示例报表"
    assert [r[1] for r in cells if r[0] == "数据日期"] == ["2026-11-28"]  # the condition, once
    assert any(r[:2] == ["汇总维度", "网点"] for r in cells)
    header = next(i for i, r in enumerate(cells) if r[0] == "网点")
    assert cells[header][:6] == ["网点", "笔数", "贷款余额（元）", "加权利率", "占比", "首笔放款日"]
    first = sheet.cell(row=header + 2, column=3)
    assert first.value == D("15000.00") or first.value == 15000  # a number, not text
    assert first.number_format == "#,##0.00"
    assert sheet.cell(row=header + 2, column=4).number_format == "0.00%"
    total = cells[header + 3]
    assert total[0] == "合计" and total[1] == 3 and D(str(total[2])) == D("25000.00")
    event = AuditEvent.objects.filter(verb="导出报表").latest("pk")
    assert event.changes["report"] == [None, DUMMY] and event.changes["format"] == [None, "xlsx"]


def test_a_detail_list_shows_pages_and_exports_every_row(client, dummies, finance, business_date):
    client.force_login(finance)
    html = client.get(page(DETAIL), {"page": "2"}).content.decode()
    assert "JD00050" in html and "JD00099" in html and "JD00100" not in html and "JD00049" not in html
    pager = html.split('data-testid="report-pager"', 1)[1].split("</div>", 1)[0]
    assert "共 120 行，第 2 / 3 页" in " ".join(pager.split())
    CALLS.clear()
    sheet = load_workbook(BytesIO(client.get(page(DETAIL), {"format": "xlsx"}).content)).active
    numbers = [row[0] for row in sheet.iter_rows(values_only=True) if isinstance(row[0], str) and row[0].startswith("JD")]
    assert numbers == [f"JD{i:05d}" for i in range(DETAIL_ROWS)]
    amounts = [D(str(row[1])) for row in sheet.iter_rows(values_only=True)
               if isinstance(row[0], str) and row[0].startswith("JD")]
    assert sum(amounts) == D("7200.00")
    # the page's own run (page 1 of 50), then the export's pages of 5,000: one is enough for 120 rows
    assert [c for c in CALLS if c[0] == "detail"] == [("detail", 1, 50), ("detail", 1, 5000)]


def test_a_registered_row_stream_is_what_the_export_writes(client, dummies, finance, business_date):
    streamed = []

    def rows(params, user):
        for i in range(3):
            streamed.append(i)
            yield {"number": f"JD9{i}", "amount": D("1.00")}

    registry.register_export_rows(DETAIL, rows)
    client.force_login(finance)
    sheet = load_workbook(BytesIO(client.get(page(DETAIL), {"format": "xlsx"}).content)).active
    numbers = [row[0] for row in sheet.iter_rows(values_only=True) if isinstance(row[0], str) and row[0].startswith("JD")]
    assert numbers == ["JD90", "JD91", "JD92"] and streamed == [0, 1, 2]


def _pdftotext(content: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")
def test_pdf_has_the_head_the_figures_the_rows_and_page_numbers(client, dummies, finance, business_date, tmp_path,
                                                                 organisation):
    client.force_login(finance)
    response = client.get(page(DUMMY), {"format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdftotext(response.content, tmp_path)
    assert "示例报表" in text and organisation.name in text and "数据日期 2026-11-28" in text
    assert "¥25,000.00" in text and "15,000.00" in text and "合计" in text and "25,000.00" in text
    assert "第1页/共1页" in text.replace(" ", "")
    info = subprocess.run(["pdfinfo", str(tmp_path / "report.pdf")], capture_output=True, text=True).stdout
    assert "595.276 x 841.89" in info  # A4 portrait
    detail = client.get(page(DETAIL), {"format": "pdf"}).content
    text = _pdftotext(detail, tmp_path)
    assert "JD00000" in text and "JD00119" in text  # every row of 120 (under the PDF's 2,000)
    info = subprocess.run(["pdfinfo", str(tmp_path / "report.pdf")], capture_output=True, text=True).stdout
    assert "841.89 x 595.276" in info  # landscape, as the spec says
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 2 and f"第{pages}页/共{pages}页" in text.replace(" ", "")
    assert text.count("借据编号") == pages  # the header repeated on every page
    png = tmp_path / "page"
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(tmp_path / "report.pdf"), str(png)],
                   check=True)
    assert list(tmp_path.glob("page*.png"))


def test_print_view_has_the_organisation_as_of_and_repeated_headers(client, dummies, finance, business_date,
                                                                     organisation):
    client.force_login(finance)
    response = client.get(page(DUMMY), {"print": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert organisation.name in html and "<thead>" in html and "table-header-group" in html
    assert "@page" in html and "counter(page)" in html and '"数据日期 2026-11-28"' in html
    assert 'id="main"' not in html  # no sidebar, no layout
    assert AuditEvent.objects.filter(verb="打印报表").exists()


def test_an_action_runs_with_the_pages_filters(client, dummies, finance, staff, business_date):
    seen = []

    def book(params, user):
        seen.append((params.as_of, user.pk))
        if params.as_of == date(2026, 10, 31):
            raise InvalidState("该月已计提。")
        return "已计提 ¥1,234.00。"

    registry.register_action(DUMMY, ReportAction("book", "计提准备", "reports.export_reports", book, confirm="确定？"))
    client.force_login(finance)
    html = client.get(page(DUMMY), {"as_of": "2026-11-20"}).content.decode()
    assert 'data-testid="report-action-book"' in html
    response = client.post(page(DUMMY), {"action": "book", "query": "as_of=2026-11-20"}, follow=True)
    assert seen == [(date(2026, 11, 20), finance.pk)] and "已计提 ¥1,234.00。" in response.content.decode()
    response = client.post(page(DUMMY), {"action": "book", "query": "as_of=2026-10-31"}, follow=True)
    assert "该月已计提。" in response.content.decode()
    client.force_login(staff[roles.AUDITOR])
    assert 'report-action-book' not in client.get(page(DUMMY)).content.decode()
    assert client.post(page(DUMMY), {"action": "book", "query": ""}).status_code == 403


@pytest.mark.parametrize("role", list(roles.ROLES))
def test_every_registered_report_renders_for_every_role_that_may_see_it(client, staff, role, business_date):
    """The real reports (B, C, D …) on an empty book: no 5xx, no English; those the role may not see: 403."""
    user = staff[role]
    client.force_login(user)
    index = client.get(reverse("backoffice:reports_index"))
    if not user.has_perm("reports.view_reports"):
        assert index.status_code == 403
        return
    assert index.status_code == 200 and english(index.content.decode()) == []
    failures = []
    for spec in registry.reports_all():
        response = client.get(page(spec.code))
        if not user.has_perm(spec.permission):
            if response.status_code != 403:
                failures.append(f"{spec.code}: {response.status_code} without {spec.permission}")
            continue
        if response.status_code != 200:
            failures.append(f"{spec.code}: {response.status_code}")
            continue
        leaks = english(response.content.decode())
        if leaks:
            failures.append(f"{spec.code}: English {leaks[:5]}")
    assert failures == []

