"""Template filters for the product's display rules: amounts as ¥12,345.67, dates as 2026-11-28."""

from decimal import Decimal

from django import template

from ioudesk.calc.money import format_yuan
from ioudesk.calc.words import amount_in_words

register = template.Library()


@register.filter
def yuan(amount):
    """{{ amount|yuan }} → ¥12,345.67; empty for None."""
    if amount is None or amount == "":
        return ""
    return format_yuan(Decimal(str(amount)))


@register.filter
def amount(value):
    """{{ value|amount }} → 12,345.67 (no symbol, for table columns)."""
    if value is None or value == "":
        return ""
    return f"{Decimal(str(value)):,.2f}"


@register.filter
def in_words(value):
    return amount_in_words(Decimal(str(value)), prefix=False)


@register.filter
def isodate(value):
    return value.isoformat() if value else ""
