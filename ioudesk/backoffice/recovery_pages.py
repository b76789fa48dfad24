"""Collections pages (H5: recovery plans, the recovery report, collection reports)."""

urlpatterns: list = []
