"""E: the IOU list accepts every drill-down parameter of links.iou_list_url, and exports what it shows to .xlsx."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from ioudesk.core import clock, roles
from ioudesk.core.models import AuditEvent
from ioudesk.customers.models import Customer
from ioudesk.customers.services import customer_create
from ioudesk.ious.models import Iou
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.reports.links import iou_list_url
from ioudesk.reports.params import ReportParams

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(head_office, make_branch, manager, approver, finance):
    """Three loans made through the services on 2026-01-15: ¥10,000 (王建国, 总部), ¥20,000 (李娜, 东城支行,
    important), ¥30,000 (赵敏, 东城一部 under 东城支行, important). The
    close is not run here: days past due are set as the close would keep them (0, 45, 120)."""
    east = make_branch("DC", "东城支行")
    east_sub = make_branch("DC1", "东城一部", parent=east)
    ious = []
    with clock.frozen(date(2026, 1, 15)):
        wang = customer_create(customer=Customer(kind="individual", branch=head_office, name="王建国",
                                                 id_number="11010519491231002X", phone="13901012345"), user=manager)
        li = customer_create(customer=Customer(kind="individual", branch=east, name="李娜", category="important",
                                               id_number="110105198001010024", phone="13901012346"), user=manager)
        zhao = customer_create(customer=Customer(kind="individual", branch=east_sub, name="赵敏", category="important",
                                                 id_number="110105199001010037", phone="13901012347"), user=manager)
        for customer, branch, principal in ((wang, head_office, "10000"), (li, east, "20000"), (zhao, east_sub, "30000")):
            iou, _ = iou_create(iou=Iou(kind="loan", customer=customer, branch=branch, principal=D(principal), term=12,
                                        rate_text="12%", method="equal_installment",
                                        contract_date=date(2026, 1, 15)), user=manager)
            iou_submit(iou=iou, user=manager)
            iou_approve(iou=iou, user=approver)
            iou_disburse(iou=iou, user=finance)
            ious.append(iou)
    for iou, dpd, bucket in zip(ious, (0, 45, 120), ("M0", "M2", "M4"), strict=True):
        Iou.objects.filter(pk=iou.pk).update(days_past_due=dpd, bucket=bucket)
    return {"ious": ious, "east": east, "east_sub": east_sub, "wang": wang, "li": li}


def _numbers(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert "?e=1" not in response.get("Location", "")
    html = response.content.decode()
    return sorted(i.number for i in Iou.objects.all() if i.number in html)


def test_every_drilldown_parameter_filters_the_list(client, admin_user_zh, book):
    client.force_login(admin_user_zh)
    a, b, c = (i.number for i in book["ious"])
    assert _numbers(client, iou_list_url(live=1)) == sorted([a, b, c])
    assert _numbers(client, iou_list_url(ReportParams(branch_id=book["east"].pk))) == sorted([b, c])  # with 东城一部
    assert _numbers(client, iou_list_url(branch__id__exact=book["east"].pk)) == [b]
    assert _numbers(client, iou_list_url(dpd_min=30, dpd_max=90)) == [b]  # 45 only
    assert _numbers(client, iou_list_url(dpd_min=1)) == sorted([b, c])
    assert _numbers(client, iou_list_url(dpd_max=0)) == [a]
    assert _numbers(client, iou_list_url(bucket="M4")) == [c]
    assert _numbers(client, iou_list_url(customer__category="important")) == sorted([b, c])
    assert _numbers(client, iou_list_url(customer__id__exact=book["wang"].pk)) == [a]
    assert _numbers(client, iou_list_url(customer__kind="individual", status="active")) == sorted([a, b, c])
    assert _numbers(client, iou_list_url(disbursed_on__gte=date(2026, 1, 15), disbursed_on__lt=date(2026, 1, 16))) \
        == sorted([a, b, c])
    assert _numbers(client, iou_list_url(disbursed_on__gte=date(2026, 1, 16))) == []
    assert _numbers(client, iou_list_url(contract_date__lt=date(2026, 1, 15), live=1)) == []
    assert _numbers(client, iou_list_url(written_off_on__gte=date(2026, 1, 1))) == []
    assert _numbers(client, iou_list_url(classification__exact="normal", live=1)) == sorted([a, b, c])


def test_a_bad_parameter_is_not_a_server_error(client, admin_user_zh, book):
    client.force_login(admin_user_zh)
    base = reverse("admin:ious_iou_changelist")
    for query in ("dpd_min=abc", "branch_tree=xyz", "disbursed_on__gte=2026-99-99", "customer__id__exact=abc"):
        assert client.get(f"{base}?{query}").status_code in (200, 302), query


def test_the_list_exports_what_it_shows(client, make_staff, finance, book, business_date):
    client.force_login(finance)
    url = reverse("admin:ious_iou_export_excel") + "?" + iou_list_url(dpd_min=1).split("?", 1)[1]
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r[0] == "借据编号")
    assert ("逾期天数（最少）", "1") in [r[:2] for r in rows[:header]]
    body = [r for r in rows[header + 1:] if r[0] and str(r[0]).startswith(("JD", "QT"))]
    numbers = {r[0] for r in body}
    assert numbers == {book["ious"][1].number, book["ious"][2].number}
    columns = rows[header]
    principal = columns.index("本金")
    assert sorted(D(str(r[principal])) for r in body) == [D("20000"), D("30000")]  # ¥20,000 + ¥30,000 = ¥50,000
    assert AuditEvent.objects.filter(verb="导出借据列表").exists()
    auditor = make_staff("e-auditor", role=roles.AUDITOR)  # view only: no export
    client.force_login(auditor)
    assert client.get(url).status_code in (302, 403)
