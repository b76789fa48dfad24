"""The IOU pages of the back office: create (借款按产品 / 欠条 / 借条), the IOU page, and one small form
page per action. Each action: the domain's predicate allows it (``ioudesk/ious/predicates.py``, the one the
service refuses with) and the user has the permission → a button; POST → one service call → message and back to the IOU;
an ApplicationError is shown in the form and nothing is posted."""

from django.urls import path

from ioudesk.backoffice.iou_pages.actions import IouActionPage
from ioudesk.backoffice.iou_pages.create import CustomerSearchView, IouCreatePage
from ioudesk.backoffice.iou_pages.detail import IouDetailPage

urlpatterns = [
    path("ious/new/", IouCreatePage.as_view(), name="iou_create"),
    path("ious/customer-search/", CustomerSearchView.as_view(), name="iou_customer_search"),
    path("ious/<int:pk>/", IouDetailPage.as_view(), name="iou_detail"),
    # "actions/" so that no other page under ious/<pk>/ (the PDFs …) is shadowed, whatever the include order
    path("ious/<int:pk>/actions/<slug:action>/", IouActionPage.as_view(), name="iou_action"),
]
