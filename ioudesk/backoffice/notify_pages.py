"""站内消息: the signed-in staff member's inbox (every staff user has one), with mark-read."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from ioudesk.backoffice.pages import BackofficePage
from ioudesk.core.errors import ApplicationError
from ioudesk.notify import placeholders, selectors, services


class InboxPage(BackofficePage):
    template_name = "backoffice/notify/inbox.html"
    title = _("站内消息")
    permission_required = ()

    def get_context_data(self, **kwargs):
        user = self.request.user
        only_unread = self.request.GET.get("unread") == "1"
        rows = selectors.inbox(user).select_related("related_type")
        if only_unread:
            rows = rows.filter(read_at__isnull=True)
        page = Paginator(rows, 30).get_page(self.request.GET.get("page"))
        for message in page.object_list:
            message.category_label = placeholders.category_label(message.category)
            message.link = _related_link(user, message)
        return super().get_context_data(**kwargs, page=page, only_unread=only_unread,
                                        unread=selectors.inbox_unread_count(user))

    def post(self, request, *args, **kwargs):
        try:
            if request.POST.get("all") == "1":
                count = services.inbox_mark_all_read(user=request.user)
                messages.success(request, _("已将 %(n)s 条消息标为已读。") % {"n": count})
            else:
                message = selectors.inbox_get(user=request.user, pk=request.POST.get("message", ""))
                services.message_mark_read(message=message, user=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        query = "?unread=1" if request.POST.get("unread") == "1" else ""
        return redirect(reverse("backoffice:inbox") + query)


def _related_link(user, message) -> str:
    """The page of the record the message is about, when the user may open it."""
    if not message.related_type_id or not message.related_id:
        return ""
    model = message.related_type.model_class()
    if model is None:
        return ""
    opts = model._meta
    if not user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
        return ""
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[message.related_id])
    except Exception:
        return ""


urlpatterns = [
    path("inbox/", InboxPage.as_view(), name="inbox"),
]
