"""How a person's name is written: the one rule for staff names in the sidebar, lists, the audit
trail, documents and the API.

Chinese names are written family name first, with no space: 张 + 伟 is "张伟" (Django's default
``get_full_name()`` gives "伟 张"). Names written only in Latin letters keep the Western order with
a space ("Wei Zhang"), the way their owners write them.
"""

from __future__ import annotations

import re

# CJK Unified Ideographs (with extension A), compatibility ideographs, and the middle dot of
# transcribed foreign names (·).
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u00b7\u30fb]")


def person_name(family: str | None, given: str | None) -> str:
    """The full name from its parts.

    >>> person_name("张", "伟"), person_name("欧阳", "娜娜"), person_name("Zhang", "Wei")
    ('张伟', '欧阳娜娜', 'Wei Zhang')
    >>> person_name(" 陈 ", ""), person_name("", ""), person_name(None, "静")
    ('陈', '', '静')
    """
    family, given = (family or "").strip(), (given or "").strip()
    if _CJK.search(family) or _CJK.search(given):
        return f"{family}{given}"
    return f"{given} {family}".strip()


def staff_name(user) -> str:
    """What to call a staff member on a page or paper: the full name, or the user name when no name
    is recorded. ``""`` for no user.

    The user model's ``get_full_name()`` and ``str()`` use it, so templates that print a user
    (Unfold's user menu, list columns, select boxes) follow the same rule."""
    if user is None:
        return ""
    return person_name(getattr(user, "last_name", ""), getattr(user, "first_name", "")) or user.get_username()


def staff_label(user) -> str:
    """The name with the user name, for records that must tell two 张伟 apart (the audit trail):
    "张伟（zhangwei）", or just "zhangwei" when no name is recorded."""
    if user is None:
        return ""
    name = person_name(getattr(user, "last_name", ""), getattr(user, "first_name", ""))
    username = user.get_username()
    return f"{name}（{username}）" if name and name != username else username
