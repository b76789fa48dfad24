"""The IOU's status machine: the one transition table, and the one door through which a status
changes. Services call `transition()`; what the UI may offer is asked of `predicates.py`.

    草稿 → 待审批 → 已批准 → 已放款/生效 → 已结清
                ↘ (驳回) 草稿       ↘ 逾期 ⇄ 生效, 已展期, 已核销
    草稿/待审批/已批准 → 已作废
"""

from __future__ import annotations

from enum import Enum

from django.utils.translation import gettext_lazy as _

from ioudesk.core.errors import InvalidState
from ioudesk.ious.models import LIVE_STATUSES, Iou, Status

S = Status


class Event(Enum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    DISBURSE = "disburse"
    FALL_OVERDUE = "fall_overdue"
    CURE = "cure"
    EXTEND = "extend"
    SETTLE = "settle"
    REOPEN = "reopen"
    WRITE_OFF = "write_off"
    UNDO_DISBURSE = "undo_disburse"


LIVE = LIVE_STATUSES  # the one tuple (models.py)

# (event, from status) → to status. None as the target keeps the current status.
TRANSITIONS: dict[tuple[Event, str], str] = {
    (Event.SUBMIT, S.DRAFT): S.PENDING_APPROVAL,
    (Event.APPROVE, S.PENDING_APPROVAL): S.APPROVED,
    (Event.REJECT, S.PENDING_APPROVAL): S.DRAFT,
    (Event.CANCEL, S.DRAFT): S.CANCELLED,
    (Event.CANCEL, S.PENDING_APPROVAL): S.CANCELLED,
    (Event.CANCEL, S.APPROVED): S.CANCELLED,
    (Event.DISBURSE, S.APPROVED): S.ACTIVE,
    (Event.FALL_OVERDUE, S.ACTIVE): S.OVERDUE,
    (Event.FALL_OVERDUE, S.EXTENDED): S.OVERDUE,
    (Event.CURE, S.OVERDUE): S.ACTIVE,
    **{(Event.EXTEND, status): S.EXTENDED for status in LIVE},
    **{(Event.SETTLE, status): S.SETTLED for status in LIVE},
    (Event.REOPEN, S.SETTLED): S.ACTIVE,
    **{(Event.WRITE_OFF, status): S.WRITTEN_OFF for status in LIVE},
    (Event.UNDO_DISBURSE, S.ACTIVE): S.APPROVED,
}

EVENT_NAMES = {
    Event.SUBMIT: _("提交审批"), Event.APPROVE: _("审批通过"), Event.REJECT: _("驳回"), Event.CANCEL: _("作废"),
    Event.DISBURSE: _("放款/生效"), Event.FALL_OVERDUE: _("转为逾期"), Event.CURE: _("恢复正常"),
    Event.EXTEND: _("展期"), Event.SETTLE: _("结清"), Event.REOPEN: _("撤销结清"), Event.WRITE_OFF: _("核销"),
    Event.UNDO_DISBURSE: _("冲正放款"),
}


def can(iou: Iou, event: Event) -> bool:
    return (event, iou.status) in TRANSITIONS


def target(iou: Iou, event: Event) -> str:
    try:
        return TRANSITIONS[(event, iou.status)]
    except KeyError:
        raise InvalidState(
            _("借据 %(number)s 当前状态为“%(status)s”，不能%(event)s。") % {
                "number": iou.number, "status": iou.get_status_display(), "event": EVENT_NAMES[event]}
        ) from None


def transition(iou: Iou, event: Event) -> str:
    """Move the IOU to the status the table gives (or refuse); the caller saves and audits."""
    before = iou.status
    iou.status = target(iou, event)
    return before


def available_events(iou: Iou) -> list[Event]:
    return [event for (event, status) in TRANSITIONS if status == iou.status]
