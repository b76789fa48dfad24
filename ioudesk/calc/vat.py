"""VAT (增值税) amounts of a bill line, as a 增值税发票 prints them. docs/domain.md §26.

A line's 金额 (net, 不含税) is quantity × unit price (不含税单价) rounded half-up to the fen; its 税额
is that 金额 × the rate, rounded half-up to the fen; 价税合计 = 金额 + 税额. Each figure is rounded
once, from the figure before it, so the printed invoice adds up line by line (发票 software works
the same way). Rates are percents as the 增值税法 (2026) and its predecessors set them: 13, 9, 6,
and the small-scale/simplified 3 (or 1 where reduced), 0 for exports.

>>> line_amounts(Decimal("3"), Decimal("33.333"), Decimal("13"))
(Decimal('100.00'), Decimal('13.00'), Decimal('113.00'))
>>> line_amounts(Decimal("1"), Decimal("0.05"), Decimal("9"))
(Decimal('0.05'), Decimal('0.00'), Decimal('0.05'))
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ioudesk.calc.errors import InvalidAmount, InvalidRate
from ioudesk.calc.money import MAX_AMOUNT, quantize


def _decimal(value, what: str, error=InvalidAmount) -> Decimal:
    if isinstance(value, float):
        raise error(f"{what}不能用浮点数，请用 Decimal 或字符串")
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise error(f"{what}“{value}”不是数字") from None
    if not number.is_finite():
        raise error(f"{what}不是数字")
    return number


def line_amounts(quantity, unit_price, tax_rate) -> tuple[Decimal, Decimal, Decimal]:
    """(net, tax, total) of one line; ``tax_rate`` in percent (13 for 13 %)."""
    quantity = _decimal(quantity, "数量")
    unit_price = _decimal(unit_price, "单价")
    rate = _decimal(tax_rate, "税率", InvalidRate)
    if not 0 <= rate <= 100:
        raise InvalidRate(f"税率应在0至100（%）之间，现为{tax_rate}")
    product = quantity * unit_price
    if abs(product) > MAX_AMOUNT:
        raise InvalidAmount("金额超出上限，请核对数量和单价")
    net = quantize(product)
    tax = quantize(net * rate / 100)
    return net, tax, net + tax


def split_gross(gross, tax_rate) -> tuple[Decimal, Decimal]:
    """A tax-inclusive amount (含税金额) split into (net, tax): tax = gross × rate / (100 + rate),
    rounded half-up, net = gross − tax (a credit note or adjustment of an amount).

    >>> split_gross(Decimal("113.00"), 13)
    (Decimal('100.00'), Decimal('13.00'))
    >>> split_gross(Decimal("100.00"), 13)
    (Decimal('88.50'), Decimal('11.50'))
    """
    gross = _decimal(gross, "金额")
    rate = _decimal(tax_rate, "税率", InvalidRate)
    if not 0 <= rate <= 100:
        raise InvalidRate(f"税率应在0至100（%）之间，现为{tax_rate}")
    tax = quantize(gross * rate / (100 + rate))
    return quantize(gross) - tax, tax
