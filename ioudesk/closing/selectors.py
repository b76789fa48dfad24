"""Reads of the daily close: how far the days are closed, the runs, their failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

from ioudesk.closing.models import CloseFailure, CloseRun, CloseSettings, RunState


def _organisation_id() -> int | None:
    from ioudesk.core.models import Organisation

    return Organisation.objects.order_by("id").values_list("id", flat=True).first()


def close_settings() -> CloseSettings:
    """The organisation's close settings (made with the defaults on first use)."""
    from ioudesk.core.services import organisation_current

    settings, _ = CloseSettings.objects.get_or_create(organisation=organisation_current())
    return settings


def closed_through() -> date | None:
    """The last fully closed business date (None before the first close)."""
    return CloseSettings.objects.filter(organisation_id=_organisation_id()).values_list(
        "closed_through", flat=True).first()


def close_runs(*, state: str | None = None, limit: int | None = 100):
    """The runs, latest day first (a queryset: the pages paginate it)."""
    runs = CloseRun.objects.filter(organisation_id=_organisation_id()).select_related("started_by")
    if state:
        runs = runs.filter(state=state)
    runs = runs.order_by("-day")
    return runs[:limit] if limit else runs


def close_run_get(pk: int) -> CloseRun | None:
    return CloseRun.objects.filter(pk=pk, organisation_id=_organisation_id()).select_related("started_by").first()


def close_run_running() -> CloseRun | None:
    """The run in progress, if any."""
    return CloseRun.objects.filter(organisation_id=_organisation_id(), state=RunState.RUNNING).order_by("day").first()


def close_failures(close_run: CloseRun, *, open_only: bool = False):
    failures = CloseFailure.objects.filter(close_run=close_run).select_related("iou", "retried_by")
    if open_only:
        failures = failures.filter(resolved_at__isnull=True)
    return failures.order_by("id")


# The engine's steps and counts (services.py, engine.py) and the reminders day step's counts
# (ioudesk/reminders/services.py), by their codes; any other key is shown as stored.
STEP_LABELS = {"partition": _("划分分区"), "ious": _("借据日终"), "partitions": _("各分区合计"),
               "advance": _("推进营业日")}
COUNT_LABELS = {"live": _("在贷借据"), "falling_due": _("当日有到期"), "falling_overdue": _("当日转逾期"),
                "bulk": _("批量计提"), "single": _("逐笔处理"), "failed": _("失败"),
                "dpd_advanced": _("逾期天数推进"), "penalty": _("月末计罚息"), "resolved": _("已解决")}
# Those are the engine's own; a day step registers the labels of its counts with it (register_day_step).
NOT_STEPS = {"steps_done"}  # the engine's own bookkeeping


@dataclass(frozen=True)
class StepSummary:
    name: str
    label: object  # a lazy translation, or the stored name
    counts: list[tuple[str, int]]
    seconds: float | None


def close_steps(run: CloseRun) -> list[StepSummary]:
    """Per step of a run: its label, what it counted and how long it took (counts and timings as
    stored by the engine: {step: {name: n} or n}, {step: seconds}); the engine's own steps in the
    order they happen, then the day steps in theirs. For the run page and `close-day`."""
    from ioudesk.closing.registry import day_steps

    registered = {step.name: step for step in day_steps()}
    labels = {**STEP_LABELS, **{name: step.label for name, step in registered.items()}}
    counts = run.counts if isinstance(run.counts, dict) else {}
    timings = run.timings if isinstance(run.timings, dict) else {}
    known = [name for name in STEP_LABELS if name in timings or name in counts]
    names = [name for name in dict.fromkeys([*known, *timings, *counts]) if name not in NOT_STEPS]
    steps = []
    for name in names:
        value = counts.get(name)
        if isinstance(value, dict):
            names = {**COUNT_LABELS, **(registered[name].count_labels if name in registered else {})}
            items = [(str(names.get(key, key)), number) for key, number in value.items()
                     if not isinstance(number, list | dict)]
        else:
            items = [("", value)] if isinstance(value, int | float) else []
        seconds = timings.get(name)
        steps.append(StepSummary(name=name, label=labels.get(name, name), counts=items,
                                 seconds=seconds if isinstance(seconds, int | float) else None))
    return steps
