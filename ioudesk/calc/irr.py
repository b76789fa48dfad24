"""Annualised rate (年化利率) from the real cash flows, and the principal that counts by law.

**Rule.** Since 2021 lenders must disclose the annualised rate computed on the cash actually
received and repaid (中国人民银行公告〔2021〕第3号; DOMAIN.md §3): find the periodic internal
rate of return ``i`` with

    amount actually received = Σ payment_k / (1 + i) ^ t_k

and annualise it **nominally**, ``i × periods per year`` (for monthly installments IRR × 12),
as the PBOC announcement's worked examples do (an APR, not the effective
``(1 + i) ^ 12 − 1``; :func:`effective_annual_rate` gives that one for comparison).

Worked example: ¥1,200 borrowed 等本等息 at "月息0.5%" (quoted 6 % a year) is repaid in 12
installments of ¥100 principal + ¥6 interest; the true annualised rate is about 10.9 %:

>>> annualised_rate(Decimal("1200"), [Decimal("106.00")] * 12, periods_per_year=12)
Decimal('0.108802')

**砍头息** (interest deducted in advance): the amount written on the IOU is the principal,
but where interest was deducted in advance the amount actually delivered is the principal
(法释〔2020〕17号 art. 26; Civil Code art. 670):

>>> legal_principal(Decimal("100000"), deducted_in_advance=Decimal("10000"))
Decimal('90000.00')
"""
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext

from ioudesk.calc.errors import CalcError, InvalidAmount
from ioudesk.calc.money import quantize

#: Annualised rates are given to 0.0001 % (six decimals of a fraction).
RATE_PLACES = Decimal("0.000001")
_TOLERANCE = Decimal("1e-20")
_ONE = Decimal(1)


class IrrNotFound(CalcError):
    code = "irr_not_found"
    default_message = "无法根据现金流求出年化利率，请检查放款金额和还款金额"


def periodic_irr(advance: Decimal, payments: Sequence[Decimal], first_period: Decimal = _ONE) -> Decimal:
    """The rate per period ``i`` equating ``advance`` (received at t = 0) with ``payments``.

    ``payments[k]`` is paid at ``first_period + k`` periods; ``first_period`` differs from 1
    when the first period is broken (e.g. 1.5 for a 45-day first month).  Newton's method
    from a sensible guess, with bisection as a fallback, so it always converges for a loan
    (one outflow, then inflows).

    >>> periodic_irr(Decimal("100"), [Decimal("110")])
    Decimal('0.10000000000000000000')
    """
    if advance <= 0:
        raise InvalidAmount("实际到手金额必须大于0，请检查砍头息和手续费是否超过了本金")
    if not payments or any(p < 0 for p in payments) or sum(payments) <= 0:
        raise IrrNotFound("还款金额必须非负且合计大于0，才能计算年化利率")
    with localcontext() as ctx:
        ctx.prec = 34
        flows = [(first_period + k, Decimal(p)) for k, p in enumerate(payments) if p]
        guess = (sum(payments) / advance - 1) / max(first_period + len(payments) - 1, _ONE) * 2
        rate = _newton(advance, flows, first_period, guess)
        if rate is None:
            rate = _bisect(advance, flows, first_period)
    return rate.quantize(_TOLERANCE)


def _npv(rate: Decimal, advance: Decimal, flows, first_period: Decimal) -> tuple[Decimal, Decimal]:
    """Net present value of the payments less the advance, and its derivative in ``rate``."""
    v = _ONE / (_ONE + rate)
    first = v**first_period if first_period != _ONE else v
    value, slope = -advance, Decimal(0)
    discount, t_prev = first, first_period
    for t, amount in flows:
        while t_prev < t:  # integer steps after the (possibly fractional) first period
            discount *= v
            t_prev += 1
        value += amount * discount
        slope -= t * amount * discount * v
    return value, slope


def _newton(advance, flows, first_period, guess) -> Decimal | None:
    rate = guess if guess > Decimal("-0.9") else Decimal(0)
    for _ in range(60):
        value, slope = _npv(rate, advance, flows, first_period)
        if slope == 0:
            return None
        step = value / slope
        rate -= step
        if rate <= -1 or rate > 100:
            return None
        if abs(step) < _TOLERANCE:
            return rate
    return None


def _bisect(advance, flows, first_period) -> Decimal:
    low, high = Decimal("-0.999999"), _ONE
    while _npv(high, advance, flows, first_period)[0] > 0:
        high *= 2
        if high > 10**6:
            raise IrrNotFound()
    for _ in range(200):
        mid = (low + high) / 2
        if _npv(mid, advance, flows, first_period)[0] > 0:
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
) -> Decimal:
    """Nominal annualised IRR (periodic IRR × periods per year) to 0.0001 %, half-up.

    >>> annualised_rate(Decimal("90000"), [Decimal("100000")], periods_per_year=1)
    Decimal('0.111111')
    """
    periodic = periodic_irr(advance, payments, first_period)
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
