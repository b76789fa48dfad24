"""Filled in by issue 14 (报表); see /work/issue14-contract.md."""


def register() -> None:
    """Register this module's reports (and, for daystep/schedules, the day step / periodic slot)."""
