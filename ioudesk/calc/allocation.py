"""Allocating a repayment across due installments and their components (还款冲抵顺序).

A strategy is an order of components plus a direction (Apache Fineract's
"transaction processing strategy"; docs/domain.md §9):

* ``PENALTY_FEE_INTEREST_PRINCIPAL`` (default): 罚息 → 费用 → 利息 → 本金, the order most
  loan contracts state (and 民法典 art. 561 for fees, interest, principal);
* ``INTEREST_PRINCIPAL_FEE_PENALTY``: interest → principal, then fee and penalty;
* ``PRINCIPAL_FIRST``: principal → interest → fee → penalty;
* **vertical**: installment by installment, oldest first, each one cleared in component
  order before the next; **horizontal**: component by component across all due
  installments (all penalties first, then all fees …), oldest first within a component.

Whatever is left after everything due is paid is an **overpayment**, never lost: the
applied amounts plus the overpayment always equal the payment.

>>> dues = [DueItem(1, principal=Decimal("800"), interest=Decimal("100"), penalty=Decimal("5")),
...         DueItem(2, principal=Decimal("810"), interest=Decimal("90"))]
>>> result = allocate(Decimal("1000"), dues)
>>> [(line.number, line.penalty, line.interest, line.principal) for line in result.lines]
[(1, Decimal('5'), Decimal('100'), Decimal('800')), (2, Decimal('0'), Decimal('90'), Decimal('5'))]
>>> horizontal = allocate(Decimal("1000"), dues, direction=Direction.HORIZONTAL)
>>> [(line.number, line.interest, line.principal) for line in horizontal.lines]
[(1, Decimal('100'), Decimal('800')), (2, Decimal('90'), Decimal('5'))]
>>> allocate(Decimal("2000"), dues).overpayment
Decimal('195')
"""
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import Enum

from ioudesk.calc.errors import InvalidAmount

COMPONENTS = ("penalty", "fee", "interest", "principal")
_ZERO = Decimal(0)


class Strategy(Enum):
    PENALTY_FEE_INTEREST_PRINCIPAL = ("penalty", "fee", "interest", "principal")
    INTEREST_PRINCIPAL_FEE_PENALTY = ("interest", "principal", "fee", "penalty")
    PRINCIPAL_FIRST = ("principal", "interest", "fee", "penalty")


class Direction(Enum):
    VERTICAL = "vertical"
    HORIZONTAL = "horizontal"


@dataclass(frozen=True)
class DueItem:
    """What is still owed on one installment, by component."""

    number: int
    principal: Decimal = _ZERO
    interest: Decimal = _ZERO
    fee: Decimal = _ZERO
    penalty: Decimal = _ZERO

    def __post_init__(self) -> None:
        if any(getattr(self, name) < 0 for name in COMPONENTS):
            raise InvalidAmount(f"第{self.number}期的应还金额不能为负数，请核对")

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fee + self.penalty


@dataclass(frozen=True)
class AllocationLine:
    """What the payment covered on one installment."""

    number: int
    principal: Decimal = _ZERO
    interest: Decimal = _ZERO
    fee: Decimal = _ZERO
    penalty: Decimal = _ZERO

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fee + self.penalty


@dataclass(frozen=True)
class Allocation:
    """The breakdown accounting turns into journal entries (Fineract's transaction breakdown)."""

    payment: Decimal
    lines: tuple[AllocationLine, ...]
    overpayment: Decimal
    totals: dict = field(default_factory=dict)

    @property
    def applied(self) -> Decimal:
        return sum((line.total for line in self.lines), _ZERO)


def allocate(
    payment: Decimal,
    dues: Sequence[DueItem],
    *,
    strategy: Strategy = Strategy.PENALTY_FEE_INTEREST_PRINCIPAL,
    direction: Direction = Direction.VERTICAL,
) -> Allocation:
    """Allocate ``payment`` over ``dues`` (given oldest first) by ``strategy`` and ``direction``."""
    if payment < 0:
        raise InvalidAmount("还款金额不能为负数；冲正请使用冲正交易")
    lines = {item.number: AllocationLine(item.number) for item in dues}
    remaining = payment
    if direction is Direction.VERTICAL:
        order = [(item, name) for item in dues for name in strategy.value]
    else:
        order = [(item, name) for name in strategy.value for item in dues]
    for item, name in order:
        if remaining <= 0:
            break
        paid = min(remaining, getattr(item, name))
        if paid:
            lines[item.number] = replace(lines[item.number], **{name: getattr(lines[item.number], name) + paid})
            remaining -= paid
    used = tuple(line for line in lines.values() if line.total)
    totals = {name: sum((getattr(line, name) for line in used), _ZERO) for name in COMPONENTS}
    return Allocation(payment=payment, lines=used, overpayment=remaining, totals=totals)
