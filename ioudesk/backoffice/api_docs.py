"""接口文档: the API reference as a back-office page, in the user's language.

Read from the same OpenAPI document the API serves (/api/v1/openapi.json), so it cannot drift:
operations grouped by tag with their parameters, request fields and answers, then the data
structures. Swagger UI (English only: it ships no translations) stays available for developers
who want to try requests, at /api/v1/docs/swagger, linked from here and labelled as such.
"""

from __future__ import annotations

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from ioudesk.backoffice.pages import BackofficePage

METHOD_ORDER = {"get": 0, "post": 1, "put": 2, "patch": 3, "delete": 4}

# JSON types and formats in the reader's language (the names in code stay as they are).
TYPE_NAMES = {
    "string": _("字符串"), "integer": _("整数"), "number": _("数字"), "boolean": _("布尔值"),
    "object": _("对象"), "null": _("空"), "array": _("数组"),
}
FORMAT_NAMES = {"date": _("日期"), "date-time": _("日期时间"), "binary": _("文件"), "uuid": "UUID", "email": _("电子邮箱")}
PARAMETER_PLACES = {"query": _("查询参数"), "path": _("路径"), "header": _("请求头"), "cookie": "Cookie"}
# What each answer means. ninja describes them in English ("OK"); the code says it all.
STATUS_NAMES = {
    "200": _("成功"), "201": _("已创建"), "204": _("成功，无内容"), "400": _("请求有误（如缺少幂等键）"),
    "401": _("未认证：缺少或无效的接口令牌"), "403": _("无权限"), "404": _("不存在或不在可见范围内"),
    "409": _("与当前状态冲突"), "413": _("文件过大"), "415": _("不支持的文件类型"), "422": _("校验未通过：逐项指出有误的字段"),
    "429": _("请求过于频繁"),
}


def _with_code(text: str) -> SafeString:
    """A summary or description with its `backticked` parts (field names, headers, as OpenAPI's
    CommonMark writes code) shown as code, the rest escaped.

    >>> str(_with_code("上传（`file`、`kind`）<b>"))
    '上传（<code>file</code>、<code>kind</code>）&lt;b&gt;'
    """
    parts = str(text or "").split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick is a backtick
        parts = [str(text)]
    return SafeString("".join(format_html("<code>{}</code>", part) if index % 2 else conditional_escape(part)
                              for index, part in enumerate(parts)))


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _type_of(schema: dict) -> str:
    """A short type label: string, integer, 'Customer', 'array of Installment', 'string | null'."""
    if not schema:
        return ""
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " | ".join(filter(None, (_type_of(part) for part in schema[key])))
    kind = schema.get("type", "")
    name = str(TYPE_NAMES.get(kind, kind))
    if kind == "array":
        return f"{name}[{_type_of(schema.get('items', {}))}]"
    if "format" in schema:
        return str(FORMAT_NAMES.get(schema["format"], name))
    if "enum" in schema:
        return f"{name}: " + ", ".join(str(value) for value in schema["enum"])
    return name


def _fields(schema: dict, components: dict) -> list[dict]:
    if "$ref" in schema:
        schema = components.get(_ref_name(schema["$ref"]), {})
    required = set(schema.get("required", ()))
    return [
        {"name": name, "type": _type_of(prop), "required": name in required,
         "description": _with_code(prop.get("description", ""))}  # never the title: ninja makes it from the English name
        for name, prop in schema.get("properties", {}).items()
    ]


def api_reference(schema: dict) -> dict:
    """Operations by tag and data structures, from an OpenAPI 3 document."""
    components = schema.get("components", {}).get("schemas", {})
    groups: dict[str, list[dict]] = {}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in sorted(operations.items(), key=lambda item: METHOD_ORDER.get(item[0], 9)):
            if method not in METHOD_ORDER:
                continue
            body = operation.get("requestBody", {}).get("content", {})
            body_schema = next(iter(body.values()), {}).get("schema", {}) if body else {}
            responses = []
            for status, answer in sorted(operation.get("responses", {}).items(), key=lambda item: str(item[0])):
                content = answer.get("content", {})
                answer_schema = next(iter(content.values()), {}).get("schema", {}) if content else {}
                responses.append({"status": status, "description": STATUS_NAMES.get(str(status), ""),
                                  "type": _type_of(answer_schema)})
            groups.setdefault((operation.get("tags") or ["—"])[0], []).append({
                "id": operation.get("operationId", f"{method}{path}"),
                "method": method.upper(), "path": path,
                "summary": _with_code(operation.get("summary", "")),
                "description": _with_code(operation.get("description", "")),
                "parameters": [
                    {"name": p["name"], "in": p.get("in", ""), "required": p.get("required", False),
                     "type": _type_of(p.get("schema", {})), "description": _with_code(p.get("description", ""))}
                    # query/path/header, in words
                    | {"in": str(PARAMETER_PLACES.get(p.get("in", ""), p.get("in", "")))}
                    for p in operation.get("parameters", [])
                ],
                "body_type": _type_of(body_schema), "body_fields": _fields(body_schema, components),
                "body_media": next(iter(body), "") if body else "",
                "responses": responses,
            })
    structures = [{"name": name, "fields": _fields(component, components)}
                  for name, component in sorted(components.items())]
    return {"groups": list(groups.items()), "structures": structures,
            "version": schema.get("info", {}).get("version", "")}


class ApiDocsPage(BackofficePage):
    title = _("接口文档")
    template_name = "backoffice/api_docs.html"

    def get_context_data(self, **kwargs):
        from ioudesk.api.urls import api

        return super().get_context_data(**kwargs, **api_reference(api.get_openapi_schema()))
