"""Who is acting and from where, for the audit trail. Set by RequestContextMiddleware for web
requests; commands and tasks set it with `acting_as()`."""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass

from ioudesk.core.names import staff_label


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    name: str
    ip_address: str | None = None
    branch_id: int | None = None


SYSTEM = Actor(user_id=None, name="系统")
_current: ContextVar[Actor | None] = ContextVar("current_actor", default=None)


def current_actor() -> Actor:
    return _current.get() or SYSTEM


def actor_for_user(user, ip_address: str | None = None) -> Actor:
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor(user_id=None, name="匿名", ip_address=ip_address)
    return Actor(
        user_id=user.pk,
        name=staff_label(user),
        ip_address=ip_address,
        branch_id=getattr(user, "branch_id", None),
    )


@contextlib.contextmanager
def acting_as(actor: Actor):
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def client_ip(request) -> str | None:
    """The client's address. Behind a reverse proxy, set IOUDESK_TRUST_X_FORWARDED_FOR=1."""
    from django.conf import settings

    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR") or None
