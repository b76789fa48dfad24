"""Drill-down links from a report's figure to the list behind it.

    iou_list_url(params, bucket="M1", live=1)  ->  /admin/ious/iou/?branch_tree=3&bucket=M1&live=1

The IOU list (ioudesk/backoffice/admin/ious.py) accepts: status, branch__id__exact, branch_tree (a branch
and its sub-branches, what a report's 网点 filter means), officer__id__exact, product__id__exact, bucket,
classification__exact, dpd_min, dpd_max (days past due, both inclusive), live=1 (live statuses),
contract_date__gte/__lt, disbursed_on__gte/__lt, written_off_on__gte/__lt, customer__category,
customer__kind, customer__id__exact. Dates are ISO text; `__lt` bounds are exclusive (pass the day after
a period's last day).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

IOU_LIST_PARAMETERS = (
    "status", "branch__id__exact", "branch_tree", "officer__id__exact", "product__id__exact", "bucket",
    "classification__exact", "dpd_min", "dpd_max", "live", "contract_date__gte", "contract_date__lt",
    "disbursed_on__gte", "disbursed_on__lt", "written_off_on__gte", "written_off_on__lt", "customer__category",
    "customer__kind", "customer__id__exact",
)


def _text(value) -> str:
    if value is True:
        return "1"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def params_filters(params) -> dict:
    """A report's dimension filters (ReportParams) as the IOU list's GET parameters."""
    if params is None:
        return {}
    pairs = {
        "branch_tree": params.branch_id, "product__id__exact": params.product_id,
        "officer__id__exact": params.officer_id, "classification__exact": params.classification,
        "bucket": params.bucket, "customer__category": params.category, "customer__kind": params.customer_kind,
        "customer__id__exact": params.customer_id,
    }
    return {key: value for key, value in pairs.items() if value not in (None, "")}


def iou_list_url(params=None, **filters) -> str:
    """The IOU list filtered by the report's dimension filters plus `filters` (which win; None or "" drops
    a parameter the params set). Unknown names raise: a typo must not silently widen the list."""
    unknown = set(filters) - set(IOU_LIST_PARAMETERS)
    if unknown:
        raise ValueError(f"the IOU list does not accept {sorted(unknown)}")
    query = params_filters(params)
    for key, value in filters.items():
        if value is None or value == "" or value is False:
            query.pop(key, None)
            if key == "branch__id__exact":
                query.pop("branch_tree", None)
        else:
            if key == "branch__id__exact":  # an exact branch replaces the report's branch tree
                query.pop("branch_tree", None)
            query[key] = _text(value)
    query = {key: _text(value) for key, value in query.items()}
    base = reverse("admin:ious_iou_changelist")
    return f"{base}?{urlencode(query)}" if query else base


def bills_url(**params) -> str:
    """The receivables bill list (backoffice:receivables_bills) with its own GET parameters."""
    try:
        base = reverse("backoffice:receivables_bills")
    except NoReverseMatch:
        return ""
    query = {key: _text(value) for key, value in params.items() if value not in (None, "")}
    return f"{base}?{urlencode(query)}" if query else base


def report_url(code: str, **params) -> str:
    """Another report's page (backoffice:report) with its filters."""
    try:
        base = reverse("backoffice:report", args=[code])
    except NoReverseMatch:
        return ""
    query = {key: _text(value) for key, value in params.items() if value not in (None, "")}
    return f"{base}?{urlencode(query)}" if query else base
