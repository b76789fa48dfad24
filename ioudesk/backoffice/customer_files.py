"""客户资料 in the back office: the upload page of a customer and the download of one file.

Both go through ioudesk.customers.files, which checks content, size, permission and data scope
and writes the audit trail. Uploads larger than FILE_UPLOAD_MAX_MEMORY_SIZE arrive as temporary
files, so a file far over the limit is refused by the service without being held in memory.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _

from ioudesk.backoffice.pages import BackofficePage
from ioudesk.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from ioudesk.customers import files
from ioudesk.customers.models import FileKind
from ioudesk.customers.selectors import customer_get


class CustomerFileForm(forms.Form):
    kind = forms.ChoiceField(label=_("资料类型"), choices=FileKind.choices, initial=FileKind.OTHER)
    note = forms.CharField(label=_("说明"), max_length=200, required=False,
                           help_text=_("如：2026年1-6月工资卡流水"))
    # Empty files are let through to the service, which says what to do about them.
    file = forms.FileField(label=_("文件"), allow_empty_file=True,
                           error_messages={"required": _("请选择要上传的文件")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ",".join(
            files.allowed_extensions() + sorted({k.content_type for k in files.allowed_kinds()}))
        self.fields["file"].help_text = _("可上传%(allowed)s（%(extensions)s），单个文件不超过%(limit)s。") % {
            "allowed": files.allowed_summary(), "extensions": " ".join(files.allowed_extensions()),
            "limit": files.limit_text(files.upload_max_bytes())}


class CustomerFileUploadPage(BackofficePage):
    template_name = "backoffice/customers/file_upload.html"
    permission_required = ("customers.add_customerfile",)

    def get_context_data(self, **kwargs):
        customer = self.customer()
        self.title = _("上传资料：%(name)s") % {"name": customer.name}
        kwargs.setdefault("form", CustomerFileForm(initial={"kind": "iou"} if self.iou() else None))
        return super().get_context_data(
            **kwargs, customer=customer, iou=self.iou(), allowed_kinds=files.allowed_kinds(),
            limit=files.limit_text(files.upload_max_bytes()))

    def customer(self):
        if not hasattr(self, "_customer"):
            self._customer = customer_get(user=self.request.user, pk=self.kwargs["pk"])
        return self._customer

    def iou(self):
        """The IOU the file belongs to (?iou=<pk>), looked up through the data scope."""
        from django.http import Http404

        from ioudesk.core import scope
        from ioudesk.ious.models import Iou

        pk = self.request.GET.get("iou")
        if not pk:
            return None
        if not pk.isdigit():
            raise Http404
        iou = scope.scope_queryset(self.request.user, Iou.objects.filter(pk=pk, customer=self.customer())).first()
        if iou is None:
            raise Http404
        return iou

    def post(self, request, *args, **kwargs):
        customer = self.customer()
        iou = self.iou()
        form = CustomerFileForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                row = files.customer_file_upload(
                    customer=customer, upload=form.cleaned_data["file"], kind=form.cleaned_data["kind"],
                    note=form.cleaned_data["note"], user=request.user, iou=iou)
            except ApplicationError as error:
                field = error.extra.get("field") if isinstance(error, ValidationFailed) else None
                form.add_error(field, error.message)
            else:
                messages.success(request, _("已上传资料“%(name)s”。") % {"name": row.original_name})
                if iou is not None:
                    return redirect("backoffice:iou_detail", pk=iou.pk)
                return redirect("backoffice:customer_overview", pk=customer.pk)
        return self.render_to_response(self.get_context_data(form=form))


class CustomerFileDownload(BackofficePage):
    """The file itself, as an attachment with the type found at upload, never rendered inline."""

    permission_required = ("customers.view_customerfile",)

    def get(self, request, *args, **kwargs):
        try:
            row, handle = files.customer_file_open(user=request.user, pk=self.kwargs["pk"])
        except PermissionDenied as error:
            raise DjangoPermissionDenied(str(error.message)) from error
        except NotFound as error:
            raise Http404(str(error.message)) from error
        response = FileResponse(handle, as_attachment=True, filename=row.original_name,
                                content_type=row.content_type or "application/octet-stream")
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        return response


urlpatterns = [
    path("customers/<int:pk>/files/upload/", CustomerFileUploadPage.as_view(), name="customer_file_upload"),
    path("customers/files/<int:pk>/download/", CustomerFileDownload.as_view(), name="customer_file_download"),
]
