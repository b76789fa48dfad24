"""Day steps: work other apps do once per closed business date, after every IOU partition of the
day is done (reminders, notifications, reports …), in `order`.

    register_day_step("reminders", label=_("还款提醒"), order=100, run=reminders_day_step)

`run(day=D, close_run=<CloseRun>, catching_up=<bool: later days follow in this close>)` returns
counts {code: n} (shown on the run page under `count_labels[code]`) and must be idempotent: a second run for D adds nothing. An
exception is recorded as the step's failure (with its traceback) and does not stop the other
steps. Apps register in their AppConfig.ready(); closing imports none of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DayStep:
    name: str
    label: object  # a lazy translation
    order: int
    run: Callable[..., dict[str, int]]
    count_labels: dict  # code → lazy label of what the step counts


_STEPS: dict[str, DayStep] = {}


def register_day_step(name: str, *, label, order: int, run: Callable[..., dict[str, int]],
                      count_labels: dict | None = None) -> None:
    """Register (or, with the same name, replace) a day step; labels are lazy: in the reader's language."""
    _STEPS[name] = DayStep(name=name, label=label, order=order, run=run, count_labels=dict(count_labels or {}))


def unregister_day_step(name: str) -> None:
    """For tests."""
    _STEPS.pop(name, None)


def day_steps() -> list[DayStep]:
    return sorted(_STEPS.values(), key=lambda step: (step.order, step.name))
