"""Maker-checker in the back office beyond the IOU (docs/domain.md §23): changing a product, moving the
business date back and changing a role's permissions are submitted for approval when a flow applies
(the page says 已提交审批（审批单号 …）and nothing changes), carried out by another person's approval,
and done at once as before when no flow applies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from ioudesk.approvals.flows import flow_save
from ioudesk.approvals.models import ApprovalFlow, ApprovalRequest, RequestStatus
from ioudesk.approvals.services import request_decide
from ioudesk.core import clock
from ioudesk.core.models import Organisation
from ioudesk.products.models import Product
from ioudesk.products.services import product_save


def users_flow(kind: str, *approvers) -> ApprovalFlow:
    flow = ApprovalFlow.objects.create(name=f"{kind} 测试", kind=kind, is_active=True)
    flow_save(flow=flow, steps=[{"name": "复核", "approver_type": "users", "users": [u.pk for u in approvers],
                                 "mode": "any"}], user=None, note="测试")
    return flow


@pytest.fixture
def product(organisation):
    return product_save(product=Product(code="XFD", name="消费贷", rate_text="12%", method="equal_installment",
                                        min_amount=1000, max_amount=500000, min_term=3, max_term=36))


def product_form(product: Product, **changes) -> dict:
    data = {name: getattr(product, name) for name in (
        "code", "name", "description", "method", "frequency", "day_count", "rate_text", "last_installment",
        "min_amount", "max_amount", "min_term", "max_term", "penalty_basis", "penalty_markup", "grace_days",
        "allocation_order", "allocation_direction", "upfront_fee_rate", "installment_fee", "prepayment_fee_rate")}
    data.update({"is_active": "on", "interest_cap_applies": "on", "penalty_daily_rate": ""})
    data.update(changes)
    return {k: ("" if v is None else v) for k, v in data.items()}


def test_a_product_change_waits_for_approval_then_takes_effect(client, admin_user_zh, approver, product):
    users_flow("product_change", approver)
    client.force_login(admin_user_zh)
    answer = client.post(reverse("admin:products_product_change", args=[product.pk]),
                         product_form(product, rate_text="10%"), follow=True)
    assert answer.status_code == 200
    assert answer.redirect_chain, answer.context["adminform"].form.errors
    request = ApprovalRequest.objects.get(kind="product_change")
    assert "已提交审批（审批单号" in answer.content.decode() and request.number in answer.content.decode()
    product.refresh_from_db()
    assert product.rate_text == "12%"  # nothing changed yet
    assert request.payload["fields"] == {"rate_text": "10%"}

    request_decide(request=request, user=approver, decision="approve", comment="同意调价")
    product.refresh_from_db()
    assert product.rate_text == "10%" and product.annual_rate == D("0.1")


def test_taking_a_product_off_sale_is_a_change_too(client, admin_user_zh, approver, product):
    users_flow("product_change", approver)
    client.force_login(admin_user_zh)
    client.post(reverse("admin:products_product_changelist"), {"action": "take_off_sale", "_selected_action": [product.pk]})
    product.refresh_from_db()
    assert product.is_active and ApprovalRequest.objects.get(kind="product_change").payload["fields"] == {
        "is_active": False}


def test_without_a_flow_a_product_changes_at_once(client, admin_user_zh, product):
    client.force_login(admin_user_zh)
    client.post(reverse("admin:products_product_change", args=[product.pk]), product_form(product, rate_text="10%"))
    product.refresh_from_db()
    assert product.rate_text == "10%" and not ApprovalRequest.objects.exists()


def test_moving_the_business_date_back_waits_for_a_second_administrator(client, admin_user_zh, make_staff):
    second = make_staff("admin2", role="系统管理员")
    users_flow("business_date_back", second)
    organisation = Organisation.objects.get()
    organisation.business_date = date(2026, 11, 28)
    organisation.save(update_fields=["business_date"])
    client.force_login(admin_user_zh)

    forward = client.post(reverse("backoffice:business_date"), {"business_date": "2026-11-29", "reason": "补日"})
    assert forward.status_code == 302 and clock.today() == date(2026, 11, 29)  # forward: at once

    back = client.post(reverse("backoffice:business_date"), {"business_date": "2026-11-20", "reason": "补录 11 月 20 日的还款"},
                       follow=True)
    assert "已提交审批（审批单号" in back.content.decode()
    assert Organisation.objects.get().business_date == date(2026, 11, 29)
    request = ApprovalRequest.objects.get(kind="business_date_back")
    request_decide(request=request, user=second, decision="approve", comment="同意")
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert Organisation.objects.get().business_date == date(2026, 11, 20)


def test_changing_a_role_waits_for_approval(client, admin_user_zh, make_staff):
    checker = make_staff("admin2", role="系统管理员")
    users_flow("role_change", checker)
    role = Group.objects.create(name="外包催收")
    wanted = Permission.objects.get(codename="view_iou")
    client.force_login(admin_user_zh)
    answer = client.post(reverse("admin:auth_group_change", args=[role.pk]),
                         {"name": "外包催收", "permissions": [wanted.pk]}, follow=True)
    assert "已提交审批（审批单号" in answer.content.decode()
    assert not role.permissions.exists()
    request = ApprovalRequest.objects.get(kind="role_change")
    request_decide(request=request, user=checker, decision="approve", comment="同意")
    assert list(role.permissions.all()) == [wanted]
