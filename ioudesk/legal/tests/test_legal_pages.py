"""The legal pages: 时效预警 (close to expiry, expired, with the reasoning and the interruptions;
filters; the data scope), the limitation section of the IOU page, 转诉讼 from a collection case,
and the admin of legal cases (filing through the service: the limitation moves) and defaulters
(evidence upload, its audited download, removal)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from reportlab.pdfgen import canvas

from ioudesk.core import clock
from ioudesk.core.models.audit import AuditEvent
from ioudesk.ious.services.limitation import limitation_interrupt
from ioudesk.legal.models import Defaulter, LegalCase

pytestmark = pytest.mark.django_db
WATCH = reverse("backoffice:legal_limitation")


@pytest.fixture
def admin_client(client, lawyer):
    client.force_login(lawyer)
    return client


def pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "evidence")
    page.save()
    return buffer.getvalue()


def test_the_watch_list_shows_what_ends_soon_with_its_reasoning(admin_client, loan, make_staff, make_branch):
    """Ends 2030-01-15; on 2029-11-01 that is 75 days away: listed under 90 days, not under 30."""
    with clock.frozen(date(2029, 10, 1)):
        limitation_interrupt(loan, kind="demand", on=date(2029, 10, 1), evidence_sha256="cd" * 32,
                             source="test:1")  # before expiry → 2032-10-01: no longer close
    with clock.frozen(date(2029, 11, 1)):
        page = admin_client.get(WATCH)
        assert page.status_code == 200
        assert loan.number not in page.content.decode()
    loan.refresh_from_db()
    assert loan.limitation_expires_on == date(2032, 10, 1)
    with clock.frozen(date(2032, 8, 1)):  # 61 days before 2032-10-01
        page = admin_client.get(WATCH).content.decode()
        assert loan.number in page and "还剩 61 天" in page and "第195条" in page and "2029-10-01" in page
        assert loan.number not in admin_client.get(WATCH, {"within": 30}).content.decode()
        assert loan.number not in admin_client.get(WATCH, {"state": "expired"}).content.decode()
    with clock.frozen(date(2032, 10, 5)):
        page = admin_client.get(WATCH, {"state": "expired"}).content.decode()
        assert loan.number in page and "已届满 4 天" in page
    other = make_staff("qianfeng", role="客户经理", branch=make_branch("W1", "西城网点"))
    admin_client.force_login(other)
    with clock.frozen(date(2032, 10, 5)):
        assert loan.number not in admin_client.get(WATCH).content.decode()


def test_the_iou_page_has_the_limitation_section(admin_client, loan):
    with clock.frozen(date(2026, 6, 1)):
        page = admin_client.get(reverse("backoffice:iou_detail", args=[loan.pk])).content.decode()
    assert 'data-testid="limitation-clock"' in page and "2030-01-15" in page and "第188、189条" in page


def test_opening_a_legal_case_from_the_collection_case(admin_client, collection_case, loan):
    url = reverse("backoffice:legal_case_open", args=[collection_case.pk])
    with clock.frozen(date(2026, 6, 1)):
        assert admin_client.get(url).status_code == 200
        answer = admin_client.post(url, {"lawyer": "李律师", "law_firm": "", "claim_amount": "", "notes": ""})
    legal_case = LegalCase.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse("admin:legal_legalcase_change",
                                                                       args=[legal_case.pk])
    collection_case.refresh_from_db()
    assert collection_case.legal
    with clock.frozen(date(2026, 6, 1)):
        assert 'data-testid="legal-open-refused"' in admin_client.get(url).content.decode()


def test_the_legal_case_admin_files_through_the_service(admin_client, loan):
    add = reverse("admin:legal_legalcase_add")
    with clock.frozen(date(2028, 5, 1)):
        assert admin_client.get(add).status_code == 200
        answer = admin_client.post(add, {"iou": loan.pk, "customer": "", "lawyer": "李律师", "law_firm": "",
                                         "claim_amount": "", "notes": "", "_save": "1"})
        assert answer.status_code == 302, [answer.context.get("errors"), answer.context["adminform"].form.non_field_errors(), [f.formset.errors for f in answer.context["inline_admin_formsets"]]]
        legal_case = LegalCase.objects.get()
        change = reverse("admin:legal_legalcase_change", args=[legal_case.pk])
        assert admin_client.get(change).status_code == 200
    data = {"status": "filed", "lawyer": "李律师", "law_firm": "", "lawyer_letter_on": "", "filed_on": "2028-05-05",
            "court": "朝阳区人民法院", "court_case_number": "（2028）京0105民初1号", "claim_amount": "10000.00",
            "judgment_on": "", "judgment_amount": "0", "enforcement_case_number": "", "recovered_amount": "0",
            "closed_on": "", "notes": "", "_save": "1",
            "events-TOTAL_FORMS": "1", "events-INITIAL_FORMS": "0", "events-MIN_NUM_FORMS": "0",
            "events-MAX_NUM_FORMS": "1000", "events-0-kind": "hearing", "events-0-on": "2028-05-06",
            "events-0-text": "开庭", "costs-TOTAL_FORMS": "1", "costs-INITIAL_FORMS": "0", "costs-MIN_NUM_FORMS": "0",
            "costs-MAX_NUM_FORMS": "1000", "costs-0-kind": "court_fee", "costs-0-amount": "50.00",
            "costs-0-paid_on": "2028-05-05", "costs-0-note": ""}
    with clock.frozen(date(2028, 5, 6)):
        answer = admin_client.post(change, data)
        assert answer.status_code == 302, answer.content.decode()[:3000]
    loan.refresh_from_db()
    assert loan.limitation_expires_on == date(2031, 5, 5)
    legal_case.refresh_from_db()
    assert legal_case.total_costs == 50 and legal_case.events.filter(kind="hearing").exists()
    with clock.frozen(date(2028, 5, 6)):  # a judgment before filing: refused next to its field, nothing saved
        answer = admin_client.post(change, {**data, "judgment_on": "2028-05-01", "events-TOTAL_FORMS": "0",
                                            "costs-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"})
        assert answer.status_code == 200 and "判决日期不能早于立案日期" in answer.content.decode()


def test_the_defaulter_admin(admin_client, debtor):
    add = reverse("admin:legal_defaulter_add")
    with clock.frozen(date(2026, 5, 1)):
        assert admin_client.get(add).status_code == 200
        answer = admin_client.post(add, {"customer": debtor.pk, "name": "", "id_number": "", "source": "internal",
                                         "court_case_number": "", "reason": "恶意逃废债", "listed_on": "",
                                         "evidence": SimpleUploadedFile("决定.pdf", pdf_bytes(), "application/pdf"),
                                         "_save": "1"})
        assert answer.status_code == 302, answer.content.decode()[:3000]
    row = Defaulter.objects.get()
    assert row.name == "王建国" and row.id_last4 == "002X"
    download = admin_client.get(reverse("admin:legal_defaulter_evidence", args=[row.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert AuditEvent.objects.filter(verb="下载失信名单证据").exists()
    change = reverse("admin:legal_defaulter_change", args=[row.pk])
    assert admin_client.get(change).status_code == 200
    with clock.frozen(date(2026, 6, 1)):
        assert admin_client.post(change, {"removal_reason": "已还清", "_save": "1"}).status_code == 302
    row.refresh_from_db()
    assert row.removed_on == date(2026, 6, 1)
    assert admin_client.get(reverse("admin:legal_defaulter_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:legal_legalcase_changelist")).status_code == 200


def test_the_create_form_and_the_api_ask_for_the_confirmation(client, debtor, manager, lawyer):
    """A listed debtor: the 欠条 form answers with the reason next to the checkbox, and creates the
    IOU once it is ticked; the API answers 400 origination_check until confirm_checks is true."""
    import json

    from ioudesk.api.services import api_token_issue
    from ioudesk.ious.models import Iou
    from ioudesk.legal.services import defaulter_list

    with clock.frozen(date(2026, 5, 1)):
        defaulter_list(by=lawyer, customer=debtor, name="", reason="恶意逃废债",
                       evidence=SimpleUploadedFile("决定.pdf", pdf_bytes(), "application/pdf"))
    client.force_login(manager)
    create = reverse("backoffice:iou_create") + "?kind=debt"
    form = {"customer": debtor.pk, "debt_reason": "goods", "reason": "货款", "principal": "800",
            "contract_date": "2026-05-02", "payment_terms": "", "rate_text": "0%", "creditor": ""}
    with clock.frozen(date(2026, 5, 2)):
        page = client.post(create, form)
        assert page.status_code == 200 and "恶意逃废债" in page.content.decode()
        assert page.context["form"].errors["confirm_checks"]
        assert client.post(create, {**form, "confirm_checks": "on"}).status_code == 302
        _, token = api_token_issue(user=manager, name="测试")
        body = {"kind": "debt", "customer_id": debtor.pk, "principal": "500", "rate_text": "0%"}
        answer = client.post("/api/v1/ious", json.dumps(body), content_type="application/json",
                             HTTP_AUTHORIZATION=f"Bearer {token}")
        assert answer.status_code == 400 and answer.json()["code"] == "origination_check"
        answer = client.post("/api/v1/ious", json.dumps({**body, "confirm_checks": True}),
                             content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert answer.status_code == 201
    assert Iou.objects.count() == 2


def test_an_auditor_views_a_defaulter_and_a_legal_case_read_only(client, debtor, lawyer, loan, make_staff):
    from ioudesk.legal.services import defaulter_list, legal_case_create

    with clock.frozen(date(2026, 5, 1)):
        row = defaulter_list(by=lawyer, customer=debtor, name="", reason="恶意逃废债",
                             evidence=SimpleUploadedFile("决定.pdf", pdf_bytes(), "application/pdf"))
        legal_case = legal_case_create(by=lawyer, iou=loan)
    client.force_login(make_staff("zhouqiang", role="审计"))
    for url in (reverse("admin:legal_defaulter_change", args=[row.pk]),
                reverse("admin:legal_legalcase_change", args=[legal_case.pk])):
        page = client.get(url)
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
