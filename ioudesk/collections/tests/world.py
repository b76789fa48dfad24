"""What the collections tests (and the collections pages' tests) build once per module: the staff of
every role a case involves, the debtor 王建国 and the seeded strategies, in a transaction rolled back at
the module's end; each test then runs in a savepoint of it (pytest-django's `db`)."""

from __future__ import annotations

from contextlib import contextmanager

STAFF = (("zhangwei", "客户经理"), ("liuyang", "审批员"), ("chenjing", "财务"), ("zhaolei", "催收员"),
         ("sunli", "催收主管"))


@contextmanager
def rolled_back(django_db_blocker):
    """For a module-scoped fixture: what is built inside is undone when the module ends."""
    from django.db import transaction

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def staff_and_debtor(*, extra_staff=()):
    """The organisation with its roles and chart, one user per (name, role) of STAFF + extra_staff in
    the head office, the debtor 王建国 (their 客户经理 zhangwei) and the default strategies.
    Returns (head_office, {name: user}, debtor)."""
    from django.contrib.auth.models import Group

    from ioudesk.collections.services import strategy_defaults_ensure
    from ioudesk.core.models import User
    from ioudesk.core.roles import roles_sync
    from ioudesk.core.services import organisation_ensure
    from ioudesk.customers.models import Customer
    from ioudesk.customers.services import customer_create
    from ioudesk.ledger.services import chart_ensure

    organisation = organisation_ensure()
    roles_sync()
    chart_ensure()
    head_office = organisation.branches.get(parent__isnull=True)
    people = {}
    for username, role in (*STAFF, *extra_staff):
        user = User.objects.create_user(username=username, password="Secret-pass-2026", branch=head_office,
                                        is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        people[username] = user
    debtor = customer_create(customer=Customer(kind="individual", branch=head_office, name="王建国",
                                               id_number="11010519491231002X", phone="13901012345"),
                             user=people["zhangwei"])
    strategy_defaults_ensure()
    return head_office, people, debtor
