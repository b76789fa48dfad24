"""django-simple-captcha's app, named in Chinese: its model declares no verbose name, so the
permission pickers and the audit trail's type filter would show "Captcha | captcha store". The
names are set on the loaded model's options, not its Meta (no migration follows from them)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaptchaConfig(AppConfig):
    name = "captcha"
    label = "captcha"
    default_auto_field = "django.db.models.AutoField"
    verbose_name = _("验证码")

    def ready(self):
        model = self.get_model("CaptchaStore")
        model._meta.verbose_name = _("验证码记录")
        model._meta.verbose_name_plural = _("验证码记录")
