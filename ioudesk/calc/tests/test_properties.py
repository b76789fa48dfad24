"""Properties that must hold for every loan, checked with hypothesis."""
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ioudesk.calc.allocation import Direction, DueItem, Strategy, allocate
from ioudesk.calc.dates import Frequency
from ioudesk.calc.daycount import DayCount
from ioudesk.calc.money import from_fen
from ioudesk.calc.rates import Rate
from ioudesk.calc.schedule import LastInstallment, LoanTerms, Method, generate_schedule
from ioudesk.calc.words import amount_in_words

SCHEDULED = [m for m in Method if m is not Method.CUSTOM]
principals = st.integers(min_value=100, max_value=10**11).map(from_fen)  # ¥1.00 … ¥10亿
rates = st.integers(min_value=0, max_value=3600).map(lambda bp: Rate(Decimal(bp) / 10000))  # 0–36 %
starts = st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31))


@st.composite
def loan_terms(draw, methods=SCHEDULED, allow_first_due=True, max_rate_bp=3600):
    start = draw(starts)
    frequency = draw(st.sampled_from(list(Frequency)))
    first_due = None
    if allow_first_due and draw(st.booleans()):
        latest = frequency.nth_due(start, 2)
        first_due = start + timedelta(days=draw(st.integers(min_value=1, max_value=(latest - start).days)))
    return LoanTerms(
        principal=draw(principals),
        rate=Rate(Decimal(draw(st.integers(min_value=0, max_value=max_rate_bp))) / 10000),
        term=draw(st.integers(min_value=1, max_value=120)),
        start=start,
        method=draw(st.sampled_from(methods)),
        frequency=frequency,
        day_count=draw(st.sampled_from(list(DayCount))),
        first_due=first_due,
        last_installment=draw(st.sampled_from(list(LastInstallment))),
    )


@settings(max_examples=150, deadline=None)
@given(loan_terms())
def test_principal_parts_sum_exactly_and_balances_end_at_zero(terms):
    schedule = generate_schedule(terms)
    assert sum(row.principal for row in schedule.installments) == terms.principal
    assert schedule.total_principal == terms.principal
    assert all(row.balance >= 0 and row.principal >= 0 and row.interest >= 0 for row in schedule.installments)
    assert schedule.installments[-1].balance == 0
    assert all(row.total == row.principal + row.interest + row.fee for row in schedule.installments)
    assert all(row.principal.as_tuple().exponent == -2 for row in schedule.installments)


@settings(max_examples=100, deadline=None)
@given(loan_terms(methods=[Method.EQUAL_INSTALLMENT], allow_first_due=False, max_rate_bp=2400))
def test_equal_installment_payments_are_equal_except_the_last(terms):
    assume(terms.principal >= 1000 and terms.term >= 2)
    schedule = generate_schedule(terms)
    # an installment whose period's interest alone exceeds the level payment (a 92-day quarter at
    # 24 % over 90 quarters under ACT/360) pays interest only: interest is never capitalised
    rows = schedule.installments[:-1]
    level = {row.total for row in rows if row.principal > 0}
    assert len(level) <= 1
    if level:
        (payment,) = level
        assert all(row.interest >= payment for row in rows if row.principal == 0)


@settings(max_examples=60, deadline=None)
@given(
    principal=st.integers(min_value=1000, max_value=10**7).map(Decimal),
    rate_bp=st.integers(min_value=100, max_value=3600),
    term=st.integers(min_value=2, max_value=60),
)
def test_flat_rate_costs_more_than_its_quote(principal, rate_bp, term):
    quoted = Decimal(rate_bp) / 10000
    schedule = generate_schedule(LoanTerms(principal=principal, rate=Rate(quoted), term=term,
                                           start=date(2025, 1, 15), method=Method.FLAT))
    assert schedule.annualised_rate > quoted


@settings(max_examples=60, deadline=None)
@given(
    principal=st.integers(min_value=1000, max_value=10**7).map(Decimal),
    rate_bp=st.integers(min_value=0, max_value=3600),
    term=st.integers(min_value=1, max_value=60),
    deducted_share=st.integers(min_value=1, max_value=30),
    method=st.sampled_from(SCHEDULED),
)
def test_interest_deducted_in_advance_costs_more_than_the_quote(principal, rate_bp, term, deducted_share, method):
    quoted = Decimal(rate_bp) / 10000
    deducted = (principal * deducted_share / 100).quantize(Decimal("0.01"))
    schedule = generate_schedule(LoanTerms(principal=principal, rate=Rate(quoted), term=term, start=date(2025, 1, 15),
                                           method=method, deducted_interest=deducted))
    assert schedule.annualised_rate > quoted


dues = st.lists(
    st.builds(
        lambda n, p, i, f, pen: DueItem(n, from_fen(p), from_fen(i), from_fen(f), from_fen(pen)),
        st.integers(min_value=1, max_value=999),
        *[st.integers(min_value=0, max_value=10**7)] * 4,
    ),
    max_size=8,
    unique_by=lambda item: item.number,
)


@settings(max_examples=150, deadline=None)
@given(payment=st.integers(min_value=0, max_value=10**8).map(from_fen), dues=dues,
       strategy=st.sampled_from(list(Strategy)), direction=st.sampled_from(list(Direction)))
def test_allocation_never_loses_or_invents_a_fen(payment, dues, strategy, direction):
    result = allocate(payment, dues, strategy=strategy, direction=direction)
    assert result.applied + result.overpayment == payment
    assert result.overpayment >= 0
    owed = {item.number: item for item in dues}
    for line in result.lines:
        for name in ("principal", "interest", "fee", "penalty"):
            assert 0 <= getattr(line, name) <= getattr(owed[line.number], name)
    if result.overpayment:
        assert result.applied == sum(item.total for item in dues)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=99999999999999).map(from_fen))
def test_amount_in_words_is_well_formed(amount):
    words = amount_in_words(amount)
    assert "零零" not in words
    assert words.endswith(("整", "角", "分"))
    assert not words.startswith("零") or words == "零元整"
    assert "零元" not in words or words == "零元整"
