"""In the real Chromium, as an account manager: create an individual and a company customer,
find the individual by pinyin initials, open the 360 page, upload a file, record a follow-up."""

import io
import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Manager-pass-2026"


@pytest.fixture
def manager(organisation, head_office, django_user_model):
    from django.contrib.auth.models import Group

    from ioudesk.customers.services import source_channels_ensure

    source_channels_ensure()
    user = django_user_model.objects.create_user(
        username="zhangwei", password=PASSWORD, branch=head_office, is_staff=True, last_name="张", first_name="伟")
    user.groups.add(Group.objects.get(name="客户经理"))
    return user


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_customer_work_from_creation_to_follow_up(live_server, page, manager, tmp_path, settings):
    from ioudesk.calc.uscc import check_character
    from ioudesk.customers.models import Customer

    settings.IOUDESK_PRIVATE_DIR = str(tmp_path / "private")
    base = live_server.url
    page.goto(f"{base}/admin/login/")
    page.get_by_label("用户名").fill("zhangwei")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("dashboard")).to_be_visible()

    # An individual.
    page.goto(f"{base}/admin/customers/customer/add/")
    page.get_by_label("姓名/名称").fill("张三")
    page.get_by_label("身份证号").fill("11010519491231002x")
    page.get_by_label("手机号").first.fill("138 1234 5678")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("body")).to_contain_text("KH")
    expect(page.get_by_role("link", name="张三", exact=True)).to_be_visible()

    # A company.
    code = "91110105MA01ABCD1"
    page.goto(f"{base}/admin/customers/customer/add/")
    page.get_by_label("客户类型").select_option("company")
    page.get_by_label("姓名/名称").fill("北京华信商贸有限公司")
    page.get_by_label("统一社会信用代码").fill(code + check_character(code))
    page.get_by_label("法定代表人").fill("王建国")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("link", name="北京华信商贸有限公司", exact=True)).to_be_visible()

    # A wrong check digit is explained on the form.
    page.goto(f"{base}/admin/customers/customer/add/")
    page.get_by_label("姓名/名称").fill("李四")
    page.get_by_label("身份证号").fill("110105194912310021")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("body")).to_contain_text("校验位")

    # Found by pinyin initials.
    page.goto(f"{base}/admin/customers/customer/")
    search = page.locator("input[name=q]")
    search.fill("zs")
    search.press("Enter")
    expect(page.get_by_role("link", name="张三", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="北京华信商贸有限公司", exact=True)).to_have_count(0)

    # The 360 page.
    customer = Customer.objects.get(name="张三")
    page.goto(f"{base}/admin/customers/{customer.pk}/overview/")
    overview = page.get_by_test_id("customer-overview")
    expect(overview).to_contain_text("110105********002X")
    expect(overview).to_contain_text("138****5678")

    # Upload a file.
    page.get_by_role("link", name="上传资料").click()
    page.get_by_label("资料类型").select_option("id_front")
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "身份证正面.png", "mimeType": "image/png", "buffer": _png()}])
    page.get_by_role("button", name="上传").click()
    expect(page.get_by_test_id("customer-files")).to_contain_text("身份证正面.png")

    # Record a follow-up, pre-filled for this customer.
    page.get_by_role("link", name="添加跟进").click()
    page.get_by_label("内容").fill("电话沟通借款需求，客户有意申请5万元经营贷。")
    page.get_by_label("下一步").fill("上门收集营业执照和流水")
    page.get_by_label("下次跟进日期").fill("2026-12-05")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/admin/customers/{customer.pk}/overview/"))
    expect(page.get_by_test_id("customer-follow-ups")).to_contain_text("经营贷")
    expect(page.get_by_test_id("customer-timeline")).to_contain_text("上传资料")
