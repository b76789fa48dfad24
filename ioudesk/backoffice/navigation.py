"""The sidebar: the areas of the product, in the order a debt lives.

Areas whose features have not been built yet link to a page that says so plainly; each later
feature replaces its area's placeholder with real entries.
"""

from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


def _perm(codename):
    return lambda request: request.user.has_perm(codename)


def _placeholder(area: str, title, icon: str):
    return {"title": title, "icon": icon, "link": reverse_lazy("backoffice:area", args=[area])}


# URL names of sidebar entries left out because their page does not exist: a feature being built
# may not have registered it yet, but in a finished build this stays empty (tests/test_pages_by_role.py).
MISSING_PAGES: set[str] = set()


def _items(*entries):
    """Sidebar entries whose page exists (a feature being built may not have registered it yet)."""
    items = []
    for title, icon, url_name, permission, *badge in entries:
        try:
            link = reverse(url_name)
        except NoReverseMatch:
            MISSING_PAGES.add(url_name)
            continue
        item = {"title": title, "icon": icon, "link": link}
        if permission:
            item["permission"] = _perm(permission)
        if badge:  # a dotted path called with the request (a count shown next to the entry): see _badges
            item["badge"] = badge[0]
        items.append(item)
    return items


def _badges(request, groups):
    """Each entry's badge worked out for this request: the count as text, or no badge when the callable
    gives nothing. (Unfold shows any badge whose path is set and prints the callable's None as "NONE".)"""
    for group in groups:
        for item in group["items"]:
            path = item.pop("badge", None)
            if path:
                value = import_string(path)(request)
                if value:
                    item["badge"] = str(value)
    return groups


def sidebar(request):
    return _badges(request, [
        {
            "title": _("工作台"),
            "items": [
                {"title": _("首页"), "icon": "dashboard", "link": reverse_lazy("admin:index")},
                {"title": _("贷款计算器"), "icon": "calculate", "link": reverse_lazy("backoffice:calculator")},
                {"title": _("后台作业"), "icon": "pending_actions", "link": reverse_lazy("backoffice:jobs")},
            ],
        },
        {"title": _("客户"), "collapsible": True, "items": _items(
            (_("客户管理"), "group", "admin:customers_customer_changelist", "customers.view_customer"),
            (_("客户资料"), "folder_open", "admin:customers_customerfile_changelist", "customers.view_customerfile"),
            (_("潜在客户"), "person_add", "admin:customers_prospect_changelist", "customers.view_prospect"),
            (_("跟进记录"), "forum", "admin:customers_followup_changelist", "customers.view_followup"),
            (_("我今天的跟进"), "today", "backoffice:my_follow_ups", "customers.view_followup"),
            (_("客户统计"), "monitoring", "backoffice:customer_stats", "customers.view_customer"),
            (_("导入客户"), "upload_file", "backoffice:customer_import", "customers.import_customer"),
            (_("我的导入"), "history", "backoffice:customer_import_jobs", "customers.import_customer"),
            (_("客户标签"), "sell", "admin:customers_tag_changelist", "customers.view_tag"),
            (_("来源渠道"), "hub", "admin:customers_sourcechannel_changelist", "customers.view_sourcechannel"),
        )},
        {"title": _("申请"), "collapsible": True, "items": _items(
            (_("贷款申请"), "edit_note", "admin:applications_application_changelist", "applications.view_application"),
            (_("录入申请"), "note_add", "backoffice:application_create", "applications.add_application"),
            (_("申请材料清单"), "checklist", "admin:applications_materialrequirement_changelist",
             "applications.view_materialrequirement"),
            (_("产品申请设置"), "public", "admin:applications_applicationproduct_changelist",
             "applications.view_applicationproduct"),
            (_("初筛规则"), "rule", "admin:screening_screeningrule_changelist", "screening.view_screeningrule"),
            (_("评分卡"), "scoreboard", "admin:screening_scorecard_changelist", "screening.view_scorecard"),
        ) or [_placeholder("applications", _("贷款申请"), "edit_note")]},
        {"title": _("审批"), "collapsible": True, "items": _items(
            (_("待我审批"), "fact_check", "backoffice:approvals_inbox", "approvals.decide_approvalrequest",
             "ioudesk.backoffice.approval_pages.inbox_badge"),
            (_("审批单"), "assignment", "admin:approvals_approvalrequest_changelist", "approvals.view_approvalrequest"),
            (_("审批统计"), "monitoring", "backoffice:approval_stats", "approvals.view_approvalrequest"),
            (_("审批流设置"), "account_tree", "admin:approvals_approvalflow_changelist", "approvals.view_approvalflow"),
            (_("审批组"), "groups", "admin:approvals_approvergroup_changelist", "approvals.view_approvergroup"),
            (_("审批委派"), "move_up", "admin:approvals_delegation_changelist", "approvals.view_delegation"),
        ) or [_placeholder("approvals", _("审批任务"), "fact_check")]},
        {"title": _("借据"), "collapsible": True, "items": _items(
            (_("借据管理"), "receipt_long", "admin:ious_iou_changelist", "ious.view_iou"),
            (_("新建借据"), "note_add", "backoffice:iou_create", "ious.add_iou"),
            (_("贷款产品"), "inventory_2", "admin:products_product_changelist", "products.view_product"),
            (_("试算平衡表"), "balance", "backoffice:ledger_trial_balance", "ledger.view_account"),
            (_("会计凭证"), "book", "admin:ledger_journalentry_changelist", "ledger.view_journalentry"),
            (_("会计科目"), "account_balance", "admin:ledger_account_changelist", "ledger.view_account"),
        ) or [_placeholder("ious", _("借据管理"), "receipt_long")]},
        {"title": _("往来"), "collapsible": True, "items": _items(
            (_("往来总览"), "account_balance_wallet", "backoffice:receivables_overview", "receivables.view_bill"),
            (_("应收单"), "request_quote", "backoffice:receivables_bills", "receivables.view_bill"),
            (_("新建单据"), "note_add", "backoffice:receivables_bill_create", "receivables.add_bill"),
            (_("应付与采购"), "shopping_cart", "backoffice:receivables_payables", "receivables.view_bill"),
            (_("收付款"), "payments", "backoffice:receivables_receipts", "receivables.view_receipt"),
            (_("待核销"), "rule", "backoffice:receivables_match_queue", "receivables.match_receipt",
             "ioudesk.backoffice.receivable_match_pages.queue_badge"),
            (_("银行流水导入"), "upload_file", "backoffice:receivables_import", "receivables.import_bankstatement"),
            (_("对账单"), "fact_check", "backoffice:receivables_statements", "receivables.view_accountstatement"),
            (_("单据导入"), "table_view", "backoffice:receivables_bill_import", "receivables.add_bill"),
            (_("往来单位设置"), "handshake", "admin:receivables_counterpartyprofile_changelist",
             "receivables.view_counterpartyprofile"),
            (_("付款条件"), "schedule", "admin:receivables_paymentterms_changelist", "receivables.view_paymentterms"),
            (_("核销规则"), "tune", "admin:receivables_matchrule_changelist", "receivables.view_matchrule"),
            (_("往来设置"), "settings", "admin:receivables_receivablessettings_changelist",
             "receivables.change_receivablessettings"),
        ) or [_placeholder("receivables", _("往来账款"), "account_balance_wallet")]},
        {"title": _("催收"), "collapsible": True, "items": _items(
            (_("催收工作台"), "campaign", "backoffice:collections_workbench", "collections.view_case"),
            (_("催收案件"), "folder_open", "admin:collections_case_changelist", "collections.view_case"),
            (_("催收记录"), "call", "admin:collections_contactrecord_changelist", "collections.view_contactrecord"),
            (_("承诺还款"), "handshake", "admin:collections_promise_changelist", "collections.view_promise"),
            (_("时效预警"), "hourglass_bottom", "backoffice:legal_limitation", "ious.view_iou"),
            (_("法律诉讼"), "gavel", "admin:legal_legalcase_changelist", "legal.view_legalcase"),
            (_("失信名单"), "person_off", "admin:legal_defaulter_changelist", "legal.view_defaulter"),
            (_("回收计划"), "flag", "admin:recovery_recoveryplan_changelist", "recovery.view_recoveryplan"),
            (_("回收报告"), "summarize", "backoffice:recovery_report", "recovery.view_recoveryplan"),
            (_("催收报表"), "monitoring", "backoffice:collection_reports", "collections.view_case"),
            (_("催收策略"), "alt_route", "admin:collections_strategy_changelist", "collections.view_strategy"),
            (_("分案规则"), "rule", "admin:collections_assignmentrule_changelist", "collections.view_assignmentrule"),
            (_("委外机构"), "apartment", "admin:collections_agency_changelist", "collections.view_agency"),
            (_("催收员设置"), "badge", "admin:collections_collectorprofile_changelist",
             "collections.view_collectorprofile"),
            (_("催收设置"), "tune", "admin:collections_collectionsettings_changelist",
             "collections.change_collectionsettings"),
            (_("提醒与催款规则"), "notifications_active", "admin:reminders_reminderrule_changelist",
             "reminders.view_reminderrule"),
            (_("提醒计划"), "event_upcoming", "backoffice:reminder_plan", "reminders.view_reminder"),
            (_("提醒记录"), "history", "admin:reminders_reminder_changelist", "reminders.view_reminder"),
            (_("单据提醒记录"), "mark_email_read", "admin:receivables_billreminder_changelist",
             "receivables.view_billreminder"),
        ) or [_placeholder("collections", _("催收管理"), "campaign")]},
        {"title": _("报表"), "collapsible": True, "items": _items(
            (_("报表中心"), "bar_chart", "backoffice:reports_index", "reports.view_reports"),
            (_("自定义报表"), "pivot_table_chart", "backoffice:reports_custom", "reports.view_reports"),
            (_("报告管理"), "folder_special", "backoffice:reports_generated", "reports.view_generatedreport"),
            (_("定时报告"), "schedule_send", "admin:reports_reportschedule_changelist", "reports.view_reportschedule"),
            (_("月末快照"), "photo_camera", "backoffice:reports_snapshots", "reports.view_monthsnapshot"),
            (_("报表设置"), "tune", "admin:reports_reportsettings_changelist", "reports.change_reportsettings"),
        ) or [_placeholder("reports", _("统计报表"), "bar_chart")]},
        {"title": _("消息"), "collapsible": True, "items": _items(
            (_("站内消息"), "notifications", "backoffice:inbox", None),
            (_("消息记录"), "outgoing_mail", "admin:notify_message_changelist", "notify.view_message"),
            (_("消息模板"), "edit_note", "admin:notify_messagetemplate_changelist", "notify.view_messagetemplate"),
            (_("退订记录"), "unsubscribe", "admin:notify_optout_changelist", "notify.view_optout"),
            (_("发送设置"), "schedule_send", "admin:notify_notifysettings_changelist", "notify.change_notifysettings"),
        )},
        {
            "title": _("系统设置"),
            "collapsible": True,
            "items": [
                {
                    "title": _("机构设置"), "icon": "apartment",
                    "link": reverse_lazy("admin:core_organisation_changelist"),
                    "permission": _perm("core.view_organisation"),
                },
                {
                    "title": _("营业日"), "icon": "event",
                    "link": reverse_lazy("backoffice:business_date"),
                    "permission": _perm("core.set_business_date"),
                },
                {
                    "title": _("日终"), "icon": "event_repeat",
                    "link": reverse_lazy("backoffice:close_runs"),
                    "permission": _perm("closing.view_closerun"),
                },
                {
                    "title": _("日终设置"), "icon": "schedule",
                    "link": reverse_lazy("backoffice:close_settings"),
                    "permission": _perm("closing.change_closesettings"),
                },
                {
                    "title": _("网点"), "icon": "account_tree",
                    "link": reverse_lazy("admin:core_branch_changelist"),
                    "permission": _perm("core.view_branch"),
                },
                {
                    "title": _("员工"), "icon": "badge",
                    "link": reverse_lazy("admin:core_user_changelist"),
                    "permission": _perm("core.view_user"),
                },
                {
                    "title": _("角色"), "icon": "admin_panel_settings",
                    "link": reverse_lazy("admin:auth_group_changelist"),
                    "permission": _perm("auth.view_group"),
                },
                {
                    "title": _("审计日志"), "icon": "policy",
                    "link": reverse_lazy("admin:core_auditevent_changelist"),
                    "permission": _perm("core.view_auditevent"),
                },
                {
                    "title": _("接口令牌"), "icon": "key",
                    "link": reverse_lazy("admin:api_apitoken_changelist"),
                    "permission": _perm("api.view_apitoken"),
                },
                {
                    "title": _("接口文档"), "icon": "api",
                    "link": "/api/v1/docs",
                },
                {
                    "title": _("双重验证设备"), "icon": "phonelink_lock",
                    "link": reverse_lazy("backoffice:two_factor"),
                },
            ],
        },
    ])


def environment_callback(request):
    """The business date in the header of every page, so the back office always says which day it
    is open for; highlighted when it is not today's date (back-dated, a demo) or when days before it
    are not closed yet (the close is behind: 未日终 N 天)."""
    from django.utils import timezone

    from ioudesk.closing.selectors import closed_through
    from ioudesk.core import clock

    day = clock.today()
    closed = closed_through()
    behind = (day - closed).days - 1 if closed is not None else 0
    if behind > 0:
        return [_("营业日 %(day)s · 未日终 %(n)s 天") % {"day": day.isoformat(), "n": behind}, "warning"]
    return [_("营业日 %(day)s") % {"day": day.isoformat()}, "info" if day == timezone.localdate() else "warning"]
