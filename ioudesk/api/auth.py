from ninja.security import HttpBearer

from ioudesk.api.services import api_token_user
from ioudesk.core.context import _current, actor_for_user, client_ip


class StaffToken(HttpBearer):
    """`Authorization: Bearer iou_…` — a staff member's token, managed in the back office."""

    openapi_description = "员工接口令牌（后台：系统设置 → 接口令牌）"

    def authenticate(self, request, token):
        user = api_token_user(token)
        if user is None:
            return None
        request.user = user
        _current.set(actor_for_user(user, client_ip(request)))  # the audit trail's actor for this call
        return user
