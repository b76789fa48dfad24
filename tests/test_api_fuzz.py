"""API fuzzing: schemathesis against /api/v1/openapi.json, every operation, as the administrator.

The schema is read from the Django app itself (as a signed-in staff member reads it), and every
generated request goes to the app in process (WSGI) inside the test's database transaction, with an
administrator's API token so that every operation is reachable. Seeded records (a customer, a
disbursed IOU with a repayment, a customer file) make the generated path ids hit real rows part of
the time. Asserted for every case: no 5xx, the response conforms to the documented schema, and its
status code is one the operation documents.

Bounded: IOUDESK_FUZZ_EXAMPLES examples per operation (default 20), a few minutes at most; a longer
run: ``IOUDESK_FUZZ_EXAMPLES=200 .venv/bin/pytest -q tests/test_api_fuzz.py``.
"""

from __future__ import annotations

import json
import os
from datetime import date

import pytest
import schemathesis  # a test dependency (pyproject's test extra): never skipped for want of it
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

EXAMPLES = int(os.environ.get("IOUDESK_FUZZ_EXAMPLES", "20"))
DAY = date(2026, 11, 28)


class Seeded:
    token: str = ""
    ids: dict[str, list[int]]


SEEDED = Seeded()


def _api(client, token, method, path, payload=None, **headers):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}", **{f"HTTP_{k.upper()}": v for k, v in headers.items()}}
    if payload is not None:
        kwargs |= {"data": json.dumps(payload), "content_type": "application/json"}
    response = getattr(client, method)(f"/api/v1{path}", **kwargs)
    assert response.status_code < 300, (path, response.status_code, response.content[:500])
    return response.json() if response.content else None


def _served_schema() -> dict:
    """/api/v1/openapi.json as the app serves it to a signed-in staff member (read at collection
    time, without a database: the view needs only an active staff user on the request)."""
    from types import SimpleNamespace

    from django.test import RequestFactory
    from django.urls import resolve

    path = "/api/v1/openapi.json"
    request = RequestFactory().get(path)
    request.user = SimpleNamespace(is_active=True, is_staff=True, is_authenticated=True)
    match = resolve(path)
    response = match.func(request, *match.args, **match.kwargs)
    assert response.status_code == 200, response
    return json.loads(response.content)


def _wsgi_app():
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


schema = schemathesis.openapi.from_dict(_served_schema())
schema.app = _wsgi_app()


@pytest.fixture
def seeded(db, client, admin_user_zh, make_staff):
    """The administrator's token and seeded records; requests run in process, in this test's
    transaction, at one business date."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from ioudesk.api.services import api_token_issue
    from ioudesk.core import clock

    manager = make_staff("fuzz-maker", role="客户经理")
    _, maker_token = api_token_issue(user=manager, name="fuzz maker")
    _, token = api_token_issue(user=admin_user_zh, name="fuzz")
    with clock.frozen(DAY):
        customer = _api(client, maker_token, "post", "/customers",
                        {"name": "王建国", "id_number": "11010519491231002X", "phone": "13901012345"})
        company = _api(client, maker_token, "post", "/customers", {"kind": "company", "name": "华信科技有限公司"})
        upload = SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n%fuzz\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
                                    content_type="application/pdf")
        file_row = client.post(f"/api/v1/customers/{customer['id']}/files", {"file": upload, "kind": "other"},
                               HTTP_AUTHORIZATION=f"Bearer {maker_token}").json()
        created = _api(client, maker_token, "post", "/ious", {
            "customer_id": customer["id"], "principal": "10000", "term": 12, "rate_text": "12%",
            "method": "equal_installment", "contract_date": "2026-01-15"})
        iou_id = created["id"]
        _api(client, maker_token, "post", f"/ious/{iou_id}/submit")
        _api(client, token, "post", f"/ious/{iou_id}/approve", {"comment": "同意"})
        disbursed = _api(client, token, "post", f"/ious/{iou_id}/disburse", {}, idempotency_key="fuzz-disburse")
        repaid = _api(client, token, "post", f"/ious/{iou_id}/repayments", {"amount": "888.49"},
                      idempotency_key="fuzz-repay")
        draft = _api(client, maker_token, "post", "/ious", {
            "customer_id": company["id"], "principal": "5000", "rate_text": "0%", "kind": "debt",
            "contract_date": "2026-11-01"})
        SEEDED.token = token
        SEEDED.ids = {
            "customer_id": [customer["id"], company["id"]],
            "iou_id": [iou_id, draft["id"]],
            "txn_id": [disbursed["id"], repaid["id"]],
            "file_id": [file_row["id"]],
        }
        # Like Django's test client: the request signals must not close the connection that holds
        # this test's transaction.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            yield SEEDED
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


def _aim_at_seeded_rows(case) -> None:
    """Half the generated ids (the even ones) are replaced by ids of seeded rows, so operations on
    real customers, IOUs and transactions are exercised, not only the 404 path."""
    for name, value in list((case.path_parameters or {}).items()):
        choices = SEEDED.ids.get(name)
        if choices and isinstance(value, int) and value % 2 == 0:
            case.path_parameters[name] = choices[(value // 2) % len(choices)]


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors_and_responses_match_the_schema(case, seeded):
    _aim_at_seeded_rows(case)
    headers = {"Authorization": f"Bearer {seeded.token}"}
    case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance,
                                                    status_code_conformance])
