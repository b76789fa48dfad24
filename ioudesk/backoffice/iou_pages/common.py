"""Small helpers shared by the IOU pages."""

from __future__ import annotations

from django import forms
from django.urls import NoReverseMatch, reverse

from ioudesk.calc.money import parse_amount
from ioudesk.ious.terms import calc_guard

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
NUMBER = forms.TextInput(attrs={"inputmode": "numeric"})  # styled like the other inputs


def url_or_none(name: str, *args) -> str | None:
    """A link to a page another feature may not have built yet (documents: PDFs)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def amount_of(value, field: str):
    """An amount as typed (12,345.67) → Decimal, or the calc engine's message."""
    return calc_guard(parse_amount, value, field=field)
