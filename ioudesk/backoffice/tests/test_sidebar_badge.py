"""The sidebar's badges (待我审批's count): shown as the number, and not at all when there is nothing
to count (Unfold printed the callable's None as a red "NONE" chip)."""

import re

from django.test import RequestFactory

from ioudesk.backoffice import navigation


def count_three(request):
    return 3


def count_none(request):
    return None


def test_a_badge_shows_the_count_and_none_when_there_is_nothing():
    request = RequestFactory().get("/admin/")
    here = __name__
    groups = [{"title": "审批", "items": [{"title": "有", "badge": f"{here}.count_three"},
                                          {"title": "无", "badge": f"{here}.count_none"},
                                          {"title": "不计数"}]}]
    first, second, third = navigation._badges(request, groups)[0]["items"]
    assert first["badge"] == "3"
    assert "badge" not in second and "badge" not in third


def test_an_approver_with_nothing_to_decide_sees_no_badge(client, approver):
    client.force_login(approver)
    html = client.get("/admin/").content.decode()
    entry = re.search(r"待我审批(.{0,1500}?)</a>", html, re.S)
    assert entry is not None
    assert not re.search(r">\s*None\s*<", entry.group(1))
