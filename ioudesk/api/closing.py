"""/api/v1/close-runs: the daily close (日终) — its runs (history and one run with partitions,
per-step counts and timings, failed IOUs), how far the days are closed, starting a close and
retrying its failed IOUs.

Same services and permissions as the back office's 日终 page: reading needs
``closing.view_closerun``, starting and retrying ``closing.run_close`` (系统管理员). A close is
started for every day not yet closed up to ``through`` (default: the business date) and runs in the
background workers; poll the run for its progress. A refusal (a date before the last closed day or
after the business date, a close already running for that day) answers 400 with the reason.
"""

from datetime import date, datetime

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from ioudesk.api.errors import READ_ERRORS, WRITE_ERRORS
from ioudesk.api.pagination import Pages
from ioudesk.api.permissions import require_perm
from ioudesk.closing import selectors
from ioudesk.closing.models import CloseFailure, ClosePartition, CloseRun, RunOrigin
from ioudesk.core import clock

router = Router(tags=["日终"])

VIEW = "closing.view_closerun"
RUN = "closing.run_close"


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None:
        return None
    # A duration in whole milliseconds (a timing, not money: no rounding rule applies).
    return int(((end or timezone.now()) - start).total_seconds() * 1000) / 1000


class CloseRunRow(Schema):
    id: int
    day: date = Field(description="日终的营业日")
    state: str = Field(description="状态：排队中、进行中、已完成、失败（名称见 state_display）")
    state_display: str
    origin: str = Field(description="发起方式：定时任务、命令行、后台、接口（名称见 origin_display）")
    origin_display: str
    started_by: str | None = Field(None, description="发起人的用户名（定时任务发起时为空）")
    partitions_total: int
    partitions_done: int
    ious_total: int
    ious_done: int
    percent: int
    failures_open: int = Field(description="尚未解决的失败借据（或步骤）数")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None = Field(None, description="开始至完成（进行中为至今）的秒数")

    @staticmethod
    def resolve_state_display(run: CloseRun) -> str:
        return str(run.get_state_display())

    @staticmethod
    def resolve_origin_display(run: CloseRun) -> str:
        return str(run.get_origin_display())

    @staticmethod
    def resolve_started_by(run: CloseRun) -> str | None:
        return run.started_by.get_username() if run.started_by_id else None

    @staticmethod
    def resolve_duration_seconds(run: CloseRun) -> float | None:
        return _seconds(run.started_at, run.finished_at)


class PartitionOut(Schema):
    lo: int = Field(description="起始借据ID")
    hi: int = Field(description="结束借据ID")
    state: str = Field(description="状态：待处理、处理中、已完成")
    owner: str = Field(description="执行进程（主机名:进程号）")
    attempts: int
    ious: int
    counts: dict = Field(description="该分区完成后的各项数量：批量计提、逐笔处理、失败、逾期天数推进的借据数")
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None = None

    @staticmethod
    def resolve_counts(partition: ClosePartition) -> dict:
        return {key: value for key, value in (partition.counts or {}).items() if key != "work"}  # not the id lists

    @staticmethod
    def resolve_duration_seconds(partition: ClosePartition) -> float | None:
        return _seconds(partition.started_at, partition.finished_at) if partition.finished_at else None


class FailureOut(Schema):
    id: int
    iou_id: int | None
    iou_number: str | None = None
    step: str
    message: str
    traceback: str
    created_at: datetime
    resolved_at: datetime | None

    @staticmethod
    def resolve_iou_number(failure: CloseFailure) -> str | None:
        return failure.iou.number if failure.iou_id else None


class CloseRunDetail(CloseRunRow):
    phase: str
    counts: dict = Field(description="各步骤的数量：{步骤: {名称: 数量}}")
    timings: dict = Field(description="各步骤耗时（秒）：{步骤: 秒}")
    error: str
    partitions: list[PartitionOut]
    failures: list[FailureOut]

    @staticmethod
    def resolve_partitions(run: CloseRun):
        return list(run.partitions.order_by("lo"))

    @staticmethod
    def resolve_failures(run: CloseRun):
        return list(selectors.close_failures(run))


class CloseStatusOut(Schema):
    business_date: date = Field(description="当前营业日")
    closed_through: date | None = Field(description="已日终至（最后一个完成日终的营业日）")
    running: CloseRunRow | None = Field(description="正在进行的日终")


class CloseStartIn(Schema):
    through: date | None = Field(None, description="日终至此营业日（含），默认当前营业日；之前尚未日终的营业日按日期顺序补做")


def _run(run_id: int) -> CloseRun:
    run = selectors.close_run_get(run_id)
    if run is None:
        raise Http404  # the API's 404 shape
    return run


@router.get("", response={200: list[CloseRunRow], **READ_ERRORS}, summary="日终记录（最近的营业日在前，分页）")
@paginate(Pages, page_size=50)
def close_run_list(request, state: str | None = None):
    require_perm(request, VIEW)
    return selectors.close_runs(state=state, limit=None)


@router.get("/status", response={200: CloseStatusOut, **READ_ERRORS}, summary="营业日、已日终至、正在进行的日终")
def close_status(request):
    require_perm(request, VIEW)
    return {"business_date": clock.today(), "closed_through": selectors.closed_through(),
            "running": selectors.close_run_running()}


@router.get("/{int:run_id}", response={200: CloseRunDetail, **READ_ERRORS},
            summary="一次日终：进度、分区、各步骤数量与耗时、失败的借据")
def close_run_detail(request, run_id: int):
    require_perm(request, VIEW)
    return _run(run_id)


@router.post("", response={201: CloseRunDetail, **WRITE_ERRORS},
             summary="开始日终（后台执行；日期早于已日终日或晚于营业日、该日日终正在进行时拒绝并说明原因）")
def close_run_start(request, payload: CloseStartIn):
    require_perm(request, RUN)
    from ioudesk.closing.services import close_start
    from ioudesk.closing.tasks import enqueue_close

    through = payload.through or clock.today()
    with transaction.atomic():
        run = close_start(through=through, started_by=request.user, origin=RunOrigin.API)
        enqueue_close(through, origin=RunOrigin.API, started_by=request.user)  # run by a worker, on commit
    return Status(201, selectors.close_run_get(run.pk))


@router.post("/{int:run_id}/retry-failed", response={200: CloseRunDetail, **WRITE_ERRORS},
             summary="重试一次日终中失败的借据")
def close_run_retry_failed(request, run_id: int):
    require_perm(request, RUN)
    from ioudesk.closing.services import close_retry_failed

    run = _run(run_id)
    close_retry_failed(close_run=run, user=request.user)
    return selectors.close_run_get(run.pk)
