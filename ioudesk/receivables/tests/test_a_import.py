"""The .xlsx bill import: the template reads back, the dry run names row and column, all-or-nothing
saves nothing, good-bills-only saves exactly the good ones."""

from decimal import Decimal as D
from io import BytesIO

import pytest
from openpyxl import Workbook

from ioudesk.receivables.bill_import import (
    COLUMNS,
    ImportMode,
    bill_import_template,
    bills_import,
    bills_import_check,
    read_bill_file,
)
from ioudesk.receivables.models import Bill
from ioudesk.receivables.tests.a_book import make_bill

pytestmark = pytest.mark.django_db


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([row.get(c, "") for c in COLUMNS])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row(key, customer, **extra):
    base = {"单据键": key, "往来单位编号": customer.number, "单据日期": "2026-11-20", "货物或服务名称": "保温杯",
            "数量": "10", "单价（不含税）": "50", "税率（%）": "13"}
    return {**base, **extra}


def test_template_reads_back(today, finance, organisation):
    parsed = read_bill_file(bill_import_template())
    assert [number for number, _values in parsed.rows] == [2, 3, 4]
    check = bills_import_check(user=finance, parsed=parsed)
    assert len(check.groups) == 2  # the example's customer name is a placeholder: refused, named
    assert all(not g.ok for g in check.groups)
    assert check.errors[0].column == "往来单位编号" or check.errors[0].column == "往来单位名称"


def test_dry_run_and_modes(today, company, finance, terms):
    make_bill(customer=company, user=finance, vat_invoice_number="55550000")
    data = xlsx([
        row("A", company, 付款条件="月结30天", 价税合计="565.00"),  # 500 + 65
        row("A", company, 货物或服务名称="安装服务", 类别="服务", 数量="1", **{"单价（不含税）": "100", "税率（%）": "6"}),
        row("B", company, **{"税率（%）": "17"}),
        row("C", company, 发票号码="55550000"),
        row("D", company, 价税合计="1"),
    ])
    parsed = read_bill_file(data)
    check = bills_import_check(user=finance, parsed=parsed)
    by_key = {g.key: g for g in check.groups}
    assert by_key["A"].ok is False  # declared 565.00 but the two lines make 565.00 + 106.00 = 671.00
    assert [(e.row, e.column) for e in by_key["A"].errors] == [(2, "价税合计")]
    assert [(e.row, e.column) for e in by_key["B"].errors] == [(4, "税率（%）")]
    assert "不在允许的税率中" in by_key["B"].errors[0].reason
    assert [(e.row, e.column) for e in by_key["C"].errors] == [(5, "发票号码")]
    assert not by_key["D"].ok
    before = Bill.objects.count()
    result = bills_import(user=finance, parsed=parsed, mode=ImportMode.ALL)
    assert result.refused and Bill.objects.count() == before  # all or nothing: nothing
    good = xlsx([row("A", company, 价税合计="565.00"), row("B", company, **{"税率（%）": "17"}),
                 row("E", company, 发票号码="12121212"), row("F", company, 发票号码="12121212")])
    result = bills_import(user=finance, parsed=read_bill_file(good), mode=ImportMode.GOOD)
    assert len(result.created) == 2 and result.skipped == 2  # B's rate, F's invoice number repeats E's
    created = Bill.objects.filter(number__in=result.created).order_by("id")
    assert [(b.status, b.total) for b in created] == [("draft", D("565.00")), ("draft", D("565.00"))]
    assert {e.column for e in result.errors} == {"税率（%）", "发票号码"}


def test_not_an_xlsx_and_missing_columns(organisation):
    from ioudesk.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="只能导入 .xlsx"):
        read_bill_file(b"a,b,c\n")
    workbook = Workbook()
    workbook.active.append(["单据键", "数量"])
    buffer = BytesIO()
    workbook.save(buffer)
    with pytest.raises(ValidationFailed, match="表头缺少这些列：单据日期、货物或服务名称、单价（不含税）、税率（%）"):
        read_bill_file(buffer.getvalue())
