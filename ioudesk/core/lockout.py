"""django-axes handler that also writes failed logins, lockouts and logins to the audit trail."""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from django.contrib.auth import get_user_model

from ioudesk.core import audit
from ioudesk.core.context import Actor, actor_for_user
from ioudesk.core.models.audit import AuditAction


class AuditedAxesHandler(AxesDatabaseHandler):
    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None:
            return
        username = get_client_username(request, credentials) or ""
        user = get_user_model().objects.filter(username=username).first()
        actor = Actor(user_id=None, name=username or "匿名", ip_address=request.axes_ip_address)
        failures = getattr(request, "axes_failures_since_start", 0)
        limit = get_failure_limit(request, credentials)
        audit.record(
            AuditAction.LOGIN_FAILED,
            obj=user,
            object_repr=None if user else username,
            verb="登录失败",
            changes={"failures": [None, failures]},
            actor=actor,
        )
        if failures == limit:
            audit.record(
                AuditAction.LOCKOUT,
                obj=user,
                object_repr=None if user else username,
                verb="连续登录失败，账户已锁定",
                changes={"failures": [None, failures]},
                actor=actor,
            )

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        audit.record(
            AuditAction.LOGIN,
            obj=user,
            verb="登录",
            actor=actor_for_user(user, request.axes_ip_address),
        )

    def user_logged_out(self, sender, request, user, **kwargs):
        super().user_logged_out(sender, request, user, **kwargs)
        if user is not None:
            audit.record(
                AuditAction.LOGOUT,
                obj=user,
                verb="退出",
                actor=actor_for_user(user, getattr(request, "axes_ip_address", None)),
            )


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out user sees: what happened, for how long, and who can unlock it."""
    from axes.helpers import get_cool_off
    from django.shortcuts import render

    cool_off = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "username": get_client_username(request, credentials) or "",
        "cooloff_timedelta": cool_off,
        "cooloff_minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
    }
    return render(request, "ioudesk/locked_out.html", context, status=403)
