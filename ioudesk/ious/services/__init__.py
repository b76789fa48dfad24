"""IOU services, one module per business event. Import from here."""

from ioudesk.ious.services.origination import (
    iou_approve,
    iou_cancel,
    iou_create,
    iou_from_product,
    iou_reject,
    iou_submit,
    iou_withdraw,
)

__all__ = ["iou_approve", "iou_cancel", "iou_create", "iou_from_product", "iou_reject", "iou_submit", "iou_withdraw"]
