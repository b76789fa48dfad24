from django.contrib.admin.views.decorators import staff_member_required
from ninja import NinjaAPI

from ioudesk.api import errors
from ioudesk.api.auth import StaffToken

api = NinjaAPI(
    title="欠条管家 API",
    version="1",
    description="IOU Desk REST API. 认证：`Authorization: Bearer <接口令牌>`，令牌在后台“系统设置 → 接口令牌”签发。"
    "错误统一为 `{\"code\", \"message\", \"details\"}`。",
    auth=StaffToken(),
    urls_namespace="api",
    docs_url="/docs/swagger",  # /api/v1/docs is the back office's reference page (ioudesk/backoffice/api_docs.py)
    docs_decorator=staff_member_required,  # the docs and schema are for signed-in staff
)
errors.install(api)


def _routers():
    from ioudesk.api.routers import ROUTERS

    for prefix, router in ROUTERS:
        api.add_router(prefix, router)


_routers()
