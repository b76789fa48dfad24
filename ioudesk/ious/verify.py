"""The IOU's half of `ioudesk ledger verify`: every IOU's stored balances equal its postings."""

from __future__ import annotations

from decimal import Decimal

from ioudesk.calc.money import format_yuan
from ioudesk.ious.models import Iou
from ioudesk.ious.services.ledgering import BALANCE_FIELDS
from ioudesk.ledger.selectors import iou_balances_bulk

LABELS = {"principal": "未还本金", "interest": "未还利息", "penalty": "未还罚息", "fee": "未还费用",
          "overpayment": "溢缴款", "written_off_principal": "表外核销本金", "written_off_interest": "表外核销利息"}


def iou_balances_differences() -> list[str]:
    ledger = iou_balances_bulk()
    zero = dict.fromkeys(BALANCE_FIELDS, Decimal("0.00"))
    differences = []
    fields = ["pk", "number", *BALANCE_FIELDS.values()]
    for row in Iou.objects.values_list(*fields).order_by("pk").iterator(chunk_size=5000):
        pk, number, stored = row[0], row[1], dict(zip(BALANCE_FIELDS, row[2:], strict=True))
        posted = ledger.pop(pk, zero)
        for component, amount in stored.items():
            if amount != posted.get(component, Decimal("0.00")):
                differences.append(f"借据 {number}：{LABELS[component]} 账面 {format_yuan(amount)}，"
                                   f"总账 {format_yuan(posted.get(component, Decimal('0.00')))}")
    for iou_id in ledger:
        differences.append(f"总账中有借据ID {iou_id} 的分录，但借据不存在")
    return differences
