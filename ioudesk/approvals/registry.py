"""Request kinds: the operations that may go through an approval flow.

The apps that own an operation register it at ``ready()`` (approvals never imports them):

    register_request_kind(RequestKind(code="iou_write_off", label=_("核销"), execute=..., describe=...))

``execute(request, *, checker)`` carries the operation out once the last step approves, inside the
decision's transaction (an error it raises rolls the decision back and is shown to the approver);
it returns a dict kept as ``request.result`` (e.g. {"iou": 12}). ``describe(request)`` gives the rows
an approver sees, as (label, value) strings; they are stored with each decision (what they saw).
``validate(target, payload, user)`` checks a request before it is submitted (raise the owning
service's ``ApplicationError``), so a request that could never be carried out is refused at once.
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


REQUEST_KINDS: dict[str, RequestKind] = {}


def register_request_kind(kind: RequestKind) -> None:
    REQUEST_KINDS[kind.code] = kind


def kind_for(code: str) -> RequestKind | None:
    return REQUEST_KINDS.get(code)


def kind_choices() -> list[tuple[str, str]]:
    return [(k.code, k.label) for k in REQUEST_KINDS.values()]
