"""催收 pages: the collector's workbench (催收工作台), a case's page, the contact form (催收记录, phone
first), one saved record with its evidence hashes, and assignment (分案 by hand, in bulk from the
workbench, recall, the history).

The work is done by ioudesk.collections (services, selectors, predicates); these views parse, call
one service or selector and render. What a button offers is the domain's predicate, the same one the
service refuses with."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from ioudesk.backoffice.iou_pages.common import amount_of, url_or_none
from ioudesk.backoffice.mixins import add_service_error
from ioudesk.backoffice.pages import BackofficePage
from ioudesk.collections import predicates, selectors
from ioudesk.collections.models import (
    BUCKETS,
    AttachmentKind,
    Case,
    CaseStatus,
    ContactMethod,
    ContactRecord,
    EventKind,
    Nature,
    OutcomeCode,
    Promise,
    PromiseStatus,
    Term,
)
from ioudesk.collections.owed import case_owed_today, owed_today_of
from ioudesk.core import clock
from ioudesk.core.errors import ApplicationError
from ioudesk.customers.models import Category
from ioudesk.ious.models import Classification

VIEW = "collections.view_case"
PER_PAGE = 50
PRIORITIES = {1: _("高"), 2: _("中"), 3: _("低")}
# What each attachment box of the contact form takes (the service checks the content itself).
UPLOADS = [
    ("recording", _("通话录音"), "audio/*", "", _("可直接录音，或选择手机里的录音文件（mp3、m4a 等常见格式）"),
     _("录音或选择文件")),
    ("photo", _("现场照片"), "image/*", "environment", _("上门时可直接拍照"), _("拍照或选择图片")),
    ("acknowledgement", _("签字确认书"), "image/*,application/pdf", "environment",
     _("债务人签字确认欠款的书面材料（照片或 PDF），可中断诉讼时效"), _("拍照或选择文件")),
    ("delivery_receipt", _("送达回执"), "image/*,application/pdf", "environment",
     _("催款函、律师函的签收回执或快递签收截图"), _("拍照或选择文件")),
]


# --- helpers -------------------------------------------------------------------------------------


def _case_or_404(user, pk) -> Case:
    case = selectors.cases_for(user).filter(pk=pk).first()
    if case is None or not predicates.can_view_case(case, user):
        raise Http404(_t("催收案件不存在，或您无权查看。"))
    return case


def _local(value: datetime | None) -> datetime | None:
    return timezone.localtime(value) if value else None


def _term_label(case) -> str:
    term = selectors.arrears_term(case)
    return str(Term(term).label) if term in Term.values else ""


def _case_links(case, user) -> list[dict]:
    """The case page's buttons, each by the domain's predicate (and only when the page exists: the
    legal pages are other features')."""
    links = []
    if predicates.can_record_contact(case, user):
        links.append({"label": _("记录催收"), "url": reverse("backoffice:collections_contact", args=[case.pk]),
                      "variant": "primary", "testid": "record-contact"})
    if predicates.can_assign_case(case, user):
        label = _("转派") if (case.owner_id or case.agency_id) else _("分案")
        links.append({"label": label, "url": reverse("backoffice:collections_assign", args=[case.pk]),
                      "variant": "default", "testid": "assign"})
    if predicates.can_recall(case, user):
        links.append({"label": _("收回"), "url": reverse("backoffice:collections_recall", args=[case.pk]),
                      "variant": "default", "testid": "recall"})
    for extra in legal_links(case, user):
        links.append(extra)
    return links


def legal_links(case, user) -> list[dict]:
    """催款函/律师函, 证据包 (demand letters and the evidence package) and 转诉讼 (open a legal case):
    offered when their page exists and the user may use it."""
    links = []
    is_open = case.status == CaseStatus.OPEN
    letter = url_or_none("backoffice:demand_letter", case.pk)
    if letter and is_open and _can_issue_letter(case, user):
        links.append({"label": _("发催款函"), "url": f"{letter}?kind=demand", "variant": "default",
                      "testid": "demand-letter"})
        links.append({"label": _("发律师函"), "url": f"{letter}?kind=lawyer", "variant": "default",
                      "testid": "lawyer-letter"})
    evidence = url_or_none("backoffice:evidence_package", case.iou_id) if case.iou_id is not None else None
    if evidence and _can_download_evidence(case, user):
        links.append({"label": _("证据包"), "url": evidence, "variant": "default", "testid": "evidence"})
    legal = url_or_none("backoffice:legal_case_open", case.pk)
    if legal and is_open and not case.legal and _can_open_legal_case(case, user):
        links.append({"label": _("转诉讼"), "url": legal, "variant": "danger", "testid": "legal-open"})
    return links


def _can_issue_letter(case, user) -> bool:
    from ioudesk.legal.letters import can_issue_letter

    return can_issue_letter(case, user)


def _can_download_evidence(case, user) -> bool:
    from ioudesk.legal.evidence import can_download_evidence

    return can_download_evidence(case.iou, user)


def _can_open_legal_case(case, user) -> bool:
    from ioudesk.legal.predicates import can_open_legal_case

    return can_open_legal_case(case, user)


def limitation_of(iou):
    """The limitation clock of the IOU page (ioudesk.ious.services.limitation): the date the period
    ends, the articles it follows, every interruption counted or not (None for a bill's case)."""
    from ioudesk.ious.services.limitation import limitation_clock

    if iou is None:
        return None
    return limitation_clock(iou, day=clock.today())


def debt_url(case, user) -> str | None:
    """The page of what the case is about, when the user may open it: the IOU, or the receivables bill."""
    if case.iou_id is not None:
        return url_or_none("backoffice:iou_detail", case.iou_id) if user.has_perm("ious.view_iou") else None
    if case.bill_id is not None and user.has_perm("receivables.view_bill"):
        return url_or_none("backoffice:receivables_bill", case.bill_id)
    return None


# --- the workbench -------------------------------------------------------------------------------


class WorkbenchFilters(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=60,
                        widget=forms.TextInput(attrs={"placeholder": _("案件号、借据号、客户名")}))
    bucket = forms.ChoiceField(label=_("账龄"), required=False,
                               choices=[("", _("全部账龄"))] + [(b, b) for b in BUCKETS])
    classification = forms.ChoiceField(label=_("五级分类"), required=False,
                                       choices=[("", _("全部分类"))] + list(Classification.choices))
    term = forms.ChoiceField(label=_("长短期"), required=False, choices=[("", _("全部"))] + list(Term.choices))
    nature = forms.ChoiceField(label=_("欠款性质"), required=False,
                               choices=[("", _("全部性质"))] + list(Nature.choices))
    category = forms.ChoiceField(label=_("客户分类"), required=False,
                                 choices=[("", _("全部客户"))] + [c for c in Category.choices if c[0] != "blacklist"])


UNASSIGNED = "none"


def owner_choices(user) -> list[tuple[str, str]]:
    """The 催收员 filter of a manager's workbench: every case, the unassigned ones, or one collector's."""
    return [("", _t("全部催收员")), (UNASSIGNED, _t("未分案"))] + [
        (str(u.pk), u.get_full_name() or u.get_username()) for u in _collectors(user)]


class WorkbenchPage(BackofficePage):
    """催收工作台: my cases sorted by what matters today (promises due today, next actions due —
    overdue first —, amount, days overdue); cards on a phone, a table on a desk."""

    template_name = "backoffice/collections/workbench.html"
    title = _("催收工作台")
    permission_required = (VIEW,)

    def get_context_data(self, **kwargs):
        user, today = self.request.user, clock.today()
        filters = WorkbenchFilters(self.request.GET or None)
        manager = predicates.can_assign(user) or predicates.sees_branch_cases(user)
        if manager:  # a manager's workbench is the team's: who has which case
            filters.fields["owner"] = forms.ChoiceField(label=_("催收员"), required=False, choices=owner_choices(user))
        chosen = filters.cleaned_data if filters.is_valid() else {}
        cases = selectors.workbench(
            user, day=today, bucket=chosen.get("bucket") or None,
            classification=chosen.get("classification") or None, term=chosen.get("term") or None,
            nature=chosen.get("nature") or None, category=chosen.get("category") or None,
            q=(chosen.get("q") or "").strip() or None)
        owner = chosen.get("owner")
        if owner == UNASSIGNED:
            cases = cases.filter(owner__isnull=True, agency__isnull=True)
        elif owner:
            cases = cases.filter(owner_id=owner)
        page = Paginator(cases, PER_PAGE).get_page(self.request.GET.get("page"))
        now = timezone.localtime()
        rows = []
        owed = owed_today_of(page.object_list, today)  # the rows shown only, never the whole list
        for case in page.object_list:
            due = _local(case.next_action_due)
            rows.append({
                "case": case, "due": due, "owed": owed.get(case.pk),
                "overdue": bool(due and due < now and due.date() < today),
                "due_today": bool(due and due.date() == today),
                "promise_today": case.promise_due_on == today,
                "term": _term_label(case),
                "can_record": predicates.can_record_contact(case, user),
                "debt_url": debt_url(case, user),
            })
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            **kwargs, today=today, filters=filters, page=page, rows=rows, counts=workbench_counts(user, today),
            can_assign=predicates.can_assign(user), query=query.urlencode(),
            can_see_customer=user.has_perm("customers.view_customer"), can_see_iou=user.has_perm("ious.view_iou"),
            filtered=any(chosen.get(k) for k in ("q", "bucket", "classification", "term", "nature", "category", "owner")),
            kept=None if manager else month_kept_rate(user, today))


def month_kept_rate(user, today) -> dict | None:
    """A collector's promises judged this month (from the 1st to the business date) and how many kept."""
    if not user.has_perm(predicates.RECORD):
        return None
    from ioudesk.calc.rates import percent_text

    rate = selectors.kept_rate(user, (today.replace(day=1), today))
    return {"judged": rate.judged, "kept": rate.kept, "partly_kept": rate.partly_kept, "broken": rate.broken,
            "percent": percent_text(rate.rate, 1) if rate.rate is not None else None}


def workbench_counts(user, today) -> dict:
    return selectors.workbench_counts(user, day=today)


def _services():
    from ioudesk.collections import services

    return services


# --- the case page -------------------------------------------------------------------------------


class CasePage(BackofficePage):
    template_name = "backoffice/collections/case.html"
    permission_required = (VIEW,)

    def get_context_data(self, **kwargs):
        user = self.request.user
        case = _case_or_404(user, self.kwargs["pk"])
        detail = selectors.case_detail(case)
        self.title = _("催收案件 %(number)s") % {"number": case.number}
        return super().get_context_data(
            **kwargs, case=case, detail=detail, iou=case.iou, customer=case.customer,
            bill=case.bill if case.is_bill else None, bill_items=selectors.bill_items(case),
            debt_url=debt_url(case, user),
            links=_case_links(case, user), limitation=limitation_of(case.iou), term=_term_label(case),
            owed=case_owed_today(case, clock.today()),
            priority=PRIORITIES.get(case.priority, case.priority), history=assignment_history(case),
            timeline=timeline(detail), next_due=_local(case.next_action_due),
            pending_promises=[p for p in _get(detail, "promises") if p.status == PromiseStatus.PENDING],
            can_see_customer=user.has_perm("customers.view_customer"), can_see_iou=user.has_perm("ious.view_iou"))


def _get(detail, name, default=()):
    if isinstance(detail, dict):
        return detail.get(name, default)
    return getattr(detail, name, default)


def timeline(detail) -> list[dict]:
    """The case's events and contact records, newest first; a contact's promise is shown with it (the
    events 联系 repeat the records, so they are left out; 承诺兑现/未兑现 are events of their own)."""
    promises = {promise.record_id: promise for promise in _get(detail, "promises")}
    contacts = list(_get(detail, "contacts"))
    deliveries = {}  # a letter's record → the latest record of its delivery (or return)
    for record in sorted(contacts, key=lambda r: r.contacted_at):
        if record.refers_to_id and record.outcome in (OutcomeCode.DELIVERED, OutcomeCode.RETURNED):
            deliveries[record.refers_to_id] = record
    items = []
    for event in _get(detail, "events"):
        if event.kind == EventKind.CONTACT:
            continue
        items.append({"at": _local(event.at), "kind": "event", "label": event.get_kind_display(), "text": event.text,
                      "by": event.by, "obj": event})
    for record in contacts:
        items.append({"at": _local(record.contacted_at), "kind": "contact",
                      "label": f"{record.get_method_display()} · {contact_outcome_label(record, deliveries)}",
                      "text": record.notes, "by": record.recorded_by, "obj": record,
                      "promise": promises.get(record.pk),
                      "url": reverse("backoffice:collections_record", args=[record.pk])})
    items.sort(key=lambda item: (item["at"] or timezone.now(), item["kind"] == "contact"), reverse=True)
    return items


LETTER_METHODS = (ContactMethod.LETTER, ContactMethod.LAWYER_LETTER)


def contact_outcome_label(record, deliveries: dict) -> str:
    """What happened, for the timeline: an issued 催款函/律师函 (outcome 其他, no delivery of its own)
    reads 已发出（待登记送达） until a record of its delivery refers to it, then 已送达 with the date
    of that delivery (or 已退回 when it came back)."""
    is_issued_letter = (record.method in LETTER_METHODS and not record.refers_to_id
                        and record.outcome == OutcomeCode.OTHER)
    if not is_issued_letter:
        return str(record.get_outcome_display())
    delivery = deliveries.get(record.pk)
    if delivery is None:
        return _t("已发出（待登记送达）")
    on = timezone.localtime(delivery.contacted_at).date().isoformat()
    if delivery.outcome == OutcomeCode.RETURNED:
        return _t("已退回（%(date)s）") % {"date": on}
    return _t("已送达（%(date)s）") % {"date": on}


# --- the contact form ----------------------------------------------------------------------------


class ContactForm(forms.Form):
    method = forms.ChoiceField(label=_("催收方式"), choices=ContactMethod.choices, initial=ContactMethod.PHONE,
                               widget=forms.RadioSelect)
    party = forms.ChoiceField(label=_("联系对象"), widget=forms.RadioSelect,
                              help_text=_("只能联系债务人、担保人或客户登记的联系人，不得联系无关第三人。"))
    outcome = forms.ChoiceField(label=_("结果"), choices=[("", _("请选择结果"))] + list(OutcomeCode.choices))
    contacted_at = forms.DateTimeField(
        label=_("联系时间"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    notes = forms.CharField(label=_("沟通内容"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("对方说了什么、还款意愿、困难")}))
    promise_amount = forms.CharField(label=_("承诺金额"), required=False, max_length=20,
                                     widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"}))
    promised_on = forms.DateField(label=_("承诺还款日"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    next_step = forms.CharField(label=_("下一步"), required=False, max_length=200,
                                widget=forms.TextInput(attrs={"placeholder": _("如：周五上门、再次致电")}))
    next_action_due = forms.DateTimeField(
        label=_("下次跟进时间"), required=False, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    refers_to = forms.IntegerField(required=False, widget=forms.HiddenInput)
    corrects = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, parties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].choices = list(parties)
        self.delivery = bool(self.data.get("refers_to") if self.is_bound else self.initial.get("refers_to"))
        if self.delivery:  # the delivery of a letter: the limitation period restarts from the receipt's date
            at = self.fields["contacted_at"]
            at.label = _("送达（签收）时间")
            at.help_text = _("按回执上的签收日期填写：诉讼时效自该日中断并重新计算（民法典第一百九十五条）。")
            at.error_messages["required"] = _("请填写送达（签收）时间：按回执上的签收日期。")
        if len(parties) == 1:
            self.fields["party"].initial = parties[0][0]
        for name, label, accept, capture, help_text, _button in UPLOADS:
            attrs = {"accept": accept, "data-sha256": name}
            if capture:
                attrs["capture"] = capture
            self.fields[name] = forms.FileField(label=label, required=False, help_text=help_text,
                                                widget=forms.ClearableFileInput(attrs=attrs))

    def clean(self):
        cleaned = super().clean()
        amount, day = (self.data.get("promise_amount") or "").strip(), cleaned.get("promised_on")
        if amount and not day:
            self.add_error("promised_on", _("填写了承诺金额，请同时填写承诺还款日。"))
        elif day and not amount:
            self.add_error("promise_amount", _("填写了承诺还款日，请同时填写承诺金额。"))
        elif amount:
            try:
                cleaned["promise_amount"] = amount_of(amount, "promise_amount")
            except ApplicationError as error:
                self.add_error("promise_amount", str(error.message))
        if cleaned.get("outcome") == OutcomeCode.PROMISED and not amount:
            self.add_error("promise_amount", _("结果为“承诺还款”时，请填写承诺金额和还款日。"))
        return cleaned


def parties_of(case) -> list[tuple[str, str]]:
    """Who may be contacted about the case: the debtor, the guarantor, the customer's contacts."""
    return [(str(value), str(label)) for value, label in selectors.contact_parties(case)]


def policy_warnings(case, at, method=ContactMethod.PHONE) -> list[str]:
    """The contact policy (hours, daily cap) as warnings for a contact at ``at``, before saving."""
    if method not in ContactMethod.values:
        method = ContactMethod.PHONE
    return [str(w) for w in selectors.contact_policy(case, at=at, method=method)]


class ContactPage(BackofficePage):
    template_name = "backoffice/collections/contact.html"
    permission_required = ("collections.add_contactrecord",)

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        self.case = _case_or_404(request.user, kwargs["pk"])
        if not predicates.can_record_contact(self.case, request.user):
            messages.error(request, _t("您不能为此案件记录催收（案件已结案或不是您的案件）。"))
            return redirect("backoffice:collections_case", self.case.pk)
        return super().dispatch(request, *args, **kwargs)

    def _refers_to(self, value):
        if not value:
            return None
        return ContactRecord.objects.filter(case=self.case, pk=value).first()

    def get_context_data(self, **kwargs):
        case = self.case
        self.title = _("记录催收：%(name)s") % {"name": case.customer.name}
        if "form" not in kwargs:
            initial = {"contacted_at": default_contact_time()}
            refers = self._refers_to(self.request.GET.get("refers_to"))
            if refers is not None:  # the delivery of a letter: to whom it was sent, by the same way
                party = f"contact:{refers.contact_id}" if refers.contact_id else refers.party
                initial.update(refers_to=refers.pk, method=refers.method, outcome=OutcomeCode.DELIVERED, party=party)
                initial.pop("contacted_at")  # the date on the receipt, typed: not now (the interruption's date)
            kwargs["form"] = ContactForm(parties=parties_of(case), initial=initial)
        form = kwargs["form"]
        refers = self._refers_to(form["refers_to"].value())
        at = _form_time(form)
        uploads = [(form[name], button) for name, *_rest, button in UPLOADS]
        if refers is not None:  # a delivery: the receipt first
            uploads.sort(key=lambda upload: upload[0].name != AttachmentKind.DELIVERY_RECEIPT)
        return super().get_context_data(
            **kwargs, case=case, iou=case.iou, customer=case.customer, refers=refers,
            owed=case_owed_today(case, clock.today()),
            warnings=policy_warnings(case, at, form["method"].value()), uploads=uploads,
            policy_url=reverse("backoffice:collections_contact_policy", args=[case.pk]))

    def post(self, request, *args, **kwargs):
        case = self.case
        form = ContactForm(request.POST, request.FILES, parties=parties_of(case))
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form, files_lost=bool(request.FILES)))
        data = form.cleaned_data
        party, contact = data["party"], None
        if party.startswith("contact:"):
            contact = case.customer.contacts.filter(pk=party.split(":", 1)[1]).first()
            party = "contact"
        party_name = dict(form.fields["party"].choices).get(data["party"], "")
        attachments = [(AttachmentKind(name), request.FILES[name]) for name, *_rest in UPLOADS if request.FILES.get(name)]
        promise = (data["promise_amount"], data["promised_on"]) if data.get("promise_amount") else None
        try:
            record = _services().contact_record_create(
                case, method=data["method"], party=party, contact=contact, party_name=_plain_name(party_name),
                outcome=data["outcome"], notes=data["notes"], next_step=data["next_step"],
                next_action_due=data.get("next_action_due"), contacted_at=data["contacted_at"], by=request.user,
                attachments=attachments, promise=promise,
                corrects=self._refers_to(data.get("corrects")), refers_to=self._refers_to(data.get("refers_to")))
        except ApplicationError as error:
            add_service_error(form, _on_form_field(error))
            return self.render_to_response(self.get_context_data(form=form, files_lost=bool(request.FILES)))
        messages.success(request, _t("催收记录已保存。"))
        return redirect("backoffice:collections_record", record.pk)


# A service's field name → the contact form's field it is about.
FORM_FIELDS = {"contact": "party", "party_name": "party", "attachments": "recording"}


def _on_form_field(error: ApplicationError) -> ApplicationError:
    field = error.extra.get("field")
    if field in FORM_FIELDS:
        error.extra = {**error.extra, "field": FORM_FIELDS[field] if field != "attachments" else None}
    return error


def default_contact_time() -> datetime:
    """Now, to the minute (a contact is recorded right after it happened)."""
    return timezone.localtime().replace(second=0, microsecond=0)


def _plain_name(label: str) -> str:
    """债务人：王建国 → 王建国 (the party's name as the record stores it)."""
    name = label.split("：", 1)[-1]
    return name.split("（", 1)[0]


def _form_time(form) -> datetime:
    value = form["contacted_at"].value()
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    for pattern in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"):
        try:
            return timezone.make_aware(datetime.strptime(str(value or ""), pattern))
        except ValueError:
            continue
    return timezone.now()


class ContactPolicyFragment(ContactPage):
    """The policy warnings for the time typed (htmx, when 联系时间 changes): shown before saving."""

    template_name = "backoffice/collections/_policy.html"

    def get(self, request, *args, **kwargs):
        at = datetime.now()
        for pattern in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"):
            try:
                at = datetime.strptime(request.GET.get("contacted_at", ""), pattern)
                break
            except ValueError:
                continue
        at = timezone.make_aware(at) if timezone.is_naive(at) else at
        return render(request, self.template_name,
                      {"warnings": policy_warnings(self.case, at, request.GET.get("method"))})

    def post(self, request, *args, **kwargs):
        raise Http404


# --- one record ----------------------------------------------------------------------------------


class RecordPage(BackofficePage):
    """One contact record with its attachments and their SHA-256 (shown right after saving)."""

    template_name = "backoffice/collections/record.html"
    permission_required = ("collections.view_contactrecord",)

    def get_context_data(self, **kwargs):
        user = self.request.user
        record = (ContactRecord.objects.select_related("case", "recorded_by", "contact", "refers_to", "corrects")
                  .filter(pk=self.kwargs["pk"], case__in=selectors.cases_for(user)).first())
        if record is None:
            raise Http404(_t("催收记录不存在，或您无权查看。"))
        self.title = _("催收记录：%(case)s") % {"case": record.case.number}
        case = record.case
        can_record = predicates.can_record_contact(case, user)
        is_letter = record.method in (ContactMethod.LETTER, ContactMethod.LAWYER_LETTER)
        deliveries = {}
        if is_letter and not record.refers_to_id:
            delivery = (ContactRecord.objects.filter(refers_to=record, outcome__in=(OutcomeCode.DELIVERED,
                                                                                  OutcomeCode.RETURNED))
                        .order_by("-contacted_at").first())
            deliveries = {record.pk: delivery} if delivery else {}
        return super().get_context_data(
            **kwargs, record=record, case=case, attachments=list(record.attachments.all()),
            outcome_label=contact_outcome_label(record, deliveries),
            promise=Promise.objects.filter(record=record).first(),
            can_record=can_record,
            delivery_url=(reverse("backoffice:collections_contact", args=[case.pk]) + "?" +
                          urlencode({"refers_to": record.pk})) if can_record else None,
            corrections=list(ContactRecord.objects.filter(corrects=record).order_by("recorded_at")),
            is_letter=is_letter,
            letter_pdf=(url_or_none("backoffice:demand_letter_pdf", record.pk)
                        if is_letter and user.has_perm("collections.view_contactattachment") else None))


# --- assignment ----------------------------------------------------------------------------------


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("催收员"), required=False, queryset=None, empty_label=_("（不分给催收员）"))
    agency = forms.ModelChoiceField(label=_("委外机构"), required=False, queryset=None, empty_label=_("（不委外）"))
    reason = forms.CharField(label=_("原因"), required=False, max_length=200,
                             widget=forms.TextInput(attrs={"placeholder": _("如：按区域调整、催收员休假")}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _collectors(user)
        self.fields["owner"].label_from_instance = lambda u: _t("%(name)s（在办 %(n)s 件）") % {
            "name": u.get_full_name() or u.get_username(), "n": u.open_cases}
        self.fields["agency"].queryset = _agencies()

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("owner")) == bool(cleaned.get("agency")):
            raise forms.ValidationError(_("请选择一位催收员或一家委外机构（二选一）。"))
        return cleaned


def _collectors(user):
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Q

    from ioudesk.core import scope

    able = get_user_model().objects.filter(is_active=True, is_staff=True, groups__permissions__codename="add_contactrecord",
                                           groups__permissions__content_type__app_label="collections")
    users = get_user_model().objects.filter(pk__in=able.values("pk")).annotate(
        open_cases=Count("collection_cases", filter=Q(collection_cases__status=CaseStatus.OPEN)),
    ).order_by("last_name", "first_name", "username")
    return scope.scope_queryset(user, users, "branch")


def _agencies():
    from ioudesk.collections.models import Agency

    return Agency.objects.filter(active=True).order_by("name")


class AssignPage(BackofficePage):
    """分案/转派 by hand, with the case's assignment history."""

    template_name = "backoffice/collections/assign.html"
    permission_required = (VIEW,)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.case = _case_or_404(request.user, kwargs["pk"])
            if not predicates.can_assign_case(self.case, request.user):
                raise Http404(_t("您不能为此案件分案。"))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        case = self.case
        self.title = _("分案：%(number)s") % {"number": case.number}
        kwargs.setdefault("form", AssignForm(user=self.request.user))
        return super().get_context_data(**kwargs, case=case, history=assignment_history(case))

    def post(self, request, *args, **kwargs):
        case = self.case
        form = AssignForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        method = "reassign" if (case.owner_id or case.agency_id) else "hand"
        try:
            _services().case_assign(case, owner=form.cleaned_data["owner"], agency=form.cleaned_data["agency"],
                                 method=method, by=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            add_service_error(form, error)
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, _t("已分案。"))
        return redirect("backoffice:collections_case", case.pk)


def assignment_history(case) -> list:
    return list(case.assignments.select_related("owner", "agency", "by", "rule").order_by("-started_at", "-id"))


class BulkAssignPage(BackofficePage):
    """批量分案: the cases ticked on the workbench (?case=…), to one collector or agency."""

    template_name = "backoffice/collections/bulk_assign.html"
    title = _("批量分案")
    permission_required = (VIEW,)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not predicates.can_assign(request.user):
            raise Http404(_t("您没有分案的权限。"))
        return super().dispatch(request, *args, **kwargs)

    def _cases(self, ids):
        ids = [int(i) for i in ids if str(i).isdigit()][:500]
        return list(selectors.cases_for(self.request.user).filter(pk__in=ids, status=CaseStatus.OPEN)
                    .select_related("customer", "owner", "agency").order_by("number"))

    def get_context_data(self, **kwargs):
        if "cases" not in kwargs:
            kwargs["cases"] = self._cases(self.request.GET.getlist("case"))
        kwargs.setdefault("form", AssignForm(user=self.request.user))
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        cases = self._cases(request.POST.getlist("case"))
        form = AssignForm(request.POST, user=request.user)
        if not cases:
            messages.error(request, _t("请先在催收工作台勾选要分案的案件。"))
            return redirect("backoffice:collections_workbench")
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form, cases=cases))
        try:
            _services().cases_assign_bulk(cases, owner=form.cleaned_data["owner"], agency=form.cleaned_data["agency"],
                                       by=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            add_service_error(form, error)
            return self.render_to_response(self.get_context_data(form=form, cases=cases))
        messages.success(request, _t("已分案 %(n)d 个案件。") % {"n": len(cases)})
        return redirect("backoffice:collections_workbench")


class RecallForm(forms.Form):
    reason = forms.CharField(label=_("收回原因"), max_length=200,
                             widget=forms.TextInput(attrs={"placeholder": _("如：委外期满、催收员离职")}),
                             error_messages={"required": _("请填写收回的原因。")})


class RecallPage(BackofficePage):
    """收回: take a case back from its collector or agency (it waits for the next assignment)."""

    template_name = "backoffice/collections/recall.html"
    permission_required = (VIEW,)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.case = _case_or_404(request.user, kwargs["pk"])
            if not predicates.can_recall(self.case, request.user):
                raise Http404(_t("此案件不能收回。"))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        self.title = _("收回案件：%(number)s") % {"number": self.case.number}
        kwargs.setdefault("form", RecallForm())
        return super().get_context_data(**kwargs, case=self.case, history=assignment_history(self.case))

    def post(self, request, *args, **kwargs):
        form = RecallForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            _services().case_recall(self.case, by=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            add_service_error(form, error)
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, _t("已收回案件，等待重新分案。"))
        return redirect("backoffice:collections_case", self.case.pk)


class AssignmentHistoryPage(BackofficePage):
    template_name = "backoffice/collections/assignments.html"
    permission_required = (VIEW,)

    def get_context_data(self, **kwargs):
        case = _case_or_404(self.request.user, self.kwargs["pk"])
        self.title = _("分案记录：%(number)s") % {"number": case.number}
        return super().get_context_data(**kwargs, case=case, history=assignment_history(case))


urlpatterns = [
    path("collection/", WorkbenchPage.as_view(), name="collections_workbench"),
    path("collection/cases/<int:pk>/", CasePage.as_view(), name="collections_case"),
    path("collection/cases/<int:pk>/contact/", ContactPage.as_view(), name="collections_contact"),
    path("collection/cases/<int:pk>/contact/policy/", ContactPolicyFragment.as_view(),
         name="collections_contact_policy"),
    path("collection/cases/<int:pk>/assign/", AssignPage.as_view(), name="collections_assign"),
    path("collection/cases/<int:pk>/recall/", RecallPage.as_view(), name="collections_recall"),
    path("collection/cases/<int:pk>/assignments/", AssignmentHistoryPage.as_view(), name="collections_assignments"),
    path("collection/assign/", BulkAssignPage.as_view(), name="collections_assign_bulk"),
    path("collection/records/<int:pk>/", RecordPage.as_view(), name="collections_record"),
]
