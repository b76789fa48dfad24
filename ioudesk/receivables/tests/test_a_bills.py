"""Bills: validation, create, post (ledger entry and open items), credit notes, adjustments, void."""

from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.core.errors import InvalidState, PermissionDenied, ValidationFailed
from ioudesk.ledger.models import Posting
from ioudesk.receivables.bills import (
    bill_adjust,
    bill_create,
    bill_post,
    bill_validate,
    bill_void,
    credit_note_create,
)
from ioudesk.receivables.models import Bill, BillDue, BillStatus, DueStatus
from ioudesk.receivables.openitems import due_apply
from ioudesk.receivables.tests.a_book import goods, make_bill, verify_ok

pytestmark = pytest.mark.django_db


def _postings(entry):
    return sorted((p.account.code, p.debit, p.credit, p.doc_kind or "", p.doc_id) for p in
                  entry.postings.select_related("account"))


def _details(error):
    return {d["field"]: d["message"] for d in error.value.extra["details"]}


def test_bill_lines_vat_totals_and_posting(today, company, finance, terms):
    # 100 × ¥50.00 at 13 % = 5,000.00 + 650.00; 3 h × ¥333.333 at 6 % = 1,000.00 (999.999 → 1,000.00) + 60.00
    bill = bill_create(customer=company, user=finance, bill_date=date(2026, 11, 15), payment_terms=terms["月结30天"],
                       lines=[goods(), goods("安装调试服务", "3", "333.333", "6", kind="service", unit="小时")],
                       declared_total="6710.00", vat_invoice_number="12345678")
    assert bill.number.startswith("YS20261128-")
    assert (bill.net_amount, bill.tax_amount, bill.total) == (D("6000.00"), D("710.00"), D("6710.00"))
    assert bill.status == BillStatus.DRAFT and bill.nature == "mixed" and bill.terms_text == "月结30天"
    assert bill.manager == company.owner
    bill = bill_post(bill=bill, user=finance)
    assert bill.status == BillStatus.OPEN and bill.open_amount == D("6710.00")
    # 月结30天 from a bill of 15 November: 30 November + 30 days = 30 December
    dues = list(bill.dues.values_list("seq", "due_date", "amount", "open_amount"))
    assert dues == [(1, date(2026, 12, 30), D("6710.00"), D("6710.00"))]
    assert bill.due_first == bill.due_last == date(2026, 12, 30)
    assert bill.entry.day == date(2026, 11, 15) and bill.entry.kind == "bill"
    assert _postings(bill.entry) == sorted([
        ("1122", D("6710.00"), D("0.00"), "B", bill.pk), ("6001", D("0.00"), D("6000.00"), "", None),
        ("222101", D("0.00"), D("710.00"), "", None)])
    assert list(bill.events.values_list("kind", flat=True)) == ["created", "posted"]
    verify_ok()


def test_instalments_and_payable_bill(today, supplier, finance, terms):
    bill = bill_create(direction="payable", kind="purchase", customer=supplier, user=finance,
                       bill_date=date(2026, 11, 1), payment_terms=terms["分期 30%/70%（30天/60天）"],
                       lines=[goods("瓦楞纸箱", "1000", "2.35", "13"), goods("运输服务", "1", "300", "9", kind="service")],
                       vat_invoice_number="00112233445566778899")
    # 2,350.00 + 305.50 tax; 300.00 + 27.00 → 2,982.50
    assert bill.number.startswith("YF") and bill.total == D("2982.50") and bill.seller_key == str(supplier.pk)
    bill = bill_post(bill=bill, user=finance)
    # 30 % = 894.75 on 2026-12-01, the rest 2,087.75 on 2026-12-31
    assert list(bill.dues.values_list("due_date", "amount")) == [(date(2026, 12, 1), D("894.75")),
                                                                  (date(2026, 12, 31), D("2087.75"))]
    assert _postings(bill.entry) == sorted([
        ("1405", D("2350.00"), D("0.00"), "", None), ("6602", D("300.00"), D("0.00"), "", None),
        ("222102", D("332.50"), D("0.00"), "", None), ("2202", D("0.00"), D("2982.50"), "B", bill.pk)])
    verify_ok()


def test_bad_input_every_problem_named(today, company, finance, organisation):
    with pytest.raises(ValidationFailed) as error:
        bill_validate(customer=company, user=finance, bill_date=date(2026, 11, 29), declared_total="1000",
                      vat_invoice_number="1234567",
                      lines=[goods(quantity="0"), goods(tax_rate="17"), goods(unit_price="-1"), goods(description="")])
    details = _details(error)
    assert "单据日期 2026-11-29 晚于营业日 2026-11-28" in details["bill_date"]
    assert "应为8位" in details["vat_invoice_number"]
    assert "第 1 行：数量必须大于0" in details["lines-0-quantity"]
    assert "第 2 行：税率 17% 不在允许的税率中，可选 13%、9%、6%、3%、1%、0%" in details["lines-1-tax_rate"]
    assert "第 3 行：单价不能为负数" in details["lines-2-unit_price"]
    assert "第 4 行：请填写货物或服务名称" in details["lines-3-description"]


def test_declared_total_must_match_lines(today, company, finance, organisation):
    with pytest.raises(ValidationFailed) as error:
        bill_create(customer=company, user=finance, bill_date=today, lines=[goods()], declared_total="5600")
    assert _details(error) == {"declared_total": "明细价税合计 ¥5,650.00 与填写的价税合计 ¥5,600.00 不符（相差 ¥50.00），"
                                                 "请核对各行数量、单价和税率"}


def test_duplicate_vat_invoice_for_same_seller(today, company, supplier, finance, organisation, manager):
    make_bill(customer=company, user=finance, vat_invoice_number="44556677")
    with pytest.raises(ValidationFailed) as error:
        make_bill(customer=supplier, user=finance, vat_invoice_number="44556677")  # we issued both: same seller
    assert "发票号码 44556677 已用于单据 YS20261128-0001" in _details(error)["vat_invoice_number"]
    # a supplier's invoice of the same number is another seller's: fine; twice from that supplier: refused
    payable = dict(direction="payable", kind="purchase", customer=supplier, user=finance, vat_invoice_number="44556677")
    make_bill(**payable)
    with pytest.raises(ValidationFailed, match="该供应商开具的"):
        make_bill(**payable)


def test_customer_out_of_scope(today, company, make_staff, make_branch):
    other = make_branch("SZ", "深圳分公司")
    clerk = make_staff("yangli", role="财务", branch=other)
    with pytest.raises(ValidationFailed, match="只能为本网点"):
        make_bill(customer=company, user=clerk)


def test_credit_note_takes_latest_items_first(today, company, finance, terms):
    bill = make_bill(customer=company, user=finance, payment_terms=terms["分期 30%/70%（30天/60天）"])
    # 5,650.00: 1,695.00 due 2026-12-28, 3,955.00 due 2027-01-27; return goods worth ¥4,520.00 (4,000 + 520 tax)
    note = credit_note_create(original=bill, lines=[goods(quantity="80")], reason="退货 80 个", user=finance)
    assert note.number.startswith("HZ") and note.total == D("4520.00") and note.status == BillStatus.PAID
    assert note.open_amount == 0 and note.original == bill
    assert _postings(note.entry) == sorted([("6001", D("4000.00"), D("0.00"), "", None),
                                            ("222101", D("520.00"), D("0.00"), "", None),
                                            ("1122", D("0.00"), D("4520.00"), "B", bill.pk)])
    bill.refresh_from_db()
    assert (bill.credited, bill.open_amount) == (D("4520.00"), D("1130.00"))
    assert list(bill.dues.values_list("open_amount", "credited")) == [(D("1130.00"), D("565.00")),
                                                                       (D("0.00"), D("3955.00"))]
    with pytest.raises(ValidationFailed, match="超过单据"):
        credit_note_create(original=bill, amount="1130.01", reason="折让", user=finance)
    # by amount: ¥113.00 splits 100.00 + 13.00 by the bill's tax share (650 / 5,650)
    note = credit_note_create(original=bill, amount="113.00", reason="折让", user=finance)
    assert (note.net_amount, note.tax_amount) == (D("100.00"), D("13.00"))
    verify_ok()


def test_adjustments(today, company, finance, terms):
    bill = make_bill(customer=company, user=finance, payment_terms=terms["票到30天"])
    down = bill_adjust(bill=bill, amount="-50.00", reason="尾差让利", user=finance)
    bill.refresh_from_db()
    assert bill.open_amount == D("5600.00") and down.total == D("-50.00") and down.open_amount == 0
    assert _postings(down.entry) == sorted([("6001", D("50.00"), D("0.00"), "", None),
                                            ("1122", D("0.00"), D("50.00"), "B", bill.pk)])
    up = bill_adjust(bill=bill, amount="200", reason="补收运费", user=finance)
    assert up.status == BillStatus.OPEN and up.open_amount == D("200.00")
    assert list(up.dues.values_list("due_date", "amount")) == [(date(2026, 12, 28), D("200.00"))]
    assert _postings(up.entry) == sorted([("1122", D("200.00"), D("0.00"), "B", up.pk),
                                          ("6001", D("0.00"), D("200.00"), "", None)])
    verify_ok()


def test_void_draft_and_posted(today, company, finance):
    draft = make_bill(customer=company, user=finance, post=False, vat_invoice_number="11112222")
    bill_void(bill=draft, reason="录错", user=finance)
    assert Bill.objects.get(pk=draft.pk).status == BillStatus.VOID
    make_bill(customer=company, user=finance, vat_invoice_number="11112222")  # the number is free again
    posted = make_bill(customer=company, user=finance)
    posted = bill_void(bill=posted, reason="客户取消订单", user=finance)
    assert posted.status == BillStatus.VOID and posted.open_amount == 0
    assert set(BillDue.objects.filter(bill=posted).values_list("status", flat=True)) == {DueStatus.VOID}
    verify_ok()
    matched = make_bill(customer=company, user=finance)
    due_apply(matched.dues.get(), paid=D("100"), day=today)
    with pytest.raises(InvalidState, match="不能作废"):
        bill_void(bill=matched, reason="x", user=finance)


def test_posting_twice_refused_and_permissions(today, company, finance, manager, make_staff):
    bill = make_bill(customer=company, user=finance)
    with pytest.raises(InvalidState):
        bill_post(bill=bill, user=finance)
    collector = make_staff("zhaolei", role="催收员")
    with pytest.raises(PermissionDenied):
        make_bill(customer=company, user=collector)
    with pytest.raises(PermissionDenied):
        credit_note_create(original=bill, amount="1", reason="x", user=manager)  # finance's
    assert Posting.objects.filter(doc_kind="B", doc_id=bill.pk).count() == 1
