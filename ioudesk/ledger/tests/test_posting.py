"""post_entry and reverse_entry: what is posted, what is refused (with nothing written)."""

from datetime import date
from decimal import Decimal

import pytest

from ioudesk.core import clock
from ioudesk.core.errors import InvalidState, ValidationFailed
from ioudesk.core.models import AuditEvent
from ioudesk.ledger.chart import AccountCode as C
from ioudesk.ledger.models import Account, JournalEntry, Posting
from ioudesk.ledger.services import Line, account_add, account_update, post_entry, reverse_entry

D = Decimal


def test_a_balanced_entry_is_numbered_and_posted(disburse, business_date):
    entry = disburse("10000", iou_id=7)

    assert entry.number == "PZ20261128-0001"
    assert entry.day == date(2026, 11, 28)
    assert entry.kind == "disbursement" and entry.iou_id == 7
    postings = list(entry.postings.select_related("account").order_by("id"))
    assert [(p.account.code, p.debit, p.credit, p.component, p.iou_id, p.day) for p in postings] == [
        ("1301", D("10000.00"), D("0.00"), "principal", 7, date(2026, 11, 28)),
        ("100201", D("0.00"), D("10000.00"), "cash", 7, date(2026, 11, 28)),
    ]
    event = AuditEvent.objects.get(object_id=str(entry.pk), verb="记账")
    assert event.changes["amount"] == [None, "10000.00"]


def test_numbers_follow_the_entry_day(disburse, business_date):
    disburse(day=date(2026, 11, 1))
    second = disburse(day=date(2026, 11, 1))
    assert second.number == "PZ20261101-0002"


def _lines(*pairs):
    return [Line(code, debit=D(d), credit=D(c)) for code, d, c in pairs]


REFUSED = [
    ("unbalanced", _lines((C.LOANS, "100", "0"), (C.BANK_BASIC, "0", "99.99")), "借贷不平衡"),
    ("one line", _lines((C.LOANS, "100", "0")), "至少要有两条分录"),
    ("no lines", [], "至少要有两条分录"),
    ("negative", _lines((C.LOANS, "-100", "0"), (C.BANK_BASIC, "-100", "0")), "不能为负数"),
    ("both sides", _lines((C.LOANS, "100", "100"), (C.BANK_BASIC, "0", "0")), "必须填且只填一方"),
    ("neither side", _lines((C.LOANS, "0", "0"), (C.BANK_BASIC, "0", "0")), "必须填且只填一方"),
    ("three decimals", _lines((C.LOANS, "100.005", "0"), (C.BANK_BASIC, "0", "100.005")), "最多两位小数"),
    ("unknown account", _lines(("1399", "100", "0"), (C.BANK_BASIC, "0", "100")), "科目 1399 不存在"),
    ("summary account", _lines((C.LOANS, "100", "0"), (C.BANK, "0", "100")), "汇总科目"),
    ("memo against on-balance", _lines((C.MEMO_WRITTEN_OFF_PRINCIPAL, "100", "0"), (C.LOANS, "0", "100")),
     "表外科目的借贷必须自身平衡"),
    ("float", [Line(C.LOANS, debit=100.0), Line(C.BANK_BASIC, credit=D("100"))], "浮点数"),
]


@pytest.mark.parametrize(("lines", "message"), [(lines, msg) for _, lines, msg in REFUSED],
                         ids=[name for name, _, _ in REFUSED])
def test_bad_entries_are_refused_and_nothing_is_written(chart, business_date, lines, message):
    with pytest.raises(ValidationFailed) as refused:
        post_entry(kind="adjustment", lines=lines, idempotency_key="k")

    assert message in str(refused.value.message)
    assert not JournalEntry.objects.exists() and not Posting.objects.exists()
    assert not AuditEvent.objects.filter(verb="记账").exists()


def test_an_inactive_account_is_refused(chart, business_date):
    account_update(account=Account.objects.get(code=C.CASH), name="库存现金", is_active=False)

    with pytest.raises(ValidationFailed, match="1001 库存现金 已停用"):
        post_entry(kind="adjustment", lines=_lines((C.CASH, "5", "0"), (C.BANK_BASIC, "0", "5")))
    assert not JournalEntry.objects.exists()


def test_unknown_kind_and_reversal_without_original_are_refused(chart):
    with pytest.raises(ValidationFailed, match="未知的业务类型"):
        post_entry(kind="gift", lines=_lines((C.LOANS, "1", "0"), (C.BANK_BASIC, "0", "1")))
    with pytest.raises(ValidationFailed, match="冲正凭证必须指明"):
        post_entry(kind="reversal", lines=_lines((C.LOANS, "1", "0"), (C.BANK_BASIC, "0", "1")))
    assert not JournalEntry.objects.exists()


def test_the_same_idempotency_key_posts_once(disburse, business_date):
    first = disburse("500", key="repay-1")
    again = disburse("500", key="repay-1")

    assert again.pk == first.pk
    assert JournalEntry.objects.count() == 1 and Posting.objects.count() == 2


def test_the_same_key_with_a_different_request_is_refused(disburse, business_date):
    first = disburse("500", key="repay-1")

    with pytest.raises(InvalidState, match="同一幂等键对应不同的请求") as refused:
        disburse("501", key="repay-1")
    assert refused.value.code == "idempotency_conflict"
    assert first.number in str(refused.value.message)
    assert JournalEntry.objects.count() == 1


def test_a_retry_on_the_next_business_day_still_matches(disburse):
    with clock.frozen(date(2026, 11, 28)):
        first = disburse("500", key="k")
    with clock.frozen(date(2026, 11, 29)):
        assert disburse("500", key="k").pk == first.pk


def test_a_reversal_mirrors_the_original_and_points_to_it(disburse, business_date):
    original = disburse("10000", iou_id=3)

    with clock.frozen(date(2026, 11, 30)):
        reversal = reverse_entry(entry=original, reason="金额录错")

    assert reversal.kind == "reversal" and reversal.reverses == original and reversal.iou_id == 3
    assert reversal.day == date(2026, 11, 30)
    assert reversal.memo == f"冲正 {original.number}：金额录错"
    mirrored = [(p.account.code, p.debit, p.credit, p.component) for p in reversal.postings.order_by("id")]
    assert mirrored == [("1301", D("0.00"), D("10000.00"), "principal"), ("100201", D("10000.00"), D("0.00"), "cash")]
    assert AuditEvent.objects.filter(verb="冲正", object_id=str(reversal.pk), reason="金额录错").exists()


def test_reversing_twice_or_reversing_a_reversal_is_refused(disburse, business_date):
    original = disburse("100")
    reversal = reverse_entry(entry=original, reason="错账")

    with pytest.raises(InvalidState, match="该凭证已冲正"):
        reverse_entry(entry=original, reason="再冲一次")
    with pytest.raises(InvalidState, match="冲正凭证不能再冲正"):
        reverse_entry(entry=reversal, reason="冲正的冲正")
    with pytest.raises(ValidationFailed, match="请填写冲正原因"):
        reverse_entry(entry=original, reason=" ")
    assert JournalEntry.objects.count() == 2


def test_a_reversal_retried_with_its_key_returns_the_first(disburse, business_date):
    original = disburse("100")
    first = reverse_entry(entry=original, reason="错账", idempotency_key="rev-1")
    assert reverse_entry(entry=original, reason="错账", idempotency_key="rev-1").pk == first.pk


def test_a_reversal_is_allowed_after_the_account_was_deactivated(disburse, business_date):
    original = disburse("100")
    account_update(account=Account.objects.get(code=C.BANK_BASIC), name="基本户", is_active=False)
    assert reverse_entry(entry=original, reason="销户前冲回").postings.count() == 2


def test_a_bank_sub_account_can_be_added_and_posted_to(chart, business_date):
    account = account_add(code="100202", name="招商银行一般户", parent_code=C.BANK)

    assert (account.type, account.normal_side, account.parent.code) == ("asset", "debit", "1002")
    entry = post_entry(kind="adjustment", lines=_lines(("100202", "20", "0"), (C.BANK_BASIC, "0", "20")))
    assert entry.postings.get(account=account).component == "cash"  # the parent's tag
    with pytest.raises(ValidationFailed, match="须以上级科目代码 1002 开头"):
        account_add(code="200203", name="错", parent_code=C.BANK)
    with pytest.raises(ValidationFailed, match="已存在"):
        account_add(code="100202", name="重复", parent_code=C.BANK)
