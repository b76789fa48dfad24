"""The IOU back office: the list (filters, scope), the create pages, the IOU page and its actions,
each action through its form and one service call.

Given ¥10,000 lent on 2026-10-03 at 12 % over 12 months (¥888.49 a month), on the business date
2026-11-28 the first installment (due 2026-11-03) is 25 days overdue and the second falls due on
2026-12-03, within the week.
"""

import re
from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse

from ioudesk.core import clock
from ioudesk.customers.models import Customer
from ioudesk.customers.selectors import OVERVIEW_SECTIONS
from ioudesk.customers.services import customer_create
from ioudesk.ious.models import Iou, Transaction
from ioudesk.ious.selectors import customer_ious_section
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ledger.models import JournalEntry
from ioudesk.products.models import Product
from ioudesk.products.services import product_save

LIST = reverse("admin:ious_iou_changelist")
CREATE = reverse("backoffice:iou_create")


# --- fixtures (staff come from the root conftest; the debtor here lives in 北京分部) ----------


@pytest.fixture
def branch_bj(make_branch):
    return make_branch("BJ", "北京分部")


@pytest.fixture
def debtor(branch_bj, manager):
    return customer_create(customer=Customer(kind="individual", branch=branch_bj, name="王建国",
                                             id_number="11010519491231002X", phone="13901012345"), user=manager)


@pytest.fixture
def consumer_loan(organisation):
    return product_save(product=Product(code="XFD", name="消费贷", rate_text="12%", method="equal_installment",
                                        min_amount=1000, max_amount=500000, min_term=3, max_term=36))


def make_loan(debtor, manager, approver, finance, *, day, principal="10000", disburse=True):
    with clock.frozen(day):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D(principal), term=12, rate_text="12%",
                                    method="equal_installment", contract_date=day), user=manager)
        if disburse:
            iou_submit(iou=iou, user=manager)
            iou_approve(iou=iou, user=approver, comment="同意")
            iou_disburse(iou=iou, user=finance)
    iou.refresh_from_db()
    return iou


@pytest.fixture
def loan(debtor, manager, approver, finance):
    return make_loan(debtor, manager, approver, finance, day=date(2026, 10, 3))


def detail(iou):
    return reverse("backoffice:iou_detail", args=[iou.pk])


def action(iou, name):
    return reverse("backoffice:iou_action", args=[iou.pk, name])


def idempotency_key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


# --- the list ---------------------------------------------------------------------------------


def test_list_filters_by_status_and_due_this_week(client, loan, debtor, manager, approver, finance, business_date):
    later = make_loan(debtor, manager, approver, finance, day=date(2026, 11, 20))  # first due 2026-12-20
    draft = make_loan(debtor, manager, approver, finance, day=date(2026, 11, 27), disburse=False)
    client.force_login(manager)

    everything = client.get(LIST).content.decode()
    drafts = client.get(LIST, {"status__exact": "draft"}).content.decode()
    this_week = client.get(LIST, {"due": "week"}).content.decode()
    by_name = client.get(LIST, {"q": "wangjianguo"}).content.decode()

    assert all(i.number in everything for i in (loan, later, draft))
    assert draft.number in drafts and loan.number not in drafts
    assert loan.number in this_week and later.number not in this_week and draft.number not in this_week
    assert loan.number in by_name
    assert detail(loan) in everything  # the row opens the IOU page
    assert reverse("backoffice:customer_overview", args=[debtor.pk]) in everything
    assert "2026-11-03" in everything  # next due date: the overdue installment


def test_an_iou_of_another_branch_does_not_exist_for_a_manager_elsewhere(client, loan, make_branch, make_staff,
                                                                           business_date):
    shanghai = make_branch("SH", "上海分部")
    client.force_login(make_staff("lina", role="客户经理", branch=shanghai))

    assert client.get(detail(loan)).status_code == 404
    assert client.get(action(loan, "repay")).status_code in (403, 404)
    assert loan.number not in client.get(LIST).content.decode()


def test_the_admin_change_and_add_views_lead_to_the_own_pages(client, loan, manager, business_date):
    client.force_login(manager)

    change = client.get(reverse("admin:ious_iou_change", args=[loan.pk]))
    add = client.get(reverse("admin:ious_iou_add"))

    assert change.status_code == 302 and change.url == detail(loan)
    assert add.status_code == 302 and add.url == CREATE


# --- create -----------------------------------------------------------------------------------


def test_create_a_loan_from_a_product(client, debtor, manager, consumer_loan, business_date):
    client.force_login(manager)
    page = client.get(CREATE, {"customer": debtor.pk}).content.decode()
    assert "王建国" in page and "消费贷" in page

    response = client.post(f"{CREATE}?kind=product", {
        "customer": debtor.pk, "product": consumer_loan.pk, "principal": "20,000", "term": "12",
        "contract_date": "2026-11-28", "guarantor": "李四", "witness": "", "notes": ""})

    iou = Iou.objects.get()
    assert response.status_code == 302 and response.url == detail(iou)
    assert (iou.product, iou.principal, iou.term, iou.rate_text, iou.status) == (
        consumer_loan, D("20000.00"), 12, "12%", "draft")
    assert iou.guarantor == "李四" and iou.officer == manager


def test_create_a_debt_iou_with_payment_terms(client, debtor, manager, business_date):
    client.force_login(manager)

    response = client.post(f"{CREATE}?kind=debt", {
        "customer": debtor.pk, "debt_reason": "goods", "reason": "11月钢材货款", "principal": "36800",
        "contract_date": "2026-11-28", "payment_terms": "net_30", "rate_text": "0%", "creditor": ""})

    iou = Iou.objects.get()
    assert response.status_code == 302
    assert (iou.kind, iou.debt_reason, iou.payment_terms, iou.due_date, iou.annual_rate) == (
        "debt", "goods", "net_30", date(2026, 12, 28), 0)
    page = client.get(detail(iou)).content.decode()
    assert "月结30天" in page and "2026-12-28" in page and "11月钢材货款" in page


def test_a_rate_above_the_legal_cap_is_warned_about_on_the_iou_page(client, debtor, manager, business_date):
    client.force_login(manager)

    response = client.post(f"{CREATE}?kind=plain", {
        "customer": debtor.pk, "principal": "50000", "rate_text": "月息2分", "method": "bullet",
        "frequency": "monthly", "term": "6", "day_count": "30/360", "contract_date": "2026-11-28"}, follow=True)

    iou = Iou.objects.get()
    page = response.content.decode()
    assert iou.cap_within is False and iou.cap_unprotected_interest > 0
    assert 'data-testid="cap-warning"' in page and "利率超过民间借贷保护上限" in page
    assert "利率上限提示" in page and "12.00%" in page  # the flash message and the protected rate


def test_create_errors_are_shown_in_the_form(client, debtor, manager, consumer_loan, business_date):
    client.force_login(manager)

    response = client.post(f"{CREATE}?kind=product", {
        "customer": debtor.pk, "product": consumer_loan.pk, "principal": "500", "term": "12",
        "contract_date": "2026-11-28"})

    assert response.status_code == 200 and "超出产品" in response.content.decode()
    assert not Iou.objects.exists()


# --- the IOU page -----------------------------------------------------------------------------


def test_the_iou_page_shows_schedule_postings_and_the_actions_the_status_allows(client, loan, finance,
                                                                              business_date):
    client.force_login(finance)

    page = client.get(detail(loan)).content.decode()

    assert page.count('data-testid="installment"') == 12
    assert 'data-state="overdue"' in page and 'data-state="future"' in page
    assert "888.49" in page and "¥10,000.00" in page
    assert 'data-code="1301"' in page and 'data-code="100201"' in page  # the disbursement's postings
    bar = page.split('data-testid="iou-actions"')[1].split("</div>")[0]
    for offered in ("repay", "settle", "waive", "extend", "write_off"):
        assert action(loan, offered) in bar
    for refused in ("submit", "approve", "reject", "cancel", "disburse", "recover", "refund"):
        assert action(loan, refused) not in bar


def test_a_draft_offers_submit_and_cancel_to_its_maker_and_approval_to_the_approver(
        client, debtor, manager, approver, finance, business_date):
    draft = make_loan(debtor, manager, approver, finance, day=date(2026, 11, 27), disburse=False)
    client.force_login(manager)
    page = client.get(detail(draft)).content.decode()
    assert action(draft, "submit") in page and action(draft, "cancel") in page
    assert action(draft, "repay") not in page

    response = client.post(action(draft, "submit"), {})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "pending_approval"

    client.force_login(approver)
    page = client.get(detail(draft)).content.decode()
    assert action(draft, "approve") in page and action(draft, "reject") in page

    client.post(action(draft, "approve"), {"comment": "资料齐全"})
    draft.refresh_from_db()
    assert draft.status == "approved" and draft.approvals.get().comment == "资料齐全"


def test_a_repayment_through_the_form_posts_once_for_one_idempotency_key(client, loan, finance, business_date):
    client.force_login(finance)
    form = client.get(action(loan, "repay")).content.decode()
    key = idempotency_key(form)
    data = {"amount": "900.00", "day": "2026-11-28", "method": "wechat", "reference": "WX123", "payer": "王建国",
            "idempotency_key": key}

    first = client.post(action(loan, "repay"), data)
    second = client.post(action(loan, "repay"), data)  # the double click

    assert first.status_code == second.status_code == 302 and first.url == detail(loan)
    payment = Transaction.objects.get(iou=loan, kind="repayment")
    assert payment.idempotency_key == key and payment.amount == D("900.00") and payment.method == "wechat"
    # 888.49 of the first installment and its penalty, 10,000 × 18 % × 25 / 360 on 788.49 = 9.86
    loan.refresh_from_db()
    assert loan.principal_outstanding == D("9211.51")
    page = client.get(detail(loan)).content.decode()
    assert "WX123" in page and "已登记还款 ¥900.00" in page
    assert idempotency_key(client.get(action(loan, "repay")).content.decode()) != key  # a new form, a new key


def test_a_negative_amount_is_refused_in_the_form_and_nothing_is_posted(client, loan, finance, business_date):
    client.force_login(finance)
    entries = JournalEntry.objects.count()
    key = idempotency_key(client.get(action(loan, "repay")).content.decode())

    response = client.post(action(loan, "repay"), {"amount": "-5", "day": "2026-11-28", "method": "cash",
                                                   "idempotency_key": key})

    page = response.content.decode()
    assert response.status_code == 200 and "还款金额必须大于0" in page
    assert f'value="{key}"' in page  # the same request may be sent again once corrected
    assert JournalEntry.objects.count() == entries
    assert not Transaction.objects.filter(kind="repayment").exists()


def test_a_reversal_through_the_form(client, loan, finance, business_date):
    client.force_login(finance)
    client.post(action(loan, "repay"), {"amount": "900", "day": "2026-11-28", "method": "bank_transfer",
                                        "idempotency_key": "test-r1"})
    payment = Transaction.objects.get(kind="repayment")
    page = client.get(detail(loan)).content.decode()
    url = f"{action(loan, 'reverse')}?transaction={payment.pk}"
    assert url in page

    form = client.get(url).content.decode()
    assert "900.00" in form
    empty = client.post(url, {"reason": "", "idempotency_key": idempotency_key(form)})
    assert "请填写冲正原因" in empty.content.decode()
    response = client.post(url, {"reason": "银行退票", "idempotency_key": idempotency_key(form)})

    assert response.status_code == 302
    reversal = Transaction.objects.get(kind="reversal")
    assert reversal.reverses == payment and reversal.reason == "银行退票"
    loan.refresh_from_db()
    assert loan.principal_outstanding == D("10000.00")
    page = client.get(detail(loan)).content.decode()
    assert 'data-testid="reversed-mark"' in page and url not in page


def test_an_action_the_status_does_not_allow_is_not_offered(client, loan, manager, business_date):
    client.force_login(manager)

    response = client.get(action(loan, "submit"))

    assert response.status_code == 302 and response.url == detail(loan)


# --- the customer 360 page --------------------------------------------------------------------


def test_the_customer_page_lists_the_ious_with_what_is_owed(client, loan, debtor, manager, business_date,
                                                              monkeypatch):
    monkeypatch.setattr("ioudesk.customers.selectors.OVERVIEW_SECTIONS", [*OVERVIEW_SECTIONS, customer_ious_section])
    with clock.frozen(date(2026, 11, 28)):
        section = customer_ious_section(debtor)
    loan.refresh_from_db()
    assert section["owed"] == loan.total_outstanding and section["overdue"] == 0  # not yet brought up to date
    client.force_login(manager)

    page = client.get(reverse("backoffice:customer_overview", args=[debtor.pk])).content.decode()

    assert loan.number in page and detail(loan) in page and 'data-testid="customer-iou"' in page


def test_tranche_through_the_page(client, organisation, head_office, make_staff):
    from datetime import date
    from decimal import Decimal

    from ioudesk.core import clock
    from ioudesk.customers.models import Customer
    from ioudesk.customers.services import customer_create
    from ioudesk.ious.models import Iou
    from ioudesk.ious.services import iou_approve, iou_create, iou_submit

    manager, approver = make_staff("m1", role="客户经理"), make_staff("a1", role="审批员")
    finance = make_staff("f1", role="财务")
    debtor = customer_create(customer=Customer(kind="individual", branch=head_office, name="赵六"), user=manager)
    with clock.frozen(date(2026, 3, 1)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=Decimal("50000"), term=6,
                                    rate_text="12%", method="interest_only", contract_date=date(2026, 3, 1)),
                            user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        client.force_login(finance)
        url = f"/admin/ious/{iou.pk}/actions/"
        client.post(url + "disburse/", {"day": "2026-03-01", "amount": "20000", "funding_account": "100201",
                                        "reference": "", "idempotency_key": "web-a"})
        page = client.get(f"/admin/ious/{iou.pk}/").content.decode()
        assert "追加放款" in page
        client.post(url + "tranche/", {"amount": "30000", "funding_account": "100201", "reference": "",
                                       "idempotency_key": "web-b"})
    iou.refresh_from_db()
    assert iou.principal_outstanding == Decimal("50000.00")


def test_scanned_paper_iou_is_kept_with_the_iou(client, organisation, head_office, make_staff, settings, tmp_path):
    import io
    from datetime import date
    from decimal import Decimal

    from PIL import Image

    from ioudesk.core import clock
    from ioudesk.customers.models import Customer
    from ioudesk.customers.services import customer_create
    from ioudesk.ious.models import Iou
    from ioudesk.ious.services import iou_create

    settings.IOUDESK_PRIVATE_DIR = str(tmp_path / "private")
    manager = make_staff("m2", role="客户经理")
    debtor = customer_create(customer=Customer(kind="individual", branch=head_office, name="钱七"), user=manager)
    with clock.frozen(date(2026, 3, 1)):
        iou, _ = iou_create(iou=Iou(kind="debt", customer=debtor, principal=Decimal("8000"), rate_text="0%",
                                    due_date=date(2026, 4, 1), contract_date=date(2026, 3, 1)), user=manager)
    client.force_login(manager)
    buffer = io.BytesIO()
    Image.new("RGB", (30, 30)).save(buffer, format="JPEG")
    buffer.name = "欠条原件.jpg"
    buffer.seek(0)

    response = client.post(f"/admin/customers/{debtor.pk}/files/upload/?iou={iou.pk}",
                           {"kind": "iou", "note": "", "file": buffer})

    assert response.status_code == 302 and response["Location"] == f"/admin/ious/{iou.pk}/"
    assert list(iou.paper_files.values_list("original_name", flat=True)) == ["欠条原件.jpg"]
    assert "欠条原件.jpg" in client.get(f"/admin/ious/{iou.pk}/").content.decode()


def test_penalty_above_the_art_29_cap_is_shown_with_the_balances(client, loan, finance, business_date):
    """Installment 1 (principal 788.49) due 2026-11-03, 25 days late on 2026-11-28: penalty
    788.49 × 18 % × 25 / 360 = 9.86, of which 788.49 × 12 % × 25 / 365 = 6.48 is protected."""
    from ioudesk.ious.services.accrual import iou_close_day

    iou_close_day(iou=loan)
    client.force_login(finance)
    page = client.get(detail(loan)).content.decode()

    balances = page.split('data-testid="iou-balances"')[1]
    assert "¥9.86" in balances
    assert 'data-testid="cap-penalty"' in balances and "累计计收罚息中 ¥3.38 超出法定上限，不受保护" in balances
