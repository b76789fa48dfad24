"""The bill sign-offs (maker-checker, docs/domain.md §23 and §26) as approval request kinds, registered
at start-up (registrations.py), and the flows ``ioudesk setup`` seeds for them:

- ``bill_approval`` 单据审核: the seed's 欠款单 rule, a supervisor signs a bill off before it counts
  (seeded: one step, role 审批员);
- ``bill_credit`` 信用审批: a receivable bill that would pass the customer's credit limit, or for a
  customer with long-overdue items (seeded: 审批员, then the 风控委员会 group from ¥200,000).

The executor posts the bill (``bills.bill_post(approval=)``, whose gate checks the request); a
rejection, a return or a withdrawal puts the bill back to draft.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.approvals.models import ApprovalFlow, ApproverGroup, ApproverType, StepMode
from ioudesk.approvals.registry import RequestKind, register_request_kind
from ioudesk.calc.money import format_yuan
from ioudesk.core.errors import InvalidState
from ioudesk.core.roles import ADMINISTRATOR, APPROVER
from ioudesk.receivables import bills
from ioudesk.receivables.credit import BILL_APPROVAL, BILL_CREDIT, credit_check
from ioudesk.receivables.models import Bill, BillStatus, Direction

RISK_COMMITTEE = "风控委员会"
COMMITTEE_FROM = Decimal("200000.00")


def _bill(request) -> Bill:
    return Bill.objects.select_related("customer", "branch", "payment_terms", "created_by").get(pk=request.target_id)


def _url(request) -> str:
    return reverse("backoffice:receivables_bill", args=[request.target_id])


def _rows(bill: Bill) -> list[tuple[str, str]]:
    lines = list(bill.lines.order_by("line_no")[:5])
    what = "；".join(f"{line.description} {line.quantity.normalize():f}{line.unit} × {line.unit_price.normalize():f}"
                    for line in lines)
    if bill.lines.count() > 5:
        what += _g(" 等 %(n)d 行") % {"n": bill.lines.count()}
    return [
        (_g("单号"), bill.number),
        (_g("单据类型"), str(bill.get_kind_display())),
        (_g("往来单位"), f"{bill.customer.name}（{bill.customer.number}）"),
        (_g("网点"), str(bill.branch)),
        (_g("单据日期"), bill.bill_date.isoformat()),
        (_g("价税合计"), format_yuan(bill.total)),
        (_g("不含税金额/税额"), f"{format_yuan(bill.net_amount)} / {format_yuan(bill.tax_amount)}"),
        (_g("付款条件"), bill.terms_text or "—"),
        (_g("发票号码"), bill.vat_invoice_number or _g("未开票")),
        (_g("明细"), what or "—"),
        (_g("制单人"), str(bill.created_by) if bill.created_by else "—"),
    ]


def _credit_rows(bill: Bill) -> list[tuple[str, str]]:
    if bill.direction != Direction.RECEIVABLE:
        return []
    verdict = credit_check(bill.customer, bill.total, exclude_bill=bill)
    return [
        (_g("信用额度"), format_yuan(verdict.limit) if verdict.limit is not None else _g("不限额")),
        (_g("已有欠款（含本单前）"), format_yuan(verdict.exposure)),
        (_g("可用额度"), format_yuan(verdict.available) if verdict.available is not None else "—"),
        (_g("长期逾期欠款（超过 %(days)d 天）") % {"days": verdict.long_overdue_days},
         format_yuan(verdict.long_overdue_amount)),
        (_g("需信用审批的原因"), "；".join(verdict.reasons) or _g("提交后情况已变化，当前无需信用审批")),
    ]


def _execute(*, target, payload, maker, checker=None, approval=None) -> dict:
    bill = bills.bill_post(bill=target, user=checker or maker, approval=approval)
    return {"bill": bill.pk, "status": bill.status}


def _describe(request) -> list[tuple[str, str]]:
    return _rows(_bill(request))


def _describe_credit(request) -> list[tuple[str, str]]:
    bill = _bill(request)
    return [*_rows(bill), *_credit_rows(bill)]


def _validate(target, payload, user) -> None:
    bill = Bill.objects.get(pk=target.pk)
    if bill.status not in (BillStatus.DRAFT, BillStatus.PENDING):
        raise InvalidState(_g("单据 %(number)s 当前为“%(status)s”，不需要审核。") % {
            "number": bill.number, "status": bill.get_status_display()})


def _closed(*, request, user, comment="", reason="", **kwargs) -> None:
    bills.bill_return_to_draft(bill=_bill(request), user=user, comment=comment or reason)


KINDS = [
    RequestKind(code=BILL_APPROVAL, label=_("单据审核"), execute=_execute, describe=_describe, validate=_validate,
                url=_url, on_reject=_closed, on_return=_closed, on_cancel=_closed),
    RequestKind(code=BILL_CREDIT, label=_("信用审批（超额度/长期欠款）"), execute=_execute, describe=_describe_credit,
                validate=_validate, url=_url, covers=(BILL_APPROVAL,), on_reject=_closed, on_return=_closed,
                on_cancel=_closed),
]


def register() -> None:
    for kind in KINDS:
        register_request_kind(kind)


# --- seeds --------------------------------------------------------------------------------------------

def default_bill_flows() -> dict[str, tuple[str, dict, list[dict]]]:
    """kind → (name, flow settings, steps), as ``approvals.flows.default_flows`` gives its own."""
    approver = Group.objects.get(name=APPROVER).pk
    admin = Group.objects.get(name=ADMINISTRATOR).pk
    committee, _created = ApproverGroup.objects.get_or_create(name=RISK_COMMITTEE)
    first = {"name": _g("审批员审批"), "approver_type": ApproverType.ROLE, "role": approver, "mode": StepMode.ANY,
             "time_limit_hours": 24, "escalate_to_role": admin}
    committee_step = {"name": _g("风控委员会审批"), "approver_type": ApproverType.GROUP, "group": committee.pk,
                      "mode": StepMode.ANY, "min_amount": str(COMMITTEE_FROM), "time_limit_hours": 48,
                      "escalate_to_role": admin}
    return {
        BILL_APPROVAL: (_g("单据审核（欠款单签批）"), {}, [dict(first, name=_g("主管审核"), allow_bulk=True)]),
        BILL_CREDIT: (_g("信用审批（超信用额度或有长期欠款）"), {}, [first, committee_step]),
    }


@transaction.atomic
def bill_flows_ensure() -> int:
    from ioudesk.approvals.flows import flow_save

    created = 0
    for kind, (name, _settings, steps) in default_bill_flows().items():
        if ApprovalFlow.objects.filter(kind=kind).exists():
            continue
        flow = ApprovalFlow.objects.create(name=name, kind=kind, is_active=True)
        flow_save(flow=flow, steps=steps, user=None, note=_g("系统预置"))
        created += 1
    return created


def receivables_defaults_ensure() -> int:
    """``ioudesk setup``: payment terms, settings, the bill flows (each once)."""
    created = bills.terms_defaults_ensure()
    bill_flows_ensure()
    return created
