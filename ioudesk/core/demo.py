"""Demo data for `make demo`: a realistic small lender with branches and staff in every role.

Idempotent: running it twice changes nothing. Later features add their own demo records through
`DEMO_LOADERS` (customers, IOUs in every state …)."""

from __future__ import annotations

import os

from django.contrib.auth.models import Group
from django.db import transaction

from ioudesk.core.models import Branch, User
from ioudesk.core.roles import (
    ACCOUNT_MANAGER,
    APPROVER,
    AUDITOR,
    COLLECTION_MANAGER,
    COLLECTOR,
    FINANCE,
    roles_sync,
)
from ioudesk.core.services import branch_save, organisation_ensure

DEMO_PASSWORD_ENV = "IOUDESK_DEMO_PASSWORD"
DEFAULT_DEMO_PASSWORD = "Demo-2026-iou"

BRANCHES = [
    # code, name, parent code
    ("BJ", "北京分部", "HQ"),
    ("BJ01", "朝阳网点", "BJ"),
    ("BJ02", "海淀网点", "BJ"),
    ("SH", "上海分部", "HQ"),
    ("SH01", "浦东网点", "SH"),
]

STAFF = [
    # username, surname, given name, branch code, role
    ("zhangwei", "张", "伟", "BJ01", ACCOUNT_MANAGER),
    ("wangfang", "王", "芳", "BJ02", ACCOUNT_MANAGER),
    ("lina", "李", "娜", "SH01", ACCOUNT_MANAGER),
    ("liuyang", "刘", "洋", "BJ", APPROVER),
    ("wugang", "吴", "刚", "HQ", APPROVER),
    ("chenjing", "陈", "静", "HQ", FINANCE),
    ("yangli", "杨", "丽", "SH", FINANCE),
    ("zhaolei", "赵", "磊", "BJ01", COLLECTOR),
    ("huangmin", "黄", "敏", "SH01", COLLECTOR),
    ("sunli", "孙", "丽", "BJ", COLLECTION_MANAGER),
    ("zhouqiang", "周", "强", "HQ", AUDITOR),
]

# Each feature's demo loader, as a dotted path to a function returning summary lines.
DEMO_LOADERS = ["ioudesk.customers.demo.load", "ioudesk.ious.demo.load", "ioudesk.notify.demo.load",
                "ioudesk.reminders.demo.load", "ioudesk.collections.demo.load", "ioudesk.legal.demo.load",
                "ioudesk.recovery.demo.load", "ioudesk.applications.demo.load",
                "ioudesk.receivables.demo.load", "ioudesk.reports.demo.load"]


@transaction.atomic
def load_demo_data() -> list[str]:
    organisation = organisation_ensure()
    if organisation.name == "欠条管家示范机构":
        organisation.name, organisation.short_name = "华信小额信贷服务有限公司", "华信信贷"
        organisation.save(update_fields=["name", "short_name"])
    roles_sync()
    branches = {b.code: b for b in organisation.branches.all()}
    for code, name, parent_code in BRANCHES:
        if code not in branches:
            branches[code] = branch_save(
                branch=Branch(organisation=organisation, code=code, name=name, parent=branches[parent_code])
            )
    password = os.environ.get(DEMO_PASSWORD_ENV) or DEFAULT_DEMO_PASSWORD
    created = 0
    for username, surname, given, branch_code, role in STAFF:
        if User.objects.filter(username=username).exists():
            continue
        user = User.objects.create_user(
            username=username, password=password, last_name=surname, first_name=given,
            branch=branches[branch_code], is_staff=True,
        )
        user.groups.add(Group.objects.get(name=role))
        created += 1
    summary = [
        f"机构：{organisation.name}，网点 {len(branches)} 个",
        f"员工 {len(STAFF)} 名（本次新建 {created} 名），密码均为 {password}：",
        *[f"  {u}（{s}{g}，{role}，{code}）" for u, s, g, code, role in STAFF],
    ]
    from django.utils.module_loading import import_string

    for loader in DEMO_LOADERS:
        summary.extend(import_string(loader)())
    return summary
