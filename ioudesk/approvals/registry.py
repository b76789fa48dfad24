"""Request kinds: the operations that may go through an approval flow.

The apps that own an operation register it at ``ready()`` (approvals never imports them):

    register_request_kind(RequestKind(code="iou_write_off", label=_("核销"), execute=..., describe=...))

``execute(*, target, payload, maker, checker, approval)`` carries the operation out: at once when no
flow applies (``checker`` and ``approval`` None, from ``services.submit_or_run``), or once the last
step approves, inside the decision's transaction (an error it raises rolls the decision back and is
shown to the approver; ``approval`` is the APPROVED request, which the domain service passes to
``services.gate``); it returns a JSON-able dict kept as ``request.result`` (e.g. {"iou": 12}).
``describe(request)`` gives the rows an approver sees, as (label, value) strings; they are stored
with each decision (what they saw). ``validate(*, target, payload, user)`` checks a request before it
is submitted (raise the owning service's ``ApplicationError``), so a request that could never be
carried out is refused at once. ``covers``: the kinds whose gate an approved request of this kind
also opens (an approved application covers the IOU's approval it creates). ``on_reject``,
``on_return``, ``on_cancel``: what the owning app does when a request ends without approval.
``low_risk(request)`` allows bulk approval in the inbox (with the step's ``allow_bulk``).
``url(request)`` is the target's page, where the pending request is shown too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class RequestKind:
    code: str
    label: str | Promise
    execute: Callable[..., dict]
    describe: Callable[[Any], list[tuple[str, str]]]
    validate: Callable[..., None] | None = None
    low_risk: Callable[[Any], bool] | None = None
    url: Callable[[Any], str] | None = None
    # what the maker is offered as a counter-offer field set ("amount", "term", "rate_text"); empty: none
    counter_fields: tuple[str, ...] = ()
    # the kinds whose gate an APPROVED request of this kind also passes (e.g. application → iou_approval)
    covers: tuple[str, ...] = ()
    # called as hook(request=, user=, comment=) in the transaction that ends a request without approval,
    # after its status is saved: rejected (驳回), returned to the maker (退回), withdrawn by the maker (撤回;
    # without on_cancel, on_reject is called)
    on_reject: Callable[..., None] | None = None
    on_return: Callable[..., None] | None = None
    on_cancel: Callable[..., None] | None = None


REQUEST_KINDS: dict[str, RequestKind] = {}


def register_request_kind(kind: RequestKind) -> None:
    REQUEST_KINDS[kind.code] = kind


def kind_for(code: str) -> RequestKind | None:
    return REQUEST_KINDS.get(code)


def kind_choices() -> list[tuple[str, str]]:
    return [(k.code, k.label) for k in REQUEST_KINDS.values()]
