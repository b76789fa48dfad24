"""Demand letters and the evidence package (H4 of issue 11).

* 发催款函/律师函 (``demand_letter``, a collection case, ``?kind=demand|lawyer``): what the letter will
  say (the breakdown owed today, the limitation date and its reasoning), a form for the time to pay
  and, for a 律师函, the law firm and the lawyer; 预览 opens the PDF marked 预览
  (``demand_letter_preview``); 发出并存档 issues it through ``legal.letters.demand_letter_issue`` (a
  contact record with the PDF attached) and then offers the delivery record (the contact form with
  ``?refers_to=``) and the stored letter (``demand_letter_pdf``, a contact record's letter).
* 证据包 (``evidence_package``, an IOU): the .zip of ``legal.evidence``, built in a temporary file.

The services check the permissions and the scope; here a case or IOU the user may not see is a 404.
"""

from __future__ import annotations

import tempfile
from urllib.parse import quote, urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.backoffice.document_views import pdf_response
from ioudesk.backoffice.pages import BackofficePage
from ioudesk.collections.models import AttachmentKind, Case, ContactRecord
from ioudesk.collections.predicates import can_view_case
from ioudesk.core import clock
from ioudesk.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from ioudesk.documents.pdf import FontMissing
from ioudesk.ious.models import Iou
from ioudesk.legal import evidence, letters


def _url(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _case(request, pk) -> Case:
    case = Case.objects.select_related("iou", "customer", "branch", "owner").filter(pk=pk).first()
    if case is None or not can_view_case(case, request.user):
        raise Http404(_g("催收案件不存在，或您无权查看。"))
    if case.iou_id is None:  # a receivables bill's case: dunned by 催款通知, no letter of an IOU
        raise Http404(_g("往来单据的催收案件不发催款函/律师函：催款通知由日终按催款规则发送。"))
    return case


def _refused(request, error, *, status: int, title=None):
    return render(request, "ioudesk/error.html",
                  {"status": status, "title": title or _g("无法生成函件"), "message": error.message}, status=status)


class LetterForm(forms.Form):
    kind = forms.ChoiceField(label=_("函件类型"), choices=[(letters.DEMAND, _("催款函")), (letters.LAWYER, _("律师函"))],
                             widget=forms.RadioSelect)
    pay_within_days = forms.IntegerField(label=_("付款期限（收函后天数）"), min_value=1, max_value=90,
                                         initial=letters.DEFAULT_PAY_WITHIN_DAYS)
    contact_phone = forms.CharField(label=_("我方联系电话"), max_length=30, required=False)
    law_firm = forms.CharField(label=_("律师事务所"), max_length=100, required=False,
                               help_text=_("律师函必填。"))
    lawyer = forms.CharField(label=_("承办律师"), max_length=50, required=False, help_text=_("律师函必填。"))
    lawyer_phone = forms.CharField(label=_("律师联系电话"), max_length=30, required=False)

    def options(self) -> letters.LetterOptions:
        data = self.cleaned_data
        return letters.LetterOptions(pay_within_days=data["pay_within_days"],
                                     contact_phone=data.get("contact_phone", "").strip(),
                                     law_firm=data.get("law_firm", "").strip(), lawyer=data.get("lawyer", "").strip(),
                                     lawyer_phone=data.get("lawyer_phone", "").strip())


def _kind(request) -> str:
    kind = request.GET.get("kind") or request.POST.get("kind") or letters.DEMAND
    return kind if kind in letters.KINDS else letters.DEMAND


class DemandLetterPage(BackofficePage):
    template_name = "backoffice/evidence/letter.html"
    permission_required = (letters.ISSUE_PERMISSION,)

    def get(self, request, *args, **kwargs):
        case = _case(request, kwargs["pk"])
        law_firm, lawyer = letters.lawyer_on_record(case)
        form = LetterForm(initial={"kind": _kind(request), "pay_within_days": letters.DEFAULT_PAY_WITHIN_DAYS,
                                   "law_firm": law_firm, "lawyer": lawyer})
        issued = None
        if request.GET.get("issued", "").isdigit():
            issued = ContactRecord.objects.filter(pk=int(request.GET["issued"]), case=case).first()
        return self.render_to_response(self.get_context_data(case=case, form=form, issued=issued))

    def post(self, request, *args, **kwargs):
        case = _case(request, kwargs["pk"])
        form = LetterForm(request.POST)
        if form.is_valid():
            try:
                record = letters.demand_letter_issue(case, kind=form.cleaned_data["kind"], by=request.user,
                                                     options=form.options())
            except ValidationFailed as error:
                field = (error.extra or {}).get("field")
                form.add_error(field if field in form.fields else None, str(error.message))
            except FontMissing as error:
                return _refused(request, error, status=503)
            except PermissionDenied as error:
                raise DjangoPermissionDenied(str(error.message)) from error
            except ApplicationError as error:
                form.add_error(None, str(error.message))
            else:
                title = letters.kind_label(form.cleaned_data["kind"])
                messages.success(request, _g("%(title)s已发出并存档为催收记录；送达后请登记送达回执，诉讼时效自送达之日起中断。")
                                 % {"title": title})
                url = reverse("backoffice:demand_letter", args=[case.pk])
                return redirect(f"{url}?{urlencode({'kind': form.cleaned_data['kind'], 'issued': record.pk})}")
        return self.render_to_response(self.get_context_data(case=case, form=form, issued=None), status=400)

    def get_context_data(self, *, case, form, issued, **kwargs):
        user = self.request.user
        kind = form["kind"].value() or letters.DEMAND
        kind = kind if kind in letters.KINDS else letters.DEMAND
        day = clock.today()
        iou = Iou.objects.select_related("customer").get(pk=case.iou_id)
        owed = letters.owed_on(iou, day)
        reading = letters.limitation_on(iou, day)
        issued_letter = None
        delivery_url = None
        if issued is not None:
            issued_letter = issued.attachments.filter(kind=AttachmentKind.LETTER).first()
            contact = _url("backoffice:collections_contact", case.pk)
            delivery_url = f"{contact}?{urlencode({'refers_to': issued.pk})}" if contact else None
        previous = list(ContactRecord.objects.filter(case=case, method__in=("letter", "lawyer_letter"),
                                                     attachments__kind=AttachmentKind.LETTER)
                        .select_related("recorded_by").distinct().order_by("-contacted_at")[:10])
        delivered = set(ContactRecord.objects.filter(refers_to__in=previous, outcome="delivered")
                        .values_list("refers_to_id", flat=True))
        for record in previous:
            record.is_delivered = record.pk in delivered
        self.title = _("发%(title)s") % {"title": letters.kind_label(kind)}
        return super().get_context_data(
            **kwargs, case=case, iou=iou, form=form,
            kind=kind, day=day, owed=owed, reading=reading, issued=issued, issued_letter=issued_letter,
            delivery_url=delivery_url, previous=previous, case_url=_url("backoffice:collections_case", case.pk),
            preview_url=reverse("backoffice:demand_letter_preview", args=[case.pk]),
            can_issue=letters.can_issue_letter(case, user),
            evidence_url=(reverse("backoffice:evidence_package", args=[iou.pk])
                          if evidence.can_download_evidence(iou, user) else None))


class DemandLetterPreview(BackofficePage):
    """The letter as it would be issued, marked 预览: the issue form posted here (its 预览PDF button,
    in a new tab), or a GET with the same fields."""

    permission_required = (letters.ISSUE_PERMISSION,)

    def post(self, request, *args, **kwargs):
        return self.preview(request, request.POST, kwargs["pk"])

    def get(self, request, *args, **kwargs):
        return self.preview(request, request.GET, kwargs["pk"])

    def preview(self, request, data, pk):
        case = _case(request, pk)
        form = LetterForm(data)
        if not form.is_valid():
            errors = "；".join(str(e) for errors in form.errors.values() for e in errors)
            return _refused(request, ApplicationError(errors), status=400)
        kind = form.cleaned_data["kind"]
        try:
            content = letters.letter_preview_pdf(case=case, kind=kind, user=request.user, options=form.options())
        except FontMissing as error:
            return _refused(request, error, status=503)
        except PermissionDenied as error:
            raise DjangoPermissionDenied(str(error.message)) from error
        except ApplicationError as error:
            return _refused(request, error, status=400)
        iou = case.iou
        return pdf_response(content, f"{letters.letter_number(iou, kind)}-{letters.KINDS[kind][3]}-预览.pdf")


class DemandLetterPdf(BackofficePage):
    """The letter stored on a contact record (its ``letter`` attachment), as it was issued."""

    permission_required = ("collections.view_contactattachment",)

    def get(self, request, *args, **kwargs):
        record = ContactRecord.objects.select_related("case__iou", "case__customer").filter(pk=kwargs["pk"]).first()
        if record is None:
            raise Http404
        try:
            name, content = letters.letter_stored_pdf(record=record, user=request.user)
        except NotFound as error:
            raise Http404(str(error.message)) from error
        except PermissionDenied as error:
            raise DjangoPermissionDenied(str(error.message)) from error
        return pdf_response(content, name)


class EvidencePackageDownload(BackofficePage):
    """证据包: the .zip, written to a temporary file (spooled to disk past 32 MB) and streamed."""

    permission_required = (evidence.PERMISSION,)

    def get(self, request, *args, **kwargs):
        iou = Iou.objects.filter(pk=kwargs["pk"]).first()
        if iou is None:
            raise Http404
        out = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
        try:
            info = evidence.evidence_package_build(iou, user=request.user, out=out)
        except NotFound as error:
            out.close()
            raise Http404(str(error.message)) from error
        except PermissionDenied as error:
            out.close()
            raise DjangoPermissionDenied(str(error.message)) from error
        except FontMissing as error:
            out.close()
            return _refused(request, error, status=503, title=_g("无法生成证据包"))
        except ApplicationError as error:
            out.close()
            return _refused(request, error, status=409, title=_g("无法生成证据包"))
        out.seek(0)
        response = FileResponse(out, content_type="application/zip")
        fallback = f"{iou.number}-evidence.zip"
        response["Content-Disposition"] = (f"attachment; filename=\"{fallback}\"; "
                                           f"filename*=UTF-8''{quote(info.filename)}")
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        response["X-Evidence-Manifest-SHA256"] = info.manifest_sha256
        return response


urlpatterns = [
    path("collection/cases/<int:pk>/letter/", DemandLetterPage.as_view(), name="demand_letter"),
    path("collection/cases/<int:pk>/letter/preview.pdf", DemandLetterPreview.as_view(), name="demand_letter_preview"),
    path("collection/records/<int:pk>/letter.pdf", DemandLetterPdf.as_view(), name="demand_letter_pdf"),
    path("ious/<int:pk>/evidence.zip", EvidencePackageDownload.as_view(), name="evidence_package"),
]
