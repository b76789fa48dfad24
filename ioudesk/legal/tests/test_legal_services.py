"""Legal cases, their limitation interruptions, costs, the defaulter list and the origination check."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from reportlab.pdfgen import canvas

from ioudesk.collections.models import CaseEvent
from ioudesk.core import clock
from ioudesk.core.errors import InvalidState, PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditEvent
from ioudesk.ious.models import Iou, LimitationEvent
from ioudesk.ious.services import iou_create
from ioudesk.legal import predicates
from ioudesk.legal.models import LegalEventKind, LegalStatus
from ioudesk.legal.selectors import defaulter_match
from ioudesk.legal.services import (
    defaulter_list,
    defaulter_remove,
    legal_case_create,
    legal_case_open,
    legal_case_update,
    legal_cost_add,
    legal_event_add,
)

pytestmark = pytest.mark.django_db


def pdf(name="失信被执行人.pdf") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "evidence")
    page.save()
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def test_opening_from_a_collection_case_marks_it_legal_and_claims_what_is_owed(collection_case, lawyer, loan):
    with clock.frozen(date(2026, 6, 1)):
        legal_case = legal_case_open(collection_case, by=lawyer, lawyer="李律师", law_firm="京信律师事务所")
    collection_case.refresh_from_db()
    assert collection_case.legal is True
    assert CaseEvent.objects.filter(case=collection_case, kind="legal").count() == 1
    assert legal_case.number == "FS20260601-0001" and legal_case.status == LegalStatus.PREPARING
    assert legal_case.claim_amount == loan.total_outstanding == Decimal("10000.00")
    assert not predicates.can_open_legal_case(collection_case, lawyer)
    with clock.frozen(date(2026, 6, 1)), pytest.raises(InvalidState):
        legal_case_open(collection_case, by=lawyer)


def test_a_manager_without_the_permission_cannot_open_one(collection_case, manager):
    assert not predicates.can_open_legal_case(collection_case, manager)
    with clock.frozen(date(2026, 6, 1)), pytest.raises(PermissionDenied):
        legal_case_open(collection_case, by=manager)


def test_filing_interrupts_the_limitation_period_and_the_judgment_restarts_it(loan, lawyer):
    """Last due 2027-01-15 → ends 2030-01-15 (民法典第188、189条). Filed 2028-05-05: interrupted
    (第195条), three years from it 2031-05-05; judgment 2029-01-10 ends the proceedings, the period
    runs again from it: 2032-01-10."""
    with clock.frozen(date(2028, 5, 1)):
        legal_case = legal_case_create(by=lawyer, iou=loan)
    with clock.frozen(date(2028, 5, 6)):
        legal_case = legal_case_update(legal_case, by=lawyer, filed_on=date(2028, 5, 5), court="北京市朝阳区人民法院",
                                       court_case_number="（2028）京0105民初123号")
    loan.refresh_from_db()
    assert legal_case.status == LegalStatus.FILED
    assert loan.limitation_expires_on == date(2031, 5, 5)
    event = LimitationEvent.objects.get(iou=loan)
    assert (event.kind, event.source) == ("lawsuit", f"legal.legalcase:{legal_case.pk}:filed")
    with clock.frozen(date(2029, 1, 20)):
        legal_case = legal_case_update(legal_case, by=lawyer, judgment_on=date(2029, 1, 10),
                                       judgment_amount="10500.00", status=LegalStatus.JUDGED)
    loan.refresh_from_db()
    assert loan.limitation_expires_on == date(2032, 1, 10)
    assert list(legal_case.events.values_list("kind", flat=True)) == [LegalEventKind.FILING, LegalEventKind.JUDGMENT]


def test_inconsistent_facts_are_refused_with_the_field(loan, lawyer):
    with clock.frozen(date(2028, 5, 1)):
        legal_case = legal_case_create(by=lawyer, iou=loan)
        for changes, field in [({"judgment_on": date(2028, 4, 1)}, "judgment_on"),
                               ({"status": LegalStatus.HEARING}, "filed_on"),
                               ({"filed_on": date(2028, 6, 1)}, "filed_on"),
                               ({"filed_on": date(2028, 4, 1), "judgment_on": date(2028, 3, 1)}, "judgment_on"),
                               ({"claim_amount": "-5"}, "claim_amount")]:
            with pytest.raises(ValidationFailed) as refused:
                legal_case_update(legal_case, by=lawyer, **changes)
            assert refused.value.extra["field"] == field, changes
    assert not LimitationEvent.objects.exists()


def test_events_and_costs(loan, lawyer):
    with clock.frozen(date(2028, 5, 1)):
        legal_case = legal_case_create(by=lawyer, iou=loan)
        legal_event_add(legal_case, kind=LegalEventKind.HEARING, on=date(2028, 7, 1), text="第一次开庭", by=lawyer)
        legal_cost_add(legal_case, kind="court_fee", amount="50.00", paid_on=date(2028, 5, 1), by=lawyer)
        legal_cost_add(legal_case, kind="lawyer_fee", amount="3,000.00", paid_on=date(2028, 5, 1), by=lawyer)
        with pytest.raises(ValidationFailed) as refused:
            legal_cost_add(legal_case, kind="court_fee", amount="0", paid_on=date(2028, 5, 1), by=lawyer)
        assert refused.value.extra["field"] == "amount"
    assert legal_case.total_costs == Decimal("3050.00")
    assert AuditEvent.objects.filter(object_id=str(legal_case.pk), verb="登记诉讼费用").count() == 2


def test_a_listed_debtor_is_refused_a_new_iou_unless_the_maker_confirms(debtor, manager, lawyer):
    with clock.frozen(date(2026, 5, 1)):
        listed = defaulter_list(by=lawyer, customer=debtor, name="", source="court", court_case_number="（2026）京0105执1号",
                                reason="法院失信被执行人名单", evidence=pdf())
    assert listed.id_last4 == "002X" and len(listed.evidence_sha256) == 64
    assert defaulter_match(id_number="11010519491231002x") == [listed]
    fields = {"kind": "debt", "customer": debtor, "principal": "800", "rate_text": "0%", "reason": "货款",
              "debt_reason": "goods"}
    with clock.frozen(date(2026, 5, 2)):
        with pytest.raises(ValidationFailed) as refused:
            iou_create(user=manager, **fields)
        assert refused.value.code == "origination_check" and refused.value.extra["field"] == "confirm_checks"
        assert "法院失信被执行人" in str(refused.value.message)
        assert not Iou.objects.exists()
        iou, _warning = iou_create(user=manager, confirm_checks=True, **fields)
    confirmed = AuditEvent.objects.get(object_id=str(iou.pk), verb="确认风险提示后建立")
    assert confirmed.changes["warnings"] == ["defaulter_listed"] and confirmed.changes["confirmed_by"] == manager.pk
    with clock.frozen(date(2026, 6, 1)):
        defaulter_remove(listed, by=lawyer, reason="已履行")
        iou_create(user=manager, **fields)  # no longer listed: no check


def test_defaulter_evidence_must_be_a_pdf_or_image(debtor, lawyer):
    for evidence, field in [(None, "evidence"), (SimpleUploadedFile("x.pdf", b"hello", "application/pdf"), "evidence")]:
        with pytest.raises(ValidationFailed) as refused:
            defaulter_list(by=lawyer, customer=debtor, name="", reason="r", evidence=evidence)
        assert refused.value.extra["field"] == field
    with pytest.raises(ValidationFailed) as refused:
        defaulter_list(by=lawyer, name="某公司", reason="r", source="court", evidence=pdf())
    assert refused.value.extra["field"] == "court_case_number"
