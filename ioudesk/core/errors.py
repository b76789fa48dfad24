"""Application errors: every service raises one of these, every interface turns it into a message.

Each error has a stable `code` (for the API's JSON and for tests) and a message in the user's
language that says what to fix.
"""

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    code = "application_error"
    default_message = _("操作未能完成。")

    def __init__(self, message=None, *, code: str | None = None, extra: dict | None = None):
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.extra = extra or {}
        super().__init__(str(self.message))


class ValidationFailed(ApplicationError):
    code = "validation_failed"
    default_message = _("输入有误，请按提示修改后重试。")


class NotFound(ApplicationError):
    code = "not_found"
    default_message = _("记录不存在，或您无权查看。")


class PermissionDenied(ApplicationError):
    code = "permission_denied"
    default_message = _("您没有执行此操作的权限。")


class InvalidState(ApplicationError):
    code = "invalid_state"
    default_message = _("记录当前的状态不允许此操作。")
