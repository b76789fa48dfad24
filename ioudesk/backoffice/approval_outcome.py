"""What an interface says after ``approvals.services.submit_or_run`` (maker-checker, docs/domain.md §23):
the operation was done at once, or an approval request was opened and waits for its approvers."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _


def url_or_none(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def submitted_message(approval_request) -> str:
    """已提交审批（审批单号 SP…, a link to the request），审批通过后自动执行。"""
    url = url_or_none("backoffice:approval_request", approval_request.pk)
    number = (format_html('<a class="text-primary-600 font-semibold underline" href="{}" data-testid="approval-link">'
                          '{}</a>', url, approval_request.number) if url else approval_request.number)
    return format_html(_("已提交审批（审批单号 {number}），审批通过后自动执行。"), number=number)
