"""Days past due, aging buckets and the five-tier classification floor.

Rules (docs/domain.md §13–14; 商业银行金融资产风险分类办法, 国家金融监督管理总局 2023年第1号令,
in force 2023-07-01, art. 9–12):

* **DPD** (逾期天数) counts from the day after the oldest unpaid due date;
* **loan buckets**: M0 not overdue, M1 1–30, M2 31–60, M3 61–90, M4 91–120, M5 121–150,
  M6 151–180, M7+ over 180;
* **receivables aging**: 0–30 / 31–60 / 61–90 / 90+ days, and for annual reports
  1年以内 / 1–2年 / 2–3年 / 3年以上;
* **five-tier floor** (五级分类): any amount overdue → at least 关注 (an operational delay of
  up to 7 days may be excepted — off unless ``grace_days`` is given); more than 90 days → at
  least 次级; more than 270 → 可疑; more than 360 → 损失.  Staff may classify worse than the
  floor, never better without approval.

Every threshold is a parameter with the rule's value as default.

>>> from datetime import date
>>> days_past_due([date(2025, 1, 15), date(2025, 2, 15)], as_of=date(2025, 3, 1))
45
>>> loan_bucket(45), receivables_bucket(45), annual_aging_bucket(400)
('M2', '31–60天', '1–2年')
>>> classification_floor(91), classification_floor(5, grace_days=7).label
(<Tier.SUBSTANDARD: 3>, '正常')
"""
from collections.abc import Iterable, Sequence
from datetime import date
from enum import IntEnum

from ioudesk.calc.errors import InvalidOption

#: Upper bounds (inclusive) of M1…M6; above the last is M7+.
LOAN_BUCKET_BOUNDS = (30, 60, 90, 120, 150, 180)
RECEIVABLE_BOUNDS = (30, 60, 90)
ANNUAL_AGING_YEARS = (1, 2, 3)
#: DPD above which the floor is 次级, 可疑 and 损失.
TIER_FLOORS = (90, 270, 360)


class Tier(IntEnum):
    """The five tiers, ordered from best to worst so ``max`` picks the worse one."""

    NORMAL = 1
    SPECIAL_MENTION = 2
    SUBSTANDARD = 3
    DOUBTFUL = 4
    LOSS = 5

    @property
    def label(self) -> str:
        return ("正常", "关注", "次级", "可疑", "损失")[self - 1]

    @property
    def non_performing(self) -> bool:
        """次级、可疑、损失 are 不良."""
        return self >= Tier.SUBSTANDARD


def days_past_due(unpaid_due_dates: Iterable[date], *, as_of: date) -> int:
    """Days from the oldest unpaid due date to ``as_of``; 0 when nothing is overdue."""
    overdue = [due for due in unpaid_due_dates if due < as_of]
    return (as_of - min(overdue)).days if overdue else 0


def _check_bounds(bounds: Sequence[int]) -> None:
    if list(bounds) != sorted(set(bounds)) or not bounds or bounds[0] < 1:
        raise InvalidOption("账龄分段的天数必须是从小到大的正整数，请检查配置")


def _check_dpd(dpd: int) -> None:
    if dpd < 0:
        raise InvalidOption(f"逾期天数不能为负数（收到{dpd}），请输入0或正整数")


def loan_bucket(dpd: int, bounds: Sequence[int] = LOAN_BUCKET_BOUNDS) -> str:
    """M0…M6 by upper bounds, then ``M{n}+`` for the rest.

    >>> [loan_bucket(d) for d in (0, 1, 30, 31, 180, 181)]
    ['M0', 'M1', 'M1', 'M2', 'M6', 'M7+']
    """
    _check_dpd(dpd)
    _check_bounds(bounds)
    if dpd == 0:
        return "M0"
    for index, bound in enumerate(bounds, start=1):
        if dpd <= bound:
            return f"M{index}"
    return f"M{len(bounds) + 1}+"


def receivables_bucket(days: int, bounds: Sequence[int] = RECEIVABLE_BOUNDS) -> str:
    """0–30 / 31–60 / 61–90 / 90+ (or the given bounds) for days since the due date.

    >>> [receivables_bucket(d) for d in (0, 30, 31, 90, 91)]
    ['0–30天', '0–30天', '31–60天', '61–90天', '90天以上']
    """
    _check_dpd(days)
    _check_bounds(bounds)
    lower = 0
    for bound in bounds:
        if days <= bound:
            return f"{lower}–{bound}天"
        lower = bound + 1
    return f"{bounds[-1]}天以上"


def annual_aging_bucket(days: int, years: Sequence[int] = ANNUAL_AGING_YEARS) -> str:
    """1年以内 / 1–2年 / 2–3年 / 3年以上, a year counted as 365 days.

    >>> [annual_aging_bucket(d) for d in (0, 365, 366, 1095, 1096)]
    ['1年以内', '1年以内', '1–2年', '2–3年', '3年以上']
    """
    _check_dpd(days)
    _check_bounds(years)
    lower = 0
    for year in years:
        if days <= year * 365:
            return f"{year}年以内" if lower == 0 else f"{lower}–{year}年"
        lower = year
    return f"{years[-1]}年以上"


def classification_floor(dpd: int, *, grace_days: int = 0, floors: Sequence[int] = TIER_FLOORS) -> Tier:
    """The best tier a loan ``dpd`` days past due may have.

    ``grace_days`` excepts operational delays (the rule allows up to 7) from 关注.

    >>> [classification_floor(d).label for d in (0, 1, 90, 91, 270, 271, 360, 361)]
    ['正常', '关注', '关注', '次级', '次级', '可疑', '可疑', '损失']
    """
    _check_dpd(dpd)
    _check_bounds(floors)
    if len(floors) != 3:
        raise InvalidOption("五级分类需要3个逾期天数门槛（次级、可疑、损失），请检查配置")
    if not 0 <= grace_days <= 7:
        raise InvalidOption("操作性逾期宽限天数应在0到7天之间，请检查配置")
    substandard, doubtful, loss = floors
    if dpd > loss:
        return Tier.LOSS
    if dpd > doubtful:
        return Tier.DOUBTFUL
    if dpd > substandard:
        return Tier.SUBSTANDARD
    if dpd > grace_days:
        return Tier.SPECIAL_MENTION
    return Tier.NORMAL


def check_classification(proposed: Tier, dpd: int, **floor_options) -> bool:
    """Whether staff may set ``proposed`` without an approval (never better than the floor).

    >>> check_classification(Tier.NORMAL, 100), check_classification(Tier.LOSS, 100)
    (False, True)
    """
    return proposed >= classification_floor(dpd, **floor_options)
