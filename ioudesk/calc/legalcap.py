"""The legal cap on private-lending interest (4 × LPR) and what it protects.

Rules (最高人民法院关于审理民间借贷案件适用法律若干问题的规定, 法释〔2020〕17号; docs/domain.md §6):

* art. 25: agreed interest above 4 × the one-year LPR at the time the contract was formed is
  not protected;
* art. 29: overdue interest, liquidated damages and other fees together are capped at the
  same 4 × LPR;
* art. 31 (transitional): for a contract formed before 2020-08-20 and sued on after it,
  interest up to 2020-08-19 is judged under the old interpretation (24 % protected), interest
  from 2020-08-20 on under 4 × the LPR **at the filing date** — which is also the only LPR a
  contract formed before the LPR reform of 2019-08-20 can use;  a case filed before
  2020-08-20 is judged wholly under the old 24 %;
* the cap does not apply to licensed lenders (法释〔2020〕27号): whether to apply it is the
  organisation's setting, not this module's.

The one-year LPR table ships as ``data/lpr_1y.csv`` (editable reference data; a custom table
can be loaded with :meth:`LprTable.from_csv`).

>>> from datetime import date
>>> cap = cap_for(date(2024, 10, 21))
>>> cap.lpr_1y, cap.cap_rate
(Decimal('0.031'), Decimal('0.124'))
>>> print(cap.rule)
法释〔2020〕17号第25条：合同成立日2024-10-21适用的一年期LPR为3.10%（2024-10-21起），保护上限为其4倍即12.40%
>>> old = cap_for(date(2019, 5, 1), filing_date=date(2025, 6, 1))
>>> [(s.rate, s.until) for s in old.segments]
[(Decimal('0.24'), datetime.date(2020, 8, 19)), (Decimal('0.12'), None)]
"""
import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

from ioudesk.calc.daycount import DayCount
from ioudesk.calc.errors import InvalidOption, MissingInput, NoReferenceData
from ioudesk.calc.money import ZERO, quantize
from ioudesk.calc.rates import percent_text

NEW_RULES_FROM = date(2020, 8, 20)
LPR_REFORM = date(2019, 8, 20)
OLD_CAP = Decimal("0.24")
MULTIPLE = 4
DEFAULT_TABLE = Path(__file__).parent / "data" / "lpr_1y.csv"


@dataclass(frozen=True)
class LprEntry:
    effective_from: date
    rate: Decimal  # a fraction: 0.031 = 3.10 %


@dataclass(frozen=True)
class LprTable:
    """One-year LPR values, each effective from its date until the next."""

    entries: tuple[LprEntry, ...]

    @classmethod
    def from_csv(cls, source: "Path | str") -> "LprTable":
        """Load ``effective_from,rate_percent`` rows from a path or from CSV text."""
        text = Path(source).read_text(encoding="utf-8") if isinstance(source, Path) else source
        try:
            rows = [
                LprEntry(date.fromisoformat(row["effective_from"].strip()), Decimal(row["rate_percent"].strip()) / 100)
                for row in csv.DictReader(io.StringIO(text))
            ]
        except (KeyError, ValueError, ArithmeticError) as error:
            raise NoReferenceData(f"LPR表格式不正确（需要effective_from,rate_percent两列）：{error}") from None
        if not rows:
            raise NoReferenceData("LPR表是空的，请至少填入一行")
        return cls(tuple(sorted(rows, key=lambda e: e.effective_from)))

    def entry_on(self, day: date) -> LprEntry:
        """The LPR in force on ``day``."""
        current = None
        for entry in self.entries:
            if entry.effective_from > day:
                break
            current = entry
        if current is None:
            raise NoReferenceData(
                f"{day.isoformat()}早于LPR表的第一条（{self.entries[0].effective_from.isoformat()}），请补充LPR数据"
            )
        return current


@cache
def default_table() -> LprTable:
    return LprTable.from_csv(DEFAULT_TABLE)


@dataclass(frozen=True)
class CapSegment:
    """The cap in force for interest accruing from ``since`` to ``until`` (inclusive; None = open)."""

    since: date | None
    until: date | None
    rate: Decimal
    basis: str


@dataclass(frozen=True)
class LegalCap:
    contract_date: date
    lpr_1y: Decimal | None
    cap_rate: Decimal
    rule: str
    segments: tuple[CapSegment, ...]

    def allows(self, annual_rate: Decimal) -> bool:
        """Whether an agreed annual rate is within the current cap."""
        return annual_rate <= self.cap_rate


def cap_for(contract_date: date, filing_date: date | None = None, table: LprTable | None = None) -> LegalCap:
    """The protected rate for a private loan formed on ``contract_date``."""
    table = table or default_table()
    if contract_date >= NEW_RULES_FROM:
        entry = table.entry_on(contract_date)
        cap = entry.rate * MULTIPLE
        rule = (f"法释〔2020〕17号第25条：合同成立日{contract_date.isoformat()}适用的一年期LPR为"
                f"{percent_text(entry.rate)}%（{entry.effective_from.isoformat()}起），保护上限为其4倍即{percent_text(cap)}%")
        return LegalCap(contract_date, entry.rate, cap, rule, (CapSegment(contract_date, None, cap, rule),))
    if filing_date is None:
        raise MissingInput(
            f"合同成立于{NEW_RULES_FROM.isoformat()}之前，2020-08-20以后的利息按起诉时一年期LPR的4倍保护：请提供起诉日期"
        )
    old_basis = "法释〔2015〕18号第26条：年利率24%以内受保护"
    if filing_date < NEW_RULES_FROM:
        rule = f"起诉日{filing_date.isoformat()}早于2020-08-20，适用旧司法解释：{old_basis}"
        return LegalCap(contract_date, None, OLD_CAP, rule, (CapSegment(contract_date, None, OLD_CAP, old_basis),))
    entry = table.entry_on(filing_date)
    cap = entry.rate * MULTIPLE
    new_basis = (f"法释〔2020〕17号第31条：2020-08-20起的利息按起诉日{filing_date.isoformat()}一年期LPR"
                 f"{percent_text(entry.rate)}%的4倍即{percent_text(cap)}%保护")
    before_reform = "（合同成立时尚无新LPR，只能以起诉时LPR为准）" if contract_date < LPR_REFORM else ""
    rule = f"合同成立于2020-08-20之前{before_reform}：截至2020-08-19的利息按24%保护（{old_basis}）；{new_basis}"
    segments = (
        CapSegment(contract_date, NEW_RULES_FROM - timedelta(days=1), OLD_CAP, old_basis),
        CapSegment(NEW_RULES_FROM, None, cap, new_basis),
    )
    return LegalCap(contract_date, entry.rate, cap, rule, segments)


@dataclass(frozen=True)
class InterestSplit:
    total: Decimal
    protected: Decimal
    unprotected: Decimal


def split_interest(
    *, principal: Decimal, annual_rate: Decimal, start: date, end: date, cap: LegalCap,
    day_count: DayCount = DayCount.ACT_365,
) -> InterestSplit:
    """Interest at ``annual_rate`` from ``start`` to ``end``, split into what the cap protects.

    >>> from datetime import date
    >>> cap = cap_for(date(2024, 10, 21))
    >>> split_interest(principal=Decimal("100000"), annual_rate=Decimal("0.24"),
    ...                start=date(2024, 10, 21), end=date(2025, 10, 21), cap=cap)
    InterestSplit(total=Decimal('24000.00'), protected=Decimal('12400.00'), unprotected=Decimal('11600.00'))
    """
    if end < start:
        raise InvalidOption("计息结束日不能早于开始日，请核对日期")
    total = protected = Decimal(0)
    for segment in cap.segments:
        since = max(start, segment.since or start)
        until = min(end, segment.until + timedelta(days=1) if segment.until else end)
        if until <= since:
            continue
        fraction = day_count.year_fraction(since, until)
        total += principal * annual_rate * fraction
        protected += principal * min(annual_rate, segment.rate) * fraction
    total, protected = quantize(total), quantize(protected)
    return InterestSplit(total=total, protected=protected, unprotected=total - protected)


@dataclass(frozen=True)
class OverdueChargeCap:
    claimed: Decimal
    allowed: Decimal
    protected: Decimal
    excess: Decimal


def cap_overdue_charges(
    *, principal: Decimal, overdue_from: date, until: date, cap_rate: Decimal,
    overdue_interest: Decimal = ZERO, penalty: Decimal = ZERO, fees: Decimal = ZERO,
    day_count: DayCount = DayCount.ACT_365,
) -> OverdueChargeCap:
    """Art. 29: overdue interest + liquidated damages + other fees together within the cap.

    >>> from datetime import date
    >>> cap_overdue_charges(principal=Decimal("100000"), overdue_from=date(2025, 1, 1), until=date(2026, 1, 1),
    ...     cap_rate=Decimal("0.12"), overdue_interest=Decimal("8000"), penalty=Decimal("5000"), fees=Decimal("1000"))
    OverdueChargeCap(claimed=Decimal('14000'), allowed=Decimal('12000.00'), protected=Decimal('12000.00'), excess=Decimal('2000.00'))
    """
    claimed = overdue_interest + penalty + fees
    allowed = quantize(principal * cap_rate * day_count.year_fraction(overdue_from, until)) if until > overdue_from else ZERO
    protected = min(claimed, allowed)
    return OverdueChargeCap(claimed=claimed, allowed=allowed, protected=quantize(protected),
                            excess=quantize(claimed - protected))
