"""The bell in the back office's header: the signed-in user's unread in-app messages."""

from django import template

from ioudesk.notify.selectors import inbox_unread_count

register = template.Library()


@register.inclusion_tag("backoffice/notify/_bell.html", takes_context=True)
def notify_bell(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return {"show": False}
    return {"show": True, "unread": inbox_unread_count(user)}
