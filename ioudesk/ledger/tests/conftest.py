from decimal import Decimal

import pytest

from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.services import Line, chart_ensure, post_entry


@pytest.fixture(autouse=True)
def ledger_only_checks(monkeypatch):
    """These tests post for IOU ids that have no IOU behind them: leave the IOU app's balance
    check (registered in BALANCE_CHECKS) out of ``verify``."""
    from ioudesk.ledger import verify

    monkeypatch.setattr(verify, "BALANCE_CHECKS", [])


@pytest.fixture
def chart(db):
    """The seeded chart (a transactional test's flush empties it, so make sure it is there)."""
    chart_ensure()


@pytest.fixture
def disburse(chart):
    def post(amount="10000", *, iou_id=1, key=None, day=None):
        return post_entry(
            kind="disbursement", iou_id=iou_id, idempotency_key=key, day=day, memo="放款",
            lines=[Line(AccountCode.LOANS, debit=Decimal(amount)), Line(AccountCode.BANK_BASIC, credit=Decimal(amount))],
        )

    return post
