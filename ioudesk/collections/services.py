"""Writes of the collections app: cases (open, close, assign by hand, in bulk and by rules, recall,
mark as in legal), contact records with their evidence and promises, the settings and catalogues the
administrator edits, the seeded strategies. Each is ``@transaction.atomic``, refuses with an
``ApplicationError`` whose message names the field (``extra["field"]``) and is audited.

The same validation serves the form, the API and any import: it lives here.
The day step is in ``ioudesk.collections.daystep``; the rules it follows are in docs/domain.md §20.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Count, F, Min
from django.utils import timezone
from django.utils.translation import gettext as _g

from ioudesk.calc.aging import loan_bucket
from ioudesk.collections import attachments as files
from ioudesk.collections import predicates, selectors
from ioudesk.collections.arrears import arrears_of
from ioudesk.collections.models import (
    BUCKETS,
    ActionKind,
    Agency,
    AssignmentMethod,
    AssignmentRule,
    AttachmentKind,
    Case,
    CaseAssignment,
    CaseEvent,
    CaseStatus,
    CloseReason,
    CollectionSettings,
    CollectorProfile,
    ContactAttachment,
    ContactMethod,
    ContactRecord,
    EventKind,
    Nature,
    OutcomeCode,
    Party,
    Promise,
    PromiseStatus,
    Strategy,
    StrategyStep,
)
from ioudesk.collections.owed import case_owed_today
from ioudesk.collections.strategies import Strategies
from ioudesk.core import audit, clock, numbering, scope
from ioudesk.core.errors import InvalidState, PermissionDenied, ValidationFailed
from ioudesk.core.fields import FloatMoneyError, money_value
from ioudesk.core.models.audit import AuditAction
from ioudesk.ious.models import LIVE_STATUSES

CASE_PREFIX = "CS"
ZERO = Decimal("0.00")
DEFAULT_MAX_OPEN = 200  # a collector without a CollectorProfile: every bucket, up to 200 open cases
NATURES = {"loan": Nature.LOAN, "goods": Nature.GOODS, "services": Nature.SERVICES}
# A contact of this method carries out a pending action of this kind.
ACTION_FOR_METHOD = {
    ContactMethod.PHONE: ActionKind.PHONE, ContactMethod.SMS: ActionKind.SMS, ContactMethod.WECHAT: ActionKind.WECHAT,
    ContactMethod.VISIT: ActionKind.VISIT, ContactMethod.LETTER: ActionKind.LETTER,
    ContactMethod.LAWYER_LETTER: ActionKind.LAWYER_LETTER, ContactMethod.COURT: ActionKind.LEGAL_REVIEW,
}
# A demand with evidence of delivery interrupts the limitation period (民法典第一百九十五条).
DEMAND_METHODS = (ContactMethod.LETTER, ContactMethod.LAWYER_LETTER, ContactMethod.SMS, ContactMethod.WECHAT,
                  ContactMethod.VISIT, ContactMethod.PHONE)
DELIVERY_EVIDENCE = (AttachmentKind.DELIVERY_RECEIPT, AttachmentKind.RECORDING, AttachmentKind.LETTER)
PROMISE_MAX_DAYS = 366
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


def _refuse(message, *, field_name: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, extra={"field": field_name, "fields": {field_name: str(message)}})


def _user_label(user) -> str:
    return str(user) if user is not None else _g("日终")


def event_add(case: Case, kind: str, text: str = "", *, by=None, at: dt.datetime | None = None) -> CaseEvent:
    return CaseEvent.objects.create(case=case, kind=kind, text=str(text)[:300], by=by, at=at or timezone.now())


def _ensure_can_assign(by) -> None:
    if by is not None and not predicates.can_assign(by):
        raise PermissionDenied(_g("您没有分案的权限：分案、转派和收回由催收主管或系统管理员操作。"))


def _visible(case: Case, by) -> None:
    if by is not None and not predicates.can_view_case(case, by):
        raise PermissionDenied(_g("催收案件 %(number)s 不在您的查看范围内。") % {"number": case.number})


def enter_step(case: Case, step: StrategyStep | None, day: dt.date) -> None:
    """The case begins ``step`` on ``day``: its action is due at 18:00 the next day (not saved)."""
    case.stage, case.stage_since = step, (day if step is not None else None)
    case.next_action = step.action if step is not None else ""
    case.next_action_due = selectors.step_due_at(day) if step is not None else None


# --- cases ------------------------------------------------------------------------------------

@transaction.atomic
def case_open(iou, *, day: dt.date) -> Case:
    """Open the collection case of an overdue IOU (the close does this set-based for every newly
    overdue IOU). The IOU's open case is returned if it has one."""
    existing = Case.objects.filter(iou=iou, status=CaseStatus.OPEN).first()
    if existing is not None:
        return existing
    if iou.status not in LIVE_STATUSES or not iou.days_past_due:
        raise InvalidState(_g("借据 %(number)s 没有逾期（状态“%(status)s”，逾期 %(dpd)s 天），不能立案催收。") % {
            "number": iou.number, "status": iou.get_status_display(), "dpd": iou.days_past_due},
            code="case_not_overdue")
    strategies = Strategies.load()
    bucket = iou.bucket if iou.bucket in BUCKETS else loan_bucket(iou.days_past_due)
    case = Case(number=numbering.next_number(prefix=CASE_PREFIX, day=day), iou=iou, customer_id=iou.customer_id,
                branch_id=iou.branch_id, nature=NATURES.get(iou.debt_reason, Nature.OTHER), opened_on=day,
                bucket=bucket, days_past_due=iou.days_past_due,
                arrears=arrears_of([iou.pk], day).get(iou.pk, ZERO))
    enter_step(case, strategies.first_step(bucket), day)
    case.save()
    event_add(case, EventKind.OPENED, _g("逾期 %(dpd)s 天（%(bucket)s），逾期欠款 ¥%(arrears)s") % {
        "dpd": case.days_past_due, "bucket": bucket, "arrears": f"{case.arrears:,.2f}"})
    audit.record(AuditAction.CREATE, obj=case, verb=_g("催收立案"), branch_id=case.branch_id)
    return case


@transaction.atomic
def case_close(case: Case, *, reason: str, day: dt.date, by=None) -> Case:
    """结案: cured (nothing overdue any more), settled or written off."""
    if reason not in CloseReason.values:
        raise _refuse(_g("请选择结案原因：逾期已还清、已结清或已核销。"), field_name="reason", code="case_close_reason")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status != CaseStatus.OPEN:
        raise InvalidState(_g("催收案件 %(number)s 已结案。") % {"number": case.number}, code="case_closed")
    now = timezone.now()
    case.status, case.close_reason, case.closed_on = CaseStatus.CLOSED, reason, day
    case.next_action, case.next_action_due = "", None
    case.save(update_fields=["status", "close_reason", "closed_on", "next_action", "next_action_due", "updated_at"])
    CaseAssignment.objects.filter(case=case, ended_at__isnull=True).update(ended_at=now)
    event_add(case, EventKind.CLOSED, CloseReason(reason).label, by=by, at=now)
    audit.record(AuditAction.ACTION, obj=case, verb=_g("催收结案"), reason=str(CloseReason(reason).label),
                 branch_id=case.branch_id)
    return case


def _assignee_check(case: Case, owner, agency) -> None:
    if (owner is None) == (agency is None):
        raise _refuse(_g("请选择一位催收员或一家委外机构（只选一个）。"), field_name="owner", code="assign_target")
    if owner is not None:
        if not owner.is_active:
            raise _refuse(_g("%(user)s 已停用，不能接收案件。") % {"user": owner}, field_name="owner",
                          code="assign_owner_inactive")
        if not owner.has_perm(predicates.RECORD):
            raise _refuse(_g("%(user)s 没有记录催收的权限，不能接收案件。") % {"user": owner}, field_name="owner",
                          code="assign_owner_role")
        if not scope.can_see_branch(owner, case.branch_id):
            raise _refuse(_g("%(user)s 看不到案件 %(number)s 所属的网点，不能接收。") % {
                "user": owner, "number": case.number}, field_name="owner", code="assign_owner_branch")
    if agency is not None and not agency.active:
        raise _refuse(_g("委外机构“%(name)s”已停用。") % {"name": agency.name}, field_name="agency",
                      code="assign_agency_inactive")


def _assign(case: Case, *, owner, agency, method: str, by, reason: str, rule=None, now=None) -> CaseAssignment:
    now = now or timezone.now()
    CaseAssignment.objects.filter(case=case, ended_at__isnull=True).update(ended_at=now)
    row = CaseAssignment.objects.create(case=case, owner=owner, agency=agency, method=method, rule=rule,
                                        started_at=now, by=by, reason=reason[:200])
    case.owner, case.agency = owner, agency
    case.save(update_fields=["owner", "agency", "updated_at"])
    target = str(owner) if owner is not None else _g("委外：%(name)s") % {"name": agency.name}
    event_add(case, EventKind.ASSIGNED, _g("%(method)s给 %(target)s") % {
        "method": AssignmentMethod(method).label, "target": target} + (f"（{reason}）" if reason else ""),
        by=by, at=now)
    audit.record(AuditAction.ACTION, obj=case, verb=_g("分案"), reason=reason,
                 changes={"owner": [None, owner and owner.pk], "agency": [None, agency and agency.pk],
                          "method": [None, method]}, branch_id=case.branch_id)
    return row


@transaction.atomic
def case_assign(case: Case, *, owner=None, agency=None, method: str = AssignmentMethod.HAND, by, reason: str = ""
                ) -> CaseAssignment:
    """分案 / 转派 by hand: to one collector or one agency; the previous assignment ends, the history stays."""
    _ensure_can_assign(by)
    if method not in (AssignmentMethod.HAND, AssignmentMethod.BULK, AssignmentMethod.REASSIGN, AssignmentMethod.RULE):
        raise _refuse(_g("分案方式无效。"), field_name="method", code="assign_method")
    case = Case.objects.select_for_update().get(pk=case.pk)
    _visible(case, by)
    if case.status != CaseStatus.OPEN:
        raise InvalidState(_g("催收案件 %(number)s 已结案，不能分案。") % {"number": case.number}, code="case_closed")
    _assignee_check(case, owner, agency)
    if (owner is not None and case.owner_id == owner.pk) or (agency is not None and case.agency_id == agency.pk):
        raise _refuse(_g("案件 %(number)s 已经在 %(target)s 名下。") % {
            "number": case.number, "target": owner or agency}, field_name="owner" if owner else "agency",
            code="assign_same")
    if method == AssignmentMethod.HAND and (case.owner_id or case.agency_id):
        method = AssignmentMethod.REASSIGN
    return _assign(case, owner=owner, agency=agency, method=method, by=by, reason=reason)


@transaction.atomic
def cases_assign_bulk(cases, *, owner=None, agency=None, by, reason: str) -> int:
    """批量分案: every case to the same collector or agency, all or none (the refusals name the cases)."""
    _ensure_can_assign(by)
    cases = list(Case.objects.select_for_update(of=("self",)).filter(pk__in=[c.pk for c in cases]).order_by("pk")
                 .select_related("iou", "customer"))
    if not cases:
        raise _refuse(_g("请先勾选要分案的案件。"), field_name="cases", code="assign_none")
    closed = [c.number for c in cases if c.status != CaseStatus.OPEN]
    if closed:
        raise _refuse(_g("已结案的案件不能分案：%(numbers)s。") % {"numbers": "、".join(closed)}, field_name="cases",
                      code="case_closed")
    now = timezone.now()
    done = 0
    for case in cases:
        _visible(case, by)
        _assignee_check(case, owner, agency)
        if (owner is not None and case.owner_id == owner.pk) or (agency is not None and case.agency_id == agency.pk):
            continue
        _assign(case, owner=owner, agency=agency, method=AssignmentMethod.BULK, by=by, reason=reason, now=now)
        done += 1
    return done


@transaction.atomic
def case_recall(case: Case, *, by, reason: str) -> CaseAssignment:
    """收回 from a collector or an agency: the case stays unassigned (the close does not give it out
    again by rule) until it is assigned by hand."""
    _ensure_can_assign(by)
    if not (reason or "").strip():
        raise _refuse(_g("请填写收回原因。"), field_name="reason", code="recall_reason")
    case = Case.objects.select_for_update(of=("self",)).select_related("iou", "customer", "agency", "owner").get(pk=case.pk)
    _visible(case, by)
    if case.status != CaseStatus.OPEN:
        raise InvalidState(_g("催收案件 %(number)s 已结案，不能收回。") % {"number": case.number}, code="case_closed")
    if case.owner_id is None and case.agency_id is None:
        raise InvalidState(_g("案件 %(number)s 尚未分案，无需收回。") % {"number": case.number}, code="recall_unassigned")
    now = timezone.now()
    previous = case.owner or case.agency
    CaseAssignment.objects.filter(case=case, ended_at__isnull=True).update(ended_at=now)
    row = CaseAssignment.objects.create(case=case, owner=case.owner, agency=case.agency,
                                        method=AssignmentMethod.RECALL, started_at=now, by=by, reason=reason[:200])
    case.owner, case.agency = None, None
    case.save(update_fields=["owner", "agency", "updated_at"])
    event_add(case, EventKind.RECALLED, _g("从 %(target)s 收回：%(reason)s") % {"target": previous, "reason": reason},
              by=by, at=now)
    audit.record(AuditAction.ACTION, obj=case, verb=_g("收回案件"), reason=reason, branch_id=case.branch_id)
    return row


@transaction.atomic
def case_mark_legal(case: Case, *, by=None, text: str = "") -> Case:
    """The case goes to legal (H3's legal case calls this when it opens one): flagged and on the timeline."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.legal:
        return case
    case.legal = True
    case.save(update_fields=["legal", "updated_at"])
    event_add(case, EventKind.LEGAL, text or _g("转入法律诉讼"), by=by)
    audit.record(AuditAction.ACTION, obj=case, verb=_g("转法务"), reason=text, branch_id=case.branch_id)
    return case


@dataclass
class _Rule:
    """An assignment rule read once: its buckets, branch path and its eligible collectors."""

    rule: AssignmentRule
    buckets: frozenset
    branch_path: str | None
    collectors: list  # (user, skills frozenset or None for every bucket, limit)

    def matches(self, case: dict, branch_paths: dict[int, str]) -> bool:
        rule = self.rule
        if self.buckets and case["bucket"] not in self.buckets:
            return False
        if self.branch_path is not None and not branch_paths.get(case["branch_id"], "").startswith(self.branch_path):
            return False
        if rule.product_id is not None and case["iou__product_id"] != rule.product_id:
            return False
        if rule.min_arrears is not None and case["arrears"] < rule.min_arrears:
            return False
        return not (rule.max_arrears is not None and case["arrears"] > rule.max_arrears)


def _rules_read(rules, branch_paths) -> list[_Rule]:
    from ioudesk.core.models import User

    collector_ids = {u.pk for rule in rules for u in rule.collectors.all()}
    users = {u.pk: u for u in User.objects.filter(pk__in=collector_ids, is_active=True)}
    profiles = {p.user_id: p for p in CollectorProfile.objects.filter(user_id__in=collector_ids)}
    may_record = {pk for pk, user in users.items() if user.has_perm(predicates.RECORD)}
    read = []
    for rule in rules:
        collectors = []
        for member in sorted(rule.collectors.all(), key=lambda u: u.pk):
            profile = profiles.get(member.pk)
            if member.pk not in may_record or (profile is not None and not profile.active):
                continue
            skills = frozenset(profile.skill_list()) if profile is not None and profile.skill_list() else None
            collectors.append((users[member.pk], skills, profile.max_open_cases if profile else DEFAULT_MAX_OPEN))
        read.append(_Rule(rule=rule, buckets=frozenset(rule.bucket_list()),
                          branch_path=branch_paths.get(rule.branch_id, "/-/") if rule.branch_id else None,
                          collectors=collectors))
    return read


@transaction.atomic
def cases_assign_by_rules(cases, *, day: dt.date) -> dict[str, int]:
    """分案规则 (by the close): each unassigned open case (not held after a recall) to the first active
    rule it matches, in rule order: the rule's agency, or among its collectors the active one whose
    skills cover the bucket, who sees the case's branch and has the fewest open cases below their
    ``max_open_cases`` (ties: the lower user id). Larger arrears are given out first. Written with one
    UPDATE per collector or agency and bulk inserts. Counts: assigned, unmatched."""
    from ioudesk.core.models import Branch

    held = CaseAssignment.objects.filter(case_id__in=[c.pk for c in cases] if isinstance(cases, list) else
                                         cases.values("pk"), ended_at__isnull=True).values("case_id")
    queryset = Case.objects.filter(pk__in=[c.pk for c in cases]) if isinstance(cases, list) else cases
    rows = list(queryset.filter(status=CaseStatus.OPEN, owner__isnull=True, agency__isnull=True)
                .exclude(pk__in=held).order_by("-arrears", "id")
                .values("id", "bucket", "branch_id", "iou__product_id", "arrears"))
    counts = {"assigned": 0, "unmatched": 0}
    if not rows:
        return counts
    rules = list(AssignmentRule.objects.filter(active=True).prefetch_related("collectors").select_related("agency"))
    if not rules:
        counts["unmatched"] = len(rows)
        return counts
    branch_paths = dict(Branch.objects.values_list("pk", "path"))
    read = _rules_read(rules, branch_paths)
    collector_ids = {user.pk for r in read for user, _s, _l in r.collectors}
    load = dict(Case.objects.filter(owner_id__in=collector_ids, status=CaseStatus.OPEN).order_by()
                .values_list("owner_id").annotate(n=Count("id")).values_list("owner_id", "n"))
    sees: dict[tuple[int, int], bool] = {}
    chosen: dict[tuple, list[int]] = {}  # (owner id, agency id, rule id) → case ids
    for case in rows:
        for r in read:
            if not r.matches(case, branch_paths):
                continue
            if r.rule.agency_id is not None:
                if r.rule.agency.active:
                    chosen.setdefault((None, r.rule.agency_id, r.rule.pk), []).append(case["id"])
                    break
                continue
            best, best_load = None, None
            for user, skills, limit in r.collectors:
                if skills is not None and case["bucket"] not in skills:
                    continue
                current = load.get(user.pk, 0)
                if current >= limit or (best_load is not None and current >= best_load):
                    continue
                key = (user.pk, case["branch_id"])
                if key not in sees:
                    sees[key] = scope.can_see_branch(user, case["branch_id"])
                if sees[key]:
                    best, best_load = user, current
            if best is not None:
                load[best.pk] = best_load + 1
                chosen.setdefault((best.pk, None, r.rule.pk), []).append(case["id"])
                break
        else:
            counts["unmatched"] += 1
    if not chosen:
        return counts
    now = selectors.close_moment(day)
    rules_by_id = {r.pk: r for r in rules}
    names = {user.pk: str(user) for r in read for user, _s, _l in r.collectors}
    assignments, events = [], []
    for (owner_id, agency_id, rule_id), ids in chosen.items():
        rule = rules_by_id[rule_id]
        target = names[owner_id] if owner_id is not None else _g("委外：%(name)s") % {"name": rule.agency.name}
        text = (_g("按规则“%(rule)s”分给 %(target)s") % {"rule": rule.name, "target": target})[:300]
        for start in range(0, len(ids), 900):
            Case.objects.filter(pk__in=ids[start:start + 900]).update(owner_id=owner_id, agency_id=agency_id)
        for pk in ids:
            assignments.append(CaseAssignment(case_id=pk, owner_id=owner_id, agency_id=agency_id,
                                              method=AssignmentMethod.RULE, rule_id=rule_id, started_at=now,
                                              reason=rule.name[:200]))
            events.append(CaseEvent(case_id=pk, at=now, kind=EventKind.ASSIGNED, text=text))
    CaseAssignment.objects.bulk_create(assignments, batch_size=1000)
    CaseEvent.objects.bulk_create(events, batch_size=1000)
    counts["assigned"] = sum(len(ids) for ids in chosen.values())
    return counts


# --- contact records ----------------------------------------------------------------------------

def _party(case: Case, party: str, contact, party_name: str) -> tuple[str, object, str]:
    if party not in Party.values:
        raise _refuse(_g("请选择联系对象：债务人、担保人或客户的联系人。"), field_name="party", code="contact_party")
    if party == Party.DEBTOR:
        return party, None, case.customer.name
    if party == Party.GUARANTOR:
        if case.iou_id is None:
            raise _refuse(_g("往来单据 %(number)s 没有担保人，不能记录对担保人的催收。") % {"number": case.debt_number},
                          field_name="party", code="contact_no_guarantor")
        guarantor = case.iou.guarantor.strip()
        if not guarantor:
            raise _refuse(_g("借据 %(number)s 没有担保人，不能记录对担保人的催收。") % {"number": case.iou.number},
                          field_name="party", code="contact_no_guarantor")
        if party_name.strip() and party_name.strip() != guarantor:
            raise _refuse(_g("“%(name)s”不是这笔借据的担保人（担保人：%(guarantor)s）：不能向与债务无关的第三方催收。") % {
                "name": party_name.strip(), "guarantor": guarantor}, field_name="party_name",
                code="contact_not_a_party")
        return party, None, guarantor
    if contact is None:
        raise _refuse(_g("请选择联系人：只能联系债务人、担保人或客户登记的联系人。"), field_name="contact",
                      code="contact_missing")
    if contact.customer_id != case.customer_id:
        raise _refuse(_g("“%(name)s”不是债务人 %(customer)s 登记的联系人：不能向与债务无关的第三方催收。") % {
            "name": contact.name, "customer": case.customer.name}, field_name="contact", code="contact_not_a_party")
    return party, contact, contact.name


def _interruption(method: str, outcome: str, party: str, checked: list) -> tuple[str, str, str] | None:
    """(kind, sha256, note) of the limitation interruption this record evidences, or None."""
    if party != Party.DEBTOR:
        return None
    for item in checked:
        if item.kind == AttachmentKind.ACKNOWLEDGEMENT:
            return "acknowledgement", item.sha256, _g("债务确认书：%(name)s") % {"name": item.original_name}
    if outcome == OutcomeCode.DELIVERED and method in DEMAND_METHODS:
        for kind in DELIVERY_EVIDENCE:
            for item in checked:
                if item.kind == kind:
                    return "demand", item.sha256, _g("%(method)s送达，证据：%(kind)s %(name)s") % {
                        "method": ContactMethod(method).label, "kind": AttachmentKind(kind).label,
                        "name": item.original_name}
    return None


def contact_record_validate(case: Case, *, method, party, contact=None, party_name="", outcome, next_action_due=None,
                            contacted_at, attachments=(), promise=None, corrects=None, refers_to=None,
                            day: dt.date | None = None):
    """The checks of a contact record (for form, API and import), without writing anything. Returns
    (party, contact, party_name, checked attachments, promise (amount, date) or None)."""
    day = day or clock.today()
    if method not in ContactMethod.values:
        raise _refuse(_g("请选择联系方式。"), field_name="method", code="contact_method")
    if outcome not in OutcomeCode.values:
        raise _refuse(_g("请选择联系结果。"), field_name="outcome", code="contact_outcome")
    party, contact, party_name = _party(case, party, contact, party_name or "")
    if contacted_at is None:
        raise _refuse(_g("请填写联系时间。"), field_name="contacted_at", code="contact_time_missing")
    if timezone.is_naive(contacted_at):
        contacted_at = timezone.make_aware(contacted_at, selectors.BEIJING)
    local_day = selectors.beijing_date(contacted_at)
    # Later than now (the clock's, not the business date: the business date may lag a day or more when
    # the close is run by hand, and a call made this morning is no less real).
    if contacted_at > timezone.now() + FUTURE_TOLERANCE:
        raise _refuse(_g("联系时间 %(at)s 晚于现在，不能记录未发生的联系。") % {
            "at": contacted_at.astimezone(selectors.BEIJING).strftime("%Y-%m-%d %H:%M")},
            field_name="contacted_at", code="contact_time_future")
    began = case.iou.contract_date if case.iou_id is not None else case.bill.bill_date
    if local_day < began:
        raise _refuse(_g("联系时间 %(at)s 早于借款/欠款日期 %(start)s，请核对。") % {
            "at": local_day.isoformat(), "start": began.isoformat()},
            field_name="contacted_at", code="contact_time_early")
    if next_action_due is not None:
        if timezone.is_naive(next_action_due):
            next_action_due = timezone.make_aware(next_action_due, selectors.BEIJING)
        if next_action_due < contacted_at:
            raise _refuse(_g("下次行动时间不能早于本次联系时间。"), field_name="next_action_due",
                          code="contact_next_before")
    for name, other in (("corrects", corrects), ("refers_to", refers_to)):
        if other is not None and other.case_id != case.pk:
            raise _refuse(_g("关联的记录不属于本案件。"), field_name=name, code="contact_other_case")
    checked = [files.check(kind, upload) for kind, upload in attachments]
    if outcome == OutcomeCode.PROMISED and promise is None:
        raise _refuse(_g("结果为“承诺还款”时请填写承诺金额和承诺还款日。"), field_name="promise_amount",
                      code="promise_missing")
    if promise is not None:
        if outcome != OutcomeCode.PROMISED:
            raise _refuse(_g("填写了承诺还款，联系结果应为“承诺还款”。"), field_name="outcome",
                          code="promise_outcome")
        amount, promised_on = promise
        if amount is None or amount == "":
            raise _refuse(_g("请填写承诺金额。"), field_name="promise_amount", code="promise_amount_missing")
        try:
            amount = money_value(amount)
        except (DjangoValidationError, FloatMoneyError, TypeError):
            raise _refuse(_g("承诺金额“%(amount)s”无效：请写金额，最多两位小数，如 1200.00。") % {"amount": amount},
                          field_name="promise_amount", code="promise_amount_invalid") from None
        if amount <= 0:
            raise _refuse(_g("承诺金额须大于 0。"), field_name="promise_amount", code="promise_amount_positive")
        arrears = case_owed_today(case, day).total  # what the pages quote: penalty to the day included
        if amount > arrears:
            raise _refuse(_g("承诺金额 ¥%(amount)s 超过截至今日欠款 ¥%(arrears)s，请核对。") % {
                "amount": f"{amount:,.2f}", "arrears": f"{arrears:,.2f}"}, field_name="promise_amount",
                code="promise_above_arrears")
        if promised_on is None:
            raise _refuse(_g("请填写承诺还款日。"), field_name="promised_on", code="promise_date_missing")
        if promised_on < day:
            raise _refuse(_g("承诺还款日 %(on)s 早于营业日 %(day)s：不能承诺在过去还款。") % {
                "on": promised_on.isoformat(), "day": day.isoformat()}, field_name="promised_on",
                code="promise_in_past")
        if promised_on > day + dt.timedelta(days=PROMISE_MAX_DAYS):
            raise _refuse(_g("承诺还款日 %(on)s 太远（最晚一年内），请核对。") % {"on": promised_on.isoformat()},
                          field_name="promised_on", code="promise_too_far")
        promise = (amount, promised_on)
    return party, contact, party_name, contacted_at, next_action_due, checked, promise


@transaction.atomic
def contact_record_create(case: Case, *, method, party, contact=None, party_name="", outcome, notes="", next_step="",
                          next_action_due=None, contacted_at, by, attachments=(), promise=None, corrects=None,
                          refers_to=None) -> ContactRecord:
    """催收记录: who was contacted how, with what outcome and evidence, and an optional promise to pay.

    Refused: not allowed to record on this case; a party who is not the debtor, the guarantor or
    one of the customer's contacts; a time in the future; a promise in the past or above the
    arrears; evidence files of the wrong type. Outside the contact hours or over the daily cap the
    record is kept with its warning. A demand whose delivery is evidenced, or a signed
    acknowledgement, interrupts the limitation period (ioudesk.ious.services.limitation) of an IOU's
    case; a receivables bill's case keeps the record and its evidence (no limitation clock of its own)."""
    case = Case.objects.select_for_update(of=("self",)).select_related("iou", "bill", "customer").get(pk=case.pk)
    if not predicates.can_record_contact(case, by):
        if case.status != CaseStatus.OPEN:
            raise InvalidState(_g("催收案件 %(number)s 已结案，不能再记录催收。") % {"number": case.number},
                               code="case_closed")
        raise PermissionDenied(_g("您不能在案件 %(number)s 上记录催收：只能记录自己名下（或本网点，视角色而定）的案件。")
                               % {"number": case.number})
    party, contact, party_name, contacted_at, next_action_due, checked, promise = contact_record_validate(
        case, method=method, party=party, contact=contact, party_name=party_name, outcome=outcome,
        next_action_due=next_action_due, contacted_at=contacted_at, attachments=attachments, promise=promise,
        corrects=corrects, refers_to=refers_to)
    policy = selectors.contact_policy_check(case, at=contacted_at, method=method)
    # The limitation clock is the IOU's (ious.services.limitation); a receivables bill has none here.
    interruption = _interruption(method, outcome, party, checked) if case.iou_id is not None else None
    record = ContactRecord(
        case=case, iou_id=case.iou_id, customer_id=case.customer_id, branch_id=case.branch_id, method=method,
        party=party, contact=contact, party_name=party_name[:100], outcome=outcome, notes=notes or "",
        next_step=(next_step or "")[:200], next_action_due=next_action_due, contacted_at=contacted_at,
        recorded_by=by, corrects=corrects, refers_to=refers_to, outside_hours=policy.outside_hours,
        over_daily_cap=policy.over_daily_cap, warning="；".join(policy.warnings)[:300],
        interruption_recorded=interruption is not None)
    record.save()
    stored: list[str] = []
    try:
        for item in checked:
            name = files.store(item, case_id=case.pk)
            stored.append(name)
            row = ContactAttachment(record=record, kind=item.kind, original_name=item.original_name,
                                    content_type=item.content_type, size=item.size, sha256=item.sha256,
                                    uploaded_by=by)
            row.file.name = name
            row.save()
        if promise is not None:
            Promise.objects.create(record=record, case=case, iou_id=case.iou_id, amount=promise[0],
                                   promised_on=promise[1], collector=by)
        _after_contact(case, record, promise)
        audit.record(AuditAction.CREATE, obj=record, verb=_g("新增催收记录"), branch_id=case.branch_id, changes={
            "case": [None, case.number], "method": [None, method], "party": [None, party],
            "outcome": [None, outcome], "attachments": [None, [item.sha256 for item in checked]],
            "promise": [None, promise and [str(promise[0]), promise[1].isoformat()]]})
        if interruption is not None:
            from ioudesk.ious.services.limitation import limitation_interrupt

            kind, sha256, note = interruption
            limitation_interrupt(case.iou, kind=kind, on=selectors.beijing_date(contacted_at), evidence_sha256=sha256,
                                 evidence_note=note, source=f"collections.contactrecord:{record.pk}", by=by)
    except BaseException:
        files.discard(stored)
        raise
    return record


def _after_contact(case: Case, record: ContactRecord, promise) -> None:
    """The case after a contact: the pending action done when the contact is of its kind (the next
    step's action follows when its day comes), the collector's own next action time, the promise."""
    fields = ["updated_at"]
    strategies = None
    if case.next_action and ACTION_FOR_METHOD.get(record.method) == case.next_action:
        strategies = Strategies.load()
        following = strategies.next_step(case.stage) if case.stage_id else None
        if following is not None:
            case.next_action = following.action
            case.next_action_due = selectors.step_due_at(case.stage_since + dt.timedelta(days=following.after_days))
        else:
            case.next_action, case.next_action_due = "", None
        fields += ["next_action", "next_action_due"]
    if record.next_action_due is not None:
        if not case.next_action:
            case.next_action = ACTION_FOR_METHOD.get(record.method, ActionKind.PHONE)
        case.next_action_due = record.next_action_due
        fields += ["next_action", "next_action_due"]
    if promise is not None:
        due = Promise.objects.filter(case=case, status=PromiseStatus.PENDING).aggregate(d=Min("promised_on"))["d"]
        case.promise_due_on = due
        fields.append("promise_due_on")
    case.save(update_fields=sorted(set(fields)))
    text = f"{record.get_method_display()} · {record.party_name} · {record.get_outcome_display()}"
    if promise is not None:
        text += _g("，承诺 %(on)s 还款 ¥%(amount)s") % {"on": promise[1].isoformat(), "amount": f"{promise[0]:,.2f}"}
    event_add(case, EventKind.CONTACT, text, by=record.recorded_by, at=record.contacted_at)


# --- settings and catalogues ---------------------------------------------------------------------

def _problems(problems: dict[str, str], code: str) -> None:
    if problems:
        raise ValidationFailed("；".join(str(v) for v in problems.values()), code=code,
                               extra={"fields": problems, "field": next(iter(problems))})


def _buckets_check(text: str, field_name: str, problems: dict) -> str:
    parts = [p.strip().upper() for p in (text or "").replace("，", ",").split(",") if p.strip()]
    bad = [p for p in parts if p not in BUCKETS]
    if bad:
        problems[field_name] = _g("账龄“%(bad)s”无效：请写 %(all)s 中的一个或几个，用逗号分隔。") % {
            "bad": "、".join(bad), "all": ",".join(BUCKETS)}
    return ",".join(dict.fromkeys(parts))


def _save(obj, before, verb_new, verb_change):
    obj.save()
    audit.record_change(obj=obj, before=before, after=audit.snapshot(obj), verb=verb_new if before is None else verb_change)
    return obj


def _before(model, obj):
    return audit.snapshot(model.objects.select_for_update().get(pk=obj.pk)) if obj.pk else None


@transaction.atomic
def collection_settings_update(*, settings: CollectionSettings, user=None) -> CollectionSettings:
    problems = {}
    if settings.long_overdue_days is None or not 1 <= settings.long_overdue_days <= 3650:
        problems["long_overdue_days"] = _g("长期逾期天数须在 1 到 3650 之间。")
    if settings.calls_daily_cap is None or settings.calls_daily_cap > 50:
        problems["calls_daily_cap"] = _g("每日联系上限须在 0 到 50 之间（0 为不限）。")
    if settings.missed_action_grace_days is None or settings.missed_action_grace_days > 60:
        problems["missed_action_grace_days"] = _g("宽限天数须在 0 到 60 之间。")
    try:
        days = settings.alert_days()
        if not days or any(d < 1 or d > 3650 for d in days):
            raise ValueError
        settings.limitation_alert_days = ",".join(str(d) for d in days)
    except ValueError:
        problems["limitation_alert_days"] = _g("诉讼时效预警天数请写 1 到 3650 的整数，多个用逗号分隔，如 90,30。")
    _problems(problems, "collection_settings_invalid")
    return _save(settings, _before(CollectionSettings, settings), _g("新增催收设置"), _g("修改催收设置"))


@transaction.atomic
def agency_save(*, agency: Agency, user=None) -> Agency:
    problems = {}
    agency.name = (agency.name or "").strip()
    if not agency.name:
        problems["name"] = _g("请填写委外机构名称。")
    elif Agency.objects.filter(name__iexact=agency.name).exclude(pk=agency.pk).exists():
        problems["name"] = _g("已有同名的委外机构“%(name)s”。") % {"name": agency.name}
    rate = agency.commission_rate
    if rate is None or not Decimal("0") <= Decimal(rate) <= Decimal("1"):
        problems["commission_rate"] = _g("佣金比例须在 0 到 1 之间，如 0.1500 表示 15%。")
    _problems(problems, "agency_invalid")
    return _save(agency, _before(Agency, agency), _g("新增委外机构"), _g("修改委外机构"))


@transaction.atomic
def collector_profile_save(*, profile: CollectorProfile, user=None) -> CollectorProfile:
    problems = {}
    profile.skills = _buckets_check(profile.skills, "skills", problems)
    if profile.max_open_cases is None or not 1 <= profile.max_open_cases <= 100000:
        problems["max_open_cases"] = _g("最多在办案件数须在 1 到 100000 之间。")
    if profile.user_id and not profile.user.has_perm(predicates.RECORD):
        problems["user"] = _g("%(user)s 没有记录催收的权限（请先给他催收员或催收主管角色）。") % {"user": profile.user}
    _problems(problems, "collector_profile_invalid")
    return _save(profile, _before(CollectorProfile, profile), _g("新增催收员设置"), _g("修改催收员设置"))


@transaction.atomic
def assignment_rule_save(*, rule: AssignmentRule, collectors=None, user=None) -> AssignmentRule:
    """A rule gives its cases to an agency or to its collectors (``collectors``: the users, set after
    saving; None keeps the rule's)."""
    problems = {}
    rule.name = (rule.name or "").strip()
    if not rule.name:
        problems["name"] = _g("请填写规则名称。")
    rule.buckets = _buckets_check(rule.buckets, "buckets", problems)
    if rule.min_arrears is not None and rule.min_arrears < 0:
        problems["min_arrears"] = _g("欠款下限不能为负数。")
    if rule.min_arrears is not None and rule.max_arrears is not None and rule.max_arrears < rule.min_arrears:
        problems["max_arrears"] = _g("欠款上限不能小于下限。")
    members = list(collectors) if collectors is not None else (list(rule.collectors.all()) if rule.pk else [])
    if rule.agency_id is not None and members:
        problems["agency"] = _g("一条规则分给委外机构或分给催收员，不能两者都选。")
    elif rule.agency_id is None and not members:
        problems["collectors"] = _g("请选择接收案件的催收员或委外机构。")
    unable = [str(u) for u in members if not u.has_perm(predicates.RECORD)]
    if unable:
        problems["collectors"] = _g("%(users)s 没有记录催收的权限，不能接收案件。") % {"users": "、".join(unable)}
    _problems(problems, "assignment_rule_invalid")
    saved = _save(rule, _before(AssignmentRule, rule), _g("新增分案规则"), _g("修改分案规则"))
    if collectors is not None:
        saved.collectors.set(members)
    return saved


@transaction.atomic
def strategy_save(*, strategy: Strategy, user=None) -> Strategy:
    problems = {}
    strategy.bucket = (strategy.bucket or "").strip().upper()
    if strategy.bucket not in BUCKETS:
        problems["bucket"] = _g("账龄请写 %(all)s 中的一个。") % {"all": "、".join(BUCKETS)}
    elif Strategy.objects.filter(bucket=strategy.bucket).exclude(pk=strategy.pk).exists():
        problems["bucket"] = _g("账龄 %(bucket)s 已有策略，请修改那一条。") % {"bucket": strategy.bucket}
    if not (strategy.name or "").strip():
        problems["name"] = _g("请填写策略名称。")
    _problems(problems, "strategy_invalid")
    return _save(strategy, _before(Strategy, strategy), _g("新增催收策略"), _g("修改催收策略"))


@transaction.atomic
def strategy_step_save(*, step: StrategyStep, user=None) -> StrategyStep:
    problems = {}
    if step.action not in ActionKind.values:
        problems["action"] = _g("请选择行动。")
    if step.after_days is None or step.after_days > 365:
        problems["after_days"] = _g("天数须在 0 到 365 之间。")
    if StrategyStep.objects.filter(strategy_id=step.strategy_id, order=step.order).exclude(pk=step.pk).exists():
        problems["order"] = _g("本策略已有第 %(order)s 步。") % {"order": step.order}
    _problems(problems, "strategy_step_invalid")
    return _save(step, _before(StrategyStep, step), _g("新增策略步骤"), _g("修改策略步骤"))


@transaction.atomic
def strategy_step_delete(*, step: StrategyStep, user=None) -> None:
    """Remove a step from a strategy. Cases at that step keep their place in the strategy by the
    step's order (``Case.stage`` is SET_NULL: the next close sets the case's next step again)."""
    stored = StrategyStep.objects.select_for_update().get(pk=step.pk)
    before = audit.snapshot(stored)
    pk = stored.pk
    stored.delete()
    stored.pk = pk
    audit.record_change(obj=stored, before=before, after=None, verb=_g("删除策略步骤"))


DEFAULT_STRATEGIES = [
    # bucket, name, [(action, after_days, label)]
    ("M1", "M1 短信与电话", [(ActionKind.SMS, 0, "发送逾期提醒短信"), (ActionKind.PHONE, 3, "电话催收")]),
    ("M2", "M2 电话与上门", [(ActionKind.PHONE, 0, "电话催收"), (ActionKind.VISIT, 10, "上门催收")]),
    ("M3", "M3及以上 律师函与法务审查", [(ActionKind.LAWYER_LETTER, 0, "发出律师函"),
                                        (ActionKind.LEGAL_REVIEW, 15, "法务审查是否起诉")]),
]


@transaction.atomic
def strategy_defaults_ensure() -> int:
    """Seed the default strategies (M1 SMS→phone; M2 phone→visit; M3 and above lawyer's letter→legal
    review) and the settings row when there is no strategy at all (idempotent: an administrator's
    changes stay). Returns the strategies created."""
    selectors.collection_settings()
    if Strategy.objects.exists():
        return 0
    for bucket, name, steps in DEFAULT_STRATEGIES:
        strategy = strategy_save(strategy=Strategy(bucket=bucket, name=name))
        for order, (action, after_days, label) in enumerate(steps, start=1):
            strategy_step_save(step=StrategyStep(strategy=strategy, order=order, action=action, after_days=after_days,
                                                 label=label))
    return len(DEFAULT_STRATEGIES)


# --- shared by the day step ----------------------------------------------------------------------

def pending_promise_dates(case_ids) -> dict[int, dt.date]:
    return dict(Promise.objects.filter(case_id__in=list(case_ids), status=PromiseStatus.PENDING).order_by()
                .values_list("case_id").annotate(d=Min("promised_on")).values_list("case_id", "d"))


def open_cases_by_owner() -> dict[int, int]:
    return dict(Case.objects.filter(status=CaseStatus.OPEN, owner__isnull=False).order_by().values_list("owner_id")
                .annotate(n=Count("id")).values_list("owner_id", "n"))


def escalate(cases: list[Case], *, day: dt.date, reason: str, strategies: Strategies | None = None) -> int:
    """Move each case one step up its strategy (or to the next bucket's), escalation level + 1, an
    event with the reason; a case with nowhere higher stays as it is. Saved in bulk; returns the
    cases escalated."""
    strategies = strategies or Strategies.load()
    now = selectors.close_moment(day)
    events, moved = [], []
    for case in cases:
        step = strategies.step_by_id.get(case.stage_id) if case.stage_id else None
        target = strategies.escalation_target(step, case.bucket)
        if target is None:
            continue  # the highest strategy's last step (legal review): nowhere higher
        case.escalation_level += 1
        enter_step(case, target, day)
        events.append(CaseEvent(case=case, at=now, kind=EventKind.ESCALATED, text=(
            _g("%(reason)s，升级至 %(bucket)s 第%(order)s步：%(action)s") % {
                "reason": reason, "bucket": target.strategy.bucket, "order": target.order,
                "action": ActionKind(target.action).label})[:300]))
        moved.append(case)
    by_step: dict[int, list[int]] = {}
    for case in moved:
        by_step.setdefault(case.stage_id, []).append(case.pk)
    for step_id, ids in by_step.items():
        steps_update(ids, strategies.step_by_id[step_id], day, escalation_level=F("escalation_level") + 1)
    CaseEvent.objects.bulk_create(events, batch_size=1000)
    return len(moved)


def steps_update(ids: list[int], step: StrategyStep, day: dt.date, **more) -> None:
    """The cases ``ids`` begin ``step`` on ``day``: one UPDATE per 900 ids (the same values for all)."""
    for start in range(0, len(ids), 900):
        Case.objects.filter(pk__in=ids[start:start + 900]).update(
            stage=step, stage_since=day, next_action=step.action, next_action_due=selectors.step_due_at(day), **more)

