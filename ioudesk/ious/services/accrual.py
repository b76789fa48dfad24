"""Bringing an IOU up to a date: interest and fees that fell due, penalty interest on what is
overdue, customer credit applied to what fell due, and days past due / aging / five-tier floor.

Runs inside every money service before it acts (so a payment always meets the amounts due on its
date) and, for every live IOU, in the daily close. Idempotent: a second run for the same date
posts nothing. Below payments and the event modules; it reads installments through
installments.py and applies credit through allocation.py. `settle_if_paid` lives here, below the
payments that share it, because the daily close settles too: credit paying an IOU's last amounts
leaves nothing owed (docs/domain.md §10).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _g

from ioudesk.calc import aging
from ioudesk.calc.daycount import DayCount
from ioudesk.calc.interest import PenaltyBasis, penalty_interest
from ioudesk.calc.legalcap import cap_overdue_charges, default_table
from ioudesk.core import audit, clock, prepared
from ioudesk.core.models.audit import AuditAction
from ioudesk.ious import predicates, status
from ioudesk.ious.models import Classification, Installment, Iou, Transaction, TransactionKind
from ioudesk.ious.services.allocation import apply_credit
from ioudesk.ious.services.installments import current_installments, unpaid
from ioudesk.ious.services.ledgering import BALANCE_FIELDS, ZERO, lock, post
from ioudesk.ious.services.limitation import expiry_for
from ioudesk.ious.status import Event
from ioudesk.ledger.chart import AccountCode
from ioudesk.ledger.models import EntryKind
from ioudesk.ledger.services import Line

TIER_TO_CLASS = {
    aging.Tier.NORMAL: Classification.NORMAL, aging.Tier.SPECIAL_MENTION: Classification.SPECIAL_MENTION,
    aging.Tier.SUBSTANDARD: Classification.SUBSTANDARD, aging.Tier.DOUBTFUL: Classification.DOUBTFUL,
    aging.Tier.LOSS: Classification.LOSS,
}


def penalty_annual_rate(iou: Iou, on: date) -> Decimal:
    """The annual rate of overdue interest for an installment due `on`: the product's daily
    penalty rate, or the contract rate marked up; for an IOU that agreed no interest at all,
    the one-year LPR in force on the due date (法释〔2020〕17号 art. 28), where the
    private-lending rules apply."""
    if iou.penalty_daily_rate is not None:
        return iou.penalty_daily_rate * 360
    if iou.annual_rate > 0:
        return iou.annual_rate * (1 + iou.penalty_markup)
    if iou.interest_cap_applies:
        return default_table().entry_on(on).rate
    return Decimal("0")


def iou_accrue(iou: Iou, *, day: date, user=None, refresh: bool = True,
               rows: list[Installment] | None = None, penalty: bool = True) -> list[Installment]:
    """Bring a locked IOU up to `day`. The caller holds the lock and the transaction. Returns the
    current installments, up to date, for the caller to go on with (`refresh=False` when the caller
    refreshes days past due itself afterwards; `rows` when it has read the ones it needs, at least
    every installment due by `day`). `penalty=False`: penalty is not posted now (the daily close on
    an ordinary day, decision 0006: between postings the IOU shows penalty to date,
    ``penalty_to_date``); every money event posts it to its date."""
    rows = current_installments(iou) if rows is None else rows
    _accrue_interest(iou, rows, day, user)
    if penalty:
        _accrue_penalty(iou, rows, day, user)
    if iou.overpayment > 0:
        apply_credit(iou, rows, day=day, user=user)
    if refresh:
        refresh_delinquency(iou, rows, day)
    return rows


def _accrue_interest(iou: Iou, rows: list[Installment], day: date, user) -> None:
    """Interest and fees of the installments that fell due by `day`, each dated its due date (the
    day they fell due, even when the accrual runs later), so that a payment entered with an
    earlier date never meets a receivable the ledger has not booked yet."""
    falling_due = [row for row in rows if row.due_date <= day and not row.interest_accrued]
    by_due_date: dict[date, list[Installment]] = {}
    for row in falling_due:
        by_due_date.setdefault(row.due_date, []).append(row)
    for due_date, group in sorted(by_due_date.items()):
        memo, lines = interest_due_entry(iou, group)
        if lines:
            post(iou, kind=EntryKind.INTEREST_ACCRUAL, day=due_date, user=user, memo=memo, lines=lines)
    for row in falling_due:
        row.interest_accrued = True
        prepared.update(row, ["interest_accrued"])


def interest_due_entry(iou: Iou, group: list[Installment]) -> tuple[str, list[Line]]:
    """The memo and lines of the entry for installments falling due on one day (none when they
    charge neither interest nor fees); shared with the daily close's bulk path (closing/engine.py),
    so both post the very same entry."""
    interest = sum((row.interest_due for row in group), ZERO)
    fee = sum((row.fee_due for row in group), ZERO)
    memo = _g("第%(numbers)s期利息、费用到期 %(number)s") % {
        "numbers": "、".join(str(r.number) for r in group), "number": iou.number}
    lines = [Line(AccountCode.INTEREST_RECEIVABLE, debit=interest), Line(AccountCode.INTEREST_INCOME, credit=interest),
             Line(AccountCode.FEES_RECEIVABLE, debit=fee), Line(AccountCode.FEE_INCOME, credit=fee)]
    return memo[:200], [line for line in lines if line.debit or line.credit]


def penalty_quotes(iou: Iou, rows: list[Installment], day: date):
    """The penalty not yet posted on each overdue installment, from its last accrual (or its due
    date) to `day`: (installment, quote, first accrual?, since) for those with chargeable days.
    Shared by the posting below and by ``penalty_to_date`` (what the IOU page shows between
    postings), so both compute it with the same calc function."""
    basis = PenaltyBasis(iou.penalty_basis)
    quotes = []
    for row in rows:
        owed = unpaid(row)
        if row.due_date >= day or (owed["principal"] <= 0 and owed["interest"] <= 0):
            continue
        rate = penalty_annual_rate(iou, row.due_date)
        if rate <= 0:
            continue
        first = row.penalty_accrued_to is None
        since = row.due_date if first else row.penalty_accrued_to
        if since >= day:
            continue
        quote = penalty_interest(
            overdue_principal=owed["principal"], overdue_interest=owed["interest"], basis=basis,
            due_date=since, as_of=day, penalty_rate=rate,
            grace_days=iou.grace_days if first else 0, day_count=DayCount.ACT_360,
        )
        if quote.chargeable_days == 0:
            continue
        quotes.append((row, quote, first, since))
    return quotes


def _accrue_penalty(iou: Iou, rows: list[Installment], day: date, user) -> None:
    """Penalty on what is overdue, from each installment's last accrual (or its due date) to `day`.
    Each accrual is also kept as a 计罚息 document with what it charged per installment and from
    when, so that a payment entered later with an earlier date can take it back and accrue again
    (rewind.py)."""
    total, excess, details = ZERO, ZERO, []
    for row, quote, first, since in penalty_quotes(iou, rows, day):
        owed = unpaid(row)
        row.penalty_accrued_to = day
        row.penalty_charged += quote.amount
        prepared.update(row, ["penalty_accrued_to", "penalty_charged"])
        row_excess = unprotected_penalty(iou, owed["principal"], quote.amount, quote.chargeable_days, day)
        total += quote.amount
        excess += row_excess
        details.append({"installment": row.pk, "number": row.number, "since": None if first else since.isoformat(),
                        "penalty": str(quote.amount), "excess": str(row_excess)})
    if not details:
        return
    memo = _g("罚息计至 %(day)s %(number)s") % {"day": day.isoformat(), "number": iou.number}
    if excess:
        memo += _g("（超出法定上限 %(amount)s）") % {"amount": excess}
    entry = post(iou, kind=EntryKind.PENALTY_ACCRUAL, day=day, user=user, memo=memo,
                 lines=[Line(AccountCode.PENALTY_RECEIVABLE, debit=total), Line(AccountCode.PENALTY_INCOME, credit=total)])
    if excess:
        iou.cap_unprotected_penalty += excess
        prepared.update(iou, ["cap_unprotected_penalty"])
    prepared.insert(Transaction(
        iou=iou, kind=TransactionKind.PENALTY, day=day, amount=total, penalty=total, allocation=details,
        entry_id=entry.pk if entry else None, created_by=user if getattr(user, "is_authenticated", False) else None,
    ))


def unprotected_penalty(iou: Iou, principal: Decimal, penalty: Decimal, days: int, day: date) -> Decimal:
    """Art. 29 (docs/domain.md §6): overdue charges may come to 4×LPR a year (the IOU's cap rate, from
    its cap check) on the overdue principal, ACT/365; what this accrual charges beyond that.
    Zero where the cap does not apply (no cap rate recorded)."""
    if iou.cap_rate is None or penalty <= 0:
        return ZERO
    check = cap_overdue_charges(principal=max(principal, ZERO), overdue_from=day - timedelta(days=days),
                                until=day, cap_rate=iou.cap_rate, penalty=penalty)
    return check.excess


DELINQUENCY_FIELDS = ("days_past_due", "bucket", "classification", "status", "overdue_since",
                      "limitation_expires_on")
CLASS_TO_TIER = {value: key for key, value in TIER_TO_CLASS.items()}


def classification_for(dpd: int, manual: str | None) -> str:
    """The five-tier class an IOU shows: the floor by days past due (docs/domain.md §13), or the
    tier set by hand when that is worse (a recorded decision, iou_classify)."""
    tier = aging.classification_floor(dpd)
    if manual:
        tier = max(tier, CLASS_TO_TIER[Classification(manual)])
    return TIER_TO_CLASS[tier]


def limitation_for(iou: Iou, day: date) -> date | None:
    """诉讼时效届满日 (docs/domain.md §12): three years from the last due date (民法典第一百八十八条;
    分期: from the last installment's, 第一百八十九条), started again by every interruption after it
    (第一百九十五条): the debtor's repayments (a partial payment acknowledges the debt) and the
    interruptions recorded with their evidence (a delivered demand, an acknowledgement, a lawsuit:
    ``ious.services.limitation``). Looked up only once `day` is past the last due date: nothing
    before it interrupts a period that has not started."""
    return expiry_for(iou, day)


def refresh_delinquency(iou: Iou, rows: list[Installment], day: date) -> None:
    """Days past due (and the oldest unpaid due date they count from), aging bucket, five-tier class
    (floor or a worse hand tier), 逾期 ⇄ 生效, and the limitation date, from the unpaid installments."""
    unpaid_due = [row.due_date for row in rows if any(v > 0 for v in unpaid(row).values()) and row.due_date < day]
    before = [getattr(iou, field) for field in DELINQUENCY_FIELDS]
    dpd = aging.days_past_due(unpaid_due, as_of=day)
    iou.days_past_due, iou.bucket = dpd, aging.loan_bucket(dpd)
    iou.overdue_since = min(unpaid_due) if unpaid_due else None
    iou.classification = classification_for(dpd, iou.classification_manual)
    iou.limitation_expires_on = limitation_for(iou, day)
    if dpd > 0 and status.can(iou, Event.FALL_OVERDUE):
        status.transition(iou, Event.FALL_OVERDUE)
    elif dpd == 0 and status.can(iou, Event.CURE):
        status.transition(iou, Event.CURE)
    # The balances were moved by the postings just made (not saved yet); the indexed delinquency
    # columns are written only when they change, which on most payments they do not.
    changed = [field for field, old in zip(DELINQUENCY_FIELDS, before, strict=True) if getattr(iou, field) != old]
    prepared.update(iou, [*changed, "updated_at", *BALANCE_FIELDS.values()])


def settle_if_paid(iou: Iou, rows: list[Installment], day: date) -> bool:
    """When nothing is owed any more, the IOU is 已结清 (any credit left stays to be refunded)."""
    if iou.principal_outstanding or iou.interest_outstanding or iou.penalty_outstanding or iou.fee_outstanding:
        return False
    if any(unpaid(row)["principal"] > 0 for row in rows) or not status.can(iou, Event.SETTLE):
        return False
    status.transition(iou, Event.SETTLE)
    iou.settled_on = day
    iou.save(update_fields=["status", "settled_on", "updated_at"])
    audit.record(AuditAction.ACTION, obj=iou, verb=_g("结清"), changes={"status": [None, iou.status]})
    return True


def posts_penalty_on(iou: Iou, rows: list[Installment], day: date) -> bool:
    """Whether the daily close of `day` posts the IOU's penalty to date (decision 0006): at month
    end (月末计提), when an installment falls due, when the five-tier class changes, or when the
    IOU would be settled. Every other day it only shows penalty to date (``penalty_to_date``)."""
    if (day + timedelta(days=1)).month != day.month:
        return True
    if any(row.due_date <= day and not row.interest_accrued for row in rows):
        return True
    unpaid_due = [row.due_date for row in rows if any(v > 0 for v in unpaid(row).values()) and row.due_date < day]
    if classification_for(aging.days_past_due(unpaid_due, as_of=day), iou.classification_manual) != iou.classification:
        return True
    # Customer credit to apply is a money event: it meets the penalty to date, as a payment would.
    return iou.overpayment > 0


def iou_close_day(*, iou: Iou, day: date | None = None, user=None) -> Iou:
    """日终 for one IOU: lock it and bring it up to `day` (the business date by default): interest
    and fees due, penalty posted when ``posts_penalty_on`` says so, credit applied, delinquency;
    and settle it when that left nothing owed (customer credit paying its last installment,
    docs/domain.md §10). Idempotent; the daily close (ioudesk/closing) runs it for every IOU that
    has something to do on the day."""
    with transaction.atomic():
        iou = lock(iou)
        if predicates.is_live(iou):
            close_day_locked(iou, current_installments(iou), day or clock.today(), user=user)
        return iou


def close_day_locked(iou: Iou, rows: list[Installment], day: date, *, user=None) -> None:
    """The work of ``iou_close_day`` on a live IOU the caller has locked, with its current
    installments read (the daily close locks and reads a whole batch at once)."""
    rows = iou_accrue(iou, day=day, user=user, rows=rows, penalty=posts_penalty_on(iou, rows, day))
    settle_if_paid(iou, rows, day)
