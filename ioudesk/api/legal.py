"""/api/v1/legal: legal cases (法律诉讼) with their events and costs, the defaulter list (失信/黑名单)
and the limitation clock (诉讼时效) of an IOU, with the 时效预警 list.

Same services, predicates, permissions and data scope as the back office: reading legal cases
needs ``legal.view_legalcase``, opening one ``legal.add_legalcase``, changing it
``legal.change_legalcase``; the defaulter list ``legal.view_defaulter`` / ``add_defaulter`` /
``change_defaulter``; the limitation clock ``ious.view_iou``. Setting ``filed_on`` records a lawsuit
interruption of the IOU's limitation period (民法典第一百九十五条). An ID number is sent only in a
POST body (``/defaulters`` with multipart/form-data, ``/defaulters/match``), never in a URL. Money
is a string with two decimals ("888.49"), dates ISO.
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
from ioudesk.collections import predicates as collection_predicates
from ioudesk.collections import selectors as collection_selectors
from ioudesk.core import clock, scope
from ioudesk.core.errors import ValidationFailed
from ioudesk.customers.models import Customer
from ioudesk.ious.models import Iou
from ioudesk.ious.services.limitation import LimitationClock, limitation_clock
from ioudesk.legal import selectors, services
from ioudesk.legal.models import (
    Defaulter,
    DefaulterSource,
    LegalCase,
    LegalCostKind,
    LegalEventKind,
    LegalStatus,
)

router = Router(tags=["法律诉讼与诉讼时效"])

VIEW_CASE, ADD_CASE, CHANGE_CASE = "legal.view_legalcase", "legal.add_legalcase", "legal.change_legalcase"
VIEW_DEFAULTER, ADD_DEFAULTER, CHANGE_DEFAULTER = "legal.view_defaulter", "legal.add_defaulter", "legal.change_defaulter"


def _yuan(value) -> str:
    return f"{Decimal(value):.2f}"


Money = Annotated[Decimal, PlainSerializer(_yuan, return_type=str)]


def _choices(choices) -> Any:
    return Literal[tuple(choices.values)]


# --- schemas -----------------------------------------------------------------------------------


class LegalEventOut(Schema):
    id: int
    kind: str
    kind_display: str
    on: date
    text: str
    recorded_at: datetime

    @staticmethod
    def resolve_kind_display(event) -> str:
        return str(event.get_kind_display())


class LegalCostOut(Schema):
    id: int
    kind: str
    kind_display: str
    amount: Money
    paid_on: date
    note: str

    @staticmethod
    def resolve_kind_display(cost) -> str:
        return str(cost.get_kind_display())


class LegalCaseRow(Schema):
    id: int
    number: str = Field(description="诉讼编号，如 FS20261128-0001")
    iou_id: int | None
    customer_id: int
    customer_name: str
    branch_id: int
    collection_case_id: int | None
    status: str = Field(description="准备中、已立案、审理中、已判决、执行中、已结案（名称见 status_display）")
    status_display: str
    lawyer: str
    law_firm: str
    lawyer_letter_on: date | None
    filed_on: date | None
    court: str
    court_case_number: str
    claim_amount: Money
    judgment_amount: Money
    judgment_on: date | None
    enforcement_case_number: str
    recovered_amount: Money
    opened_on: date
    closed_on: date | None
    notes: str

    @staticmethod
    def resolve_customer_name(case: LegalCase) -> str:
        return case.customer.name

    @staticmethod
    def resolve_status_display(case: LegalCase) -> str:
        return str(case.get_status_display())


class LegalCaseDetail(LegalCaseRow):
    events: list[LegalEventOut]
    costs: list[LegalCostOut]
    costs_total: Money

    @staticmethod
    def resolve_events(case: LegalCase):
        return list(case.events.all())

    @staticmethod
    def resolve_costs(case: LegalCase):
        return list(case.costs.all())

    @staticmethod
    def resolve_costs_total(case: LegalCase):
        return case.total_costs


class LegalCaseFilters(Schema):
    status: _choices(LegalStatus) | None = None
    iou_id: int | None = None
    customer_id: int | None = None


class LegalCaseIn(Schema):
    # One of: collection_case_id (转诉讼: the case is marked as in legal), iou_id, or customer_id alone
    # (a case for several debts).

    collection_case_id: int | None = None
    iou_id: int | None = None
    customer_id: int | None = None
    lawyer: str = Field("", max_length=50)
    law_firm: str = Field("", max_length=100)
    claim_amount: str | None = Field(None, description="留空按借据当前欠款", max_length=20)
    notes: str = ""


class LegalCaseUpdateIn(Schema):
    # Only the fields sent are changed.

    status: _choices(LegalStatus) | None = None
    lawyer: str | None = Field(None, max_length=50)
    law_firm: str | None = Field(None, max_length=100)
    lawyer_letter_on: date | None = None
    filed_on: date | None = None
    court: str | None = Field(None, max_length=100)
    court_case_number: str | None = Field(None, max_length=60)
    claim_amount: str | None = Field(None, max_length=20)
    judgment_on: date | None = None
    judgment_amount: str | None = Field(None, max_length=20)
    enforcement_case_number: str | None = Field(None, max_length=60)
    recovered_amount: str | None = Field(None, max_length=20)
    closed_on: date | None = None
    notes: str | None = None


class LegalEventIn(Schema):
    kind: _choices(LegalEventKind)
    on: date
    text: str = Field("", max_length=300)


class LegalCostIn(Schema):
    kind: _choices(LegalCostKind)
    amount: str = Field(max_length=20)
    paid_on: date
    note: str = Field("", max_length=200)


class DefaulterOut(Schema):
    id: int
    name: str
    customer_id: int | None
    branch_id: int
    id_last4: str = Field(description="证件号后四位（证件号只存盲索引）")
    source: str
    source_display: str
    reason: str
    court_case_number: str
    evidence_name: str
    evidence_sha256: str
    listed_on: date
    removed_on: date | None
    removal_reason: str
    listed: bool

    @staticmethod
    def resolve_source_display(row: Defaulter) -> str:
        return str(row.get_source_display())

    @staticmethod
    def resolve_listed(row: Defaulter) -> bool:
        return row.removed_on is None


class DefaulterFilters(Schema):
    listed: bool | None = None
    source: _choices(DefaulterSource) | None = None


class DefaulterRemoveIn(Schema):
    reason: str = Field(min_length=1, max_length=200)


class DefaulterMatchIn(Schema):
    customer_id: int | None = None
    id_number: str = Field("", max_length=30)
    name: str = Field("", max_length=100)


class LimitationEventOut(Schema):
    on: date
    kind: str
    label: str
    counted: bool = Field(description="是否计入（时效起算前的催收不构成中断）")
    note: str
    evidence_sha256: str
    source: str
    event_id: int | None
    transaction_id: int | None


class LimitationClockOut(Schema):
    iou_id: int
    iou_number: str
    day: date
    expires_on: date | None = Field(description="诉讼时效届满日；空：尚未起算")
    starts_on: date | None
    outer_limit_on: date | None = Field(description="20年最长保护期（第188条）")
    days_left: int | None
    expired: bool
    defence_waived: bool = Field(description="届满后债务人同意履行，不得再以时效抗辩（第192条）")
    in_lawsuit: bool
    basis: str = Field(description="计算依据（民法典条文）")
    events: list[LimitationEventOut]


class LimitationWatchFilters(Schema):
    state: Literal["", "near", "expired"] = ""
    within: int = Field(90, ge=1, le=3650)
    branch_id: int | None = None
    bucket: str | None = Field(None, max_length=4)


def _clock_out(iou: Iou, reading: LimitationClock) -> dict:
    return {"iou_id": iou.pk, "iou_number": iou.number, "day": reading.day, "expires_on": reading.expires_on,
            "starts_on": reading.starts_on, "outer_limit_on": reading.outer_limit_on,
            "days_left": reading.days_left, "expired": reading.expired, "defence_waived": reading.defence_waived,
            "in_lawsuit": reading.in_lawsuit, "basis": reading.basis, "events": [e.__dict__ for e in reading.events]}


# --- legal cases -------------------------------------------------------------------------------


def _case(request, case_id: int) -> LegalCase:
    return get_object_or_404(selectors.legal_cases_for(request.user).prefetch_related("events", "costs"), pk=case_id)


@router.get("/cases", response={200: list[LegalCaseRow], **READ_ERRORS}, summary="法律诉讼（筛选、分页）")
@paginate(Pages, page_size=50)
def legal_case_list(request, filters: Query[LegalCaseFilters]):
    require_perm(request, VIEW_CASE)
    queryset = selectors.legal_cases_for(request.user).order_by("-opened_on", "-id")
    for name in ("status", "iou_id", "customer_id"):
        if getattr(filters, name) is not None:
            queryset = queryset.filter(**{name: getattr(filters, name)})
    return queryset


@router.get("/cases/{int:case_id}", response={200: LegalCaseDetail, **READ_ERRORS}, summary="法律诉讼详情（进程、费用）")
def legal_case_detail(request, case_id: int):
    require_perm(request, VIEW_CASE)
    return _case(request, case_id)


@router.post("/cases", response={201: LegalCaseDetail, **WRITE_ERRORS},
             summary="新建法律诉讼：从催收案件转诉讼，或按借据/客户")
def legal_case_create(request, payload: LegalCaseIn):
    require_perm(request, ADD_CASE)
    common = {"lawyer": payload.lawyer, "law_firm": payload.law_firm, "claim_amount": payload.claim_amount,
              "notes": payload.notes}
    if payload.collection_case_id is not None:
        case = collection_selectors.cases_for(request.user).filter(pk=payload.collection_case_id).first()
        if case is None or not collection_predicates.can_view_case(case, request.user):
            raise Http404
        legal_case = services.legal_case_open(case, by=request.user, **common)
    else:
        iou = customer = None
        if payload.iou_id is not None:
            iou = get_object_or_404(scope.scope_queryset(request.user, Iou.objects.all()), pk=payload.iou_id)
        if payload.customer_id is not None:
            customer = get_object_or_404(scope.scope_queryset(request.user, Customer.objects.all()),
                                         pk=payload.customer_id)
        if iou is None and customer is None:
            raise ValidationFailed(_("请指定 collection_case_id、iou_id 或 customer_id。"),
                                   extra={"field": "iou_id"})
        legal_case = services.legal_case_create(by=request.user, iou=iou, customer=customer, **common)
    return Status(201, _case(request, legal_case.pk))


@router.post("/cases/{int:case_id}", response={200: LegalCaseDetail, **WRITE_ERRORS},
             summary="修改法律诉讼（只改所传字段；填写立案日期即记录诉讼时效中断）")
def legal_case_update(request, case_id: int, payload: LegalCaseUpdateIn):
    require_perm(request, CHANGE_CASE)
    legal_case = _case(request, case_id)
    changes = payload.dict(exclude_unset=True)
    services.legal_case_update(legal_case, by=request.user, **changes)
    return _case(request, case_id)


@router.post("/cases/{int:case_id}/events", response={201: LegalEventOut, **WRITE_ERRORS},
             summary="登记诉讼进程（开庭、调解、保全……）")
def legal_event_create(request, case_id: int, payload: LegalEventIn):
    require_perm(request, CHANGE_CASE)
    event = services.legal_event_add(_case(request, case_id), kind=payload.kind, on=payload.on, text=payload.text,
                                     by=request.user)
    return Status(201, event)


@router.post("/cases/{int:case_id}/costs", response={201: LegalCostOut, **WRITE_ERRORS}, summary="登记诉讼费用")
def legal_cost_create(request, case_id: int, payload: LegalCostIn):
    require_perm(request, CHANGE_CASE)
    cost = services.legal_cost_add(_case(request, case_id), kind=payload.kind, amount=payload.amount,
                                   paid_on=payload.paid_on, note=payload.note, by=request.user)
    return Status(201, cost)


# --- defaulters --------------------------------------------------------------------------------


@router.get("/defaulters", response={200: list[DefaulterOut], **READ_ERRORS}, summary="失信/黑名单（分页）")
@paginate(Pages, page_size=50)
def defaulter_list(request, filters: Query[DefaulterFilters]):
    require_perm(request, VIEW_DEFAULTER)
    queryset = selectors.defaulters_for(request.user).order_by("-listed_on", "-id")
    if filters.listed is not None:
        queryset = queryset.filter(removed_on__isnull=filters.listed)
    if filters.source:
        queryset = queryset.filter(source=filters.source)
    return queryset


@router.get("/defaulters/{int:defaulter_id}", response={200: DefaulterOut, **READ_ERRORS}, summary="失信/黑名单记录")
def defaulter_detail(request, defaulter_id: int):
    require_perm(request, VIEW_DEFAULTER)
    return get_object_or_404(selectors.defaulters_for(request.user), pk=defaulter_id)


@router.post("/defaulters", response={201: DefaulterOut, **WRITE_ERRORS},
             summary="列入失信/黑名单（以表单上传，证据文件为PDF或图片）")
def defaulter_create(request, reason: Form[str], evidence: File[UploadedFile], name: Form[str] = "",
                     source: Form[_choices(DefaulterSource)] = DefaulterSource.INTERNAL,
                     customer_id: Form[int | None] = None, id_number: Form[str] = "",
                     court_case_number: Form[str] = "", listed_on: Form[date | None] = None):
    require_perm(request, ADD_DEFAULTER)
    customer = None
    if customer_id is not None:
        customer = get_object_or_404(scope.scope_queryset(request.user, Customer.objects.all()), pk=customer_id)
    row = services.defaulter_list(by=request.user, customer=customer, name=name, id_number=id_number, source=source,
                                  court_case_number=court_case_number, reason=reason, listed_on=listed_on,
                                  evidence=evidence)
    return Status(201, row)


@router.post("/defaulters/{int:defaulter_id}/remove", response={200: DefaulterOut, **WRITE_ERRORS},
             summary="移出失信/黑名单（记录保留）")
def defaulter_remove(request, defaulter_id: int, payload: DefaulterRemoveIn):
    require_perm(request, CHANGE_DEFAULTER)
    row = get_object_or_404(selectors.defaulters_for(request.user), pk=defaulter_id)
    return services.defaulter_remove(row, by=request.user, reason=payload.reason)


@router.post("/defaulters/match", response={200: list[DefaulterOut], **WRITE_ERRORS},
             summary="查询某人是否在失信/黑名单中（按客户、证件号或姓名）")
def defaulter_match(request, payload: DefaulterMatchIn):
    require_perm(request, VIEW_DEFAULTER)
    customer = None
    if payload.customer_id is not None:
        customer = get_object_or_404(scope.scope_queryset(request.user, Customer.objects.all()),
                                     pk=payload.customer_id)
    if customer is None and not payload.id_number.strip() and not payload.name.strip():
        raise ValidationFailed(_("请提供 customer_id、id_number 或 name。"), extra={"field": "id_number"})
    return selectors.defaulter_match(customer=customer, id_number=payload.id_number, name=payload.name)


# --- limitation --------------------------------------------------------------------------------


@router.get("/limitation", response={200: list[LimitationClockOut], **READ_ERRORS},
            summary="时效预警：诉讼时效临近届满或已届满的借据（分页）")
@paginate(Pages, page_size=50)
def limitation_watch(request, filters: Query[LimitationWatchFilters]):
    require_perm(request, "ious.view_iou")
    today = clock.today()
    ious = selectors.limitation_watch(request.user, day=today, state=filters.state, within=filters.within,
                                      branch_id=filters.branch_id, bucket=filters.bucket or "")
    return _LazyClocks(ious, today)


class _LazyClocks:
    """The paginator slices the queryset; only the page's IOUs get their clock read."""

    def __init__(self, ious, day):
        self.ious, self.day = ious, day

    def count(self):
        return self.ious.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, item):
        rows = self.ious[item]
        return [_clock_out(iou, limitation_clock(iou, day=self.day)) for iou in rows]


@router.get("/limitation/{int:iou_id}", response={200: LimitationClockOut, **READ_ERRORS},
            summary="借据的诉讼时效：届满日、依据与中断事由")
def limitation_of(request, iou_id: int):
    require_perm(request, "ious.view_iou")
    iou = get_object_or_404(scope.scope_queryset(request.user, Iou.objects.all()), pk=iou_id)
    return _clock_out(iou, limitation_clock(iou, day=clock.today()))

