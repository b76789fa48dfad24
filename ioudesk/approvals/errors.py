"""The approvals app's own error: an operation that needs approval was asked for without one."""

from django.utils.translation import gettext_lazy as _

from ioudesk.core.errors import ApplicationError


class ApprovalRequired(ApplicationError):
    """Raised by ``services.gate``: the operation must go through its approval flow (submit_or_run)."""

    code = "approval_required"
    default_message = _("此操作须经审批：请提交审批，审批通过后自动执行。")
