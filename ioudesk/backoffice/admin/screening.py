"""初筛规则 and 评分卡 in the back office (docs/domain.md §24).

A rule saves through ``screening.services.rule_save`` (which checks the parameters its kind uses
and audits). A score card is versioned: the list shows every version; only the current one can be
edited, and saving it publishes a new version through ``scorecard_publish`` (the edited version
stays as it was, for the applications scored with it). Older versions are read only."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import display

from ioudesk.backoffice.mixins import ServiceAdminMixin, UnfoldWidgetsMixin
from ioudesk.calc.money import format_yuan
from ioudesk.calc.rates import percent_text
from ioudesk.screening import services
from ioudesk.screening.models import RuleKind, ScoreAttribute, ScoreBand, ScoreCard, ScreeningRule


@admin.register(ScreeningRule)
class ScreeningRuleAdmin(ServiceAdminMixin, UnfoldWidgetsMixin, ModelAdmin):
    list_display = ["order", "name", "kind", "product", "parameters", "knock_out", "is_active"]
    list_display_links = ["name"]
    list_filter = ["kind", "knock_out", "is_active"]
    search_fields = ["name", "code"]
    ordering = ["order", "pk"]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "product", "knock_out", "is_active", "order", "note"]}),
        (_("参数（按规则类型填写）"), {"fields": ["min_age", "max_age", "max_ratio", "window_days", "max_count",
                                          "max_overdue_days", "max_amount"]}),
    ]

    def save_model(self, request, obj, form, change):
        services.rule_save(rule=obj, user=request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # a rule is switched off (启用), so that past results still name a rule that exists

    @display(description=_("参数"))
    def parameters(self, obj: ScreeningRule) -> str:
        if obj.kind == RuleKind.AGE_RANGE:
            return _("%(low)s–%(high)s 周岁") % {"low": obj.min_age if obj.min_age is not None else "—",
                                                "high": obj.max_age if obj.max_age is not None else "—"}
        if obj.kind == RuleKind.DEBT_TO_INCOME and obj.max_ratio is not None:
            return _("不超过 %(ratio)s%%") % {"ratio": percent_text(obj.max_ratio)}
        if obj.kind == RuleKind.DUPLICATE:
            return _("%(days)s 天内允许 %(count)s 笔") % {"days": obj.window_days, "count": obj.max_count}
        if obj.kind == RuleKind.OVERDUE:
            return _("逾期超过 %(days)s 天的借据允许 %(count)s 笔") % {"days": obj.max_overdue_days,
                                                                  "count": obj.max_count}
        if obj.kind == RuleKind.AMOUNT_LIMIT:
            return format_yuan(obj.max_amount) if obj.max_amount is not None else _("按产品最高金额")
        return "—"


class ScoreAttributeInline(TabularInline):
    model = ScoreAttribute
    fields = ["order", "attribute", "label", "lower", "upper", "when_missing", "points"]
    extra = 0
    ordering = ["order", "pk"]
    verbose_name_plural = _("属性与分箱（每行一个分箱：下限 ≤ 值 < 上限）")


class ScoreBandInline(TabularInline):
    model = ScoreBand
    fields = ["code", "label", "min_score", "action", "amount_factor", "rate_add"]
    extra = 0
    ordering = ["-min_score"]
    verbose_name_plural = _("评分等级")


ATTRIBUTE_FIELDS = ("attribute", "label", "lower", "upper", "when_missing", "points", "order")
BAND_FIELDS = ("code", "label", "min_score", "action", "amount_factor", "rate_add")


def _rows(formset, names) -> list[dict]:
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if not data or data.get("DELETE") or (form.instance.pk is None and not form.has_changed()):
            continue
        rows.append({name: data.get(name) for name in names})
    return rows


@admin.register(ScoreCard)
class ScoreCardAdmin(ServiceAdminMixin, UnfoldWidgetsMixin, ModelAdmin):
    list_display = ["version", "name", "base_points", "current_label", "published_by", "published_at", "note"]
    list_display_links = ["version", "name"]
    ordering = ["-version"]
    fieldsets = [(None, {"fields": ["name", "base_points", "note"], "description": _(
        "保存即发布评分卡的新版本：本版本保持不变，已评分的申请仍按其评分时的版本显示；新申请按新版本评分。")})]
    inlines = [ScoreAttributeInline, ScoreBandInline]

    def has_change_permission(self, request, obj=None):
        # only the current version is edited (saving publishes the next); the others stay as they were
        return super().has_change_permission(request, obj) and (obj is None or obj.is_current)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changeform_initial_data(self, request):
        return {"name": _("个人贷款评分卡"), "base_points": services.DEFAULT_BASE_POINTS}

    def save_model(self, request, obj, form, change):
        pass  # the version being edited is never written: save_related publishes a new one

    def save_related(self, request, form, formsets, change):
        attributes, bands = [], []
        for formset in formsets:
            # what formset.save() would leave for the admin's change message: nothing was saved in place
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            if formset.model is ScoreAttribute:
                attributes = _rows(formset, ATTRIBUTE_FIELDS)
            elif formset.model is ScoreBand:
                bands = _rows(formset, BAND_FIELDS)
        data = form.cleaned_data
        card = services.scorecard_publish(name=data.get("name") or "", base_points=data.get("base_points") or 0,
                                          attributes=attributes, bands=bands, user=request.user,
                                          note=data.get("note") or "")
        obj = form.instance
        obj.pk, obj.version, obj.is_current = card.pk, card.version, True
        messages.info(request, _("已发布评分卡第 %(v)s 版；已评分的申请仍保留其评分时的版本。") % {"v": card.version})

    def log_change(self, request, obj, message):
        return None  # scorecard_publish recorded the new version in the audit trail

    def log_addition(self, request, obj, message):
        return None

    @display(description=_("当前版本"), boolean=True)
    def current_label(self, obj):
        return obj.is_current
