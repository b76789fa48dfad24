"""Demo 往来账款 for `make demo`: counterparties with credit limits and payment terms, bills in every
state, a credit note and an adjustment, a supplier's bill and a purchase order, receipts matched and
not, a bank statement imported (made by the statement generator in ICBC's layout: most lines matched
automatically, a few left in 待核销 for a person), a statement of account answered with a disputed
item, and the overdue bills given to collections by yesterday's close step. Everything through the
services at past business dates (``clock.frozen``) by the demo staff; bills signed off through the
seeded flows (审批 by 刘洋/吴刚, ``ious.demo.approve_request``). Dates are relative to the business
date T. Idempotent: when the demo counterparties already have bills, nothing is added. Only the
customer demo's companies are used (its test counts the customers).

    北京华信商贸有限公司 (重要客户, 月结30天): a paid bill; a bill partly paid by hand; a bill with a
        credit note (退货) and an adjustment (补收运费), paid from the bank statement; bills paid from the
        statement by their number in the memo; an open bill not yet due; a draft; and, once its credit limit is set to leave
        ¥80,000 available (its IOUs count too), a large bill waiting for 信用审批 in 刘洋's 待我审批
    上海浦江建材有限公司 (客户兼供应商, 次月底付款): service bills, one disputed on the 对账单; a bill 20
        days overdue (short); our purchase order received as its bill (应付), and an order not yet billed
    海淀区晨光餐饮店 (货到付款): a bill 150 days overdue (long) → collection case
"""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from decimal import Decimal as D

from django.core.files.uploadedfile import SimpleUploadedFile

from ioudesk.core import clock
from ioudesk.core.context import acting_as, actor_for_user

HUAXIN = "北京华信商贸有限公司"
PUJIANG = "上海浦江建材有限公司"
CHENGUANG = "海淀区晨光餐饮店"
NAMES = [HUAXIN, PUJIANG, CHENGUANG]
HUAXIN_ACCOUNT = ("0200001109200088123", "中国工商银行北京朝阳支行")
PUJIANG_ACCOUNT = ("31001518200050012345", "中国建设银行上海浦东分行")
BANK = "100201"  # 银行存款—基本户
AVAILABLE = D("80000.00")  # what 华信商贸's credit limit leaves available before the bill waiting for 信用审批


def _line(description, quantity, price, rate="13", kind="goods", unit="台", spec=""):
    return {"description": description, "quantity": str(quantity), "unit_price": str(price), "tax_rate": str(rate),
            "kind": kind, "unit": unit, "spec": spec}


def _service(description, price, unit="项"):
    return _line(description, 1, price, rate="6", kind="service", unit=unit)


class Desk:
    """The demo staff, counterparties and payment terms, and small steps that each call one service
    at a date as one of the staff."""

    def __init__(self):
        from ioudesk.core.models import Branch, User
        from ioudesk.customers.models import Customer
        from ioudesk.receivables.models import PaymentTerms

        self.today = clock.today()
        self.users = {u.username: u for u in User.objects.filter(
            username__in=["zhangwei", "wangfang", "lina", "chenjing", "yangli", "liuyang", "wugang"])}
        self.branches = {b.code: b for b in Branch.objects.all()}
        self.customers = {c.name: c for c in Customer.objects.filter(name__in=NAMES)}
        self.terms = {t.name: t for t in PaymentTerms.objects.all()}

    def ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    @contextlib.contextmanager
    def at(self, day: date, username: str):
        with clock.frozen(day), acting_as(actor_for_user(self.users[username])):
            yield self.users[username]

    def bill(self, customer: str, day: date, lines, *, maker: str, submit=True, terms=None, **extra):
        """A bill entered on ``day`` by ``maker``; submitted and signed off the same day (the seeded
        单据审核 flow, or 信用审批 when the credit check asks for it) unless ``submit`` is False."""
        from ioudesk.receivables.bills import bill_create

        with self.at(day, maker) as user:
            bill = bill_create(customer=self.customers[customer], bill_date=day, lines=lines, user=user,
                               payment_terms=self.terms.get(terms) if terms else None,
                               manager=self.customers[customer].owner, **extra)
        if submit:
            self.submit(bill, day, maker)
        bill.refresh_from_db()
        return bill

    def submit(self, bill, day: date, maker: str, *, decide=True):
        from ioudesk.ious.demo import approve_request
        from ioudesk.receivables.bills import bill_submit

        with self.at(day, maker) as user:
            outcome = bill_submit(bill=bill, user=user, comment="送货单已签收")
        if outcome.request is not None and decide:
            approve_request(outcome.request, day=day, comment="单据与送货单、合同一致，同意")
        bill.refresh_from_db()
        return outcome

    def receipt(self, day: date, amount, *, payer: str, memo: str = ""):
        from ioudesk.receivables.receipts import receipt_create

        with self.at(day, "chenjing") as user:
            return receipt_create(direction="receivable", channel="bank", account_code=BANK, day=day,
                                  amount=D(amount), payer_name=payer, memo=memo, branch=self.branches["HQ"], user=user)

    def profile(self, name: str, *, limit=None, terms: str, supplier=False, notes=""):
        from ioudesk.receivables.credit import counterparty_profile_save
        from ioudesk.receivables.models import CounterpartyProfile

        customer = self.customers[name]
        profile = CounterpartyProfile.objects.filter(customer=customer).first() or CounterpartyProfile(customer=customer)
        profile.credit_limit, profile.payment_terms = limit, self.terms.get(terms)
        profile.is_customer, profile.is_supplier, profile.notes = True, supplier, notes
        with self.at(self.today, "chenjing") as user:
            return counterparty_profile_save(profile=profile, user=user)


def load() -> list[str]:
    from ioudesk.receivables.bills import terms_defaults_ensure
    from ioudesk.receivables.models import Bill

    if Bill.objects.filter(customer__name__in=NAMES).exists():
        return [f"往来单据 {Bill.objects.count()} 张（示范往来已存在，未重复创建）"]
    terms_defaults_ensure()
    desk = Desk()
    if len(desk.users) < 7 or "HQ" not in desk.branches or len(desk.customers) < len(NAMES):
        return ["往来账款：缺少示范客户、员工或网点，未创建示范往来"]
    return _book(desk)


def _important(desk: Desk) -> None:
    """北京华信商贸 becomes an important customer (重要客户), by its account manager."""
    from ioudesk.customers.services import customer_update

    customer = desk.customers[HUAXIN]
    if customer.category != "important":
        customer.category = "important"
        with desk.at(desk.today, "zhangwei") as user:
            desk.customers[HUAXIN] = customer_update(customer=customer, user=user, reason="年度采购额超过 100 万元，列为重要客户")


def _book(desk: Desk) -> list[str]:
    from ioudesk.receivables.bankfiles.samples import Line, statement_file, statement_filename
    from ioudesk.receivables.bankimport import statement_import
    from ioudesk.receivables.bills import bill_adjust, credit_note_create
    from ioudesk.receivables.cases import bill_cases_step
    from ioudesk.receivables.credit import credit_check
    from ioudesk.receivables.matching import match_manual
    from ioudesk.receivables.models import Bill, Receipt, ReceiptStatus
    from ioudesk.receivables.payables import purchase_order_create, purchase_order_receive
    from ioudesk.receivables.statements import DisputeItem, statement_issue, statement_reply

    ago = desk.ago
    _important(desk)
    desk.profile(HUAXIN, terms="月结30天", notes="重要客户：年度框架合同 2026-01 号；借据与货款合并计算额度")
    desk.profile(PUJIANG, limit=D("300000"), terms="次月底付款", supplier=True,
                 notes="既是客户（设备维保、改造服务）也是供应商（防火板材、水泥）")
    desk.profile(CHENGUANG, limit=D("80000"), terms="货到付款", notes="小客户，货到付款")

    # --- 北京华信商贸 (重要客户, 月结30天) ------------------------------------------------------------
    paid = desk.bill(HUAXIN, ago(95), [_line("三相异步电动机 Y2-132M-4", 20, "1850.00", spec="7.5kW"),
                                       _service("电机安装调试", "3000.00", unit="次")],
                     maker="zhangwei", vat_invoice_number="11002026", external_ref="HT20260108")
    desk.receipt(ago(40), paid.total, payer=HUAXIN, memo=f"支付{paid.number}货款")  # 摘要单号: matched at once
    partly = desk.bill(HUAXIN, ago(62), [_line("变频器 ACS580-01", 8, "6200.00", spec="15kW")], maker="zhangwei",
                       vat_invoice_number="11002107", external_ref="HT20260109")
    with_credit = desk.bill(HUAXIN, ago(33), [_line("减速机 RV63", 30, "980.00"),
                                              _line("联轴器 GICL3", 30, "260.00", unit="套")], maker="zhangwei",
                            vat_invoice_number="11002188", external_ref="HT20260110")
    with desk.at(ago(20), "chenjing") as user:
        credit_note_create(original=with_credit, lines=[_line("减速机 RV63（退货）", 2, "980.00")],
                           reason="两台减速机外壳磕碰，客户退货", user=user, vat_invoice_number="11002231")
    with desk.at(ago(18), "chenjing") as user:
        freight = bill_adjust(bill=with_credit, amount=D("800.00"), reason="补收加急运费（客户同意承担）", user=user)
    bearings = desk.bill(HUAXIN, ago(20), [_line("深沟球轴承 6205-2RS", 500, "12.50", unit="只")], maker="zhangwei",
                         vat_invoice_number="11002254")
    by_statement = desk.bill(HUAXIN, ago(12), [_line("交流接触器 CJX2-6511", 120, "185.00", unit="只")],
                             maker="zhangwei", vat_invoice_number="11002290", external_ref="HT20260111")
    desk.bill(HUAXIN, ago(5), [_line("电缆桥架 200×100", 60, "135.00", unit="米")], maker="zhangwei",
              vat_invoice_number="11002311", external_ref="HT20260112")  # open, not yet due
    desk.bill(HUAXIN, desk.today, [_line("伺服电机 SGM7G-13A", 4, "7600.00"), _line("伺服驱动器 SGD7S-120A", 4, "5200.00")],
              maker="zhangwei", submit=False, memo="待客户确认型号后提交")
    part = desk.receipt(ago(25), "20000.00", payer="北京华信商贸有限公司财务部", memo="预付部分货款")
    if part.status != ReceiptStatus.MATCHED:  # a payer name the rules do not know: matched by hand
        with desk.at(ago(24), "chenjing") as user:
            match_manual(receipt=part, targets=[(partly.dues.order_by("seq").first(), D("20000.00"))], user=user)

    # --- 上海浦江建材 (客户兼供应商, 次月底付款) ------------------------------------------------------
    service_1 = desk.bill(PUJIANG, ago(70), [_service("搅拌站设备年度维保（第三季度）", "36000.00", unit="季")],
                          kind="service", maker="lina", vat_invoice_number="31005512")
    desk.receipt(ago(32), service_1.total, payer=PUJIANG, memo="三季度维保费")  # payer and amount: matched
    service_2 = desk.bill(PUJIANG, ago(40), [_service("输送线改造工程服务", "52000.00"), _line("更换托辊", 40, "120.00", unit="根")],
                          kind="service", maker="lina", vat_invoice_number="31005630")
    desk.bill(PUJIANG, ago(50), [_line("输送带电机 YE3-90L-4", 6, "1450.00")], terms="票到30天", maker="lina",
              vat_invoice_number="31005588")  # 20 days overdue
    service_3 = desk.bill(PUJIANG, ago(28), [_service("设备巡检服务（11月）", "8000.00", unit="次")], kind="service",
                          maker="lina", vat_invoice_number="31005671")
    spares = desk.bill(PUJIANG, ago(15), [_line("电机碳刷 J204", 200, "18.00", unit="副")], maker="lina",
                       vat_invoice_number="31005702")
    with desk.at(ago(35), "yangli") as user:
        order = purchase_order_create(supplier=desk.customers[PUJIANG], order_date=ago(35), user=user,
                                      lines=[_line("A级防火板 1220×2440×12", 300, "86.00", unit="张"),
                                             _line("P.O 42.5 水泥", 20, "460.00", unit="吨")],
                                      external_ref="CG2026031", memo="仓库改造材料")
    with desk.at(ago(30), "yangli") as user:
        supplier_bill = purchase_order_receive(order=order, vat_invoice_number="33100875", user=user,
                                               vat_invoice_date=ago(30), bill_date=ago(30), submit=False)
    desk.submit(supplier_bill, ago(30), "yangli")
    with desk.at(ago(3), "yangli") as user:
        purchase_order_create(supplier=desk.customers[PUJIANG], order_date=ago(3), user=user,
                              lines=[_line("岩棉保温板 1200×600×50", 150, "38.00", unit="张")], external_ref="CG2026036",
                              memo="仓库改造材料（第二批，未到票）")

    # --- 海淀区晨光餐饮店 (货到付款): 150 days overdue -------------------------------------------------
    desk.bill(CHENGUANG, ago(150), [_line("商用冷柜 SC1200", 2, "5600.00"), _line("制冰机 ZB80", 1, "4200.00")],
              maker="wangfang", delivery_date=ago(150), vat_invoice_number="11000873")

    desk.receipt(ago(9), "3500.00", payer="周永康", memo="转账")  # nobody's: waits in 待核销

    # --- the bank statement of the last days (ICBC's layout, made by the statement generator) -----------
    with_credit.refresh_from_db()
    freight.refresh_from_db()
    lines = [
        Line(day=ago(6), amount=by_statement.total, name=HUAXIN, account=HUAXIN_ACCOUNT[0], bank=HUAXIN_ACCOUNT[1],
             memo=f"货款 {by_statement.number}"),
        Line(day=ago(5), amount=with_credit.open_amount, name=HUAXIN, account=HUAXIN_ACCOUNT[0],
             bank=HUAXIN_ACCOUNT[1], memo=f"付{with_credit.number.replace('-', '')}余款"),
        Line(day=ago(5), amount=freight.open_amount, name=HUAXIN, account=HUAXIN_ACCOUNT[0], bank=HUAXIN_ACCOUNT[1],
             memo="运费"),
        Line(day=ago(4), amount=bearings.total, name=HUAXIN, account=HUAXIN_ACCOUNT[0], bank=HUAXIN_ACCOUNT[1],
             memo=f"{bearings.number} 轴承款"),
        Line(day=ago(4), amount=service_3.total, name=PUJIANG, account=PUJIANG_ACCOUNT[0], bank=PUJIANG_ACCOUNT[1],
             memo="11月巡检费"),
        Line(day=ago(3), amount=spares.total, name=PUJIANG, account=PUJIANG_ACCOUNT[0], bank=PUJIANG_ACCOUNT[1],
             memo=f"碳刷款{spares.number}"),
        Line(day=ago(3), amount=D("5000.00"), name=PUJIANG, account=PUJIANG_ACCOUNT[0], bank=PUJIANG_ACCOUNT[1],
             memo="部分货款"),
        Line(day=ago(2), amount=D("8888.00"), name="北京鑫源达商贸有限公司", account="1100105201800056789",
             bank="中国建设银行北京分行", memo="往来款"),
        Line(day=ago(2), amount=D("35.00"), direction="out", memo="跨行汇款手续费"),
    ]
    data = statement_file("icbc", lines, account_name="华信小额信贷服务有限公司")
    with desk.at(ago(1), "chenjing") as user:
        statement = statement_import(upload=SimpleUploadedFile(statement_filename("icbc", lines=lines), data,
                                                               content_type="text/csv"),
                                     account_code=BANK, branch=desk.branches["HQ"], user=user)

    # --- 对账单 of 上海浦江建材 since the start of the month of its first bill, answered with a dispute ----
    period_from = ago(70).replace(day=1)
    with desk.at(ago(1), "yangli") as user:
        account_statement = statement_issue(customer=desk.customers[PUJIANG], period_from=period_from,
                                            period_to=ago(1), user=user)
    with desk.at(desk.today, "yangli") as user:
        statement_reply(statement=account_statement, agreed=False, user=user, note="客户财务部回函（盖章件已存档）",
                        disputes=[DisputeItem(bill=service_2, amount=D("1356.00"),  # 10 × ¥120.00 × 1.13
                                              reason="更换托辊：单据为40根，客户称实际更换30根，差10根 ¥1,356.00（含税）")])

    # --- 华信商贸's credit limit, then a bill that passes it: waiting for 信用审批 --------------------------
    exposure = credit_check(desk.customers[HUAXIN], D("0")).exposure
    desk.profile(HUAXIN, limit=exposure + AVAILABLE, terms="月结30天",
                 notes="重要客户：年度框架合同 2026-01 号；借据与货款合并计算额度")
    pending = desk.bill(HUAXIN, ago(1), [_line("仓储货架 重型 2000×600×2500", 100, "1380.00", unit="组")],
                        maker="zhangwei", submit=False, external_ref="HT20260113")
    desk.submit(pending, ago(1), "zhangwei", decide=False)

    # --- yesterday's close step: the overdue bills become collection cases -------------------------------
    counts = bill_cases_step(day=ago(1))

    bills = Bill.objects.filter(customer__name__in=NAMES)
    states: dict[str, int] = {}
    for bill in bills:
        states[bill.get_status_display()] = states.get(bill.get_status_display(), 0) + 1
    waiting = Receipt.objects.filter(status__in=[ReceiptStatus.UNMATCHED, ReceiptStatus.PARTIAL]).count()
    statement.refresh_from_db()
    return [
        f"往来单据 {bills.count()} 张（" + "、".join(f"{k} {v}" for k, v in states.items()) + "），往来单位 "
        f"{len(NAMES)} 家已设置信用额度与付款条件",
        f"  银行流水 {statement.number}：{statement.lines_total} 笔，自动核销 {statement.lines_matched} 笔；"
        f"待核销收付款 {waiting} 笔",
        f"  对账单 {account_statement.number}（{PUJIANG}，客户回函有异议）；单据转催收 {counts.get('cases_opened', 0)} 件；"
        f"{pending.number} 超信用额度，待刘洋信用审批",
    ]
