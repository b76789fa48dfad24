"""The public pages (no login): apply for a loan, find an application, and its status page (what is
missing, uploads, the decision, the counter-offer). Mobile first. Every write is one service of
ioudesk.applications; every refusal is shown on the page, never a 500."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _t
from django.views import View

from ioudesk.applications import services
from ioudesk.applications.models import Status
from ioudesk.core.context import client_ip
from ioudesk.core.errors import ApplicationError
from ioudesk.portal.forms import ApplyForm, TrackForm, UploadForm


def _render(request, template_name, context, status=200):
    """Every public page names the lender (the organisation's short name) in its header and title."""
    from ioudesk.core.services import organisation_current

    return render(request, template_name, {**context, "organisation_name": str(organisation_current())}, status=status)


def _service_error(form, error: ApplicationError) -> None:
    """Put a service error next to the field it names (or at the top of the form)."""
    details = error.extra.get("details") or []
    placed = False
    for detail in details:
        field = detail.get("field")
        if field in form.fields:
            form.add_error(field, detail["message"])
            placed = True
    if not placed:
        field = error.extra.get("field")
        form.add_error(field if field in form.fields else None, str(error.message))


def _application_or_404(token):
    application = services.application_by_token(token)
    if application is None:
        raise Http404(_t("没有找到该申请，请从“查询进度”重新进入。"))
    return application


class ApplyView(View):
    template_name = "portal/apply.html"

    def get(self, request):
        return _render(request, self.template_name, {"form": ApplyForm(), "consent_version": services.CONSENT_VERSION})

    def post(self, request):
        form = ApplyForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                application = services.portal_apply(
                    client_ip=client_ip(request) or "", honeypot=data.get("website", ""),
                    product=data["product"], amount=data["amount"], term=data["term"], purpose=data["purpose"],
                    applicant_name=data["applicant_name"], id_number=data["id_number"], phone=data["phone"],
                    email=data.get("email", ""), monthly_income=data.get("monthly_income"),
                    employer=data.get("employer", ""), monthly_debt=data.get("monthly_debt"),
                    consent=bool(data.get("consent")), branch=data.get("branch"))
            except ApplicationError as error:
                _service_error(form, error)
            else:
                request.session["portal_new"] = application.number
                return redirect(reverse("portal:status", args=[application.tracking_token]))
        # the bound form keeps what was typed; its captcha is drawn anew (an answer is used once)
        return _render(request, self.template_name, {"form": form, "consent_version": services.CONSENT_VERSION})


class TrackView(View):
    template_name = "portal/track.html"

    def get(self, request):
        return _render(request, self.template_name, {"form": TrackForm()})

    def post(self, request):
        form = TrackForm(request.POST)
        if form.is_valid():
            try:
                application = services.tracking_lookup(number=form.cleaned_data["number"],
                                                       phone_last4=form.cleaned_data["phone_last4"],
                                                       client_ip=client_ip(request) or "")
            except ApplicationError as error:
                form.add_error("number" if error.code == "not_found" else None, str(error.message))
            else:
                return redirect(reverse("portal:status", args=[application.tracking_token]))
        return _render(request, self.template_name, {"form": form})


STEPS = [
    (Status.SUBMITTED, "已提交"), (Status.IN_REVIEW, "审批中"), ("decided", "审批结果"), ("loan", "放款"),
]


class StatusView(View):
    template_name = "portal/status.html"

    def get(self, request, token):
        application = _application_or_404(token)
        return _render(request, self.template_name, self.context(request, application))

    def context(self, request, application, upload_errors=None):
        items = services.checklist(application)
        new = request.session.pop("portal_new", None) == application.number
        return {
            "application": application, "items": items, "new": new,
            "events": application.events.filter(public=True).order_by("-at", "-pk"),
            "can_upload": application.status in services.MATERIAL_UPLOAD_STATUSES,
            "can_withdraw": application.status in (Status.SUBMITTED, Status.RETURNED),
            "offer": application.offer if application.status == Status.OFFERED else None,
            "missing": [i for i in items if i["needed"]],
            "upload_errors": upload_errors or {},
            "upload_form": UploadForm(),
        }


class UploadView(View):
    def post(self, request, token, requirement):
        application = _application_or_404(token)
        item = next((i for i in services.checklist(application) if i["requirement"].pk == requirement), None)
        if item is None:
            raise Http404(_t("材料项不存在。"))
        form = UploadForm(request.POST, request.FILES)
        errors = {}
        if not form.is_valid():
            errors[requirement] = _t("请选择要上传的文件。")
        else:
            try:
                services.material_upload(application=application, requirement=item["requirement"],
                                         upload=form.cleaned_data["file"], client_ip=client_ip(request) or "")
            except ApplicationError as error:
                errors[requirement] = str(error.message)
            else:
                messages.success(request, _t("“%(item)s”已上传，我们会尽快审核。") % {"item": item["requirement"].name})
                return redirect(reverse("portal:status", args=[token]) + "#materials")
        application.refresh_from_db()
        view = StatusView()
        return _render(request, view.template_name, view.context(request, application, errors), status=200)


class OfferView(View):
    def post(self, request, token):
        application = _application_or_404(token)
        accept = request.POST.get("answer") == "accept"
        try:
            services.application_offer_respond(application=application, accept=accept)
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _t("已接受新的借款条件。") if accept else _t("已记录：您不接受新的借款条件。"))
        return redirect(reverse("portal:status", args=[token]))


class WithdrawView(View):
    def post(self, request, token):
        application = _application_or_404(token)
        try:
            services.application_withdraw(application=application, reason=_t("申请人在进度页撤回"))
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _t("申请已撤回。"))
        return redirect(reverse("portal:status", args=[token]))
