"""审批统计 on worked figures (docs/domain.md §24): November 2026, five approval requests of two kinds
and five applications, the rates, reasons, times per step and per approver, backlog and conversion
worked out here by hand; the page and its .xlsx show them."""

from datetime import date, datetime
from decimal import Decimal as D
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from openpyxl import load_workbook

from ioudesk.applications import stats
from ioudesk.applications.models import Application
from ioudesk.approvals.models import (
    ApprovalDecision,
    ApprovalFlow,
    ApprovalRequest,
    ApprovalTask,
    FlowStep,
    FlowVersion,
)
from ioudesk.products.models import Product

ZONE = ZoneInfo("Asia/Shanghai")
NOVEMBER = stats.StatsFilters(start=date(2026, 11, 1), end=date(2026, 11, 30))
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=ZONE)


def at(day, hour, minute=0):
    return datetime(2026, day[0], day[1], hour, minute, tzinfo=ZONE)


def _loan(customer, manager, approver, finance):
    """¥10,000 at 12 %, 12 months, disbursed on 2026-11-02."""
    from ioudesk.core import clock
    from ioudesk.ious.models import Iou
    from ioudesk.ious.services import iou_approve, iou_create, iou_submit
    from ioudesk.ious.services.disbursement import iou_disburse

    with clock.frozen(date(2026, 11, 2)):
        created = iou_create(iou=Iou(kind="loan", customer=customer, principal=D("10000"), term=12, rate_text="12%",
                                     method="equal_installment", contract_date=date(2026, 11, 2)), user=manager)
        iou = created[0] if isinstance(created, tuple) else created
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    return iou


@pytest.fixture
def world(organisation, head_office, make_staff, manager, approver, finance, debtor):
    loan = _loan(debtor, manager, approver, finance)
    wugang = make_staff("wugang", role="审批员")
    approver.first_name, wugang.first_name = "刘洋", "吴刚"
    approver.save(update_fields=["first_name"])
    wugang.save(update_fields=["first_name"])
    product = Product.objects.create(code="XF", name="消费贷", rate_text="12%", annual_rate=D("0.12"))
    steps = {}
    for kind, names in (("application", ["初审", "风控委员会"]), ("iou_waive", ["减免审批"])):
        flow = ApprovalFlow.objects.create(name=f"{kind}流程", kind=kind)
        version = FlowVersion.objects.create(flow=flow, number=1)
        for order, name in enumerate(names, start=1):
            steps[(kind, order)] = FlowStep.objects.create(version=version, order=order, name=name)
    content = ContentType.objects.get_for_model(Application)
    serial = iter(range(1, 100))

    def application(status, amount, created, **fields):
        n = next(serial)
        row = Application.objects.create(
            number=f"SQ2026110{n}", status=status, product=product, amount=D(amount), term=12, purpose="装修",
            applicant_name=f"申请人{n}", id_number="110105199003151239", phone="13812345678", branch=head_office,
            tracking_token=f"token-{n}", **fields)
        Application.objects.filter(pk=row.pk).update(created_at=created)
        return row

    def request(kind, status, created, decided=None, *, target):
        n = next(serial)
        row = ApprovalRequest.objects.create(
            number=f"SP2026110{n}", kind=kind, status=status, flow_version=steps[(kind, 1)].version, maker=manager,
            branch=head_office, target_type=content, target_id=target.pk, summary="…", decided_at=decided)
        ApprovalRequest.objects.filter(pk=row.pk).update(created_at=created)
        return row

    def task(req, order, who, state, created, acted=None, due=None):
        row = ApprovalTask.objects.create(request=req, step=steps[(req.kind, order)], step_order=order,
                                          assignee=who, state=state, acted_at=acted, due_at=due)
        ApprovalTask.objects.filter(pk=row.pk).update(created_at=created)
        return row

    # A1: approved in two steps (初审 2 h by 刘洋, 风控委员会 4 h by 吴刚), disbursed: the loan's principal ¥10,000
    a1 = application("disbursed", "10000", at((11, 2), 8), submitted_at=at((11, 2), 9), decided_at=at((11, 2), 15),
                     iou=loan)
    r1 = request("application", "approved", at((11, 2), 9), at((11, 2), 15), target=a1)
    task(r1, 1, approver, "approved", at((11, 2), 9), at((11, 2), 11))
    task(r1, 2, wugang, "approved", at((11, 2), 11), at((11, 2), 15))
    # A2: rejected by 刘洋 after 24 h, past the step's limit (due 11-05 18:00)
    a2 = application("rejected", "80000", at((11, 5), 9), submitted_at=at((11, 5), 10), decided_at=at((11, 6), 10))
    r2 = request("application", "rejected", at((11, 5), 10), at((11, 6), 10), target=a2)
    t2 = task(r2, 1, approver, "rejected", at((11, 5), 10), at((11, 6), 10), due=at((11, 5), 18))
    ApprovalDecision.objects.create(request=r2, task=t2, step_order=1, decision="reject", decided_by=approver,
                                    comment="收入证明与银行流水不符")
    # A3: knocked out by the age rule (no approval request)
    application("rejected", "5000", at((11, 8), 9), submitted_at=at((11, 8), 9), decided_at=at((11, 8), 9),
                screening_result={"knocked_out": True, "outcomes": [
                    {"code": "age", "label": "年龄18至60周岁", "passed": False, "knock_out": True,
                     "detail": "未满18周岁（出生日期2008-11-29，申请日2026-11-08满17周岁）"},
                    {"code": "defaulter", "label": "失信/黑名单", "passed": True, "knock_out": True, "detail": ""}]})
    # A4: waiting at 初审 since 11-27 10:00 (3 days 2 hours at NOW), due 11-28 10:00: late
    a4 = application("in_review", "30000", at((11, 27), 9), submitted_at=at((11, 27), 10))
    r3 = request("application", "pending", at((11, 27), 10), target=a4)
    task(r3, 1, approver, "pending", at((11, 27), 10), due=at((11, 28), 10))
    # A5: a draft, never submitted
    application("draft", "20000", at((11, 29), 9))
    # waivers: approved by 吴刚 in 1.5 h; one withdrawn; one waiting 4 hours
    r4 = request("iou_waive", "approved", at((11, 10), 8), at((11, 10), 9, 30), target=a1)
    task(r4, 1, wugang, "approved", at((11, 10), 8), at((11, 10), 9, 30))
    request("iou_waive", "cancelled", at((11, 12), 8), at((11, 12), 9), target=a1)
    r6 = request("iou_waive", "pending", at((11, 30), 8), target=a1)
    task(r6, 1, wugang, "pending", at((11, 30), 8))
    # October: outside the period, but in the months
    request("iou_waive", "approved", at((10, 20), 8), at((10, 20), 10), target=a1)
    return {"a1": a1, "approver": approver, "wugang": wugang}


def test_november_figures(world, admin_user_zh):
    data = stats.approval_stats(admin_user_zh, NOVEMBER, now=NOW)

    rows = {r.kind: r for r in data["outcomes"]["rows"]}
    application, waiver, total = rows["application"], rows["iou_waive"], data["outcomes"]["total"]
    assert (application.submitted, application.approved, application.rejected, application.open) == (3, 1, 1, 1)
    assert (application.approval_rate, application.rejection_rate) == (D("50.00"), D("50.00"))
    assert application.average_hours == D("15.0")          # (6 h + 24 h) ÷ 2
    assert (waiver.submitted, waiver.approved, waiver.cancelled, waiver.open) == (3, 1, 1, 1)
    assert (waiver.approval_rate, waiver.average_hours) == (D("100.00"), D("1.5"))
    assert (total.submitted, total.approved, total.rejected) == (6, 2, 1)
    assert (total.approval_rate, total.rejection_rate) == (D("66.67"), D("33.33"))  # 2 ÷ 3, 1 ÷ 3
    assert total.average_hours == D("10.5")                 # (6 + 24 + 1.5) ÷ 3

    reasons = {r["reason"]: r for r in data["reasons"]["rows"]}
    assert data["reasons"]["total"] == 2
    assert reasons["初筛：年龄18至60周岁"]["count"] == 1 and reasons["初筛：年龄18至60周岁"]["share"] == D("50.00")
    assert reasons["审批驳回：贷款申请"]["examples"] == ["收入证明与银行流水不符"]

    steps = {(s.kind_label, s.label): s for s in data["times"]["steps"]}
    first = steps[("贷款申请", "1. 初审")]
    assert (first.count, first.approved, first.rejected, first.late) == (2, 1, 1, 1)
    assert (first.average_hours, first.median_hours, first.longest_hours) == (D("13.0"), D("13.0"), D("24.0"))
    assert steps[("贷款申请", "2. 风控委员会")].average_hours == D("4.0")
    people = {p.label: p for p in data["times"]["approvers"]}
    assert (people["刘洋"].count, people["刘洋"].average_hours) == (2, D("13.0"))    # 2 h and 24 h
    assert (people["吴刚"].count, people["吴刚"].average_hours) == (2, D("2.8"))     # (4 + 1.5) ÷ 2 = 2.75

    backlog = data["backlog"]
    assert backlog["buckets"] == {"lt1": 1, "1to3": 0, "3to7": 1, "gt7": 0}       # 4 hours; 3 days 2 hours
    assert (backlog["total"], backlog["late"], backlog["oldest_days"]) == (2, 1, 3)

    conversion = data["conversion"]
    assert (conversion["created"], conversion["submitted"], conversion["knocked_out"], conversion["rejected"]) == (
        5, 4, 1, 2)
    assert (conversion["approved"], conversion["disbursed"]) == (1, 1)
    assert conversion["submitted_amount"] == D("125000.00")   # 10,000 + 80,000 + 5,000 + 30,000
    assert conversion["approved_amount"] == conversion["disbursed_amount"] == D("10000.00")  # the IOU's principal
    # approved 1 ÷ submitted 4; disbursed 1 ÷ approved 1; disbursed 1 ÷ submitted 4
    assert (conversion["approval_rate"], conversion["disbursement_rate"], conversion["overall_rate"]) == (
        D("25.00"), D("100.00"), D("25.00"))

    months = {m["month"]: m for m in data["months"]}
    assert len(months) == 12 and min(months) == date(2025, 12, 1)
    november, october = months[date(2026, 11, 1)], months[date(2026, 10, 1)]
    assert (november["submitted"], november["approved"], november["rejected"]) == (4, 1, 2)
    assert (november["requests"], november["requests_approved"], november["requests_rejected"]) == (6, 2, 1)
    assert (october["requests"], october["requests_approved"]) == (1, 1)


def test_the_page_and_its_workbook(client, world, admin_user_zh):
    client.force_login(admin_user_zh)
    url = reverse("backoffice:approval_stats")
    page = client.get(url, {"start": "2026-11-01", "end": "2026-11-30"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="approval-rate">66.67%' in html and "收入证明与银行流水不符" in html
    assert "&quot;data&quot;: [&quot;" in html or '"data": ["' in html  # Chart.js data as strings
    export = client.get(url, {"start": "2026-11-01", "end": "2026-11-30", "export": "xlsx"})
    assert export.status_code == 200
    sheet = load_workbook(BytesIO(export.content)).active
    values = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    total = next(row for row in values if row[0] == "合计" and row[1] == 6)
    assert list(total[:6]) == ["合计", 6, 2, 1, 1, 2] and (total[6], total[7]) == (66.67, 33.33)
    assert any(row[0] == "初筛：年龄18至60周岁" and row[1] == 1 for row in values)


def test_a_branch_user_sees_only_their_branch(world, make_branch, make_staff):
    other = make_branch("SH", "上海分部")
    outsider = make_staff("zhaolei", role="审批员", branch=other)
    data = stats.approval_stats(outsider, NOVEMBER, now=NOW)
    assert data["outcomes"]["total"].submitted == 0 and data["conversion"]["created"] == 0
    assert data["backlog"]["total"] == 0
