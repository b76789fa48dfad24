"""Payment terms in the reader's language (receivables.terms_text): in Chinese word for word what
calc.payterms.describe writes into a bill, in English from the catalogue (needs the compiled .mo)."""

from __future__ import annotations

import pytest
from django.utils import translation

from ioudesk.calc import payterms
from ioudesk.calc.payterms import TermsSpec
from ioudesk.receivables.models import PaymentTerms
from ioudesk.receivables.terms_text import describe, terms_display

SPECS = [
    TermsSpec("cod"),
    TermsSpec("net_days", 30),
    TermsSpec("month_end_net", 60, shift_holidays=True),
    TermsSpec("next_month_end"),
    TermsSpec("instalments", plan=({"days": 30, "percent": "30"}, {"days": 60, "percent": "70"})),
    TermsSpec("instalments", plan=({"months": 1, "percent": "12.50"}, {"months": 2, "percent": "37.5"},
                                   {"days": 90, "percent": "50%"}), shift_holidays=True),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.kind)
def test_chinese_is_what_the_bill_keeps(spec):
    with translation.override("zh-hans"):
        assert describe(spec) == payterms.describe(spec)


def test_english_words():
    with translation.override("en"):
        assert describe(SPECS[0]) == "Cash on delivery"
        assert describe(SPECS[1]) == "30 days after invoice"
        assert describe(SPECS[2]) == "60 days end of month (moved to the next working day)"
        assert describe(SPECS[4]) == "Installments: 30% at 30 days, 70% at 60 days"
        # 12.50 → 12.5 (normalized, as describe does); "50%" → 50; one month, singular
        assert describe(SPECS[5]) == ("Installments: 12.5% at 1 month, 37.5% at 2 months, 50% at 90 days "
                                      "(moved to the next working day)")


def test_terms_display_without_terms_and_with_broken_terms():
    broken = PaymentTerms(name="旧条款", kind="instalments", days=0, plan=[{"days": 30, "percent": "40"}])
    with translation.override("zh-hans"):
        assert terms_display(None) == "未约定付款期限（随时请求履行，民法典第511条）"
        assert terms_display(broken) == "旧条款"  # the percents add up to 40, not 100: no due dates, its name
        assert terms_display(PaymentTerms(name="月结", kind="month_end_net", days=30)) == "月结30天"
    with translation.override("en"):
        assert terms_display(PaymentTerms(name="月结", kind="month_end_net", days=30)) == "30 days end of month"
