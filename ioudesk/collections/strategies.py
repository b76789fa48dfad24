"""The strategies per bucket, read once per use (``Strategies.load()``), and how a case moves along
them (docs/domain.md §20):

- a bucket without an active strategy of its own uses the nearest lower bucket's (the seeded M3
  strategy serves M3 … M7+);
- a strategy's steps run in ``order``: the first step ``after_days`` after the case entered the
  bucket, each later step ``after_days`` after the step before it began;
- escalation moves a case to the next step at once, and from a strategy's last step to the first
  step of the next higher bucket's strategy; from the highest strategy's last step there is
  nowhere to go.
"""

from __future__ import annotations

from dataclasses import dataclass

from ioudesk.collections.models import BUCKETS, Strategy, StrategyStep


def bucket_rank(bucket: str) -> int:
    try:
        return BUCKETS.index(bucket)
    except ValueError:
        return -1  # M0 or unknown


@dataclass
class Strategies:
    by_bucket: dict[str, Strategy]  # the strategy serving each bucket M1 … M7+
    steps: dict[int, list[StrategyStep]]  # strategy id → its steps in order
    step_by_id: dict[int, StrategyStep]

    @classmethod
    def load(cls) -> Strategies:
        strategies = {s.bucket: s for s in Strategy.objects.filter(active=True)}
        steps: dict[int, list[StrategyStep]] = {}
        step_by_id = {}
        for step in StrategyStep.objects.filter(strategy__active=True).select_related("strategy").order_by("strategy_id", "order", "id"):
            steps.setdefault(step.strategy_id, []).append(step)
            step_by_id[step.pk] = step
        by_bucket, current = {}, None
        for bucket in BUCKETS:
            own = strategies.get(bucket)
            if own is not None and steps.get(own.pk):
                current = own
            if current is not None:
                by_bucket[bucket] = current
        return cls(by_bucket=by_bucket, steps=steps, step_by_id=step_by_id)

    def strategy_for(self, bucket: str) -> Strategy | None:
        return self.by_bucket.get(bucket)

    def first_step(self, bucket: str) -> StrategyStep | None:
        strategy = self.strategy_for(bucket)
        return self.steps[strategy.pk][0] if strategy is not None else None

    def next_step(self, step: StrategyStep) -> StrategyStep | None:
        """The next step of the same strategy, or None after its last."""
        steps = self.steps.get(step.strategy_id, [])
        for index, candidate in enumerate(steps):
            if candidate.pk == step.pk:
                return steps[index + 1] if index + 1 < len(steps) else None
        return None

    def escalation_target(self, step: StrategyStep | None, bucket: str) -> StrategyStep | None:
        """Where an escalation moves a case at ``step`` (in ``bucket``): the next step, else the first
        step of the next higher bucket's strategy; None when there is nowhere higher."""
        if step is None:
            return self.first_step(bucket)
        following = self.next_step(step)
        if following is not None:
            return following
        rank = max(self.strategy_rank(step), bucket_rank(bucket))
        for higher in BUCKETS[rank + 1:]:
            strategy = self.strategy_for(higher)
            if strategy is not None and strategy.pk != step.strategy_id:
                return self.steps[strategy.pk][0]
        return None

    def strategy_rank(self, step: StrategyStep | None) -> int:
        """The rank of the lowest bucket the step's strategy serves (-1 without a step)."""
        if step is None:
            return -1
        for bucket in BUCKETS:
            strategy = self.by_bucket.get(bucket)
            if strategy is not None and strategy.pk == step.strategy_id:
                return bucket_rank(bucket)
        return -1
