"""截至今日欠款 on the 催收 pages, the delivery form and the letter's line in the timeline.

The debt: ¥10,000.00 lent on 2026-01-15 at 12 % a year for one month: ¥10,100.00 (interest ¥100.00)
due on 2026-02-15, never paid. The penalty rate of this IOU is the contract rate marked up by 50 %:
12 % × 1.5 = 18 % a year, on the overdue principal, ACT/360: ¥10,000.00 × 18 % / 360 = ¥5.00 a day.
The close of 2026-02-16 posts one day (¥5.00): the case's arrears as posted is ¥10,105.00. On the
business date 2026-02-19, with no posting since (decision 0006), the debtor owes 4 days of penalty
(02-15 → 02-19): ¥20.00, so ¥10,000.00 + ¥100.00 + ¥20.00 = ¥10,120.00, what the letter of that day
says; the pages show that, not ¥10,105.00."""

from datetime import date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from ioudesk.core import clock

pytestmark = pytest.mark.django_db
BEIJING = ZoneInfo("Asia/Shanghai")
DUE, OPENED, TODAY = date(2026, 2, 15), date(2026, 2, 16), date(2026, 2, 19)


@pytest.fixture
def overdue(debtor, manager, approver, finance, make_staff):
    from ioudesk.collections.services import case_assign, case_open, strategy_defaults_ensure
    from ioudesk.ious.models import Iou
    from ioudesk.ious.services import iou_approve, iou_create, iou_submit
    from ioudesk.ious.services.accrual import iou_close_day
    from ioudesk.ious.services.disbursement import iou_disburse

    collector = make_staff("zhaolei", role="催收员")
    supervisor = make_staff("sunli", role="催收主管")
    strategy_defaults_ensure()
    with clock.frozen(date(2026, 1, 15)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("10000"), term=1, rate_text="12%",
                                    method="equal_installment", contract_date=date(2026, 1, 15)), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    iou.refresh_from_db()
    assert iou.maturity_date == DUE
    with clock.frozen(OPENED):
        iou = iou_close_day(iou=iou, day=OPENED)
        case = case_open(iou, day=OPENED)
        case_assign(case, owner=collector, by=supervisor, reason="首次分案")
    case.refresh_from_db()
    return case, collector


def _rate_per_day(iou) -> D:
    """This IOU's penalty a day on its overdue principal: 12 % × (1 + 50 %) / 360 × ¥10,000.00."""
    assert (iou.annual_rate, iou.penalty_markup, iou.penalty_daily_rate) == (D("0.12"), D("0.5"), None)
    return (D("10000.00") * iou.annual_rate * (1 + iou.penalty_markup) / 360).quantize(D("0.01"))


def test_owed_today_is_the_letters_figure_not_the_posted_arrears(overdue):
    from ioudesk.collections.owed import owed_today
    from ioudesk.legal.letters import owed_on

    case, _collector = overdue
    per_day = _rate_per_day(case.iou)
    assert per_day == D("5.00")
    assert case.arrears == D("10000.00") + D("100.00") + 1 * per_day == D("10105.00")  # as the close posted it
    with clock.frozen(TODAY):
        owed = owed_today(case.iou, TODAY)
        letter = owed_on(case.iou, TODAY)
    days = (TODAY - DUE).days
    assert (owed.principal, owed.interest, owed.penalty, owed.fee) == (
        D("10000.00"), D("100.00"), days * per_day, D("0.00"))
    assert days * per_day == D("20.00")
    assert owed.total == D("10120.00") == letter.total


def test_case_page_contact_form_and_workbench_show_owed_today(client, overdue, django_assert_max_num_queries):
    from ioudesk.collections.owed import owed_today_of

    case, collector = overdue
    client.force_login(collector)
    with clock.frozen(TODAY):
        page = client.get(reverse("backoffice:collections_case", args=[case.pk])).content.decode()
        assert "截至今日欠款（2026-02-19）" in page
        assert 'data-testid="owed-total">¥10,120.00<' in page
        assert 'data-testid="owed-penalty">¥20.00<' in page
        assert "¥10,105.00" not in page.split('data-testid="case-timeline"')[0]  # (the opening event says it)
        form = client.get(reverse("backoffice:collections_contact", args=[case.pk])).content.decode()
        assert 'data-testid="owed-total">¥10,120.00<' in form and "¥10,105.00" not in form.split("promise-fields")[0]
        bench = client.get(reverse("backoffice:collections_workbench")).content.decode()
        assert "截至今日欠款" in bench and "¥10,120.00" in bench and "¥10,105.00" not in bench
        # the workbench computes it for the rows shown (their IOUs prefetched): two indexed reads per IOU
        assert case.iou.pk
        with django_assert_max_num_queries(2):
            owed_today_of([case], TODAY)


def test_delivery_form_asks_for_the_date_on_the_receipt(client, overdue):
    from ioudesk.collections.services import contact_record_create

    case, collector = overdue
    with clock.frozen(TODAY):
        letter = contact_record_create(case, method="lawyer_letter", party="debtor", outcome="other",
                                       contacted_at=datetime(2026, 2, 19, 10, 0, tzinfo=BEIJING), by=collector)
    client.force_login(collector)
    url = reverse("backoffice:collections_contact", args=[case.pk])
    with clock.frozen(date(2026, 2, 25)):
        page = client.get(url, {"refers_to": letter.pk})
        form = page.context["form"]
        html = page.content.decode()
        assert form["contacted_at"].value() is None  # not now: the interruption is dated from it
        assert form.fields["contacted_at"].label == "送达（签收）时间" and form.fields["contacted_at"].required
        assert "诉讼时效自该日中断" in html and "送达（签收）时间" in html
        assert 'data-testid="promise-fields"' not in html
        assert html.index('data-upload="delivery_receipt"') < html.index('data-upload="recording"')  # receipt first
        refused = client.post(url, {"method": "lawyer_letter", "party": "debtor", "outcome": "delivered",
                                    "refers_to": letter.pk, "contacted_at": ""})
        assert refused.status_code == 200
        assert refused.context["form"].errors["contacted_at"] == ["请填写送达（签收）时间：按回执上的签收日期。"]
        # an ordinary contact keeps 联系时间, now by default
        plain = client.get(url).context["form"]
        assert plain.fields["contacted_at"].label == "联系时间" and plain["contacted_at"].value() is not None


def test_timeline_says_whether_a_letter_was_delivered(client, overdue):
    from ioudesk.collections.services import contact_record_create

    case, collector = overdue
    client.force_login(collector)
    case_url = reverse("backoffice:collections_case", args=[case.pk])
    with clock.frozen(TODAY):
        letter = contact_record_create(case, method="lawyer_letter", party="debtor", outcome="other",
                                       contacted_at=datetime(2026, 2, 19, 10, 0, tzinfo=BEIJING), by=collector)
        page = client.get(case_url).content.decode()
        assert "律师函 · 已发出（待登记送达）" in page and "律师函 · 其他" not in page
        record = client.get(reverse("backoffice:collections_record", args=[letter.pk])).content.decode()
        assert 'data-testid="record-outcome">已发出（待登记送达）<' in record
    with clock.frozen(date(2026, 2, 21)):
        delivery = contact_record_create(case, method="lawyer_letter", party="debtor", outcome="delivered",
                                         refers_to=letter, contacted_at=datetime(2026, 2, 20, 15, 0, tzinfo=BEIJING),
                                         by=collector)
        page = client.get(case_url).content.decode()
        assert "送达（签收）时间" in client.get(reverse("backoffice:collections_record", args=[delivery.pk])).content.decode()
        record = client.get(reverse("backoffice:collections_record", args=[letter.pk])).content.decode()
    assert "律师函 · 已送达（2026-02-20）" in page and "待登记送达" not in page
    assert 'data-testid="record-outcome">已送达（2026-02-20）<' in record
