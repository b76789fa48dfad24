"""月末快照 (A): the month ends the close froze, and one month's figures — the loan balance by five-tier
class, the back-dated changes made after it (listed, never written into it) and, for those who see
every branch, the trial balance it kept. Read-only; everything through the data scope."""

from __future__ import annotations

from datetime import date

from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from ioudesk.backoffice.pages import BackofficePage
from ioudesk.core import scope
from ioudesk.ious.models import Classification
from ioudesk.reports import snapshots
from ioudesk.reports.models import MonthEndAccount, MonthSnapshot, SnapshotDifference


def _differences(user, month_end: date | None = None):
    rows = SnapshotDifference.objects.all()
    if month_end is not None:
        rows = rows.filter(month_end=month_end)
    branches = scope.visible_branch_ids(user)
    if branches is not None:
        rows = rows.filter(branch_id__in=branches)
    return rows


class SnapshotListPage(BackofficePage):
    template_name = "backoffice/reports/snapshots.html"
    title = _("月末快照")
    permission_required = ("reports.view_reports",)

    def get_context_data(self, **kwargs):
        user = self.request.user
        all_branches = scope.visible_branch_ids(user) is None
        counts = dict(_differences(user).order_by().values_list("month_end").annotate(
            n=Count("id")).values_list("month_end", "n"))
        rows = []
        for snapshot in MonthSnapshot.objects.select_related("close_run")[:36]:
            totals = snapshot.totals or {}
            rows.append({
                "month_end": snapshot.month_end, "taken_at": snapshot.taken_at, "seconds": snapshot.seconds,
                "close_day": snapshot.close_run.day if snapshot.close_run else None,
                "count": totals.get("count") if all_branches else None,
                "principal": totals.get("principal_outstanding") if all_branches else None,
                "overdue": totals.get("overdue_balance") if all_branches else None,
                "npl": totals.get("npl_balance") if all_branches else None,
                "differences": counts.get(snapshot.month_end, 0),
                "url": reverse("backoffice:reports_snapshot", args=[snapshot.month_end.isoformat()]),
            })
        return super().get_context_data(**kwargs, rows=rows, all_branches=all_branches)


class SnapshotMonthPage(BackofficePage):
    template_name = "backoffice/reports/snapshot_month.html"
    permission_required = ("reports.view_reports",)

    def get_context_data(self, **kwargs):
        from decimal import Decimal

        user = self.request.user
        try:
            month_end = date.fromisoformat(kwargs["day"])
        except ValueError:
            raise Http404 from None
        snapshot = snapshots.snapshot_for(month_end)
        if snapshot is None:
            raise Http404
        figures = snapshots.snapshot_figures(user, month_end)
        principal = figures.get("principal_outstanding") or Decimal("0.00")
        from ioudesk.calc.rates import percent

        classes = []
        for value, label in Classification.choices:
            entry = figures.get("by_class", {}).get(value, {"count": 0, "principal_outstanding": Decimal("0.00")})
            classes.append({"label": label, "count": entry["count"], "principal": entry["principal_outstanding"],
                            "share": percent(entry["principal_outstanding"] / principal) if principal else None})
        page = Paginator(_differences(user, month_end).select_related("iou", "transaction", "entry")
                         .order_by("-found_at", "-id"), 50).get_page(self.request.GET.get("page"))
        differences = [{"row": d, "delta": d.current_value - d.snapshot_value,
                        "iou_url": reverse("backoffice:iou_detail", args=[d.iou_id]) if d.iou_id else ""}
                       for d in page.object_list]
        accounts = None
        if scope.visible_branch_ids(user) is None:
            accounts = [{"code": a.account.code, "name": a.account.name, "debit": a.debit, "credit": a.credit,
                         "balance": a.debit - a.credit}
                        for a in MonthEndAccount.objects.filter(month_end=month_end).select_related("account")
                        .order_by("account__code")]
        self.title = _("月末快照 %(day)s") % {"day": month_end.isoformat()}
        return super().get_context_data(
            **kwargs, snapshot=snapshot,
            month_end=month_end, figures=figures, classes=classes, page=page, differences=differences,
            accounts=accounts, npl_rate=percent(figures["npl_balance"] / principal) if principal else None,
            overdue_rate=percent(figures["overdue_balance"] / principal) if principal else None,
            list_url=reverse("backoffice:reports_snapshots"))


urlpatterns = [
    path("reports/snapshots/", SnapshotListPage.as_view(), name="reports_snapshots"),
    path("reports/snapshots/<str:day>/", SnapshotMonthPage.as_view(), name="reports_snapshot"),
]
