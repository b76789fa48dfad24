"""Checks a new IOU meets before it is made, registered by the apps above ious (legal registers
the defaulter list at start-up), so that ious never imports them.

A check is a function ``check(iou) -> list[OriginationWarning]`` given the unsaved, validated IOU
(customer and branch set). ``iou_create`` refuses an IOU with a warning, naming the reason, unless
its maker confirms (``confirm_checks=True``); the confirmation and the reasons go into the audit
trail with the IOU."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ioudesk.ious.models import Iou


@dataclass(frozen=True)
class OriginationWarning:
    code: str
    message: str


ORIGINATION_CHECKS: list[Callable[[Iou], list[OriginationWarning]]] = []


def origination_warnings(iou: Iou) -> list[OriginationWarning]:
    return [warning for check in ORIGINATION_CHECKS for warning in check(iou)]
