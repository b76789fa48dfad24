"""Pure calculation engine for IOU Desk (欠条管家).

Every number the product shows comes from here: money and rounding, rates, day counts and
due dates, repayment schedules, annualised rates, interest and penalties, the legal cap on
private lending, payment allocation, aging, limitation of actions, amounts in words and
identity checks.

Rules of the package:

* no Django import anywhere, so the CLI, the bench and the tests start instantly;
* money is :class:`decimal.Decimal`, never ``float``; results are frozen dataclasses;
* every failure is a :class:`~ioudesk.calc.errors.CalcError` (a ``ValueError``) with a
  Chinese message that says what to fix and a stable ``code`` for the API.

Each module's docstring states its rule and the source of it, with doctests.
"""
from ioudesk.calc.errors import CalcError

__all__ = ["CalcError"]
