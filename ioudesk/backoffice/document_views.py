"""PDF documents in the back office: the 借条/欠条 of an IOU, the 展期协议 of each extension, the
还款凭证 of a payment and the 结清证明 of a settled IOU, shown inline (the browser's PDF viewer prints them).

The services in ioudesk.documents.services check the permission and the data scope and write the
audit trail; here an IOU of another branch is a 404, exactly like an id that does not exist, and a
document the record's state does not allow is explained on the error page.
"""

from urllib.parse import quote

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _g

from ioudesk.backoffice.pages import BackofficePage
from ioudesk.core.errors import ApplicationError, NotFound, PermissionDenied
from ioudesk.documents import services
from ioudesk.documents.context import extension_number, receipt_number
from ioudesk.documents.pdf import FontMissing
from ioudesk.ious.models import Iou, ScheduleVersion, Transaction


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    """Inline PDF; the name in RFC 5987 form (filename*=UTF-8''…) with an ASCII fallback."""
    fallback = filename.encode("ascii", "ignore").decode().replace('"', "") or "document.pdf"
    if fallback != filename:
        fallback = fallback.rsplit(".pdf", 1)[0].rstrip("-") + ".pdf"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class DocumentView(BackofficePage):
    """Login and staff (BackofficePage); the services check ious.view_iou and the scope."""

    permission_required = ()

    def get(self, request, *args, **kwargs):
        try:
            content, filename = self.make(request.user, kwargs["pk"])
        except NotFound as error:
            raise Http404(str(error.message)) from error
        except PermissionDenied as error:
            raise DjangoPermissionDenied(str(error.message)) from error
        except FontMissing as error:
            return self.refused(request, error, status=503)
        except ApplicationError as error:
            return self.refused(request, error, status=409)
        return pdf_response(content, filename)

    def refused(self, request, error, *, status):
        return render(request, "ioudesk/error.html",
                      {"status": status, "title": _g("无法生成单据"), "message": error.message}, status=status)

    def make(self, user, pk):  # pragma: no cover - abstract
        raise NotImplementedError


def _iou(pk) -> Iou:
    iou = Iou.objects.filter(pk=pk).first()
    if iou is None:
        raise NotFound()
    return iou


class IouPdf(DocumentView):
    def make(self, user, pk):
        iou = _iou(pk)
        content = services.iou_document_pdf(iou=iou, user=user)
        return content, services.document_filename(iou.number, services.iou_document_kind(iou))


class ReceiptPdf(DocumentView):
    def make(self, user, pk):
        record = Transaction.objects.select_related("iou").filter(pk=pk).first()
        if record is None:
            raise NotFound()
        content = services.receipt_pdf(transaction=record, user=user)
        return content, services.document_filename(receipt_number(record), "receipt")


class SettlementPdf(DocumentView):
    def make(self, user, pk):
        iou = _iou(pk)
        content = services.settlement_certificate_pdf(iou=iou, user=user)
        return content, services.document_filename(iou.number, "settlement")


class ExtensionPdf(DocumentView):
    """``pk`` is the extension's schedule version."""

    def make(self, user, pk):
        version = ScheduleVersion.objects.select_related("iou").filter(pk=pk).first()
        if version is None:
            raise NotFound()
        content = services.extension_agreement_pdf(version=version, user=user)
        number = f"{version.iou.number}-ZQ{extension_number(version):02d}"
        return content, services.document_filename(number, "extension")


urlpatterns = [
    path("ious/<int:pk>/pdf/", IouPdf.as_view(), name="iou_pdf"),
    path("ious/transactions/<int:pk>/receipt.pdf", ReceiptPdf.as_view(), name="receipt_pdf"),
    path("ious/<int:pk>/settlement.pdf", SettlementPdf.as_view(), name="settlement_pdf"),
    path("ious/schedules/<int:pk>/extension.pdf", ExtensionPdf.as_view(), name="extension_pdf"),
]
