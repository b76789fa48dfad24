"""单据提醒记录 in the back office: every 到期提醒, 催款通知 and payables note the close recorded for an
open item (``receivables.BillReminder``, written by ``ioudesk.receivables.dunning``), read only and
scoped to the user's branches (by the open item's branch). The rules are the reminder rules
(还款提醒规则 with 适用于 应收单据 / 应付单据)."""

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display

from ioudesk.backoffice.mixins import ScopedAdminMixin, readonly_admin
from ioudesk.calc.money import format_yuan
from ioudesk.receivables.models import BillReminder
from ioudesk.reminders.models import ReminderChannel


@admin.register(BillReminder)
@readonly_admin
class BillReminderAdmin(ScopedAdminMixin, ModelAdmin):
    scope_branch_field = "due__branch"
    list_display = ["day", "bill_link", "customer", "due_label", "open_label", "kind", "channel_label", "rule",
                    "sent_label"]
    list_display_links = ["day"]
    list_filter = ["kind", "channel", "sent", "day"]
    search_fields = ["due__bill__number", "due__customer__name", "due__customer__number"]
    list_select_related = ["due", "due__bill", "due__customer", "rule"]
    date_hierarchy = "day"

    @display(description=_("单据"), ordering="due__bill__number")
    def bill_link(self, obj):
        number = obj.due.bill.number
        try:
            url = reverse("backoffice:receivables_bill", args=[obj.due.bill_id])
        except NoReverseMatch:
            return number
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, number)

    @display(description=_("往来单位"), ordering="due__customer__name")
    def customer(self, obj):
        return obj.due.customer.name

    @display(description=_("到期明细"), ordering="due__due_date")
    def due_label(self, obj):
        return _("第%(seq)s期 %(due)s 到期") % {"seq": obj.due.seq, "due": obj.due.due_date.isoformat()}

    @display(description=_("未结金额"))
    def open_label(self, obj):
        return format_yuan(obj.due.open_amount)

    @display(description=_("渠道"), ordering="channel")
    def channel_label(self, obj):
        return ReminderChannel(obj.channel).label if obj.channel in ReminderChannel.values else obj.channel

    @display(description=_("状态"), ordering="sent")
    def sent_label(self, obj):
        return _("已发送") if obj.sent else (f"{_('未发送')}：{obj.note}" if obj.note else _("未发送"))
