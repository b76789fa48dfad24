"""Collections pages (H3: 时效预警, legal cases, the defaulter list)."""

urlpatterns: list = []
