"""Message categories and their `{中文占位符}` placeholders.

Each app that sends messages registers its categories at start-up (AppConfig.ready()):

    register_category("repayment_due", label="到期提醒",
                      placeholders={"客户姓名": "客户的姓名或名称", "应还金额": "本期应还金额（元）"},
                      sample=lambda: {"客户姓名": "张伟", "应还金额": "1,234.56"})

A template's text may use only its category's placeholders: `template_check` refuses the others,
naming them, when the template is saved (not when a message is sent). `{{` and `}}` write a literal
brace.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from ioudesk.core.errors import ValidationFailed

PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    placeholders: dict[str, str] = field(default_factory=dict)
    sample: Callable[[], dict] = dict


_CATEGORIES: dict[str, Category] = {}


def register_category(category: str, *, label, placeholders: dict[str, str], sample: Callable[[], dict]) -> Category:
    """Register (or re-register: start-up may run twice in tests) a message category."""
    entry = Category(code=category, label=str(label), placeholders=dict(placeholders), sample=sample)
    _CATEGORIES[category] = entry
    return entry


def category_get(category: str) -> Category | None:
    return _CATEGORIES.get(category)


def categories() -> list[Category]:
    return sorted(_CATEGORIES.values(), key=lambda c: c.code)


def category_choices() -> list[tuple[str, str]]:
    return [(c.code, c.label) for c in categories()]


def category_label(category: str) -> str:
    entry = _CATEGORIES.get(category)
    return entry.label if entry else category


def placeholders_in(text: str) -> list[str]:
    """The placeholder names used in a text, in order of first appearance."""
    names: list[str] = []
    for match in PLACEHOLDER.finditer(text or ""):
        name = match.group(1)
        if name is not None and name.strip() and name.strip() not in names:
            names.append(name.strip())
    return names


def template_problems(text: str, category: str) -> list[str]:
    """What is wrong with a template text for a category (empty when nothing is)."""
    entry = _CATEGORIES.get(category)
    if entry is None:
        return [_("消息类别“%(category)s”不存在") % {"category": category}]
    problems = []
    unknown, stray = [], False
    for match in PLACEHOLDER.finditer(text or ""):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if match.group(1) is None:
            stray = True
            continue
        name = match.group(1).strip()
        if name not in entry.placeholders and name not in unknown:
            unknown.append(name)
    if unknown:
        problems.append(_("模板里有本类别没有的占位符：%(names)s。可用的占位符：%(known)s") % {
            "names": "、".join("{" + name + "}" for name in unknown),
            "known": "、".join("{" + name + "}" for name in entry.placeholders) or _("（无）"),
        })
    if stray:
        problems.append(_("模板里有不成对的花括号；要写花括号本身，请写成 %(open)s 或 %(close)s") % {"open": "{{", "close": "}}"})
    return problems


def template_check(text: str, category: str) -> None:
    """Refuse a template text with a placeholder its category does not have (naming each)."""
    problems = template_problems(text, category)
    if problems:
        raise ValidationFailed("；".join(problems), code="template_placeholder", extra={"problems": problems})


def render_text(text: str, context: dict) -> str:
    def replace(match: re.Match) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = (match.group(1) or "").strip()
        if match.group(1) is None:
            return token
        if name not in context:
            raise ValidationFailed(_("缺少占位符 {%(name)s} 的值") % {"name": name}, code="template_value_missing")
        value = context[name]
        return "" if value is None else str(value)

    return PLACEHOLDER.sub(replace, text or "")


def template_render(template, context: dict) -> tuple[str, str]:
    """(subject, body) of a template (a MessageTemplate or anything with subject and body) filled in."""
    return render_text(template.subject, context), render_text(template.body, context)


def template_params(template, context: dict) -> list[str]:
    """The values of the template's placeholders in order of appearance (subject, then body): what an
    SMS provider that sends by its own registered template receives."""
    names = placeholders_in(f"{template.subject}\n{template.body}")
    return ["" if context.get(name) is None else str(context.get(name)) for name in names]


def sample_context(category: str) -> dict:
    entry = _CATEGORIES.get(category)
    return dict(entry.sample()) if entry else {}
