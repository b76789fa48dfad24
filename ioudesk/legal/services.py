"""Legal cases (法律诉讼) and the defaulter list (失信/黑名单): every write, checked, audited.

* ``legal_case_open`` from a collection case (转诉讼) marks that case as in legal;
  ``legal_case_create`` without one (from the admin, per IOU or per customer);
* ``legal_case_update``: lawyer, filing, court, case numbers, judgment, enforcement, recovered,
  status. Setting the filing date records a LAWSUIT interruption of the limitation period
  (民法典第一百九十五条) on the IOU, or on every IOU in effect of the customer for a case per
  customer; setting the judgment date records the end of the proceedings, from which the period
  runs again (same article);
* ``legal_event_add``, ``legal_cost_add``;
* ``legal_case_lawyer_letter``: a 律师函 issued for a collection case dates its open legal cases'
  ``lawyer_letter_on`` (called by ``legal.letters.demand_letter_issue``);
* ``defaulter_list`` (with the evidence file and its SHA-256), ``defaulter_remove``.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import parse_amount
from ioudesk.collections.models import Case
from ioudesk.collections.services import case_mark_legal
from ioudesk.core import audit, clock, numbering, scope
from ioudesk.core.crypto import blind_index
from ioudesk.core.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.storage import private_storage
from ioudesk.customers import sniff
from ioudesk.customers.files import clean_original_name
from ioudesk.ious.models import LIVE_STATUSES, Iou, LimitationKind
from ioudesk.ious.services.limitation import limitation_interrupt
from ioudesk.legal import predicates
from ioudesk.legal.models import (
    Defaulter,
    DefaulterSource,
    LegalCase,
    LegalCost,
    LegalCostKind,
    LegalEvent,
    LegalEventKind,
    LegalStatus,
)

PREFIX = "FS"
ID_PURPOSE = "customer.id_number"  # the customers' own: a listed ID matches Customer.id_number_index
EVIDENCE_GROUPS = ("pdf", "image")
EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
TEXT_FIELDS = ("lawyer", "law_firm", "court", "court_case_number", "enforcement_case_number", "notes")
DATE_FIELDS = ("lawyer_letter_on", "filed_on", "judgment_on", "closed_on")
MONEY_FIELDS = ("claim_amount", "judgment_amount", "recovered_amount")
FIELD_LABELS = {
    "lawyer": _("承办律师"), "law_firm": _("律师事务所"), "court": _("受理法院"), "court_case_number": _("案号"),
    "enforcement_case_number": _("执行案号"), "notes": _("备注"), "lawyer_letter_on": _("律师函日期"),
    "filed_on": _("立案（起诉）日期"), "judgment_on": _("判决日期"), "closed_on": _("结案日期"),
    "claim_amount": _("诉讼请求金额"), "judgment_amount": _("判决金额"), "recovered_amount": _("已回收金额"),
    "status": _("状态"),
}


def _invalid(field_name: str, message) -> ValidationFailed:
    return ValidationFailed(message, code="legal_invalid", extra={
        "field": field_name, "details": [{"field": field_name, "message": str(message)}]})


def _money(field_name: str, value) -> Decimal:
    try:
        amount = parse_amount(value)
    except Exception as error:  # calc's errors name what is wrong with the amount
        raise _invalid(field_name, _("%(field)s：%(error)s") % {"field": FIELD_LABELS[field_name], "error": error}) \
            from error
    if amount < 0:
        raise _invalid(field_name, _("%(field)s不能为负数。") % {"field": FIELD_LABELS[field_name]})
    return amount


def _snapshot(case: LegalCase) -> dict:
    return audit.snapshot(case)


# --- legal cases -------------------------------------------------------------------------------


@transaction.atomic
def legal_case_open(collection_case: Case, *, by, lawyer: str = "", law_firm: str = "",
                    claim_amount: Decimal | str | None = None, notes: str = "", day: date | None = None) -> LegalCase:
    """转诉讼: a legal case for the collection case's IOU, the collection case marked as in legal
    (``collections.services.case_mark_legal`` when collections has it). The claim defaults to what
    the IOU owes as posted."""
    collection_case = (Case.objects.select_for_update(of=("self",)).select_related("iou", "bill", "customer")
                       .get(pk=collection_case.pk))
    if not predicates.can_open_legal_case(collection_case, by):
        if collection_case.legal:
            raise InvalidState(_("催收案件 %(number)s 已转诉讼。") % {"number": collection_case.number})
        if collection_case.status != "open":
            raise InvalidState(_("催收案件 %(number)s 已结案，不能转诉讼。") % {"number": collection_case.number})
        raise PermissionDenied(_("您没有将该催收案件转诉讼的权限。"))
    iou = collection_case.iou  # None for a receivables bill's case: the legal case is the customer's
    claim = (collection_case.debt_outstanding if claim_amount in (None, "")
             else _money("claim_amount", claim_amount))
    legal_case = _create(iou=iou, customer=collection_case.customer, branch_id=collection_case.branch_id,
                         collection_case=collection_case, by=by, lawyer=lawyer, law_firm=law_firm, claim=claim,
                         notes=notes, day=day)
    _mark_collection_case(collection_case, legal_case, by=by, day=legal_case.opened_on)
    return legal_case


@transaction.atomic
def legal_case_create(*, by, iou: Iou | None = None, customer=None, lawyer: str = "", law_firm: str = "",
                      claim_amount: Decimal | str | None = None, notes: str = "", day: date | None = None) -> LegalCase:
    """A legal case without a collection case: for one IOU, or for a customer (several debts)."""
    if not (by is not None and by.has_perm(predicates.ADD_CASE)):
        raise PermissionDenied(_("您没有新建法律诉讼的权限。"))
    if iou is None and customer is None:
        raise _invalid("iou", _("请选择借据或被告（债务人）。"))
    if iou is not None:
        if customer is not None and customer.pk != iou.customer_id:
            raise _invalid("customer", _("借据 %(number)s 的债务人不是所选客户。") % {"number": iou.number})
        customer = iou.customer
    if not scope.can_see_branch(by, customer.branch_id):
        raise PermissionDenied(_("只能为本网点（及下级网点）的客户新建法律诉讼。"))
    if claim_amount in (None, ""):
        claim = iou.total_outstanding if iou is not None else Decimal("0.00")
    else:
        claim = _money("claim_amount", claim_amount)
    legal_case = _create(iou=iou, customer=customer, branch_id=(iou.branch_id if iou else customer.branch_id),
                         collection_case=None, by=by, lawyer=lawyer, law_firm=law_firm, claim=claim, notes=notes,
                         day=day)
    if iou is not None:
        open_case = Case.objects.select_for_update().filter(iou=iou, status="open", legal=False).first()
        if open_case is not None:
            LegalCase.objects.filter(pk=legal_case.pk).update(collection_case=open_case)
            legal_case.collection_case = open_case
            _mark_collection_case(open_case, legal_case, by=by, day=legal_case.opened_on)
    return legal_case


def _create(*, iou, customer, branch_id, collection_case, by, lawyer, law_firm, claim, notes, day) -> LegalCase:
    day = day or clock.today()
    legal_case = LegalCase(
        iou=iou, customer=customer, branch_id=branch_id, collection_case=collection_case,
        lawyer=(lawyer or "").strip()[:50], law_firm=(law_firm or "").strip()[:100], claim_amount=claim,
        notes=(notes or "").strip(), opened_on=day, opened_by=by if getattr(by, "is_authenticated", False) else None,
        number=numbering.next_number(prefix=PREFIX, day=day))
    legal_case.save()
    audit.record_change(obj=legal_case, before=None, after=_snapshot(legal_case))
    return legal_case


def _mark_collection_case(case: Case, legal_case: LegalCase, *, by, day: date) -> None:
    """Collections' own service flags the case and writes its timeline line."""
    case_mark_legal(case, by=by if getattr(by, "is_authenticated", False) else None,
                    text=_g("转诉讼 %(number)s") % {"number": legal_case.number})
    case.legal = True


@transaction.atomic
def legal_case_lawyer_letter(collection_case: Case, *, on: date, by=None) -> list[LegalCase]:
    """A 律师函 was issued on ``on`` for ``collection_case`` (``legal.letters.demand_letter_issue``):
    each of its legal cases not yet closed takes that date as ``lawyer_letter_on`` (the latest
    letter's: a later date already there stays), audited. No permission of its own: the letter's
    (``legal.issue_demand_letter``) was checked by its issuer. (The letter itself is the collection
    case's contact record, which the evidence timeline shows; no 发出律师函 step is added here, so it
    does not appear twice.) Returns the legal cases changed."""
    changed = []
    rows = (LegalCase.objects.select_for_update(of=("self",)).filter(collection_case_id=collection_case.pk)
            .exclude(status=LegalStatus.CLOSED).order_by("id"))
    for legal_case in rows:
        if legal_case.lawyer_letter_on is not None and legal_case.lawyer_letter_on >= on:
            continue
        before = _snapshot(legal_case)
        legal_case.lawyer_letter_on = on
        legal_case.save(update_fields=["lawyer_letter_on", "updated_at"])
        audit.record_change(obj=legal_case, before=before, after=_snapshot(legal_case), verb=_g("发出律师函"))
        changed.append(legal_case)
    return changed


def _check_change(legal_case: LegalCase, by) -> None:
    if not predicates.can_change_legal_case(legal_case, by):
        if legal_case.status == LegalStatus.CLOSED:
            raise InvalidState(_("诉讼 %(number)s 已结案，不能再修改。") % {"number": legal_case.number})
        raise PermissionDenied(_("您没有修改该法律诉讼的权限。"))


@transaction.atomic
def legal_case_update(legal_case: LegalCase, *, by, **changes) -> LegalCase:
    """Change the case's facts (any of TEXT_FIELDS, DATE_FIELDS, MONEY_FIELDS, ``status``), checked
    together. A filing date interrupts the limitation period (a LAWSUIT event on the IOU, or on each
    of the customer's IOUs in effect); a judgment date records the end of the proceedings."""
    legal_case = (LegalCase.objects.select_for_update(of=("self",)).select_related("iou", "customer")
                  .get(pk=legal_case.pk))
    _check_change(legal_case, by)
    unknown = set(changes) - {*TEXT_FIELDS, *DATE_FIELDS, *MONEY_FIELDS, "status"}
    if unknown:
        raise ValidationFailed(_("不能修改：%(fields)s") % {"fields": "、".join(sorted(unknown))})
    before = _snapshot(legal_case)
    was_filed, was_judged = legal_case.filed_on, legal_case.judgment_on
    today = clock.today()
    for name, value in changes.items():
        if name in TEXT_FIELDS:
            value = (value or "").strip()
        elif name in MONEY_FIELDS:
            value = _money(name, value if value not in (None, "") else "0")
        elif name in DATE_FIELDS:
            value = value or None
            if value is not None and value > today:
                raise _invalid(name, _("%(field)s %(day)s 晚于营业日 %(today)s，请核对。") % {
                    "field": FIELD_LABELS[name], "day": value.isoformat(), "today": today.isoformat()})
        elif name == "status" and value not in LegalStatus.values:
            raise _invalid("status", _("状态“%(status)s”无效。") % {"status": value})
        setattr(legal_case, name, value)
    _validate(legal_case)
    if legal_case.filed_on and legal_case.status == LegalStatus.PREPARING:
        legal_case.status = LegalStatus.FILED
    if legal_case.status == LegalStatus.CLOSED and legal_case.closed_on is None:
        legal_case.closed_on = today
    legal_case.save()
    audit.record_change(obj=legal_case, before=before, after=_snapshot(legal_case))
    if legal_case.filed_on and legal_case.filed_on != was_filed:
        _interrupt(legal_case, legal_case.filed_on, by=by, what=_g("起诉立案"), suffix="filed")
        _event(legal_case, LegalEventKind.FILING, legal_case.filed_on, by=by,
               text=" ".join(p for p in (legal_case.court, legal_case.court_case_number) if p))
    if legal_case.judgment_on and legal_case.judgment_on != was_judged:
        _interrupt(legal_case, legal_case.judgment_on, by=by, what=_g("诉讼程序终结（判决）"), suffix="judged")
        _event(legal_case, LegalEventKind.JUDGMENT, legal_case.judgment_on, by=by,
               text=_g("判决金额 ¥%(amount)s") % {"amount": f"{legal_case.judgment_amount:,.2f}"})
    return legal_case


def _validate(legal_case: LegalCase) -> None:
    c = legal_case
    if c.iou is not None and c.filed_on and c.filed_on < c.iou.contract_date:
        raise _invalid("filed_on", _("立案日期 %(day)s 早于借款/欠款日期 %(start)s，请核对。") % {
            "day": c.filed_on.isoformat(), "start": c.iou.contract_date.isoformat()})
    if c.judgment_on and not c.filed_on:
        raise _invalid("judgment_on", _("请先填写立案（起诉）日期，再填写判决日期。"))
    if c.judgment_on and c.filed_on and c.judgment_on < c.filed_on:
        raise _invalid("judgment_on", _("判决日期不能早于立案日期。"))
    if c.status in (LegalStatus.FILED, LegalStatus.HEARING, LegalStatus.JUDGED, LegalStatus.ENFORCING) and not c.filed_on:
        raise _invalid("filed_on", _("状态为“%(status)s”时请填写立案（起诉）日期。") % {"status": c.get_status_display()})
    if c.status in (LegalStatus.JUDGED, LegalStatus.ENFORCING) and not c.judgment_on:
        raise _invalid("judgment_on", _("状态为“%(status)s”时请填写判决日期。") % {"status": c.get_status_display()})
    if c.enforcement_case_number and not c.judgment_on:
        raise _invalid("enforcement_case_number", _("申请执行须在判决之后：请先填写判决日期。"))
    if c.closed_on and c.closed_on < c.opened_on:
        raise _invalid("closed_on", _("结案日期不能早于转诉讼日期。"))


def _ious_of(legal_case: LegalCase) -> list[Iou]:
    if legal_case.iou is not None:
        return [legal_case.iou]
    if legal_case.collection_case_id is not None and legal_case.collection_case.iou_id is None:
        return []  # a suit over a receivables bill (往来账款) interrupts no IOU's limitation period
    return list(Iou.objects.filter(customer=legal_case.customer, status__in=LIVE_STATUSES).order_by("id"))


def _interrupt(legal_case: LegalCase, on: date, *, by, what: str, suffix: str) -> None:
    note = "；".join(p for p in (what, legal_case.court, legal_case.court_case_number) if p)
    for iou in _ious_of(legal_case):
        limitation_interrupt(iou, kind=LimitationKind.LAWSUIT, on=on, evidence_sha256="", evidence_note=note,
                             source=f"legal.legalcase:{legal_case.pk}:{suffix}", by=by)


def _event(legal_case: LegalCase, kind: str, on: date, *, by, text: str) -> LegalEvent:
    return LegalEvent.objects.create(case=legal_case, kind=kind, on=on, text=text[:300],
                                     recorded_by=by if getattr(by, "is_authenticated", False) else None)


@transaction.atomic
def legal_event_add(legal_case: LegalCase, *, kind: str, on: date, text: str = "", by) -> LegalEvent:
    """A dated step of the case (hearing, mediation, preservation …)."""
    _check_change(legal_case, by)
    if kind not in LegalEventKind.values:
        raise _invalid("kind", _("请选择事项。"))
    if on is None:
        raise _invalid("on", _("请填写日期。"))
    if on < legal_case.opened_on.replace(year=legal_case.opened_on.year - 5):
        raise _invalid("on", _("日期过早，请核对。"))
    event = _event(legal_case, kind, on, by=by, text=(text or "").strip())
    audit.record(AuditAction.CREATE, obj=legal_case, verb=_g("登记诉讼进程"),
                 changes={"kind": [None, kind], "on": [None, on.isoformat()], "text": [None, event.text]})
    return event


@transaction.atomic
def legal_cost_add(legal_case: LegalCase, *, kind: str, amount, paid_on: date, note: str = "", by) -> LegalCost:
    """A cost of the case (court fee, lawyer's fee, preservation …): above zero, paid by the business date."""
    _check_change(legal_case, by)
    if kind not in LegalCostKind.values:
        raise _invalid("kind", _("请选择费用类型。"))
    try:
        value = parse_amount(amount)
    except Exception as error:
        raise _invalid("amount", _("金额：%(error)s") % {"error": error}) from error
    if value <= 0:
        raise _invalid("amount", _("费用金额必须大于0。"))
    if paid_on is None:
        raise _invalid("paid_on", _("请填写支付日期。"))
    if paid_on > clock.today():
        raise _invalid("paid_on", _("支付日期 %(day)s 晚于营业日，请核对。") % {"day": paid_on.isoformat()})
    cost = LegalCost.objects.create(case=legal_case, kind=kind, amount=value, paid_on=paid_on,
                                    note=(note or "").strip()[:200],
                                    recorded_by=by if getattr(by, "is_authenticated", False) else None)
    audit.record(AuditAction.CREATE, obj=legal_case, verb=_g("登记诉讼费用"),
                 changes={"kind": [None, kind], "amount": [None, f"{value:.2f}"], "paid_on": [None, paid_on.isoformat()]})
    return cost


# --- defaulters --------------------------------------------------------------------------------


def id_index_for(value: str) -> str:
    return blind_index(value, ID_PURPOSE) if (value or "").strip() else ""


def _evidence(upload) -> tuple[str, str, str, str]:
    """(stored name, original name, content type, sha256) of a checked evidence file."""
    if upload.size > EVIDENCE_MAX_BYTES:
        raise _invalid("evidence", _("证据文件超过20MB的上限，请压缩后上传。"))
    if not upload.size:
        raise _invalid("evidence", _("证据文件是空的（0 字节），请重新选择。"))
    detected = sniff.sniff(upload)
    if detected.group not in EVIDENCE_GROUPS:
        raise _invalid("evidence", _("证据只能是PDF或图片，检测到%(detected)s。") % {"detected": detected.label})
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    original = clean_original_name(upload.name) or _g("证据") + detected.extension
    extension = os.path.splitext(original)[1].lower()
    if extension not in detected.extensions:
        extension = detected.extension
    stored = private_storage().save(f"legal/defaulters/{uuid.uuid4().hex}{extension}", upload)
    return stored, original, detected.content_type, digest.hexdigest()


def defaulter_list(*, by, name: str, reason: str, evidence, source: str = DefaulterSource.INTERNAL,
                   id_number: str = "", customer=None, court_case_number: str = "",
                   listed_on: date | None = None) -> Defaulter:
    """Put a person or company on the defaulter list, with the evidence (PDF or image: the court's
    失信被执行人 page, the internal decision) stored privately with its SHA-256. The ID number is
    kept only as its blind index and last four characters; a customer's own is used when given."""
    if not predicates.can_list_defaulter(by):
        raise PermissionDenied(_("您没有登记失信/黑名单的权限。"))
    if customer is not None:
        if not scope.can_see_branch(by, customer.branch_id):
            raise PermissionDenied(_("只能登记本网点（及下级网点）的客户。"))
        name = name or customer.name
        id_number = id_number or customer.id_number or customer.credit_code or ""
    name, reason = (name or "").strip(), (reason or "").strip()
    if not name:
        raise _invalid("name", _("请填写姓名/名称。"))
    if not reason:
        raise _invalid("reason", _("请填写列入原因。"))
    if source not in DefaulterSource.values:
        raise _invalid("source", _("请选择来源。"))
    if source == DefaulterSource.COURT and not (court_case_number or "").strip():
        raise _invalid("court_case_number", _("法院失信被执行人请填写执行案号。"))
    if evidence is None:
        raise _invalid("evidence", _("请上传证据文件（PDF或图片）。"))
    listed_on = listed_on or clock.today()
    if listed_on > clock.today():
        raise _invalid("listed_on", _("列入日期不能晚于营业日。"))
    branch_id = customer.branch_id if customer is not None else getattr(by, "branch_id", None)
    if branch_id is None:
        raise _invalid("customer", _("您的账号没有所属网点：请选择客户，以客户的网点登记。"))
    stored, original, content_type, sha256 = _evidence(evidence)
    try:
        with transaction.atomic():
            clean_id = "".join((id_number or "").split())
            row = Defaulter(customer=customer, branch_id=branch_id, name=name[:100], id_index=id_index_for(clean_id),
                            id_last4=clean_id[-4:].upper(), source=source, reason=reason,
                            court_case_number=(court_case_number or "").strip()[:60], evidence_name=original[:255],
                            evidence_content_type=content_type, evidence_sha256=sha256, listed_on=listed_on,
                            listed_by=by if getattr(by, "is_authenticated", False) else None)
            row.evidence.name = stored
            row.save()
            audit.record(AuditAction.CREATE, obj=row, verb=_g("列入失信/黑名单"), branch_id=branch_id,
                         changes={"name": [None, row.name], "source": [None, source], "reason": [None, reason],
                                  "id_last4": [None, row.id_last4], "evidence_sha256": [None, sha256]})
    except BaseException:
        private_storage().delete(stored)
        raise
    return row


@transaction.atomic
def defaulter_remove(defaulter: Defaulter, *, by, reason: str, day: date | None = None) -> Defaulter:
    """Take someone off the list (the row stays, with when, why and by whom)."""
    defaulter = Defaulter.objects.select_for_update().get(pk=defaulter.pk)
    if not predicates.can_remove_defaulter(defaulter, by):
        if defaulter.removed_on is not None:
            raise InvalidState(_("该名单记录已于 %(day)s 移出。") % {"day": defaulter.removed_on.isoformat()})
        raise PermissionDenied(_("您没有移出失信/黑名单的权限。"))
    if not (reason or "").strip():
        raise _invalid("removal_reason", _("请填写移出原因。"))
    day = day or clock.today()
    if day < defaulter.listed_on:
        raise _invalid("removed_on", _("移出日期不能早于列入日期。"))
    defaulter.removed_on, defaulter.removal_reason = day, reason.strip()[:200]
    defaulter.removed_by = by if getattr(by, "is_authenticated", False) else None
    defaulter.save(update_fields=["removed_on", "removal_reason", "removed_by"])
    audit.record(AuditAction.ACTION, obj=defaulter, verb=_g("移出失信/黑名单"),
                 changes={"removed_on": [None, day.isoformat()]}, reason=defaulter.removal_reason)
    return defaulter


def defaulter_evidence_open(*, user, pk) -> tuple[Defaulter, object]:
    """The evidence file of a listing the user may see (``legal.view_defaulter``, their branches),
    opened for download; the download is audited."""
    row = scope.scope_queryset(user, Defaulter.objects.all()).filter(pk=pk).first()
    if row is None or not user.has_perm("legal.view_defaulter") or not row.evidence:
        raise NotFound(_("证据文件不存在，或您无权查看。"))
    handle = private_storage().open(row.evidence.name, "rb")
    audit.record(AuditAction.DOWNLOAD, obj=row, verb=_g("下载失信名单证据"), changes={"sha256": row.evidence_sha256})
    return row, handle
