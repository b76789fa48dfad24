"""A loan application from the public page to the IOU in the real Chromium, issue 12's first "Done when":
王小红 applies on /apply/ in a phone-sized window (390 px) for ¥300,000.00 over 24 months and uploads her
身份证 and 收入证明; the account manager 张伟 accepts the first and returns the second with a reason; she
finds her application again on the tracking page (number + the phone's last four) and uploads it again;
张伟 accepts it and submits the application for approval. ¥300,000.00 is over the ¥200,000.00 threshold
of the seeded flow 贷款申请审批, so it has two steps: 初审 (审批员: 刘洋 or 吴刚) then 风控委员会审批 (the
group 刘洋 + 吴刚). 刘洋 approves 初审; the committee's step then waits on 吴刚 alone (whoever approved a
step does not approve the next one), who approves it. The approval creates the customer and the IOU,
approved and ready to disburse; her tracking page and the message log (消息记录) show the result.

Everything is seeded as `ioudesk setup` does it (roles, screening rules and score card, the materials
checklist, the approval flows); only the product, its 开放线上申请 switch and the staff are made here.
"""

import os
import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Journey-pass-2026"
PHONE = {"width": 390, "height": 844}
SLOW = 20_000  # ms: a page that screens, stores a file or runs an approval, on a loaded machine
AMOUNT, TERM = Decimal("300000.00"), 24
ID_NUMBER, MOBILE = "310115199003010022", "13987654321"  # a valid 身份证号 (born 1990-03-01), a mobile number
RETURN_REASON = "收入证明看不清，请上传加盖单位公章的清晰版本"
# Screenshots of each step when asked for: IOUDESK_SCREENSHOTS=/tmp/f- writes /tmp/f-1-apply.png …
SHOTS = os.environ.get("IOUDESK_SCREENSHOTS", "")
# Real (tiny) files: the content is checked, not the name.
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
PDF_AGAIN = PDF.replace(b"200 200", b"595 842")  # the clearer scan: another file


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}{name}.png", full_page=True)


def _fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.fixture
def world(organisation, head_office, make_staff, settings, tmp_path):
    from django.contrib.auth.models import Group

    from ioudesk.applications.models import ApplicationProduct
    from ioudesk.applications.services import application_defaults_ensure
    from ioudesk.approvals.flows import RISK_COMMITTEE, flow_defaults_ensure
    from ioudesk.approvals.models import ApproverGroup
    from ioudesk.core.models import User
    from ioudesk.notify.services import notify_settings
    from ioudesk.products.models import Product
    from ioudesk.products.services import product_save
    from ioudesk.screening.services import screening_defaults_ensure

    settings.IOUDESK_PRIVATE_DIR = str(tmp_path / "private")
    notify_settings()
    screening_defaults_ensure()
    application_defaults_ensure()  # 身份证, 收入证明 (required), 银行流水 (optional)
    product = product_save(product=Product(code="XFD", name="消费贷", rate_text="12%", method="equal_installment",
                                           min_amount=1000, max_amount=500000, min_term=3, max_term=36))
    ApplicationProduct.objects.create(product=product, online=True)
    names = {"zhangwei": ("张", "伟", "客户经理"), "liuyang": ("刘", "洋", "审批员"), "wugang": ("吴", "刚", "审批员"),
             "zhouqiang": ("周", "强", "审计")}
    staff = {}
    for username, (last, first, role) in names.items():
        staff[username] = make_staff(username, role=role, password=PASSWORD)
        User.objects.filter(pk=staff[username].pk).update(last_name=last, first_name=first)
    assert Group.objects.filter(name="审批员").exists()
    flow_defaults_ensure()  # 贷款申请审批: 初审 (审批员), from ¥200,000 风控委员会审批 (the group)
    ApproverGroup.objects.get(name=RISK_COMMITTEE).members.set([staff["liuyang"], staff["wugang"]])
    return product, staff


@pytest.fixture
def new_window(browser, browser_context_args):
    """A fresh browser window (its own cookies: one person each), closed at the end."""
    opened = []

    def new(**options):
        context = browser.new_context(**{**browser_context_args, **options})
        opened.append(context)
        return context.new_page()

    yield new
    for context in opened:
        context.close()


def _staff_page(new_window, base, username):
    page = new_window()
    page.goto(f"{base}/admin/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("dashboard")).to_be_visible(timeout=SLOW)
    return page


def _upload(phone, code, name, content, mime):
    item = phone.locator(f"li[data-requirement={code}]")
    item.locator("input[type=file]").set_input_files(files=[{"name": name, "mimeType": mime, "buffer": content}])
    item.get_by_role("button", name="上传", exact=True).click()
    expect(phone.locator(f"li[data-requirement={code}]")).to_contain_text("待审核", timeout=SLOW)


def _approve(page, base, number, comment):
    page.goto(f"{base}/admin/approvals/inbox/")
    page.get_by_role("link", name=number).click()
    page.get_by_test_id("decision-approve").check()
    page.get_by_test_id("decision-comment").fill(comment)
    with page.expect_navigation(timeout=SLOW):  # the decision is saved when the next page comes
        page.get_by_test_id("decision-submit").click()
    expect(page.locator("body")).to_contain_text(number, timeout=SLOW)


def test_an_application_from_the_phone_to_the_approved_iou(live_server, new_window, world):
    from captcha.models import CaptchaStore

    from ioudesk.applications.models import Application
    from ioudesk.approvals.models import ApprovalDecision, ApprovalTask
    from ioudesk.notify.models import Message

    product, staff = world
    base = live_server.url

    # --- 王小红 applies on her phone ------------------------------------------------------------
    phone = new_window(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(f"{base}/apply/")
    phone.get_by_label("贷款产品").select_option(value=str(product.pk))
    phone.get_by_label("申请金额（元）").fill("300000")
    phone.get_by_label("期数（月）").fill(str(TERM))
    phone.get_by_label("借款用途").fill("房屋装修")
    phone.get_by_label("姓名").fill("王小红")
    phone.get_by_label("身份证号").fill(ID_NUMBER)
    phone.get_by_label("手机号").fill(MOBILE)
    phone.get_by_label("月收入（元，选填）").fill("60000")
    phone.get_by_label("工作单位（选填）").fill("北京某科技有限公司")
    key = phone.locator("input[name=captcha_0]").input_value()
    phone.locator("input[name=captcha_1]").fill(CaptchaStore.objects.get(hashkey=key).response)
    phone.get_by_label("我已阅读并同意《个人信息授权及隐私条款》").check()
    _fits_the_phone(phone)
    _shot(phone, "1-apply")
    phone.get_by_role("button", name="提交申请").click()
    expect(phone.locator("#application-status")).to_have_text("已提交", timeout=SLOW)
    application = Application.objects.get()
    expect(phone.locator(".big")).to_have_text(application.number)
    assert (application.amount, application.term, application.channel) == (AMOUNT, TERM, "portal")
    expect(phone.locator("#materials")).to_contain_text("还需要：身份证、收入证明")
    _upload(phone, "id_card", "身份证.png", PNG, "image/png")
    _upload(phone, "income", "收入证明.pdf", PDF, "application/pdf")
    expect(phone.locator("#materials")).not_to_contain_text("还需要")
    _fits_the_phone(phone)
    _shot(phone, "2-uploaded")

    # --- 张伟 accepts the 身份证 and returns the 收入证明 ----------------------------------------------
    manager = _staff_page(new_window, base, "zhangwei")
    manager.goto(f"{base}/admin/applications/application/")
    manager.get_by_role("link", name=application.number).click()
    expect(manager.get_by_test_id("application-page")).to_be_visible(timeout=SLOW)
    expect(manager.get_by_test_id("application-score")).to_have_text(str(application.score))
    manager.get_by_test_id("material-id_card").get_by_test_id("material-accept").click()
    expect(manager.get_by_test_id("material-id_card")).to_have_attribute("data-state", "accepted", timeout=SLOW)
    income = manager.get_by_test_id("material-income")
    income.locator("[name=reason]").fill(RETURN_REASON)
    income.get_by_test_id("material-return").click()
    expect(manager.get_by_test_id("material-income")).to_have_attribute("data-state", "returned", timeout=SLOW)
    _shot(manager, "3-returned")

    # --- she finds it again on the tracking page and uploads it again ---------------------------
    phone.goto(f"{base}/apply/track/")
    phone.get_by_label("申请编号").fill(application.number)
    phone.get_by_label("手机号后四位").fill(MOBILE[-4:])
    phone.get_by_role("button", name="查询").click()
    returned = phone.locator("li[data-requirement=income]")
    expect(returned).to_contain_text("已退回", timeout=SLOW)
    expect(returned).to_contain_text(f"退回原因：{RETURN_REASON}")
    expect(phone.locator("li[data-requirement=id_card]")).to_contain_text("已通过")
    _fits_the_phone(phone)
    _shot(phone, "4-returned-on-the-phone")
    _upload(phone, "income", "收入证明（盖章）.pdf", PDF_AGAIN, "application/pdf")

    # --- 张伟 accepts it and submits the application for approval -------------------------------
    manager.reload()
    manager.get_by_test_id("material-income").get_by_test_id("material-accept").click()
    expect(manager.get_by_test_id("material-income")).to_have_attribute("data-state", "accepted", timeout=SLOW)
    manager.get_by_test_id("application-actions").locator("textarea").first.fill("材料齐全，评分良好，建议批准")
    manager.get_by_test_id("application-submit").click()
    expect(manager.get_by_test_id("application-page")).to_have_attribute("data-status", "in_review", timeout=SLOW)
    application.refresh_from_db()
    request = application.approval_request
    assert request is not None and request.maker_id == staff["zhangwei"].pk
    _shot(manager, "5-submitted")

    # --- two steps, two approvers: 刘洋 (初审), then 吴刚 (风控委员会) -------------------------------
    checker = _staff_page(new_window, base, "liuyang")
    _approve(checker, base, request.number, "初审同意：收入稳定，负债率低")
    request.refresh_from_db()
    assert request.status == "pending"
    waiting = ApprovalTask.objects.filter(request=request, state="pending")
    assert waiting.values_list("step__name", flat=True).distinct().get() == "风控委员会审批"
    assert set(waiting.values_list("assignee__username", flat=True)) == {"wugang"}  # not 刘洋 again
    checker.goto(f"{base}/admin/approvals/inbox/")
    expect(checker.get_by_role("link", name=request.number)).to_have_count(0)

    committee = _staff_page(new_window, base, "wugang")
    _approve(committee, base, request.number, "风控委员会同意")
    request.refresh_from_db()
    application.refresh_from_db()
    assert (request.status, application.status) == ("approved", "approved")
    approvers = list(ApprovalDecision.objects.filter(request=request, decision="approve").order_by("at")
                     .values_list("decided_by__username", flat=True))
    assert approvers == ["liuyang", "wugang"]

    # --- the IOU: created, approved, ready to disburse --------------------------------------------
    iou = application.iou
    assert iou is not None
    assert (iou.status, iou.principal, iou.term, iou.customer.name) == ("approved", AMOUNT, TERM, "王小红")
    manager.reload()
    expect(manager.get_by_test_id("application-iou")).to_contain_text(iou.number, timeout=SLOW)
    expect(manager.get_by_test_id("application-iou")).to_contain_text("已批准")
    _shot(manager, "6-approved")

    # --- her tracking page and the message log show the result ------------------------------------
    phone.reload()
    expect(phone.locator("#application-status")).to_have_text("已批准", timeout=SLOW)
    expect(phone.locator("body")).to_contain_text("恭喜，您的申请已批准：¥300,000.00，24 期")
    _fits_the_phone(phone)
    _shot(phone, "7-approved-on-the-phone")

    sms = Message.objects.filter(channel="sms", body__contains="已批准").get()
    assert sms.body.startswith("【") and application.number in sms.body
    auditor = _staff_page(new_window, base, "zhouqiang")
    auditor.goto(f"{base}/admin/notify/message/?q={application.number}")
    expect(auditor.locator("#result_list")).to_contain_text("恭喜，您的申请已批准", timeout=SLOW)
    auditor.goto(f"{base}/admin/notify/message/{sms.pk}/change/")
    expect(auditor.locator("body")).to_contain_text(re.sub(r"\s+", " ", sms.body))
    _shot(auditor, "8-sms-log")


# --- maker-checker on a write-off, with the flow edited in the back office while one is running -----

DAY = date(2026, 11, 28)


@pytest.fixture
def write_off_world(organisation, head_office, make_staff, settings, tmp_path):
    """Two live IOUs of ¥10,000.00 (made before any flow exists: approved and disbursed at once), the
    seeded flows, 陈静 (财务, the maker), 刘洋 (审批员), 钱审 who holds only the checker's permission
    (approvals.decide_approvalrequest + ious.view_iou) and two 系统管理员 (a flow change needs a second)."""
    from django.contrib.auth.models import Permission

    from ioudesk.approvals.flows import flow_defaults_ensure
    from ioudesk.core import clock
    from ioudesk.core.models import Organisation, User
    from ioudesk.customers.models import Customer
    from ioudesk.customers.services import customer_create
    from ioudesk.ious.models import Iou
    from ioudesk.ious.services import iou_approve, iou_create, iou_submit
    from ioudesk.ious.services.disbursement import iou_disburse
    from ioudesk.notify.services import notify_settings

    settings.IOUDESK_PRIVATE_DIR = str(tmp_path / "private")
    notify_settings()
    names = {"zhangwei": ("张", "伟", "客户经理"), "liuyang": ("刘", "洋", "审批员"), "chenjing": ("陈", "静", "财务"),
             "qianshen": ("钱", "审", None), "admin": ("系统", "管理员", "系统管理员"), "mazhu": ("马", "主管", "系统管理员")}
    staff = {}
    for username, (last, first, role) in names.items():
        staff[username] = make_staff(username, role=role, password=PASSWORD)
        User.objects.filter(pk=staff[username].pk).update(last_name=last, first_name=first)
    staff["qianshen"].user_permissions.add(Permission.objects.get(codename="decide_approvalrequest"),
                                           Permission.objects.get(codename="view_iou", content_type__app_label="ious"))
    debtor = customer_create(customer=Customer(kind="individual", branch=head_office, name="王建国",
                                               id_number="11010519491231002X", phone="13901012345"),
                             user=staff["zhangwei"])
    ious = []
    with clock.frozen(date(2026, 10, 1)):
        for _ in range(2):
            iou, _warnings = iou_create(iou=Iou(kind="loan", customer=debtor, principal=Decimal("10000"), term=1,
                                                rate_text="12%", method="equal_installment",
                                                contract_date=date(2026, 10, 1)), user=staff["zhangwei"])
            iou_submit(iou=iou, user=staff["zhangwei"])
            iou_approve(iou=iou, user=staff["liuyang"])
            iou_disburse(iou=iou, user=staff["chenjing"])
            ious.append(iou)
    Organisation.objects.update(business_date=DAY)
    flow_defaults_ensure()  # from here on a write-off needs approval: 核销审批 v1, step 审批员审批 (role 审批员)
    return ious, staff


def _write_off(page, base, iou, reason):
    page.goto(f"{base}/admin/ious/{iou.pk}/actions/write_off/")
    page.get_by_label("核销原因").fill(reason)
    page.get_by_role("button", name="确认核销").click()
    expect(page.get_by_test_id("pending-approval")).to_be_visible(timeout=SLOW)
    expect(page.locator("body")).to_contain_text("已提交审批")


def test_a_write_off_waits_for_a_checker_and_a_flow_edited_mid_way_keeps_running_ones(
        live_server, new_window, write_off_world):
    from ioudesk.approvals.models import ApprovalFlow, ApprovalRequest

    (first, second), staff = write_off_world
    base = live_server.url
    flow = ApprovalFlow.objects.get(kind="iou_write_off")
    v1 = flow.current_version

    # --- 陈静 asks to write off the first IOU: it waits for an approver (v1: the role 审批员) ----------
    maker = _staff_page(new_window, base, "chenjing")
    _write_off(maker, base, first, "债务人失联，经诉讼执行仍无法收回")
    running = ApprovalRequest.objects.get(kind="iou_write_off", target_id=first.pk)
    assert (running.status, running.flow_version_id) == ("pending", v1.pk)
    first.refresh_from_db()
    assert first.status != "written_off"
    expect(maker.get_by_test_id("pending-own")).to_be_visible()  # her own: no 同意 for her
    expect(maker.get_by_test_id("pending-approve")).to_have_count(0)
    token = maker.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    forged = maker.request.post(f"{base}/admin/approvals/requests/{running.pk}/decide/",
                                form={"decision": "approve", "comment": "自己批", "csrfmiddlewaretoken": token})
    assert forged.status < 500
    running.refresh_from_db()
    assert running.status == "pending"  # the maker never approves her own, not even by a hand-made POST

    # --- the administrator gives write-offs to the checker 钱审 in 审批流设置 (a change a 2nd admin approves)
    admin = _staff_page(new_window, base, "admin")
    admin.goto(f"{base}/admin/approvals/approvalflow/")
    admin.get_by_role("link", name=flow.name).first.click()
    expect(admin.get_by_test_id("flow-form")).to_be_visible(timeout=SLOW)
    admin.locator("[name=steps-0-name]").fill("核销复核")
    admin.locator("[name=steps-0-approver_type]").select_option("users")
    admin.locator("[name=steps-0-users]").select_option(label="钱审")
    admin.get_by_label("修改说明").fill("核销改由复核岗钱审审批")
    admin.get_by_test_id("flow-submit").click()
    expect(admin.get_by_test_id("pending-approval")).to_be_visible(timeout=SLOW)
    change = ApprovalRequest.objects.get(kind="approval_flow_change")
    second_admin = _staff_page(new_window, base, "mazhu")
    second_admin.goto(f"{base}/admin/approvals/requests/{change.pk}/")
    second_admin.get_by_test_id("decision-approve").check()
    with second_admin.expect_navigation(timeout=SLOW):
        second_admin.get_by_test_id("decision-submit").click()
    expect(second_admin.locator("body")).to_contain_text(change.number, timeout=SLOW)
    flow.refresh_from_db()
    assert flow.current_version.number == v1.number + 1
    admin.goto(f"{base}/admin/approvals/flows/{flow.pk}/edit/")
    expect(admin.get_by_test_id("flow-versions")).to_contain_text("核销复核（钱审")

    # --- the running request keeps v1; the next one follows v2 --------------------------------------
    running.refresh_from_db()
    assert running.flow_version_id == v1.pk
    assert set(running.tasks.filter(state="pending").values_list("assignee__username", flat=True)) == {"liuyang"}
    _write_off(maker, base, second, "债务人企业已注销")
    new = ApprovalRequest.objects.get(kind="iou_write_off", target_id=second.pk)
    assert new.flow_version_id == flow.current_version_id
    assert set(new.tasks.filter(state="pending").values_list("assignee__username", flat=True)) == {"qianshen"}

    # --- 钱审, who holds only the checker's permission, approves it from the IOU's page ----------------
    checker = _staff_page(new_window, base, "qianshen")
    checker.goto(f"{base}/admin/ious/{second.pk}/")
    card = checker.get_by_test_id("pending-approval")
    expect(card).to_contain_text(new.number, timeout=SLOW)
    card.locator("textarea[name=comment]").fill("核实无误，同意核销")
    card.get_by_test_id("pending-approve").click()
    expect(checker.locator("body")).to_contain_text("已核销", timeout=SLOW)
    new.refresh_from_db()
    second.refresh_from_db()
    assert (new.status, second.status) == ("approved", "written_off")
    assert new.decisions.filter(decision="approve").get().decided_by_id == staff["qianshen"].pk
    checker.set_viewport_size(PHONE)
    checker.goto(f"{base}/admin/ious/{first.pk}/")  # not his: shown, without a 同意 for him
    expect(checker.get_by_test_id("pending-approval")).to_contain_text(running.number)
    expect(checker.get_by_test_id("pending-approve")).to_have_count(0)
    _fits_the_phone(checker)
    _shot(checker, "9-checker-on-the-phone")
