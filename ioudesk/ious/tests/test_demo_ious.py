"""The demo IOUs: every state, made through the services, the ledger still proving itself."""

from collections import Counter

from django.core.management import call_command

from ioudesk.core.demo import load_demo_data
from ioudesk.ious import demo
from ioudesk.ious.models import Iou, Transaction
from ioudesk.ledger.verify import verify
from ioudesk.products.models import Product


def test_demo_makes_an_iou_in_every_state_once(organisation, business_date, monkeypatch):
    # As wired in ioudesk/core/demo.py: after the customers, inside the one demo transaction.
    monkeypatch.setattr("ioudesk.core.demo.DEMO_LOADERS", ["ioudesk.customers.demo.load", "ioudesk.ious.demo.load"])

    summary = load_demo_data()[-1:]

    statuses = Counter(Iou.objects.values_list("status", flat=True))
    assert {"draft", "pending_approval", "approved", "active", "overdue", "extended", "settled", "written_off",
            "cancelled"} <= set(statuses), statuses
    assert set(Product.objects.values_list("code", flat=True)) >= {"XFD", "JYD", "DQZZ"}
    buckets = set(Iou.objects.filter(status="overdue").values_list("bucket", flat=True))
    assert {"M1", "M3"} <= buckets
    goods = Iou.objects.get(kind="debt", payment_terms="net_30")
    assert goods.status == "active" and goods.due_date is not None
    lost = Iou.objects.get(status="written_off")
    assert lost.recovery_method == "write_off" and Transaction.objects.filter(iou=lost, kind="recovery").exists()
    draft = Iou.objects.get(status="draft")
    assert draft.cap_within is False and draft.cap_unprotected_interest > 0
    assert "示范借据" in summary[0]

    again = demo.load()

    assert Iou.objects.count() == sum(statuses.values()) and "已存在" in again[0]
    report = verify()
    assert report.ok, report.differences
    call_command("ledger", "verify")
