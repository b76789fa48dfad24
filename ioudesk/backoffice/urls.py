from django.urls import path

from ioudesk.backoffice import calculator, twofactor, views

app_name = "backoffice"

urlpatterns = [
    path("area/<slug:area>/", views.AreaPage.as_view(), name="area"),
    path("calculator/", calculator.CalculatorPage.as_view(), name="calculator"),
    path("business-date/", views.BusinessDatePage.as_view(), name="business_date"),
    path("two-factor/", twofactor.TwoFactorPage.as_view(), name="two_factor"),
    path("otp/verify/", twofactor.VerifyPage.as_view(), name="otp_verify"),
]
