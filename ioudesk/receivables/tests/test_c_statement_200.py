"""The done-when test of the bank statement import (docs/domain.md §26): 200 statement lines in
eight real layouts (工商银行 .csv GBK, 建设银行 .xlsx, 农业银行 .xlsx, 中国银行 .csv, 招商银行 .xlsx,
交通银行 .xlsx, 支付宝 .csv GBK, 微信支付 .csv UTF-8 BOM) against a book of 182 bills made and posted
through the bill services (bill_create/bill_post) and two IOUs, each line's outcome written down
before the import: which bill or IOU it pays and by which rule, which are only suggested, which
are left for a person. Imported end to end, then imported again: the second time nothing changes.

The book (every bill one line of goods at 13 % VAT, no payment terms: one open item due on the bill
date; the unit prices differ so that no two bills of a customer have the same total):

- 8 "memo" customers × 10 bills: 80 lines each name one bill's number in the memo (with the dash,
  or without it as payers often type it), paid in full, often by someone else (代付) → memo_number;
- 9 "exact" customers × 8 bills: 72 lines from the customer's own account name, each the total of
  one bill → payer_exact;
- 4 "oldest" customers × 6 bills: 12 lines, each the sum of that customer's two oldest still open
  bills → payer_oldest (the two bills paid, oldest first);
- 1 "short" customer × 6 bills: 6 lines ¥3.00 short of a bill (tolerance ¥10.00) → a suggestion,
  the receipt left unmatched;
- 2 IOUs (¥10,000 at 12 %, 12 equal monthly installments of ¥888.49, the first due 2026-11-28):
  王建国 quotes his IOU number and pays installment 1 → memo_number; 李娜 pays ¥1,776.98 by name,
  her installments 1 and 2 (both ¥888.49, so neither alone is "exactly one item") → payer_oldest;
- 4 lines from known customers with amounts that fit nothing, 14 from payers nobody knows, 10 money
  out (fees, a supplier) → left unmatched.

166 of 200 lines are matched automatically: 83.0 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ioudesk.core import clock
from ioudesk.customers.models import Customer
from ioudesk.customers.services import customer_create
from ioudesk.ious.models import Iou
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.ledger.chart import AccountCode
from ioudesk.receivables import bankimport
from ioudesk.receivables.bills import bill_create, bill_post
from ioudesk.receivables.matching import rules_ensure
from ioudesk.receivables.models import (
    Allocation,
    Bill,
    BillStatus,
    MatchSuggestion,
    Receipt,
    ReceiptStatus,
    ReceivablesSettings,
    StatementLine,
)
from ioudesk.receivables.tests.bankfiles import Line, statement_file, statement_filename

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 28)
LAYOUT_FILES = [("icbc", "csv", "gbk"), ("ccb", "xlsx", None), ("abc", "xlsx", None), ("boc", "csv", "gbk"),
                ("cmb", "xlsx", None), ("bocom", "xlsx", None), ("alipay", "csv", "gbk"), ("wechat", "csv", "utf-8-sig")]

MEMO = ["杭州启明电子有限公司", "宁波海曙恒信五金厂", "绍兴柯桥锦绣纺织有限公司", "温州瓯海精工机械有限公司",
        "嘉兴南湖伟业包装材料有限公司", "湖州吴兴绿源建材有限公司", "金华婺城鸿运物流有限公司", "台州黄岩东方塑业有限公司"]
EXACT = ["上海浦东宏达贸易有限公司", "苏州工业园区新锐科技有限公司", "南京江宁永盛机电有限公司", "无锡新吴华通电子有限公司",
         "常州武进金鼎五金制品有限公司", "合肥蜀山恒泰建材有限公司", "福州鼓楼闽兴食品有限公司", "厦门思明海联贸易有限公司",
         "南昌青山湖赣鑫化工有限公司"]
OLDEST = ["义乌小商品城佳和日用品商行", "慈溪市周巷镇利达电器厂", "余姚市阳明街道盛达模具厂", "瑞安市塘下镇永固汽配厂"]
SHORT = "平湖市当湖街道美嘉箱包有限公司"
STRANGERS = ["个体户陈小明", "深圳市南山区某某科技有限公司", "广州天河百利贸易商行", "成都高新区蜀汉网络科技有限公司",
             "武汉光谷星辰电子有限公司", "西安雁塔秦川机械有限公司", "长沙岳麓湘江物流有限公司", "郑州金水中原食品商行",
             "青岛市南海湾贸易有限公司", "大连中山辽海水产有限公司", "沈阳和平北方机电有限公司", "天津滨海新区津港物流有限公司",
             "重庆渝中山城火锅店", "昆明五华春城花卉商行"]


@dataclass
class Expect:
    """What a line is expected to come to: ``rule`` (an Allocation.method) with the bills (or the
    IOU) it pays, or ``suggest`` (a suggestion on ``bills[0]``, the receipt unmatched), or None
    (left for a person)."""

    rule: str | None
    bills: tuple = ()  # bill keys ("M3-7": memo customer 3's bill 7)
    iou: str = ""  # "wang" / "li"


def _company(name, branch, user):
    return customer_create(customer=Customer(kind="company", branch=branch, name=name), user=user)


def _bill(customer, user, *, day, price: D) -> Bill:
    bill = bill_create(customer=customer, user=user, bill_date=day, lines=[{
        "description": "不锈钢板材", "quantity": "1", "unit_price": str(price), "tax_rate": "13", "kind": "goods",
        "unit": "批"}])
    return bill_post(bill=bill, user=user)


def _iou(customer, *, manager, approver, finance) -> Iou:
    with clock.frozen(date(2026, 10, 28)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=customer, principal=D("10000"), term=12, rate_text="12%",
                                    method="equal_installment", contract_date=date(2026, 10, 28)), user=manager)
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    return iou


@pytest.fixture
def book(organisation, head_office, finance, manager, approver):
    rules_ensure()
    settings, _ = ReceivablesSettings.objects.get_or_create(organisation=organisation)
    ReceivablesSettings.objects.filter(pk=settings.pk).update(match_tolerance=1000)  # ¥10.00 in fen
    bills: dict[str, Bill] = {}
    customers: dict[str, Customer] = {}
    with clock.frozen(date(2026, 10, 28)):
        wang = customer_create(customer=Customer(kind="individual", branch=head_office, name="王建国",
                                                 id_number="11010519491231002X", phone="13901012345"), user=manager)
        li = customer_create(customer=Customer(kind="individual", branch=head_office, name="李娜",
                                               id_number="110105198001010016", phone="13901012346"), user=manager)
    ious = {"wang": _iou(wang, manager=manager, approver=approver, finance=finance),
            "li": _iou(li, manager=manager, approver=approver, finance=finance)}
    with clock.frozen(DAY):
        groups = [("M", MEMO, 10), ("E", EXACT, 8), ("O", OLDEST, 6), ("S", [SHORT], 6)]
        for prefix, names, count in groups:
            for c, name in enumerate(names):
                customer = _company(name, head_office, manager)
                customers[f"{prefix}{c}"] = customer
                for b in range(count):
                    # distinct unit prices: ¥1,000.00 + 137.25 per bill + 11.11 per customer
                    price = D("1000.00") + D("137.25") * b + D("11.11") * c + (D("3000") if prefix == "S" else 0)
                    bills[f"{prefix}{c}-{b}"] = _bill(customer, finance, day=date(2026, 10, 1) + timedelta(days=b * 3),
                                                      price=price)
    return {"bills": bills, "customers": customers, "ious": ious, "user": finance, "branch": head_office}


def build_lines(book) -> list[tuple[Line, Expect]]:
    """The 200 lines and what each must come to, in the order they go into the files."""
    bills, ious = book["bills"], book["ious"]
    out: list[tuple[Line, Expect]] = []
    n = 0

    def day():
        return date(2026, 11, 2) + timedelta(days=(n * 25 // 200))

    # 80 lines quoting a bill number
    for c in range(len(MEMO)):
        for b in range(10):
            bill = bills[f"M{c}-{b}"]
            number = bill.number if b % 2 == 0 else bill.number.replace("-", "")
            payer = MEMO[c] if b % 3 else f"{MEMO[c][:4]}代付{b}号"
            memo = f"货款 {number}" if b % 4 else f"付{number}款"
            out.append((Line(day=day(), amount=bill.total, name=payer, account=f"6222{c:02d}{b:02d}000011",
                             memo=memo), Expect("memo_number", (f"M{c}-{b}",))))
            n += 1
    # 72 lines from the customer's own account, one bill's total each
    for c in range(len(EXACT)):
        for b in range(8):
            bill = bills[f"E{c}-{b}"]
            out.append((Line(day=day(), amount=bill.total, name=EXACT[c], account=f"3100{c:02d}00000{b}",
                             memo="货款" if b % 2 else "11月货款"), Expect("payer_exact", (f"E{c}-{b}",))))
            n += 1
    # 12 lines paying a customer's two oldest open bills together
    for c in range(len(OLDEST)):
        for pair in range(3):
            first, second = bills[f"O{c}-{2 * pair}"], bills[f"O{c}-{2 * pair + 1}"]
            out.append((Line(day=day(), amount=first.total + second.total, name=OLDEST[c], memo="结算货款"),
                        Expect("payer_oldest", (f"O{c}-{2 * pair}", f"O{c}-{2 * pair + 1}"))))
            n += 1
    # 6 lines ¥3.00 short: suggestions only
    for b in range(6):
        out.append((Line(day=day(), amount=book["bills"][f"S0-{b}"].total - D("3.00"), name=SHORT, memo="货款（扣手续费）"),
                    Expect("suggest", (f"S0-{b}",))))
        n += 1
    # the IOUs: by number, by name
    out.append((Line(day=day(), amount=D("888.49"), name="王建国", memo=f"还款 {ious['wang'].number}"),
                Expect("memo_number", iou="wang")))
    n += 1
    out.append((Line(day=day(), amount=D("1776.98"), name="李娜", memo="第1、2期还款"),
                Expect("payer_oldest", iou="li")))
    n += 1
    # known customers, amounts that fit nothing
    for c in range(4):
        out.append((Line(day=day(), amount=D("1.23") + c, name=EXACT[c], memo="多付款"), Expect(None)))
        n += 1
    # payers nobody knows
    for s, name in enumerate(STRANGERS):
        out.append((Line(day=day(), amount=D("500.00") + D("77.77") * s, name=name, memo="往来款"), Expect(None)))
        n += 1
    # money out
    for f in range(10):
        if f % 3:
            line = Line(day=day(), amount=D("25.00") + f, direction="out", memo="手续费")
        else:
            line = Line(day=day(), amount=D("20000.00") + f * 100, direction="out", name="浙江中通供应链管理有限公司",
                        account="33050161672700999888", memo="采购款")
        out.append((line, Expect(None)))
        n += 1
    assert len(out) == 200
    return out


def files_for(lines: list[tuple[Line, Expect]]) -> list[tuple[str, bytes, list[tuple[Line, Expect]]]]:
    """The lines dealt out over the eight layouts: 25 lines a file, a customer's lines kept in one
    file's order (the oldest-first pairs rely on it: they are matched in the order they come)."""
    files = []
    for index, (layout, fmt, encoding) in enumerate(LAYOUT_FILES):
        chunk = lines[index * 25:(index + 1) * 25]
        data = statement_file(layout, [line for line, _e in chunk], fmt=fmt, encoding=encoding)
        files.append((statement_filename(layout, fmt, [line for line, _e in chunk]), data, chunk))
    return files


def import_all(book, files):
    statements = []
    with clock.frozen(DAY):
        for name, data, _chunk in files:
            statements.append(bankimport.statement_import(
                upload=SimpleUploadedFile(name, data), account_code=AccountCode.BANK_BASIC, branch=book["branch"],
                user=book["user"]))
    for statement in statements:
        statement.refresh_from_db()
    return statements


def test_200_lines_in_eight_layouts_matched_as_written(book):
    lines = build_lines(book)
    files = files_for(lines)
    statements = import_all(book, files)
    assert [s.bank for s in statements] == ["icbc", "ccb", "abc", "boc", "cmb", "bocom", "alipay", "wechat"]
    assert [s.lines_new for s in statements] == [25] * 8 and sum(s.lines_duplicate for s in statements) == 0

    by_bill_id = {bill.pk: key for key, bill in book["bills"].items()}
    iou_key = {iou.pk: key for key, iou in book["ious"].items()}
    outcomes = []
    for statement, (_name, _data, chunk) in zip(statements, files, strict=True):
        receipts = list(Receipt.objects.filter(statement_line__statement=statement)
                        .order_by("statement_line__row_number").select_related("statement_line"))
        assert len(receipts) == 25
        for receipt, (line, expect) in zip(receipts, chunk, strict=True):
            assert receipt.amount == line.amount and receipt.direction == ("payable" if line.direction == "out"
                                                                            else "receivable")
            allocations = list(Allocation.objects.filter(receipt=receipt, undone=False).select_related("due").order_by("id"))
            label = (f"{statement.bank} row {receipt.statement_line.row_number} {line.name} {line.amount} {line.memo} "
                     f"customer={receipt.customer_id} {list(MatchSuggestion.objects.filter(receipt=receipt).values())}")
            if expect.rule in ("memo_number", "payer_exact", "payer_oldest"):
                assert receipt.status == ReceiptStatus.MATCHED, label
                assert {a.method for a in allocations} == {expect.rule}, label
                if expect.iou:
                    assert {iou_key[a.iou_id] for a in allocations} == {expect.iou}, label
                    assert sum(a.amount for a in allocations) == line.amount
                else:
                    assert [by_bill_id[a.due.bill_id] for a in allocations] == list(expect.bills), label
                    assert sum(a.amount for a in allocations) == line.amount
            elif expect.rule == "suggest":
                assert receipt.status == ReceiptStatus.UNMATCHED and not allocations, label
                suggestion = MatchSuggestion.objects.get(receipt=receipt)
                assert by_bill_id[suggestion.due.bill_id] == expect.bills[0], label
            else:
                assert receipt.status == ReceiptStatus.UNMATCHED and not allocations, label
                assert not MatchSuggestion.objects.filter(receipt=receipt).exists(), label
            outcomes.append(receipt.status == ReceiptStatus.MATCHED)

    # the counts on the batches and the share matched automatically
    matched = sum(s.lines_matched for s in statements)
    assert matched == sum(outcomes) == 166
    assert matched * 100 / 200 >= 80
    assert [s.lines_matched for s in statements] == [25, 25, 25, 25, 25, 25, 16, 0]
    # bills paid in full are closed; the short customer's bills and the IOUs' later installments stay open
    for key, bill in book["bills"].items():
        bill.refresh_from_db()
        assert bill.status == (BillStatus.OPEN if key.startswith("S") else BillStatus.PAID), key
        assert bill.open_amount == (bill.total if key.startswith("S") else 0), key

    # imported again: nothing new, nothing changed
    receipts_before = Receipt.objects.count()
    allocations_before = Allocation.objects.count()
    again = import_all(book, files)
    assert [(s.lines_total, s.lines_new, s.lines_duplicate, s.lines_matched) for s in again] == [(25, 0, 25, 0)] * 8
    assert Receipt.objects.count() == receipts_before == 200
    assert Allocation.objects.count() == allocations_before
    assert StatementLine.objects.count() == 200

    from ioudesk.ledger.verify import verify

    report = verify()
    assert report.ok, report.differences
