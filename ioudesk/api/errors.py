"""One JSON shape for every API error:

    {"code": "validation_failed", "message": "…in the user's language…", "details": [...]}
"""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from ioudesk.calc.errors import CalcError
from ioudesk.core.calc_messages import calc_error_message
from ioudesk.core.errors import ApplicationError, NotFound, PermissionDenied

STATUS = {NotFound: 404, PermissionDenied: 403}


class ErrorOut(Schema):
    """Every error answer: a stable code, a message saying what to fix, and per-field details."""

    code: str
    message: str
    details: list[Any] = []


def documented(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error answers an operation documents, for its `response={...}`."""
    return {status: ErrorOut for status in statuses}


# What each kind of operation can answer besides success. 400: a service refused (ValidationFailed,
# InvalidState, a calculation error); 401: no valid token; 403: no permission or outside the data
# scope; 404: no such record (or not visible); 409: a conflict with a concurrent change; 422: the
# request does not match the schema or a value the database cannot hold.
CALC_ERRORS = documented(400, 401, 422)
READ_ERRORS = documented(400, 401, 403, 404, 422)
WRITE_ERRORS = documented(400, 401, 403, 404, 409, 422)


def error_body(code: str, message, details=None) -> dict:
    return {"code": code, "message": str(message), "details": details or []}


def install(api):
    @api.exception_handler(ApplicationError)
    def application_error(request, exc: ApplicationError):
        status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
        return api.create_response(request, error_body(exc.code, exc.message, exc.extra.get("details") or exc.extra.get("duplicates")), status=status)

    @api.exception_handler(CalcError)
    def calc_error(request, exc: CalcError):
        return api.create_response(request, error_body(exc.code, calc_error_message(exc)), status=400)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc: NinjaValidationError):
        details = [
            {"field": ".".join(str(p) for p in error.get("loc", [])[1:]) or None, "message": _describe(error)}
            for error in exc.errors
        ]
        message = _("请求数据有误：") + "；".join(
            f"{d['field']}：{d['message']}" if d["field"] else d["message"] for d in details
        )
        return api.create_response(request, error_body("validation_failed", message, details), status=422)

    @api.exception_handler(DjangoValidationError)
    def django_validation_error(request, exc: DjangoValidationError):
        # A model or form check that no service turned into a ValidationFailed: still the caller's
        # input, so 422 with the fields named, never a 500.
        if hasattr(exc, "error_dict"):
            details = [{"field": None if field == NON_FIELD_ERRORS else field, "message": str(message)}
                       for field, messages in exc.message_dict.items() for message in messages]
        else:
            details = [{"field": None, "message": str(message)} for message in exc.messages]
        message = _("请求数据有误：") + "；".join(
            f"{d['field']}：{d['message']}" if d["field"] else d["message"] for d in details)
        return api.create_response(request, error_body("validation_failed", message, details), status=422)

    # PostgreSQL refuses a number beyond its column with DataError; SQLite's driver raises
    # OverflowError before the query runs (e.g. ?customer_id=99999999999999999999): the same answer.
    @api.exception_handler(OverflowError)
    @api.exception_handler(DataError)
    def data_error(request, exc: DataError | OverflowError):
        # The database refused a value (too long, out of range): the input, not the server.
        return api.create_response(request, error_body(
            "invalid_value", _("有数据超出允许的长度或范围（如文字过长、数字过大），请核对后重试。")), status=422)

    @api.exception_handler(IntegrityError)
    def integrity_error(request, exc: IntegrityError):
        import logging

        logging.getLogger("ioudesk.api").warning("API integrity error: %s", exc)
        return api.create_response(request, error_body(
            "conflict", _("与已有记录冲突（可能刚被他人修改），请刷新后重试。")), status=409)

    @api.exception_handler(MultiPartParserError)
    def multipart_error(request, exc: MultiPartParserError):
        return api.create_response(request, error_body(
            "invalid_multipart", _("上传的数据不是有效的 multipart/form-data（缺少 boundary 或格式损坏）。"),
            [{"field": None, "message": str(exc)}]), status=400)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request, exc):
        return api.create_response(
            request, error_body("unauthenticated", _("请在 Authorization 头中提供有效的接口令牌：Bearer iou_…")), status=401
        )

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(request, error_body("not_found", _("记录不存在，或您无权查看。")), status=404)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return api.create_response(request, error_body(f"http_{exc.status_code}", exc.message), status=exc.status_code)

    @api.exception_handler(Exception)
    def server_error(request, exc):
        import logging

        logging.getLogger("ioudesk.api").exception("API error", exc_info=exc)
        return api.create_response(
            request, error_body("server_error", _("服务器处理请求时出错，已记录在系统日志中，请稍后重试。")), status=500
        )


def _describe(error: dict) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    messages = {
        "missing": _("缺少此字段"),
        "int_parsing": _("必须是整数"),
        "decimal_parsing": _("必须是数字"),
        "date_from_datetime_parsing": _("日期格式应为 2026-11-28"),
        "date_parsing": _("日期格式应为 2026-11-28"),
        "string_too_long": _("太长"),
        "too_long": _("太长"),
        "greater_than": _("必须大于 %(limit)s") % {"limit": ctx.get("gt")},
        "greater_than_equal": _("不能小于 %(limit)s") % {"limit": ctx.get("ge")},
        "less_than_equal": _("不能大于 %(limit)s") % {"limit": ctx.get("le")},
        "string_type": _("必须是文字（字符串）"),
        "int_type": _("必须是整数"),
        "bool_parsing": _("必须是 true 或 false"),
        "literal_error": _("取值必须是：%(allowed)s") % {"allowed": ctx.get("expected")},
        "json_invalid": _("JSON 格式不正确"),
        "enum": _("取值必须是：%(allowed)s") % {"allowed": ctx.get("expected")},
    }
    return str(messages.get(kind, error.get("msg", _("取值无效"))))
