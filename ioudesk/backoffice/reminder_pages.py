"""还款提醒 pages: a rule's template previewed with real data, and 提醒计划 — what the close of a day
reminds of (for the next day), rule by rule, in the user's branches: IOU installments, and the
kinds other apps register (``reminders.kinds``: receivables bills' reminders and 催款通知, payables)."""

from datetime import date

from django.http import Http404
from django.urls import path
from django.utils.translation import gettext_lazy as _

from ioudesk.backoffice.pages import BackofficePage
from ioudesk.core import clock
from ioudesk.reminders import selectors
from ioudesk.reminders.kinds import rule_kind, rule_kinds
from ioudesk.reminders.models import AppliesTo, ReminderRule


class RulePreviewPage(BackofficePage):
    template_name = "backoffice/reminders/preview.html"
    title = _("提醒预览")
    permission_required = ("reminders.view_reminderrule",)

    def get_context_data(self, **kwargs):
        rule = ReminderRule.objects.select_related("template", "product").filter(pk=self.kwargs["pk"]).first()
        if rule is None:
            raise Http404
        today = clock.today()
        source = ""
        hooks = rule_kind(rule.applies_to) if rule.applies_to != AppliesTo.IOU else None
        if hooks is not None:  # a receivables bill's or a payable's rule: its app fills the template
            subject, body, source = hooks.preview(rule, self.request.user, today)
            item = None
        else:
            subject, body, item = selectors.rule_preview(rule=rule, user=self.request.user, today=today)
        return super().get_context_data(**kwargs, rule=rule, subject=subject, body=body, item=item, source=source,
                                        can_change=self.request.user.has_perm("reminders.change_reminderrule"),
                                        phone_missing=selectors.lender_phone_missing())


class ReminderPlanPage(BackofficePage):
    template_name = "backoffice/reminders/plan.html"
    title = _("提醒计划")
    permission_required = ("reminders.view_reminder",)

    def get_context_data(self, **kwargs):
        today = clock.today()
        try:
            day = date.fromisoformat(self.request.GET.get("day", ""))
        except ValueError:
            day = today
        plan = selectors.reminders_planned(user=self.request.user, day=day)
        others = []  # the receivables bills' reminders and 催款通知, the payables' notes (reminders.kinds)
        for applies_to, hooks in rule_kinds().items():
            planned = hooks.planned(self.request.user, day, 500)
            others.append({"label": AppliesTo(applies_to).label, "code": applies_to, **planned})
        return super().get_context_data(**kwargs, day=day, today=today, others=others, **plan)


urlpatterns = [
    path("reminder-rules/<int:pk>/preview/", RulePreviewPage.as_view(), name="reminder_rule_preview"),
    path("reminder-plan/", ReminderPlanPage.as_view(), name="reminder_plan"),
]
