"""Every role on the reports, the recovery report and the plans: no 5xx, no English on the Chinese
page, and a 催收员 sees their own figures only."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from ioudesk.core import clock, roles
from ioudesk.recovery import services
from ioudesk.recovery.models import RecoveryPlan
from ioudesk.recovery.tests.test_reports import book  # noqa: F401  (the hand-made November)
from tests.test_pages_by_role import english_on

ROLES = [roles.ADMINISTRATOR, roles.ACCOUNT_MANAGER, roles.APPROVER, roles.FINANCE, roles.COLLECTOR,
         roles.COLLECTION_MANAGER, roles.AUDITOR]
TABS = ("activity", "kept", "recovered", "roll", "cure", "cost")


@pytest.mark.django_db
def test_pages_as_every_role(book, admin_user_zh, make_staff, client):  # noqa: F811
    services.plan_save(plan=RecoveryPlan(name="11月赵磊", scope="collector", collector=book["zhao"],
                                         period_start=date(2026, 11, 1), deadline=date(2026, 11, 30),
                                         target=Decimal("3000")), user=admin_user_zh)
    pages = [(reverse("backoffice:collection_reports"), {"tab": tab, "period": "2026-11"}) for tab in TABS]
    pages += [(reverse("backoffice:recovery_report"), {"period": "2026-11"}),
              (reverse("admin:recovery_recoveryplan_changelist"), {}),
              (reverse("admin:recovery_recoveryplan_add"), {})]
    problems = []
    with clock.frozen(date(2026, 12, 15)):
        for n, role in enumerate(ROLES):
            client.force_login(make_staff(f"role{n}", role=role))
            for url, query in pages:
                response = client.get(url, {**query, "lang": "zh-hans"})
                if response.status_code >= 500:
                    problems.append((role, url, response.status_code))
                elif response.status_code == 200:
                    leaks = english_on(response.content.decode())
                    if leaks:
                        problems.append((role, url, leaks[:3]))
    assert problems == []


@pytest.mark.django_db
def test_collector_sees_own_figures(book, make_staff, client):  # noqa: F811
    from ioudesk.core.models import User

    zhao = User.objects.get(pk=book["zhao"].pk)
    from django.contrib.auth.models import Group

    zhao.groups.add(Group.objects.get(name=roles.COLLECTOR))
    client.force_login(zhao)
    with clock.frozen(date(2026, 12, 15)):
        page = client.get(reverse("backoffice:collection_reports"), {"tab": "recovered", "period": "2026-11"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "¥1,000.00" in text and "华信商务" not in text  # the agency's ¥200 is not theirs
    assert 'name="collector"' not in text  # no collector filter to choose someone else
