"""审批 pages: the approver's inbox (待我审批: filters, counts, 批量同意 for low-risk items), a request's
page (what is asked, the steps, the timeline with what each approver saw, the decision form), the
decision POST (also used by the pending-requests card on an entity's page, ``_pending_card.html``)
and the bulk approval POST.

The work is done by ioudesk.approvals (services, selectors, predicates); these views parse, call one
service or selector and render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views import View

from ioudesk.approvals import predicates, selectors
from ioudesk.approvals.models import DecisionKind
from ioudesk.approvals.registry import kind_choices
from ioudesk.backoffice.pages import BackofficePage
from ioudesk.backoffice.widgets import style_form
from ioudesk.core.errors import ApplicationError

DECIDE = "approvals.decide_approvalrequest"
PER_PAGE = 50
OFFER_LABELS = {"amount": _("金额（元）"), "term": _("期限（期）"), "rate_text": _("利率")}
# The decision form's choices, in the order an approver reads them.
DECISION_CHOICES = [
    (DecisionKind.APPROVE, _("同意")), (DecisionKind.REJECT, _("驳回")), (DecisionKind.RETURN, _("退回补充")),
    (DecisionKind.RETURN_TO_STEP, _("退回上一步")), (DecisionKind.COUNTER_OFFER, _("改条件同意")),
    (DecisionKind.TRANSFER, _("转办")), (DecisionKind.ADD_APPROVER, _("加签")),
]


def inbox_badge(request) -> int | None:
    """The sidebar badge of 待我审批 (Unfold's item ``badge``): the user's pending tasks, none when 0."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_perm(DECIDE):
        return None
    return selectors.inbox_count(user) or None


def _services():
    from ioudesk.approvals import services

    return services


def _request_or_404(user, pk):
    found = selectors.request_get(user=user, pk=pk)
    if found is None:
        raise Http404(_t("审批单不存在，或您无权查看。"))
    return found


def _next_url(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


# --- the inbox ---------------------------------------------------------------------------------------

class InboxFilters(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=60,
                        widget=forms.TextInput(attrs={"placeholder": _("审批单号、摘要")}))
    kind = forms.ChoiceField(label=_("审批事项"), required=False)
    overdue = forms.BooleanField(label=_("只看已超时"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _t("全部事项"))] + [(c, str(label)) for c, label in kind_choices()]


class InboxPage(BackofficePage):
    """待我审批: the user's pending tasks, oldest time limit first; cards on a phone, a table on a desk."""

    template_name = "backoffice/approvals/inbox.html"
    title = _("待我审批")
    permission_required = (DECIDE,)

    def get_context_data(self, **kwargs):
        from django.utils import timezone

        user = self.request.user
        filters = InboxFilters(self.request.GET or None)
        chosen = filters.cleaned_data if filters.is_valid() else {}
        tasks = selectors.inbox(user, kind=chosen.get("kind") or None, q=(chosen.get("q") or "").strip() or None,
                                overdue=bool(chosen.get("overdue")))
        page = Paginator(tasks, PER_PAGE).get_page(self.request.GET.get("page"))
        now = timezone.now()
        labels = dict((c, str(label)) for c, label in kind_choices())
        rows = [{"task": task, "request": task.request, "kind_label": labels.get(task.request.kind, task.request.kind),
                 "overdue": bool(task.due_at and task.due_at < now),
                 "bulk": predicates.bulk_allowed(task.request)} for task in page.object_list]
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            **kwargs, filters=filters, page=page, rows=rows, counts=selectors.inbox_counts(user),
            any_bulk=any(r["bulk"] for r in rows), query=query.urlencode(),
            filtered=any(chosen.get(k) for k in ("q", "kind", "overdue")))


class BulkApprovePage(View):
    """批量同意 (POST): the ticked low-risk requests of the inbox, each approved on its own."""

    def post(self, request, *args, **kwargs):
        user = request.user
        if not (user.is_authenticated and user.is_staff and user.has_perm(DECIDE)):
            raise Http404(_t("您没有审批权限。"))
        ids = [int(i) for i in request.POST.getlist("request") if str(i).isdigit()][:200]
        found = [r for r in (selectors.request_get(user=user, pk=pk) for pk in ids) if r is not None]
        if not found:
            messages.error(request, _t("请先勾选要批量同意的审批单。"))
            return redirect("backoffice:approvals_inbox")
        done, refused = _services().decide_many(requests=found, user=user,
                                                comment=(request.POST.get("comment") or "").strip()[:500])
        if done:
            messages.success(request, _t("已批量同意 %(n)d 笔审批。") % {"n": len(done)})
        for item, reason in refused:
            messages.error(request, _t("%(number)s 未同意：%(reason)s") % {"number": item.number, "reason": reason})
        return redirect("backoffice:approvals_inbox")


# --- a request ---------------------------------------------------------------------------------------

class RequestPage(BackofficePage):
    template_name = "backoffice/approvals/request.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        approval = _request_or_404(user, self.kwargs["pk"])
        detail = selectors.request_detail(approval, user)
        self.title = _("审批单 %(number)s") % {"number": approval.number}
        people = selectors.possible_approvers(approval, user=user) if detail.can_decide else []
        offer = [(name, OFFER_LABELS.get(name, name), (approval.payload or {}).get(name, ""))
                 for name in detail.counter_fields]
        choices = [c for c in DECISION_CHOICES
                   if (c[0] != DecisionKind.COUNTER_OFFER or detail.can_counter_offer)
                   and (c[0] != DecisionKind.RETURN_TO_STEP or detail.earlier_steps)
                   and (c[0] not in (DecisionKind.TRANSFER, DecisionKind.ADD_APPROVER) or people)]
        return super().get_context_data(
            **kwargs, approval=approval, detail=detail, people=people, offer_fields=offer, choices=choices,
            timeline=_timeline(detail), target_name=_target_name(approval),
            current_offer=[(OFFER_LABELS.get(k, k), v) for k, v in ((approval.payload or {}).get("offer") or {}).items()])


def _target_name(approval) -> str:
    model = approval.target_type.model_class()
    return str(model._meta.verbose_name) if model is not None else _t("业务对象")


def _timeline(detail) -> list[dict]:
    rows = []
    for decision in detail.timeline:
        rows.append({"decision": decision, "label": decision.get_decision_display(),
                     "system": decision.decision == DecisionKind.NOTE,
                     "tone": {"approve": "success", "counter_offer": "success", "execute": "success",
                              "reject": "danger", "return": "warning", "return_step": "warning",
                              "cancel": "warning", "escalate": "danger"}.get(decision.decision, "info"),
                     "offer": [(OFFER_LABELS.get(k, k), v) for k, v in (decision.offer or {}).items()
                               if k in OFFER_LABELS]})
    return rows


class DecidePage(View):
    """The decision (POST) from the request page or an entity's pending card; back to ``next``."""

    def post(self, request, pk, *args, **kwargs):
        user = request.user
        if not (user.is_authenticated and user.is_staff):
            raise Http404(_t("审批单不存在，或您无权查看。"))
        approval = _request_or_404(user, pk)
        page = reverse("backoffice:approval_request", args=[approval.pk])
        back = _next_url(request, page)
        data = request.POST
        decision = data.get("decision") or ""
        comment = (data.get("comment") or "").strip()[:2000]
        services = _services()
        try:
            if decision == "resubmit":
                services.request_resubmit(request=approval, user=user, comment=comment)
                messages.success(request, _t("已重新提交审批单 %(number)s。") % {"number": approval.number})
                return redirect(back)
            if decision == "cancel":
                services.request_cancel(request=approval, user=user, reason=comment)
                messages.success(request, _t("已撤回审批单 %(number)s。") % {"number": approval.number})
                return redirect(back)
            to_user = None
            if data.get("to_user"):
                to_user = get_user_model().objects.filter(pk=data["to_user"]).first() if data["to_user"].isdigit() else None
            offer = {name: data.get(f"offer_{name}", "") for name in OFFER_LABELS if f"offer_{name}" in data}
            decided = services.request_decide(request=approval, user=user, decision=decision, comment=comment,
                                              offer=offer or None, to_user=to_user,
                                              to_step=data.get("to_step") or None)
        except ApplicationError as error:
            messages.error(request, str(error.message))
            return redirect(back)
        messages.success(request, _outcome_message(decided, decision))
        if back != page or predicates.can_decide(decided, user) or not user.has_perm(DECIDE):
            return redirect(back)
        return redirect("backoffice:approvals_inbox")  # decided: the approver's next item


def _outcome_message(approval, decision) -> str:
    status = approval.get_status_display()
    if decision in (DecisionKind.TRANSFER, DecisionKind.ADD_APPROVER):
        return _t("已%(what)s：审批单 %(number)s。") % {"what": dict(DECISION_CHOICES)[decision], "number": approval.number}
    if approval.status == "approved":
        return _t("审批单 %(number)s 已审批通过，已自动执行。") % {"number": approval.number}
    if approval.status == "pending":
        return _t("已%(what)s：审批单 %(number)s 进入下一位审批人。") % {
            "what": dict(DECISION_CHOICES).get(decision, ""), "number": approval.number}
    return _t("审批单 %(number)s %(status)s。") % {"number": approval.number, "status": status}


# --- a flow's configuration ----------------------------------------------------------------------------

def _staff_choices():
    return get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")


class StepForm(forms.Form):
    name = forms.CharField(label=_("步骤名称"), max_length=40, error_messages={"required": _("请填写步骤名称")})
    approver_type = forms.ChoiceField(label=_("审批人类型"))
    role = forms.ModelChoiceField(label=_("角色"), queryset=None, required=False)
    group = forms.ModelChoiceField(label=_("审批组"), queryset=None, required=False)
    users = forms.ModelMultipleChoiceField(label=_("指定人员"), queryset=None, required=False)
    mode = forms.ChoiceField(label=_("审批方式"))
    required_count = forms.IntegerField(label=_("需同意人数"), min_value=1, initial=1, required=False)
    min_amount = forms.CharField(label=_("金额下限（元）"), required=False, max_length=20)
    max_amount = forms.CharField(label=_("金额上限（元）"), required=False, max_length=20)
    min_score = forms.IntegerField(label=_("评分下限"), required=False)
    max_score = forms.IntegerField(label=_("评分上限"), required=False)
    products = forms.ModelMultipleChoiceField(label=_("适用产品"), queryset=None, required=False)
    branches = forms.ModelMultipleChoiceField(label=_("适用网点"), queryset=None, required=False)
    time_limit_hours = forms.IntegerField(label=_("时限（小时）"), min_value=1, required=False)
    escalate_to_role = forms.ModelChoiceField(label=_("超时升级给角色"), queryset=None, required=False)
    escalate_to_user = forms.ModelChoiceField(label=_("超时升级给人员"), queryset=None, required=False)
    allow_bulk = forms.BooleanField(label=_("允许批量审批"), required=False)

    def __init__(self, *args, **kwargs):
        from django.contrib.auth.models import Group

        from ioudesk.approvals.models import ApproverGroup, ApproverType, StepMode
        from ioudesk.core.models import Branch
        from ioudesk.products.models import Product

        super().__init__(*args, **kwargs)
        self.fields["approver_type"].choices = ApproverType.choices
        self.fields["mode"].choices = StepMode.choices
        # the selects' first options as the initial values: an untouched 新增步骤 form is then unchanged and skipped
        self.fields["approver_type"].initial = ApproverType.ROLE
        self.fields["mode"].initial = StepMode.ANY
        self.fields["role"].queryset = self.fields["escalate_to_role"].queryset = Group.objects.order_by("name")
        self.fields["group"].queryset = ApproverGroup.objects.filter(is_active=True)
        self.fields["users"].queryset = self.fields["escalate_to_user"].queryset = _staff_choices()
        self.fields["products"].queryset = Product.objects.order_by("pk")
        self.fields["branches"].queryset = Branch.objects.order_by("path")

    def as_step(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("DELETE", None)
        for name in ("role", "group", "escalate_to_role", "escalate_to_user"):
            data[name] = data[name].pk if data.get(name) else None
        for name in ("users", "products", "branches"):
            data[name] = [obj.pk for obj in data.get(name) or []]
        return data


StepFormSet = forms.formset_factory(style_form(StepForm), extra=1, can_delete=True, max_num=20)


class FlowSettingsForm(forms.Form):
    name = forms.CharField(label=_("审批流名称"), max_length=60)
    priority = forms.IntegerField(label=_("优先级"), min_value=0, help_text=_("同一事项有多个审批流时，数字小的先匹配"))
    is_active = forms.BooleanField(label=_("启用"), required=False)
    min_amount = forms.CharField(label=_("金额下限（元）"), required=False, max_length=20,
                                 help_text=_("金额不低于此值时适用；留空不限"))
    max_amount = forms.CharField(label=_("金额上限（元）"), required=False, max_length=20)
    products = forms.ModelMultipleChoiceField(label=_("适用产品"), queryset=None, required=False)
    branches = forms.ModelMultipleChoiceField(label=_("适用网点"), queryset=None, required=False)
    note = forms.CharField(label=_("修改说明"), max_length=200, help_text=_("说明为何修改，审批人和版本记录里可见"))

    def __init__(self, *args, **kwargs):
        from ioudesk.core.models import Branch
        from ioudesk.products.models import Product

        super().__init__(*args, **kwargs)
        self.fields["products"].queryset = Product.objects.order_by("pk")
        self.fields["branches"].queryset = Branch.objects.order_by("path")


class FlowEditPage(BackofficePage):
    """审批流设置: the flow's conditions and the current version's steps, edited as a new version
    (submitted as 审批流变更); earlier versions read only."""

    template_name = "backoffice/approvals/flow_edit.html"
    permission_required = ("approvals.view_approvalflow",)

    def _flow(self):
        from ioudesk.approvals.models import ApprovalFlow

        flow = ApprovalFlow.objects.select_related("current_version").filter(pk=self.kwargs["pk"]).first()
        if flow is None:
            raise Http404(_t("审批流不存在。"))
        return flow

    def get_context_data(self, **kwargs):
        from ioudesk.approvals.core_kinds import FLOW_CHANGE, step_text
        from ioudesk.approvals.flows import settings_of, steps_of

        flow = self._flow()
        self.title = _("审批流：%(name)s") % {"name": flow.name}
        settings = settings_of(flow)
        if "form" not in kwargs:
            kwargs["form"] = FlowSettingsForm(initial={**settings, "note": ""})
        if "steps" not in kwargs:
            kwargs["steps"] = StepFormSet(initial=steps_of(flow.current_version), prefix="steps")
        versions = [{"version": v, "steps": [step_text(s) for s in steps_of(v)]}
                    for v in flow.versions.select_related("created_by").order_by("-number")]
        pending = [r for r in selectors.pending_for(flow) if r.kind == FLOW_CHANGE]
        return super().get_context_data(
            **kwargs, flow=flow, kind_label=_kind_label(flow.kind), versions=versions, pending=pending,
            can_change=self.request.user.has_perm("approvals.change_approvalflow") and not pending)

    def post(self, request, *args, **kwargs):
        from ioudesk.approvals.core_kinds import FLOW_CHANGE

        flow = self._flow()
        if not request.user.has_perm("approvals.change_approvalflow"):
            raise Http404(_t("您没有修改审批流的权限。"))
        form = FlowSettingsForm(request.POST)
        steps = StepFormSet(request.POST, prefix="steps")
        if not (form.is_valid() and steps.is_valid()):
            return self.render_to_response(self.get_context_data(form=form, steps=steps))
        rows = [f.as_step() for f in steps.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")
                and (f.initial or f.has_changed())]
        settings = {k: v for k, v in form.cleaned_data.items() if k != "note"}
        settings["products"] = [p.pk for p in settings["products"]]
        settings["branches"] = [b.pk for b in settings["branches"]]
        note = form.cleaned_data["note"]
        try:
            outcome = _services().submit_or_run(
                kind=FLOW_CHANGE, target=flow, user=request.user,
                payload={"steps": rows, "settings": settings, "note": note},
                summary=_t("修改审批流“%(name)s”") % {"name": flow.name}, reason=note)
        except ApplicationError as error:
            from ioudesk.backoffice.mixins import add_service_error

            add_service_error(form, error)
            return self.render_to_response(self.get_context_data(form=form, steps=steps))
        if outcome.request is not None:
            messages.success(request, _t("已提交审批（审批单号 %(number)s），审批通过后自动执行。") % {
                "number": outcome.request.number})
        else:
            messages.success(request, _t("已发布第 %(n)s 版，新提交的审批按新版本办理；审批中的申请仍按原版本。") % {
                "n": outcome.result.get("version")})
        return redirect("backoffice:approval_flow_edit", pk=flow.pk)


def _kind_label(code) -> str:
    from ioudesk.approvals.registry import kind_for

    found = kind_for(code)
    return str(found.label) if found else code


urlpatterns = [
    path("approvals/flows/<int:pk>/edit/", FlowEditPage.as_view(), name="approval_flow_edit"),
    path("approvals/inbox/", InboxPage.as_view(), name="approvals_inbox"),
    path("approvals/inbox/bulk/", BulkApprovePage.as_view(), name="approvals_bulk"),
    path("approvals/requests/<int:pk>/", RequestPage.as_view(), name="approval_request"),
    path("approvals/requests/<int:pk>/decide/", DecidePage.as_view(), name="approval_decide"),
]
