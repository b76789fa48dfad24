"""Demo applications (make demo): two from the public page waiting for their materials (one with a
material returned), one in review at its first step (over ¥200,000: a second, committee step
follows), one approved with its IOU ready to disburse, one counter-offered and one rejected."""

from __future__ import annotations

import io
from contextlib import contextmanager

from django.core.files.uploadedfile import SimpleUploadedFile

from ioudesk.applications import services
from ioudesk.applications.models import Application, ApplicationProduct, Channel, MaterialRequirement
from ioudesk.calc.idcheck import check_character
from ioudesk.core.context import acting_as, actor_for_user
from ioudesk.core.models import Branch, User


def _id(birth: str, sequence: str) -> str:
    first17 = "110105" + birth + sequence
    return first17 + check_character(first17)


def _png(text: str) -> SimpleUploadedFile:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 200), "#f3e8ff")
    ImageDraw.Draw(image).text((20, 90), text, fill="#581c87")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return SimpleUploadedFile("id-card.png", buffer.getvalue(), content_type="image/png")


def _pdf(name: str) -> SimpleUploadedFile:
    body = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")
    return SimpleUploadedFile(name, body, content_type="application/pdf")


@contextmanager
def _as(user):
    with acting_as(actor_for_user(user)):
        yield


def _decide(application: Application, decision: str, comment: str, offer=None) -> None:
    from ioudesk.approvals.models import ApprovalTask, TaskState
    from ioudesk.approvals.services import request_decide

    application.refresh_from_db()
    task = ApprovalTask.objects.filter(request=application.approval_request, state=TaskState.PENDING).select_related(
        "assignee").first()
    if task is None:
        return
    with _as(task.assignee):
        request_decide(request=application.approval_request, user=task.assignee, decision=decision, comment=comment,
                       offer=offer)


def load() -> list[str]:
    from ioudesk.products.models import Product

    if Application.objects.filter(applicant_name__in=["孙悦", "马超"]).exists():
        return [f"贷款申请 {Application.objects.count()} 笔（示范申请已存在，未重复创建）"]
    users = {u.username: u for u in User.objects.filter(username__in=["zhangwei", "wangfang", "liuyang", "wugang"])}
    products = {p.code: p for p in Product.objects.filter(code__in=["XFD", "JYD", "DQZZ"])}
    branch = Branch.objects.filter(code="BJ01").first()
    if len(users) < 3 or len(products) < 3 or branch is None:
        return ["贷款申请：缺少示范产品、员工或网点，未创建示范申请"]
    services.application_defaults_ensure()
    for code, intro in (("XFD", "个人消费，最快当天审批"), ("DQZZ", "短期资金周转"), ("JYD", "小微经营周转")):
        ApplicationProduct.objects.get_or_create(product=products[code], defaults={"online": True, "intro": intro})
    MaterialRequirement.objects.get_or_create(
        product=products["JYD"], code="license",
        defaults={"name": "营业执照", "description": "营业执照正本或副本", "allowed_kinds": "jpeg,png,pdf",
                  "max_size_mb": 10, "order": 40})
    id_card = MaterialRequirement.objects.get(product__isnull=True, code="id_card")
    income = MaterialRequirement.objects.get(product__isnull=True, code="income")
    zhangwei, wangfang = users["zhangwei"], users.get("wangfang", users["zhangwei"])
    base = dict(consent=True, email="")

    def desk(user, **values):
        with _as(user):
            return services.application_create(user=user, channel=Channel.DESK, **base, **values)

    def portal(**values):
        return services.application_create(channel=Channel.PORTAL, branch=branch, client_ip="203.0.113.20", **base,
                                           **values)

    def upload(application, requirement, upload, user=None):
        with _as(user) if user else _nullcontext():
            return services.material_upload(application=application, requirement=requirement, upload=upload,
                                            user=user, client_ip="203.0.113.20")

    def review(material, user, accept=True, reason=""):
        with _as(user):
            services.material_review(material=material, user=user, accept=accept, reason=reason)

    def complete(application, user, *, extra=()):
        for requirement, file in ((id_card, _png(application.applicant_name)), (income, _pdf("income.pdf")), *extra):
            review(upload(application, requirement, file, user), user)

    def submit(application, user):
        with _as(user):
            services.application_submit(application=application, user=user, comment="材料已齐全，请审批")

    # 1. from the public page: ID card uploaded, waiting for review; income proof still missing
    sunyue = portal(product=products["XFD"], amount="30000", term=12, purpose="购买家电", applicant_name="孙悦",
                    id_number=_id("19920518", "226"), phone="13911112222", monthly_income="9000",
                    employer="北京某连锁超市", monthly_debt="0")
    upload(sunyue, id_card, _png("孙悦"))
    # 2. from the public page: the income proof returned with a reason
    zhouting = portal(product=products["XFD"], amount="80000", term=24, purpose="房屋装修", applicant_name="周婷",
                      id_number=_id("19880902", "128"), phone="13922223333", monthly_income="16000",
                      employer="朝阳区某设计工作室", monthly_debt="1500")
    review(upload(zhouting, id_card, _png("周婷")), zhangwei)
    review(upload(zhouting, income, _pdf("收入证明.pdf")), zhangwei, accept=False, reason="收入证明未加盖单位公章，请补充盖章件")
    # 3. over ¥200,000: in review at 初审 (the 风控委员会 step follows)
    machao = desk(zhangwei, product=products["JYD"], amount="260000", term=12, purpose="门店扩张备货",
                  applicant_name="马超", id_number=_id("19850311", "315"), phone="13933334444",
                  monthly_income="45000", employer="朝阳区马超便利店（个体）", monthly_debt="3000")
    complete(machao, zhangwei, extra=((MaterialRequirement.objects.get(code="license", product=products["JYD"]),
                                       _pdf("营业执照.pdf")),))
    submit(machao, zhangwei)
    # 4. approved: the IOU is approved and ready to disburse
    zhengjie = desk(zhangwei, product=products["XFD"], amount="50000", term=12, purpose="教育培训",
                    applicant_name="郑洁", id_number=_id("19900708", "242"), phone="13944445555",
                    monthly_income="12000", employer="北京某教育科技公司", monthly_debt="0")
    complete(zhengjie, zhangwei)
    submit(zhengjie, zhangwei)
    _decide(zhengjie, "approve", "收入稳定，负债低，同意")
    # 5. counter-offer: ¥80,000 instead of ¥120,000, waiting for the applicant
    helei = desk(wangfang, product=products["XFD"], amount="120000", term=24, purpose="购车",
                 applicant_name="何磊", id_number=_id("19870415", "151"), phone="13955556666",
                 monthly_income="14000", employer="海淀区某物流公司", monthly_debt="4000")
    complete(helei, wangfang)
    submit(helei, wangfang)
    _decide(helei, "counter_offer", "负债偏高，建议降额至 8 万元", offer={"amount": "80000", "term": 24, "rate_text": "12%"})
    # 6. rejected by the approver with the reason
    linfang = desk(zhangwei, product=products["DQZZ"], amount="20000", term=3, purpose="资金周转",
                   applicant_name="林芳", id_number=_id("19950126", "264"), phone="13966667777",
                   monthly_income="6000", employer="", monthly_debt="2500")
    complete(linfang, zhangwei)
    submit(linfang, zhangwei)
    _decide(linfang, "reject", "收入证明与银行流水不符")
    rows = Application.objects.filter(applicant_name__in=["孙悦", "周婷", "马超", "郑洁", "何磊", "林芳"])
    return [f"贷款申请 {rows.count()} 笔：" + "，".join(f"{a.applicant_name}（{a.get_status_display()}）" for a in rows.order_by("pk")),
            "  线上申请页 /apply/（查询进度：申请编号 + 手机号后四位）"]


@contextmanager
def _nullcontext():
    yield
