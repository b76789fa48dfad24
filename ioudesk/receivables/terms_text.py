"""Payment terms (付款条件) in the reader's language, for pages. docs/domain.md §26.

``calc.payterms.describe`` is Django-free and writes the Chinese words a bill keeps
(``Bill.terms_text``: data, frozen when the bill is saved, whatever the language of the clerk).
Pages that describe the terms as they are now — the 付款条件 admin list and the bill form's live
preview — say the same through the catalogue, so that an English page reads "30 days end of
month" instead of 月结30天. In Chinese the words are exactly ``describe``'s
(ioudesk/receivables/tests/test_g_terms_text.py compares them).
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _g
from django.utils.translation import ngettext

from ioudesk.calc import payterms
from ioudesk.calc.errors import CalcError
from ioudesk.receivables.models import PaymentTerms, TermsKind


def _part(part: dict) -> str:
    # check_spec has refused a part without a whole number of days or months or with a bad percent.
    unit = "days" if part.get("days") not in (None, "") else "months"
    count = int(part[unit])
    percent = f"{Decimal(str(part.get('percent')).strip().rstrip('%')).normalize():f}"
    if unit == "days":
        text = ngettext("%(n)s天付%(percent)s%%", "%(n)s天付%(percent)s%%", count)
    else:
        text = ngettext("%(n)s个月付%(percent)s%%", "%(n)s个月付%(percent)s%%", count)
    return text % {"n": count, "percent": percent}


def describe(spec: payterms.TermsSpec) -> str:
    """``payterms.describe`` in the active language (CalcError for terms that give no due dates)."""
    payterms.check_spec(spec)
    if spec.kind == payterms.NET_DAYS:
        text = _g("票到%(days)s天") % {"days": spec.days}
    elif spec.kind == payterms.MONTH_END_NET:
        text = _g("月结%(days)s天") % {"days": spec.days}
    elif spec.kind == payterms.INSTALMENTS:
        parts = [_part(part) for part in spec.plan]
        joined = parts[0]
        for part in parts[1:]:
            joined = _g("%(list)s，%(item)s") % {"list": joined, "item": part}
        text = _g("分期：%(parts)s") % {"parts": joined}
    else:
        text = str(TermsKind(spec.kind).label)
    if spec.shift_holidays:
        text = _g("%(terms)s（遇节假日顺延）") % {"terms": text}
    return text


def terms_display(terms: PaymentTerms | None) -> str:
    """What ``bills.terms_describe`` says, in the active language (for the admin list and the preview)."""
    if terms is None:
        return _g("未约定付款期限（随时请求履行，民法典第511条）")
    try:
        return describe(payterms.TermsSpec(kind=terms.kind, days=int(terms.days or 0), plan=tuple(terms.plan or ()),
                                           shift_holidays=bool(terms.shift_holidays)))
    except CalcError:
        return terms.name
