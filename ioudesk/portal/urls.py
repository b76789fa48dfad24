"""The public pages (customer portal): the loan application and its tracking page. Filled in by issue 12."""

app_name = "portal"
urlpatterns: list = []
