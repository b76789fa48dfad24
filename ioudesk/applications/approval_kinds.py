"""The ``application`` request kind (贷款申请审批): registered at start-up (apps.ready).

The last approval runs ``services.application_execute``: the customer matched or created and the IOU
created, submitted and approved (ready to disburse); a counter-offer (改条件同意: amount, term, rate)
waits for the applicant instead. A rejection or a return reaches the application through the
hooks, and the applicant is told."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.applications import services
from ioudesk.applications.models import Application
from ioudesk.approvals.registry import RequestKind, register_request_kind
from ioudesk.core.errors import InvalidState
from ioudesk.core.masking import mask_id_number, mask_phone

CODE = "application"


def _application(request) -> Application:
    return Application.objects.select_related("product", "customer").get(pk=request.target_id)


def describe(request) -> list[tuple[str, str]]:
    application = _application(request)
    payload = request.payload or {}
    rows = [
        (_g("申请编号"), application.number),
        (_g("申请人"), application.applicant_name),
        (_g("身份证号"), mask_id_number(application.id_number)),
        (_g("手机号"), mask_phone(application.phone)),
        (_g("产品"), application.product.name),
        (_g("申请金额"), f"¥{Decimal(payload.get('amount') or application.amount):,.2f}"),
        (_g("期数"), str(payload.get("term") or application.term)),
        (_g("利率"), str(payload.get("rate_text") or application.product.rate_text)),
        (_g("借款用途"), application.purpose),
        (_g("月收入"), f"¥{application.monthly_income:,.2f}" if application.monthly_income is not None else "—"),
        (_g("现有每月还款"), f"¥{application.monthly_debt:,.2f}" if application.monthly_debt is not None else "—"),
        (_g("评分"), f"{application.score}（{application.score_band}）" if application.score is not None else "—"),
    ]
    offer = payload.get("offer") or {}
    if offer:
        rows.append((_g("调整后的条件"), "，".join(f"{k}={v}" for k, v in offer.items())))
    return rows


def validate(target, payload, user) -> None:
    if target.status not in (services.Status.SUBMITTED, services.Status.RETURNED, services.Status.DRAFT,
                             services.Status.IN_REVIEW):
        raise InvalidState(_("申请%(status)s，不能提交审批。") % {"status": target.get_status_display()})


def execute(*, target, payload, maker, checker=None, approval=None) -> dict:
    return services.application_execute(target=target, payload=payload, maker=maker, checker=checker,
                                        approval=approval)


def url(request) -> str:
    return reverse("backoffice:application_detail", args=[request.target_id])


def register() -> None:
    fields = dict(code=CODE, label=_("贷款申请"), execute=execute, describe=describe, validate=validate, url=url,
                  counter_fields=("amount", "term", "rate_text"))
    optional = {"covers": ("iou_approval",), "on_reject": services.application_on_reject,
                "on_return": services.application_on_return,
                "on_cancel": services.application_on_cancel}
    known = set(RequestKind.__dataclass_fields__)
    fields.update({name: value for name, value in optional.items() if name in known})
    register_request_kind(RequestKind(**fields))
