"""日终 pages: the history of close runs, one run with its live progress, partitions, per-step
counts and timings and failed IOUs (with a retry), and the administrator's start button; plus
后台作业, the user's background jobs.

The work is done by ioudesk.closing (services close_start / close_retry_failed, its selectors);
these views parse, call one service or selector, and render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from ioudesk.backoffice.pages import BackofficePage
from ioudesk.closing import selectors
from ioudesk.closing.models import CloseRun, RunOrigin
from ioudesk.core import clock
from ioudesk.core.errors import ApplicationError

VIEW = "closing.view_closerun"
RUN = "closing.run_close"
CHANGE_SETTINGS = "closing.change_closesettings"
PER_PAGE = 50


def run_duration(run: CloseRun) -> float | None:
    """Seconds from start to finish (to now while it runs); None before it started."""
    from django.utils import timezone

    if run.started_at is None:
        return None
    return ((run.finished_at or timezone.now()) - run.started_at).total_seconds()


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return _t("%(s).1f 秒") % {"s": seconds}
    minutes, secs = divmod(int(seconds + 0.5), 60)  # whole seconds (a timing, not money)
    if minutes < 60:
        return _t("%(m)d 分 %(s)d 秒") % {"m": minutes, "s": secs}
    hours, minutes = divmod(minutes, 60)
    return _t("%(h)d 小时 %(m)d 分") % {"h": hours, "m": minutes}


def step_rows(run: CloseRun) -> list[dict]:
    """The run's steps as the page shows them (closing.selectors.close_steps), durations in words."""
    return [{"name": step.name, "label": step.label, "counts": step.counts, "seconds": duration_text(step.seconds)}
            for step in selectors.close_steps(run)]


def run_row(run: CloseRun) -> dict:
    return {"run": run, "duration": duration_text(run_duration(run))}


class StartForm(forms.Form):
    through = forms.DateField(
        label=_("日终至营业日"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text=_("对此日期及之前所有尚未日终的营业日逐日执行日终（默认当前营业日）。"))


def _start_form(data=None) -> StartForm:
    return StartForm(data, initial={"through": clock.today()})


def _get_run(pk: int) -> CloseRun:
    run = selectors.close_run_get(pk)
    if run is None:
        raise Http404(_t("日终记录不存在。"))
    return run


def _status_context(user) -> dict:
    return {"business_date": clock.today(), "closed_through": selectors.closed_through(),
            "running": selectors.close_run_running(), "can_run": user.has_perm(RUN),
            "settings": selectors.close_settings(), "can_change_settings": user.has_perm(CHANGE_SETTINGS)}


class CloseRunListPage(BackofficePage):
    """日终: the business date, how far the days are closed, the start button, the history."""

    template_name = "backoffice/closing/runs.html"
    title = _("日终")
    permission_required = (VIEW,)

    def get_context_data(self, **kwargs):
        page = Paginator(selectors.close_runs(limit=None), PER_PAGE).get_page(self.request.GET.get("page"))
        if self.request.user.has_perm(RUN):
            kwargs.setdefault("form", _start_form())
        return super().get_context_data(**kwargs, **_status_context(self.request.user), page=page,
                                        rows=[run_row(run) for run in page.object_list])

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm(RUN):
            raise Http404
        form = _start_form(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        from ioudesk.closing.services import close_start
        from ioudesk.closing.tasks import enqueue_close

        through = form.cleaned_data["through"]
        try:
            with transaction.atomic():
                run = close_start(through=through, started_by=request.user, origin=RunOrigin.BACKOFFICE)
                enqueue_close(through, origin=RunOrigin.BACKOFFICE, started_by=request.user)  # on commit
        except ApplicationError as error:
            form.add_error("through", str(error.message))
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, _t("已开始日终，可以离开本页：日终在后台继续进行。"))
        return HttpResponseRedirect(reverse("backoffice:close_run", args=[run.pk]))


class SettingsForm(forms.Form):
    close_time = forms.TimeField(
        label=_("日终时间"), widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
        help_text=_("每天到这个时间（北京时间）后台自动日终当天的营业日。"))
    auto_advance = forms.BooleanField(
        label=_("日终后自动进入下一营业日"), required=False,
        help_text=_("不勾选时，营业日由管理员在“营业日”页手工推进。"))
    partition_size = forms.IntegerField(
        label=_("每个分区的借据数"), min_value=100, max_value=100000,
        help_text=_("日终按借据ID分段处理，多个后台进程可同时处理不同分段。这是每段的最少借据数：借据很多时系统会自动加大分段（每段最多 20000 笔），一般无需修改。"))


class CloseSettingsPage(BackofficePage):
    """日终设置: when the close runs by itself, whether the business date moves on after it, and
    the partition size. Written only through closing.services.close_settings_update (audited)."""

    template_name = "backoffice/closing/settings.html"
    title = _("日终设置")
    permission_required = (CHANGE_SETTINGS,)

    def get_context_data(self, **kwargs):
        if "form" not in kwargs:
            current = selectors.close_settings()
            kwargs["form"] = SettingsForm(initial={"close_time": current.close_time, "auto_advance": current.auto_advance,
                                                   "partition_size": current.partition_size})
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        from ioudesk.closing.services import close_settings_update

        form = SettingsForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            close_settings_update(actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            field = (error.extra or {}).get("field")
            form.add_error(field if field in form.fields else None, error.message)
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, _t("日终设置已保存。"))
        return HttpResponseRedirect(reverse("backoffice:close_runs"))


class CloseRunPage(BackofficePage):
    """One run: progress (polled while it runs), steps, partitions, failed IOUs with a retry."""

    template_name = "backoffice/closing/run.html"
    title = _("日终详情")
    permission_required = (VIEW,)

    def get_context_data(self, **kwargs):
        run = _get_run(self.kwargs["pk"])
        partitions = list(run.partitions.order_by("lo"))
        for partition in partitions:
            partition.duration = duration_text(
                (partition.finished_at - partition.started_at).total_seconds()
                if partition.started_at and partition.finished_at else None)
        failures = list(selectors.close_failures(run))
        user = self.request.user
        self.title = _t("日终 %(day)s") % {"day": run.day.isoformat()}
        return super().get_context_data(
            **kwargs, run=run, duration=duration_text(run_duration(run)), steps=step_rows(run),
            partitions=partitions, failures=failures, open_failures=sum(1 for f in failures if not f.resolved_at),
            can_run=user.has_perm(RUN), can_view_ious=user.has_perm("ious.view_iou"))

    def post(self, request, *args, **kwargs):
        """重试失败的借据."""
        if not request.user.has_perm(RUN):
            raise Http404
        run = _get_run(self.kwargs["pk"])
        from ioudesk.closing.services import close_retry_failed

        try:
            result = close_retry_failed(close_run=run, user=request.user) or {}
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _t("已重新处理失败的项目：%(resolved)s 项成功，%(failed)s 项仍然失败。") % {
                "resolved": result.get("resolved", 0), "failed": result.get("failed", 0)})
        return HttpResponseRedirect(reverse("backoffice:close_run", args=[run.pk]))


class CloseRunProgress(CloseRunPage):
    """What the run page polls (htmx, every 2 s): the progress card; ``HX-Refresh`` reloads the
    page once the run has finished. JSON when asked for it."""

    template_name = "backoffice/closing/_progress.html"
    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        run = _get_run(self.kwargs["pk"])
        if "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"state": run.state, "state_label": str(run.get_state_display()), "phase": run.phase,
                                 "partitions_done": run.partitions_done, "partitions_total": run.partitions_total,
                                 "ious_done": run.ious_done, "ious_total": run.ious_total, "percent": run.percent,
                                 "finished": run.finished})
        response = render(request, self.template_name, {"run": run, "duration": duration_text(run_duration(run))})
        if run.finished and request.headers.get("HX-Request"):
            response["HX-Refresh"] = "true"
        return response


class JobListPage(BackofficePage):
    """后台作业: the background jobs the user started (imports …), with their progress."""

    template_name = "backoffice/jobs.html"
    title = _("后台作业")

    def get_context_data(self, **kwargs):
        from ioudesk.jobs.services import jobs_for_user

        return super().get_context_data(**kwargs, jobs=jobs_for_user(user=self.request.user, limit=100))


urlpatterns = [
    path("close/runs/", CloseRunListPage.as_view(), name="close_runs"),
    path("close/settings/", CloseSettingsPage.as_view(), name="close_settings"),
    path("close/runs/<int:pk>/", CloseRunPage.as_view(), name="close_run"),
    path("close/runs/<int:pk>/progress/", CloseRunProgress.as_view(), name="close_run_progress"),
    path("jobs/", JobListPage.as_view(), name="jobs"),
]
