"""Given staff in two branches, when one types the other's record id into a URL, then the record
is not there for them — the data-scope rule of ioudesk.core.scope."""

import pytest
from django.urls import reverse

from ioudesk.core import scope
from ioudesk.core.models import User
from ioudesk.core.roles import AUDITOR


@pytest.fixture
def two_branches(make_branch, make_staff):
    from django.contrib.auth.models import Permission

    branch_a = make_branch("A01", "东城网点")
    branch_b = make_branch("B01", "西城网点")
    view_staff = Permission.objects.get(codename="view_user", content_type__app_label="core")
    alice = make_staff("alice", branch=branch_a)
    alice.user_permissions.add(view_staff)
    bob = make_staff("bob", branch=branch_b)
    return branch_a, branch_b, alice, bob


def test_staff_of_branch_a_cannot_open_branch_b_record_by_id(client, two_branches):
    branch_a, branch_b, alice, bob = two_branches
    client.force_login(alice)

    own = client.get(reverse("admin:core_user_change", args=[alice.pk]))
    other = client.get(reverse("admin:core_user_change", args=[bob.pk]), follow=True)

    assert own.status_code == 200
    # Django admin answers an id outside the queryset like one that never existed.
    assert other.redirect_chain[0][0] == reverse("admin:index")
    assert "bob" not in other.content.decode().split("不存在")[0].split("<main")[-1]
    assert "不存在" in other.content.decode()


def test_list_shows_only_own_branch(client, two_branches):
    branch_a, branch_b, alice, bob = two_branches
    client.force_login(alice)

    page = client.get(reverse("admin:core_user_changelist")).content.decode()

    assert f'/admin/core/user/{alice.pk}/change/' in page
    assert f'/admin/core/user/{bob.pk}/change/' not in page


def test_parent_branch_sees_its_sub_branches(make_branch, make_staff):
    district = make_branch("D01", "朝阳区分部")
    sub = make_branch("D0101", "望京网点", parent=district)
    other = make_branch("E01", "海淀区分部")
    manager = make_staff("manager", branch=district)

    visible = scope.scope_queryset(manager, User.objects.all())

    assert set(scope.visible_branch_ids(manager)) == {district.pk, sub.pk}
    assert other.pk not in scope.visible_branch_ids(manager)
    assert list(visible) == [manager]


def test_auditor_and_superuser_see_every_branch(two_branches, make_staff, admin_user_zh):
    branch_a, branch_b, alice, bob = two_branches
    auditor = make_staff("auditor", role=AUDITOR, branch=branch_a)

    assert scope.visible_branch_ids(auditor) is None
    assert scope.visible_branch_ids(admin_user_zh) is None
    assert bob in scope.scope_queryset(auditor, User.objects.all())


def test_user_without_branch_sees_nothing(organisation, django_user_model):
    loner = django_user_model.objects.create_user(username="loner", password="x-Secret-2026", is_staff=True)

    assert scope.visible_branch_ids(loner) == []
    assert not scope.scope_queryset(loner, User.objects.all()).exists()


def test_moving_a_branch_moves_its_subtree(make_branch, make_staff):
    from ioudesk.core.services import branch_save

    north = make_branch("N01", "北区")
    south = make_branch("S01", "南区")
    shop = make_branch("N0101", "北区一店", parent=north)
    south_manager = make_staff("south", branch=south)
    assert shop.pk not in scope.visible_branch_ids(south_manager)

    north.parent = south
    branch_save(branch=north)

    assert shop.pk in scope.visible_branch_ids(south_manager)
