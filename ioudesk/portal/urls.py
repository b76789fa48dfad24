"""The public pages (customer portal): the loan application and its tracking page."""

from django.urls import path

from ioudesk.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.ApplyView.as_view(), name="apply"),
    path("track/", views.TrackView.as_view(), name="track"),
    path("s/<str:token>/", views.StatusView.as_view(), name="status"),
    path("s/<str:token>/upload/<int:requirement>/", views.UploadView.as_view(), name="upload"),
    path("s/<str:token>/offer/", views.OfferView.as_view(), name="offer"),
    path("s/<str:token>/withdraw/", views.WithdrawView.as_view(), name="withdraw"),
]
