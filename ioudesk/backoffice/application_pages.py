"""贷款申请 pages: desk entry (录入申请), the application page (everything needed to decide:
applicant, customer, materials with accept/return, screening and score, recommendation, previous
decisions, the pending approval with its decision form, 提交审批), the actions it posts, and a
material's file. The list is the admin changelist (backoffice/admin/applications.py).

The work is done by ioudesk.applications (services, selectors); these views parse, call one service
or selector and render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from ioudesk.applications import selectors, services
from ioudesk.applications.models import ApplicationMaterial, Channel, Status
from ioudesk.backoffice.mixins import add_service_error
from ioudesk.backoffice.pages import BackofficePage
from ioudesk.core import scope
from ioudesk.core.errors import ApplicationError, NotFound, PermissionDenied
from ioudesk.core.masking import mask_id_number, mask_phone
from ioudesk.products.models import Product


class DeskApplicationForm(forms.Form):
    product = forms.ModelChoiceField(label=_("贷款产品"), queryset=Product.objects.filter(is_active=True),
                                     empty_label=_("请选择"), error_messages={"required": _("请选择贷款产品。")})
    amount = forms.CharField(label=_("申请金额（元）"), max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    term = forms.CharField(label=_("期数（月）"), max_length=4, widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    purpose = forms.CharField(label=_("借款用途"), max_length=200)
    applicant_name = forms.CharField(label=_("申请人姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号"), max_length=30)
    phone = forms.CharField(label=_("手机号"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    email = forms.CharField(label=_("电子邮箱"), max_length=254, required=False)
    employer = forms.CharField(label=_("工作单位"), max_length=100, required=False)
    monthly_income = forms.CharField(label=_("月收入（元）"), max_length=20, required=False)
    monthly_debt = forms.CharField(label=_("现有每月还款（元）"), max_length=20, required=False,
                                   help_text=_("其他贷款、信用卡等每月需偿还的金额"))
    consent = forms.BooleanField(label=_("申请人已签署《个人信息授权及隐私条款》"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if field.required and name != "product":
                field.error_messages["required"] = _("请填写%(field)s。") % {"field": str(field.label).split("（")[0]}


class ApplicationCreatePage(BackofficePage):
    title = _("录入申请")
    template_name = "backoffice/applications/create.html"
    permission_required = ("applications.add_application",)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", DeskApplicationForm())
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        form = DeskApplicationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                application = services.application_create(
                    user=request.user, channel=Channel.DESK, product=data["product"], amount=data["amount"],
                    term=data["term"], purpose=data["purpose"], applicant_name=data["applicant_name"],
                    id_number=data["id_number"], phone=data["phone"], email=data.get("email", ""),
                    employer=data.get("employer", ""), monthly_income=data.get("monthly_income"),
                    monthly_debt=data.get("monthly_debt"), consent=bool(data.get("consent")))
            except ApplicationError as error:
                add_service_error(form, error)
            else:
                if application.status == Status.REJECTED:
                    messages.warning(request, _t("申请 %(number)s 已登记，但未通过初筛：%(reason)s") % {
                        "number": application.number, "reason": application.decision_reason})
                else:
                    messages.success(request, _t("申请 %(number)s 已登记。请上传并审核材料，然后提交审批。") % {
                        "number": application.number})
                return redirect("backoffice:application_detail", pk=application.pk)
        return self.render_to_response(self.get_context_data(form=form))


def _application_or_404(user, pk):
    application = selectors.application_get(user=user, pk=pk)
    if application is None:
        raise Http404(_t("申请不存在，或您无权查看。"))
    return application


class ApplicationDetailPage(BackofficePage):
    template_name = "backoffice/applications/detail.html"
    permission_required = ()

    def has_permission(self):
        user = self.request.user
        return user.is_active and user.is_staff

    def get_context_data(self, **kwargs):
        from ioudesk.approvals import selectors as approval_selectors

        user = self.request.user
        application = _application_or_404(user, self.kwargs["pk"])
        self.title = _t("贷款申请 %(number)s") % {"number": application.number}
        sees_branch = scope.can_see_branch(user, application.branch_id)
        can_review = (user.has_perm("applications.review_applicationmaterial") and sees_branch
                      and application.status in services.MATERIAL_UPLOAD_STATUSES)
        can_change = user.has_perm("applications.change_application") and sees_branch
        customer = application.customer
        history = approval_selectors.history_for(application)
        for item in history:
            item.timeline = list(item.decisions.select_related("decided_by", "to_user").order_by("at", "pk"))
        context = {
            "application": application,
            "id_masked": mask_id_number(application.id_number), "phone_masked": mask_phone(application.phone),
            "age": services.age_on(application.birth_date, application.created_at.date()) if application.birth_date else None,
            "items": services.checklist(application),
            "missing": services.missing_materials(application),
            "screening": selectors.screening_rows(application),
            "recommendation": application.recommendation or None,
            "approval_requests": approval_selectors.pending_for(application),
            "history": history,
            "events": application.events.select_related("user").order_by("-at", "-pk"),
            "customer": customer,
            "customer_url": reverse("backoffice:customer_overview", args=[customer.pk])
            if customer is not None and user.has_perm("customers.view_customer")
            and scope.can_see_branch(user, customer.branch_id) else None,
            "iou_url": reverse("backoffice:iou_detail", args=[application.iou_id])
            if application.iou_id and user.has_perm("ious.view_iou") and sees_branch else None,
            "can_review": can_review,
            "can_upload": user.has_perm("applications.add_applicationmaterial") and sees_branch
            and application.status in services.MATERIAL_UPLOAD_STATUSES,
            "can_submit": user.has_perm("applications.submit_application") and sees_branch
            and application.status in (Status.SUBMITTED, Status.RETURNED, Status.DRAFT),
            "can_offer": can_change and application.status == Status.OFFERED,
            "can_withdraw": can_change and application.status in (Status.DRAFT, Status.SUBMITTED, Status.RETURNED),
            "can_download": user.has_perm("applications.view_applicationmaterial"),
            "tracking_url": self.request.build_absolute_uri(
                reverse("portal:status", args=[application.tracking_token])) if can_change else None,
        }
        kwargs.update(context)
        return super().get_context_data(**kwargs)


class ApplicationActionPage(BackofficePage):
    """The application page's forms post here: one service per action, back to the page with the
    outcome."""

    permission_required = ()
    http_method_names = ["post"]

    def has_permission(self):
        user = self.request.user
        return user.is_active and user.is_staff

    def post(self, request, *args, **kwargs):
        application = _application_or_404(request.user, self.kwargs["pk"])
        action = request.POST.get("action", "")
        back = redirect("backoffice:application_detail", pk=application.pk)
        try:
            message = self._run(request, application, action)
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            if message:
                messages.success(request, message)
        return back

    def _material(self, request, application):
        try:
            pk = int(request.POST.get("material", ""))
        except ValueError as error:
            raise NotFound(_("材料不存在。")) from error
        material = application.materials.filter(pk=pk).first()
        if material is None:
            raise NotFound(_("材料不存在。"))
        return material

    def _run(self, request, application, action):
        user = request.user
        if action in ("accept", "return"):
            material = self._material(request, application)
            services.material_review(material=material, user=user, accept=action == "accept",
                                     reason=request.POST.get("reason", ""))
            return (_t("“%(item)s”已通过。") if action == "accept" else _t("“%(item)s”已退回，已通知申请人。")) % {
                "item": material.requirement.name}
        if action == "upload":
            item = next((i for i in services.checklist(application)
                         if str(i["requirement"].pk) == request.POST.get("requirement", "")), None)
            if item is None:
                raise NotFound(_("材料项不存在。"))
            services.material_upload(application=application, requirement=item["requirement"],
                                     upload=request.FILES.get("file"), user=user)
            return _t("“%(item)s”已上传。") % {"item": item["requirement"].name}
        if action == "submit":
            outcome = services.application_submit(application=application, user=user,
                                                  comment=request.POST.get("comment", ""))
            application.refresh_from_db()
            if application.status == Status.REJECTED:
                return _t("申请未通过初筛：%(reason)s") % {"reason": application.decision_reason}
            if outcome.request is not None:
                return _t("已提交审批（审批单号 %(number)s），审批通过后自动建立借据。") % {"number": outcome.request.number}
            return _t("无需审批，已建立借据。")
        if action in ("offer_accept", "offer_decline"):
            services.application_offer_respond(application=application, accept=action == "offer_accept", user=user,
                                               note=request.POST.get("note", ""))
            return _t("已记录申请人接受新条件，借据已建立。") if action == "offer_accept" else _t("已记录申请人不接受新条件。")
        if action == "withdraw":
            services.application_withdraw(application=application, user=user, reason=request.POST.get("reason", ""))
            return _t("申请已撤回。")
        raise NotFound(_("不支持的操作。"))


class ApplicationMaterialDownload(BackofficePage):
    permission_required = ("applications.view_applicationmaterial",)

    def get(self, request, *args, **kwargs):
        application = _application_or_404(request.user, self.kwargs["pk"])
        material = ApplicationMaterial.objects.filter(application=application, pk=self.kwargs["material"]).first()
        if material is None:
            raise Http404(_t("材料不存在。"))
        try:
            handle = services.material_open(user=request.user, material=material)
        except PermissionDenied as error:
            raise DjangoPermissionDenied(str(error.message)) from error
        except NotFound as error:
            raise Http404(str(error.message)) from error
        response = FileResponse(handle, as_attachment=True, filename=material.original_name,
                                content_type=material.content_type or "application/octet-stream")
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        return response


urlpatterns = [
    path("applications/new/", ApplicationCreatePage.as_view(), name="application_create"),
    path("applications/<int:pk>/", ApplicationDetailPage.as_view(), name="application_detail"),
    path("applications/<int:pk>/act/", ApplicationActionPage.as_view(), name="application_action"),
    path("applications/<int:pk>/materials/<int:material>/", ApplicationMaterialDownload.as_view(),
         name="application_material"),
]
