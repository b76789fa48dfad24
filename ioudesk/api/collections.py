"""/api/v1/collections: collection cases (催收案件), their assignment and recall, contact records
(催收记录, with attachments as multipart/form-data) and promises to pay (承诺还款).

Same services, predicates, permissions and data scope as the back office's 催收 pages: a 催收员 sees
the cases they own (a 催收主管 their branches', an administrator or auditor every case); reading
needs ``collections.view_case`` (records ``collections.view_contactrecord``, promises
``collections.view_promise``); assigning and recalling need the 分案 permission (催收主管,
系统管理员); recording a contact needs ``collections.add_contactrecord`` on an open case the user
sees. Money is a string with two decimals ("888.49"), dates ISO, times ISO with offset.

A contact record is append-only: a correction is a new record with ``corrects`` (the id of the
record it corrects); a delivery of a letter is a new record with ``refers_to`` (the letter's
record) and a ``delivery_receipt`` file. The contact policy (hours, daily cap) does not refuse a
record: it is saved with ``warning`` set.
"""


from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate
from pydantic import PlainSerializer

from ioudesk.api.errors import READ_ERRORS, WRITE_ERRORS
from ioudesk.api.pagination import Pages
from ioudesk.api.permissions import require_perm
from ioudesk.calc.money import parse_amount
from ioudesk.collections import predicates, selectors
from ioudesk.collections.models import (
    BUCKETS,
    Agency,
    AttachmentKind,
    Case,
    CaseStatus,
    ContactMethod,
    ContactRecord,
    Nature,
    OutcomeCode,
    Party,
    Promise,
    PromiseStatus,
    Term,
)
from ioudesk.core import clock
from ioudesk.core.errors import PermissionDenied, ValidationFailed
from ioudesk.ious.models import Classification
from ioudesk.ious.terms import calc_guard

router = Router(tags=["催收"])

VIEW = "collections.view_case"
VIEW_RECORDS = "collections.view_contactrecord"
VIEW_PROMISES = "collections.view_promise"


def _yuan(value) -> str:
    return f"{Decimal(value):.2f}"


Money = Annotated[Decimal, PlainSerializer(_yuan, return_type=str)]


def _choices(choices) -> Any:
    return Literal[tuple(choices.values)]


def _user_label(user) -> str | None:
    return user.get_username() if user is not None else None


# --- schemas -----------------------------------------------------------------------------------


class CollectionCaseRow(Schema):
    id: int
    number: str = Field(description="案件编号，如 CS20261128-0001")
    iou_id: int | None = Field(None, description="借据（往来单据的案件为空）")
    iou_number: str | None = None
    bill_id: int | None = Field(None, description="往来单据（应收单；借据的案件为空）")
    bill_number: str | None = None
    customer_id: int
    customer_name: str
    customer_category: str = Field(description="客户分类：普通客户、重要客户")
    branch_id: int
    nature: str = Field(description="欠款性质：借款、货款、服务费、其他")
    status: str = Field(description="状态：进行中、已结案（名称见 status_display）")
    status_display: str
    close_reason: str
    opened_on: date
    closed_on: date | None
    bucket: str = Field(description="账龄 M1 … M7+")
    days_past_due: int
    term: str = Field(description="短期逾期或长期逾期（按催收设置的长期逾期天数）")
    classification: str | None = Field(None, description="借据的五级分类（往来单据的案件为空）")
    arrears: Money = Field(description="逾期欠款（借据：本金、利息、罚息、费用，按已入账；往来单据：逾期未结金额）")
    priority: int = Field(description="1 高、2 中、3 低")
    owner: str | None = Field(None, description="催收员的用户名")
    owner_id: int | None
    agency_id: int | None
    agency_name: str | None = None
    next_action: str
    next_action_due: datetime | None
    promise_due_on: date | None
    escalation_level: int
    legal: bool

    @staticmethod
    def resolve_iou_number(case: Case) -> str | None:
        return case.iou.number if case.iou_id is not None else None

    @staticmethod
    def resolve_bill_number(case: Case) -> str | None:
        return case.bill.number if case.bill_id is not None else None

    @staticmethod
    def resolve_customer_name(case: Case) -> str:
        return case.customer.name

    @staticmethod
    def resolve_customer_category(case: Case) -> str:
        return case.customer.category

    @staticmethod
    def resolve_status_display(case: Case) -> str:
        return str(case.get_status_display())

    @staticmethod
    def resolve_term(case: Case) -> str:
        return str(selectors.arrears_term(case))

    @staticmethod
    def resolve_classification(case: Case) -> str | None:
        return case.iou.classification if case.iou_id is not None else None

    @staticmethod
    def resolve_owner(case: Case) -> str | None:
        return _user_label(case.owner) if case.owner_id else None

    @staticmethod
    def resolve_agency_name(case: Case) -> str | None:
        return case.agency.name if case.agency_id else None


class CollectionCaseEventOut(Schema):
    at: datetime
    kind: str
    kind_display: str
    text: str
    by: str | None = None

    @staticmethod
    def resolve_kind_display(event) -> str:
        return str(event.get_kind_display())

    @staticmethod
    def resolve_by(event) -> str | None:
        return _user_label(event.by) if event.by_id else None


class CollectionAssignmentOut(Schema):
    owner: str | None = None
    agency_id: int | None
    method: str
    rule_id: int | None
    started_at: datetime
    ended_at: datetime | None
    by: str | None = None
    reason: str

    @staticmethod
    def resolve_owner(row) -> str | None:
        return _user_label(row.owner) if row.owner_id else None

    @staticmethod
    def resolve_by(row) -> str | None:
        return _user_label(row.by) if row.by_id else None


class CollectionCaseDetail(CollectionCaseRow):
    stage: str | None = Field(None, description="当前策略步骤")
    stage_since: date | None
    limitation_expires_on: date | None = Field(None, description="借据的诉讼时效届满日")
    events: list[CollectionCaseEventOut] = []
    assignments: list[CollectionAssignmentOut] = []

    @staticmethod
    def resolve_stage(case: Case) -> str | None:
        return str(case.stage) if case.stage_id else None

    @staticmethod
    def resolve_limitation_expires_on(case: Case) -> date | None:
        return case.iou.limitation_expires_on if case.iou_id is not None else None

    @staticmethod
    def resolve_events(case: Case):
        return list(case.events.select_related("by").order_by("at", "id"))

    @staticmethod
    def resolve_assignments(case: Case):
        return list(case.assignments.select_related("owner", "by").order_by("-started_at", "-id"))


class CollectionAttachmentOut(Schema):
    id: int
    kind: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class CollectionPromiseOut(Schema):
    id: int
    case_id: int
    case_number: str
    record_id: int
    iou_id: int | None = Field(None, description="借据（往来单据的案件为空：按核销到该单据的收款判定）")
    amount: Money
    promised_on: date
    status: str = Field(description="状态：待兑现、已兑现、部分兑现、未兑现（名称见 status_display）")
    status_display: str
    paid: Money
    checked_on: date | None
    collector: str | None = None

    @staticmethod
    def resolve_case_number(promise: Promise) -> str:
        return promise.case.number

    @staticmethod
    def resolve_status_display(promise: Promise) -> str:
        return str(promise.get_status_display())

    @staticmethod
    def resolve_collector(promise: Promise) -> str | None:
        return _user_label(promise.collector)


class CollectionContactRecordOut(Schema):
    id: int
    case_id: int
    iou_id: int | None = Field(None, description="借据（往来单据的案件为空）")
    customer_id: int
    method: str
    party: str
    contact_id: int | None
    party_name: str
    outcome: str
    outcome_display: str
    notes: str
    next_step: str
    next_action_due: datetime | None
    contacted_at: datetime
    recorded_by: str | None = None
    recorded_at: datetime
    corrects_id: int | None
    refers_to_id: int | None
    outside_hours: bool
    over_daily_cap: bool
    warning: str = Field(description="联系规范提示（超出联系时段、超出每日上限），记录照常保存")
    interruption_recorded: bool = Field(description="是否因此记录了诉讼时效中断")
    attachments: list[CollectionAttachmentOut] = []
    promise: CollectionPromiseOut | None = None

    @staticmethod
    def resolve_outcome_display(record: ContactRecord) -> str:
        return str(record.get_outcome_display())

    @staticmethod
    def resolve_recorded_by(record: ContactRecord) -> str | None:
        return _user_label(record.recorded_by)

    @staticmethod
    def resolve_attachments(record: ContactRecord):
        return list(record.attachments.all())

    @staticmethod
    def resolve_promise(record: ContactRecord):
        return Promise.objects.select_related("case", "collector").filter(record=record).first()


class CollectionCaseFilters(Schema):
    status: _choices(CaseStatus) | None = None
    bucket: Literal[BUCKETS] | None = None
    classification: _choices(Classification) | None = None
    term: _choices(Term) | None = None
    nature: _choices(Nature) | None = None
    category: Literal["normal", "important"] | None = None
    owner_id: int | None = None
    q: str | None = Field(None, max_length=60, description="案件号、借据号或客户名")
    workbench: bool = Field(False, description="按催收工作台的顺序排列（今日到期承诺、到期行动、欠款、逾期天数），只含进行中的案件")


class CollectionAssignIn(Schema):
    owner_id: int | None = Field(None, description="催收员的用户ID（与 agency_id 二选一）")
    agency_id: int | None = Field(None, description="委外机构ID")
    reason: str = Field("", max_length=200)


class CollectionRecallIn(Schema):
    reason: str = Field(..., min_length=1, max_length=200)


class CollectionPromiseFilters(Schema):
    case_id: int | None = None
    status: _choices(PromiseStatus) | None = None
    due_from: date | None = None
    due_to: date | None = None


class CollectionRecordFilters(Schema):
    case_id: int | None = None
    method: _choices(ContactMethod) | None = None
    outcome: _choices(OutcomeCode) | None = None


# --- helpers -----------------------------------------------------------------------------------


def _cases(request):
    return selectors.cases_for(request.user).select_related("iou", "bill", "customer", "owner", "agency", "stage")


def _case(request, case_id: int) -> Case:
    case = _cases(request).filter(pk=case_id).first()
    if case is None or not predicates.can_view_case(case, request.user):
        raise Http404
    return case


def _services():
    from ioudesk.collections import services

    return services


def _fresh(case: Case) -> Case:
    return Case.objects.select_related("iou", "bill", "customer", "owner", "agency", "stage").get(pk=case.pk)


# --- cases -------------------------------------------------------------------------------------


@router.get("/cases", response={200: list[CollectionCaseRow], **READ_ERRORS}, summary="催收案件（筛选、分页，可按工作台顺序）")
@paginate(Pages, page_size=50)
def case_list(request, filters: Query[CollectionCaseFilters]):
    require_perm(request, VIEW)
    if filters.workbench:
        return selectors.workbench(request.user, day=clock.today(), bucket=filters.bucket,
                                   classification=filters.classification, term=filters.term, nature=filters.nature,
                                   category=filters.category, q=(filters.q or "").strip() or None)
    queryset = _cases(request).order_by("-opened_on", "-id")
    for field in ("status", "bucket", "nature", "owner_id"):
        if getattr(filters, field) is not None:
            queryset = queryset.filter(**{field: getattr(filters, field)})
    if filters.classification:
        queryset = queryset.filter(iou__classification=filters.classification)
    if filters.category:
        queryset = queryset.filter(customer__category=filters.category)
    if filters.term:
        queryset = selectors.filtered(queryset, term=filters.term)
    if filters.q and filters.q.strip():
        queryset = selectors.filtered(queryset, q=filters.q)
    return queryset


@router.get("/cases/{int:case_id}", response={200: CollectionCaseDetail, **READ_ERRORS}, summary="催收案件详情（动态、分案记录）")
def case_detail(request, case_id: int):
    require_perm(request, VIEW)
    return _case(request, case_id)


@router.post("/cases/{int:case_id}/assign", response={200: CollectionCaseDetail, **WRITE_ERRORS},
             summary="分案/转派给催收员或委外机构（二选一）")
def case_assign(request, case_id: int, payload: CollectionAssignIn):
    require_perm(request, VIEW)
    case = _case(request, case_id)
    if not predicates.can_assign_case(case, request.user):
        raise PermissionDenied()
    if (payload.owner_id is None) == (payload.agency_id is None):
        raise ValidationFailed(_("请指定 owner_id（催收员）或 agency_id（委外机构），二选一。"), extra={"field": "owner_id"})
    owner = agency = None
    if payload.owner_id is not None:
        from django.contrib.auth import get_user_model

        owner = get_user_model().objects.filter(pk=payload.owner_id, is_active=True).first()
        if owner is None:
            raise ValidationFailed(_("催收员不存在或已停用。"), extra={"field": "owner_id"})
    else:
        agency = Agency.objects.filter(pk=payload.agency_id).first()
        if agency is None:
            raise ValidationFailed(_("委外机构不存在。"), extra={"field": "agency_id"})
    method = "reassign" if (case.owner_id or case.agency_id) else "hand"
    _services().case_assign(case, owner=owner, agency=agency, method=method, by=request.user, reason=payload.reason)
    return _fresh(case)


@router.post("/cases/{int:case_id}/recall", response={200: CollectionCaseDetail, **WRITE_ERRORS},
             summary="从催收员或委外机构收回案件")
def case_recall(request, case_id: int, payload: CollectionRecallIn):
    require_perm(request, VIEW)
    case = _case(request, case_id)
    if not predicates.can_recall(case, request.user):
        if predicates.can_assign_case(case, request.user):
            from ioudesk.core.errors import InvalidState

            raise InvalidState(_("案件尚未分给催收员或委外机构，无需收回。"))
        raise PermissionDenied()
    _services().case_recall(case, by=request.user, reason=payload.reason)
    return _fresh(case)


# --- contact records ---------------------------------------------------------------------------


def _records(request):
    return (ContactRecord.objects.filter(case__in=selectors.cases_for(request.user).values("pk"))
            .select_related("recorded_by").prefetch_related("attachments"))


@router.get("/contact-records", response={200: list[CollectionContactRecordOut], **READ_ERRORS},
            summary="催收记录（最新在前，分页）")
@paginate(Pages, page_size=50)
def contact_record_list(request, filters: Query[CollectionRecordFilters]):
    require_perm(request, VIEW_RECORDS)
    queryset = _records(request).order_by("-contacted_at", "-id")
    for field in ("case_id", "method", "outcome"):
        if getattr(filters, field) is not None:
            queryset = queryset.filter(**{field: getattr(filters, field)})
    return queryset


@router.get("/contact-records/{int:record_id}", response={200: CollectionContactRecordOut, **READ_ERRORS},
            summary="一条催收记录（附件及其 SHA-256）")
def contact_record_detail(request, record_id: int):
    require_perm(request, VIEW_RECORDS)
    return get_object_or_404(_records(request), pk=record_id)


@router.post("/cases/{int:case_id}/contact-records", response={201: CollectionContactRecordOut, **WRITE_ERRORS},
             summary="记录一次催收（以表单上传，可附通话录音、照片、债务确认书、送达回执、函件等文件）")
def contact_record_create(
    request, case_id: int,
    method: Form[_choices(ContactMethod)],
    party: Form[_choices(Party)],
    outcome: Form[_choices(OutcomeCode)],
    contacted_at: Form[datetime],
    contact_id: Form[int | None] = None,
    party_name: Form[str] = "",
    notes: Form[str] = "",
    next_step: Form[str] = "",
    next_action_due: Form[datetime | None] = None,
    promise_amount: Form[str | None] = None,
    promised_on: Form[date | None] = None,
    corrects: Form[int | None] = None,
    refers_to: Form[int | None] = None,
    recording: File[UploadedFile] = None,
    photo: File[UploadedFile] = None,
    acknowledgement: File[UploadedFile] = None,
    delivery_receipt: File[UploadedFile] = None,
    letter: File[UploadedFile] = None,
    other: File[UploadedFile] = None,
):
    require_perm(request, VIEW)
    case = _case(request, case_id)
    if not predicates.can_record_contact(case, request.user):
        raise PermissionDenied()
    contact = None
    if contact_id is not None:
        contact = case.customer.contacts.filter(pk=contact_id).first()
        if contact is None:
            raise ValidationFailed(_("联系人不是该客户登记的联系人。"), extra={"field": "contact_id"})
    promise = None
    if promise_amount not in (None, "") or promised_on is not None:
        if promise_amount in (None, "") or promised_on is None:
            raise ValidationFailed(_("承诺还款需同时填写 promise_amount 和 promised_on。"), extra={"field": "promise_amount"})
        promise = (calc_guard(parse_amount, promise_amount, field="promise_amount"), promised_on)
    linked = {}
    for name, value in (("corrects", corrects), ("refers_to", refers_to)):
        if value is not None:
            linked[name] = ContactRecord.objects.filter(case=case, pk=value).first()
            if linked[name] is None:
                raise ValidationFailed(_("关联的记录不属于该案件。"), extra={"field": name})
    files = {"recording": recording, "photo": photo, "acknowledgement": acknowledgement,
             "delivery_receipt": delivery_receipt, "letter": letter, "other": other}
    attachments = [(AttachmentKind(kind), upload) for kind, upload in files.items() if upload is not None]
    record = _services().contact_record_create(
        case, method=method, party=party, contact=contact, party_name=party_name, outcome=outcome, notes=notes,
        next_step=next_step, next_action_due=next_action_due, contacted_at=contacted_at, by=request.user,
        attachments=attachments, promise=promise, corrects=linked.get("corrects"), refers_to=linked.get("refers_to"))
    return Status(201, get_object_or_404(_records(request), pk=record.pk))


# --- promises ----------------------------------------------------------------------------------


@router.get("/promises", response={200: list[CollectionPromiseOut], **READ_ERRORS}, summary="承诺还款（按承诺日，分页）")
@paginate(Pages, page_size=50)
def promise_list(request, filters: Query[CollectionPromiseFilters]):
    require_perm(request, VIEW_PROMISES)
    queryset = (Promise.objects.filter(case__in=selectors.cases_for(request.user).values("pk"))
                .select_related("case", "collector").order_by("-promised_on", "-id"))
    if filters.case_id is not None:
        queryset = queryset.filter(case_id=filters.case_id)
    if filters.status is not None:
        queryset = queryset.filter(status=filters.status)
    if filters.due_from is not None:
        queryset = queryset.filter(promised_on__gte=filters.due_from)
    if filters.due_to is not None:
        queryset = queryset.filter(promised_on__lte=filters.due_to)
    return queryset


