from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from ioudesk.api.urls import api
from ioudesk.backoffice.api_docs import ApiDocsPage

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("favicon.ico", RedirectView.as_view(url="/static/ioudesk/favicon.svg", permanent=True)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/docs", ApiDocsPage.as_view(), name="api_docs"),  # before the API: its own page, not Swagger
    path("api/v1/", api.urls),
    path("apply/captcha/", include("captcha.urls")),  # django-simple-captcha's image (no namespace)
    path("apply/", include("ioudesk.portal.urls")),
    path("admin/", include("ioudesk.backoffice.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "ioudesk.core.views.bad_request"
handler403 = "ioudesk.core.views.permission_denied"
handler404 = "ioudesk.core.views.page_not_found"
handler500 = "ioudesk.core.views.server_error"
