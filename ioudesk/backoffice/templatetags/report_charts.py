"""{% report_print_charts result as charts %}: a report's charts for the print view, each {"title", "svg"}
with the chart drawn on the server as an inline SVG (ioudesk.reports.chart_draw; no script in print)."""

from django import template

register = template.Library()


@register.simple_tag
def report_print_charts(result):
    from ioudesk.reports.render import print_charts

    return print_charts(result) if result is not None else []
