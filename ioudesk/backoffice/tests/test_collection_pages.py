"""The 催收 pages: the workbench (counts, filters, cards and table, links), the case page (header,
limitation, timeline, buttons by predicate), the contact form (parties, policy warning before
saving, a promise, a recording with its SHA-256 shown after saving, refusals next to their field),
assignment by hand, in bulk and recall with the history, and the admin lists.

Given ¥10,000 lent on 2026-10-03 at 12 % over 12 months (¥888.49 a month), on the business date
2026-11-28 the first installment (due 2026-11-03) is 25 days overdue: the case is M1, 25 days, its
arrears the first installment's ¥888.49 (principal 788.49 + interest 100.00) and the penalty the
close posted on it: overdue principal 788.49 × 12 % × 1.5 / 360 × 25 days = 9.856 → ¥9.86, in all
¥898.35."""

import hashlib
import io
import wave
from datetime import date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ioudesk.collections.models import CaseAssignment, ContactAttachment, ContactRecord, Promise
from ioudesk.collections.tests.world import rolled_back, staff_and_debtor
from ioudesk.core import clock

pytestmark = pytest.mark.django_db
BEIJING = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 28)
WORKBENCH = reverse("backoffice:collections_workbench")


# The staff, the debtor, the loan and its open case are built once for the module (in a transaction
# rolled back at its end, like tests/test_pages_by_role.py); each test runs in a savepoint of it.


def _build_world() -> dict:

    from ioudesk.backoffice.tests.test_iou_pages import make_loan
    from ioudesk.collections.services import case_assign, case_open
    from ioudesk.ious.services.accrual import iou_close_day

    head_office, people, debtor = staff_and_debtor(extra_staff=(("qianfeng", "催收员"),))
    iou = make_loan(debtor, people["zhangwei"], people["liuyang"], people["chenjing"], day=date(2026, 10, 3))
    with clock.frozen(DAY):
        iou = iou_close_day(iou=iou, day=DAY)
        case = case_open(iou, day=DAY)
        case_assign(case, owner=people["zhaolei"], by=people["sunli"], reason="首次分案")
    return {"case": case.pk, **{name: user.pk for name, user in people.items()}}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        yield _build_world()


def _user(world, name):
    from ioudesk.core.models import User

    return User.objects.get(pk=world[name])


@pytest.fixture
def collector(world, db):
    return _user(world, "zhaolei")


@pytest.fixture
def other_collector(world, db):
    return _user(world, "qianfeng")


@pytest.fixture
def supervisor(world, db):
    return _user(world, "sunli")


@pytest.fixture
def case(world, db):
    from ioudesk.collections.models import Case

    return Case.objects.select_related("iou", "customer").get(pk=world["case"])


@pytest.fixture
def day():
    with clock.frozen(DAY) as frozen:
        yield frozen


def wav_bytes() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 800)
    return buffer.getvalue()


def test_the_case_as_opened_and_assigned(case, collector):
    assert (case.bucket, case.days_past_due, case.arrears) == ("M1", 25, D("898.35"))
    assert case.owner == collector


def test_workbench_shows_my_case_with_counts_and_links(client, case, collector, other_collector, day):
    client.force_login(collector)
    page = client.get(WORKBENCH)
    assert page.status_code == 200
    html = page.content.decode()
    assert page.context["counts"]["actions_overdue"] + page.context["counts"]["actions_due"] >= 0
    assert [r["case"].pk for r in page.context["rows"]] == [case.pk]
    for url in (reverse("backoffice:collections_case", args=[case.pk]),
                reverse("backoffice:collections_contact", args=[case.pk]),
                reverse("backoffice:customer_overview", args=[case.customer_id]),
                reverse("backoffice:iou_detail", args=[case.iou_id])):
        assert url in html
    assert "¥898.35" in html
    assert 'data-testid="case-card"' in html and 'data-testid="case-table"' in html
    assert 'name="case"' not in html  # a collector does not assign: no check boxes

    client.force_login(other_collector)  # not theirs
    assert client.get(WORKBENCH).context["rows"] == []
    assert client.get(reverse("backoffice:collections_case", args=[case.pk])).status_code == 404


def test_workbench_filters(client, case, collector, day):
    client.force_login(collector)
    assert len(client.get(WORKBENCH, {"bucket": "M1", "term": "short", "nature": "loan"}).context["rows"]) == 1
    assert client.get(WORKBENCH, {"bucket": "M2"}).context["rows"] == []
    assert client.get(WORKBENCH, {"term": "long"}).context["rows"] == []
    assert client.get(WORKBENCH, {"category": "important"}).context["rows"] == []
    assert len(client.get(WORKBENCH, {"q": case.iou.number}).context["rows"]) == 1
    assert client.get(WORKBENCH, {"bucket": "nonsense"}).status_code == 200  # an unknown value is ignored


def test_a_managers_workbench_filters_by_collector(client, case, collector, other_collector, supervisor, day):
    client.force_login(supervisor)
    page = client.get(WORKBENCH)
    assert "owner" in page.context["filters"].fields and 'name="owner"' in page.content.decode()
    assert [r["case"].pk for r in client.get(WORKBENCH, {"owner": collector.pk}).context["rows"]] == [case.pk]
    assert client.get(WORKBENCH, {"owner": other_collector.pk}).context["rows"] == []
    assert client.get(WORKBENCH, {"owner": "none"}).context["rows"] == []  # it is assigned
    assert page.context["kept"] is None  # a manager's workbench is the team's, not their own promises

    client.force_login(collector)
    mine = client.get(WORKBENCH)
    assert "owner" not in mine.context["filters"].fields
    assert mine.context["kept"]["judged"] == 0 and "本月还没有已判定的承诺还款" in mine.content.decode()


def test_case_page_header_timeline_and_buttons(client, case, collector, supervisor, day):
    client.force_login(collector)
    page = client.get(reverse("backoffice:collections_case", args=[case.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert case.number in html and case.iou.number in html and "¥898.35" in html
    assert 'data-testid="case-limitation"' in html
    labels = [link["testid"] for link in page.context["links"]]
    assert "record-contact" in labels and "assign" not in labels and "recall" not in labels
    kinds = [item["kind"] for item in page.context["timeline"]]
    assert kinds.count("event") >= 2  # opened, assigned

    client.force_login(supervisor)
    labels = [link["testid"] for link in client.get(
        reverse("backoffice:collections_case", args=[case.pk])).context["links"]]
    assert {"assign", "recall"} <= set(labels)


def test_contact_form_records_a_call_with_a_recording_and_a_promise(client, case, collector, day, settings, tmp_path):
    settings.IOUDESK_PRIVATE_DIR = str(tmp_path)
    client.force_login(collector)
    url = reverse("backoffice:collections_contact", args=[case.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert [value for value, _label in page.context["form"].fields["party"].choices] == ["debtor"]
    html = page.content.decode()
    assert 'capture' in html and 'accept="audio/*"' in html

    audio = wav_bytes()
    response = client.post(url, {
        "method": "phone", "party": "debtor", "outcome": "promised", "contacted_at": "2026-11-28T10:30",
        "notes": "答应月底前先还一期", "promise_amount": "500.00", "promised_on": "2026-11-30",
        "recording": SimpleUploadedFile("call.wav", audio, content_type="audio/wav"),
    })
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    record = ContactRecord.objects.get(case=case)
    assert response["Location"] == reverse("backoffice:collections_record", args=[record.pk])
    attachment = ContactAttachment.objects.get(record=record)
    assert attachment.sha256 == hashlib.sha256(audio).hexdigest()
    promise = Promise.objects.get(record=record)
    assert (promise.amount, promise.promised_on) == (D("500.00"), date(2026, 11, 30))

    shown = client.get(response["Location"]).content.decode()
    assert hashlib.sha256(audio).hexdigest() in shown and "¥500.00" in shown
    assert "2026-11-30" in shown

    case_page = client.get(reverse("backoffice:collections_case", args=[case.pk]))
    contact = next(item for item in case_page.context["timeline"] if item["kind"] == "contact")
    assert contact["obj"] == record and contact["promise"] == promise
    assert [p.pk for p in case_page.context["pending_promises"]] == [promise.pk]
    assert "event" in [item["kind"] for item in case_page.context["timeline"]]
    assert not any(item["obj"].kind == "contact" for item in case_page.context["timeline"] if item["kind"] == "event")


def test_contact_form_refusals_next_to_their_field(client, case, collector, day):
    client.force_login(collector)
    url = reverse("backoffice:collections_contact", args=[case.pk])
    base = {"method": "phone", "party": "debtor", "outcome": "promised", "contacted_at": "2026-11-28T10:30"}
    past = client.post(url, {**base, "promise_amount": "100", "promised_on": "2026-11-27"})
    assert past.status_code == 200 and "promised_on" in past.context["form"].errors
    above = client.post(url, {**base, "promise_amount": "898.36", "promised_on": "2026-11-30"})
    assert "promise_amount" in above.context["form"].errors
    assert "¥898.35" in str(above.context["form"].errors["promise_amount"])
    stranger = client.post(url, {**base, "outcome": "no_answer", "party": "contact:999"})
    assert "party" in stranger.context["form"].errors
    bad_file = client.post(url, {**base, "outcome": "no_answer", "recording": SimpleUploadedFile(
        "call.wav", b"MZ\x90\x00 not audio", content_type="audio/wav")})
    assert bad_file.status_code == 200 and bad_file.context["form"].errors
    assert 'data-testid="files-lost"' in bad_file.content.decode()  # the collector is told to pick it again
    assert not ContactRecord.objects.filter(case=case).exists()


def test_delivery_of_a_letter_is_prefilled(client, case, collector, day):
    from ioudesk.collections.services import contact_record_create

    with clock.frozen(DAY):
        letter = contact_record_create(case, method="letter", party="debtor", outcome="other",
                                       contacted_at=datetime(2026, 11, 28, 9, 0, tzinfo=BEIJING), by=collector)
    client.force_login(collector)
    page = client.get(reverse("backoffice:collections_contact", args=[case.pk]), {"refers_to": letter.pk})
    form = page.context["form"]
    assert (form["method"].value(), form["party"].value(), form["outcome"].value(), form["refers_to"].value()) == (
        "letter", "debtor", "delivered", letter.pk)
    assert 'data-testid="refers-to"' in page.content.decode()


def test_policy_warning_shown_before_saving(client, case, collector, day):
    client.force_login(collector)
    fragment = client.get(reverse("backoffice:collections_contact_policy", args=[case.pk]),
                          {"contacted_at": "2026-11-28T22:15", "method": "phone"})
    assert fragment.status_code == 200
    assert "22:15" in fragment.content.decode() and 'data-testid="policy-warning"' in fragment.content.decode()
    quiet = client.get(reverse("backoffice:collections_contact_policy", args=[case.pk]),
                       {"contacted_at": "2026-11-28T10:00", "method": "phone"})
    assert 'data-testid="policy-warning"' not in quiet.content.decode()
    # saved anyway, with the warning kept on the record
    client.post(reverse("backoffice:collections_contact", args=[case.pk]), {
        "method": "phone", "party": "debtor", "outcome": "no_answer", "contacted_at": "2026-11-28T22:15"})
    record = ContactRecord.objects.get(case=case)
    assert record.outside_hours and "22:15" in record.warning


def test_assign_by_hand_recall_and_history(client, case, collector, other_collector, supervisor, day):
    client.force_login(collector)
    assert client.get(reverse("backoffice:collections_assign", args=[case.pk])).status_code == 404

    client.force_login(supervisor)
    url = reverse("backoffice:collections_assign", args=[case.pk])
    assert client.get(url).status_code == 200
    both = client.post(url, {"reason": "x"})
    assert both.status_code == 200 and both.context["form"].non_field_errors()
    response = client.post(url, {"owner": other_collector.pk, "reason": "调整区域"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.owner == other_collector

    recall = reverse("backoffice:collections_recall", args=[case.pk])
    assert client.post(recall, {"reason": ""}).context["form"].errors["reason"]
    assert client.post(recall, {"reason": "催收员休假"}).status_code == 302
    case.refresh_from_db()
    assert case.owner is None
    history = client.get(reverse("backoffice:collections_assignments", args=[case.pk]))
    assert [a.method for a in history.context["history"]] == ["recall", "reassign", "hand"]
    assert CaseAssignment.objects.filter(case=case, ended_at__isnull=True).count() == 1  # the recall row
    assert client.get(recall).status_code == 404  # nothing to recall now


def test_bulk_assign_from_the_workbench(client, case, other_collector, supervisor, day):
    client.force_login(supervisor)
    html = client.get(WORKBENCH).content.decode()
    assert f'name="case" value="{case.pk}"' in html
    bulk = reverse("backoffice:collections_assign_bulk")
    from_admin = client.post(reverse("admin:collections_case_changelist"),
                             {"action": "bulk_assign", "_selected_action": [case.pk]})
    assert from_admin.status_code == 302 and from_admin["Location"] == f"{bulk}?case={case.pk}"
    page = client.get(bulk, {"case": [case.pk]})
    assert [c.pk for c in page.context["cases"]] == [case.pk]
    response = client.post(bulk, {"case": [case.pk], "owner": other_collector.pk, "reason": "批量调整"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.owner == other_collector
    assert case.assignments.order_by("-started_at", "-id").first().method == "bulk"


def test_admin_lists(client, case, collector, supervisor, day, settings, tmp_path):
    settings.IOUDESK_PRIVATE_DIR = str(tmp_path)
    client.force_login(collector)
    client.post(reverse("backoffice:collections_contact", args=[case.pk]), {
        "method": "phone", "party": "debtor", "outcome": "no_answer", "contacted_at": "2026-11-28T10:00"})
    for name in ("case", "contactrecord", "promise"):
        assert client.get(reverse(f"admin:collections_{name}_changelist")).status_code == 200
    cases = client.get(reverse("admin:collections_case_changelist"), {"bucket": "M1", "term": "short"})
    assert case.number in cases.content.decode()
    long = client.get(reverse("admin:collections_case_changelist"), {"term": "long"})
    assert case.number not in long.content.decode()
    record = ContactRecord.objects.get(case=case)
    assert client.get(reverse("admin:collections_contactrecord_change", args=[record.pk])).status_code == 200
    assert client.get(reverse("admin:collections_case_change", args=[case.pk])).status_code == 200

    client.force_login(supervisor)
    for name in ("strategy", "assignmentrule", "agency", "collectorprofile"):
        assert client.get(reverse(f"admin:collections_{name}_changelist")).status_code == 200
    settings_page = client.get(reverse("admin:collections_collectionsettings_changelist"))
    assert settings_page.status_code == 302


def test_admin_saves_through_the_services(client, supervisor, collector, day):
    from ioudesk.collections.models import Agency, CollectionSettings, Strategy

    client.force_login(supervisor)
    add = reverse("admin:collections_agency_add")
    bad = client.post(add, {"name": "远方律所", "contact_name": "", "phone": "", "commission_rate": "1.5",
                            "active": "on"})
    assert bad.status_code == 200 and not Agency.objects.exists()
    assert client.post(add, {"name": "远方律所", "commission_rate": "0.1500", "active": "on",
                             "phone": "13800001111"}).status_code == 302
    agency = Agency.objects.get()
    assert agency.commission_rate == D("0.1500") and agency.phone == "13800001111"

    from ioudesk.collections.selectors import collection_settings

    row = collection_settings()
    change = reverse("admin:collections_collectionsettings_change", args=[row.pk])
    refused = client.post(change, {"long_overdue_days": "0", "calls_daily_cap": "3", "missed_action_grace_days": "2",
                                   "escalate_on_broken_promise": "on", "limitation_alert_days": "90,30"})
    assert refused.status_code == 200 and "long_overdue_days" in refused.context["adminform"].form.errors
    assert client.post(change, {"long_overdue_days": "60", "calls_daily_cap": "3", "missed_action_grace_days": "2",
                                "escalate_on_broken_promise": "on", "limitation_alert_days": "30,90"}
                       ).status_code == 302
    row = CollectionSettings.objects.get(pk=row.pk)
    assert (row.long_overdue_days, row.limitation_alert_days) == (60, "90,30")
    assert Strategy.objects.exists() is False or Strategy.objects.count() >= 0


def test_strategy_steps_saved_through_the_service(client, supervisor, day):
    from ioudesk.collections.models import Strategy
    from ioudesk.core import audit

    strategy = Strategy.objects.get(bucket="M1")
    steps = list(strategy.steps.order_by("order"))
    url = reverse("admin:collections_strategy_change", args=[strategy.pk])
    data = {"bucket": "M1", "name": strategy.name, "active": "on", "steps-TOTAL_FORMS": len(steps),
            "steps-INITIAL_FORMS": len(steps), "steps-MIN_NUM_FORMS": 0, "steps-MAX_NUM_FORMS": 1000}
    for i, step in enumerate(steps):
        data |= {f"steps-{i}-id": step.pk, f"steps-{i}-strategy": strategy.pk, f"steps-{i}-order": step.order,
                 f"steps-{i}-action": step.action, f"steps-{i}-after_days": step.after_days,
                 f"steps-{i}-label": step.label}
    client.force_login(supervisor)
    refused = client.post(url, {**data, "steps-1-after_days": 400})
    assert refused.status_code == 200 and "365" in refused.content.decode()
    assert strategy.steps.get(order=2).after_days == steps[1].after_days
    assert client.post(url, {**data, "steps-1-after_days": 5}).status_code == 302
    changed = strategy.steps.get(order=2)
    assert changed.after_days == 5
    assert audit.events_for(changed).exists()


def test_assignment_rule_and_collector_profile_through_the_admin(client, supervisor, collector, other_collector, day):
    from ioudesk.collections.models import AssignmentRule, CollectorProfile

    client.force_login(supervisor)
    add = reverse("admin:collections_assignmentrule_add")
    nobody = client.post(add, {"order": 5, "name": "M1 电话", "active": "on", "buckets": "M1"})
    assert nobody.status_code == 200 and not AssignmentRule.objects.filter(name="M1 电话").exists()
    bad_bucket = client.post(add, {"order": 5, "name": "M1 电话", "active": "on", "buckets": "M9",
                                   "collectors": [collector.pk]})
    assert "M9" in bad_bucket.content.decode()
    assert client.post(add, {"order": 5, "name": "M1 电话", "active": "on", "buckets": "m1, M2",
                             "collectors": [collector.pk, other_collector.pk]}).status_code == 302
    rule = AssignmentRule.objects.get(name="M1 电话")
    assert rule.buckets == "M1,M2" and set(rule.collectors.all()) == {collector, other_collector}

    profile_add = reverse("admin:collections_collectorprofile_add")
    assert client.post(profile_add, {"user": collector.pk, "skills": "M1", "max_open_cases": 50,
                                     "active": "on"}).status_code == 302
    assert CollectorProfile.objects.get(user=collector).max_open_cases == 50


def test_the_collectors_kept_rate_this_month(client, case, collector, day):
    """Two promises falling due in November, one kept and one broken by the close: 1 of 2 = 50.0 %."""
    from ioudesk.collections.services import contact_record_create

    for hour, due in ((9, date(2026, 11, 29)), (10, date(2026, 11, 30))):
        contact_record_create(case, method="phone", party="debtor", outcome="promised", by=collector,
                              contacted_at=datetime(2026, 11, 28, hour, 0, tzinfo=BEIJING),
                              promise=(D("100.00"), due))
    Promise.objects.filter(promised_on=date(2026, 11, 29)).update(status="kept", paid=D("100.00"))
    Promise.objects.filter(promised_on=date(2026, 11, 30)).update(status="broken")
    client.force_login(collector)
    with clock.frozen(date(2026, 11, 30)):
        page = client.get(WORKBENCH)
    assert page.context["kept"] == {"judged": 2, "kept": 1, "partly_kept": 0, "broken": 1, "percent": "50.0"}
    assert "兑现率 50.0%" in page.content.decode()
