"""The approval request kinds of the IOU operations (registered in ``approval_kinds.py``): the codes
alone, so that the services, the predicates and the kinds share them without importing each other.
docs/domain.md §23."""

IOU_APPROVAL = "iou_approval"          # 借据审批 (replaces the single 审批 when a flow applies)
IOU_WAIVE = "iou_waive"                # 减免 (amount: the waived amount)
TRANSACTION_REVERSE = "transaction_reverse"  # 冲正 (target: the IOU; payload["transaction"])
IOU_WRITE_OFF = "iou_write_off"        # 核销
IOU_EXTEND = "iou_extend"              # 展期/重组
IOU_REFUND = "iou_refund"              # 退还溢缴款

# The IOU page's action → the request kind that carries it out once approved (while one is pending
# for the IOU, the action is not offered again).
ACTION_KINDS = {
    "approve": IOU_APPROVAL, "reject": IOU_APPROVAL, "waive": IOU_WAIVE, "write_off": IOU_WRITE_OFF,
    "extend": IOU_EXTEND, "refund": IOU_REFUND, "reverse": TRANSACTION_REVERSE,
}
