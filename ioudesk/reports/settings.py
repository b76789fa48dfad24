"""报表设置: the one row of ReportSettings — the loan-loss provision rate of each five-tier class (default
《贷款损失准备计提指引》(银发〔2002〕98号): 关注 2 %, 次级 25 %, 可疑 50 %, 损失 100 %), the general reserve
(default 1 % of the loan balance), the net assets the single-borrower concentration is measured against
(blank: the ledger's equity) and that concentration's limit (default 10 %: 《关于小额贷款公司试点的指导意见》
(银监发〔2008〕23号) — the balance lent to one borrower ≤ 5 % of net capital, many provinces 10 %; the
figure is the institution's to set). Changed only through `report_settings_save`, audited."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from ioudesk.core import audit
from ioudesk.core.errors import PermissionDenied, ValidationFailed
from ioudesk.reports.models import ReportSettings

PERMISSION = "reports.change_reportsettings"
TIERS = ("rate_normal", "rate_special_mention", "rate_substandard", "rate_doubtful", "rate_loss")
PERCENT_FIELDS = (*TIERS, "general_reserve_rate", "concentration_limit")
HUNDRED = Decimal(100)
NET_ASSETS_MAX = Decimal("999999999999.99")


def report_settings() -> ReportSettings:
    """The stored row, or (none yet) an unsaved row with the defaults."""
    return ReportSettings.objects.order_by("pk").first() or ReportSettings()


def report_settings_ensure() -> ReportSettings:
    """The stored row, made with the defaults (the figures the reports already use) when there is none:
    called by `ioudesk setup` and by the 报表设置 page, so a viewer opens the row read-only."""
    stored = ReportSettings.objects.order_by("pk").first()
    return stored if stored is not None else ReportSettings.objects.create()


def _decimal(value, field: str, label, problems: list) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        problems.append({"field": field, "message": _("%(label)s应为数字。") % {"label": label}})
        return None
    if not number.is_finite():
        problems.append({"field": field, "message": _("%(label)s应为数字。") % {"label": label}})
        return None
    if number != number.scaleb(2).to_integral_value().scaleb(-2):
        problems.append({"field": field, "message": _("%(label)s最多两位小数。") % {"label": label}})
        return None
    return number


def report_settings_save(*, user, **values) -> ReportSettings:
    """Change the settings (only the fields given). Rates are percentages 0–100 with at most two decimals,
    not decreasing from 正常 to 损失 (a worse class never needs less provision); net assets blank or
    positive; the concentration limit above 0 and at most 100. Every problem is named by its field."""
    if not user.has_perm(PERMISSION):
        raise PermissionDenied(_("您没有修改报表设置的权限。"))
    labels = {name: ReportSettings._meta.get_field(name).verbose_name for name in (*PERCENT_FIELDS, "net_assets")}
    unknown = set(values) - set(labels)
    if unknown:
        raise ValidationFailed(_("报表设置没有这些项目：%(names)s。") % {"names": "、".join(sorted(unknown))},
                               extra={"field": sorted(unknown)[0]})
    with transaction.atomic():
        stored = ReportSettings.objects.select_for_update().order_by("pk").first()
        settings = stored or ReportSettings()
        before = audit.snapshot(stored) if stored else None
        problems: list[dict] = []
        for name, raw in values.items():
            label = labels[name]
            number = _decimal(raw, name, label, problems)
            if name == "net_assets":
                if number is not None and not Decimal("0.01") <= number <= NET_ASSETS_MAX:
                    problems.append({"field": name, "message": _("%(label)s应大于0，或留空按总账计算。") % {"label": label}})
                setattr(settings, name, number)
                continue
            if number is None:
                if not any(p["field"] == name for p in problems):
                    problems.append({"field": name, "message": _("请填写%(label)s。") % {"label": label}})
                continue
            low = Decimal("0.01") if name == "concentration_limit" else Decimal(0)
            if not low <= number <= HUNDRED:
                problems.append({"field": name, "message": _("%(label)s应在 %(low)s 到 100 之间。") % {
                    "label": label, "low": low}})
                continue
            setattr(settings, name, number)
        if not problems:
            rates = [getattr(settings, name) for name in TIERS]
            for index in range(1, len(TIERS)):
                if rates[index] < rates[index - 1]:
                    problems.append({"field": TIERS[index], "message": _(
                        "%(worse)s不能低于%(better)s：分类越差，计提比例不应越低。") % {
                        "worse": labels[TIERS[index]], "better": labels[TIERS[index - 1]]}})
        if problems:
            raise ValidationFailed("；".join(p["message"] for p in problems),
                                   extra={"field": problems[0]["field"], "details": problems})
        settings.save()
        audit.record_change(obj=settings, before=before, after=audit.snapshot(settings), verb=_("修改报表设置"))
    return settings
