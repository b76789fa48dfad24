"""试算平衡表 and 科目明细账: read-only views of the ledger (ioudesk.ledger.selectors renders nothing
itself; this module only parses the dates and renders)."""

from django import forms
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext_lazy as _

from ioudesk.backoffice.pages import BackofficePage
from ioudesk.core import clock
from ioudesk.ledger import selectors

PERMISSION = ("ledger.view_account",)


class AsOfForm(forms.Form):
    day = forms.DateField(label=_("截至日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    show_all = forms.BooleanField(label=_("显示无发生额的科目"), required=False)


class RangeForm(forms.Form):
    start = forms.DateField(label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("开始日期不能晚于结束日期。"))
        return data


class TrialBalancePage(BackofficePage):
    template_name = "backoffice/ledger/trial_balance.html"
    title = _("试算平衡表")
    permission_required = PERMISSION

    def get_context_data(self, **kwargs):
        today = clock.today()
        form = AsOfForm(self.request.GET or None, initial={"day": today})
        day, show_all = today, False
        if form.is_bound and form.is_valid():
            day = form.cleaned_data["day"] or today
            show_all = form.cleaned_data["show_all"]
        balance = selectors.trial_balance(day=day, include_empty=show_all)
        return super().get_context_data(**kwargs, form=form, day=day, balance=balance)


class AccountLedgerPage(BackofficePage):
    template_name = "backoffice/ledger/account.html"
    title = _("科目明细账")
    permission_required = PERMISSION

    def get_context_data(self, **kwargs):
        account = selectors.account_get(pk=self.kwargs["pk"])
        if account is None:
            raise Http404(_("科目不存在。"))
        form = RangeForm(self.request.GET or None)
        start = end = None
        if form.is_bound and form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        ledger = selectors.account_ledger(account=account, start=start, end=end, page=self.request.GET.get("page", 1))
        query = self.request.GET.copy()
        query.pop("page", None)
        self.title = f"{_('科目明细账')} · {account.code} {account.name}"
        return super().get_context_data(**kwargs, form=form, account=account, ledger=ledger, query=query.urlencode())


urlpatterns = [
    path("ledger/trial-balance/", TrialBalancePage.as_view(), name="ledger_trial_balance"),
    path("ledger/accounts/<int:pk>/", AccountLedgerPage.as_view(), name="ledger_account"),
]
