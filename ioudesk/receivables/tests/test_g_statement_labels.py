"""A statement's movement labels are translated when it is shown, not frozen in the language of
whoever issued it (the snapshot keeps the category). Needs the compiled English catalogue."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import translation

from ioudesk.receivables.statements import Movement, StatementFigures


def _figures(direction: str) -> StatementFigures:
    figures = StatementFigures(customer_id=1, customer_name="上海华东机电有限公司", customer_number="KH1",
                               direction=direction, period_from=date(2026, 11, 1), period_to=date(2026, 11, 30))
    with translation.override("zh-hans"):
        figures.movements = [
            Movement(day=date(2026, 11, 3), entry="PZ1", category="billed", label="应收单", document="YS1", memo="",
                     amount=Decimal("1130.00"), balance=Decimal("1130.00")),
            Movement(day=date(2026, 11, 9), entry="PZ2", category="transfer", label="收款转借据还款", document="SK1",
                     memo="", amount=Decimal("-100.00"), balance=Decimal("1030.00")),
            Movement(day=date(2026, 11, 10), entry="PZ3", category="received", label="冲正：收款", document="SK2",
                     memo="", amount=Decimal("50.00"), balance=Decimal("1080.00"), reversal=True),
        ]
    return figures


def test_issued_in_chinese_read_in_english():
    snapshot = _figures("receivable").to_snapshot()
    with translation.override("en"):
        labels = [m.label for m in StatementFigures.from_snapshot(snapshot).movements]
    assert labels == ["Receivable bill", "Receipt applied to an IOU", "Reversal: Receipt"]
    with translation.override("zh-hans"):
        assert [m.label for m in StatementFigures.from_snapshot(snapshot).movements] == [
            "应收单", "收款转借据还款", "冲正：收款"]


def test_snapshot_from_before_the_reversal_flag():
    snapshot = _figures("payable").to_snapshot()
    for m, label in zip(snapshot["movements"], ["应付单", "付款转出", "冲正：付款"], strict=True):
        del m["reversal"]
        m["label"] = label  # as issued then, in Chinese
    with translation.override("zh-hans"):
        movements = StatementFigures.from_snapshot(snapshot).movements
    assert [(m.label, m.reversal) for m in movements] == [("应付单", False), ("付款转出", False), ("冲正：付款", True)]
