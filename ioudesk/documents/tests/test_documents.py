"""Documents printed from real IOUs, read back with poppler: the Chinese words, the amounts in words
and figures, the parties and numbers are there, and the font is embedded."""

import re
from datetime import date

import pytest
from django.urls import reverse

from ioudesk.core import audit, clock
from ioudesk.core.errors import InvalidState, NotFound, PermissionDenied
from ioudesk.documents import services
from ioudesk.documents.context import iou_data
from ioudesk.ious.models import Transaction, TransactionKind
from ioudesk.ious.services.corrections import transaction_reverse


def squeeze(text: str) -> str:
    """pdftotext's text without white space, so wrapped lines and table padding do not matter."""
    return re.sub(r"\s+", "", text)


def test_loan_iou_with_schedule(loan, finance, pdf_text, pdf_fonts):
    with clock.frozen(date(2026, 1, 15)):
        content = services.iou_document_pdf(iou=loan, user=finance)

    assert content.startswith(b"%PDF") and len(content) < 200_000
    text = squeeze(pdf_text(content))
    assert "借条" in text and "示范机构" in text and "欠条管家" in text
    assert "人民币（大写）壹万元整（¥10,000.00）" in text
    assert "王建国" in text and loan.number in text and "用于购买生产设备" in text
    assert "借款期限：自二〇二六年一月十五日起至二〇二七年一月十五日止，共12期" in text
    assert "年利率12.00%" in text and "按年利率18.00%（合同利率上浮50%）计收罚息" in text
    assert "担保人李明自愿" in text and "见证人（签字）" in text and "借款人（签字并按手印）" in text
    # the repayment schedule: 12 rows of ¥888.49, the first 2026-02-15 with interest ¥100.00
    assert "附：还款计划表（共12期）" in text
    assert "第1期2026-02-15¥788.49¥100.00¥888.49" in text
    assert text.count("¥888.49") >= 11 and "合计¥10,000.00" in text
    # 财务 may not see personal data in full: masked even on the IOU
    assert "110105********002X" in text and "11010519491231002X" not in text
    assert all(embedded == "yes" for _name, embedded in pdf_fonts(content))
    assert pdf_fonts(content)
    event = audit.events_for(loan).filter(action="download").get()
    assert event.verb == "生成借条PDF" and event.changes["id_number"] == [None, "脱敏"]


def test_full_id_number_on_the_iou_for_a_user_allowed_to_see_it(loan, manager, pdf_text):
    content = services.iou_document_pdf(iou=loan, user=manager)  # 客户经理 has customers.* (sensitive included)

    text = squeeze(pdf_text(content))
    assert "身份证号：11010519491231002X" in text and "联系电话：13901012345" in text
    assert audit.events_for(loan).filter(action="download").get().changes["id_number"] == [None, "完整"]


def test_debt_iou_for_goods(goods_debt, finance, pdf_text):
    content = services.iou_document_pdf(iou=goods_debt, user=finance)

    text = squeeze(pdf_text(content))
    assert "欠条" in text and "借条" not in text.replace("借条/欠条", "")
    assert "货款人民币（大写）伍万捌仟元整（¥58,000.00），系2026年11月钢材货款" in text
    assert "于二〇二六年十二月二十八日前一次性付清上述欠款（账期：月结30天）" in text
    assert "参照当时一年期贷款市场报价利率（LPR）标准主张逾期利息" in text  # no agreed rate
    assert "债务人（签字并按手印）" in text and goods_debt.number in text
    assert "第1期2026-12-28¥58,000.00¥0.00¥58,000.00" in text


def test_draft_iou_is_marked_as_a_sample(debtor, manager, pdf_text):
    from decimal import Decimal as D

    from ioudesk.ious.models import Iou
    from ioudesk.ious.services import iou_create

    with clock.frozen(date(2026, 11, 28)):
        draft, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D("10000"), term=3, rate_text="月息1分",
                                      contract_date=date(2026, 11, 28)), user=manager)
        text = squeeze(pdf_text(services.iou_document_pdf(iou=draft, user=manager)))
        draft.refresh_from_db()
        assert iou_data(draft, full_identity=False).watermark == "样稿"
    assert "稿" in text  # the watermark, drawn rotated across the page
    assert "借款利率：月息1分（折合年利率12.00%）" in text
    assert "按借款日测算，实际以放款日生成的还款计划为准" in text


def test_repayment_receipt(repayment, finance, pdf_text, pdf_fonts):
    with clock.frozen(date(2026, 2, 15)):
        content = services.receipt_pdf(transaction=repayment, user=finance)

    text = squeeze(pdf_text(content))
    number = f"{repayment.iou.number}-HK01"
    assert "还款凭证" in text and number in text
    assert "人民币（大写）捌佰捌拾捌元肆角玖分（¥888.49）" in text
    assert "王建国" in text and "110105********002X" in text and "11010519491231002X" not in text
    assert "TX20260215001" in text and "银行转账" in text
    # allocation: penalty, fee, interest, principal, subtotal
    assert "第1期¥0.00¥0.00¥100.00¥788.49¥888.49" in text
    assert "尚欠本金、利息、罚息及费用合计人民币（大写）玖仟贰佰壹拾壹元伍角壹分（¥9,211.51）" in text
    assert all(embedded == "yes" for _name, embedded in pdf_fonts(content))
    assert audit.events_for(repayment.iou).filter(action="download", verb="打印还款凭证").exists()


def test_no_receipt_for_a_disbursement_or_a_reversed_payment(loan, repayment, finance):
    disbursement = Transaction.objects.get(iou=loan, kind=TransactionKind.DISBURSEMENT)
    with pytest.raises(InvalidState, match="只有还款或核销后收回的交易可以打印还款凭证，这笔交易是“放款”"):
        services.receipt_pdf(transaction=disbursement, user=finance)

    with clock.frozen(date(2026, 2, 16)):
        transaction_reverse(record=repayment, reason="银行退票", user=finance)
    with pytest.raises(InvalidState, match="已于2026-02-16冲正"):
        services.receipt_pdf(transaction=repayment, user=finance)
    assert not audit.events_for(loan).filter(action="download").exists()


def test_settlement_certificate(settled_loan, finance, pdf_text, pdf_fonts):
    with clock.frozen(date(2026, 4, 3)):
        content = services.settlement_certificate_pdf(iou=settled_loan, user=finance)

    text = squeeze(pdf_text(content))
    assert "结清证明" in text and f"{settled_loan.number}-JQ" in text
    assert "截至二〇二六年四月二日，上述借款本息已全部结清，双方债权债务关系终止。" in text
    assert "本金人民币（大写）壹万元整（¥10,000.00）" in text
    assert "累计归还人民币（大写）壹万零壹佰元整（¥10,100.00）" in text
    assert "已还本金¥10,000.00" in text and "已还利息¥100.00" in text and "结清日期2026-04-02" in text
    assert "王建国" in text and "特此证明" in text
    assert all(embedded == "yes" for _name, embedded in pdf_fonts(content))
    assert audit.events_for(settled_loan).filter(action="download", verb="出具结清证明").exists()


def test_no_settlement_certificate_before_settlement(loan, finance):
    with pytest.raises(InvalidState, match="当前状态为“已放款/生效”，尚未结清，不能出具结清证明"):
        services.settlement_certificate_pdf(iou=loan, user=finance)


def test_scope_and_permission(loan, make_branch, make_staff, django_user_model, pdf_font):
    elsewhere = make_staff("wangfang", role="客户经理", branch=make_branch("SH", "上海分公司"))
    with pytest.raises(NotFound):
        services.iou_document_pdf(iou=loan, user=elsewhere)
    nobody = make_staff("temp")  # staff without a role: no ious.view_iou
    with pytest.raises(PermissionDenied):
        services.iou_document_pdf(iou=loan, user=nobody)


def test_views_serve_pdf_inline_and_hide_other_branches(client, loan, repayment, manager, make_branch, make_staff,
                                                        pdf_font):
    client.force_login(manager)
    response = client.get(reverse("backoffice:iou_pdf", args=[loan.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f"inline; filename=\"{loan.number}.pdf\"; "
        f"filename*=UTF-8''{loan.number}-%E5%80%9F%E6%9D%A1.pdf")  # …-借条.pdf
    assert response.content.startswith(b"%PDF")

    receipt = client.get(reverse("backoffice:receipt_pdf", args=[repayment.pk]))
    assert receipt.status_code == 200 and f"{loan.number}-HK01" in receipt["Content-Disposition"]

    refused = client.get(reverse("backoffice:settlement_pdf", args=[loan.pk]))
    assert refused.status_code == 409 and "尚未结清" in refused.content.decode()

    outsider = make_staff("wangfang", role="客户经理", branch=make_branch("SH", "上海分公司"))
    client.force_login(outsider)
    assert client.get(reverse("backoffice:iou_pdf", args=[loan.pk])).status_code == 404
    assert client.get(reverse("backoffice:receipt_pdf", args=[repayment.pk])).status_code == 404
    assert client.get(reverse("backoffice:iou_pdf", args=[999999])).status_code == 404

    client.logout()
    assert client.get(reverse("backoffice:iou_pdf", args=[loan.pk])).status_code == 302  # to the login page


def test_missing_font_is_a_clear_error(loan, finance, settings, tmp_path):
    from ioudesk.documents.pdf import FontMissing

    settings.IOUDESK_PDF_FONT = str(tmp_path / "nope.ttc")
    with pytest.raises(FontMissing, match="fonts-wqy-microhei"):
        services.iou_document_pdf(iou=loan, user=finance)


def test_receipt_for_a_recovery_after_write_off(debtor, manager, approver, finance, pdf_text):
    from ioudesk.documents.tests.conftest import make_loan
    from ioudesk.ious.services.writeoff import iou_recover, iou_write_off

    iou = make_loan(debtor, manager, approver, finance, principal="5000", term=3, rate="10%", method="bullet",
                    day=date(2026, 1, 10))
    with clock.frozen(date(2026, 7, 19)):
        iou_write_off(iou=iou, user=finance, reason="债务人失联", recovery_method="write_off")
    with clock.frozen(date(2026, 9, 1)):
        record = iou_recover(iou=iou, amount="1200", user=finance, payer="债务人家属")
        text = squeeze(pdf_text(services.receipt_pdf(transaction=record, user=finance)))

    assert f"{iou.number}-SH01" in text and "兹收到债务人家属于二〇二六年九月一日" in text
    assert "项下核销后收回款人民币（大写）壹仟贰佰元整（¥1,200.00）" in text
    assert "收回已核销本金¥1,200.00" in text
    # written off ≠ forgiven: 5,000 + 125 interest + 208.33 penalty − 1,200 is still owed
    assert "（¥4,133.33）" in text
