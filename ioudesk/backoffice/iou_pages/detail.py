"""The IOU page: terms, balances, schedule, transactions, postings, approvals, audit trail, documents and
the actions the status allows; the approval requests open on the IOU (maker-checker), which an
approver decides here (the approvals app's card)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ioudesk.approvals.selectors import pending_for
from ioudesk.backoffice.iou_pages.actions import ACTIONS, REVERSE
from ioudesk.backoffice.iou_pages.common import url_or_none
from ioudesk.backoffice.pages import BackofficePage
from ioudesk.documents.services import extension_documents
from ioudesk.ious import predicates, selectors
from ioudesk.ious.approval_codes import TRANSACTION_REVERSE
from ioudesk.ious.models import Classification, GuaranteeType, Iou, Purpose, Status
from ioudesk.ious.services.limitation import limitation_clock


class IouDetailPage(BackofficePage):
    template_name = "backoffice/ious/detail.html"
    permission_required = ("ious.view_iou",)

    def get_context_data(self, **kwargs):
        user = self.request.user
        page = selectors.iou_page(user=user, pk=self.kwargs["pk"])
        iou = page.iou
        self.title = _("借据 %(number)s") % {"number": iou.number}
        approval_requests = pending_for(iou)
        open_kinds = {r.kind for r in approval_requests}
        offered = [
            {"name": a.name, "label": a.label, "variant": a.variant,
             "url": reverse("backoffice:iou_action", args=[iou.pk, a.name])}
            for a in ACTIONS.values() if a.offered(iou, user, open_kinds=open_kinds)
        ]
        can_reverse = user.has_perm(REVERSE.permission) and TRANSACTION_REVERSE not in open_kinds
        for record in page.transactions:
            record.reversible = can_reverse and reversible(iou, record, page.transactions)
            record.receipt_url = (url_or_none("backoffice:receipt_pdf", record.pk)
                                  if predicates.can_print_receipt(record) else None)
        documents = [(label, url) for label, url in (
            (_("借据/欠条 PDF"), url_or_none("backoffice:iou_pdf", iou.pk) if iou.status != Status.CANCELLED else None),
            *((_("展期协议（第%(n)s次）PDF") % {"n": n}, url_or_none("backoffice:extension_pdf", version.pk))
              for n, version in extension_documents(iou)),
            (_("结清证明 PDF"), url_or_none("backoffice:settlement_pdf", iou.pk) if iou.status == Status.SETTLED else None),
        ) if url]
        return super().get_context_data(**kwargs, page=page, iou=iou, actions=offered, documents=documents,
                                        approval_requests=approval_requests,
                                        hand_class=hand_classification(iou, page.events),
                                        limitation=limitation_clock(iou, day=page.today),
                                        evidence_url=evidence_url(iou, user),
                                        report_dimensions=report_dimensions(iou),
                                        reverse_url=reverse("backoffice:iou_action", args=[iou.pk, "reverse"]))


def report_dimensions(iou: Iou) -> dict:
    """担保方式 and 借款用途分类 as the reports count the IOU (a blank one read by the rule of
    ioudesk.reports.dimensions), and whether they were recorded."""
    from ioudesk.reports.dimensions import guarantee_of, purpose_of

    return {"guarantee": GuaranteeType(guarantee_of(iou.guarantee_type, iou.guarantor)).label,
            "guarantee_recorded": bool(iou.guarantee_type),
            "purpose": Purpose(purpose_of(iou.purpose_category)).label,
            "purpose_recorded": bool(iou.purpose_category)}


def evidence_url(iou: Iou, user) -> str | None:
    """证据包 (H4's download, ioudesk.legal.evidence): for who may download it, on an IOU in effect or
    ended (a draft or a cancelled IOU has no package)."""
    from ioudesk.legal.evidence import can_download_evidence

    if iou.status in (Status.DRAFT, Status.PENDING_APPROVAL, Status.CANCELLED):
        return None
    if not can_download_evidence(iou, user):
        return None
    return url_or_none("backoffice:evidence_package", iou.pk)


def reversible(iou: Iou, record, transactions) -> bool:
    """What 冲正 is offered on: the domain's predicate (predicates.can_reverse)."""
    return predicates.can_reverse(record, iou, only_transaction=len(transactions) == 1)


CLASSIFY_VERB = "调整五级分类"  # the audit verb of iou_classify


def hand_classification(iou: Iou, events) -> dict | None:
    """When the IOU's 五级分类 is a hand decision: the tier set, and who set it when and why (the
    latest 调整五级分类 event of the audit trail the page already read)."""
    if not iou.classification_manual:
        return None
    event = next((e for e in events if e.verb == CLASSIFY_VERB), None)
    return {"tier": Classification(iou.classification_manual).label,
            "shown": iou.classification == iou.classification_manual,
            "event": event}
