"""The 借条 prints what the debtor signed, an extension has its 展期协议 (issue 9, defect 7), and the
documents meant for signing carry the full identifiers only as an audited reveal (defect 12).

The worked example: the ``loan`` fixture (¥10,000 at 12 % a year, 12 equal monthly installments of
¥888.49 from 2026-01-15). Installment 1 is paid on 2026-02-15 (¥788.49 principal + ¥100.00
interest), leaving ¥9,211.51 of principal, nothing overdue. The same day it is extended to 6
months at 月息8厘 (0.8 % a month, 9.60 % a year): A = 9,211.51 × 0.008 / (1 − 1.008⁻⁶) = ¥1,578.52;
interest of month 1 = 9,211.51 × 0.008 = ¥73.69, principal 1,504.83; the last installment settles
the balance: 1,566.02 + 12.53 = ¥1,578.55; interest in all ¥259.64, total ¥9,471.15. Then the IOU
is settled early on 2026-03-10, which leaves a one-installment schedule as the current one.
"""

import re
from datetime import date

import pytest
from django.urls import reverse

from ioudesk.core import audit, clock
from ioudesk.core.errors import InvalidState
from ioudesk.customers.models import Customer
from ioudesk.customers.services import customer_create
from ioudesk.documents import services
from ioudesk.documents.tests.conftest import make_loan
from ioudesk.ious.models import ScheduleKind, ScheduleVersion, Status
from ioudesk.ious.services.restructure import iou_extend
from ioudesk.ious.services.settlement import iou_settle_early, iou_settlement_quote


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def extended_and_settled(loan, repayment, finance):
    with clock.frozen(date(2026, 2, 15)):
        version = iou_extend(iou=loan, term=6, rate_text="月息8厘", user=finance, reason="经营资金周转困难")
    with clock.frozen(date(2026, 3, 10)):
        quote = iou_settlement_quote(iou=loan, user=finance)
        iou_settle_early(iou=loan, amount=str(quote.total), user=finance)
    loan.refresh_from_db()
    assert loan.status == Status.SETTLED and loan.term == 6
    assert version.kind == ScheduleKind.EXTENSION and version.term == 6 and version.rate_text == "月息8厘"
    return loan, version


def test_iou_prints_the_signed_terms_after_an_extension_and_an_early_settlement(extended_and_settled, finance,
                                                                                pdf_text):
    loan, _version = extended_and_settled
    with clock.frozen(date(2026, 3, 10)):
        text = squeeze(pdf_text(services.iou_document_pdf(iou=loan, user=finance)))

    assert "借款期限：自二〇二六年一月十五日起至二〇二七年一月十五日止，共12期" in text
    assert "借款利率：年利率12.00%" in text and "按年利率18.00%（合同利率上浮50%）计收罚息" in text
    assert "附：还款计划表（共12期）" in text
    assert "第1期2026-02-15¥788.49¥100.00¥888.49" in text
    assert text.count("¥888.49") >= 11 and "合计¥10,000.00" in text
    # nothing of the extension or of the settlement's one-installment plan
    assert "共6期" not in text and "共1期" not in text and "9.60%" not in text and "1,578.52" not in text


def test_extension_agreement_prints_the_new_terms(extended_and_settled, finance, manager, pdf_text):
    loan, version = extended_and_settled
    with clock.frozen(date(2026, 3, 10)):
        text = squeeze(pdf_text(services.extension_agreement_pdf(version=version, user=manager)))

    assert "展期协议" in text and f"{loan.number}-ZQ01" in text
    assert "出借人：" in text and "借款人：王建国，身份证号：11010519491231002X，联系电话：13901012345" in text
    assert f"借款人于二〇二六年一月十五日向出借人出具借据（编号：{loan.number}）" in text
    assert "约定借款本金人民币（大写）壹万元整（¥10,000.00），期限自二〇二六年一月十五日起至二〇二七年一月十五日止，共12期" in text
    assert "因经营资金周转困难申请展期（第1次）" in text
    assert "截至二〇二六年二月十五日，借款人尚欠借款本金人民币（大写）玖仟贰佰壹拾壹元伍角壹分（¥9,211.51）" in text
    assert "展期前欠款" not in text  # installment 1 was paid: nothing overdue is carried
    assert "展期后的期限为自二〇二六年二月十五日起至二〇二六年八月十五日止，共6期" in text
    assert "最后到期日由二〇二七年一月十五日变更为二〇二六年八月十五日" in text
    assert "展期后的利率：月息8厘（折合年利率9.60%）（原利率：年利率12.00%）" in text
    assert "按年利率14.40%（合同利率上浮50%）计收罚息" in text  # penalty on the new rate
    assert "担保人李明同意对展期后的债务继续承担连带保证责任" in text
    assert "附：展期后还款计划表（共6期）" in text
    assert "第1期2026-03-15¥1,504.83¥73.69¥1,578.52" in text
    assert "第6期2026-08-15¥1,566.02¥12.53¥1,578.55" in text
    assert "合计¥9,211.51¥259.64¥9,471.15" in text
    assert "借款人（签字并按手印）" in text and "担保人（签字并按手印）" in text and "出借人经办人（签字）" in text
    event = audit.events_for(loan).filter(action="download", verb="生成展期协议PDF").get()
    assert event.changes["document"] == [None, f"{loan.number}-ZQ01"] and event.changes["id_number"] == [None, "完整"]


def test_extension_carries_what_is_already_due(loan, finance, manager, pdf_text):
    """Extended on 2026-03-01 with installment 1 (due 2026-02-15) unpaid: its ¥888.49 and the
    penalty on it are carried into 展期前欠款, due on the day; the principal outstanding is the
    whole ¥10,000.00, of which ¥9,211.51 is scheduled again."""
    with clock.frozen(date(2026, 3, 1)):
        version = iou_extend(iou=loan, term=3, user=finance, reason="延期")
        text = squeeze(pdf_text(services.extension_agreement_pdf(version=version, user=manager)))
    carried = version.installments.get(number=0)
    owed = carried.principal_due + carried.interest_due + carried.fee_due + carried.penalty_charged
    assert carried.principal_due + sum(r.principal_due for r in version.installments.exclude(number=0)) == 10000
    assert "尚欠借款本金人民币（大写）壹万元整（¥10,000.00）" in text
    assert f"其中已到期未还的本金、利息、费用及罚息合计¥{owed:,.2f}列为展期前欠款" in text
    assert "展期前欠款2026-03-01¥788.49¥100.00" in text and "罚息" in text
    assert "（原利率" not in text  # same rate


def test_no_agreement_for_a_version_that_is_not_an_extension(extended_and_settled, finance):
    loan, _version = extended_and_settled
    settlement = ScheduleVersion.objects.get(iou=loan, kind=ScheduleKind.SETTLEMENT)
    with pytest.raises(InvalidState, match="不是展期产生的"):
        services.extension_agreement_pdf(version=settlement, user=finance)


def test_iou_page_links_the_agreement(client, extended_and_settled, manager, make_branch, make_staff, pdf_font):
    loan, version = extended_and_settled
    client.force_login(manager)
    url = reverse("backoffice:extension_pdf", args=[version.pk])
    page = client.get(reverse("backoffice:iou_detail", args=[loan.pk])).content.decode()
    assert url in page and "展期协议（第1次）PDF" in page
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f"filename*=UTF-8''{loan.number}-ZQ01-%E5%B1%95%E6%9C%9F%E5%8D%8F%E8%AE%AE.pdf" in response["Content-Disposition"]
    settlement = ScheduleVersion.objects.get(iou=loan, kind=ScheduleKind.SETTLEMENT)
    assert client.get(reverse("backoffice:extension_pdf", args=[settlement.pk])).status_code == 409
    client.force_login(make_staff("wangfang", role="客户经理", branch=make_branch("SH", "上海分公司")))
    assert client.get(url).status_code == 404


def test_an_iou_without_extension_links_no_agreement(client, loan, manager):
    client.force_login(manager)
    page = client.get(reverse("backoffice:iou_detail", args=[loan.pk])).content.decode()
    assert "展期协议" not in page


# --- personal data on documents for signing (defect 12) ------------------------------------------

def reveals(customer):
    return audit.events_for(customer).filter(action="view_sensitive")


def test_full_identifiers_are_an_audited_reveal(loan, manager, pdf_text):
    text = squeeze(pdf_text(services.iou_document_pdf(iou=loan, user=manager)))

    assert "身份证号：11010519491231002X，联系电话：13901012345" in text
    assert "脱敏件" not in text
    events = list(reveals(loan.customer).order_by("pk"))
    assert [e.verb for e in events] == ["查看完整身份证号", "查看完整手机号"]
    assert all(e.reason == f"打印借条 {loan.number}" for e in events)


def test_without_the_permission_the_copy_is_masked_and_marked(loan, finance, pdf_text):
    text = squeeze(pdf_text(services.iou_document_pdf(iou=loan, user=finance)))

    assert "身份证号：110105********002X，联系电话：139****2345" in text
    assert "11010519491231002X" not in text and "13901012345" not in text
    assert "脱敏件：您没有查看完整个人信息的权限" in text and "不能用于签署或交付当事人" in text
    assert not reveals(loan.customer).exists()
    assert audit.events_for(loan).filter(action="download").get().changes["id_number"] == [None, "脱敏"]


@pytest.fixture
def company_loan(head_office, manager, approver, finance):
    company = customer_create(customer=Customer(kind="company", branch=head_office, name="示例商贸有限公司",
                                                credit_code="91110000600037341L", phone="13801018888"), user=manager)
    return make_loan(company, manager, approver, finance, term=3)


def test_a_company_follows_the_same_rule(company_loan, manager, finance, pdf_text):
    masked = squeeze(pdf_text(services.iou_document_pdf(iou=company_loan, user=finance)))
    # the credit code is public, not personal data: printed in full; the phone is masked, and marked
    assert "统一社会信用代码：91110000600037341L，联系电话：138****8888" in masked and "脱敏件" in masked
    assert not reveals(company_loan.customer).exists()

    full = squeeze(pdf_text(services.iou_document_pdf(iou=company_loan, user=manager)))
    assert "统一社会信用代码：91110000600037341L，联系电话：13801018888" in full and "脱敏件" not in full
    assert [e.verb for e in reveals(company_loan.customer)] == ["查看完整手机号"]


def test_masked_extension_agreement_for_a_user_without_the_permission(extended_and_settled, finance, pdf_text):
    loan, version = extended_and_settled
    text = squeeze(pdf_text(services.extension_agreement_pdf(version=version, user=finance)))
    assert "身份证号：110105********002X" in text and "脱敏件：" in text
    assert not reveals(loan.customer).exists()
