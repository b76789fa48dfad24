"""What screening is told about an applicant (facts in) and what it answers (results out).

The applications app builds an ``ApplicantFacts`` from an application and stores
``ScreeningResult.as_json()`` with it; screening never imports applications (docs/domain.md §24)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class ApplicantFacts:
    product_id: int
    amount: Decimal
    term: int
    id_number: str
    name: str
    applied_on: date
    phone_index: str = ""
    id_number_index: str = ""
    monthly_income: Decimal | None = None
    monthly_debt: Decimal | None = None
    employer: str = ""
    customer_id: int | None = None
    application_id: int | None = None


@dataclass(frozen=True)
class RuleOutcome:
    code: str
    label: str
    passed: bool
    knock_out: bool
    detail: str
    kind: str = ""

    @property
    def rejects(self) -> bool:
        return self.knock_out and not self.passed


@dataclass(frozen=True)
class ScorePoint:
    attribute: str       # the attribute's code (age, monthly_income …)
    label: str           # the attribute's name (年龄 …)
    value: str           # the applicant's value as shown ("30", "8000.00", "未提供")
    bin: str             # the bin that matched ("25–34岁")
    points: int


@dataclass(frozen=True)
class ScreeningResult:
    outcomes: list[RuleOutcome]
    knocked_out: bool
    score: int | None
    band: str
    points: list[ScorePoint] = field(default_factory=list)
    scorecard_version: int | None = None
    base_points: int = 0
    band_label: str = ""
    band_action: str = ""
    screened_on: date | None = None

    @property
    def reasons(self) -> list[str]:
        """The knock-out reasons (what rejects the application), in rule order."""
        return [f"{o.label}：{o.detail}" for o in self.outcomes if o.rejects]

    def as_json(self) -> dict:
        return {
            "outcomes": [asdict(o) for o in self.outcomes],
            "knocked_out": self.knocked_out,
            "reasons": self.reasons,
            "score": self.score,
            "band": self.band,
            "band_label": self.band_label,
            "band_action": self.band_action,
            "base_points": self.base_points,
            "points": [asdict(p) for p in self.points],
            "scorecard_version": self.scorecard_version,
            "screened_on": self.screened_on.isoformat() if self.screened_on else None,
        }
