"""Annualised rate (年化利率) from the real cash flows, and the principal that counts by law.

**Rule.** Since 2021 lenders must disclose the annualised rate computed on the cash actually
received and repaid (中国人民银行公告〔2021〕第3号; docs/domain.md §5): find the periodic internal
rate of return ``i`` with

    amount actually received = Σ payment_k / (1 + i) ^ t_k

and annualise it **nominally**, ``i × periods per year`` (for monthly installments IRR × 12),
as the PBOC announcement's worked examples do (an APR, not the effective
``(1 + i) ^ 12 − 1``; :func:`effective_annual_rate` gives that one for comparison).

Worked example: ¥1,200 borrowed 等本等息 at "月息0.5%" (quoted 6 % a year) is repaid in 12
installments of ¥100 principal + ¥6 interest; the true annualised rate is about 10.9 %:

>>> annualised_rate(Decimal("1200"), [Decimal("106.00")] * 12, periods_per_year=12)
Decimal('0.108964')

**砍头息** (interest deducted in advance): the amount written on the IOU is the principal,
but where interest was deducted in advance the amount actually delivered is the principal
(法释〔2020〕17号 art. 26; Civil Code art. 670):

>>> legal_principal(Decimal("100000"), deducted_in_advance=Decimal("10000"))
Decimal('90000.00')
"""
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext
from itertools import pairwise

from ioudesk.calc.errors import CalcError, InvalidAmount
from ioudesk.calc.money import quantize

#: Annualised rates are given to 0.0001 % (six decimals of a fraction).
RATE_PLACES = Decimal("0.000001")
_TOLERANCE = Decimal("1e-15")
_ONE = Decimal(1)


class IrrNotFound(CalcError):
    code = "irr_not_found"
    default_message = "无法根据现金流求出年化利率，请检查放款金额和还款金额"


def periodic_irr(
    advance: Decimal, payments: Sequence[Decimal], first_period: Decimal = _ONE, *, guess: Decimal | None = None
) -> Decimal:
    """The rate per period ``i`` equating ``advance`` (received at t = 0) with ``payments``.

    ``payments[k]`` is paid at ``first_period + k`` periods; ``first_period`` differs from 1
    when the first period is broken (e.g. 1.5 for a 45-day first month).

    >>> periodic_irr(Decimal("100"), [Decimal("110")])
    Decimal('0.100000000000000')
    """
    flows = [(first_period + k, Decimal(p)) for k, p in enumerate(payments)]
    return irr_at_times(advance, flows, guess=guess)


def irr_at_times(
    advance: Decimal, flows: Sequence[tuple[Decimal, Decimal]], *, guess: Decimal | None = None
) -> Decimal:
    """The rate per period equating ``advance`` with ``(time in periods, amount)`` flows.

    Newton's method from ``guess`` (or a rough estimate), with bisection as a fallback, so it
    converges for any loan (one outflow, then inflows).  Precise to 1e-15 per period.

    >>> irr_at_times(Decimal("100"), [(Decimal("0.5"), Decimal("50")), (Decimal("2"), Decimal("60"))])
    Decimal('0.076213694798826')
    """
    if advance <= 0:
        raise InvalidAmount("实际到手金额必须大于0，请检查砍头息和手续费是否超过了本金")
    amounts = [amount for _, amount in flows]
    if not amounts or any(a < 0 for a in amounts) or sum(amounts) <= 0:
        raise IrrNotFound("还款金额必须非负且合计大于0，才能计算年化利率")
    with localcontext() as ctx:
        ctx.prec = 30
        prepared = _prepare(flows)
        if guess is None:
            guess = (sum(amounts) / advance - 1) / max(prepared[-1][1], _ONE) * 2
        rate = _newton(advance, prepared, guess)
        if rate is None:
            rate = _bisect(advance, prepared)
    return rate.quantize(_TOLERANCE)


def _prepare(flows) -> list[tuple["int | Decimal", Decimal, Decimal]]:
    """Sorted ``(gap from previous flow, time, amount)``; whole gaps as ``int`` for fast powers."""
    prepared, previous = [], Decimal(0)
    flows = [(Decimal(t), Decimal(a)) for t, a in flows if a]
    if any(later[0] < earlier[0] for earlier, later in pairwise(flows)):
        flows.sort()
    for t, amount in flows:
        gap = t - previous
        prepared.append((int(gap) if gap == gap.to_integral_value() else gap, t, amount))
        previous = t
    return prepared


def _npv(rate: Decimal, advance: Decimal, flows) -> tuple[Decimal, Decimal]:
    """Net present value of the flows less the advance, and its derivative in ``rate``."""
    v = _ONE / (_ONE + rate)
    value, weighted, discount = -advance, Decimal(0), _ONE
    for gap, t, amount in flows:
        discount *= v if gap == 1 else v**gap
        present = amount * discount
        value += present
        weighted += t * present
    return value, -weighted * v


def _newton(advance, flows, guess) -> Decimal | None:
    rate = guess if guess > Decimal("-0.9") else Decimal(0)
    for _ in range(60):
        value, slope = _npv(rate, advance, flows)
        if slope == 0:
            return None
        step = value / slope
        rate -= step
        if rate <= -1 or rate > 100:
            return None
        if abs(step) < _TOLERANCE:
            return rate
    return None


def _bisect(advance, flows) -> Decimal:
    low, high = Decimal("-0.999999"), _ONE
    while _npv(high, advance, flows)[0] > 0:
        high *= 2
        if high > 10**6:
            raise IrrNotFound()
    for _ in range(200):
        mid = (low + high) / 2
        if _npv(mid, advance, flows)[0] > 0:
            low = mid
        else:
            high = mid
        if high - low < _TOLERANCE:
            break
    return (low + high) / 2


def annualised_rate(
    advance: Decimal,
    payments: Sequence[Decimal],
    *,
    periods_per_year: "Decimal | int",
    first_period: Decimal = _ONE,
    guess: Decimal | None = None,
) -> Decimal:
    """Nominal annualised IRR (periodic IRR × periods per year) to 0.0001 %, half-up.

    >>> annualised_rate(Decimal("90000"), [Decimal("100000")], periods_per_year=1)
    Decimal('0.111111')
    """
    periodic = periodic_irr(advance, payments, first_period, guess=guess)
    return (periodic * Decimal(periods_per_year)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def effective_annual_rate(periodic: Decimal, periods_per_year: "Decimal | int") -> Decimal:
    """Compounded annual rate ``(1 + i) ^ n − 1``, for comparison with the nominal one.

    >>> effective_annual_rate(Decimal("0.01"), 12)
    Decimal('0.126825')
    """
    with localcontext() as ctx:
        ctx.prec = 34
        value = (_ONE + periodic) ** Decimal(periods_per_year) - 1
    return value.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def legal_principal(face_amount: Decimal, *, deducted_in_advance: Decimal = Decimal(0)) -> Decimal:
    """The principal a court recognises: the amount on the IOU less interest deducted in advance.

    >>> legal_principal(Decimal("5000"), deducted_in_advance=Decimal("6000"))
    Traceback (most recent call last):
    ...
    ioudesk.calc.errors.InvalidAmount: 预扣利息（砍头息）6000不能达到或超过借条金额5000，请核对
    """
    if deducted_in_advance < 0:
        raise InvalidAmount("预扣利息（砍头息）不能为负数，请输入0或正数")
    if deducted_in_advance >= face_amount:
        raise InvalidAmount(f"预扣利息（砍头息）{deducted_in_advance}不能达到或超过借条金额{face_amount}，请核对")
    return quantize(face_amount - deducted_in_advance)
