"""django-otp's own admin for TOTP devices, in Unfold's look and in Chinese.

django-otp registers a plain ``admin.ModelAdmin`` with English fieldsets and unmarked English
labels; in Unfold's layout its inputs had no visible box (issue 9, defect 2). Staff set up their own
authenticator on 双重验证 (ioudesk/backoffice/twofactor.py); this page is for the administrator who
has to look at or remove a device.

django-otp's model fields have English verbose names that are not marked for translation (no
catalogue can reach them), so every place the admin shows a field's name gets ours: the form
labels, the list's columns and filters, the read-only fields and the search hint. The secret key
and its QR code are not shown for an existing device (``OTP_ADMIN_HIDE_SENSITIVE_DATA``, settings)."""

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin as OtpTOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from unfold.admin import ModelAdmin
from unfold.decorators import display

from ioudesk.backoffice.mixins import UnfoldWidgetsMixin

LABELS = {
    "user": _("员工"), "name": _("设备名称"), "confirmed": _("已确认"), "created_at": _("创建时间"),
    "last_used_at": _("最近使用"), "key": _("密钥（十六进制）"), "step": _("时间步长（秒）"), "t0": _("起始时间 T0"),
    "digits": _("位数"), "tolerance": _("容差（步数）"), "drift": _("时钟偏移（步数）"),
    "throttling_failure_timestamp": _("最近失败时间"), "throttling_failure_count": _("连续失败次数"),
}
SECTIONS = [_("设备"), _("时间"), _("参数"), _("状态"), _("失败限制")]



def _titled(filter_class, title):
    """A list filter of the field under our title (Django takes the field's verbose name)."""

    class Titled(filter_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    return Titled


# django-otp's read-only fields, shown through our labels (a model field's label is its verbose name).
READONLY = {"created_at": "created_at_shown", "last_used_at": "last_used_at_shown"}


def _moment(value):
    return date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else None

if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(UnfoldWidgetsMixin, OtpTOTPDeviceAdmin, ModelAdmin):
    list_display = ["user_shown", "name_shown", "created_at_shown", "last_used_at_shown", "confirmed_shown"]
    list_filter = [("created_at", _titled(admin.DateFieldListFilter, LABELS["created_at"])),
                   ("last_used_at", _titled(admin.DateFieldListFilter, LABELS["last_used_at"])),
                   ("confirmed", _titled(admin.BooleanFieldListFilter, LABELS["confirmed"]))]
    search_help_text = _("按员工的用户名或电子邮件地址搜索")
    readonly_fields = [*READONLY.values(), "qrcode_link"]

    def get_fieldsets(self, request, obj=None):
        sections = [*SECTIONS, None]  # the last one (the QR code, when shown) has no title
        return [(title, {**options, "fields": [READONLY.get(name, name) for name in options["fields"]]})
                for title, (_english, options) in zip(sections, super().get_fieldsets(request, obj), strict=False)]

    @display(description=LABELS["user"], ordering="user__username")
    def user_shown(self, device):
        return device.user

    @display(description=LABELS["name"], ordering="name")
    def name_shown(self, device):
        return device.name

    @display(description=LABELS["created_at"], ordering="created_at")
    def created_at_shown(self, device):
        return _moment(device.created_at)

    @display(description=LABELS["last_used_at"], ordering="last_used_at")
    def last_used_at_shown(self, device):
        return _moment(device.last_used_at)

    @display(description=LABELS["confirmed"], boolean=True, ordering="confirmed")
    def confirmed_shown(self, device):
        return device.confirmed

    @display(description=_("二维码"))
    def qrcode_link(self, device):
        if device.pk is None:
            return ""
        return format_html('<a href="{}">{}</a>', reverse("admin:otp_totp_totpdevice_config", kwargs={"pk": device.pk}),
                           _("二维码"))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        for name, field in form.base_fields.items():
            if name in LABELS:
                field.label = LABELS[name]
                field.help_text = ""
        return form
