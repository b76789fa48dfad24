"""The seeded roles (groups) and their permissions.

A role lists permission patterns `app_label.codename`, where the codename may be `*`, `view_*`,
`add_*` …; `roles_sync()` grants every existing permission that matches, so a role picks up the
permissions of apps added later the next time it runs (`ioudesk setup` runs it at every start).
"""

from __future__ import annotations

from fnmatch import fnmatch

from django.contrib.auth.models import Group, Permission
from django.db import transaction

ADMINISTRATOR = "系统管理员"
ACCOUNT_MANAGER = "客户经理"
APPROVER = "审批员"
FINANCE = "财务"
COLLECTOR = "催收员"
COLLECTION_MANAGER = "催收主管"
AUDITOR = "审计"

DOMAIN_APPS = ("customers", "products", "ious", "ledger", "applications", "approvals", "collections",
               "legal", "recovery", "documents", "notify", "reports", "receivables")

ROLES: dict[str, list[str]] = {
    ADMINISTRATOR: ["*.*"],
    ACCOUNT_MANAGER: [
        "customers.*", "applications.*", "ious.view_*", "ious.add_*", "ious.change_iou", "products.view_*",
        "collections.view_*", "approvals.view_*", "documents.view_*",
        # reports of their branches, kept and custom ones; the regulator's table is 财务's
        "reports.view_reports", "reports.export_reports", "reports.view_generatedreport", "reports.add_generatedreport",
        "reports.view_savedpivot", "reports.add_savedpivot", "reports.change_savedpivot", "reports.delete_savedpivot",
        # the rules and score card their applications are screened by; the messages their customers were sent
        "screening.view_*", "notify.view_message", "notify.view_deliveryattempt",
        # 往来账款: their customers' bills, entered and sent for sign-off; the statements they hand over
        "receivables.view_*", "receivables.add_bill", "receivables.change_bill", "receivables.add_billattachment",
        "receivables.add_accountstatement",
    ],
    APPROVER: [
        "customers.view_*", "applications.view_*", "approvals.*", "ious.view_*", "ious.approve_iou", "products.view_*",
        # 五级分类 set by hand (worse than the floor by days past due; audited)
        "ious.classify_iou",
        "reports.view_reports", "reports.export_reports", "reports.view_generatedreport", "reports.add_generatedreport",
        "reports.view_savedpivot", "reports.add_savedpivot", "reports.change_savedpivot", "reports.delete_savedpivot",
        # what an application was screened and scored by (explainable: docs/domain.md §24)
        "screening.view_*",
        # the bills and credit overrides they sign off
        "receivables.view_*",
    ],
    FINANCE: [
        "customers.view_*", "ious.view_*", "ious.disburse_iou", "ious.record_repayment", "ious.reverse_transaction",
        "ious.waive_iou", "ious.extend_iou", "ious.write_off_iou", "ledger.*", "products.*", "reports.*", "documents.view_*",
        "applications.view_*",
        # the approval requests of the write-offs, waivers, reversals and refunds they submit
        "approvals.view_approvalrequest",
        # the daily close's history, progress and failures (日终); starting it is the administrator's
        "closing.view_*",
        # 往来账款: bills, receipts and matching, bank statements, statements of account (the finance clerk's work)
        "receivables.*",
    ],
    COLLECTOR: [
        # add_followup: contact records for the customers whose IOUs they collect (ioudesk.customers.permissions)
        "customers.view_*", "customers.view_sensitive_customer", "customers.add_followup", "ious.view_*",
        # the message log of their branches (what a debtor was sent) and a debtor's 退订 taken on the phone;
        # resending, templates and the sending rules are the administrator's
        "notify.view_message", "notify.view_deliveryattempt", "notify.view_optout",
        "notify.add_optout", "documents.view_*",
        # collections: their cases (docs/domain.md §20), contact records with evidence and promises, demand
        # letters; assigning cases, strategies, rules and agencies are the 催收主管's
        "collections.view_*", "collections.add_contactrecord", "collections.add_promise",
        "collections.add_contactattachment", "legal.view_*", "legal.issue_demand_letter", "recovery.view_*",
        # the overdue bills behind their cases
        "receivables.view_bill", "receivables.view_billdue", "receivables.view_billline",
    ],
    COLLECTION_MANAGER: [
        # the collection team's lead: every case of their branches (collections.view_branch_cases by
        # collections.*), assignment, strategies, rules, agencies; legal cases; recovery plans
        "collections.*", "legal.*", "recovery.*", "customers.view_*", "customers.view_sensitive_customer",
        "customers.add_followup", "ious.view_*", "notify.view_*", "notify.add_optout", "documents.view_*",
        "receivables.view_*",
        # the recovery and aging reports of their branches
        "reports.view_reports", "reports.export_reports", "reports.view_generatedreport", "reports.add_generatedreport",
        "reports.view_savedpivot", "reports.add_savedpivot", "reports.change_savedpivot", "reports.delete_savedpivot",
    ],
    AUDITOR: [
        "*.view_*", "core.view_all_branches",
    ],
}

# Permissions no role gets by pattern: the trail is read-only for everyone.
NEVER_GRANTED = {"core.add_auditevent", "core.change_auditevent", "core.delete_auditevent"}


def _matches(permission: Permission, patterns: list[str]) -> bool:
    key = f"{permission.content_type.app_label}.{permission.codename}"
    if key in NEVER_GRANTED:
        return False
    if permission.codename.startswith(("view_sensitive", "view_branch")):
        # Seeing personal data in full, or every record of the branch where a role otherwise sees its
        # own (collections.view_branch_cases), is never implied by "view_*": a role names it, or has "*".
        return any(pattern == key or pattern.endswith(".*") and fnmatch(key, pattern) for pattern in patterns)
    return any(fnmatch(key, pattern) for pattern in patterns)


@transaction.atomic
def roles_sync() -> dict[str, int]:
    """Create the seeded roles and give each exactly the permissions its patterns match."""
    permissions = list(Permission.objects.select_related("content_type"))
    counts = {}
    for name, patterns in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        granted = [p for p in permissions if _matches(p, patterns)]
        group.permissions.set(granted)
        counts[name] = len(granted)
    return counts
