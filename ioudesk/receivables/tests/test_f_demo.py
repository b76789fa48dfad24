"""The 往来 demo (receivables/demo.py): every state it promises is there, the imported statement matched
what its lines say, the book balances (ledger verify), and a second run adds nothing.

Worked figures (the demo's business date T; no approval flows in a test database, so every submitted
bill takes effect at once):
- the ICBC statement: 9 lines; by the bill number in the memo 3 (¥25,086.00, ¥7,062.50, ¥4,068.00),
  the 红字 bill's rest ¥39,821.20 (its number without the dash), by payer and amount 2 (运费 ¥800.00,
  巡检费 ¥8,480.00): 6 matched; left for a person 浦江's ¥5,000.00, an unknown company's ¥8,888.00 and the
  bank's ¥35.00 fee;
- the 红字 note: 2 × ¥980.00 × 1.13 = ¥2,214.80 off ¥42,036.00 → ¥39,821.20 open before the statement;
- the 对账单 of 上海浦江建材 closes at ¥60,544.00 (服务 ¥52,000.00 × 1.06 + 40 × ¥120.00 × 1.13) + ¥9,831.00
  (6 × ¥1,450.00 × 1.13) = ¥70,375.00, the dispute ¥1,356.00 (10 × ¥120.00 × 1.13).
"""

from decimal import Decimal as D

from ioudesk.core.demo import load_demo_data


def test_the_receivables_demo_has_every_state_and_balances(organisation):
    from ioudesk.collections.models import Case
    from ioudesk.ledger.verify import verify
    from ioudesk.receivables import demo
    from ioudesk.receivables.models import (
        AccountStatement,
        BankStatement,
        Bill,
        CounterpartyProfile,
        Receipt,
        StatementDispute,
    )

    load_demo_data()

    bills = Bill.objects.filter(customer__name__in=demo.NAMES)
    kinds = set(bills.values_list("kind", flat=True))
    assert kinds == {"sales", "service", "credit_note", "adjustment", "purchase", "purchase_order"}
    assert {"draft", "open", "paid", "ordered", "received"} <= set(bills.values_list("status", flat=True))
    receivable = bills.filter(direction="receivable", kind__in=["sales", "service"], status="open")
    today = demo.Desk().today
    overdue_days = sorted((today - b.due_first).days for b in receivable if b.due_first < today)
    assert overdue_days[-1] == 150 and 1 <= overdue_days[0] <= 90  # long (晨光) and short overdue
    assert receivable.filter(due_first__gt=today).exists()  # open, not yet due
    assert receivable.filter(paid__gt=0).exists()  # partly paid
    assert bills.filter(disputed=True).get().total == D("60544.00")

    note = bills.get(kind="credit_note")
    assert (note.total, note.original.total, note.original.status) == (D("2214.80"), D("42036.00"), "paid")
    assert bills.get(kind="adjustment").total == D("800.00")
    profile = CounterpartyProfile.objects.get(customer__name=demo.PUJIANG)
    assert (profile.is_customer, profile.is_supplier, profile.payment_terms.name) == (True, True, "次月底付款")
    assert CounterpartyProfile.objects.get(customer__name=demo.HUAXIN).customer.category == "important"

    batch = BankStatement.objects.get()
    assert (batch.bank, batch.lines_total, batch.lines_new, batch.lines_matched) == ("icbc", 9, 9, 6)
    waiting = Receipt.objects.filter(status__in=["unmatched", "partial"])
    assert sorted(r.amount for r in waiting) == [D("35.00"), D("3500.00"), D("5000.00"), D("8888.00")]

    statement = AccountStatement.objects.get()
    assert (statement.customer.name, statement.closing, statement.status) == (demo.PUJIANG, D("70375.00"), "disputed")
    assert StatementDispute.objects.get().amount == D("1356.00")
    assert Case.objects.filter(bill__customer__name=demo.CHENGUANG, status="open").exists()

    report = verify()
    assert report.ok, report.differences

    counts = bills.count(), Receipt.objects.count()
    assert demo.load()[0].endswith("（示范往来已存在，未重复创建）")
    assert (Bill.objects.filter(customer__name__in=demo.NAMES).count(), Receipt.objects.count()) == counts
