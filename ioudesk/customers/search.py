"""Finding customers from one search box (the back office list, the API).

The query is classified by its shape first, so that each kind of query is answered from one
index (or an OR of two indexed conditions), fast at a million customers:

==========================  ===============================================  =====================
shape                       meaning                                          column (indexed)
==========================  ===============================================  =====================
11 digits starting with 1   mobile phone (spaces, dashes, +86 allowed)       phone_index (blind)
7–12 digits starting with 0 landline with area code                          phone_index (blind)
18 chars, 17 digits + 0-9X  身份证号 (check character verified)              id_number_index (blind)
18 chars of the USCC set    统一社会信用代码 (check character verified)      credit_code
4 digits (last may be X)    last four digits of the phone or ID number       phone_last4, id_last4
KH + digits                 customer number, whole or its beginning          number
Latin letters               pinyin (zhangsan, zhang) or initials (zs)        name_pinyin, name_initials
2+ letters/digits, not the  any part of the name (建国 finds 王建国, 悟空      name_bigrams (FTS5 on
above                       finds 测试用户孙悟空, 华信 finds 北京华信科技…)   SQLite, GIN on PG)
one character               the beginning of the name (张 finds 张三丰)      name
==========================  ===============================================  =====================

Prefixes are written as ranges (``name >= '张三' AND name < '张上'``), not ``__startswith``:
on SQLite Django's ``LIKE … ESCAPE`` cannot use a B-tree index, a range always can (and does on
PostgreSQL too, whatever the collation, since both bounds compare the same way the index sorts).
Full-width characters (１３８…) are folded to ASCII first (NFKC), as the blind index does.

Searching inside names ("三丰" for 张三丰) is answered from the substring index of
``ioudesk.customers.search_index`` (the name's overlapping pairs of characters; decision 0005),
never by scanning names (``LIKE '%三丰%'`` reads all of them: hundreds of milliseconds at a
million customers). Spaces and punctuation are ignored there ("北京 华信" finds 北京华信科技).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet

from ioudesk.calc import idcheck, uscc
from ioudesk.core import scope
from ioudesk.core.crypto import blind_index
from ioudesk.customers import search_index
from ioudesk.customers.models import Customer
from ioudesk.customers.services import ID_PURPOSE, PHONE_PURPOSE, PREFIX, phone_normalised

_SEPARATORS = re.compile(r"[\s\-_/.·()（）]+")
_ID_SHAPE = re.compile(r"^[1-8]\d{16}[\dX]$")
_USCC_SHAPE = re.compile(rf"^[{uscc.ALPHABET}]{{18}}$")
_LAST4 = re.compile(r"^\d{3}[\dX]$")
_NUMBER = re.compile(rf"^{PREFIX}(\d{{1,8}})(?:-(\d*))?$")
_NUMBER_COMPACT = re.compile(rf"^{PREFIX}(\d{{8}})(\d+)$")
_LETTERS = re.compile(r"^[a-z]+$")


@dataclass(frozen=True)
class Term:
    """One indexed condition the query stands for: ``kind`` names it (for tests and the bench)."""

    kind: str  # phone | id_number | credit_code | last4 | number | pinyin | initials | substring | name
    column: str
    value: str
    prefix: bool = False

    def q(self) -> Q:
        if self.kind == "substring":  # pk IN (the ids the substring index gives)
            return search_index.substring_ids(self.value, connection.vendor)
        if not self.prefix:
            return Q(**{self.column: self.value})
        return Q(**{f"{self.column}__gte": self.value, f"{self.column}__lt": successor(self.value)})


def successor(prefix: str) -> str:
    """The smallest string greater than every string that starts with ``prefix``.

    >>> successor("张三"), successor("zs"), successor("KH20261128-")
    ('张上', 'zt', 'KH20261128.')
    """
    while prefix and ord(prefix[-1]) >= 0x10FFFF:
        prefix = prefix[:-1]
    if not prefix:
        return "\U0010ffff"
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def normalise(query: str) -> str:
    """Full-width to ASCII (NFKC), runs of whitespace to one space, trimmed."""
    return " ".join(unicodedata.normalize("NFKC", query or "").split())


def terms(query: str) -> list[Term]:
    """What a search box query means, as indexed conditions (ORed); [] for an empty query.

    >>> [(t.kind, t.value) for t in terms("zs")]
    [('pinyin', 'zs'), ('initials', 'zs'), ('substring', 'zs')]
    >>> [(t.kind, t.value) for t in terms("北京 华信")]
    [('substring', '北京华信')]
    >>> [(t.kind, t.value) for t in terms("００２ｘ")]
    [('last4', '002X'), ('last4', '002X')]
    >>> [(t.kind, t.value, t.prefix) for t in terms("kh20261128-00")]
    [('number', 'KH20261128-00', True)]
    """
    text = normalise(query)
    if not text:
        return []
    compact = _SEPARATORS.sub("", text).upper()
    digits = compact.removeprefix("+")

    if digits.isdigit():
        phone = phone_normalised(digits)
        if len(phone) == 11 and phone.startswith("1"):
            return [Term("phone", "phone_index", blind_index(phone, PHONE_PURPOSE))]
        if 7 <= len(phone) <= 12 and phone.startswith("0"):
            return [Term("phone", "phone_index", blind_index(phone, PHONE_PURPOSE))]
    if len(compact) == 4 and _LAST4.match(compact):
        return [Term("last4", "phone_last4", compact), Term("last4", "id_last4", compact)]
    if len(compact) == 18:
        found = []
        if _ID_SHAPE.match(compact) and idcheck.check_character(compact[:17]) == compact[17]:
            found.append(Term("id_number", "id_number_index", blind_index(compact, ID_PURPOSE)))
        if _USCC_SHAPE.match(compact) and uscc.check_character(compact[:17]) == compact[17]:
            found.append(Term("credit_code", "credit_code", compact))
        if found:
            return found
    number = _number(compact)
    if number:
        return [number]
    letters = compact.lower()
    if _LETTERS.match(letters):  # pinyin, and letters in the name itself (ABC贸易有限公司)
        return [Term("pinyin", "name_pinyin", letters, prefix=True),
                Term("initials", "name_initials", letters, prefix=True),
                Term("substring", "name_bigrams", letters)]
    if len(search_index.folded(text)) >= 2:
        return [Term("substring", "name_bigrams", search_index.folded(text))]
    return [Term("name", "name", text, prefix=True)]


def _number(compact: str) -> Term | None:
    """KH20261128-0001 exactly; KH2026… / KH20261128-00… as a prefix; KH202611280001 as typed without the dash."""
    whole = _NUMBER_COMPACT.match(compact)  # the separators are gone: put the dash back
    if whole:
        compact = f"{PREFIX}{whole.group(1)}-{whole.group(2)}"
    match = _NUMBER.match(compact)
    if not match:
        return None
    day, sequence = match.groups()
    exact = len(day) == 8 and sequence is not None and len(sequence) >= 4
    return Term("number", "number", compact, prefix=not exact)


def search_condition(query: str) -> Q | None:
    """The WHERE condition for ``query``; None when there is nothing to search for."""
    found = terms(query)
    if not found:
        return None
    condition = Q()
    for term in found:
        condition |= term.q()
    return condition


def search_customers(user, query: str, queryset: QuerySet | None = None) -> QuerySet:
    """The customers ``user`` may see (data scope) that match ``query``; all of them for an empty query."""
    queryset = scope.scope_queryset(user, queryset if queryset is not None else Customer.objects.all())
    found = terms(query)
    if not found:
        return queryset
    # Search as "id IN (the matching ids)" rather than with the condition itself. The subquery can
    # only be answered from the search columns' indexes; the outer query then seeks each id (in the
    # branch index, branch_id=? AND rowid=?, for a scoped user) and reads the page newest first
    # straight from the sorted id list. Written directly, the condition would compete with the
    # scope's branch_id IN (…) — without ANALYZE statistics SQLite reads the whole branch row by
    # row (100–200 ms at a million customers) — and the page would join and sort every match.
    # A substring term alone already is "id IN (ids from the substring index)": not wrapped again.
    # With other terms (pinyin) it joins their OR inside the one subquery: two IN lists ORed in the
    # outer query would make SQLite read the user's whole branch to test each id against both.
    condition = search_condition(query)
    if all(term.kind == "substring" for term in found):
        return queryset.filter(condition)
    return queryset.filter(pk__in=Customer.objects.filter(condition).values("pk"))
