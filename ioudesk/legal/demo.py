"""Demo legal data for `make demo`: two old 欠条 for goods whose limitation period ends in 19 days
and ended 40 days ago (so 时效预警 has something to show), a legal case in preparation for the
first, and one customer on the internal defaulter list with its evidence. Idempotent."""

from __future__ import annotations

import io
from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from ioudesk.calc.dates import add_years
from ioudesk.core import clock
from ioudesk.core.context import acting_as, actor_for_user
from ioudesk.core.models import User
from ioudesk.customers.models import Customer
from ioudesk.ious.demo import sign_off
from ioudesk.ious.models import Iou
from ioudesk.ious.services import iou_create
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.legal.models import Defaulter, LegalCase
from ioudesk.legal.services import defaulter_list, legal_case_create

MARK = "演示：陈年货款"
DEBTOR, LISTED = "北京华信商贸有限公司", "赵磊"


def _pdf(text: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from ioudesk.documents.pdf import font_name

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setFont(font_name(), 14)
    page.drawString(72, 760, text)
    page.save()
    return buffer.getvalue()


def _old_debt(customer, users, today: date, expires_on: date, principal: str) -> Iou:
    due = add_years(expires_on, -3)
    contract = due - timedelta(days=90)
    with clock.frozen(today), acting_as(actor_for_user(users["zhangwei"])):
        iou, _ = iou_create(user=users["zhangwei"], kind="debt", customer=customer, debt_reason="goods",
                            reason=f"{MARK}（{contract.year}年{contract.month}月钢材）", principal=principal,
                            rate_text="0%", contract_date=contract, due_date=due, confirm_checks=True)
    # submitted and approved (through the 借据审批 flow when one applies)
    sign_off(iou, maker=users["zhangwei"], approver=users["liuyang"], day=today, comment="补录陈年欠条，同意")
    with clock.frozen(today), acting_as(actor_for_user(users["chenjing"])):
        iou_disburse(iou=iou, user=users["chenjing"], idempotency_key=f"demo-old-debt-{iou.pk}")
    iou.refresh_from_db()
    return iou


def load() -> list[str]:
    if Iou.objects.filter(reason__startswith=MARK).exists():
        return ["法律：示范数据已存在，未重复创建"]
    users = {u.username: u for u in User.objects.filter(username__in=["zhangwei", "liuyang", "chenjing", "admin"])}
    customers = {c.name: c for c in Customer.objects.filter(name__in=[DEBTOR, LISTED])}
    if DEBTOR not in customers or not {"zhangwei", "liuyang", "chenjing"} <= set(users):
        return ["法律：缺少示范客户或员工，未创建示范数据"]
    today = clock.today()
    near = _old_debt(customers[DEBTOR], users, today, today + timedelta(days=19), "46800")
    _old_debt(customers[DEBTOR], users, today, today - timedelta(days=40), "12500")
    lines = [f"法律：补录陈年欠条 2 笔（诉讼时效 {near.limitation_expires_on.isoformat()} 届满、已届满 40 天）"]
    manager = users.get("admin") or User.objects.filter(is_superuser=True).order_by("pk").first()
    if manager is not None:
        with clock.frozen(today), acting_as(actor_for_user(manager)):
            legal_case = legal_case_create(by=manager, iou=near, lawyer="李明", law_firm="北京京信律师事务所",
                                           notes="诉讼时效即将届满，准备起诉。")
            lines.append(f"法律诉讼 1 件（{legal_case.number}，准备中）")
            if LISTED in customers and not Defaulter.objects.exists():
                defaulter_list(by=manager, customer=customers[LISTED], name="", reason="多次承诺还款未履行，恶意拖欠",
                               evidence=SimpleUploadedFile("内部黑名单决定.pdf", _pdf("内部黑名单决定（示范）"),
                                                           content_type="application/pdf"))
                lines.append("失信/黑名单 1 人（本机构黑名单）")
    lines.append(f"法律诉讼共 {LegalCase.objects.count()} 件")
    return lines
