"""催款函 and 律师函: the figures worked out by hand (letter_fixtures.py), the words, the legal basis
and the limitation warning on the PDF; issuing one is a contact record with the PDF attached and
does not interrupt the limitation period; its delivery, with a receipt, moves the limitation date
by exactly that interruption."""

import hashlib
from datetime import date
from decimal import Decimal as D

import pytest

from ioudesk.collections.models import AttachmentKind, ContactMethod, OutcomeCode
from ioudesk.collections.services import contact_record_create
from ioudesk.core import audit, clock
from ioudesk.core.errors import InvalidState, PermissionDenied, ValidationFailed
from ioudesk.ious.models import LimitationEvent
from ioudesk.ious.services.limitation import limitation_clock
from ioudesk.legal import letters
from ioudesk.legal.tests.letter_fixtures import (  # noqa: F401 (fixtures)
    DELIVERY_DAY,
    LETTER_DAY,
    at,
    case_fixture,
    embedded_fonts,
    overdue_loan_fixture,
    pdf_upload,
    pdf_words,
    private_dir_fixture,
)


def test_owed_on_the_letter_day(overdue_loan):
    owed = letters.owed_on(overdue_loan, LETTER_DAY)
    assert owed.principal == D("12000.00") and owed.overdue_principal == D("12000.00")
    assert owed.interest == D("78.00")  # ¥120.00 − ¥42.00 paid on 04-20 after the ¥108.00 penalty
    assert owed.penalty == D("132.00")  # 22 days × ¥12,000 × 18 % / 360
    assert owed.fee == D("0.00") and owed.total == D("12210.00")
    assert overdue_loan.limitation_expires_on == date(2029, 4, 20)  # the payment of 04-20 interrupted it


def test_demand_letter_issued_as_a_contact_record(case, admin_user_zh, tmp_path):
    with clock.frozen(LETTER_DAY):
        record = letters.demand_letter_issue(case, kind="demand", by=admin_user_zh,
                                             options=letters.LetterOptions(pay_within_days=10,
                                                                           contact_phone="010-85001234"),
                                             contacted_at=at(LETTER_DAY))
    assert (record.method, record.outcome, record.refers_to_id) == (ContactMethod.LETTER, OutcomeCode.OTHER, None)
    assert not record.interruption_recorded and not LimitationEvent.objects.filter(iou=case.iou).exists()
    attachment = record.attachments.get()
    number = f"{case.iou.number}-CK01"
    assert attachment.kind == AttachmentKind.LETTER and attachment.original_name == f"{number}-催款函.pdf"
    with attachment.file.open("rb") as handle:
        content = handle.read()
    assert hashlib.sha256(content).hexdigest() == attachment.sha256 and content.startswith(b"%PDF")
    assert embedded_fonts(content, tmp_path) and set(embedded_fonts(content, tmp_path)) == {"yes"}

    text = pdf_words(content, tmp_path)
    assert "催款函" in text and number in text and "王建国" in text and "110105********002X" in text
    assert "二〇二六年三月二日，您向欠条管家示范机构借款并出具借条" in text
    assert "借款本金人民币（大写）壹万贰仟元整（¥12,000.00）" in text
    assert "您未按约定于二〇二六年四月二日履行还款义务，截至二〇二六年五月十二日已逾期40天" in text
    assert ("尚欠本金人民币（大写）壹万贰仟元整（¥12,000.00），利息人民币（大写）柒拾捌元整（¥78.00），"
            "罚息人民币（大写）壹佰叁拾贰元整（¥132.00），合计人民币（大写）壹万贰仟贰佰壹拾元整（¥12,210.00）") in text
    assert "费用人民币" not in text  # no fees owed: not mentioned
    assert "第六百七十四条、第六百七十五条、第六百七十六条的规定及上述借条的约定" in text
    assert "收到本函之日起10日内" in text and "010-85001234" in text
    assert "第一百九十五条，本函送达之日起，上述债权的诉讼时效中断" in text
    assert "诉讼时效期间至二〇二九年四月二十日届满" in text
    assert "担保人李明依约对上述债务承担连带保证责任" in text
    # the table: figures and words per component, the total
    assert "本金¥12,000.00壹万贰仟元整" in text and "利息¥78.00柒拾捌元整" in text
    assert "罚息¥132.00壹佰叁拾贰元整" in text and "费用¥0.00零元整" in text
    assert "附：欠款明细（截至2026-05-12" in text and "罚息按借据约定计至2026-05-12" in text
    assert "合计¥12,210.00壹万贰仟贰佰壹拾元整" in text
    assert "经办人：" in text and "日期：二〇二六年五月十二日" in text
    assert audit.events_for(case.iou).filter(verb="发出催款函").exists()


def test_delivery_moves_the_limitation_date_by_exactly_that_interruption(case, admin_user_zh):
    with clock.frozen(LETTER_DAY):
        letter = letters.demand_letter_issue(case, kind="demand", by=admin_user_zh, contacted_at=at(LETTER_DAY))
    before = limitation_clock(case.iou, day=DELIVERY_DAY)
    assert before.expires_on == date(2029, 4, 20)
    with clock.frozen(DELIVERY_DAY):
        delivery = contact_record_create(
            case, method=ContactMethod.LETTER, party="debtor", outcome=OutcomeCode.DELIVERED, contacted_at=at(DELIVERY_DAY),
            notes="EMS 签收", by=admin_user_zh, refers_to=letter,
            attachments=[(AttachmentKind.DELIVERY_RECEIPT, pdf_upload())])
    case.iou.refresh_from_db()
    receipt = delivery.attachments.get()
    event = LimitationEvent.objects.get(iou=case.iou)
    assert (event.kind, event.on, event.evidence_sha256) == ("demand", DELIVERY_DAY, receipt.sha256)
    assert event.source == f"collections.contactrecord:{delivery.pk}" and delivery.interruption_recorded
    # 2026-05-15 + 3 years: only this interruption moved it (2029-04-20 → 2029-05-15)
    assert case.iou.limitation_expires_on == date(2029, 5, 15)
    after = limitation_clock(case.iou, day=DELIVERY_DAY)
    assert after.expires_on == date(2029, 5, 15) and [e.on for e in after.events if e.counted] == [
        date(2026, 4, 20), DELIVERY_DAY]


def test_lawyer_letter_names_the_firm_and_needs_it(case, admin_user_zh, tmp_path):
    with clock.frozen(LETTER_DAY):
        with pytest.raises(ValidationFailed, match="律师事务所") as caught:
            letters.demand_letter_issue(case, kind="lawyer", by=admin_user_zh)
        assert caught.value.extra["field"] == "law_firm"
        options = letters.LetterOptions(law_firm="北京市示范律师事务所", lawyer="周律", lawyer_phone="010-85009876")
        preview = letters.letter_preview_pdf(case=case, kind="lawyer", user=admin_user_zh, options=options)
        record = letters.demand_letter_issue(case, kind="lawyer", by=admin_user_zh, options=options,
                                             contacted_at=at(LETTER_DAY))
    assert record.method == ContactMethod.LAWYER_LETTER
    assert record.attachments.get().original_name == f"{case.iou.number}-LS01-律师函.pdf"
    text = pdf_words(preview, tmp_path)
    assert "律师函" in text and "北京市示范律师事务所接受欠条管家示范机构（以下简称“委托人”）的委托，指派周律律师" in text
    assert "合计人民币（大写）壹万贰仟贰佰壹拾元整（¥12,210.00）" in text and "承办律师：周律" in text
    assert "览" in text  # the watermark 预览, drawn rotated across the page
    assert "诉讼时效中断" in text


def test_refusals(case, admin_user_zh, make_staff):
    clerk = make_staff("wangfang", role="催收员")
    assert not letters.can_issue_letter(case, clerk)
    with clock.frozen(LETTER_DAY), pytest.raises(PermissionDenied):
        letters.demand_letter_issue(case, kind="demand", by=clerk)
    with clock.frozen(LETTER_DAY), pytest.raises(ValidationFailed, match="付款期限"):
        letters.demand_letter_issue(case, kind="demand", by=admin_user_zh,
                                    options=letters.LetterOptions(pay_within_days=0))
    from ioudesk.collections.services import case_close

    with clock.frozen(LETTER_DAY):
        case_close(case, reason="settled", day=LETTER_DAY)
        case.refresh_from_db()
        assert not letters.can_issue_letter(case, admin_user_zh)
        with pytest.raises(InvalidState, match="已结案"):
            letters.demand_letter_issue(case, kind="demand", by=admin_user_zh)


def test_debt_for_goods_long_expired(debtor, manager, approver, finance):
    """A 欠条 for goods (¥58,000.00, no interest, 月结30天 from 2021-01-05: due 2021-02-04), never paid:
    the letter names the goods debt and arts. 577/579 (not the loan articles), and says the period
    ran out on 2024-02-04 (three years from the due date) so that a debtor who now agrees to pay
    loses the defence (art. 192) — not that the letter interrupts it."""
    from ioudesk.documents.models import DocumentKind
    from ioudesk.documents.services import active_template
    from ioudesk.documents.templating import render_text
    from ioudesk.ious.models import Iou
    from ioudesk.ious.services import iou_approve, iou_create, iou_submit
    from ioudesk.ious.services.accrual import iou_close_day
    from ioudesk.ious.services.disbursement import iou_disburse

    with clock.frozen(date(2021, 1, 5)):
        iou, _ = iou_create(iou=Iou(kind="debt", debt_reason="goods", reason="钢材货款", customer=debtor,
                                    principal=D("58000.00"), rate_text="0%", payment_terms="net_30",
                                    contract_date=date(2021, 1, 5)), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    with clock.frozen(LETTER_DAY):
        iou_close_day(iou=iou, day=LETTER_DAY)
        iou.refresh_from_db()
        owed = letters.owed_on(iou, LETTER_DAY)
        data = letters.letter_data(iou, kind="demand", day=LETTER_DAY)
        text = render_text(active_template(DocumentKind.DEMAND).body, DocumentKind.DEMAND, data.values)
    # no agreed rate: overdue interest at the one-year LPR of each period (民间借贷规定 art. 28), as the book posts it
    from ioudesk.calc.words import amount_in_words
    from ioudesk.ious.selectors import penalty_to_date

    assert (owed.principal, owed.interest, owed.fee) == (D("58000.00"), D("0.00"), D("0.00"))
    assert owed.penalty == penalty_to_date(iou, LETTER_DAY) > 0 and owed.total == D("58000.00") + owed.penalty
    assert "您向欠条管家示范机构出具欠条" in text and "确认欠付货款人民币（大写）伍万捌仟元整（¥58,000.00）" in text
    assert f"罚息人民币（大写）{amount_in_words(owed.penalty)}（¥{owed.penalty:,.2f}）" in text
    assert f"合计人民币（大写）{amount_in_words(owed.total)}（¥{owed.total:,.2f}）" in text
    assert "第五百七十七条、第五百七十九条的规定及上述欠条的约定" in text and "第六百七十四条" not in text
    assert "诉讼时效期间已于二〇二四年二月四日届满" in text and "第一百九十二条" in text
    assert "诉讼时效中断" not in text


@pytest.mark.parametrize("kind", ["demand", "lawyer"])
def test_default_templates_preview_with_sample_data(kind, admin_user_zh, tmp_path):
    """单据模板 → 预览PDF for the two new kinds (the sample values of documents/placeholders.py)."""
    from ioudesk.documents import services as documents
    from ioudesk.documents.models import DocumentTemplate

    documents.templates_ensure()
    template = DocumentTemplate.objects.get(kind=kind, is_active=True)
    text = pdf_words(documents.template_preview_pdf(template=template, user=admin_user_zh), tmp_path)
    assert "合计人民币（大写）捌仟伍佰玖拾壹元壹角肆分（¥8,591.14）" in text  # 8,275.18 + 252.51 + 63.45
    assert "第六百七十四条" in text and ("北京市示范律师事务所" in text) == (kind == "lawyer")
