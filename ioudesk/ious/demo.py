"""Demo products and IOUs for `make demo`: one IOU in every state, for the demo customers, made
through the services at past business dates (``clock.frozen``) by the demo staff, so the schedules,
postings, audit trail and balances are exactly what real use would leave.

Idempotent: when the demo customers already have IOUs, nothing is added.

Where an approval flow applies (``ioudesk setup`` seeds them: 借据审批, 核销, 展期 …), the operation
goes through ``approvals.services.submit_or_run`` and the request is approved by demo approvers other
than the maker (刘洋, and 吴刚 for the 风控委员会 step over ¥200,000), so the demo has an approval
history; the loan of 上海浦江建材 waits in 吴刚's 待我审批. Without flows (the tests) everything is done
at once, as before.

    draft (月息2分: above the legal cap) · pending approval · approved · active with payments, one
    due this week · overdue M1 · overdue M3 · extended · settled early · written off with a
    recovery · cancelled · 欠条 for goods on 月结30天 · 欠条 for services with a due date
"""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from decimal import Decimal as D

from ioudesk.approvals.models import ApprovalTask, ApproverGroup, RequestStatus, TaskState
from ioudesk.approvals.selectors import pending_for
from ioudesk.approvals.services import approver_group_save, request_decide, submit_or_run
from ioudesk.calc.dates import add_months
from ioudesk.core import clock
from ioudesk.core.context import acting_as, actor_for_user
from ioudesk.core.models import User
from ioudesk.customers.models import Customer
from ioudesk.ious.approval_codes import IOU_APPROVAL, IOU_EXTEND, IOU_WRITE_OFF
from ioudesk.ious.models import Iou, IouKind
from ioudesk.ious.services import iou_approve, iou_cancel, iou_create, iou_from_product, iou_submit
from ioudesk.ious.services.accrual import iou_close_day
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ious.services.installments import current_installments
from ioudesk.ious.services.repayment import iou_repay
from ioudesk.ious.services.settlement import iou_settle_early, iou_settlement_quote
from ioudesk.ious.services.writeoff import iou_recover
from ioudesk.products.models import Product
from ioudesk.products.services import product_save

PRODUCTS = [
    dict(code="XFD", name="消费贷", description="个人消费贷款，等额本息按月还款。", rate_text="12%",
         method="equal_installment", min_amount=1000, max_amount=500000, min_term=3, max_term=36,
         grace_days=3, installment_fee=0),
    dict(code="JYD", name="经营贷", description="小微企业及个体工商户经营周转，按月付息、到期还本。", rate_text="年化10%",
         method="interest_only", min_amount=10000, max_amount=2000000, min_term=6, max_term=36,
         upfront_fee_rate=D("0.005"), prepayment_fee_rate=D("0.01")),
    dict(code="DQZZ", name="短期周转", description="短期资金周转，到期一次还本付息。", rate_text="月息8厘",
         method="bullet", min_amount=1000, max_amount=200000, min_term=1, max_term=6),
]


def _products() -> dict[str, Product]:
    products = {}
    for terms in PRODUCTS:
        product = Product.objects.filter(code=terms["code"]).first()
        products[terms["code"]] = product or product_save(product=Product(**terms), reason="示范数据")
    return products


class Demo:
    """The demo staff and customers, and small steps that each call one service at a date."""

    def __init__(self):
        self.today = clock.today()
        self.users = {u.username: u for u in User.objects.filter(
            username__in=["zhangwei", "wangfang", "lina", "liuyang", "chenjing", "yangli", *APPROVERS])}
        self.customers = {c.name: c for c in Customer.objects.all()}
        self.products = _products()
        self.made: list[Iou] = []

    def ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    def months_ago(self, months: int, plus_days: int = 0) -> date:
        return add_months(self.today, -months) + timedelta(days=plus_days)

    @contextlib.contextmanager
    def at(self, day: date, user):
        """Freeze the business date and act as ``user`` (for the audit trail)."""
        with clock.frozen(day), acting_as(actor_for_user(user)):
            yield

    def create(self, iou: Iou, maker: str, day: date) -> Iou:
        with self.at(day, self.users[maker]):
            iou, _warning = iou_create(iou=iou, user=self.users[maker])
        self.made.append(iou)
        return iou

    def loan(self, customer: str, product: str, principal, term: int, day: date, maker: str, **fields) -> Iou:
        with self.at(day, self.users[maker]):
            iou = iou_from_product(product=self.products[product], customer=self.customers[customer],
                                   principal=principal, term=term, contract_date=day, **fields)
        return self.create(iou, maker, day)

    def approve(self, iou: Iou, day: date, maker: str, comment: str = "资料齐全，同意") -> Iou:
        sign_off(iou, maker=self.users[maker], approver=self.users["liuyang"], day=day, comment=comment)
        return iou

    def decide(self, request, day: date, comment: str) -> None:
        approve_request(request, day=day, comment=comment)

    def run(self, kind: str, iou: Iou, maker: str, day: date, payload: dict, summary: str,
            comment: str = "情况属实，同意"):
        """An operation that may need approval: submitted by ``maker`` on ``day`` and, when a flow
        applies, approved by the demo approvers the same day."""
        iou.refresh_from_db()  # the steps before worked on their own (locked) copies
        with self.at(day, self.users[maker]):
            outcome = submit_or_run(kind=kind, target=iou, user=self.users[maker], payload=payload, summary=summary,
                                    reason=payload.get("reason", ""), amount=AMOUNTS[kind](iou), product=iou.product,
                                    branch=iou.branch)
        if outcome.request is not None:
            self.decide(outcome.request, day, comment)
        iou.refresh_from_db()
        return outcome

    def disburse(self, iou: Iou, day: date) -> Iou:
        with self.at(day, self.users["chenjing"]):
            iou_disburse(iou=iou, user=self.users["chenjing"], day=day, reference=f"FK{day:%Y%m%d}{iou.pk:04d}")
        return iou

    def pay_installments(self, iou: Iou, count: int, method: str = "bank_transfer"):
        """Pay the first ``count`` installments of the current schedule in full, each on its due date."""
        for row in current_installments(iou)[:count]:
            if row.due_date > self.today:
                break
            amount = row.principal_due + row.interest_due + row.fee_due
            with self.at(row.due_date, self.users["chenjing"]):
                iou_repay(iou=iou, amount=amount, user=self.users["chenjing"], day=row.due_date, method=method,
                          reference=f"HK{row.due_date:%Y%m%d}{iou.pk:04d}", payer=iou.customer.name)

    def bring_up_to_date(self, iou: Iou):
        """Post what fell due by the business date (interest, penalty, days past due), as the
        daily close would."""
        with self.at(self.today, self.users["chenjing"]):
            iou_close_day(iou=iou, user=self.users["chenjing"])


# what each kind's flow conditions read as the amount (as the back office passes it)
AMOUNTS = {IOU_EXTEND: lambda iou: iou.principal_outstanding, IOU_WRITE_OFF: lambda iou: iou.total_outstanding}
APPROVERS = ["liuyang", "wugang"]  # 审批员; both are in the 风控委员会 approver group
RISK_COMMITTEE = "风控委员会"


def approve_request(request, *, day: date, comment: str) -> None:
    """Approve a demo approval request step by step, each step by a demo approver (审批员) who has a
    task on it and has not approved an earlier step (刘洋 first, then 吴刚); one whose approvers are all
    elsewhere (another branch) is left waiting in their 待我审批."""
    people = [user for name in APPROVERS for user in User.objects.filter(username=name)]
    used: set[int] = set()
    for _step in range(10):
        request.refresh_from_db()
        if request.status != RequestStatus.PENDING:
            return
        tasks = set(ApprovalTask.objects.filter(request=request, state=TaskState.PENDING,
                                                step_order=request.current_step).exclude(
            assignee_id=request.maker_id).values_list("assignee_id", flat=True))
        approver = next((u for u in people if u.pk in tasks and u.pk not in used),
                        next((u for u in people if u.pk in tasks), None))
        if approver is None:
            return
        used.add(approver.pk)
        with clock.frozen(day), acting_as(actor_for_user(approver)):
            request_decide(request=request, user=approver, decision="approve", comment=comment)


def sign_off(iou: Iou, *, maker, approver, day: date, comment: str = "资料齐全，同意") -> Iou:
    """Submit a demo IOU and have it approved: by ``approver`` at once, or, when an approval flow
    signs it off (借据审批), through its request by the demo approvers (``approve_request``). For the
    other demo loaders too."""
    with clock.frozen(day), acting_as(actor_for_user(maker)):
        iou_submit(iou=iou, user=maker)
    request = next((r for r in pending_for(iou) if r.kind == IOU_APPROVAL), None)
    if request is not None:
        approve_request(request, day=day, comment=comment)
    else:
        with clock.frozen(day), acting_as(actor_for_user(approver)):
            iou_approve(iou=iou, user=approver, comment=comment)
    iou.refresh_from_db()
    return iou


def _committee(users: dict) -> None:
    """刘洋 and 吴刚 in the 风控委员会 (the group the seeded flows name for amounts from ¥200,000)."""
    group = ApproverGroup.objects.filter(name=RISK_COMMITTEE).first()
    members = set(group.members.values_list("pk", flat=True)) if group else set()
    wanted = {users[name].pk for name in APPROVERS if name in users}
    if group is None or not wanted <= members:
        approver_group_save(group=group, name=RISK_COMMITTEE, members=sorted(members | wanted))


DEMO_CUSTOMERS = ["王建国", "李秀英", "曾小贤", "北京华信商贸有限公司", "张伟", "刘洋", "海淀区晨光餐饮店",
                  "陈静", "上海浦江建材有限公司", "赵磊"]


def load() -> list[str]:
    if Iou.objects.filter(customer__name__in=DEMO_CUSTOMERS).exists():
        return [f"借据 {Iou.objects.count()} 笔（示范借据已存在，未重复创建）"]
    demo = Demo()
    if any(name not in demo.customers for name in DEMO_CUSTOMERS) or len(demo.users) < 6:
        return ["借据：缺少示范客户或员工，未创建示范借据（请先加载客户示范数据）"]
    _committee(demo.users)

    # 草稿: a private loan written at 月息2分 (24 % a year), above 4×LPR: the cap warning shows.
    demo.create(Iou(kind=IouKind.LOAN, customer=demo.customers["陈静"], principal=D("50000"), rate_text="月息2分",
                    method="bullet", term=6, contract_date=demo.ago(2), guarantor="陈明",
                    guarantee_type="guarantee", purpose_category="consumption",
                    notes="借条按月息2分书写，超过法定保护上限，待与客户协商调整。"), "lina", demo.ago(2))

    # 待审批
    pending = demo.loan("上海浦江建材有限公司", "JYD", "300000", 12, demo.ago(1), "lina", guarantor="周强",
                        guarantee_type="guarantee", purpose_category="trade")
    with demo.at(demo.ago(1), demo.users["lina"]):
        iou_submit(iou=pending, user=demo.users["lina"])

    # 已批准, awaiting disbursement
    demo.approve(demo.loan("张伟", "DQZZ", "30000", 3, demo.ago(1), "wangfang", guarantee_type="credit",
                           purpose_category="services"), demo.ago(0), "wangfang")

    # 已放款 with three payments on time; the fourth falls due within the week.
    start = demo.months_ago(4, plus_days=3)
    active = demo.approve(demo.loan("王建国", "XFD", "100000", 12, start, "zhangwei", guarantee_type="mortgage",
                                   purpose_category="agriculture"), start, "zhangwei")
    demo.disburse(active, start)
    demo.pay_installments(active, 3)

    # 逾期 M1: the first installment paid, the second about 10 days overdue.
    start = demo.months_ago(2, plus_days=-10)
    m1 = demo.approve(demo.loan("李秀英", "XFD", "10000", 6, start, "zhangwei", guarantee_type="credit",
                               purpose_category="consumption"), start, "zhangwei")
    demo.disburse(m1, start)
    demo.pay_installments(m1, 1, method="wechat")
    demo.bring_up_to_date(m1)

    # 逾期 M3: a one-month bullet loan 70 days past its due date (担保方式 and 用途 not recorded: the reports
    # read them as 信用 and 其他, and the IOU page says so).
    start = demo.months_ago(1, plus_days=-70)
    m3 = demo.approve(demo.loan("曾小贤", "DQZZ", "8000", 1, start, "zhangwei"), start, "zhangwei")
    demo.disburse(m3, start)
    demo.bring_up_to_date(m3)

    # 已展期: interest paid for three months, then extended over 12 months.
    start = demo.months_ago(3, plus_days=-10)
    extended = demo.approve(demo.loan("北京华信商贸有限公司", "JYD", "200000", 6, start, "zhangwei",
                                      guarantor="王建国", guarantee_type="guarantee", purpose_category="trade"),
                            start, "zhangwei", comment="经营正常，担保人资信良好，同意")
    demo.disburse(extended, start)
    demo.pay_installments(extended, 3)
    demo.run(IOU_EXTEND, extended, "chenjing", demo.ago(5), {"term": 12, "reason": "客户经营周转困难，申请展期12个月，担保人同意"},
             summary=f"展期/重组 {extended.number}：12 期",
             comment="经营性困难属实，担保人同意，同意展期")

    # 已结清: two payments, then early settlement on the quote.
    start = demo.months_ago(5)
    settled = demo.approve(demo.loan("王建国", "XFD", "30000", 6, start, "zhangwei", guarantee_type="pledge",
                                    purpose_category="consumption"), start, "zhangwei")
    demo.disburse(settled, start)
    demo.pay_installments(settled, 2, method="alipay")
    day = demo.months_ago(2, plus_days=10)
    with demo.at(day, demo.users["chenjing"]):
        quote = iou_settlement_quote(iou=settled, user=demo.users["chenjing"])
        iou_settle_early(iou=settled, amount=quote.total, user=demo.users["chenjing"], reference=f"JQ{day:%Y%m%d}",
                         payer="王建国")

    # 已核销 with a recovery: one payment, then nothing for five months.
    start = demo.months_ago(10)
    lost = demo.approve(demo.loan("刘洋", "XFD", "15000", 6, start, "wangfang", guarantee_type="credit",
                                 purpose_category="consumption"), start, "wangfang")
    demo.disburse(lost, start)
    demo.pay_installments(lost, 1)
    demo.run(IOU_WRITE_OFF, lost, "chenjing", demo.ago(120),
             {"recovery_method": "write_off", "reason": "债务人失联逾期超过150天，经诉讼执行未发现可供执行财产"},
             summary=f"核销 {lost.number}", comment="执行终本裁定已核对，同意核销")
    with demo.at(demo.ago(30), demo.users["chenjing"]):
        iou_recover(iou=lost, amount="3000", user=demo.users["chenjing"], method="bank_transfer", payer="刘洋家属",
                    reference=f"SH{demo.ago(30):%Y%m%d}")

    # 已作废
    cancelled = demo.loan("赵磊", "DQZZ", "20000", 3, demo.ago(20), "lina")
    with demo.at(demo.ago(19), demo.users["lina"]):
        iou_cancel(iou=cancelled, user=demo.users["lina"], reason="客户已列入黑名单，不予放款")

    # 欠条 for goods on 月结30天 (due in ten days), and one for services due last week: overdue.
    goods = demo.create(Iou(kind=IouKind.DEBT, customer=demo.customers["海淀区晨光餐饮店"], debt_reason="goods",
                            reason="10月食材供货货款", principal=D("36800"), payment_terms="net_30",
                            contract_date=demo.ago(20), witness="孙丽"), "wangfang", demo.ago(20))
    demo.approve(goods, demo.ago(20), "wangfang", comment="送货单已签收，同意")
    demo.disburse(goods, demo.ago(20))
    services = demo.create(Iou(kind=IouKind.DEBT, customer=demo.customers["北京华信商贸有限公司"],
                               debt_reason="services", reason="仓储服务费（第三季度）", principal=D("12500"),
                               due_date=demo.ago(7), contract_date=demo.ago(40)), "zhangwei", demo.ago(40))
    demo.approve(services, demo.ago(40), "zhangwei")
    demo.disburse(services, demo.ago(40))
    demo.bring_up_to_date(services)

    counts: dict[str, int] = {}
    for iou in Iou.objects.filter(pk__in=[i.pk for i in demo.made]):
        counts[iou.get_status_display()] = counts.get(iou.get_status_display(), 0) + 1
    states = "、".join(f"{name} {count}" for name, count in counts.items())
    return [f"贷款产品 {len(PRODUCTS)} 个；示范借据 {len(demo.made)} 笔（{states}）"]
