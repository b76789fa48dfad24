"""Applications: validation with worked examples, the public page's limits, materials returned and
uploaded again, approval creating the IOU, the counter-offer, and the notices."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ioudesk.applications import services
from ioudesk.applications.models import Application, ApplicationMaterial, RateLimitHit, Status
from ioudesk.applications.ratelimit import RateLimited
from ioudesk.core.errors import InvalidState, ValidationFailed
from ioudesk.notify.models import Message

from .conftest import ID_AGE_17, ID_AGE_31, ID_AGE_66, pdf, png


def details(error) -> dict:
    return {d["field"]: d["message"] for d in error.value.extra.get("details", [])}


def test_desk_application_is_numbered_screened_and_tracked(values, manager, business_date):
    application = services.application_create(user=manager, **values)

    assert application.number == "SQ20261128-0001" and application.status == Status.SUBMITTED
    assert application.branch == manager.branch and application.account_manager == manager
    assert application.id_last4 == "1239" and application.phone_last4 == "5678"
    assert application.birth_date.isoformat() == "1990-03-15"
    assert application.amount == Decimal("50000.00") and application.monthly_debt == Decimal("2000.00")
    # screening ran and its result is kept with the scorecard version
    assert application.screening_result["knocked_out"] is False
    assert application.score is not None and application.scorecard_version == 1
    assert application.recommendation  # D's recommendation as JSON
    assert len(application.tracking_token) >= 32
    assert application.events.filter(public=True, verb="提交申请").exists()


def test_under_18_by_the_id_number_is_refused_and_nothing_saved(values, manager, business_date):
    # born 2008-11-29: on 2026-11-28 the applicant is 17 (eighteen tomorrow)
    with pytest.raises(ValidationFailed) as error:
        services.application_create(user=manager, **dict(values, id_number=ID_AGE_17))
    assert details(error)["id_number"] == "按身份证号，申请人今天 17 岁，未满 18 周岁，不能申请。"
    assert not Application.objects.exists()


def test_over_the_products_age_limit(values, manager, business_date):
    # the product's age rule (screening, seeded 18–60); born 1960-01-01: 66 on 2026-11-28
    with pytest.raises(ValidationFailed) as error:
        services.application_create(user=manager, **dict(values, id_number=ID_AGE_66))
    assert details(error)["id_number"] == "按身份证号，申请人今天 66 岁，超过产品“消费贷”的年龄上限 60 岁。"
    assert not Application.objects.exists()


def test_amount_and_term_outside_the_products_range_every_problem_at_once(values, manager, business_date):
    with pytest.raises(ValidationFailed) as error:
        services.application_create(user=manager, **dict(values, amount="600000", term=48, purpose="", consent=False))
    found = details(error)
    assert found["amount"] == "申请金额 ¥600,000.00 超出产品“消费贷”的范围（¥1,000.00 – ¥500,000.00）。"
    assert found["term"] == "期数 48 超出产品“消费贷”的范围（3 – 36 期）。"
    assert set(found) == {"amount", "term", "purpose", "consent"}
    with pytest.raises(ValidationFailed) as error:
        services.application_create(user=manager, **dict(values, amount="12.345", phone="12345"))
    assert set(details(error)) == {"amount", "phone"}
    assert not Application.objects.exists()


def test_twenty_submissions_from_one_ip_in_a_minute(values, business_date, notify_ready):
    phones = [f"139{n:08d}" for n in range(20)]
    accepted, refused = [], []
    for phone in phones:
        try:
            accepted.append(services.portal_apply(client_ip="203.0.113.9", **dict(values, phone=phone)))
        except RateLimited as error:
            refused.append(str(error))
    assert len(accepted) == 5 and len(refused) == 15
    assert refused[0] == "提交过于频繁：同一网络每分钟最多提交 5 次申请，请 1 分钟后再试。"
    assert Application.objects.count() == 5 and all(a.channel == "portal" for a in accepted)
    # another network is not affected; a minute later the first may submit again
    services.portal_apply(client_ip="198.51.100.7", **dict(values, phone="13700000001"))
    RateLimitHit.objects.update(at=timezone.now() - timedelta(seconds=61))
    services.portal_apply(client_ip="203.0.113.9", **dict(values, phone="13700000002"))


def test_three_applications_a_day_per_phone(values, business_date, notify_ready):
    for n in range(3):
        services.portal_apply(client_ip=f"198.51.100.{n}", **values)
    with pytest.raises(RateLimited) as error:
        services.portal_apply(client_ip="198.51.100.9", **values)
    assert "该手机号 24 小时内已提交 3 笔申请" in str(error.value)


def test_honeypot_is_refused_and_counted(values, business_date):
    with pytest.raises(ValidationFailed) as error:
        services.portal_apply(client_ip="203.0.113.5", honeypot="http://spam.example", **values)
    assert error.value.code == "honeypot" and not Application.objects.exists()
    assert RateLimitHit.objects.filter(bucket="apply:ip:203.0.113.5").count() == 1


def test_tracking_lookup_by_number_and_last_four(values, manager, business_date):
    application = services.application_create(user=manager, **values)
    assert services.tracking_lookup(number=application.number.lower(), phone_last4="5678", client_ip="1.2.3.4") == application
    with pytest.raises(ValidationFailed, match="请核对申请编号和手机号后四位"):
        services.tracking_lookup(number=application.number, phone_last4="0000", client_ip="1.2.3.4")


def test_wrong_material_type_and_oversize(values, manager, requirements, business_date):
    id_card, income = requirements
    application = services.application_create(user=manager, **values)
    with pytest.raises(ValidationFailed) as error:
        services.material_upload(application=application, requirement=income, upload=png("income.png"), user=manager)
    assert str(error.value) == "“收入证明”只能上传PDF，这个文件是PNG图片。"
    with pytest.raises(ValidationFailed) as error:  # 1 MB limit; the file is 1 MB + 1 byte
        services.material_upload(application=application, requirement=id_card,
                                 upload=png(size=1024 * 1024 + 1), user=None, client_ip="1.2.3.4")
    assert error.value.code == "file_too_large" and "不能超过 1 MB（本文件 1.0 MB）" in str(error.value)
    with pytest.raises(ValidationFailed, match="扩展名"):
        services.material_upload(application=application, requirement=id_card, upload=png("id.pdf"), user=manager)
    assert not ApplicationMaterial.objects.exists()


def test_material_returned_and_uploaded_again(values, manager, requirements, business_date, notify_ready):
    id_card, income = requirements
    application = services.portal_apply(client_ip="1.2.3.4", **values)
    first = services.material_upload(application=application, requirement=id_card, upload=png(), client_ip="1.2.3.4")
    services.material_upload(application=application, requirement=income, upload=pdf(), client_ip="1.2.3.4")
    assert services.missing_materials(application) == ["身份证", "收入证明"]  # uploaded, not yet reviewed

    with pytest.raises(ValidationFailed, match="退回材料时请填写原因"):
        services.material_review(material=first, user=manager, accept=False)
    services.material_review(material=first, user=manager, accept=False, reason="照片模糊，请重新拍摄")
    first.refresh_from_db()
    assert first.status == "returned" and first.reason == "照片模糊，请重新拍摄"
    item = next(i for i in services.checklist(application) if i["requirement"] == id_card)
    assert item["needed"] is True and item["state"] == "returned"
    sms = Message.objects.filter(channel="sms", related_id=str(application.pk)).order_by("pk").last()
    assert "“身份证”需要重新上传：照片模糊，请重新拍摄" in sms.body and sms.address == "13812345678"

    again = services.material_upload(application=application, requirement=id_card, upload=png("new.png"),
                                     client_ip="1.2.3.4")
    first.refresh_from_db()
    assert first.superseded and not again.superseded and again.status == "uploaded"
    item = next(i for i in services.checklist(application) if i["requirement"] == id_card)
    assert item["material"] == again and item["history"] == [first]
    with pytest.raises(InvalidState, match="替代"):
        services.material_review(material=first, user=manager, accept=True)
    services.material_review(material=again, user=manager, accept=True)
    assert services.missing_materials(application) == ["收入证明"]


def _ready(application, manager, requirements):
    id_card, income = requirements
    for requirement, upload in ((id_card, png()), (income, pdf())):
        row = services.material_upload(application=application, requirement=requirement, upload=upload, user=manager)
        services.material_review(material=row, user=manager, accept=True)


def test_submit_refused_while_materials_are_missing(values, manager, requirements, business_date):
    application = services.application_create(user=manager, **values)
    with pytest.raises(InvalidState, match="材料尚未齐全或未审核通过：身份证、收入证明"):
        services.application_submit(application=application, user=manager)


def test_execute_creates_an_approved_iou_ready_to_disburse(values, manager, approver, requirements, business_date,
                                                           notify_ready):
    application = services.application_create(user=manager, **values)
    _ready(application, manager, requirements)

    result = services.application_execute(target=application, payload={}, maker=manager, checker=approver)

    application.refresh_from_db()
    iou = application.iou
    assert result["iou"] == iou.pk and application.status == Status.APPROVED
    assert iou.status == "approved" and iou.principal == Decimal("50000.00") and iou.term == 12
    assert iou.product == application.product and iou.rate_text == "12%"
    customer = application.customer
    assert customer.name == "王建国" and customer.id_number == values["id_number"] and customer.phone == "13812345678"
    assert iou.customer == customer and customer.branch == application.branch
    sms = Message.objects.filter(channel="sms", related_id=str(application.pk)).order_by("pk").last()
    assert "您的申请已批准：¥50,000.00，12 期" in sms.body
    assert Message.objects.filter(channel="email", related_id=str(application.pk)).exists()
    assert Message.objects.filter(channel="inapp", user=manager, related_id=str(application.pk)).exists()
    assert application.events.filter(public=True, verb="申请已批准").exists()


def test_counter_offer_then_the_applicant_accepts(values, manager, approver, requirements, business_date,
                                                  notify_ready):
    application = services.application_create(user=manager, **values)
    _ready(application, manager, requirements)

    services.application_execute(target=application, maker=manager, checker=approver,
                                 payload={"offer": {"amount": "30000", "term": 18, "rate_text": "15%"}})
    application.refresh_from_db()
    assert application.status == Status.OFFERED and application.iou is None
    assert application.offer == {"amount": "30000", "term": 18, "rate_text": "15%"}
    sms = Message.objects.filter(channel="sms", related_id=str(application.pk)).order_by("pk").last()
    assert "金额 ¥30,000.00，18 期，利率 15%" in sms.body

    application.approval_request = None  # accepted with the account manager as maker, no approver on record
    services.application_offer_respond(application=application, accept=True)
    application.refresh_from_db()
    assert application.status == Status.ACCEPTED
    assert application.iou.principal == Decimal("30000.00") and application.iou.term == 18
    assert application.iou.rate_text == "15%"


def test_counter_offer_declined(values, manager, approver, requirements, business_date, notify_ready):
    application = services.application_create(user=manager, **values)
    services.application_execute(target=application, maker=manager, checker=approver,
                                 payload={"offer": {"amount": "30000"}})
    services.application_offer_respond(application=application, accept=False)
    application.refresh_from_db()
    assert application.status == Status.WITHDRAWN and application.iou is None
    with pytest.raises(InvalidState):
        services.application_offer_respond(application=application, accept=True)


def test_duplicate_application_is_knocked_out_by_screening(values, manager, business_date, notify_ready):
    services.application_create(user=manager, **values)
    second = services.application_create(user=manager, **dict(values, phone="13900000000"))
    assert second.status == Status.REJECTED and "重复申请" in second.decision_reason
    assert second.public_reason == second.decision_reason  # a screening rule's reason is shown to the applicant
    assert second.events.filter(public=True, verb="初筛未通过").exists()
    other = services.application_create(user=manager, **dict(values, id_number=ID_AGE_31, phone="13900000001"))
    assert other.status == Status.SUBMITTED


def test_through_the_seeded_flow_the_approval_creates_the_iou(values, manager, approver, requirements, business_date,
                                                              notify_ready):
    from ioudesk.approvals import services as approvals
    from ioudesk.approvals.flows import flow_defaults_ensure

    flow_defaults_ensure()
    application = services.application_create(user=manager, **values)
    _ready(application, manager, requirements)

    outcome = services.application_submit(application=application, user=manager)

    application.refresh_from_db()
    request = outcome.request
    assert request is not None and application.status == Status.IN_REVIEW and application.approval_request == request
    assert request.kind == "application" and request.amount == Decimal("50000.00")
    assert request.score == application.score
    approvals.request_decide(request=request, user=approver, decision="approve", comment="同意")
    application.refresh_from_db()
    assert application.status == Status.APPROVED and application.iou.status == "approved"


def test_an_approver_rejects_and_the_applicant_is_told(values, manager, approver, requirements, business_date,
                                                       notify_ready):
    from ioudesk.approvals import services as approvals
    from ioudesk.approvals.flows import flow_defaults_ensure

    flow_defaults_ensure()
    application = services.application_create(user=manager, **values)
    _ready(application, manager, requirements)
    request = services.application_submit(application=application, user=manager).request
    approvals.request_decide(request=request, user=approver, decision="reject", comment="收入证明与流水不符")
    application.refresh_from_db()
    assert application.status == Status.REJECTED and application.decision_reason == "收入证明与流水不符"
    sms = Message.objects.filter(channel="sms", related_id=str(application.pk)).order_by("pk").last()
    # the applicant learns the result, not the approver's internal comment (kept for staff)
    assert "很抱歉，您的申请未获批准。" in sms.body and "收入证明与流水不符" not in sms.body
    assert application.public_reason == ""


def test_returned_by_the_approver_and_submitted_again(values, manager, approver, requirements, business_date,
                                                      notify_ready):
    from ioudesk.approvals import services as approvals
    from ioudesk.approvals.flows import flow_defaults_ensure

    flow_defaults_ensure()
    application = services.application_create(user=manager, **values)
    _ready(application, manager, requirements)
    request = services.application_submit(application=application, user=manager).request
    approvals.request_decide(request=request, user=approver, decision="return", comment="请补充工作证明")
    application.refresh_from_db()
    assert application.status == Status.RETURNED
    outcome = services.application_submit(application=application, user=manager)
    application.refresh_from_db()
    assert outcome.request.pk == request.pk and application.status == Status.IN_REVIEW
    approvals.request_decide(request=outcome.request, user=approver, decision="counter_offer", comment="降额",
                             offer={"amount": "40000", "term": 12, "rate_text": "12%"})
    application.refresh_from_db()
    assert application.status == Status.OFFERED and application.offer["amount"] in ("40000", "40000.00")
    services.application_offer_respond(application=application, accept=True)
    application.refresh_from_db()
    assert application.status == Status.ACCEPTED and application.iou.principal == Decimal("40000.00")
    assert application.iou.status == "approved"


def test_a_listed_defaulter_is_rejected_with_the_reason(values, manager, make_staff, business_date, notify_ready):
    from ioudesk.core.roles import ADMINISTRATOR
    from ioudesk.legal.services import defaulter_list

    admin = make_staff("admin2", role=ADMINISTRATOR)
    defaulter_list(by=admin, name="王建国", id_number=values["id_number"], reason="法院失信被执行人名单",
                   evidence=pdf("shixin.pdf"))
    application = services.application_create(user=manager, **values)
    assert application.status == Status.REJECTED
    assert "失信" in application.decision_reason
    outcome = next(o for o in application.screening_result["outcomes"] if o["kind"] == "defaulter")
    assert outcome["passed"] is False and outcome["knock_out"] is True
    sms = Message.objects.filter(channel="sms", related_id=str(application.pk)).order_by("pk").last()
    assert "很抱歉，申请未通过初筛" in sms.body


def test_an_online_application_nobody_has_taken_reaches_the_head_office_staff(values, manager, make_staff,
                                                                             make_branch, business_date,
                                                                             notify_ready):
    """No branch chosen on /apply/: the application belongs to the head office and has no 客户经理; the head
    office's account managers are told in-app (a branch's are not: they cannot see it)."""
    branch_manager = make_staff("wangfang", role="客户经理", branch=make_branch("BJ01", "朝阳网点"))
    application = services.portal_apply(client_ip="192.0.2.10", **values)
    assert application.account_manager_id is None
    told = set(Message.objects.filter(channel="inapp", related_id=str(application.pk))
               .values_list("user__username", flat=True))
    assert "zhangwei" in told and branch_manager.username not in told
