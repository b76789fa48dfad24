"""Who sees which case, the workbench's order and counts, assignment by hand, in bulk and recall,
the kept rate, the roles and the customer 360 section."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from ioudesk.collections import predicates, selectors
from ioudesk.collections.models import Case, CaseAssignment, Promise
from ioudesk.collections.services import (
    case_assign,
    case_open,
    case_recall,
    cases_assign_bulk,
    cases_assign_by_rules,
)
from ioudesk.collections.tests.conftest import at
from ioudesk.collections.tests.world import rolled_back, staff_and_debtor
from ioudesk.core import roles
from ioudesk.core.errors import ApplicationError, PermissionDenied
from ioudesk.ious.models import Iou

pytestmark = pytest.mark.django_db
DAY = date(2026, 2, 20)


# The staff, the debtor and three cases are built once for the module, in a transaction rolled back
# at its end; each test runs in a savepoint of it (as test_contacts.py does).

def _build_world() -> dict:
    from ioudesk.core import clock
    from ioudesk.ious.services import iou_approve, iou_create, iou_submit
    from ioudesk.ious.services.disbursement import iou_disburse

    head_office, people, debtor = staff_and_debtor()
    made = []
    for dpd, principal in ((5, "10000"), (10, "20000"), (20, "5000")):
        with clock.frozen(date(2026, 1, 15)):
            iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=Decimal(principal), term=12,
                                        rate_text="12%", method="equal_installment",
                                        contract_date=date(2026, 1, 15)), user=people["zhangwei"])
            iou_submit(iou=iou, user=people["zhangwei"])
            iou_approve(iou=iou, user=people["liuyang"])
            iou_disburse(iou=iou, user=people["chenjing"])
        Iou.objects.filter(pk=iou.pk).update(status="overdue", days_past_due=dpd, bucket="M1")
        iou.refresh_from_db()
        made.append(case_open(iou, day=DAY).pk)
    return {"cases": made, "debtor": debtor.pk, **{name: user.pk for name, user in people.items()}}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        yield _build_world()


@pytest.fixture
def cases(world, db):
    """Three cases opened by hand on 02-20 for loans made overdue (5, 10 and 20 days)."""
    return [Case.objects.get(pk=pk) for pk in world["cases"]]


def _person(name):
    @pytest.fixture
    def person(world, db):
        from ioudesk.core.models import User

        return User.objects.get(pk=world[name])

    return person


manager, approver, collector, chief = (_person(n) for n in ("zhangwei", "liuyang", "zhaolei", "sunli"))


@pytest.fixture
def debtor(world, db):
    from ioudesk.customers.models import Customer

    return Customer.objects.get(pk=world["debtor"])


def test_roles():
    collector, chief = roles.ROLES[roles.COLLECTOR], roles.ROLES[roles.COLLECTION_MANAGER]
    assert "collections.*" not in collector and "collections.add_contactrecord" in collector
    assert "collections.*" in chief and "legal.*" in chief and "recovery.*" in chief


def test_role_permissions_after_sync(organisation):
    def perms(name):
        return {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=name).permissions.all()}

    collector, chief, manager = perms(roles.COLLECTOR), perms(roles.COLLECTION_MANAGER), perms(roles.ACCOUNT_MANAGER)
    assert {"collections.view_case", "collections.add_contactrecord", "collections.add_promise",
            "collections.add_contactattachment"} <= collector
    assert not {"collections.add_caseassignment", "collections.view_branch_cases", "collections.change_strategy",
                "collections.add_assignmentrule"} & collector
    assert {"collections.add_caseassignment", "collections.view_branch_cases", "collections.change_strategy"} <= chief
    assert "collections.view_case" in manager and "collections.view_branch_cases" not in manager


def test_who_sees_which_case(cases, collector, chief, manager, make_staff, make_branch, debtor):
    from ioudesk.customers.models import Customer

    other = make_staff("cui2", role="催收员")
    auditor = make_staff("shenji", role="审计")
    case_assign(cases[0], owner=collector, by=chief)
    assert set(selectors.cases_for(collector)) == {cases[0]}
    assert set(selectors.cases_for(other)) == set()
    assert set(selectors.cases_for(chief)) == set(cases) == set(selectors.cases_for(auditor))
    # the 客户经理 is the IOUs' officer: sees them; and an important customer's manager sees its cases
    assert set(selectors.cases_for(manager)) == set(cases)
    Iou.objects.update(officer=None)
    assert set(selectors.cases_for(manager)) == set()
    Customer.objects.filter(pk=debtor.pk).update(category="important", owner=manager)
    assert set(selectors.cases_for(manager)) == set(cases)
    assert predicates.can_view_case(Case.objects.get(pk=cases[1].pk), manager)
    # a chief of another branch sees none
    far = make_staff("sunli2", role="催收主管", branch=make_branch("SH", "上海分部"))
    assert set(selectors.cases_for(far)) == set()
    assert (predicates.can_assign(chief), predicates.can_assign(collector)) == (True, False)


def test_workbench_order_and_counts(cases, chief):
    small, large, mid = cases  # arrears: ¥788.49, ¥1,576.98, ¥394.24 (installment 1's principal,
    # its interest not booked: no close ran)
    assert [c.arrears for c in cases] == [Decimal("788.49"), Decimal("1576.98"), Decimal("394.24")]
    Case.objects.update(next_action_due=None, next_action="")
    order = list(selectors.workbench(chief, day=DAY))
    assert order == [large, small, mid]  # nothing due: largest arrears first
    Case.objects.filter(pk=mid.pk).update(next_action="phone", next_action_due=at(DAY - timedelta(days=2), 18))
    Case.objects.filter(pk=small.pk).update(next_action="phone", next_action_due=at(DAY, 18))
    Case.objects.filter(pk=large.pk).update(promise_due_on=DAY)
    assert list(selectors.workbench(chief, day=DAY)) == [large, mid, small]  # promise today, then most overdue
    assert selectors.workbench_counts(chief, day=DAY) == {"promises_due": 1, "actions_due": 1, "actions_overdue": 1,
                                                         "open": 3}
    assert list(selectors.workbench(chief, day=DAY, term="long")) == []
    assert list(selectors.workbench(chief, day=DAY, nature="loan", bucket="M1", q=large.number)) == [large]
    assert selectors.arrears_term(90) == "short" and selectors.arrears_term(91) == "long"


def test_assign_by_hand_bulk_recall_and_the_history(cases, collector, chief, make_staff):
    helper = make_staff("cui2", role="催收员")
    with pytest.raises(PermissionDenied):
        case_assign(cases[0], owner=helper, by=collector)  # a collector does not assign
    assert cases_assign_bulk(cases, owner=collector, by=chief, reason="月初分案") == 3
    moved = case_assign(cases[0], owner=helper, by=chief, reason="休假")
    assert moved.method == "reassign"
    with pytest.raises(ApplicationError) as same:
        case_assign(cases[0], owner=helper, by=chief)
    assert same.value.extra["field"] == "owner"
    with pytest.raises(ApplicationError) as no_reason:
        case_recall(cases[1], by=chief, reason=" ")
    assert no_reason.value.extra["field"] == "reason"
    case_recall(cases[1], by=chief, reason="客户投诉")
    recalled = Case.objects.get(pk=cases[1].pk)
    assert (recalled.owner, recalled.agency) == (None, None)
    def history(case):
        return [(method, owner, ended is None) for method, owner, ended in CaseAssignment.objects.filter(
            case=case).order_by("started_at", "id").values_list("method", "owner__username", "ended_at")]

    assert history(cases[0]) == [("bulk", "zhaolei", False), ("reassign", "cui2", True)]
    assert history(cases[1]) == [("bulk", "zhaolei", False), ("recall", "zhaolei", True)]
    # a recalled case is not given out again by the rules; only by hand
    from ioudesk.collections.models import AssignmentRule
    from ioudesk.collections.services import assignment_rule_save

    assignment_rule_save(rule=AssignmentRule(name="全部"), collectors=[helper])
    assert cases_assign_by_rules(Case.objects.filter(pk=cases[1].pk), day=DAY) == {"assigned": 0, "unmatched": 0}
    assert case_assign(cases[1], owner=helper, by=chief).method == "hand"
    assert not predicates.can_recall(Case.objects.get(pk=cases[2].pk), collector)


def test_an_owner_must_see_the_branch(cases, chief, make_staff, make_branch):
    far = make_staff("cui9", role="催收员", branch=make_branch("SH", "上海分部"))
    with pytest.raises(ApplicationError) as refused:
        case_assign(cases[0], owner=far, by=chief)
    assert refused.value.extra["field"] == "owner" and "看不到" in str(refused.value.message)


def test_kept_rate(cases, collector):
    from ioudesk.collections.models import ContactRecord

    statuses = ["kept", "kept", "partly_kept", "broken", "pending"]
    for index, status in enumerate(statuses):
        record = ContactRecord.objects.create(case=cases[0], iou=cases[0].iou, customer=cases[0].customer,
                                              branch=cases[0].branch, method="phone", party="debtor",
                                              outcome="promised", contacted_at=at(DAY), recorded_by=collector)
        Promise.objects.create(record=record, case=cases[0], iou=cases[0].iou, amount=Decimal("100"),
                               promised_on=DAY + timedelta(days=index), status=status, collector=collector)
    rate = selectors.kept_rate(collector, (DAY, DAY + timedelta(days=30)))
    # 2 kept of 4 judged (the pending one is not judged yet): 50 %
    assert (rate.judged, rate.kept, rate.partly_kept, rate.broken, rate.rate) == (4, 2, 1, 1, Decimal("0.5000"))
    assert selectors.kept_rate(collector, (DAY - timedelta(days=9), DAY - timedelta(days=1))).rate is None


def test_customer_360_section(cases, debtor, chief, approver):
    from django.urls import NoReverseMatch, reverse

    from ioudesk.core.context import acting_as, actor_for_user
    from ioudesk.customers.selectors import OVERVIEW_SECTIONS

    assert selectors.customer_cases_section in OVERVIEW_SECTIONS
    part = selectors.customer_cases_section(debtor)
    assert str(part["title"]) == "催收" and cases[0].number in part["html"] and "788.49" in part["html"]
    assert part["owed"] == Decimal("0.00")  # the IOUs' section counts what is owed
    try:
        link = reverse("backoffice:collections_case", args=[cases[0].pk])
    except NoReverseMatch:  # the case page is H2's
        return
    with acting_as(actor_for_user(chief)):
        assert f'href="{link}"' in selectors.customer_cases_section(debtor)["html"]
    with acting_as(actor_for_user(approver)):  # 审批员: no collections permission, no link to a page it cannot open
        assert f'href="{link}"' not in selectors.customer_cases_section(debtor)["html"]
