"""/api/v1/close-runs: the list and one run (partitions, per-step counts and timings, failures),
the status, start and retry through the engine's services (replaced here by recorders, as on the
back-office page's tests), refusals in the error shape, permissions, and the documented answers."""

import json
import sys
import types
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ioudesk.api.services import api_token_issue
from ioudesk.closing.models import CloseFailure, ClosePartition, CloseRun, CloseSettings
from ioudesk.core import clock
from ioudesk.core.errors import InvalidState

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 27)


@pytest.fixture
def call(client):
    def make(user):
        _, token = api_token_issue(user=user, name="测试")

        def request(method, path="", payload=None):
            kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
            if payload is not None:
                kwargs |= {"data": json.dumps(payload), "content_type": "application/json"}
            with clock.frozen(date(2026, 11, 28)):
                return getattr(client, method)(f"/api/v1/close-runs{path}", **kwargs)

        return request

    return make


@pytest.fixture
def run(organisation, admin_user_zh):
    started = datetime(2026, 11, 27, 23, 30, tzinfo=SHANGHAI)
    run = CloseRun.objects.create(
        organisation=organisation, day=DAY, state="done", origin="scheduler",
        counts={"ious": {"processed": 1998, "accrued": 60}}, timings={"ious": 80.25}, partitions_total=2,
        partitions_done=2, ious_total=1999, ious_done=1999, started_at=started,
        finished_at=started + timedelta(seconds=83.4))
    ClosePartition.objects.create(close_run=run, lo=1, hi=1000, state="done", owner="w1:1", ious=1000, attempts=1,
                                  started_at=started, finished_at=started + timedelta(seconds=40),
                                  counts={"work": {"due": [3, 5], "check": []}, "done": {"bulk": 2, "failed": 0}})
    ClosePartition.objects.create(close_run=run, lo=1001, hi=2000, state="done", owner="w2:2", ious=999, attempts=1,
                                  started_at=started, finished_at=started + timedelta(seconds=41.5))
    CloseFailure.objects.create(close_run=run, step="reminders", message="短信网关超时", traceback="Traceback …")
    return run


@pytest.fixture
def services(monkeypatch):
    try:
        import ioudesk.closing.services as module
    except ImportError:
        module = types.ModuleType("ioudesk.closing.services")
        monkeypatch.setitem(sys.modules, "ioudesk.closing.services", module)
    recorder = types.SimpleNamespace(calls=[], refuse=None)

    def close_start(*, through=None, started_by=None, origin):
        recorder.calls.append(("start", through, started_by.username, origin))
        if recorder.refuse:
            raise recorder.refuse
        from ioudesk.core.services import organisation_current

        run, _ = CloseRun.objects.get_or_create(organisation=organisation_current(), day=through or clock.today(),
                                                defaults={"origin": origin, "started_by": started_by})
        return run

    def close_retry_failed(*, close_run, user):
        recorder.calls.append(("retry", close_run.pk, user.username))
        close_run.failures.update(resolved_at=datetime(2026, 11, 28, 9, 0, tzinfo=SHANGHAI))
        return {"resolved": 1, "failed": 0}

    monkeypatch.setattr(module, "close_start", close_start, raising=False)
    monkeypatch.setattr(module, "close_retry_failed", close_retry_failed, raising=False)
    return recorder


def test_list_and_detail(call, admin_user_zh, run):
    admin = call(admin_user_zh)
    listed = admin("get")
    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    row = listed.json()["items"][0]
    assert row == {
        "id": run.pk, "day": "2026-11-27", "state": "done", "state_display": "已完成", "origin": "scheduler",
        "origin_display": "定时任务", "started_by": None, "partitions_total": 2, "partitions_done": 2,
        "ious_total": 1999, "ious_done": 1999, "percent": 100, "failures_open": 1,
        "created_at": row["created_at"], "started_at": "2026-11-27T15:30:00Z",
        "finished_at": "2026-11-27T15:31:23.400Z", "duration_seconds": 83.4}  # 23:30 Beijing time, in UTC
    detail = admin("get", f"/{run.pk}").json()
    assert detail["counts"] == {"ious": {"processed": 1998, "accrued": 60}} and detail["timings"] == {"ious": 80.25}
    assert [(p["lo"], p["hi"], p["owner"], p["duration_seconds"], p["counts"]) for p in detail["partitions"]] == [
        (1, 1000, "w1:1", 40.0, {"done": {"bulk": 2, "failed": 0}}), (1001, 2000, "w2:2", 41.5, {})]  # no id lists
    assert [(f["step"], f["message"], f["iou_id"], f["resolved_at"]) for f in detail["failures"]] == [
        ("reminders", "短信网关超时", None, None)]
    assert admin("get", "?state=running").json()["count"] == 0
    missing = admin("get", f"/{run.pk + 100}")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_status(call, admin_user_zh, organisation, run):
    CloseSettings.objects.update_or_create(organisation=organisation, defaults={"closed_through": DAY})
    assert call(admin_user_zh)("get", "/status").json() == {
        "business_date": "2026-11-28", "closed_through": "2026-11-27", "running": None}


def test_start_refusal_and_retry(call, admin_user_zh, run, services):
    admin = call(admin_user_zh)
    started = admin("post", "", {"through": "2026-11-28"})
    assert started.status_code == 201, started.json()
    assert started.json()["day"] == "2026-11-28" and started.json()["origin"] == "api"
    assert started.json()["started_by"] == "admin" and started.json()["partitions"] == []
    assert services.calls == [("start", date(2026, 11, 28), "admin", "api")]
    assert admin("post", "", {}).status_code == 201  # through left out: the business date
    assert services.calls[-1] == ("start", date(2026, 11, 28), "admin", "api")

    services.refuse = InvalidState("2026-11-28 的日终正在进行，请勿重复开始。", code="close_running")
    refused = admin("post", "", {"through": "2026-11-28"})
    assert refused.status_code == 400
    assert refused.json() == {"code": "close_running", "message": "2026-11-28 的日终正在进行，请勿重复开始。", "details": []}
    bad = admin("post", "", {"through": "明天"})
    assert bad.status_code == 422 and bad.json()["details"][0]["field"] == "payload.through"

    retried = admin("post", f"/{run.pk}/retry-failed")
    assert retried.status_code == 200 and retried.json()["failures_open"] == 0
    assert retried.json()["failures"][0]["resolved_at"] == "2026-11-28T01:00:00Z"
    assert services.calls[-1] == ("retry", run.pk, "admin")


def test_permissions(call, make_staff, run, services):
    auditor = call(make_staff("zhouqiang", role="审计"))
    assert auditor("get").status_code == 200 and auditor("get", f"/{run.pk}").status_code == 200
    assert auditor("post", "", {"through": "2026-11-28"}).status_code == 403
    assert auditor("post", f"/{run.pk}/retry-failed").status_code == 403
    manager = call(make_staff("zhangsan", role="客户经理"))
    assert manager("get").status_code == 403 and manager("get", "/status").status_code == 403
    assert services.calls == []


def test_documented_answers(client, admin_user_zh):
    client.force_login(admin_user_zh)
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert set(paths["/api/v1/close-runs"]["get"]["responses"]) == {"200", "400", "401", "403", "404", "422"}
    assert set(paths["/api/v1/close-runs"]["post"]["responses"]) == {"201", "400", "401", "403", "404", "409", "422"}
    assert "200" in paths["/api/v1/close-runs/{run_id}/retry-failed"]["post"]["responses"]
    assert "/api/v1/close-runs/status" in paths and "/api/v1/close-runs/{run_id}" in paths


@pytest.mark.django_db(transaction=True)
def test_start_with_the_engine(call, admin_user_zh, organisation):
    from django_tasks_db.models import DBTaskResult

    from ioudesk.closing.tasks import close_task
    from ioudesk.core.models import Organisation

    Organisation.objects.filter(pk=organisation.pk).update(business_date=date(2026, 11, 28))
    admin = call(admin_user_zh)
    started = admin("post", "", {})
    assert started.status_code == 201 and started.json()["day"] == "2026-11-28"
    queued = DBTaskResult.objects.get()  # enqueued once the start was committed
    assert queued.task_path == "ioudesk.closing.tasks.close_task" and queued.args_kwargs["args"][:2] == ["2026-11-28", "api"]
    assert started.json()["state"] == "queued" and started.json()["origin"] == "api"
    close_task.call("2026-11-28", "api", admin_user_zh.pk)  # what a worker does with the queued task
    detail = admin("get", f"/{started.json()['id']}").json()
    assert detail["state"] == "done" and detail["percent"] == 100
    refused = admin("post", "", {"through": "2026-11-28"})
    assert refused.status_code == 400 and refused.json()["code"] == "already_closed"
    assert refused.json()["message"] == "2026-11-28 已完成日终（已日终至 2026-11-28），无需再做。"
    assert admin("get", "/status").json()["closed_through"] == "2026-11-28"
