"""Reads of the daily close: how far the days are closed, the runs, their failures."""

from __future__ import annotations

from datetime import date

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
