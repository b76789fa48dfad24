"""Error pages in the product's style and language. They never show a stack trace. Under /api/
they are the API's JSON error shape ({"code", "message", "details"}), e.g. for /api/v1/customers/abc,
which Django's URL resolver answers before the API sees it."""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

API_PREFIX = "/api/"
API_CODES = {400: "bad_request", 403: "permission_denied", 404: "not_found", 500: "server_error"}


def _error(request, status, title, message):
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"code": API_CODES[status], "message": str(message), "details": []}, status=status,
                            json_dumps_params={"ensure_ascii": False})
    return render(request, "ioudesk/error.html", {"status": status, "title": title, "message": message}, status=status)


def bad_request(request, exception=None):
    return _error(request, 400, _("请求有误"), _("请求的格式不正确。请返回上一页重新操作。"))


def permission_denied(request, exception=None):
    return _error(request, 403, _("没有权限"), _("您没有查看此页面的权限。如需开通，请联系系统管理员。"))


def page_not_found(request, exception=None):
    return _error(request, 404, _("页面不存在"), _("您访问的地址不存在，或记录已被删除。请检查网址，或从首页重新进入。"))


def server_error(request):
    return _error(request, 500, _("系统出错了"), _("处理请求时发生错误，已记录在系统日志中。请稍后重试；如果一直出现，请联系系统管理员。"))
