"""core's sensitive operations through the flows: moving the business date back and changing a
role's permissions are gated (core.approval_hooks, filled by approvals) and carried out by the
approvals' own executors on the last approval."""

from datetime import date

import pytest
from django.contrib.auth.models import Group, Permission

from ioudesk.approvals import services
from ioudesk.approvals.core_kinds import BUSINESS_DATE_BACK, ROLE_CHANGE
from ioudesk.approvals.errors import ApprovalRequired
from ioudesk.approvals.models import RequestStatus, StepMode
from ioudesk.approvals.tests.conftest import role
from ioudesk.core.services import business_date_set


@pytest.fixture
def second_admin(make_staff):
    return make_staff("wangqiang", role="系统管理员")


def admin_flow(make_flow, kind, name):
    return make_flow([{"name": "系统管理员审批", "approver_type": "role", "role": role("系统管理员"),
                       "mode": StepMode.ANY}], kind=kind, name=name)


def test_moving_the_business_date_back_needs_a_second_administrator(staff, second_admin, organisation, make_flow):
    admin = staff["admin"]
    business_date_set(organisation=organisation, new_date=date(2026, 11, 28), reason="演示", actor=admin)
    admin_flow(make_flow, BUSINESS_DATE_BACK, "营业日回退审批")
    # forward needs nothing
    business_date_set(organisation=organisation, new_date=date(2026, 11, 29), reason="前进", actor=admin)
    with pytest.raises(ApprovalRequired):
        business_date_set(organisation=organisation, new_date=date(2026, 11, 20), reason="补录", actor=admin)
    outcome = services.submit_or_run(kind=BUSINESS_DATE_BACK, target=organisation, user=admin,
                                     payload={"new_date": "2026-11-20", "reason": "补录 11 月 20 日的还款"},
                                     summary="营业日改为 2026-11-20")
    assert outcome.request is not None
    organisation.refresh_from_db()
    assert organisation.business_date == date(2026, 11, 29)
    services.request_decide(request=outcome.request, user=second_admin, decision="approve")
    organisation.refresh_from_db()
    assert organisation.business_date == date(2026, 11, 20)
    outcome.request.refresh_from_db()
    assert outcome.request.status == RequestStatus.APPROVED
    assert outcome.request.result == {"business_date": "2026-11-20"}


def test_changing_a_role_waits_for_approval(staff, second_admin, make_flow):
    from ioudesk.core.staff import role_save

    admin_flow(make_flow, ROLE_CHANGE, "角色权限变更审批")
    target = Group.objects.get(name="委员（测试）")
    wanted = [p.pk for p in target.permissions.all()] + [Permission.objects.get(codename="view_approvalflow").pk]
    with pytest.raises(ApprovalRequired):
        role_save(role=target, name=target.name, permissions=Permission.objects.filter(pk__in=wanted),
                  actor=staff["admin"])
    request = services.submit_or_run(kind=ROLE_CHANGE, target=target, user=staff["admin"],
                                     payload={"name": target.name, "permissions": wanted}, summary="委员可查看审批流").request
    rows = dict(services.kind_for(ROLE_CHANGE).describe(request))
    assert "view approval flow" in rows["增加的权限"].lower() or "审批流" in rows["增加的权限"]
    services.request_decide(request=request, user=second_admin, decision="approve")
    assert target.permissions.filter(codename="view_approvalflow").exists()


def test_a_date_back_the_books_refuse_is_refused_before_a_request_is_opened(staff, second_admin, organisation,
                                                                           make_flow):
    from ioudesk.approvals.models import ApprovalRequest
    from ioudesk.core.errors import ValidationFailed

    admin = staff["admin"]
    business_date_set(organisation=organisation, new_date=date(2026, 11, 28), reason="演示", actor=admin)
    admin_flow(make_flow, BUSINESS_DATE_BACK, "营业日回退审批")
    with pytest.raises(ValidationFailed, match="不能早于 2000-01-01"):
        services.submit_or_run(kind=BUSINESS_DATE_BACK, target=organisation, user=admin,
                               payload={"new_date": "1999-12-31", "reason": "补录"}, summary="营业日改为 1999-12-31")
    with pytest.raises(ValidationFailed, match="原因"):
        services.submit_or_run(kind=BUSINESS_DATE_BACK, target=organisation, user=admin,
                               payload={"new_date": "2026-11-20", "reason": " "}, summary="营业日改为 2026-11-20")
    assert not ApprovalRequest.objects.exists()
