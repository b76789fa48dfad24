from django.urls import include, path

from ioudesk.backoffice import calculator, customer_pages, twofactor, views

app_name = "backoffice"

urlpatterns = [
    path("area/<slug:area>/", views.AreaPage.as_view(), name="area"),
    path("calculator/", calculator.CalculatorPage.as_view(), name="calculator"),
    path("customers/<int:pk>/overview/", customer_pages.CustomerOverviewPage.as_view(), name="customer_overview"),
    path("business-date/", views.BusinessDatePage.as_view(), name="business_date"),
    path("two-factor/", twofactor.TwoFactorPage.as_view(), name="two_factor"),
    path("otp/verify/", twofactor.VerifyPage.as_view(), name="otp_verify"),
    path("", include("ioudesk.backoffice.customer_files")),
    path("", include("ioudesk.backoffice.followup_pages")),
    path("", include("ioudesk.backoffice.customer_excel")),
    # before iou_pages: its "ious/<int:pk>/<slug:action>/" would otherwise take "ious/<pk>/pdf/"
    path("", include("ioudesk.backoffice.document_views")),
    path("", include("ioudesk.backoffice.iou_pages")),
    path("", include("ioudesk.backoffice.ledger_pages")),
    path("", include("ioudesk.backoffice.close_pages")),
    path("", include("ioudesk.backoffice.reminder_pages")),
    path("", include("ioudesk.backoffice.notify_pages")),
    path("", include("ioudesk.backoffice.collection_pages")),
    path("", include("ioudesk.backoffice.legal_pages")),
    path("", include("ioudesk.backoffice.evidence_pages")),
    path("", include("ioudesk.backoffice.recovery_pages")),
    path("", include("ioudesk.backoffice.approval_pages")),
    path("", include("ioudesk.backoffice.application_pages")),
    path("", include("ioudesk.backoffice.approval_stats_pages")),
    path("", include("ioudesk.backoffice.receivable_bill_pages")),
    path("", include("ioudesk.backoffice.receivable_match_pages")),
    path("", include("ioudesk.backoffice.receivable_import_pages")),
    path("", include("ioudesk.backoffice.receivable_statement_pages")),
    path("", include("ioudesk.backoffice.report_manage_pages")),
    path("", include("ioudesk.backoffice.report_pages")),
    path("", include("ioudesk.backoffice.report_snapshot_pages")),
]
