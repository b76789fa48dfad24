"""/api/v1/approvals: the inbox, a request's detail with what each approver saw, decisions (the maker
never decides their own: 403), bulk approval of low-risk items only."""

import json
from decimal import Decimal

import pytest

from ioudesk.api.services import api_token_issue
from ioudesk.approvals import services
from ioudesk.approvals.models import RequestStatus, StepMode
from ioudesk.approvals.tests.conftest import KIND, role


@pytest.fixture
def call(client):
    def make(user):
        _, token = api_token_issue(user=user, name="测试")

        def request(method, path="", payload=None):
            kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
            if payload is not None:
                kwargs |= {"data": json.dumps(payload), "content_type": "application/json"}
            return getattr(client, method)(f"/api/v1/approvals{path}", **kwargs)

        return request

    return make


def submit(staff, target, amount, branch):
    return services.submit_or_run(kind=KIND, target=target, user=staff["maker"], payload={"amount": amount},
                                  summary=f"付款 ¥{amount}", amount=Decimal(amount), branch=branch).request


def test_inbox_detail_and_decisions(call, staff, head_office, make_flow, make_branch, executed):
    make_flow([{"name": "审批员审批", "approver_type": "role", "role": role("审批员"), "mode": StepMode.ANY,
                "allow_bulk": True}])
    small = submit(staff, head_office, "1200.00", head_office)
    big = submit(staff, make_branch("B2", "二分店"), "80000.00", head_office)
    checker, maker = call(staff["liuyang"]), call(staff["maker"])

    listed = checker("get")
    assert listed.status_code == 200
    items = {row["number"]: row for row in listed.json()["items"]}
    assert items[small.number]["amount"] == "1200.00" and items[small.number]["bulk_allowed"] is True
    assert items[big.number]["bulk_allowed"] is False

    detail = maker("get", f"/{small.pk}")
    assert detail.status_code == 200 and detail.json()["can_decide"] is False
    assert detail.json()["rows"] == [["网点", str(head_office)], ["金额", "¥1,200.00"]]

    own = maker("post", f"/{small.pk}/decide", {"decision": "approve"})
    assert own.status_code == 403 and own.json()["code"] in ("approval_own_request", "permission_denied")
    small.refresh_from_db()
    assert small.status == RequestStatus.PENDING and not executed

    no_comment = checker("post", f"/{small.pk}/decide", {"decision": "reject"})
    assert no_comment.status_code == 400 and no_comment.json()["code"] == "validation_failed"

    done = checker("post", f"/{small.pk}/decide", {"decision": "approve", "comment": "同意"})
    assert done.status_code == 200 and done.json()["status"] == "approved"
    approve = [d for d in done.json()["decisions"] if d["decision"] == "approve"][0]
    assert approve["decided_by"] == "liuyang" and approve["seen"][1] == ["金额", "¥1,200.00"]

    bulk = checker("post", "/bulk-approve", {"ids": [big.pk, 999999]})
    assert bulk.status_code == 200
    assert bulk.json()["approved"] == [] and {r["id"] for r in bulk.json()["refused"]} == {big.pk, 999999}
    assert checker("get", "/999999").status_code == 404


def test_the_inbox_needs_the_decide_permission(call, staff):
    assert call(staff["maker"])("get").status_code == 403
