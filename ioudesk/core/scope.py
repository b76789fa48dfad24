"""The data-scope rule, in one place: a staff member sees the records of their own branch and the
branches under it, unless their role lets them see every branch (系统管理员, 审计) or they are a
superuser. Every list, detail page, export, API endpoint and report filters through here.

A model opts in by naming the path from itself to its Branch (`branch`, `customer__branch` …) in
`scope_branch_field`, or by passing `branch_field=` explicitly.
"""

from __future__ import annotations

from django.db import models

from ioudesk.core.models import Branch

ALL_BRANCHES_PERMISSION = "core.view_all_branches"


def sees_all_branches(user) -> bool:
    return bool(user.is_active and (user.is_superuser or user.has_perm(ALL_BRANCHES_PERMISSION)))


_tree_generation = 0  # bumped when a branch moves, so cached answers in this process are not reused


def branch_tree_changed() -> None:
    global _tree_generation
    _tree_generation += 1


def visible_branch_ids(user) -> list[int] | None:
    """The branch ids a user may see; None means every branch. Remembered on the user object
    (which lives for one request or one command), like Django's own permission cache."""
    key = (user.branch_id, user.is_active, _tree_generation)
    cached = getattr(user, "_ioudesk_visible_branches", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    if sees_all_branches(user):
        result = None
    elif not user.is_active or user.branch_id is None:
        result = []
    else:
        path = Branch.objects.filter(pk=user.branch_id).values_list("path", flat=True).first() or "/-/"
        result = list(Branch.objects.filter(path__startswith=path).values_list("pk", flat=True))
    user._ioudesk_visible_branches = (key, result)
    return result


def scope_queryset(user, queryset: models.QuerySet, branch_field: str | None = None) -> models.QuerySet:
    field = branch_field or getattr(queryset.model, "scope_branch_field", "branch")
    branch_ids = visible_branch_ids(user)
    if branch_ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": branch_ids})


def can_see_branch(user, branch_id: int | None) -> bool:
    branch_ids = visible_branch_ids(user)
    return branch_ids is None or branch_id in branch_ids
