"""U: the IOU list's action 生成借据报告 — select IOUs on the list and 报告管理 opens with them chosen for a
借据对账单; a report is generated from that form. Only for users who may generate reports (the one predicate
generation.may_generate, asked by the action and by 报告管理 alike): an auditor sees neither."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal as D
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from ioudesk.core import clock, roles
from ioudesk.ious.models import Iou
from ioudesk.ious.services import iou_approve, iou_create, iou_submit
from ioudesk.ious.services.disbursement import iou_disburse
from ioudesk.reports import generation
from ioudesk.reports.models import GeneratedReport, GeneratedState

pytestmark = pytest.mark.django_db
ACTION = "generate_iou_report"


@pytest.fixture
def private_dir(settings, tmp_path):
    settings.IOUDESK_PRIVATE_DIR = str(tmp_path / "private")
    return tmp_path / "private"


@pytest.fixture
def loans(debtor, manager, approver, finance):
    """Two IOUs disbursed on 2026-01-15 (¥10,000 and ¥6,000) and a draft (¥3,000) not yet in force."""
    made = []
    for principal in ("10000", "6000", "3000"):
        with clock.frozen(date(2026, 1, 15)):
            iou, _ = iou_create(iou=Iou(kind="loan", customer=debtor, principal=D(principal), term=12,
                                        rate_text="12%", method="equal_installment",
                                        contract_date=date(2026, 1, 15)), user=manager)
            if principal != "3000":
                iou_submit(iou=iou, user=manager)
                iou_approve(iou=iou, user=approver)
                iou_disburse(iou=iou, user=finance)
        iou.refresh_from_db()
        made.append(iou)
    return made


def _act(client, ious):
    return client.post(reverse("admin:ious_iou_changelist"),
                       {"action": ACTION, "_selected_action": [iou.pk for iou in ious], "index": 0})


def test_the_action_opens_the_prefilled_form_and_a_report_is_generated(client, private_dir, finance, loans,
                                                                         business_date):
    client.force_login(finance)
    listing = client.get(reverse("admin:ious_iou_changelist")).content.decode()
    assert f'value="{ACTION}"' in listing and "生成借据报告" in listing
    first, second, draft = loans
    response = _act(client, [first, second, draft])
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == reverse("backoffice:reports_generated")
    query = parse_qs(target.query)
    assert query["code"] == ["iou-statement"]
    # the list's order (newest first); the draft left out
    assert query["numbers"] == [f"{second.number}\n{first.number}"]
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "已略过 1 笔尚未生效的借据" in html
    assert '<option value="iou-statement" selected>' in html
    textarea = re.search(r'<textarea name="numbers"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    assert unescape(textarea).split() == [second.number, first.number]
    assert 'data-testid="generated-form"' in html and 'data-testid="generated-submit"' in html
    # choosing another IOU report keeps the chosen IOUs
    assert f'<input type="hidden" name="numbers" value="{second.number}\n{first.number}">' in html
    # generate from the prefilled form as the user would submit it
    response = client.post(reverse("backoffice:reports_generated"),
                           {"code": "iou-statement", "numbers": unescape(textarea), "format": "pdf"})
    assert response.status_code == 302
    generated = GeneratedReport.objects.get()
    assert generated.state == GeneratedState.DONE and generated.code == "iou-statement"
    assert generated.params == {"numbers": [second.number, first.number]}
    assert generated.requested_by == finance and generated.size > 0


def test_only_drafts_selected_is_refused_with_a_message(client, private_dir, finance, loans, business_date):
    client.force_login(finance)
    response = _act(client, [loans[2]])
    assert response.status_code == 302 and urlsplit(response["Location"]).path == reverse("admin:ious_iou_changelist")
    html = client.get(response["Location"]).content.decode()
    assert "所选借据都尚未生效" in html


def test_more_than_an_iou_report_covers_is_refused(client, private_dir, finance, loans, business_date, monkeypatch):
    from ioudesk.reports import iou_reports

    monkeypatch.setattr(iou_reports, "MAX_IOUS", 1)
    client.force_login(finance)
    response = _act(client, loans[:2])
    assert urlsplit(response["Location"]).path == reverse("admin:ious_iou_changelist")
    assert "一次最多为 1 笔借据生成报告" in client.get(response["Location"]).content.decode()


def test_who_may_not_generate_sees_neither_the_action_nor_the_form(client, private_dir, make_staff, loans,
                                                                    business_date):
    auditor = make_staff("u-auditor", role=roles.AUDITOR)  # sees IOUs and 报告管理, exports nothing
    assert auditor.has_perm("ious.view_iou") and auditor.has_perm("reports.view_generatedreport")
    assert not generation.may_generate(auditor)
    client.force_login(auditor)
    listing = client.get(reverse("admin:ious_iou_changelist")).content.decode()
    assert f'value="{ACTION}"' not in listing
    response = _act(client, loans[:1])
    assert "reports/generated" not in response.get("Location", "")
    page = client.get(reverse("backoffice:reports_generated"), {"code": "iou-statement",
                                                                "numbers": loans[0].number}).content.decode()
    assert 'data-testid="generated-form"' not in page and "您没有生成报告的权限" in page
    assert GeneratedReport.objects.count() == 0


def test_the_predicate(finance, manager, make_staff):
    assert generation.may_generate(finance) and generation.may_generate(manager)
    assert not generation.may_generate(make_staff("u-nobody"))
    assert not generation.may_generate(None)
