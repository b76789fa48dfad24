"""A small, safe template language for document wording: Django's template engine on a string, in an
engine of its own with no loaders and no libraries, limited to

* ``{{ name }}`` with the placeholders of placeholders.py (no attribute lookups: ``{{ a.b }}`` is
  refused), optionally ``|default:"…"``;
* ``{% if name %}…{% elif … %}…{% else %}…{% endif %}`` (with and/or/not/==) and ``{# comments #}``.

Django silently renders an unknown variable as "", which would print a 借条 with a hole in it; so a
template is checked against the allowed names when it is saved (and again before each use), and any
other tag (include, extends, load, debug, for …) is refused. The output is plain text: autoescape is
off, and the PDF renderer escapes it for reportlab's paragraph markup itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import FilterExpression, Lexer, Node, TextNode, TokenType, Variable, VariableNode
from django.template.defaulttags import CommentNode, IfNode
from django.utils.translation import gettext as _

from ioudesk.core.errors import ValidationFailed
from ioudesk.documents.placeholders import allowed, sample_context

ENGINE = Engine(loaders=[("django.template.loaders.locmem.Loader", {})], autoescape=False, debug=False,
                string_if_invalid="")
ALLOWED_NODES = (TextNode, VariableNode, IfNode, CommentNode)
ALLOWED_FILTERS = {"default"}
ALLOWED_TAGS = {"if", "elif", "else", "endif"}

_SYNTAX_MESSAGES = [
    (re.compile(r"Invalid block tag on line (\d+): '([^']*)'"),
     lambda m: _("第%(line)s行：不支持的标签 {%% %(tag)s %%}，只能使用 {%% if %%}…{%% endif %%}。")
     % {"line": m[1], "tag": m[2]}),
    (re.compile(r"Unclosed tag on line (\d+): '([^']*)'"),
     lambda m: _("第%(line)s行：{%% %(tag)s %%} 没有结束，缺少 {%% end%(tag)s %%}。") % {"line": m[1], "tag": m[2]}),
    (re.compile(r"Invalid filter: '([^']*)'"),
     lambda m: _("不支持的过滤器“%(name)s”，只能使用 default。") % {"name": m[1]}),
    (re.compile(r"Could not parse the remainder: '([^']*)' from '([^']*)'"),
     lambda m: _("无法识别“%(text)s”：占位符只能由字母、数字和下划线组成。") % {"text": m[2]}),
    (re.compile(r"Empty variable tag on line (\d+)"),
     lambda m: _("第%(line)s行：{{ }} 中没有写占位符。") % {"line": m[1]}),
]


def _syntax_message(error: TemplateSyntaxError) -> str:
    text = str(error)
    for pattern, message in _SYNTAX_MESSAGES:
        match = pattern.search(text)
        if match:
            return message(match)
    return _("模板语法错误：%(detail)s") % {"detail": text}


def _condition_expressions(condition) -> Iterable[FilterExpression]:
    if condition is None:
        return
    value = getattr(condition, "value", None)
    if isinstance(value, FilterExpression):
        yield value
    for part in (condition.first, condition.second):
        if part is not None:
            yield from _condition_expressions(part)


def _expressions(node: Node) -> Iterable[FilterExpression]:
    if isinstance(node, VariableNode):
        yield node.filter_expression
    elif isinstance(node, IfNode):
        for condition, _nodelist in node.conditions_nodelists:
            yield from _condition_expressions(condition)


def _variables(expression: FilterExpression) -> Iterable[Variable]:
    if isinstance(expression.var, Variable):
        yield expression.var
    for func, args in expression.filters:
        name = getattr(func, "_filter_name", "?")
        if name not in ALLOWED_FILTERS:
            raise ValidationFailed(_("不支持的过滤器“%(name)s”，只能使用 default。") % {"name": name})
        for lookup, arg in args:
            if lookup:
                yield arg


def check(source: str, kind: str, *, field: str = "body"):
    """Compile a template and check it uses only the allowed tags and placeholders of ``kind``.
    Returns the compiled template; raises ValidationFailed with a message in Chinese."""
    names = allowed(kind)
    for token in Lexer(source or "").tokenize():  # before compiling: {% load %} acts at compile time
        if token.token_type == TokenType.BLOCK:
            tag = token.contents.split()[0] if token.contents.split() else ""
            if tag not in ALLOWED_TAGS:
                raise ValidationFailed(
                    _("第%(line)s行：不支持的标签 {%% %(tag)s %%}，只能使用 {%% if %%}…{%% endif %%}。") % {
                        "line": token.lineno, "tag": tag}, extra={"field": field})
    try:
        template = ENGINE.from_string(source or "")
    except TemplateSyntaxError as error:
        raise ValidationFailed(_syntax_message(error), extra={"field": field}) from error
    unknown: list[str] = []
    for node in template.nodelist.get_nodes_by_type(Node):
        if not isinstance(node, ALLOWED_NODES):
            tag = getattr(node, "token", None)
            shown = tag.contents.split()[0] if tag is not None and tag.contents else type(node).__name__
            raise ValidationFailed(
                _("不支持的标签 {%% %(tag)s %%}，只能使用 {%% if %%}…{%% endif %%}。") % {"tag": shown},
                extra={"field": field})
        for expression in _expressions(node):
            try:
                variables = list(_variables(expression))
            except ValidationFailed as error:
                error.extra["field"] = field
                raise
            for variable in variables:
                if variable.literal is not None:
                    continue
                if len(variable.lookups) > 1:
                    raise ValidationFailed(
                        _("占位符 {{ %(var)s }} 不能用“.”取属性，请直接使用可用的占位符。") % {"var": variable.var},
                        extra={"field": field})
                if variable.lookups[0] not in names and variable.lookups[0] not in unknown:
                    unknown.append(variable.lookups[0])
    if unknown:
        raise ValidationFailed(
            _("未知的占位符：%(unknown)s。本类单据可用的占位符有：%(names)s。") % {
                "unknown": "、".join("{{ " + name + " }}" for name in unknown),
                "names": "、".join(names)},
            extra={"field": field, "unknown": unknown})
    try:
        template.render(Context(sample_context(kind), autoescape=False))
    except Exception as error:  # a render-time failure with sample data: refuse, do not print later
        raise ValidationFailed(_("模板无法用示例数据生成：%(detail)s") % {"detail": error},
                               extra={"field": field}) from error
    return template


def render_text(source: str, kind: str, context: dict) -> str:
    """The template as plain text (checked first: a template changed in the database by other means
    is refused here rather than printed with holes)."""
    template = check(source, kind)
    return template.render(Context(context, autoescape=False))


def paragraphs(text: str) -> list[str]:
    """Blank lines separate paragraphs; a single line break stays a line break inside one.

    >>> paragraphs("第一段\\n第一段第二行\\n\\n\\n 第二段 ")
    ['第一段\\n第一段第二行', '第二段']
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]


def lines(text: str) -> list[str]:
    """Non-empty lines (for the closing block of signatures).

    >>> lines("借款人：\\n\\n  日期： ")
    ['借款人：', '日期：']
    """
    return [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
