"""C: 贷款申请与发放, 审批 and 流程与效率 over one hand-built book.

Branches 总部 and 东城 (under 总部); products P1 经营贷, P2 消费贷. Loans made through the real services
(create, submit, approve, disburse) and the close's day step writing their FlowDay rows (A's
flows_day_write); the applications and approval requests as rows with their moments (Beijing time), as
the 审批统计 test builds them, linked to those loans:

| app | channel | branch | product | amount | created | submitted | decided | outcome | IOU |
|---|---|---|---|---|---|---|---|---|---|
| A1 | 柜面 | 总部 | P1 | 50,000 | 10-08 09:00 | 10-08 10:00 | 10-09 10:00 | disbursed | L1, paid out 10-10 |
| A2 | 线上 | 东城 | P2 | 20,000 | 11-01 08:00 | 11-01 09:00 | 11-01 15:00 | disbursed | L2, paid out 11-03 |
| A3 | 线上 | 东城 | P2 | 80,000 | 11-02 09:00 | 11-02 10:00 | 11-04 10:00 | rejected | — |
| A4 | 柜面 | 总部 | P1 | 40,000 | 11-10 09:00 | 11-10 12:00 | 11-11 12:00 | approved | — |
| A5 | 柜面 | 总部 | P1 | 10,000 | 11-20 09:00 | — | — | draft | — |

L3: 总部, P1, ¥30,000 paid out 11-05 without an application (entered at the desk).
L4: 总部, P1, ¥5,000 submitted 11-12 and rejected by 吴刚 (an IOU approval record, no flow).

Approval requests (kind 贷款申请): r1 (A1: 初审 刘洋 6 h, 风控委员会 吴刚 18 h), r2 (A2: 初审 刘洋 6 h),
r3 (A3: 初审 刘洋 48 h, past its 24 h limit: rejected), r4 (A4: 初审 吴刚 24 h); and one 减免 request
r5 submitted 11-25 10:00, waiting at 初审 for 刘洋.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType

from ioudesk.applications.models import Application
from ioudesk.approvals.models import ApprovalFlow, ApprovalRequest, ApprovalTask, FlowStep, FlowVersion
from ioudesk.core import clock
from ioudesk.ious.models import Approval, Iou
from ioudesk.ious.services import iou_approve, iou_create, iou_reject, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.products.models import Product
from ioudesk.products.services import product_save
from ioudesk.reports import origination
from ioudesk.reports.params import ReportParams
from ioudesk.reports.snapshots import flows_day_write

ZONE = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 28)


def at(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=ZONE)


def customer(name, branch, manager, phone, id_number):
    from ioudesk.customers.models import Customer
    from ioudesk.customers.services import customer_create

    return customer_create(customer=Customer(kind="individual", branch=branch, name=name, id_number=id_number,
                                             phone=phone), user=manager)


def lend(who, manager, approver, finance, *, principal, on, product, disburse=True):
    with clock.frozen(on):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=who, principal=D(principal), term=1, rate_text="年化0%",
                                    method="bullet", contract_date=on, due_date=on + timedelta(days=50), product=product),
                            user=manager)
        iou_submit(iou=iou, user=manager)
        if disburse:
            iou_approve(iou=iou, user=approver)
            iou_disburse(iou=iou, user=finance)
            Approval.objects.filter(iou=iou).update(decided_at=datetime.combine(on, datetime.min.time(), ZONE))
    return Iou.objects.get(pk=iou.pk)


@pytest.fixture
def book(organisation, head_office, make_branch, make_staff, manager, approver, finance):
    dongcheng = make_branch("DC", "东城", parent=head_office)
    wugang = make_staff("wugang", role="审批员")
    approver.first_name, wugang.first_name = "刘洋", "吴刚"
    approver.save(update_fields=["first_name"])
    wugang.save(update_fields=["first_name"])
    p1 = product_save(product=Product(code="JYD", name="经营贷", rate_text="12%", method="bullet", min_amount=1000,
                                      max_amount=5000000, min_term=1, max_term=36))
    p2 = product_save(product=Product(code="XFD", name="消费贷", rate_text="12%", method="bullet", min_amount=1000,
                                      max_amount=5000000, min_term=1, max_term=36))
    wang = customer("王建国", head_office, manager, "13901012345", "11010519491231002X")
    li = customer("李娜", dongcheng, manager, "13901012346", "110101199003077571")
    args = (manager, approver, finance)
    l1 = lend(wang, *args, principal="50000", on=date(2026, 10, 10), product=p1)
    l2 = lend(li, *args, principal="20000", on=date(2026, 11, 3), product=p2)
    l3 = lend(wang, *args, principal="30000", on=date(2026, 11, 5), product=p1)
    l4 = lend(wang, *args, principal="5000", on=date(2026, 11, 12), product=p1, disburse=False)
    with clock.frozen(date(2026, 11, 12)):
        iou_reject(iou=l4, user=wugang, comment="用途不明")
    Approval.objects.filter(iou=l4).update(decided_at=at(11, 12, 15))
    for day in (date(2026, 10, 10), date(2026, 11, 3), date(2026, 11, 5)):
        flows_day_write(day)

    serial = iter(range(1, 100))

    def application(channel, branch, product, amount, created, *, submitted=None, decided=None, status, iou=None):
        n = next(serial)
        row = Application.objects.create(
            number=f"SQ20261100{n}", channel=channel, status=status, product=product, amount=D(amount), term=12,
            purpose="经营周转", applicant_name=f"申请人{n}", id_number="110105199003151239", phone="13812345678",
            branch=branch, account_manager=manager, tracking_token=f"token-{n}", submitted_at=submitted,
            decided_at=decided, iou=iou)
        Application.objects.filter(pk=row.pk).update(created_at=created)
        return row

    a1 = application("desk", head_office, p1, "50000", at(10, 8, 9), submitted=at(10, 8, 10),
                     decided=at(10, 9, 10), status="disbursed", iou=l1)
    a2 = application("portal", dongcheng, p2, "20000", at(11, 1, 8), submitted=at(11, 1, 9),
                     decided=at(11, 1, 15), status="disbursed", iou=l2)
    a3 = application("portal", dongcheng, p2, "80000", at(11, 2, 9), submitted=at(11, 2, 10),
                     decided=at(11, 4, 10), status="rejected")
    a4 = application("desk", head_office, p1, "40000", at(11, 10, 9), submitted=at(11, 10, 12),
                     decided=at(11, 11, 12), status="approved")
    application("desk", head_office, p1, "10000", at(11, 20, 9), status="draft")

    steps = {}
    for kind, names in (("application", ["初审", "风控委员会"]), ("iou_waive", ["初审"])):
        flow = ApprovalFlow.objects.create(name=f"{kind}流程", kind=kind)
        version = FlowVersion.objects.create(flow=flow, number=1)
        for order, name in enumerate(names, start=1):
            steps[(kind, order)] = FlowStep.objects.create(version=version, order=order, name=name)
    content = ContentType.objects.get_for_model(Application)

    def request(kind, status, created, decided, target, branch):
        n = next(serial)
        row = ApprovalRequest.objects.create(
            number=f"SP20261100{n}", kind=kind, status=status, flow_version=steps[(kind, 1)].version,
            maker=manager, branch=branch, target_type=content, target_id=target.pk, summary="…", decided_at=decided)
        ApprovalRequest.objects.filter(pk=row.pk).update(created_at=created)
        return row

    def task(req, order, who, state, created, acted=None, due=None):
        row = ApprovalTask.objects.create(request=req, step=steps[(req.kind, order)], step_order=order,
                                          assignee=who, state=state, acted_at=acted, due_at=due)
        ApprovalTask.objects.filter(pk=row.pk).update(created_at=created)

    r1 = request("application", "approved", at(10, 8, 10), at(10, 9, 10), a1, head_office)
    task(r1, 1, approver, "approved", at(10, 8, 10), at(10, 8, 16))
    task(r1, 2, wugang, "approved", at(10, 8, 16), at(10, 9, 10))
    r2 = request("application", "approved", at(11, 1, 9), at(11, 1, 15), a2, dongcheng)
    task(r2, 1, approver, "approved", at(11, 1, 9), at(11, 1, 15))
    r3 = request("application", "rejected", at(11, 2, 10), at(11, 4, 10), a3, dongcheng)
    task(r3, 1, approver, "rejected", at(11, 2, 10), at(11, 4, 10), due=at(11, 3, 10))
    r4 = request("application", "approved", at(11, 10, 12), at(11, 11, 12), a4, head_office)
    task(r4, 1, wugang, "approved", at(11, 10, 12), at(11, 11, 12))
    r5 = request("iou_waive", "pending", at(11, 25, 10), None, a1, head_office)
    task(r5, 1, approver, "pending", at(11, 25, 10))
    return {"dongcheng": dongcheng, "p1": p1, "p2": p2, "wugang": wugang, "l1": l1, "l2": l2, "l3": l3}


def run(fn, user, **kwargs):
    kwargs.setdefault("date_from", date(2026, 10, 1))
    kwargs.setdefault("date_to", TODAY)
    with clock.frozen(TODAY):
        return fn(ReportParams(**kwargs), user)


def by(table, key="name"):
    return {str(row[key]): row for row in table.rows}


def test_applications_by_month_product_branch_and_channel(book, admin_user_zh):
    result = run(origination.applications, admin_user_zh)
    months = by(result.tables[0], "month")
    # October: A1 submitted (¥50,000) and approved; L1 paid out ¥50,000
    assert (months["2026-10"]["submitted"], months["2026-10"]["submitted_amount"], months["2026-10"]["approved"],
            months["2026-10"]["rejected"], months["2026-10"]["disbursed"], months["2026-10"]["disbursed_amount"]) == (
        1, D("50000.00"), 1, 0, 1, D("50000.00"))
    # November: A2 + A3 + A4 submitted = 20,000 + 80,000 + 40,000 = 140,000; A2, A4 approved, A3 rejected:
    # 2 ÷ 3 = 66.67 %; L2 + L3 paid out = 20,000 + 30,000 = 50,000 (L3 without an application); A5 a draft
    nov = months["2026-11"]
    assert (nov["submitted"], nov["submitted_amount"], nov["approved"], nov["rejected"], nov["approval_rate"],
            nov["disbursed"], nov["disbursed_amount"]) == (3, D("140000.00"), 2, 1, D("66.67"), 2, D("50000.00"))
    totals = result.tables[0].totals
    # 4 submitted ¥190,000; 3 approved, 1 rejected: 75.00 %; 3 paid out ¥100,000 (= the loans' principal)
    assert (totals["submitted"], totals["submitted_amount"], totals["approved"], totals["rejected"],
            totals["approval_rate"], totals["disbursed"], totals["disbursed_amount"]) == (
        4, D("190000.00"), 3, 1, D("75.00"), 3, D("100000.00"))
    assert totals["disbursed_amount"] == sum((book[k].principal for k in ("l1", "l2", "l3")), D("0"))

    products = by(result.tables[1])
    # P1: A1, A4 (90,000), both approved; L1 + L3 = 80,000. P2: A2, A3 (100,000), 1 of 2 approved; L2 20,000
    assert (products["经营贷"]["submitted"], products["经营贷"]["submitted_amount"], products["经营贷"]["approved"],
            products["经营贷"]["disbursed"], products["经营贷"]["disbursed_amount"]) == (
        2, D("90000.00"), 2, 2, D("80000.00"))
    assert (products["消费贷"]["submitted"], products["消费贷"]["approval_rate"], products["消费贷"]["disbursed_amount"]) == (
        2, D("50.00"), D("20000.00"))
    branches = by(result.tables[2])
    assert (branches["总部"]["submitted"], branches["总部"]["disbursed"], branches["总部"]["disbursed_amount"]) == (
        2, 2, D("80000.00"))
    assert (branches["东城"]["submitted"], branches["东城"]["rejected"], branches["东城"]["disbursed_amount"]) == (
        2, 1, D("20000.00"))
    channels = by(result.tables[3])
    # 柜面: A1, A4 submitted, A1's L1 paid out; 线上: A2, A3, A2's L2 paid out; L3 has no channel
    assert (channels["柜面录入"]["submitted"], channels["柜面录入"]["approved"], channels["柜面录入"]["disbursed_amount"]) == (
        2, 2, D("50000.00"))
    assert (channels["线上申请"]["submitted"], channels["线上申请"]["rejected"], channels["线上申请"]["disbursed_amount"]) == (
        2, 1, D("20000.00"))
    figures = {str(f.label): f for f in result.figures}
    assert figures["放款金额"].value == D("100000.00")
    assert "disbursed_on__gte=2026-10-01" in figures["放款金额"].link and "disbursed_on__lt=2026-11-29" in figures[
        "放款金额"].link
    assert result.chart.labels == ["2026-10", "2026-11"]


def test_applications_filters_and_scope(book, admin_user_zh, make_staff):
    portal = run(origination.applications, admin_user_zh, channel="portal")
    # the 线上 applications only: A2, A3; paid out: A2's L2 ¥20,000 (from the applications, not FlowDay)
    assert (portal.tables[0].totals["submitted"], portal.tables[0].totals["disbursed"],
            portal.tables[0].totals["disbursed_amount"]) == (2, 1, D("20000.00"))
    east = run(origination.applications, admin_user_zh, branch_id=book["dongcheng"].pk)
    assert (east.tables[0].totals["submitted"], east.tables[0].totals["disbursed_amount"]) == (2, D("20000.00"))
    november = run(origination.applications, admin_user_zh, date_from=date(2026, 11, 1), product_id=book["p1"].pk)
    # P1 in November: A4 submitted and approved; L3 ¥30,000 paid out
    assert (november.tables[0].totals["submitted"], november.tables[0].totals["approved"],
            november.tables[0].totals["disbursed_amount"]) == (1, 1, D("30000.00"))
    clerk = make_staff("east_clerk", role="客户经理", branch=book["dongcheng"])
    seen = run(origination.applications, clerk)
    assert (seen.tables[0].totals["submitted"], seen.tables[0].totals["disbursed_amount"]) == (2, D("20000.00"))


def test_approvals(book, admin_user_zh):
    result = run(origination.approvals, admin_user_zh)
    kinds = by(result.tables[0])
    # 贷款申请: r1–r4 submitted; r1, r2, r4 approved, r3 rejected: 3 ÷ 4 = 75.00 %; from submission to the
    # decision 24 + 6 + 48 + 24 = 102 h ÷ 4 = 25.5 h. 减免: r5 waiting.
    application = kinds["贷款申请"]
    assert (application["submitted"], application["approved"], application["rejected"], application["open"],
            application["approval_rate"], application["average_hours"]) == (4, 3, 1, 0, D("75.00"), D("25.5"))
    totals = result.tables[0].totals
    assert (totals["submitted"], totals["open"], totals["approval_rate"]) == (5, 1, D("75.00"))
    steps = {(row["kind"], row["name"]): row for row in result.tables[1].rows}
    first = steps[("贷款申请", "1. 初审")]
    # 初审: r1 6 h, r2 6 h, r3 48 h (late), r4 24 h → 4 tasks, average 84 ÷ 4 = 21.0, median (6 + 24) ÷ 2 = 15.0
    assert (first["count"], first["rejected"], first["late"], first["average_hours"], first["median_hours"],
            first["longest_hours"]) == (4, 1, 1, D("21.0"), D("15.0"), D("48.0"))
    assert steps[("贷款申请", "2. 风控委员会")]["average_hours"] == D("18.0")
    people = by(result.tables[2])
    # 刘洋: 6 + 6 + 48 = 60 h ÷ 3 = 20.0; 吴刚: 18 + 24 = 42 ÷ 2 = 21.0
    assert (people["刘洋"]["count"], people["刘洋"]["average_hours"]) == (3, D("20.0"))
    assert (people["吴刚"]["count"], people["吴刚"]["average_hours"]) == (2, D("21.0"))
    direct = by(result.tables[3])
    # IOU approval records: 刘洋 approved L1, L2, L3; 吴刚 rejected L4
    assert (direct["刘洋"]["approved"], direct["刘洋"]["rejected"]) == (3, 0)
    assert (direct["吴刚"]["approved"], direct["吴刚"]["rejected"], direct["吴刚"]["approval_rate"]) == (0, 1, D("0.00"))
    assert result.tables[3].totals["approval_rate"] == D("75.00")
    assert result.notes and "通过率" in result.notes[0]


def test_efficiency(book, admin_user_zh):
    result = run(origination.efficiency, admin_user_zh)
    steps = by(result.tables[0])
    # made in the period: A1–A5. 受理 → 提交: A1 1 h, A2 1 h, A3 1 h, A4 3 h → average 1.5, median 1.0
    intake = steps["受理 → 提交"]
    assert (intake["count"], intake["average"], intake["median"], intake["longest"]) == (4, D("1.5"), D("1.0"), D("3.0"))
    # 提交 → 决定: 24, 6, 48, 24 → 25.5 average, median 24.0
    decision = steps["提交 → 审批决定"]
    assert (decision["count"], decision["average"], decision["median"]) == (4, D("25.5"), D("24.0"))
    # 决定 → 放款 (days): A1 10-09 → 10-10 = 1, A2 11-01 → 11-03 = 2 → 1.5; 受理 → 放款: 2 and 2 → 2.0
    assert (steps["审批决定 → 放款"]["count"], steps["审批决定 → 放款"]["average"]) == (2, D("1.5"))
    assert (steps["受理 → 放款"]["average"], steps["受理 → 放款"]["longest"]) == (D("2.0"), D("2.0"))
    branches = by(result.tables[1])
    # 总部: A1, A4, A5 (3), 1 paid out; decisions 24 and 24 → 24.0; 东城: A2, A3; decisions 6, 48 → 27.0
    assert (branches["总部"]["count"], branches["总部"]["disbursed"], branches["总部"]["decision_hours"]) == (
        3, 1, D("24.0"))
    assert (branches["东城"]["count"], branches["东城"]["decision_hours"], branches["东城"]["overall_days"]) == (
        2, D("27.0"), D("2.0"))
    assert result.tables[1].totals["count"] == 5
    load = by(result.tables[3])
    # 刘洋: 3 tasks acted in the period, r5 waiting; 吴刚: 2 acted
    assert (load["刘洋"]["acted"], load["刘洋"]["waiting"], load["刘洋"]["late"]) == (3, 1, 1)
    assert (load["吴刚"]["acted"], load["吴刚"]["waiting"]) == (2, 0)


def test_registered():
    from ioudesk.reports.registry import report_get

    for code in ("applications", "approvals", "efficiency"):
        spec = report_get(code)
        assert spec is not None and spec.group == "business"


def test_the_close_keeps_each_ious_application_channel(book):
    """PortfolioDay and FlowDay carry the IOU's application channel (its latest application; '' = 直接录入):
    L1 from A1 (柜面录入) ¥50,000, L2 from A2 (线上申请) ¥20,000, L3 without an application ¥30,000."""
    from ioudesk.reports.models import FlowDay, PortfolioDay
    from ioudesk.reports.snapshots import portfolio_day_write

    portfolio_day_write(date(2026, 11, 30))
    by_channel = {}
    for channel, principal in PortfolioDay.objects.filter(day=date(2026, 11, 30)).values_list("channel", "principal"):
        by_channel[channel] = by_channel.get(channel, D("0")) + principal
    assert by_channel == {"desk": D("50000.00"), "portal": D("20000.00"), "": D("30000.00")}
    flows_day_write(date(2026, 11, 3))  # rewritten now that A2 names L2
    assert list(FlowDay.objects.filter(day=date(2026, 11, 3), kind="disbursement").values_list("channel", "amount")) \
        == [("portal", D("20000.00"))]
