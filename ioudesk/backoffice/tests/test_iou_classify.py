"""调整五级分类 offered to users: one predicate (predicates.may(user, iou, "classify")) for the IOU page's
button, its form, the API's `actions` and POST /api/v1/ious/{id}/classify; one service (iou_classify).

Given ¥10,000 lent on 2026-01-15 at 12 % over 12 months (¥888.49 a month, first due 2026-02-15),
nothing paid: on the business date 2026-03-23 the installments of 02-15 and 03-15 are unpaid, the
oldest 36 days (13 in February after the 15th + 23 in March), so the floor is 关注 (1–90 days).
"""

import json
from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse

from ioudesk.api.services import api_token_issue
from ioudesk.closing.tests.conftest import make_loan
from ioudesk.core import clock
from ioudesk.core.models import AuditEvent
from ioudesk.ious import predicates
from ioudesk.ious.models import Iou

DAY = date(2026, 3, 23)


@pytest.fixture
def loan(debtor, manager, approver, finance):
    return make_loan(debtor, manager, approver, finance)


def detail(iou):
    return reverse("backoffice:iou_detail", args=[iou.pk])


def action(iou):
    return reverse("backoffice:iou_action", args=[iou.pk, "classify"])


def test_the_predicate_offers_it_to_the_approver_and_not_to_the_account_manager(loan, approver, manager, finance):
    assert predicates.may(approver, loan, "classify")
    assert not predicates.may(manager, loan, "classify")
    assert not predicates.may(finance, loan, "classify")
    assert not predicates.can_classify(Iou(status="settled"))


def test_an_approver_sets_a_worse_tier_through_the_page(client, loan, approver):
    client.force_login(approver)
    with clock.frozen(DAY):
        page = client.get(detail(loan)).content.decode()
        assert "调整五级分类" in page and action(loan) in page
        form = client.get(action(loan)).content.decode()
        assert "按逾期 36 天，最低为 关注" in form
        # only tiers at least as bad as the floor are offered
        assert 'value="special_mention"' in form and 'value="loss"' in form and 'value="normal"' not in form
        response = client.post(action(loan), {"classification": "substandard", "reason": "债务人失业，暂无还款来源"})
        assert response.status_code == 302 and response["Location"] == detail(loan)
        page = client.get(detail(loan)).content.decode()
    assert "五级分类已调整为“次级”。" in page  # the success message
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.classification, loan.classification_manual) == (36, "substandard", "substandard")
    # an event on the IOU: penalty posted to date first (18 % a year, ACT/360, on overdue principal):
    # 788.49 × 0.05 % × 36 days (since 02-15) = 14.19 + 796.37 × 0.05 % × 8 days (since 03-15) = 3.19 → 17.38
    assert list(loan.transactions.filter(kind="penalty").values_list("day", "amount")) == [(DAY, D("17.38"))]
    event = AuditEvent.objects.get(verb="调整五级分类")
    assert (event.reason, event.actor_id) == ("债务人失业，暂无还款来源", approver.pk)
    hand = page.split('data-testid="classification-hand"', 1)[1].split("</p>", 1)[0]
    assert "人工认定" in hand and event.occurred_at.astimezone().strftime("%Y-%m-%d") in hand
    assert event.actor_name in hand and "债务人失业，暂无还款来源" in hand


def test_a_better_tier_than_the_floor_is_refused_next_to_its_field(client, loan, approver, monkeypatch):
    client.force_login(approver)
    with clock.frozen(DAY):
        # 正常 is not offered; posted anyway (a stale form, a crafted request) the form refuses it
        response = client.post(action(loan), {"classification": "normal", "reason": "客户承诺还款"})
        assert response.status_code == 200
        form = response.context["form"]
        assert "classification" in form.errors and not form.non_field_errors()
        # the service's own refusal, when the form's floor is out of date, names the field too
        from ioudesk.backoffice.iou_pages import actions as pages

        monkeypatch.setattr(pages, "days_past_due_today", lambda iou: 0)  # the form thinks it current: 正常 offered
        response = client.post(action(loan), {"classification": "normal", "reason": "客户承诺还款"})
        monkeypatch.undo()
        form = response.context["form"]
        assert form.errors["classification"] == [
            "不能调为“正常”：逾期 36 天的借据至少为“关注”（五级分类只能比逾期天数对应的下限更差）。"]
        assert not form.non_field_errors()
        # no reason: refused by the form, in Chinese, next to the reason
        response = client.post(action(loan), {"classification": "loss", "reason": "  "})
        assert response.context["form"].errors["reason"] == ["请填写调整五级分类的原因。"]
    loan.refresh_from_db()
    assert loan.classification_manual is None
    assert not AuditEvent.objects.filter(verb="调整五级分类").exists()


def test_an_account_manager_is_not_offered_it_and_refused_on_post(client, loan, manager):
    client.force_login(manager)
    with clock.frozen(DAY):
        page = client.get(detail(loan)).content.decode()
        assert action(loan) not in page
        assert client.get(action(loan)).status_code == 403
        assert client.post(action(loan), {"classification": "loss", "reason": "x"}).status_code == 403
    loan.refresh_from_db()
    assert loan.classification_manual is None


@pytest.fixture
def api(client):
    def make(user):
        _, token = api_token_issue(user=user, name="测试")

        def post(iou, payload):
            with clock.frozen(DAY):
                return client.post(f"/api/v1/ious/{iou.pk}/classify", data=json.dumps(payload),
                                   content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")

        def get(iou):
            with clock.frozen(DAY):
                return client.get(f"/api/v1/ious/{iou.pk}", HTTP_AUTHORIZATION=f"Bearer {token}")

        return post, get

    return make


def test_the_api_sets_the_hand_tier_and_lists_the_action(api, loan, approver):
    post, get = api(approver)
    assert "classify" in get(loan).json()["actions"]
    response = post(loan, {"classification": "doubtful", "reason": "债务人失联"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["classification"], body["classification_manual"], body["days_past_due"]) == ("doubtful", "doubtful", 36)
    # null clears the hand tier: back to the floor by days past due
    body = post(loan, {"classification": None, "reason": "已联系上债务人"}).json()
    assert (body["classification"], body["classification_manual"]) == ("special_mention", None)
    assert AuditEvent.objects.filter(verb="调整五级分类").count() == 2


def test_the_api_refuses_a_better_tier_a_missing_reason_and_the_account_manager(api, loan, approver, manager):
    post, get = api(approver)
    response = post(loan, {"classification": "normal", "reason": "客户承诺还款"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["details"] == [{"field": "classification", "message": body["message"]}]
    assert "至少为“关注”" in body["message"]
    response = post(loan, {"classification": "loss", "reason": ""})
    assert (response.status_code, response.json()["details"][0]["field"]) == (400, "reason")
    assert post(loan, {"classification": "bad", "reason": "x"}).status_code == 422  # not a tier
    post, get = api(manager)
    assert "classify" not in get(loan).json()["actions"]
    response = post(loan, {"classification": "loss", "reason": "x"})
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    loan.refresh_from_db()
    assert loan.classification_manual is None
