from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _

# Names that third-party packages leave as plain English strings (not marked for translation), so
# no catalogue can reach them; they show in permission pickers and the audit log's filters.
THIRD_PARTY_APP_NAMES = {
    "axes": _("登录保护"),
    "unfold": _("界面"),
    "unfold_filters": _("界面筛选"),
    "unfold_forms": _("界面表单"),
    "django_otp": _("双重验证"),
    "otp_totp": _("双重验证设备"),
    "django_tasks": _("后台任务"),
    "django_tasks_database": _("后台任务"),
}
THIRD_PARTY_MODEL_NAMES = {
    ("otp_totp", "totpdevice"): (_("身份验证器"), _("身份验证器")),
}


class CoreConfig(AppConfig):
    name = "ioudesk.core"
    label = "core"
    verbose_name = _("系统设置")

    def ready(self):
        for label, name in THIRD_PARTY_APP_NAMES.items():
            if apps.is_installed(apps.get_app_config(label).name):
                apps.get_app_config(label).verbose_name = name
        for (label, model_name), (singular, plural) in THIRD_PARTY_MODEL_NAMES.items():
            meta = apps.get_model(label, model_name)._meta
            meta.verbose_name, meta.verbose_name_plural = singular, plural
