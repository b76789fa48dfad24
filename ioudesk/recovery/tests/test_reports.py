"""The collection reports and a recovery plan's progress over a hand-made November: every figure
worked out here from the rows below."""

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from ioudesk.collections.models import Agency, Case, ContactRecord, Promise, Recovery
from ioudesk.core import clock
from ioudesk.core.errors import ValidationFailed
from ioudesk.recovery import selectors, services
from ioudesk.recovery.models import ContactMonth, RecoveryMonth, RecoveryPlan

BJ = ZoneInfo("Asia/Shanghai")
NOVEMBER = selectors.ReportFilters(start=date(2026, 11, 1), end=date(2026, 11, 30))


def at(month, day, hour=10):
    return datetime(2026, month, day, hour, 0, tzinfo=BJ)


@pytest.fixture
def book(make_loan, make_payment, make_staff, head_office):
    zhao = make_staff("zhaolei3")
    qian = make_staff("qianer3")
    agency = Agency.objects.create(name="华信商务", commission_rate=Decimal("0.2000"))
    a_iou = make_loan(status="overdue", bucket="M1", days_past_due=20)
    b_iou = make_loan(status="overdue", bucket="M4", days_past_due=100)
    a = Case.objects.create(number="CS20261001-0001", iou=a_iou, customer=a_iou.customer, branch=head_office,
                            opened_on=date(2026, 10, 1), bucket="M1", days_past_due=20, arrears=Decimal("2000"),
                            owner=zhao)
    b = Case.objects.create(number="CS20261001-0002", iou=b_iou, customer=b_iou.customer, branch=head_office,
                            opened_on=date(2026, 8, 1), bucket="M4", days_past_due=100, arrears=Decimal("5000"),
                            agency=agency, nature="goods")

    def contact(case, method, outcome, when, by):
        return ContactRecord.objects.create(case=case, iou=case.iou, customer=case.customer, branch=head_office,
                                            method=method, party="debtor", outcome=outcome, contacted_at=when,
                                            recorded_by=by)

    contact(a, "phone", "no_answer", at(10, 30), zhao)  # October: not in November's figures
    r1 = contact(a, "phone", "promised", at(11, 5), zhao)
    r2 = contact(a, "phone", "promised", at(11, 13), zhao)
    contact(a, "sms", "no_answer", at(11, 14), zhao)
    r4 = contact(b, "visit", "promised", at(11, 10), qian)
    r5 = contact(a, "wechat", "promised", at(11, 21), zhao)
    for record, amount, on, status, paid, collector in (
            (r1, "1000", date(2026, 11, 12), "kept", "1000", zhao),
            (r2, "500", date(2026, 11, 20), "broken", "0", zhao),
            (r4, "800", date(2026, 11, 25), "partly_kept", "200", qian),
            (r5, "600", date(2026, 11, 28), "pending", "100", zhao)):
        Promise.objects.create(record=record, case=record.case, iou=record.iou, amount=Decimal(amount),
                               promised_on=on, status=status, paid=Decimal(paid), collector=collector)
    for case, amount, day, commission in ((a, "1000", date(2026, 11, 12), "0"), (b, "200", date(2026, 11, 25), "40"),
                                          (b, "300", date(2026, 10, 20), "60")):
        Recovery.objects.create(case=case, iou=case.iou, transaction=make_payment(case.iou, amount, day),
                                branch=head_office, day=day, amount=Decimal(amount), owner=case.owner,
                                agency=case.agency, bucket=case.bucket, commission=Decimal(commission))
    return {"zhao": zhao, "qian": qian, "agency": agency, "a": a, "b": b}


@pytest.mark.django_db
def test_activity(book, admin_user_zh):
    report = selectors.activity(admin_user_zh, NOVEMBER)
    rows = {r.collector_id: r for r in report["rows"]}
    zhao, qian = rows[book["zhao"].pk], rows[book["qian"].pk]
    assert (zhao.total, zhao.cases, zhao.by_method, zhao.by_outcome) == (
        4, 1, {"phone": 2, "sms": 1, "wechat": 1}, {"promised": 3, "no_answer": 1})  # cases: open cases owned
    assert (qian.total, qian.by_method) == (1, {"visit": 1})
    assert report["totals"].total == 5
    # the close's monthly summary through 11-20 and the records for the rest of the month: the same figures.
    # Its rows to 11-20, per kind: zhao's phone and sms, promised and no_answer (case A; the wechat is of
    # 11-21); qian's visit and promised (case B)
    assert services.activity_day_step(day=date(2026, 11, 20)) == {"activity_rows": 6, "recovery_rows": 1}
    summed = selectors.activity(admin_user_zh, NOVEMBER)
    assert [(r.collector_id, r.total, r.by_method, r.by_outcome) for r in summed["rows"]] == [
        (r.collector_id, r.total, r.by_method, r.by_outcome) for r in report["rows"]]
    # the long-overdue filter leaves case B's visit only, from the summary too
    long = selectors.ReportFilters(start=NOVEMBER.start, end=NOVEMBER.end, term="long")
    assert [(r.total, r.by_method) for r in selectors.activity(admin_user_zh, long)["rows"]] == [(1, {"visit": 1})]
    # November 1–20 come from the summary alone (a summary changed by hand shows it)
    ContactMonth.objects.filter(recorded_by=book["qian"], kind="method").update(contacts=7)
    assert {r.collector_id: r.total for r in selectors.activity(admin_user_zh, NOVEMBER)["rows"]}[book["qian"].pk] == 7


@pytest.mark.django_db
def test_kept_rates(book, admin_user_zh):
    rows = {r.collector_id: r for r in selectors.kept_rates(admin_user_zh, NOVEMBER)["rows"]}
    zhao = rows[book["zhao"].pk]
    # kept 1 of 2 decided (the pending one is not counted); ¥1,000 paid of ¥1,500 promised
    assert (zhao.promises, zhao.kept, zhao.broken, zhao.pending) == (3, 1, 1, 1)
    assert (zhao.kept_rate, zhao.amount_rate) == (Decimal("50.0"), Decimal("66.7"))
    qian = rows[book["qian"].pk]
    assert (qian.kept_rate, qian.amount_rate) == (Decimal("0.0"), Decimal("25.0"))  # ¥200 of ¥800


@pytest.mark.django_db
def test_recovered_and_agency_cost(book, admin_user_zh):
    report = selectors.recovered(admin_user_zh, NOVEMBER)
    assert report["total"] == Decimal("1200.00")
    assert [(r["bucket"], r["amount"], r["share"]) for r in report["by_bucket"]] == [
        ("M1", Decimal("1000.00"), Decimal("83.3")), ("M4", Decimal("200.00"), Decimal("16.7"))]
    assert [(r["name"], r["amount"]) for r in report["by_owner"]] == [
        (book["zhao"].get_full_name() or "zhaolei3", Decimal("1000.00")), ("华信商务", Decimal("200.00"))]
    assert [m["amount"] for m in report["by_month"]] == [Decimal("1200.00")]
    goods = selectors.recovered(admin_user_zh, selectors.ReportFilters(start=NOVEMBER.start, end=NOVEMBER.end,
                                                                       nature="goods"))
    assert goods["total"] == Decimal("200.00")
    mine = selectors.recovered(admin_user_zh, selectors.ReportFilters(start=NOVEMBER.start, end=NOVEMBER.end,
                                                                      collector_id=book["zhao"].pk))
    assert mine["total"] == Decimal("1000.00")

    cost = selectors.agency_cost(admin_user_zh, NOVEMBER)
    assert [(r["name"], r["amount"], r["commission"], r["cost_rate"]) for r in cost["rows"]] == [
        ("华信商务", Decimal("200.00"), Decimal("40.00"), Decimal("20.0"))]
    assert cost["in_house"]["amount"] == Decimal("1000.00")
    assert (cost["legal"], cost["total_rate"]) == (None, Decimal("3.3"))  # ¥40 of ¥1,200

    from ioudesk.legal.models import LegalCase, LegalCost

    legal = LegalCase.objects.create(number="SS20261101-0001", iou=book["b"].iou, customer=book["b"].customer,
                                     branch=book["b"].branch, opened_on=date(2026, 11, 1))
    LegalCost.objects.create(case=legal, kind="court_fee", amount=Decimal("50"), paid_on=date(2026, 11, 3))
    LegalCost.objects.create(case=legal, kind="lawyer_fee", amount=Decimal("30"), paid_on=date(2026, 11, 4))
    LegalCost.objects.create(case=legal, kind="lawyer_fee", amount=Decimal("99"), paid_on=date(2026, 12, 4))
    cost = selectors.agency_cost(admin_user_zh, NOVEMBER)
    assert [(r["kind"], r["amount"]) for r in cost["legal_rows"]] == [("court_fee", Decimal("50.00")),
                                                                     ("lawyer_fee", Decimal("30.00"))]
    assert (cost["legal"], cost["total_cost"], cost["total_rate"]) == (Decimal("80.00"), Decimal("120.00"),
                                                                        Decimal("10.0"))  # (40 + 80) ÷ 1,200


@pytest.mark.django_db
def test_cure_rate_from_cases(book, admin_user_zh, make_loan, head_office):
    cured = make_loan()
    Case.objects.create(number="CS20261001-0003", iou=cured, customer=cured.customer, branch=head_office,
                        opened_on=date(2026, 10, 20), bucket="M1", status="closed", close_reason="cured",
                        closed_on=date(2026, 11, 9))
    counts = selectors.cure_rate(admin_user_zh, NOVEMBER)["cases"]
    # three cases open at some time in November (A, B and the cured one); one cured
    assert (counts["active"], counts["cured"], counts["still_open"], counts["rate"]) == (3, 1, 2, Decimal("33.3"))


@pytest.mark.django_db
def test_plan_progress_and_forecast(book, admin_user_zh, head_office):
    plan = services.plan_save(plan=RecoveryPlan(name="11月赵磊", scope="collector", collector=book["zhao"],
                                                period_start=date(2026, 11, 1), deadline=date(2026, 11, 30),
                                                target=Decimal("3000")), user=admin_user_zh)
    assert plan.branch_id == book["zhao"].branch_id
    progress = selectors.plan_progress(plan, day=date(2026, 11, 20))
    # ¥1,000 in 20 days = ¥50.00 a day; 10 days left = ¥500; the pending promise of 11-28: ¥600 − ¥100
    assert (progress.recovered, progress.elapsed_days, progress.daily_rate) == (Decimal("1000.00"), 20,
                                                                                Decimal("50.00"))
    assert (progress.remaining_days, progress.run_rate_to_deadline, progress.pending_promises) == (
        10, Decimal("500.00"), Decimal("500.00"))
    assert (progress.forecast, progress.achieved, progress.forecast_rate) == (Decimal("2000.00"), Decimal("33.3"),
                                                                              Decimal("66.7"))
    assert not progress.on_track and progress.shortfall == Decimal("2000.00")
    other = services.plan_save(plan=RecoveryPlan(name="11月钱二", scope="collector", collector=book["qian"],
                                                 period_start=date(2026, 11, 1), deadline=date(2026, 11, 30),
                                                 target=Decimal("100")), user=admin_user_zh)
    # with the close's monthly recovery summary through 11-15 (and the rows after it): the same figures
    services.recovery_summarise(month=date(2026, 11, 1), through=date(2026, 11, 15))
    assert selectors.plan_progress(plan, day=date(2026, 11, 20)) == progress
    RecoveryMonth.objects.filter(owner=book["zhao"]).update(amount=Decimal("1100"))  # read from the summary
    assert selectors.plan_progress(plan, day=date(2026, 11, 20)).recovered == Decimal("1100.00")
    RecoveryMonth.objects.filter(owner=book["zhao"]).update(amount=Decimal("1000"))
    # the report's batched form (one grouped query for both collectors) gives the same figures
    assert selectors.plans_progress([plan, other], day=date(2026, 11, 20)) == [
        progress, selectors.plan_progress(other, day=date(2026, 11, 20))]
    team = services.plan_save(plan=RecoveryPlan(name="总部11月", scope="team", branch=head_office,
                                                period_start=date(2026, 11, 1), deadline=date(2026, 11, 30),
                                                target=Decimal("1000")), user=admin_user_zh)
    done = selectors.plan_progress(team, day=date(2026, 12, 5))  # after the deadline: the whole period, no forecast
    assert (done.recovered, done.remaining_days, done.forecast, done.on_track) == (
        Decimal("1200.00"), 0, Decimal("1200.00"), True)


@pytest.mark.django_db
def test_plan_refusals(admin_user_zh):
    with pytest.raises(ValidationFailed) as refused:
        services.plan_save(plan=RecoveryPlan(name="", scope="collector", period_start=date(2026, 11, 30),
                                             deadline=date(2026, 11, 1), target=Decimal("0")), user=admin_user_zh)
    fields = {d["field"] for d in refused.value.extra["details"]}
    assert fields == {"name", "collector", "target", "deadline"}


def test_periods():
    today = date(2026, 12, 15)
    assert selectors.period_bounds("2026-Q4", today=today) == (date(2026, 10, 1), date(2026, 12, 31), "2026-Q4")
    assert selectors.period_bounds("2026-02", today=today) == (date(2026, 2, 1), date(2026, 2, 28), "2026-02")
    assert selectors.period_bounds("x", today=today) == (date(2026, 12, 1), date(2026, 12, 31), "2026-12")
    assert selectors.term_buckets("short", long_days=90) == ("M1", "M2", "M3")
    assert selectors.term_buckets("long", long_days=60) == ("M3", "M4", "M5", "M6", "M7+")


@pytest.mark.django_db
def test_pages_and_xlsx(book, admin_user_zh, client):
    client.force_login(admin_user_zh)
    url = reverse("backoffice:collection_reports")
    with clock.frozen(date(2026, 12, 15)):
        for tab in ("activity", "kept", "recovered", "roll", "cure", "cost"):
            response = client.get(url, {"tab": tab, "period": "2026-11"})
            assert response.status_code == 200, tab
        page = client.get(url, {"tab": "recovered", "period": "2026-11"}).content.decode()
        assert "¥1,200.00" in page and "华信商务" in page
        sheet = client.get(url, {"tab": "cost", "period": "2026-11", "export": "xlsx"})
        assert sheet["Content-Type"].startswith("application/vnd.openxmlformats")
        rows = list(load_workbook(BytesIO(sheet.content)).active.iter_rows(values_only=True))
        agency = next(r for r in rows if r and r[0] == "华信商务")
        assert (agency[1], agency[4], agency[5]) == ("20.00%", 200, 40)

        services.plan_save(plan=RecoveryPlan(name="11月赵磊", scope="collector", collector=book["zhao"],
                                             period_start=date(2026, 11, 1), deadline=date(2026, 11, 30),
                                             target=Decimal("3000")), user=admin_user_zh)
        report = client.get(reverse("backoffice:recovery_report"), {"period": "2026-11"})
        assert report.status_code == 200 and "11月赵磊" in report.content.decode()
        sheet = client.get(reverse("backoffice:recovery_report"), {"period": "2026-11", "export": "xlsx"})
        rows = list(load_workbook(BytesIO(sheet.content)).active.iter_rows(values_only=True))
        plan_row = next(r for r in rows if r and r[0] == "11月赵磊")
        assert plan_row[5:8] == (3000, 1000, 33.3)  # target, recovered, achieved % (whole period: ¥1,000)
        admin_page = client.get(reverse("admin:recovery_recoveryplan_changelist"))
        assert admin_page.status_code == 200 and "有望完成" not in admin_page.content.decode()


@pytest.mark.django_db
def test_demo_is_idempotent(admin_user_zh, make_staff, make_branch):
    from ioudesk.recovery import demo

    make_staff("zhaolei", role="催收员")
    make_staff("sunli", role="催收主管", branch=make_branch("CY", "朝阳网点"))
    with clock.frozen(date(2026, 12, 1)):
        assert demo.load() == ["回收计划 2 个（新建）；2026-11-30 月末账龄快照"]
        assert demo.load() == ["回收计划 0 个（新建）；2026-11-30 月末账龄快照"]
    plans = {p.name: (p.scope, p.period_start, p.deadline) for p in RecoveryPlan.objects.all()}
    assert plans == {"2026年12月回收计划（赵磊）": ("collector", date(2026, 12, 1), date(2026, 12, 31)),
                     "2026年第4季度团队回收计划": ("team", date(2026, 10, 1), date(2026, 12, 31))}
