"""Collections pages (H2: the workbench, the case page, the contact form, assignment)."""

urlpatterns: list = []
