import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from ioudesk.backoffice.pages import BackofficePage
from ioudesk.core import twofactor
from ioudesk.core.errors import ApplicationError


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("6位验证码"), min_length=6, max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def _qr_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


class TwoFactorPage(BackofficePage):
    template_name = "backoffice/two_factor.html"
    title = _("双重验证设备")

    def get_context_data(self, **kwargs):
        user = self.request.user
        pending = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        kwargs.setdefault("form", TokenForm())
        return super().get_context_data(
            **kwargs,
            confirmed=TOTPDevice.objects.filter(user=user, confirmed=True),
            pending=pending,
            qr=_qr_data_uri(pending.config_url) if pending else None,
        )

    def post(self, request, *args, **kwargs):
        step = request.POST.get("step")
        if step == "start":
            twofactor.totp_device_start(user=request.user)
        elif step == "remove":
            twofactor.totp_devices_remove(user=request.user)
            messages.success(request, _("已停用双重验证。"))
        elif step == "confirm":
            form = TokenForm(request.POST)
            if not form.is_valid():
                return self.render_to_response(self.get_context_data(form=form))
            try:
                device = twofactor.totp_device_confirm(user=request.user, token=form.cleaned_data["token"])
            except ApplicationError as error:
                form.add_error("token", error.message)
                return self.render_to_response(self.get_context_data(form=form))
            otp_login(request, device)
            messages.success(request, _("双重验证已启用，以后登录时需要输入验证码。"))
        return redirect("backoffice:two_factor")


class VerifyPage(BackofficePage):
    template_name = "backoffice/otp_verify.html"
    title = _("输入验证码")

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", TokenForm())
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        form = TokenForm(request.POST)
        if form.is_valid():
            device = twofactor.verify(user=request.user, token=form.cleaned_data["token"])
            if device is not None:
                otp_login(request, device)
                target = request.GET.get("next", "")
                if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                    target = resolve_url("admin:index")
                return redirect(target)
            form.add_error("token", _("验证码不正确或已过期，请输入身份验证器上当前显示的6位数字。"))
        return self.render_to_response(self.get_context_data(form=form))


class RequireSecondFactorMiddleware:
    """Staff with a confirmed device must pass the code check before any back-office page opens."""

    ALLOWED = ("/admin/login/", "/admin/logout/", "/admin/otp/verify/", "/static/", "/i18n/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and request.path.startswith("/admin/")
            and not request.path.startswith(self.ALLOWED)
            and not user.is_verified()
            and twofactor.has_confirmed_device(user)
        ):
            return redirect(f"{reverse('backoffice:otp_verify')}?next={request.get_full_path()}")
        return self.get_response(request)
