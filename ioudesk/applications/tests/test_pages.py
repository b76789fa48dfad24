"""The back-office pages: desk entry, the application page with its sections, reviewing a material,
submitting for approval and approving from the page (A's pending card)."""

import pytest
from django.urls import reverse

from ioudesk.applications import services
from ioudesk.applications.models import Application, Status

from .conftest import ID_AGE_36, pdf, png


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


@pytest.mark.django_db
def test_desk_entry_page_names_the_wrong_fields(signed_in, product, business_date):
    page = signed_in.get(reverse("backoffice:application_create"))
    assert page.status_code == 200 and "录入申请" in page.content.decode()
    page = signed_in.post(reverse("backoffice:application_create"), {
        "product": product.pk, "amount": "600000", "term": "12", "purpose": "装修", "applicant_name": "王建国",
        "id_number": ID_AGE_36, "phone": "13812345678"})
    html = page.content.decode()
    assert page.status_code == 200 and "超出产品“消费贷”的范围" in html and "请阅读并同意" in html
    assert not Application.objects.exists()
    page = signed_in.post(reverse("backoffice:application_create"), {
        "product": product.pk, "amount": "50000", "term": "12", "purpose": "装修", "applicant_name": "王建国",
        "id_number": ID_AGE_36, "phone": "13812345678", "consent": "on"})
    application = Application.objects.get()
    assert page.status_code == 302 and page["Location"] == reverse("backoffice:application_detail", args=[application.pk])


@pytest.mark.django_db
def test_application_page_review_submit_and_approve(client, signed_in, manager, approver, product, requirements,
                                                    values, business_date, notify_ready):
    from ioudesk.approvals.flows import flow_defaults_ensure

    flow_defaults_ensure()
    id_card, income = requirements
    application = services.application_create(user=manager, **values)
    url = reverse("backoffice:application_detail", args=[application.pk])
    act = reverse("backoffice:application_action", args=[application.pk])
    html = signed_in.get(url).content.decode()
    for text in ("申请信息", "申请材料", "初筛与评分", "推荐方案", "审批记录", "申请动态", "提交审批", "110105********1239"):
        assert text in html, text
    signed_in.post(act, {"action": "upload", "requirement": id_card.pk, "file": png()})
    signed_in.post(act, {"action": "upload", "requirement": income.pk, "file": pdf()})
    assert application.materials.count() == 2
    first, second = application.materials.order_by("pk")
    response = signed_in.post(act, {"action": "return", "material": first.pk}, follow=True)
    assert "退回材料时请填写原因" in response.content.decode()
    signed_in.post(act, {"action": "accept", "material": first.pk})
    signed_in.post(act, {"action": "accept", "material": second.pk})
    signed_in.post(act, {"action": "bogus"})
    response = signed_in.post(act, {"action": "submit"}, follow=True)
    application.refresh_from_db()
    assert application.status == Status.IN_REVIEW and "已提交审批（审批单号" in response.content.decode()
    # the maker sees the request but may not decide it; the approver decides from the application page
    assert "这是您提交的申请，由其他审批人审批。" in signed_in.get(url).content.decode()
    client.force_login(approver)
    html = client.get(url).content.decode()
    assert 'data-testid="pending-approve"' in html
    decide = reverse("backoffice:approval_decide", args=[application.approval_request_id])
    client.post(decide, {"decision": "approve", "comment": "同意", "next": url})
    application.refresh_from_db()
    assert application.status == Status.APPROVED and application.iou.status == "approved"
    material = client.get(reverse("backoffice:application_material", args=[application.pk, first.pk]))
    assert material.status_code == 200
    changelist = client.get(reverse("admin:applications_application_changelist"))
    assert changelist.status_code == 200 and application.number in changelist.content.decode()
