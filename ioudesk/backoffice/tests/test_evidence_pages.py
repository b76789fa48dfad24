"""The pages of H4 (backoffice/evidence_pages.py) as a collector's manager uses them: the letter page
shows what is owed and the limitation date, previews and issues a 催款函; the issued letter opens; the
delivery is recorded through the contact form's ?refers_to= with a receipt, and the limitation date
moves by exactly that interruption; the evidence package downloads. Refusals for others."""

import hashlib
import io
import zipfile
from datetime import date

from django.urls import reverse

from ioudesk.collections.models import ContactRecord
from ioudesk.core import clock
from ioudesk.legal.tests.letter_fixtures import (  # noqa: F401 (fixtures)
    DELIVERY_DAY,
    LETTER_DAY,
    case_fixture,
    overdue_loan_fixture,
    pdf_upload,
    private_dir_fixture,
)


def test_issue_a_letter_and_record_its_delivery_through_the_pages(case, admin_user_zh, client):
    client.force_login(admin_user_zh)
    url = reverse("backoffice:demand_letter", args=[case.pk])
    with clock.frozen(LETTER_DAY):
        page = client.get(f"{url}?kind=demand")
        assert page.status_code == 200
        html = page.content.decode()
        assert "发催款函" in html and "¥12,210.00" in html and "壹万贰仟贰佰壹拾元整" in html
        assert 'data-testid="limitation-expires">2029-04-20<' in html and "发出并存档" in html

        preview = client.post(reverse("backoffice:demand_letter_preview", args=[case.pk]),
                              {"kind": "demand", "pay_within_days": "7"})
        assert preview.status_code == 200 and preview["Content-Type"] == "application/pdf"
        assert not ContactRecord.objects.filter(case=case).exists()  # a preview records nothing

        refused = client.post(url, {"kind": "lawyer", "pay_within_days": "7"})
        assert refused.status_code == 400 and "律师函请填写律师事务所" in refused.content.decode()

        response = client.post(url, {"kind": "demand", "pay_within_days": "7", "contact_phone": "010-85001234"})
        assert response.status_code == 302
        letter = ContactRecord.objects.get(case=case, method="letter")
        assert f"issued={letter.pk}" in response["Location"]
        page = client.get(response["Location"])
        html = page.content.decode()
        contact_url = reverse("backoffice:collections_contact", args=[case.pk])
        assert f"{contact_url}?refers_to={letter.pk}" in html and "登记送达回执" in html

        stored = client.get(reverse("backoffice:demand_letter_pdf", args=[letter.pk]))
        assert stored["Content-Type"] == "application/pdf"
        assert hashlib.sha256(stored.content).hexdigest() == letter.attachments.get().sha256

    with clock.frozen(DELIVERY_DAY):
        form = client.get(f"{contact_url}?refers_to={letter.pk}")
        assert form.status_code == 200
        saved = client.post(contact_url, {
            "method": "letter", "party": "debtor", "outcome": "delivered", "contacted_at": "2026-05-15T10:00",
            "notes": "EMS 签收", "refers_to": str(letter.pk), "delivery_receipt": pdf_upload("EMS回执.pdf")})
        assert saved.status_code == 302, saved.content.decode()[:2000]
    delivery = ContactRecord.objects.get(case=case, refers_to=letter)
    assert delivery.outcome == "delivered" and delivery.interruption_recorded
    case.iou.refresh_from_db()
    assert case.iou.limitation_expires_on == date(2029, 5, 15)  # 2029-04-20 before: moved by this delivery only

    with clock.frozen(DELIVERY_DAY):
        page = client.get(url)
        assert "已登记送达" in page.content.decode()
        package = client.get(reverse("backoffice:evidence_package", args=[case.iou_id]))
    assert package.status_code == 200
    body = b"".join(package.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert any(name.endswith("送达回执-EMS回执.pdf") for name in archive.namelist())


def test_others_are_refused(case, make_staff, client):
    clerk = make_staff("wangfang", role="催收员")  # not their case
    client.force_login(clerk)
    assert client.get(reverse("backoffice:demand_letter", args=[case.pk])).status_code == 404
    assert client.get(reverse("backoffice:evidence_package", args=[case.iou_id])).status_code == 403
    finance = make_staff("chenjing2", role="财务")  # no legal permission at all
    client.force_login(finance)
    assert client.get(reverse("backoffice:demand_letter", args=[case.pk])).status_code == 403


def test_lawyer_letter_prefilled_from_the_legal_case_which_joins_the_timeline(case, admin_user_zh, client, tmp_path):
    from ioudesk.legal.services import legal_case_open
    from ioudesk.legal.tests.letter_fixtures import pdf_words

    with clock.frozen(LETTER_DAY):
        legal = legal_case_open(case, by=admin_user_zh, lawyer="周律", law_firm="北京市示范律师事务所")
    client.force_login(admin_user_zh)
    with clock.frozen(LETTER_DAY):
        html = client.get(reverse("backoffice:demand_letter", args=[case.pk]) + "?kind=lawyer").content.decode()
        package = client.get(reverse("backoffice:evidence_package", args=[case.iou_id]))
    assert 'value="北京市示范律师事务所"' in html and 'value="周律"' in html
    archive = zipfile.ZipFile(io.BytesIO(b"".join(package.streaming_content)))
    timeline = pdf_words(archive.read("06-时间线.pdf"), tmp_path, raw=True)
    assert f"法律诉讼{legal.number}" in timeline and "转诉讼（北京市示范律师事务所周律）" in timeline
