"""{% print_head %}: the organisation's name and the business date, shown only when a page is printed
(the print stylesheet of backoffice.css hides the sidebar and header and shows this line instead)."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from ioudesk.core import clock

register = template.Library()


@register.simple_tag(takes_context=True)
def print_head(context, title=""):
    from ioudesk.core.services import organisation_current

    try:
        name = organisation_current().name
    except Exception:  # noqa: BLE001 - a page prints without its organisation rather than failing
        name = ""
    return format_html('<div class="ioudesk-print-head" aria-hidden="true"><span>{}</span><span>{}</span>'
                       "<span>{}</span></div>", name, title or context.get("title") or "",
                       _("数据日期 %(day)s") % {"day": clock.today().isoformat()})
