"""Documents: the editable templates, and the PDFs made from them (借条/欠条, 还款凭证, 结清证明).

Every PDF is permission- and scope-checked (``ious.view_iou`` and the user's branches; another
branch's IOU is "not found", like everywhere else) and recorded in the audit trail as a download.

Personal data on documents: the 借条/欠条 and the 结清证明 are legal instruments handed to the parties,
so they carry the debtor's full ID number and phone number — but only when the user may see them
(``customers.view_sensitive_customer``); otherwise they are masked as on every screen. Either way
the audit event says which (``id_number``: 完整/脱敏), so printing a full number is an audited reveal
(decision 0002). A 还款凭证 is a routine slip and always masks them (110105********002X).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.core import audit, scope
from ioudesk.core.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.documents import pdf
from ioudesk.documents.context import DocumentData, iou_data, receipt_data, settlement_data
from ioudesk.documents.defaults import DEFAULTS
from ioudesk.documents.models import DocumentKind, DocumentTemplate
from ioudesk.documents.placeholders import sample_context
from ioudesk.documents.templating import check, render_text
from ioudesk.ious.models import Iou, IouKind, Status, Transaction, TransactionKind

VIEW_PERMISSION = "ious.view_iou"
SENSITIVE_PERMISSION = "customers.view_sensitive_customer"
RECEIPT_KINDS = (TransactionKind.REPAYMENT, TransactionKind.RECOVERY)


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
    return (user.get_full_name() or user.get_username()) if user is not None else ""


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


def iou_document_kind(iou: Iou) -> str:
    return DocumentKind.IOU_DEBT if iou.kind == IouKind.DEBT else DocumentKind.IOU_LOAN


def iou_document_pdf(*, iou: Iou, user) -> bytes:
    """The 借条 (a loan) or 欠条 (money owed for goods, services …) with the schedule attached."""
    iou = _fresh(iou)
    _check_access(user, iou)
    if iou.status == Status.CANCELLED:
        raise InvalidState(_("借据 %(number)s 已作废，不能生成借条/欠条。") % {"number": iou.number})
    template = active_template(iou_document_kind(iou))
    full = user.has_perm(SENSITIVE_PERMISSION)
    content = _render(template, iou_data(iou, full_identity=full), user)
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
    full = user.has_perm(SENSITIVE_PERMISSION)
    data = settlement_data(iou, full_identity=full)
    content = _render(template, data, user)
    audit.record(AuditAction.DOWNLOAD, obj=iou, verb=_g("出具结清证明"),
                 changes={"document": [None, data.number], "id_number": [None, "完整" if full else "脱敏"]})
    return content


# File names stay Chinese whatever the user's language (they name a Chinese legal document).
FILE_TITLES = {DocumentKind.IOU_LOAN: "借条", DocumentKind.IOU_DEBT: "欠条", DocumentKind.RECEIPT: "还款凭证",
               DocumentKind.SETTLEMENT: "结清证明"}


def document_filename(number: str, kind: str) -> str:
    """JD20261128-0001-借条.pdf

    >>> document_filename("JD20261128-0001", "iou_loan")
    'JD20261128-0001-借条.pdf'
    """
    return f"{number}-{FILE_TITLES[kind]}.pdf"
