"""/api/v1/receivables: statements of account (对账单) — list, detail with the frozen figures, issue,
the PDF / .xlsx / 询证函, the customer's reply with disputed items, resolving a dispute — and a
counterparty's position (应收、应付、净往来、逾期、信用额度、DSO).

Same services, permissions and data scope as the back office: reading statements needs
``receivables.view_accountstatement``, issuing ``add_accountstatement``, recording a reply or resolving
a dispute ``change_accountstatement``; a position ``receivables.view_bill``. Money is a string with two
decimals ("20140.00"), dates ISO.
"""


from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from urllib.parse import quote

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import PlainSerializer

from ioudesk.api.errors import READ_ERRORS, WRITE_ERRORS
from ioudesk.api.pagination import Pages
from ioudesk.api.permissions import require_perm
from ioudesk.core.scope import scope_queryset
from ioudesk.customers.models import Customer
from ioudesk.receivables import selectors, statements
from ioudesk.receivables.models import AccountStatement, Bill, StatementDispute

router = Router(tags=["往来账款：对账单"])

VIEW, ADD, CHANGE = ("receivables.view_accountstatement", "receivables.add_accountstatement",
                     "receivables.change_accountstatement")


def _yuan(value) -> str:
    return f"{Decimal(value):.2f}"


Money = Annotated[Decimal, PlainSerializer(_yuan, return_type=str)]
OptionalMoney = Annotated[Decimal | None, PlainSerializer(lambda v: None if v is None else _yuan(v),
                                                          return_type=str | None)]


class StatementRow(Schema):
    id: int
    number: str = Field(description="对账单号，如 DZ20261205-0001")
    customer_id: int
    customer_name: str
    direction: str = Field(description="`receivable` 应收 / `payable` 应付")
    period_from: date
    period_to: date
    opening: Money
    billed: Money
    credited: Money
    received: Money
    closing: Money
    status: str = Field(description="`issued` 已出具 / `sent` 已发询证函 / `agreed` 客户确认无误 / `disputed` 客户有异议 / `no_reply` 未回函")
    status_display: str
    reply_on: date | None

    @staticmethod
    def resolve_customer_name(statement) -> str:
        return statement["customer_name"] if isinstance(statement, dict) else statement.customer.name

    @staticmethod
    def resolve_status_display(statement) -> str:
        if isinstance(statement, dict):
            return statement["status_display"]
        return str(statement.get_status_display())


class StatementLineOut(Schema):
    day: date
    category: str = Field(description="`billed` 应收/应付单、`credited` 红字冲减、`adjusted` 调整、`received` 收付款、`transfer` 收款转借据还款")
    label: str
    document: str
    memo: str
    entry: str
    amount: Money = Field(description="带符号：正数增加余额，负数减少余额")
    balance: Money


class StatementOpenItemOut(Schema):
    bill_id: int
    bill: str
    bill_date: date
    due_date: date
    open: Money
    days_overdue: int
    bucket: str
    disputed: bool


class StatementReceiptOut(Schema):
    receipt_id: int
    number: str
    day: date
    amount: Money
    unmatched: Money


class StatementAgingOut(Schema):
    bucket: str
    label: str
    amount: Money


class StatementDisputeOut(Schema):
    id: int
    bill_id: int | None
    amount: Money
    reason: str
    resolved: bool
    resolution: str


class StatementDetail(StatementRow):
    adjusted: Money
    bills_open: Money = Field(description="期末未结单据合计（应收账款或应付账款余额）")
    unmatched: Money = Field(description="期末未核销的收付款")
    lines: list[StatementLineOut]
    open_items: list[StatementOpenItemOut]
    open_receipts: list[StatementReceiptOut]
    aging: list[StatementAgingOut]
    disputes: list[StatementDisputeOut]
    reply_note: str


class StatementIssueIn(Schema):
    customer_id: int
    period_from: date
    period_to: date
    direction: Literal["receivable", "payable"] = "receivable"


class StatementDisputeIn(Schema):
    bill_id: int | None = Field(None, description="对账单上的单据；留空为漏列或其他不符项")
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    reason: str = Field(min_length=1, max_length=200)


class StatementReplyIn(Schema):
    agreed: bool = Field(description="`true`：信息证明无误；`false`：信息不符（须在 `disputes` 列明不符项）")
    day: date | None = Field(None, description="回函日期，默认营业日")
    note: str = Field("", max_length=300)
    disputes: list[StatementDisputeIn] = Field(default_factory=list, max_length=50)


class StatementResolveIn(Schema):
    resolution: str = Field(min_length=1, max_length=200)


class StatementFilters(Schema):
    customer_id: int | None = None
    status: Literal["issued", "sent", "agreed", "disputed", "no_reply"] | None = None
    direction: Literal["receivable", "payable"] | None = None


class CustomerPositionOut(Schema):
    customer_id: int
    day: date
    receivable: Money = Field(description="应收未结")
    advance: Money = Field(description="未核销收款（预收）")
    payable: Money = Field(description="应付未结")
    prepaid: Money = Field(description="未核销付款（预付）")
    net: Money = Field(description="净往来 = 应收 − 预收 − (应付 − 预付)")
    overdue: Money
    overdue_short: Money
    overdue_long: Money
    long_overdue_days: int
    credit_limit: OptionalMoney = Field(description="信用额度；`null` 为不限额")
    available: OptionalMoney
    exceeds_limit: bool
    dso: Decimal | None = Field(description="应收账款周转天数（一位小数），无销售时为 `null`")
    dso_days: int
    category: str
    is_supplier: bool
    aging: list[StatementAgingOut]


def _detail(statement: AccountStatement) -> dict:
    figures = statements.figures_of(statement)
    row = {name: getattr(statement, name) for name in (
        "id", "number", "customer_id", "direction", "period_from", "period_to", "opening", "billed", "credited",
        "received", "closing", "status", "reply_on", "reply_note")}
    return {**row, "customer_name": statement.customer.name, "status_display": str(statement.get_status_display()),
            "adjusted": figures.adjusted, "bills_open": figures.bills_open, "unmatched": figures.unmatched,
            "lines": [vars(m) for m in figures.movements], "open_items": [vars(i) for i in figures.open_items],
            "open_receipts": [vars(r) for r in figures.open_receipts],
            "aging": [{"bucket": k, "label": label, "amount": a} for k, label, a in figures.aging_rows],
            "disputes": list(statement.disputes.all())}


def _statement(request, statement_id: int) -> AccountStatement:
    try:
        return statements.statement_get(request.user, statement_id)
    except Http404:
        raise Http404 from None


@router.get("/statements", response={200: list[StatementRow], **READ_ERRORS}, summary="对账单列表（筛选、分页）")
@paginate(Pages, page_size=50)
def statement_list(request, filters: Query[StatementFilters]):
    require_perm(request, VIEW)
    return statements.statements_list(request.user, customer_id=filters.customer_id, status=filters.status,
                                      direction=filters.direction)


@router.get("/statements/{int:statement_id}", response={200: StatementDetail, **READ_ERRORS},
            summary="对账单详情（出具时固定的明细、账龄、争议）")
def statement_detail(request, statement_id: int):
    require_perm(request, VIEW)
    return _detail(_statement(request, statement_id))


@router.post("/statements", response={201: StatementDetail, **WRITE_ERRORS}, summary="出具对账单（按往来单位和期间）")
def statement_issue(request, payload: StatementIssueIn):
    require_perm(request, ADD)
    customer = get_object_or_404(scope_queryset(request.user, Customer.objects.all()), pk=payload.customer_id)
    statement = statements.statement_issue(customer=customer, period_from=payload.period_from,
                                           period_to=payload.period_to, direction=payload.direction, user=request.user)
    return Status(201, _detail(statement))


@router.get("/statements/{int:statement_id}/document", response={200: None, **READ_ERRORS},
            summary="下载对账单 PDF（`kind=pdf`）、Excel（`kind=xlsx`）或询证函 PDF（`kind=confirmation`）；记入审计日志")
def statement_document(request, statement_id: int, kind: Literal["pdf", "xlsx", "confirmation"] = "pdf"):
    require_perm(request, VIEW)
    statement = _statement(request, statement_id)
    content, filename, mime = statements.statement_download(statement=statement, kind=kind, user=request.user)
    response = HttpResponse(content, content_type=mime)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@router.post("/statements/{int:statement_id}/reply", response={200: StatementDetail, **WRITE_ERRORS},
             summary="登记询证函回函：确认无误，或信息不符并列明不符单据（单据标记为有争议）")
def statement_reply(request, statement_id: int, payload: StatementReplyIn):
    require_perm(request, CHANGE)
    statement = _statement(request, statement_id)
    bills = Bill.objects.filter(customer_id=statement.customer_id)
    items = []
    for item in payload.disputes:
        bill = None
        if item.bill_id is not None:
            bill = bills.filter(pk=item.bill_id).first()
            if bill is None:
                raise Http404
        items.append(statements.DisputeItem(bill=bill, amount=item.amount, reason=item.reason))
    statements.statement_reply(statement=statement, agreed=payload.agreed, disputes=items, note=payload.note,
                               day=payload.day, user=request.user)
    return _detail(_statement(request, statement_id))


@router.post("/statements/disputes/{int:dispute_id}/resolve", response={200: StatementDisputeOut, **WRITE_ERRORS},
             summary="处理一项对账争议（无未处理争议时取消单据的争议标记）")
def statement_dispute_resolve(request, dispute_id: int, payload: StatementResolveIn):
    require_perm(request, CHANGE)
    visible = statements.statements_list(request.user).values("pk")
    dispute = get_object_or_404(StatementDispute.objects.filter(statement_id__in=visible), pk=dispute_id)
    return statements.dispute_resolve(dispute=dispute, resolution=payload.resolution, user=request.user)


@router.get("/positions/{int:customer_id}", response={200: CustomerPositionOut, **READ_ERRORS},
            summary="往来单位的往来情况：应收、应付、净往来、短期/长期逾期、信用额度与可用额度、应收账款周转天数、账龄")
def customer_position(request, customer_id: int):
    require_perm(request, "receivables.view_bill")
    customer = get_object_or_404(scope_queryset(request.user, Customer.objects.all()), pk=customer_id)
    position = selectors.customer_position(customer)
    return {"customer_id": customer.pk, "day": position.day, "receivable": position.receivable,
            "advance": position.advance, "payable": position.payable, "prepaid": position.prepaid, "net": position.net,
            "overdue": position.overdue, "overdue_short": position.overdue_short,
            "overdue_long": position.overdue_long, "long_overdue_days": position.long_overdue_days,
            "credit_limit": position.credit_limit, "available": position.available,
            "exceeds_limit": position.exceeds_limit, "dso": position.dso, "dso_days": position.dso_days,
            "category": position.category, "is_supplier": position.is_supplier,
            "aging": [{"bucket": key, "label": str(selectors.BUCKET_LABELS[key]), "amount": position.aging.get(key)}
                      for key in selectors.BUCKET_KEYS]}
