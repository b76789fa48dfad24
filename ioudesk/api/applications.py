"""/api/v1/applications: loan applications (贷款申请) entered at the desk, their materials (upload as
multipart/form-data, accept or return with a reason), and submission for approval.

The same services, permissions and data scope as the back office's application pages: reading needs
``applications.view_application`` and sees the user's branches (and applications whose approval
has a task for the user); creating needs ``applications.add_application``; reviewing materials
``applications.review_applicationmaterial``; submitting ``applications.submit_application``. The
approval itself is decided through /api/v1/approvals. Money is a string with two decimals, dates and
times ISO. ID numbers and phones are masked."""


from datetime import datetime
from typing import Literal

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from ioudesk.api.errors import READ_ERRORS, WRITE_ERRORS
from ioudesk.api.pagination import Pages
from ioudesk.api.permissions import require_perm
from ioudesk.applications import selectors, services
from ioudesk.applications.models import Application, Channel
from ioudesk.core.errors import ValidationFailed
from ioudesk.core.masking import mask_id_number, mask_phone
from ioudesk.products.models import Product

router = Router(tags=["贷款申请"])

VIEW = "applications.view_application"


class ApplicationRow(Schema):
    id: int
    number: str
    status: str
    status_display: str
    channel: str
    product_id: int
    product_name: str
    amount: str
    term: int
    applicant_name: str
    score: int | None
    score_band: str
    branch_id: int
    created_at: datetime


class ApplicationMaterialOut(Schema):
    id: int
    requirement_id: int
    requirement: str
    original_name: str
    kind: str
    size: int
    sha256: str
    status: str
    reason: str
    uploaded_at: datetime
    superseded: bool


class ApplicationChecklistItem(Schema):
    requirement_id: int
    code: str
    name: str
    required: bool
    allowed_kinds: list[str]
    max_size_mb: int
    state: str
    needed: bool
    material: ApplicationMaterialOut | None


class ApplicationDetail(ApplicationRow):
    purpose: str
    id_number_masked: str
    phone_masked: str
    email: str
    monthly_income: str | None
    monthly_debt: str | None
    employer: str
    customer_id: int | None
    account_manager: str | None
    decision_reason: str
    offer: dict
    screening_result: dict
    scorecard_version: int | None
    recommendation: dict
    approval_request_id: int | None
    iou_id: int | None
    iou_number: str | None
    checklist: list[ApplicationChecklistItem]


class ApplicationFilters(Schema):
    status: Literal["draft", "submitted", "screening", "in_review", "returned", "approved", "offered", "accepted",
                    "rejected", "withdrawn", "disbursed"] | None = None
    channel: Literal["desk", "portal"] | None = None
    product_id: int | None = None
    q: str | None = None


class ApplicationIn(Schema):
    product_id: int
    amount: str
    term: int
    purpose: str
    applicant_name: str
    id_number: str
    phone: str
    email: str = ""
    monthly_income: str | None = None
    employer: str = ""
    monthly_debt: str | None = None
    consent: bool


class ApplicationReviewIn(Schema):
    decision: Literal["accept", "return"]
    reason: str = ""


class ApplicationSubmitIn(Schema):
    comment: str = ""


class ApplicationSubmitOut(Schema):
    application: ApplicationDetail
    approval_request_id: int | None
    approval_request_number: str | None
    result: dict | None


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def _row(a: Application) -> dict:
    return {"id": a.pk, "number": a.number, "status": a.status, "status_display": str(a.get_status_display()),
            "channel": a.channel, "product_id": a.product_id, "product_name": a.product.name,
            "amount": _money(a.amount), "term": a.term, "applicant_name": a.applicant_name, "score": a.score,
            "score_band": a.score_band, "branch_id": a.branch_id, "created_at": a.created_at}


def _material(m) -> dict | None:
    if m is None:
        return None
    return {"id": m.pk, "requirement_id": m.requirement_id, "requirement": m.requirement.name,
            "original_name": m.original_name, "kind": m.kind, "size": m.size, "sha256": m.sha256, "status": m.status,
            "reason": m.reason, "uploaded_at": m.uploaded_at, "superseded": m.superseded}


def _detail(a: Application) -> dict:
    a = Application.objects.select_related("product", "iou", "account_manager").get(pk=a.pk)
    return {**_row(a), "purpose": a.purpose, "id_number_masked": mask_id_number(a.id_number),
            "phone_masked": mask_phone(a.phone), "email": a.email, "monthly_income": _money(a.monthly_income),
            "monthly_debt": _money(a.monthly_debt), "employer": a.employer, "customer_id": a.customer_id,
            "account_manager": a.account_manager.get_full_name() if a.account_manager_id else None,
            "decision_reason": a.decision_reason, "offer": a.offer or {}, "screening_result": a.screening_result or {},
            "scorecard_version": a.scorecard_version, "recommendation": a.recommendation or {},
            "approval_request_id": a.approval_request_id, "iou_id": a.iou_id,
            "iou_number": a.iou.number if a.iou_id else None,
            "checklist": [{"requirement_id": i["requirement"].pk, "code": i["requirement"].code,
                           "name": i["requirement"].name, "required": i["requirement"].required,
                           "allowed_kinds": i["requirement"].kind_keys(), "max_size_mb": i["requirement"].max_size_mb,
                           "state": i["state"], "needed": i["needed"], "material": _material(i["material"])}
                          for i in services.checklist(a)]}


def _get(request, application_id: int) -> Application:
    application = selectors.application_get(user=request.user, pk=application_id)
    if application is None:
        raise Http404
    return application


@router.get("", response={200: list[ApplicationRow], **READ_ERRORS}, summary="贷款申请列表（筛选、分页）")
@paginate(Pages, page_size=50)
def application_list(request, filters: Query[ApplicationFilters]):
    require_perm(request, VIEW)
    queryset = selectors.applications_for(request.user).order_by("-created_at", "-pk")
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.channel:
        queryset = queryset.filter(channel=filters.channel)
    if filters.product_id is not None:
        queryset = queryset.filter(product_id=filters.product_id)
    if filters.q and filters.q.strip():
        q = filters.q.strip()[:50]
        queryset = queryset.filter(Q(number__icontains=q) | Q(applicant_name__icontains=q))
    return [_row(a) for a in queryset]


@router.get("/{int:application_id}", response={200: ApplicationDetail, **READ_ERRORS}, summary="贷款申请详情（材料清单、初筛、推荐）")
def application_detail(request, application_id: int):
    require_perm(request, VIEW)
    return _detail(_get(request, application_id))


@router.post("", response={201: ApplicationDetail, **WRITE_ERRORS}, summary="柜面录入贷款申请（立即初筛）")
def application_create(request, payload: ApplicationIn):
    require_perm(request, "applications.add_application")
    product = Product.objects.filter(pk=payload.product_id).first()
    application = services.application_create(
        user=request.user, channel=Channel.DESK, product=product, amount=payload.amount, term=payload.term,
        purpose=payload.purpose, applicant_name=payload.applicant_name, id_number=payload.id_number,
        phone=payload.phone, email=payload.email, monthly_income=payload.monthly_income, employer=payload.employer,
        monthly_debt=payload.monthly_debt, consent=payload.consent)
    return Status(201, _detail(application))


@router.post("/{int:application_id}/materials", response={201: ApplicationMaterialOut, **WRITE_ERRORS},
             summary="上传申请材料（表单字段 `requirement_id`、`file`）")
def material_upload(request, application_id: int, requirement_id: Form[int], file: File[UploadedFile]):
    require_perm(request, VIEW)
    application = _get(request, application_id)
    item = next((i for i in services.checklist(application) if i["requirement"].pk == requirement_id), None)
    if item is None:
        raise ValidationFailed(_("该材料项不属于这笔申请的产品。"), extra={"field": "requirement_id"})
    row = services.material_upload(application=application, requirement=item["requirement"], upload=file,
                                   user=request.user)
    return Status(201, _material(row))


@router.post("/{int:application_id}/materials/{int:material_id}/review", response={200: ApplicationMaterialOut, **WRITE_ERRORS},
             summary="审核申请材料：通过或退回（退回须填原因）")
def material_review(request, application_id: int, material_id: int, payload: ApplicationReviewIn):
    require_perm(request, VIEW)
    application = _get(request, application_id)
    material = application.materials.filter(pk=material_id).first()
    if material is None:
        raise Http404
    row = services.material_review(material=material, user=request.user, accept=payload.decision == "accept",
                                   reason=payload.reason)
    return _material(row)


@router.post("/{int:application_id}/submit", response={200: ApplicationSubmitOut, **WRITE_ERRORS},
             summary="提交审批（材料须齐全并已审核；无需审批时直接建立借据）")
def application_submit(request, application_id: int, payload: ApplicationSubmitIn):
    require_perm(request, VIEW)
    application = _get(request, application_id)
    outcome = services.application_submit(application=application, user=request.user, comment=payload.comment)
    return {"application": _detail(application), "approval_request_id": outcome.request.pk if outcome.request else None,
            "approval_request_number": outcome.request.number if outcome.request else None,
            "result": outcome.result}
