"""The receivables parts of the daily close (``ioudesk.closing.registry``), registered at start-up by
``register()`` (one line in ``receivables/registrations.py``):

- ``receivables`` (order 42, after collections at 40): days past due of the open items; overdue bills
  become collection cases, refreshed and closed (``receivables.cases``);
- ``dunning`` (order 52, after the IOU reminders at 50): 单据到期提醒, 催款通知 and the payables note
  (``receivables.dunning``).

``register()`` also gives collections its bill source (``collections.bills``), notify the two
message categories (``receivables.categories``) and reminders the rule kinds bill and payable
(``reminders.kinds``: their seeded defaults, preview and plan)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from ioudesk.receivables import cases, categories, dunning


def receivables_day_step(*, day: dt.date, close_run=None, catching_up: bool = False) -> dict[str, int]:
    return cases.bill_cases_step(day=day)


def register() -> None:
    from ioudesk.closing.registry import register_day_step

    cases.register()
    categories.register(sample=dunning.placeholder_sample)
    dunning.register()
    register_day_step("receivables", label=_("往来账款转催收"), order=42, run=receivables_day_step,
                      count_labels=cases.COUNT_LABELS)
    register_day_step("dunning", label=_("单据提醒与催款"), order=52, run=dunning.dunning_day_step,
                      count_labels=dunning.COUNT_LABELS)
