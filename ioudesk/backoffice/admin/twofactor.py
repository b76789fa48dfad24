"""django-otp's own admin for TOTP devices, in Unfold's look and in Chinese.

django-otp registers a plain ``admin.ModelAdmin`` with English fieldsets and unmarked English
labels; in Unfold's layout its inputs had no visible box (issue 9, defect 2). Staff set up their own
authenticator on 双重验证 (ioudesk/backoffice/twofactor.py); this page is for the administrator who
has to look at or remove a device."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin as OtpTOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from unfold.admin import ModelAdmin

from ioudesk.backoffice.mixins import UnfoldWidgetsMixin

LABELS = {
    "user": _("员工"), "name": _("设备名称"), "confirmed": _("已确认"), "created_at": _("创建时间"),
    "last_used_at": _("最近使用"), "key": _("密钥（十六进制）"), "step": _("时间步长（秒）"), "t0": _("起始时间 T0"),
    "digits": _("位数"), "tolerance": _("容差（步数）"), "drift": _("时钟偏移（步数）"),
    "throttling_failure_timestamp": _("最近失败时间"), "throttling_failure_count": _("连续失败次数"),
}
SECTIONS = [_("设备"), _("时间"), _("参数"), _("状态"), _("失败限制")]

if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(UnfoldWidgetsMixin, OtpTOTPDeviceAdmin, ModelAdmin):
    def get_fieldsets(self, request, obj=None):
        return [(title, options) for title, (_english, options) in
                zip(SECTIONS, super().get_fieldsets(request, obj), strict=False)]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        for name, field in form.base_fields.items():
            if name in LABELS:
                field.label = LABELS[name]
                field.help_text = ""
        return form
