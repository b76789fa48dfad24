"""The approver's pages: the inbox with its counts and bulk approval, a request's page and its
decision form, the pending card an entity's page includes."""

from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from ioudesk.approvals import selectors, services
from ioudesk.approvals.models import RequestStatus, StepMode
from ioudesk.approvals.tests.conftest import KIND, role


@pytest.fixture
def flow(make_flow):
    return make_flow([{"name": "审批员审批", "approver_type": "role", "role": role("审批员"), "mode": StepMode.ANY,
                       "allow_bulk": True}])


def submit(staff, head_office, amount):
    return services.submit_or_run(kind=KIND, target=head_office, user=staff["maker"], payload={"amount": amount},
                                  summary=f"付款 ¥{amount}", amount=Decimal(amount), branch=head_office).request


def test_inbox_shows_counts_and_offers_bulk_only_for_low_risk(client, staff, head_office, flow, payout_kind):
    small = submit(staff, head_office, "1200.00")
    # a second target for a second open request of the kind
    from ioudesk.core.models import Branch
    other = Branch.objects.create(organisation=head_office.organisation, parent=head_office, code="B2", name="二分店",
                                  path=head_office.path)
    big = services.submit_or_run(kind=KIND, target=other, user=staff["maker"], payload={"amount": "80000.00"},
                                 summary="付款 ¥80000", amount=Decimal("80000.00"), branch=head_office).request
    client.force_login(staff["liuyang"])
    page = client.get(reverse("backoffice:approvals_inbox"))
    assert page.status_code == 200
    html = page.content.decode()
    assert small.number in html and big.number in html
    assert page.context["counts"]["all"] == 2
    bulk = {row["request"].pk: row["bulk"] for row in page.context["rows"]}
    assert bulk == {small.pk: True, big.pk: False}  # ¥80,000 is not low risk (the kind says under ¥5,000)

    answer = client.post(reverse("backoffice:approvals_bulk"), {"request": [small.pk, big.pk]})
    assert answer.status_code == 302
    small.refresh_from_db(), big.refresh_from_db()
    assert small.status == RequestStatus.APPROVED and big.status == RequestStatus.PENDING


def test_the_sidebar_badge_counts_my_pending_tasks(staff, head_office, flow):
    from ioudesk.backoffice.approval_pages import inbox_badge

    submit(staff, head_office, "1200.00")
    request = RequestFactory().get("/admin/")
    request.user = staff["wugang"]
    assert inbox_badge(request) == 1
    request.user = staff["maker"]
    assert inbox_badge(request) is None


def test_request_page_and_decision_form(client, staff, head_office, flow, executed):
    approval = submit(staff, head_office, "1200.00")
    client.force_login(staff["wugang"])
    page = client.get(reverse("backoffice:approval_request", args=[approval.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "¥1,200.00" in html and 'data-testid="decision-form"' in html
    # a reject without a comment is refused, nothing changes
    client.post(reverse("backoffice:approval_decide", args=[approval.pk]), {"decision": "reject"})
    approval.refresh_from_db()
    assert approval.status == RequestStatus.PENDING
    client.post(reverse("backoffice:approval_decide", args=[approval.pk]), {"decision": "approve", "comment": "好"})
    approval.refresh_from_db()
    assert approval.status == RequestStatus.APPROVED and len(executed) == 1

    # the maker sees their request but no decision form, and cannot decide it by a crafted POST either
    other = services.submit_or_run(kind=KIND, target=head_office, user=staff["maker"], payload={"amount": "10.00"},
                                   summary="付款 ¥10", amount=Decimal("10.00"), branch=head_office).request
    client.force_login(staff["maker"])
    page = client.get(reverse("backoffice:approval_request", args=[other.pk]))
    assert page.status_code == 200 and 'data-testid="decision-form"' not in page.content.decode()
    client.post(reverse("backoffice:approval_decide", args=[other.pk]), {"decision": "approve"})
    other.refresh_from_db()
    assert other.status == RequestStatus.PENDING


def test_pending_card_lets_a_checker_only_user_approve_from_the_entity_page(client, staff, head_office, flow, executed,
                                                                            make_staff):
    from django.contrib.auth.models import Group, Permission

    checker = make_staff("qianchen")
    only, _ = Group.objects.get_or_create(name="只审批")
    only.permissions.set([Permission.objects.get(codename="decide_approvalrequest")])
    checker.groups.add(only)
    approval = submit(staff, head_office, "1200.00")
    # qianchen holds the permission but is not in the step: no task, no form
    http = RequestFactory().get("/admin/somewhere/")
    http.user = checker
    html = render_to_string("backoffice/approvals/_pending_card.html",
                            {"approval_requests": selectors.pending_for(head_office), "request": http, "user": checker})
    assert approval.number in html and "pending-decide-form" not in html
    http.user = staff["liuyang"]
    html = render_to_string("backoffice/approvals/_pending_card.html",
                            {"approval_requests": selectors.pending_for(head_office), "request": http,
                             "user": staff["liuyang"]})
    assert "pending-decide-form" in html and 'value="/admin/somewhere/"' in html
    client.force_login(staff["liuyang"])
    answer = client.post(reverse("backoffice:approval_decide", args=[approval.pk]),
                         {"decision": "approve", "next": "/admin/somewhere/"})
    assert answer.status_code == 302 and answer["Location"] == "/admin/somewhere/"
    approval.refresh_from_db()
    assert approval.status == RequestStatus.APPROVED
