from django.contrib import admin
from django.utils.translation import gettext_lazy as _

import ioudesk.backoffice.admin.reminders  # noqa: F401  (还款提醒规则, 提醒记录)
from ioudesk.backoffice import admin_links  # noqa: F401  (links and pickers follow permissions)

from . import (  # noqa: F401
    api,
    applications,
    approvals,
    collections,
    core,
    customer_files,
    customers,
    documents,
    followups,
    ious,
    ledger,
    legal,
    notify,
    products,
    receivables_bills,
    receivables_dunning,
    receivables_imports,
    receivables_receipts,
    receivables_statements,
    recovery,
    reports_schedules,
    reports_settings,
    screening,
    twofactor,
)

admin.site.site_title = _("欠条管家")
admin.site.site_header = _("欠条管家")
admin.site.index_title = _("首页")
