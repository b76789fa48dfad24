"""Staff names are written family name first without a space (张伟, never "伟 张") in the user menu,
the staff list, select boxes, the audit trail, documents and the API: one rule, ioudesk.core.names."""

from datetime import date
from decimal import Decimal

import pytest

from ioudesk.core import audit, clock
from ioudesk.core.context import acting_as, actor_for_user
from ioudesk.core.names import person_name, staff_label, staff_name

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("family", "given", "expected"), [
    ("张", "伟", "张伟"), ("欧阳", "娜娜", "欧阳娜娜"), ("陈", "静", "陈静"), ("阿卜杜", "·热合曼", "阿卜杜·热合曼"),
    ("Zhang", "Wei", "Wei Zhang"), ("", "伟", "伟"), ("张", "", "张"), ("", "", ""), (None, None, ""),
])
def test_person_name(family, given, expected):
    assert person_name(family, given) == expected


@pytest.fixture
def zhang(manager):
    manager.last_name, manager.first_name = "张", "伟"
    manager.save()
    return manager


def test_user_model_uses_the_rule(zhang, make_staff):
    assert zhang.get_full_name() == "张伟" and str(zhang) == "张伟"
    assert staff_name(zhang) == "张伟" and staff_label(zhang) == "张伟（zhangwei）"
    nameless = make_staff("ops")
    assert str(nameless) == "ops" and nameless.get_full_name() == "" and staff_label(nameless) == "ops"
    assert staff_name(None) == "" and staff_label(None) == ""


def test_user_menu_and_staff_list_show_the_chinese_order(client, zhang, admin_user_zh):
    client.force_login(zhang)
    page = client.get("/admin/").content.decode()
    assert "张伟" in page and "伟 张" not in page

    client.force_login(admin_user_zh)
    listing = client.get("/admin/core/user/").content.decode()
    assert "张伟" in listing and "伟 张" not in listing


def test_audit_trail_names_the_actor_with_the_user_name(zhang, organisation):
    with acting_as(actor_for_user(zhang)):
        event = audit.record("action", verb="测试", object_repr="姓名顺序")
    assert event.actor_name == "张伟（zhangwei）"


def test_receipt_operator_and_api_name(zhang, debtor, approver, finance, client):
    from ioudesk.documents.context import receipt_data
    from ioudesk.ious.models import Iou
    from ioudesk.ious.services import iou_approve, iou_create, iou_submit
    from ioudesk.ious.services.disbursement import iou_disburse
    from ioudesk.ious.services.repayment import iou_repay

    finance.last_name, finance.first_name = "陈", "静"
    finance.save()
    with clock.frozen(date(2026, 1, 15)):
        iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=Decimal("1000.00"), rate_text="12%",
                                    term=1, method="bullet", contract_date=date(2026, 1, 15)), user=zhang)
        iou_submit(iou=iou, user=zhang)
        iou_approve(iou=iou, user=approver, comment="同意")
        iou_disburse(iou=iou, user=finance)
    with clock.frozen(date(2026, 1, 20)):
        payment = iou_repay(iou=iou, amount="100.00", user=finance, method="bank_transfer", payer="王建国")
    assert receipt_data(payment).values["operator"] == "陈静"

    from ioudesk.api.services import api_token_issue

    _token, secret = api_token_issue(user=zhang, name="测试")
    answer = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200 and answer.json()["name"] == "张伟"
