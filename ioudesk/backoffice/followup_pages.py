"""我今天的跟进: the signed-in account manager's next actions due by the business date."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _

from ioudesk.backoffice.pages import BackofficePage
from ioudesk.core import clock
from ioudesk.core.errors import ApplicationError
from ioudesk.customers import followups, permissions


class MyFollowUpsPage(BackofficePage):
    template_name = "backoffice/followups/mine.html"
    title = _("我今天的跟进")
    permission_required = ("customers.view_followup",)

    def get_context_data(self, **kwargs):
        today = clock.today()
        rows = list(followups.follow_ups_due(user=self.request.user, day=today))
        for follow_up in rows:
            follow_up.days_overdue = (today - follow_up.next_action_on).days
            follow_up.can_follow_up = permissions.can_add_follow_up(
                self.request.user, customer=follow_up.customer, prospect=follow_up.prospect)
        return super().get_context_data(**kwargs, today=today, rows=rows,
                                        can_add=permissions.can_add_follow_up(self.request.user))

    def post(self, request, *args, **kwargs):
        follow_up = followups.follow_up_get(user=request.user, pk=request.POST.get("follow_up"))
        try:
            followups.follow_up_complete(follow_up=follow_up, user=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("已完成：%(action)s。") % {"action": follow_up.next_action or follow_up})
        return redirect("backoffice:my_follow_ups")


urlpatterns = [
    path("follow-ups/mine/", MyFollowUpsPage.as_view(), name="my_follow_ups"),
]
