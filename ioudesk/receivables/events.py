"""A bill's history (BillEvent, append-only): every part of receivables writes its events here."""

from __future__ import annotations

from ioudesk.receivables.models import Bill, BillEvent


def bill_event(bill: Bill, kind: str, text: str = "", *, by=None) -> BillEvent:
    by = by if getattr(by, "is_authenticated", False) else None
    return BillEvent.objects.create(bill=bill, kind=kind, text=(text or "")[:300], by=by)
