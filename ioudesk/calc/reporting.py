"""Report arithmetic (issue 14, docs/domain.md §27): shares and rates as percentages, loan-loss
provisions per tier, the size and term bands loans are counted in, and the single-borrower
concentration. Pure: Decimal in, Decimal out; no Django.

>>> share(Decimal("25000.00"), Decimal("100000.00"))
Decimal('25.00')
>>> share(Decimal("1.00"), Decimal("0.00")) is None
True
>>> provision(Decimal("12345.67"), Decimal("25"))
Decimal('3086.42')
>>> size_band(Decimal("100000.00")), size_band(Decimal("100000.01")), term_band(12), term_band(13)
('le_10w', '10w_50w', '7_12', '13_36')
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from ioudesk.calc.money import ZERO, quantize
from ioudesk.calc.rates import percent

HUNDRED = Decimal(100)

# 贷款损失准备 rates per five-tier class, in percent: 《贷款损失准备计提指引》(银发〔2002〕98号) art. 5
# (关注 2 %, 次级 25 %, 可疑 50 %, 损失 100 %; 次级 and 可疑 may float ±20 %) and art. 4 (general
# reserve, 一般准备, at least 1 % of the loan balance).
TIER_RATES: dict[str, Decimal] = {
    "normal": Decimal("0"), "special_mention": Decimal("2"), "substandard": Decimal("25"),
    "doubtful": Decimal("50"), "loss": Decimal("100"),
}
FLOAT_BAND = Decimal("20")  # ± percent of the rate, for 次级 and 可疑 only
GENERAL_RESERVE_MIN = Decimal("1")
TIERS = ("normal", "special_mention", "substandard", "doubtful", "loss")
NON_PERFORMING = ("substandard", "doubtful", "loss")

# Bands of the regulator's monthly table (小额贷款公司业务状况月报): the contract amount of one loan,
# upper bounds inclusive, in yuan; the term in months, upper bounds inclusive.
SIZE_BANDS: tuple[tuple[str, Decimal | None], ...] = (
    ("le_10w", Decimal("100000.00")), ("10w_50w", Decimal("500000.00")), ("50w_100w", Decimal("1000000.00")),
    ("100w_500w", Decimal("5000000.00")), ("gt_500w", None),
)
TERM_BANDS: tuple[tuple[str, int | None], ...] = (("le_6", 6), ("7_12", 12), ("13_36", 36), ("gt_36", None))

# The single-borrower limit of a 小额贷款公司: its balance of loans to one borrower at most 10 % of
# its net assets (15 % with the borrower's related parties): 《关于加强小额贷款公司监督管理的通知》
# (银保监办发〔2020〕86号), the 贷款集中度 rule.
CONCENTRATION_LIMIT = Decimal("10")


def share(part: Decimal | int, whole: Decimal | int, places: int = 2) -> Decimal | None:
    """`part` as a percentage of `whole` (12.34 means 12.34 %), half-up; None when `whole` is 0."""
    if not whole:
        return None
    return percent(Decimal(part) / Decimal(whole), places)


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    """numerator ÷ denominator as a percentage with 2 places (an adequacy of 125.00 % …); None on 0."""
    return share(numerator, denominator)


def provision(balance: Decimal, rate_percent: Decimal) -> Decimal:
    """The provision on `balance` at `rate_percent` %, rounded half-up to the fen."""
    return quantize(balance * Decimal(rate_percent) / HUNDRED)


def rate_check(tier: str, rate_percent: Decimal) -> bool:
    """Whether a configured rate is within the guideline: 次级 and 可疑 may float ±20 % of the base
    rate (25 % → 20–30 %, 50 % → 40–60 %); 关注 and 损失 at least their rate; 正常 0–100 %."""
    rate = Decimal(rate_percent)
    if not ZERO <= rate <= HUNDRED:
        return False
    base = TIER_RATES[tier]
    if tier in ("substandard", "doubtful"):
        swing = base * FLOAT_BAND / HUNDRED
        return base - swing <= rate <= base + swing
    return rate >= base


def provisions_required(balances: dict[str, Decimal], rates: dict[str, Decimal],
                        general_rate: Decimal) -> dict[str, Decimal]:
    """Specific provision per tier (balance × rate, each rounded to the fen), their sum `specific`,
    the general reserve on the whole balance `general` and `total` = specific + general."""
    out = {tier: provision(balances.get(tier, ZERO), rates.get(tier, ZERO)) for tier in TIERS}
    specific = sum((out[tier] for tier in TIERS), ZERO)
    whole = sum((balances.get(tier, ZERO) for tier in TIERS), ZERO)
    general = provision(whole, general_rate)
    out.update(specific=specific, general=general, total=specific + general, balance=whole)
    return out


def size_band(principal: Decimal) -> str:
    for code, upper in SIZE_BANDS:
        if upper is None or principal <= upper:
            return code
    raise AssertionError("unreachable")


def term_band(months: int) -> str:
    for code, upper in TERM_BANDS:
        if upper is None or months <= upper:
            return code
    raise AssertionError("unreachable")


def sum_money(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)
