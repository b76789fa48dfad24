"""/api/v1/customers: the same records, rules, data scope and audit trail as the back office."""


import re
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from ioudesk.api.errors import READ_ERRORS, WRITE_ERRORS
from ioudesk.api.pagination import Pages
from ioudesk.api.permissions import require_perm
from ioudesk.core import scope
from ioudesk.core.crypto import normalize_for_index
from ioudesk.core.errors import ValidationFailed
from ioudesk.core.masking import mask_bank_account, mask_id_number, mask_phone
from ioudesk.customers import services
from ioudesk.customers.models import Customer, SourceChannel, Tag
from ioudesk.customers.search import search_customers

router = Router(tags=["客户"])


class CustomerOut(Schema):
    id: int
    number: str
    kind: str
    name: str
    category: str
    risk_grade: str
    branch_id: int
    owner_id: int | None
    source: str | None
    tags: list[str]
    phone_masked: str
    id_number_masked: str
    bank_account_masked: str
    credit_code: str
    birth_date: date | None
    sex: str
    address: str
    employer: str
    monthly_income: Decimal | None
    marital_status: str
    legal_representative: str
    registered_capital: Decimal | None
    industry: str
    bank_name: str
    notes: str
    acquired_on: date
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def from_customer(customer: Customer) -> "CustomerOut":
        return CustomerOut(
            id=customer.pk, number=customer.number, kind=customer.kind, name=customer.name,
            category=customer.category, risk_grade=customer.risk_grade, branch_id=customer.branch_id,
            owner_id=customer.owner_id, source=customer.source.name if customer.source_id else None,
            tags=[t.name for t in customer.tags.all()], phone_masked=mask_phone(customer.phone),
            id_number_masked=mask_id_number(customer.id_number),
            bank_account_masked=mask_bank_account(customer.bank_account), credit_code=customer.credit_code,
            birth_date=customer.birth_date, sex=customer.sex, address=customer.address, employer=customer.employer,
            monthly_income=customer.monthly_income, marital_status=customer.marital_status,
            legal_representative=customer.legal_representative, registered_capital=customer.registered_capital,
            industry=customer.industry, bank_name=customer.bank_name, notes=customer.notes,
            acquired_on=customer.acquired_on, created_at=customer.created_at, updated_at=customer.updated_at,
        )


class CustomerIn(Schema):
    kind: Literal["individual", "company"] = "individual"
    name: str
    branch_id: int | None = None  # default: the caller's branch
    owner_id: int | None = None
    category: Literal["normal", "important", "blacklist"] = "normal"
    risk_grade: Literal["A", "B", "C", "D", "E"] = "B"
    source: str | None = None
    tags: list[str] = []
    phone: str = ""
    id_number: str = ""
    address: str = ""
    employer: str = ""
    monthly_income: str | None = None
    marital_status: Literal["", "unmarried", "married", "divorced", "widowed"] = ""
    credit_code: str = ""
    legal_representative: str = ""
    registered_capital: str | None = None
    industry: str = ""
    bank_name: str = ""
    bank_account: str = ""
    notes: str = ""
    acquired_on: date | None = None


class CustomerPatch(Schema):
    name: str | None = None
    owner_id: int | None = None
    category: Literal["normal", "important", "blacklist"] | None = None
    risk_grade: Literal["A", "B", "C", "D", "E"] | None = None
    source: str | None = None
    tags: list[str] | None = None
    phone: str | None = None
    id_number: str | None = None
    address: str | None = None
    employer: str | None = None
    monthly_income: str | None = None
    marital_status: Literal["", "unmarried", "married", "divorced", "widowed"] | None = None
    credit_code: str | None = None
    legal_representative: str | None = None
    registered_capital: str | None = None
    industry: str | None = None
    bank_name: str | None = None
    bank_account: str | None = None
    notes: str | None = None
    reason: str = ""


class Filters(Schema):
    q: str = ""
    kind: Literal["individual", "company"] | None = None
    category: Literal["normal", "important", "blacklist"] | None = None
    risk_grade: Literal["A", "B", "C", "D", "E"] | None = None
    branch_id: int | None = None
    tag: str | None = None


def _scoped(request):
    return scope.scope_queryset(request.user, Customer.objects.select_related("source").prefetch_related("tags"))


def _apply(customer: Customer, data: dict) -> list[Tag] | None:
    """Copy request fields onto the instance; returns the tags to set (None: leave them)."""
    from ioudesk.core.errors import ValidationFailed

    tags = data.pop("tags", None)
    source = data.pop("source", None)
    data.pop("reason", None)
    if source is not None:
        customer.source = SourceChannel.objects.filter(name=source).first() if source else None
        if source and customer.source is None:
            raise ValidationFailed(_("来源渠道“%(name)s”不存在，请先在后台“来源渠道”中添加。") % {"name": source})
    services.customer_assign(customer, **data)
    if tags is None:
        return None
    found = list(Tag.objects.filter(name__in=tags))
    unknown = sorted(set(tags) - {t.name for t in found})
    if unknown:
        raise ValidationFailed(_("标签不存在：%(names)s。请先在后台“客户标签”中添加。") % {"names": "、".join(unknown)})
    return found


# A run of 6+ digits (ID number, phone, bank account, credit code) is personal data: not in a URL.
PERSONAL_DATA_RE = re.compile(r"\d{6,}")


def _found(request, filters: Filters) -> list[CustomerOut]:
    require_perm(request, "customers.view_customer")
    queryset = search_customers(request.user, filters.q, _scoped(request))
    for field in ("kind", "category", "risk_grade", "branch_id"):
        if getattr(filters, field):
            queryset = queryset.filter(**{field: getattr(filters, field)})
    if filters.tag:
        queryset = queryset.filter(tags__name=filters.tag)
    return [CustomerOut.from_customer(c) for c in queryset]


@router.get("", response={200: list[CustomerOut], **READ_ERRORS},
            summary="客户列表（按姓名、编号搜索、筛选、分页；证件号、手机号请用 POST /customers/search）")
@paginate(Pages, page_size=50)
def customer_list(request, filters: Query[Filters]):
    if PERSONAL_DATA_RE.search(normalize_for_index(filters.q)):
        message = _("证件号、手机号、银行账号不能放在网址中（网址会写入访问日志），请用 POST /api/v1/customers/search 查询。")
        raise ValidationFailed(message, code="personal_data_in_url", extra={
            "details": [{"field": "q", "message": message}]})
    return _found(request, filters)


@router.post("/search", response={200: list[CustomerOut], **READ_ERRORS},
             summary="搜索客户（检索词在请求体中：证件号、手机号等不进网址和访问日志）")
@paginate(Pages, page_size=50)
def customer_search(request, filters: Filters):
    return _found(request, filters)


@router.get("/{int:customer_id}", response={200: CustomerOut, **READ_ERRORS}, summary="客户详情")
def customer_detail(request, customer_id: int):
    require_perm(request, "customers.view_customer")
    return CustomerOut.from_customer(get_object_or_404(_scoped(request), pk=customer_id))


@router.post("", response={201: CustomerOut, **WRITE_ERRORS}, summary="新建客户")
def customer_create(request, payload: CustomerIn):
    require_perm(request, "customers.add_customer")
    data = payload.dict()
    data["branch_id"] = data["branch_id"] or request.user.branch_id
    customer = Customer()
    tags = _apply(customer, data)
    customer = services.customer_create(customer=customer, user=request.user, tags=tags or ())
    return Status(201, CustomerOut.from_customer(customer))


@router.patch("/{int:customer_id}", response={200: CustomerOut, **WRITE_ERRORS}, summary="修改客户")
def customer_update(request, customer_id: int, payload: CustomerPatch):
    require_perm(request, "customers.change_customer")
    customer = get_object_or_404(_scoped(request), pk=customer_id)
    data = payload.dict(exclude_unset=True)
    reason = data.get("reason", "")
    tags = _apply(customer, data)
    customer = services.customer_update(customer=customer, user=request.user, reason=reason, tags=tags)
    return CustomerOut.from_customer(customer)


@router.delete("/{int:customer_id}", response={204: None, **WRITE_ERRORS}, summary="删除客户（有资料或借据的客户不能删除）")
def customer_delete(request, customer_id: int, reason: str = ""):
    require_perm(request, "customers.delete_customer")
    services.customer_delete(customer=get_object_or_404(_scoped(request), pk=customer_id), reason=reason)
    return Status(204, None)


class RevealIn(Schema):
    field: Literal["id_number", "phone", "bank_account"]
    reason: str = ""


class RevealOut(Schema):
    field: str
    value: str


@router.post("/{int:customer_id}/reveal", response={200: RevealOut, **WRITE_ERRORS},
             summary="查看完整敏感信息（记入审计日志）")
def customer_reveal(request, customer_id: int, payload: RevealIn):
    customer = get_object_or_404(_scoped(request), pk=customer_id)
    value = services.customer_reveal(customer=customer, field=payload.field, user=request.user, reason=payload.reason)
    return {"field": payload.field, "value": value}


# --- files -------------------------------------------------------------------------------------

class FileOut(Schema):
    id: int
    kind: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    note: str
    uploaded_by: str | None
    uploaded_at: datetime
    download_url: str


def _file_out(row) -> FileOut:
    return FileOut(id=row.pk, kind=row.kind, original_name=row.original_name, content_type=row.content_type,
                   size=row.size, sha256=row.sha256, note=row.note,
                   uploaded_by=row.uploaded_by.username if row.uploaded_by_id else None, uploaded_at=row.uploaded_at,
                   download_url=f"/api/v1/customers/files/{row.pk}/download")


@router.get("/{int:customer_id}/files", response={200: list[FileOut], **READ_ERRORS}, summary="客户资料列表")
def file_list(request, customer_id: int):
    require_perm(request, "customers.view_customerfile")
    customer = get_object_or_404(_scoped(request), pk=customer_id)
    return [_file_out(row) for row in customer.files.select_related("uploaded_by")]


@router.post("/{int:customer_id}/files", response={201: FileOut, **WRITE_ERRORS}, summary="上传客户资料（表单字段 `file`、`kind`、`note`）")
def file_upload(request, customer_id: int, file: File[UploadedFile], kind: Form[str] = "other",
                note: Form[str] = ""):
    from ioudesk.customers.files import customer_file_upload

    customer = get_object_or_404(_scoped(request), pk=customer_id)
    row = customer_file_upload(customer=customer, upload=file, kind=kind, note=note, user=request.user)
    return Status(201, _file_out(row))


@router.get("/files/{int:file_id}/download", response={200: None, **READ_ERRORS}, summary="下载客户资料（记入审计日志）")
def file_download(request, file_id: int):
    from django.http import FileResponse

    from ioudesk.customers.files import customer_file_open

    row, handle = customer_file_open(user=request.user, pk=file_id)
    response = FileResponse(handle, as_attachment=True, filename=row.original_name, content_type=row.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- follow-ups ----------------------------------------------------------------------------------

class FollowUpIn(Schema):
    channel: Literal["phone", "visit", "in_store", "wechat", "material", "other"] = "phone"
    happened_at: datetime | None = None
    content: str
    material_sent: str = ""
    next_action: str = ""
    next_action_on: date | None = None


class FollowUpOut(Schema):
    id: int
    channel: str
    happened_at: datetime
    content: str
    material_sent: str
    next_action: str
    next_action_on: date | None
    next_action_done: bool
    owner: str


def _follow_up_out(row) -> FollowUpOut:
    return FollowUpOut(id=row.pk, channel=row.channel, happened_at=row.happened_at, content=row.content,
                       material_sent=row.material_sent, next_action=row.next_action,
                       next_action_on=row.next_action_on, next_action_done=row.next_action_done,
                       owner=row.owner.username)


@router.get("/{int:customer_id}/follow-ups", response={200: list[FollowUpOut], **READ_ERRORS}, summary="跟进记录")
def follow_up_list(request, customer_id: int):
    require_perm(request, "customers.view_followup")
    customer = get_object_or_404(_scoped(request), pk=customer_id)
    return [_follow_up_out(row) for row in customer.follow_ups.select_related("owner")]


@router.post("/{int:customer_id}/follow-ups", response={201: FollowUpOut, **WRITE_ERRORS}, summary="记录一次跟进")
def follow_up_create(request, customer_id: int, payload: FollowUpIn):
    from django.utils import timezone

    from ioudesk.customers.followups import follow_up_record

    require_perm(request, "customers.add_followup")
    customer = get_object_or_404(_scoped(request), pk=customer_id)
    row = follow_up_record(customer=customer, owner=request.user, user=request.user, channel=payload.channel,
                           happened_at=payload.happened_at or timezone.now(), content=payload.content,
                           material_sent=payload.material_sent, next_action=payload.next_action,
                           next_action_on=payload.next_action_on)
    return Status(201, _follow_up_out(row))
