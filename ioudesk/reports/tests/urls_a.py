"""The root URLconf with the snapshot pages in the back office's namespace, for A's tests until the
lead's ioudesk/backoffice/urls.py includes ioudesk.backoffice.report_snapshot_pages (then it adds
nothing)."""

from django.urls import URLResolver, include, path

from config.urls import urlpatterns as root
from ioudesk.backoffice import report_snapshot_pages
from ioudesk.backoffice import urls as backoffice_urls

_included = any("report_snapshot_pages" in str(getattr(p, "urlconf_name", "")) for p in backoffice_urls.urlpatterns)
_extra = [] if _included else report_snapshot_pages.urlpatterns

urlpatterns = []
for pattern in root:
    if isinstance(pattern, URLResolver) and pattern.namespace == "backoffice":
        urlpatterns.append(path("admin/", include(([*_extra, *backoffice_urls.urlpatterns], "backoffice"))))
    else:
        urlpatterns.append(pattern)
