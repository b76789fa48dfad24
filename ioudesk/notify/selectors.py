"""Reads of the notify app, always through the data scope (a message belongs to its customer's or
its staff recipient's branch)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ioudesk.core import scope
from ioudesk.core.errors import NotFound
from ioudesk.notify.models import Channel, Message, OptOut, Status

INBOX_HIDDEN = (Status.SUPPRESSED, Status.FAILED)


def log_scope(user, queryset: QuerySet[Message]) -> QuerySet[Message]:
    """The message log's rows a user may read: their branches' messages; another staff member's
    in-app messages (their inbox) only for those who see every branch (系统管理员, 审计)."""
    queryset = scope.scope_queryset(user, queryset, "branch")
    if not scope.sees_all_branches(user):
        queryset = queryset.exclude(Q(channel=Channel.INAPP, user__isnull=False) & ~Q(user=user))
    return queryset


def messages_visible(user) -> QuerySet[Message]:
    """The message log a user may read (view_message needed)."""
    if not user.has_perm("notify.view_message"):
        return Message.objects.none()
    return log_scope(user, Message.objects.select_related("customer", "user", "template"))


def message_get(*, user, pk) -> Message:
    found = messages_visible(user).filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise NotFound()
    return found


def inbox(user) -> QuerySet[Message]:
    """A staff user's in-app messages (their inbox), newest first; what was not sent is left out."""
    return (Message.objects.filter(channel=Channel.INAPP, user=user).exclude(status__in=INBOX_HIDDEN)
            .order_by("-created_at", "-id"))


def inbox_unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return inbox(user).filter(read_at__isnull=True).count()


def inbox_get(*, user, pk) -> Message:
    found = inbox(user).filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise NotFound()
    return found


def opt_outs_of(customer) -> QuerySet[OptOut]:
    return OptOut.objects.filter(customer=customer).order_by("-created_at")


def opted_out_channels(customer) -> set[str]:
    return set(OptOut.objects.filter(customer=customer, withdrawn_at__isnull=True).values_list("channel", flat=True))
