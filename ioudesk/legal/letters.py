"""Collection letters: the 催款函 (from the creditor) and the 律师函 (from its lawyer), as PDFs from the
administrator's templates (ioudesk/documents: kinds ``demand`` and ``lawyer``, their default wording in
documents/defaults.py), and issuing one.

What a letter says on its day (:func:`owed_on`): the principal still owed (written-off principal
included: a write-off does not cancel the debt; of which the part already due), the interest owed,
the penalty to the day (posted and run on since, ``ious.selectors.penalty_to_date``), the fees, and
their total, each in figures and in words (calc.words); the legal basis (Civil Code arts. 674-676
and the IOU); the limitation date from ``ious.services.limitation.limitation_clock`` and what the
delivered letter does to it (art. 195: it interrupts the period; after expiry art. 192).

Issuing a letter (:func:`demand_letter_issue`) stores the PDF as a ``letter`` attachment on a new
contact record (method ``letter`` or ``lawyer_letter``, outcome ``other``) through
``collections.services.contact_record_create``: that is the record of the demand. It does not yet
interrupt the limitation period: a demand counts only once its delivery is evidenced (docs/domain.md
§12). Delivery is a second contact record that ``refers_to`` the letter's record, outcome
``delivered`` with a ``delivery_receipt`` attachment (the contact form's ``?refers_to=``); that
record is what calls the limitation interruption.

Identifiers on a letter are masked (110105********002X), like a 还款凭证: a letter goes by post and
names the debtor; it is not an instrument the debtor signs, and printing it is no reveal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import format_yuan
from ioudesk.calc.words import amount_in_words, date_in_chinese
from ioudesk.collections.models import (
    AttachmentKind,
    Case,
    CaseStatus,
    ContactAttachment,
    ContactMethod,
    ContactRecord,
    OutcomeCode,
    Party,
)
from ioudesk.collections.predicates import can_view_case
from ioudesk.collections.services import contact_record_create
from ioudesk.core import audit, clock
from ioudesk.core.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.names import staff_name
from ioudesk.core.services import organisation_current
from ioudesk.core.storage import private_storage
from ioudesk.documents import pdf
from ioudesk.documents.context import DocumentData, Table, party_values
from ioudesk.documents.models import DocumentKind
from ioudesk.documents.services import active_template
from ioudesk.documents.templating import render_text
from ioudesk.ious.models import Iou, IouKind
from ioudesk.ious.selectors import penalty_to_date
from ioudesk.ious.services.installments import installments_due_by, unpaid
from ioudesk.ious.services.limitation import limitation_clock
from ioudesk.legal.models import LegalCase
from ioudesk.legal.services import legal_case_lawyer_letter

ZERO = Decimal("0.00")
ISSUE_PERMISSION = "legal.issue_demand_letter"
DEMAND, LAWYER = "demand", "lawyer"
#: ?kind= of the page → document kind, contact method, number prefix, title for file names
KINDS = {
    DEMAND: (DocumentKind.DEMAND, ContactMethod.LETTER, "CK", "催款函"),
    LAWYER: (DocumentKind.LAWYER, ContactMethod.LAWYER_LETTER, "LS", "律师函"),
}
DEFAULT_PAY_WITHIN_DAYS = 7


def kind_label(kind: str):
    """The letter's name in the reader's language (its contact method's label); KINDS keeps the
    Chinese name the PDF's file name and the stored record note use."""
    return ContactMethod(KINDS[kind][1]).label
BEIJING = ZoneInfo("Asia/Shanghai")
#: When the business date is behind the calendar (the close has not moved it on yet), a letter is
#: dated the business date at this time of day (inside the default contact hours).
LATE_ISSUE_TIME = time(17, 0)


@dataclass(frozen=True)
class Owed:
    """What the debtor owes on ``as_of``, by component."""

    as_of: date
    principal: Decimal
    overdue_principal: Decimal
    interest: Decimal
    penalty: Decimal
    fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.penalty + self.fee


@dataclass(frozen=True)
class LetterOptions:
    """What the person issuing a letter fills in: the time to pay, a phone to call, and for a 律师函
    the law firm and the lawyer."""

    pay_within_days: int = DEFAULT_PAY_WITHIN_DAYS
    contact_phone: str = ""
    law_firm: str = ""
    lawyer: str = ""
    lawyer_phone: str = ""


def owed_on(iou: Iou, day: date) -> Owed:
    """The breakdown a letter prints. Written-off principal and interest stay owed (off the books);
    the penalty runs to ``day``; the principal already due is that of the current installments due
    on or before ``day`` (all of a written-off IOU's)."""
    principal = iou.principal_outstanding + iou.written_off_principal
    due = sum((unpaid(row)["principal"] for row in installments_due_by(iou, day)), ZERO)
    overdue = min(principal, due + iou.written_off_principal)
    return Owed(as_of=day, principal=principal, overdue_principal=overdue,
                interest=iou.interest_outstanding + iou.written_off_interest,
                penalty=penalty_to_date(iou, day), fee=iou.fee_outstanding)


def _figures(amount: Decimal) -> str:
    return format_yuan(amount, symbol="")


def letter_number(iou: Iou, kind: str, *, issued: int | None = None) -> str:
    """JD20261128-0001-CK01 for the IOU's first 催款函, -LS01 for its first 律师函: the place among the
    letters of that kind issued on the IOU (the next one when previewing)."""
    _doc, method, prefix, _title = KINDS[kind]
    if issued is None:
        issued = ContactRecord.objects.filter(iou_id=iou.pk, method=method, refers_to__isnull=True,
                                              attachments__kind=AttachmentKind.LETTER).distinct().count() + 1
    return f"{iou.number}-{prefix}{issued:02d}"


def letter_filename(number: str, kind: str) -> str:
    """JD20261128-0001-CK01-催款函.pdf

    >>> letter_filename("JD20261128-0001-CK01", "demand")
    'JD20261128-0001-CK01-催款函.pdf'
    """
    return f"{number}-{KINDS[kind][3]}.pdf"


def limitation_on(iou: Iou, day: date):
    """H3's limitation clock on ``day`` (expires_on, basis, events)."""
    return limitation_clock(iou, day=day)


def letter_data(iou: Iou, *, kind: str, day: date, case: Case | None = None, user=None,
                options: LetterOptions = LetterOptions(), number: str | None = None) -> DocumentData:
    """The placeholder values and the table of one letter (documents/placeholders.py, LETTER)."""
    if kind not in KINDS:
        raise ValidationFailed(_("请选择函件类型：催款函或律师函。"), extra={"field": "kind"})
    values = party_values(iou, full_identity=False)
    owed = owed_on(iou, day)
    reading = limitation_on(iou, day)
    expires_on = reading.expires_on
    loan = iou.kind != IouKind.DEBT
    number = number or letter_number(iou, kind)
    values.update({
        "document_number": number,
        "today": date_in_chinese(day),
        "letter_date": date_in_chinese(day),
        "as_of": date_in_chinese(day),
        "is_loan": loan,
        "debt_reason": "借款" if loan else iou.get_debt_reason_display(),
        "creditor_role": "出借人" if loan else "债权人",
        "debtor_role": "借款人" if loan else "债务人",
        "case_number": case.number if case is not None else "",
        "overdue_since": date_in_chinese(iou.overdue_since) if iou.overdue_since else "",
        "days_past_due": str(iou.days_past_due),
        "amount_words": amount_in_words(owed.total),
        "amount_figures": _figures(owed.total),
        "principal_owed_words": amount_in_words(owed.principal),
        "principal_owed_figures": _figures(owed.principal),
        "overdue_principal_figures": _figures(owed.overdue_principal),
        "has_future_principal": owed.overdue_principal < owed.principal,
        "interest_owed_words": amount_in_words(owed.interest),
        "interest_owed_figures": _figures(owed.interest),
        "penalty_owed_words": amount_in_words(owed.penalty),
        "penalty_owed_figures": _figures(owed.penalty),
        "has_penalty_owed": owed.penalty > 0,
        "fee_owed_words": amount_in_words(owed.fee),
        "fee_owed_figures": _figures(owed.fee),
        "has_fee_owed": owed.fee > 0,
        "total_owed_words": amount_in_words(owed.total),
        "total_owed_figures": _figures(owed.total),
        "pay_within_days": str(options.pay_within_days),
        "contact_phone": options.contact_phone,
        "operator": staff_name(user) if user is not None else "",
        "limitation_expires_on": date_in_chinese(expires_on) if expires_on else "",
        "limitation_expired": reading.expired,
        "law_firm": options.law_firm,
        "lawyer": options.lawyer,
        "lawyer_phone": options.lawyer_phone,
    })
    rows = [["本金", format_yuan(owed.principal), amount_in_words(owed.principal)],
            ["利息", format_yuan(owed.interest), amount_in_words(owed.interest)],
            ["罚息", format_yuan(owed.penalty), amount_in_words(owed.penalty)],
            ["费用", format_yuan(owed.fee), amount_in_words(owed.fee)]]
    note = f"罚息按借据约定计至{day.isoformat()}，此后继续计收，实际以付清之日的金额为准。"
    if owed.overdue_principal < owed.principal:
        note = f"本金中已到期{format_yuan(owed.overdue_principal)}。" + note
    table = Table(caption=f"附：欠款明细（截至{day.isoformat()}，借据编号：{iou.number}）",
                  header=["项目", "金额（小写）", "金额（大写）"], rows=rows,
                  total=["合计", format_yuan(owed.total), amount_in_words(owed.total)], numeric_columns=(1,),
                  note=note)
    # Signed right under the text; the breakdown follows as its attachment (附), like a 借条's schedule.
    return DocumentData(number=number, values=values, tables=[table], tables_after_closing=True)


def lawyer_on_record(case: Case) -> tuple[str, str]:
    """(law firm, lawyer) of the latest legal case of the IOU that names them, to prefill a 律师函."""
    legal = (LegalCase.objects.filter(iou_id=case.iou_id).exclude(law_firm="", lawyer="")
             .order_by("-opened_on", "-id").first())
    return (legal.law_firm, legal.lawyer) if legal is not None else ("", "")


def _check_options(kind: str, options: LetterOptions) -> None:
    if not 1 <= int(options.pay_within_days) <= 90:
        raise ValidationFailed(_("付款期限请填写1到90天。"), extra={"field": "pay_within_days"})
    if kind == LAWYER:
        if not options.law_firm.strip():
            raise ValidationFailed(_("律师函请填写律师事务所。"), extra={"field": "law_firm"})
        if not options.lawyer.strip():
            raise ValidationFailed(_("律师函请填写承办律师。"), extra={"field": "lawyer"})


def issue_time(day: date) -> datetime:
    """Now, or — when the calendar day in Beijing is already past the business date — the business
    date at 17:00: a contact record may not be dated after the business date."""
    now = timezone.now()
    if now.astimezone(BEIJING).date() <= day:
        return now
    return datetime.combine(day, LATE_ISSUE_TIME, tzinfo=BEIJING)


def render_letter(data: DocumentData, *, kind: str, user=None) -> bytes:
    template = active_template(KINDS[kind][0])
    body = render_text(template.body, template.kind, data.values)
    closing = render_text(template.closing or "", template.kind, data.values)
    return pdf.render(title=template.title, body=body, closing=closing, data=data,
                      organisation=organisation_current(), printed_by=staff_name(user) if user is not None else "")


# --- what a user may do -------------------------------------------------------------------------

def can_issue_letter(case: Case, user) -> bool:
    """催款函/律师函 on an open IOU case the user can see, with ``legal.issue_demand_letter`` (a receivables
    bill's case is dunned by the 催款通知 rules, ``ioudesk.receivables.dunning``)."""
    return bool(user is not None and user.is_active and user.has_perm(ISSUE_PERMISSION)
                and case.status == CaseStatus.OPEN and case.iou_id is not None and can_view_case(case, user))


def _check_issue(case: Case, user) -> None:
    if user is None or not user.has_perm(ISSUE_PERMISSION):
        raise PermissionDenied(_("您没有发出催款函/律师函的权限。"))
    if not can_view_case(case, user):
        raise PermissionDenied(_("您无权查看这个催收案件。"))
    if case.status != CaseStatus.OPEN:
        raise InvalidState(_("案件 %(number)s 已结案，不能再发函。") % {"number": case.number})
    if case.iou_id is None:
        raise InvalidState(_("案件 %(number)s 是往来单据的催收：催款通知由日终按催款规则发送，催款函/律师函只用于借据。")
                           % {"number": case.number})


# --- services -----------------------------------------------------------------------------------

def letter_preview_pdf(*, case: Case, kind: str, user, options: LetterOptions = LetterOptions(),
                       day: date | None = None) -> bytes:
    """The letter as it would be issued today (marked 预览), nothing recorded but the view."""
    _check_issue(case, user)
    _check_options(kind, options)
    day = day or clock.today()
    iou = Iou.objects.select_related("customer", "branch").get(pk=case.iou_id)
    data = letter_data(iou, kind=kind, day=day, case=case, user=user, options=options)
    data.watermark = "预览"
    content = render_letter(data, kind=kind, user=user)
    audit.record(AuditAction.DOWNLOAD, obj=iou, verb=_g("预览%(title)s") % {"title": kind_label(kind)},
                 changes={"case": [None, case.number], "document": [None, data.number]})
    return content


@transaction.atomic
def demand_letter_issue(case: Case, *, kind: str, by, options: LetterOptions = LetterOptions(),
                        contacted_at: datetime | None = None) -> ContactRecord:
    """Issue a 催款函/律师函: the PDF, dated the business date, stored as the ``letter`` attachment of a
    new contact record (method letter / lawyer_letter, outcome 其他: sent, not yet delivered) at
    ``contacted_at`` (default :func:`issue_time`).
    Returns the record; its delivery is recorded with ``refers_to`` = this record."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    _check_issue(case, by)
    _check_options(kind, options)
    day = clock.today()
    iou = Iou.objects.select_related("customer", "branch").get(pk=case.iou_id)
    data = letter_data(iou, kind=kind, day=day, case=case, user=by, options=options)
    content = render_letter(data, kind=kind, user=by)
    title = str(kind_label(kind))
    upload = SimpleUploadedFile(letter_filename(data.number, kind), content, content_type="application/pdf")
    owed = data.values["total_owed_figures"]
    notes = _g("发出%(title)s %(number)s：截至%(day)s尚欠合计¥%(total)s，限收函后%(days)s日内付清。") % {
        "title": title, "number": data.number, "day": day.isoformat(), "total": owed,
        "days": options.pay_within_days}
    if kind == LAWYER:
        notes += _g("律师事务所：%(firm)s，承办律师：%(lawyer)s。") % {"firm": options.law_firm, "lawyer": options.lawyer}
    record = contact_record_create(
        case, method=KINDS[kind][1], party=Party.DEBTOR, party_name=iou.customer.name, outcome=OutcomeCode.OTHER,
        notes=notes, next_step=_g("登记送达回执"), contacted_at=contacted_at or issue_time(day), by=by,
        attachments=[(AttachmentKind.LETTER, upload)])
    if kind == LAWYER:  # the legal cases of this collection case are dated by it (H3's field)
        legal_case_lawyer_letter(case, on=day, by=by)
    audit.record(AuditAction.ACTION, obj=iou, verb=_g("发出%(title)s") % {"title": title},
                 changes={"case": [None, case.number], "document": [None, data.number], "record": [None, record.pk],
                          "total_owed": [None, owed]})
    return record


def letter_stored_pdf(*, record: ContactRecord, user) -> tuple[str, bytes]:
    """The letter issued with a contact record, as stored (name, bytes): the record's case visible to
    the user; the download is audited on the IOU."""
    if not can_view_case(record.case, user):
        raise NotFound(_("催收记录不存在，或您无权查看。"))
    if not user.has_perm("collections.view_contactattachment"):
        raise PermissionDenied(_("您没有查看催收附件的权限。"))
    attachment = ContactAttachment.objects.filter(record=record, kind=AttachmentKind.LETTER).first()
    if attachment is None:
        raise NotFound(_("这条催收记录没有函件。"))
    try:
        with private_storage().open(attachment.file.name, "rb") as handle:
            content = handle.read()
    except FileNotFoundError as error:
        raise NotFound(_("函件文件已丢失（%(name)s），请联系系统管理员从备份恢复。") % {
            "name": attachment.original_name}) from error
    audit.record(AuditAction.DOWNLOAD, obj=record.iou, verb=_g("下载函件"),
                 changes={"record": [None, record.pk], "file": [None, attachment.original_name],
                          "sha256": [None, attachment.sha256]})
    return attachment.original_name, content
