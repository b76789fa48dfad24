"""U: a report's chart drawn on the server — in the PDF (a reportlab drawing: its labels are in the PDF's
text) and in the print view (an inline SVG, no script) — readable in black and white, with amounts as
¥12,345.67; and the print head and PDF conditions worded through the catalogue (no bare "：" in English)."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from ioudesk.reports import chart_draw, registry, render, running
from ioudesk.reports.registry import Chart, Column, Figure, ReportResult, ReportSpec, Table

pytestmark = pytest.mark.django_db

CODE = "u-chart"


def chart_run(params, user):
    """Two branches: 甲 ¥120,000.00 over 3 IOUs, 乙 ¥50,000.50 over 1; a bar chart of the balances and a line
    chart of the overdue rate by month (2.50 % → 4.00 % → none in 2026-11)."""
    rows = [{"name": "甲", "count": 3, "balance": D("120000.00")}, {"name": "乙", "count": 1, "balance": D("50000.50")}]
    columns = [Column("name", "网点"), Column("count", "笔数", "int", True), Column("balance", "本金余额", "money", True)]
    return ReportResult(
        title="图表示例", as_of=params.as_of,
        tables=[Table(columns=columns, rows=rows, totals={"count": 4, "balance": D("170000.50")})],
        figures=[Figure("本金余额", D("170000.50"))],
        chart=Chart("bar", ["甲", "乙"], [("本金余额", [D("120000.00"), D("50000.50")])], title="按网点本金余额"),
        charts=[Chart("line", ["2026-09", "2026-10", "2026-11"], [("逾期率（%）", [D("2.50"), D("4.00"), None])],
                      title="逐月逾期率"),
                Chart("bar", [], [], title="空图")])  # nothing to draw: left out


@pytest.fixture
def chart_report():
    registry.register_report(ReportSpec(code=CODE, title="图表示例", group="quality", run=chart_run,
                                        filters=("as_of", "branch")))
    yield registry.report_get(CODE)
    registry.unregister_report(CODE)


def _result(spec, user, query=None):
    params = running.report_params(spec, query or {"as_of": "2026-11-28"}, user)
    return params, running.report_run(spec, params, user)


# --- the layout ---------------------------------------------------------------------------------------


def test_kinds_come_from_the_report_columns_and_the_labels():
    result = chart_run(type("P", (), {"as_of": None})(), None)
    assert chart_draw.chart_kinds(result, result.chart) == ["money"]  # 本金余额 is a money column
    assert chart_draw.chart_kinds(result, result.charts[0]) == ["percent"]  # 逾期率（%）: a rate by its label
    counts = Chart("bar", ["a"], [("申请笔数", [3])])
    assert chart_draw.chart_kinds(None, counts) == ["int"]
    assert chart_draw.value_text(D("120000"), "money") == "¥120,000.00"
    assert chart_draw.value_text(D("-2000.5"), "money") == "-¥2,000.50"
    assert chart_draw.value_text(D("4.00"), "percent") == "4.00%"
    assert chart_draw.value_text(1234, "int") == "1,234"
    # hours shown as text in the table (流程与效率): plain figures, never yuan
    hours = Chart("bar", ["朝阳网点"], [("提交到决定（平均小时）", [D("2.5")])])
    assert chart_draw.chart_kinds(None, hours) == ["number"]
    assert chart_draw.value_text(D("2.5"), "number") == "2.5" and chart_draw.value_text(D("1200"), "number") == "1,200"


def test_ticks_are_round_and_cover_the_values():
    assert chart_draw.nice_ticks(D(0), D("132000"), integer=False) == [D(0), D(50000), D(100000), D(150000)]
    assert chart_draw.nice_ticks(D(0), D("5.4"), integer=True) == [D(0), D(2), D(4), D(6)]
    # a negative value: the axis goes below zero and zero is a tick
    ticks = chart_draw.nice_ticks(D("-2000"), D("330000"), integer=False)
    assert ticks[0] < 0 and D(0) in ticks and ticks[-1] >= 330000


def test_bars_are_as_tall_as_their_values_and_series_differ_without_colour():
    chart = Chart("bar", ["甲", "乙"], [("应收", [D("120000.00"), D("60000.00")]), ("实收", [D("90000.00"), D("30000.00")])])
    shapes = chart_draw.layout(chart, ["money", "money"], width=720, height=270)
    bars = [a for kind, a in shapes.items if kind == "rect" and a["tip"]]
    assert [a["tip"] for a in bars] == ["应收 甲：¥120,000.00", "应收 乙：¥60,000.00", "实收 甲：¥90,000.00",
                                        "实收 乙：¥30,000.00"]
    heights = [a["h"] for a in bars]
    # 120,000 : 60,000 : 90,000 : 30,000 = 4 : 2 : 3 : 1
    assert heights[0] == pytest.approx(2 * heights[1]) and heights[2] == pytest.approx(3 * heights[3])
    assert heights[0] == pytest.approx(4 * heights[3])
    # the two series: a dark fill and a white one (both outlined) — told apart in black and white
    assert {(a["fill"], a["hatch"]) for a in bars[:2]} == {chart_draw.BAR_STYLES[0]}
    assert {(a["fill"], a["hatch"]) for a in bars[2:]} == {chart_draw.BAR_STYLES[1]}
    assert chart_draw.BAR_STYLES[0] != chart_draw.BAR_STYLES[1]
    texts = [a["text"] for kind, a in shapes.items if kind == "text"]
    assert "应收" in texts and "实收" in texts  # the legend
    assert "¥0.00" in texts and "¥150,000.00" in texts  # the axis: 0 … 150,000 (over 120,000 and its label)


def test_lines_differ_by_dash_and_marker_and_break_at_a_missing_month():
    chart = Chart("line", ["9月", "10月", "11月", "12月"],
                  [("逾期率", [D("2.5"), D("4"), None, D("3")]), ("不良率", [D("1"), D("1.5"), D("2"), D("2.5")])])
    shapes = chart_draw.layout(chart, ["percent", "percent"])
    polys = [a for kind, a in shapes.items if kind == "poly"]
    assert [len(a["points"]) for a in polys] == [2, 4]  # 逾期率: 9–10月 joined; 12月 alone (a marker only)
    assert polys[0]["dash"] != polys[1]["dash"]
    markers = [a for kind, a in shapes.items if kind == "marker" and a["tip"]]
    assert len(markers) == 7 and {m["shape"] for m in markers[:3]} != {m["shape"] for m in markers[3:]}
    assert markers[0]["tip"] == "逾期率 9月：2.50%"


def test_svg_is_escaped_and_has_no_script():
    chart = Chart("bar", ["<b>甲&乙</b>"], [("余额", [D("1.00")])], title='标题"<x>')
    svg = chart_draw.chart_svg(chart, ["money"])
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<b>" not in svg and "&lt;b&gt;甲&amp;乙&lt;/b&gt;" in svg and "<script" not in svg
    assert 'aria-label="标题&quot;&lt;x&gt;"' in svg


# --- the PDF ------------------------------------------------------------------------------------------


def _pdftotext(content: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")
def test_the_pdf_draws_the_charts(chart_report, finance, business_date, tmp_path):
    params, result = _result(chart_report, finance)
    content = render.render_pdf(result, chart_report, params, user=finance)
    text = _pdftotext(content, tmp_path)
    # the captions, the value axis and the figures over the bars, in ¥12,345.67 style; the line's legend
    assert "按网点本金余额" in text and "逐月逾期率" in text and "空图" not in text
    assert "¥120,000.00" in text and "¥50,000.50" in text and "¥0.00" in text
    assert "逾期率（%）" in text and "2026-09" in text and "4.00%" in text
    # the drawing comes before the table (its header, then its rows)
    assert text.index("按网点本金余额") < text.index("笔数")
    # drawn, not only written: the chart adds filled rectangles and lines to the page
    plain = render.render_pdf(ReportResult(title="图表示例", tables=result.tables, as_of=result.as_of),
                              chart_report, params, user=finance)
    assert len(content) > len(plain) + 1500


def test_report_charts_leaves_out_empty_ones():
    result = chart_run(type("P", (), {"as_of": None})(), None)
    assert [str(c.title) for c in render.report_charts(result)] == ["按网点本金余额", "逐月逾期率"]
    assert render.report_charts(ReportResult(title="t", tables=[])) == []
    zeros = Chart("bar", ["2026-11"], [("应收", [D("0.00")]), ("实收", [None])])
    assert render.report_charts(ReportResult(title="t", tables=[], chart=zeros)) == []


# --- the print view -----------------------------------------------------------------------------------


def test_the_print_view_has_the_charts_as_inline_svg(client, chart_report, finance, business_date):
    client.force_login(finance)
    response = client.get(reverse("backoffice:report", args=[CODE]), {"as_of": "2026-11-28", "print": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    figures = re.findall(r'<figure class="rp-chart" data-testid="report-print-chart">(.*?)</figure>', html, re.S)
    assert len(figures) == 2
    assert "<h2>按网点本金余额</h2>" in figures[0] and "<svg" in figures[0]
    assert figures[0].count('class="rp-bar"') == 2  # 甲 and 乙 (a single series: no legend swatch)
    assert "<title>本金余额 甲：¥120,000.00</title>" in figures[0] and ">¥50,000.50</text>" in figures[0]
    assert "<polyline" in figures[1] and "<title>逾期率（%） 2026-10：4.00%</title>" in figures[1]
    assert "<script" not in html and "chart.js" not in html.lower()
    # the conditions: each "label：value" through the catalogue
    assert "数据日期：2026-11-28" in html


def test_english_print_and_pdf_conditions_read_as_english(client, chart_report, finance, business_date, tmp_path):
    client.force_login(finance)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("backoffice:report", args=[CODE]), {"as_of": "2026-11-28", "print": "1"})
    html = response.content.decode()
    conditions = html.split('<div class="rp-conditions">', 1)[1].split("</div>", 1)[0]
    assert "：" not in conditions and ": 2026-11-28" in conditions
    with translation.override("en"):
        params, result = _result(chart_report, finance)
        content = render.render_pdf(result, chart_report, params, user=finance)
    head = _pdftotext(content, tmp_path).split("按网点本金余额", 1)[0]
    assert "：" not in head and ": 2026-11-28" in head


def test_the_page_itself_still_draws_its_chart_card(client, chart_report, finance, business_date):
    client.force_login(finance)
    html = client.get(reverse("backoffice:report", args=[CODE]), {"as_of": "2026-11-28"}).content.decode()
    assert "按网点本金余额" in html and "逐月逾期率" in html
    assert date(2026, 11, 28).isoformat() in html
