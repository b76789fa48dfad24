"""The root URLconf with 报告管理 / 自定义报表 in the back office's namespace (before E's report pages:
its reports/<code>/ would take reports/custom/) and the 定时报告 admin registered, for F's tests until
the lead's ioudesk/backoffice/urls.py and admin/__init__.py include them (then it adds nothing)."""

from django.contrib import admin
from django.urls import URLResolver, include, path

import ioudesk.backoffice.admin.reports_schedules  # noqa: F401  (registers the ReportSchedule admin)
from config.urls import urlpatterns as root
from ioudesk.backoffice import report_manage_pages
from ioudesk.backoffice import urls as backoffice_urls

_included = any("report_manage_pages" in str(getattr(p, "urlconf_name", "")) for p in backoffice_urls.urlpatterns)
_extra = [] if _included else report_manage_pages.urlpatterns

urlpatterns = []
for pattern in root:
    if isinstance(pattern, URLResolver) and pattern.namespace == "backoffice":
        urlpatterns.append(path("admin/", include(([*_extra, *backoffice_urls.urlpatterns], "backoffice"))))
    elif isinstance(pattern, URLResolver) and pattern.namespace == "admin":
        urlpatterns.append(path("admin/", admin.site.urls))
    else:
        urlpatterns.append(pattern)
