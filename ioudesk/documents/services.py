"""Documents: the editable templates, and the PDFs made from them (借条/欠条, 展期协议, 还款凭证,
结清证明).

Every PDF is permission- and scope-checked (``ious.view_iou`` and the user's branches; another
branch's IOU is "not found", like everywhere else) and recorded in the audit trail as a download.

What a 借条/欠条 says: the terms the debtor signed (schedule version 1: term, rate, maturity and
schedule at disbursement), never the current ones; each extension has its own 展期协议 with the new
terms (ioudesk/documents/context.py, ``signed_iou`` and ``extension_data``).

Personal data on documents (defect 12 of issue 9, decision 0002): the 借条/欠条, the 展期协议 and the
结清证明 are legal instruments the debtor signs or receives, so they identify the debtor in full —
the ID number (a company's credit code is not personal data and is always printed) and the phone.

* A user with ``customers.view_sensitive_customer`` gets the full identifiers, and generating the
  document is an audited reveal: one 查看完整… event on the customer per identifier printed, through
  ``customers.services.customer_reveal`` (the same door as the 查看 button), besides the download
  event on the IOU (``id_number``: 完整).
* A user without it (财务, 审批员, 审计 in the seeded roles) is not refused: they need to read what
  was signed. They get the masked copy, clearly marked: a boxed notice under the number and the
  watermark 脱敏件 say that identifiers are partly hidden and that this copy is not for signing
  (``id_number``: 脱敏 in the download event). Refusing would leave an auditor no way to see the
  wording of an IOU; the marking keeps a masked copy from being signed by mistake.

A 还款凭证 is a routine slip, not signed by the debtor, and always masks them (110105********002X).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.core import audit, scope
from ioudesk.core.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.names import staff_name
from ioudesk.documents import pdf
from ioudesk.documents.context import (
    DocumentData,
    extension_data,
    iou_data,
    receipt_data,
    settlement_data,
)
from ioudesk.documents.defaults import DEFAULTS
from ioudesk.documents.models import DocumentKind, DocumentTemplate
from ioudesk.documents.placeholders import sample_context
from ioudesk.documents.templating import check, render_text
from ioudesk.ious.models import (
    Iou,
    IouKind,
    ScheduleKind,
    ScheduleVersion,
    Status,
    Transaction,
    TransactionKind,
)

VIEW_PERMISSION = "ious.view_iou"
SENSITIVE_PERMISSION = "customers.view_sensitive_customer"
RECEIPT_KINDS = (TransactionKind.REPAYMENT, TransactionKind.RECOVERY)
MASKED_NOTICE = ("脱敏件：您没有查看完整个人信息的权限，本件证件号码、联系电话已部分隐去，仅供查阅，"
                 "不能用于签署或交付当事人。")
MASKED_WATERMARK = "脱敏件"


# --- templates ------------------------------------------------------------------------------------

def templates_ensure() -> int:
    """Seed the default template of every kind that has none yet (idempotent). Returns how many
    were created."""
    created = 0
    for kind in DocumentKind.values:
        if DocumentTemplate.objects.filter(kind=kind).exists():
            continue
        row = DocumentTemplate.objects.create(kind=kind, is_active=True, **DEFAULTS[kind])
        audit.record_change(obj=row, before=None, after=audit.snapshot(row), verb=_g("初始化单据模板"))
        created += 1
    return created


def active_template(kind: str) -> DocumentTemplate:
    """The template in use for ``kind``: the active one, seeded on first use; if the administrator
    deactivated every template of the kind, the built-in wording (unsaved)."""
    row = DocumentTemplate.objects.filter(kind=kind, is_active=True).first()
    if row is None and not DocumentTemplate.objects.filter(kind=kind).exists():
        templates_ensure()
        row = DocumentTemplate.objects.filter(kind=kind, is_active=True).first()
    return row or DocumentTemplate(kind=kind, is_active=True, **DEFAULTS[kind])


def template_validate(*, template: DocumentTemplate) -> None:
    """Refuse a template that does not compile, uses a tag other than if, or a placeholder the kind
    does not have. The error's ``extra["field"]`` names the field (body or closing)."""
    if template.kind not in DocumentKind.values:
        raise ValidationFailed(_("请选择单据类型。"), extra={"field": "kind"})
    if not (template.title or "").strip():
        raise ValidationFailed(_("请填写标题。"), extra={"field": "title"})
    if not (template.body or "").strip():
        raise ValidationFailed(_("正文不能为空。"), extra={"field": "body"})
    check(template.body, template.kind, field="body")
    check(template.closing or "", template.kind, field="closing")


@transaction.atomic
def template_save(*, template: DocumentTemplate, user) -> DocumentTemplate:
    """Validate and save; an active template makes the other templates of its kind inactive. Every
    change is in the audit trail with the text before and after."""
    template_validate(template=template)
    template.title = template.title.strip()
    before = None
    if template.pk is not None:
        before = audit.snapshot(DocumentTemplate.objects.select_for_update().get(pk=template.pk))
    if template.is_active:
        others = DocumentTemplate.objects.select_for_update().filter(kind=template.kind, is_active=True)
        for other in others.exclude(pk=template.pk):
            other_before = audit.snapshot(other)
            other.is_active = False
            other.save(update_fields=["is_active", "updated_at"])
            audit.record_change(obj=other, before=other_before, after=audit.snapshot(other), verb=_g("停用单据模板"))
    template.updated_by = user if getattr(user, "pk", None) else None
    template.save()
    audit.record_change(obj=template, before=before, after=audit.snapshot(template),
                        verb=_g("新增单据模板") if before is None else _g("修改单据模板"))
    return template


def template_preview_pdf(*, template: DocumentTemplate, user) -> bytes:
    """The template filled with sample data (no real customer), for checking the layout."""
    template_validate(template=template)
    context = sample_context(template.kind)
    data = DocumentData(number=str(context["number"]), values=context, watermark="示例")
    return _render(template, data, user)


# --- documents ------------------------------------------------------------------------------------

def _printed_by(user) -> str:
    return staff_name(user)


def _check_access(user, iou: Iou) -> None:
    if user is None or not user.is_active or not user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied(_("您没有查看借据的权限，不能打印单据。"))
    if not scope.can_see_branch(user, iou.branch_id):
        raise NotFound(_("借据不存在，或您无权查看。"))


def _render(template: DocumentTemplate, data: DocumentData, user) -> bytes:
    body = render_text(template.body, template.kind, data.values)
    closing = render_text(template.closing or "", template.kind, data.values)
    from ioudesk.core.services import organisation_current

    return pdf.render(title=template.title, body=body, closing=closing, data=data,
                      organisation=organisation_current(), printed_by=_printed_by(user))


def _fresh(iou: Iou) -> Iou:
    return Iou.objects.select_related("customer", "branch").get(pk=iou.pk)


def _identity(user, iou: Iou, data_for, *, document: str) -> tuple[DocumentData, bool]:
    """The document's data with the debtor's identifiers in full (an audited reveal) when the user
    may see personal data in full, else masked and marked (see the module docstring). Returns the
    data and whether it is the full version."""
    full = user.has_perm(SENSITIVE_PERMISSION)
    data = data_for(full)
    if not full:
        data.notice = MASKED_NOTICE
        data.watermark = data.watermark or MASKED_WATERMARK
        return data, False
    from ioudesk.customers.services import customer_reveal

    customer = iou.customer
    reason = _g("打印%(document)s %(number)s") % {"document": document, "number": data.number}
    for field in ("phone",) if customer.is_company else ("id_number", "phone"):
        if getattr(customer, field):
            customer_reveal(customer=customer, field=field, user=user, reason=reason)
    return data, True


def iou_document_kind(iou: Iou) -> str:
    return DocumentKind.IOU_DEBT if iou.kind == IouKind.DEBT else DocumentKind.IOU_LOAN


def iou_document_pdf(*, iou: Iou, user) -> bytes:
    """The 借条 (a loan) or 欠条 (money owed for goods, services …) with the schedule attached."""
    iou = _fresh(iou)
    _check_access(user, iou)
    if iou.status == Status.CANCELLED:
        raise InvalidState(_("借据 %(number)s 已作废，不能生成借条/欠条。") % {"number": iou.number})
    template = active_template(iou_document_kind(iou))
    data, full = _identity(user, iou, lambda full: iou_data(iou, full_identity=full), document=template.title)
    content = _render(template, data, user)
    audit.record(AuditAction.DOWNLOAD, obj=iou, verb=_g("生成借条PDF"),
                 changes={"document": [None, template.title], "id_number": [None, "完整" if full else "脱敏"]})
    return content


def receipt_pdf(*, transaction: Transaction, user) -> bytes:
    """The 还款凭证 of one repayment (or one recovery after write-off)."""
    record = Transaction.objects.select_related("iou__customer", "iou__branch", "created_by").get(pk=transaction.pk)
    _check_access(user, record.iou)
    if record.kind not in RECEIPT_KINDS:
        raise InvalidState(_("只有还款或核销后收回的交易可以打印还款凭证，这笔交易是“%(kind)s”。") % {
            "kind": record.get_kind_display()})
    if record.is_reversed:
        raise InvalidState(_("这笔还款已于%(day)s冲正，不能打印还款凭证。") % {"day": record.reversed_by.day.isoformat()})
    template = active_template(DocumentKind.RECEIPT)
    data = receipt_data(record)
    content = _render(template, data, user)
    audit.record(AuditAction.DOWNLOAD, obj=record.iou, verb=_g("打印还款凭证"),
                 changes={"document": [None, data.number], "transaction": [None, record.pk],
                          "amount": [None, str(record.amount)]})
    return content


def settlement_certificate_pdf(*, iou: Iou, user) -> bytes:
    """The 结清证明: only for an IOU that is 已结清."""
    iou = _fresh(iou)
    _check_access(user, iou)
    if iou.status != Status.SETTLED:
        raise InvalidState(_("借据 %(number)s 当前状态为“%(status)s”，尚未结清，不能出具结清证明。") % {
            "number": iou.number, "status": iou.get_status_display()})
    template = active_template(DocumentKind.SETTLEMENT)
    data, full = _identity(user, iou, lambda full: settlement_data(iou, full_identity=full), document=template.title)
    content = _render(template, data, user)
    audit.record(AuditAction.DOWNLOAD, obj=iou, verb=_g("出具结清证明"),
                 changes={"document": [None, data.number], "id_number": [None, "完整" if full else "脱敏"]})
    return content


def extension_agreement_pdf(*, version: ScheduleVersion, user) -> bytes:
    """The 展期协议 of one extension (a schedule version of kind 展期/重组): the new terms, for both
    parties to sign. Personal data as on the 借条."""
    version = ScheduleVersion.objects.select_related("iou__customer", "iou__branch").get(pk=version.pk)
    iou = version.iou
    _check_access(user, iou)
    if version.kind != ScheduleKind.EXTENSION:
        raise InvalidState(_("借据 %(number)s 的这个还款计划版本不是展期产生的，没有展期协议。") % {"number": iou.number})
    template = active_template(DocumentKind.EXTENSION)
    data, full = _identity(user, iou, lambda full: extension_data(version, full_identity=full),
                           document=template.title)
    content = _render(template, data, user)
    audit.record(AuditAction.DOWNLOAD, obj=iou, verb=_g("生成展期协议PDF"),
                 changes={"document": [None, data.number], "schedule_version": [None, version.version],
                          "id_number": [None, "完整" if full else "脱敏"]})
    return content


def extension_documents(iou: Iou) -> list[tuple[int, ScheduleVersion]]:
    """(1, first extension), (2, second) … for the IOU page's document links."""
    from ioudesk.documents.context import extension_versions

    return list(enumerate(extension_versions(iou), start=1))


# File names stay Chinese whatever the user's language (they name a Chinese legal document).
FILE_TITLES = {DocumentKind.IOU_LOAN: "借条", DocumentKind.IOU_DEBT: "欠条", DocumentKind.RECEIPT: "还款凭证",
               DocumentKind.SETTLEMENT: "结清证明", DocumentKind.EXTENSION: "展期协议", DocumentKind.DEMAND: "催款函",
               DocumentKind.LAWYER: "律师函"}


def document_filename(number: str, kind: str) -> str:
    """JD20261128-0001-借条.pdf

    >>> document_filename("JD20261128-0001", "iou_loan")
    'JD20261128-0001-借条.pdf'
    """
    return f"{number}-{FILE_TITLES[kind]}.pdf"
