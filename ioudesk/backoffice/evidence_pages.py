"""Collections pages (H4: demand letters and the evidence package)."""

urlpatterns: list = []
