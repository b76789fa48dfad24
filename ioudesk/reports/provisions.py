"""贷款损失准备 (issue 14, docs/domain.md §27): the provision each five-tier class requires (本金余额 ×
the class's rate from ReportSettings, by default 《贷款损失准备计提指引》银发〔2002〕98号: 关注 2 %, 次级
25 %, 可疑 50 %, 损失 100 %), the general reserve (一般准备, ≥ 1 % of the loan balance), what is booked
(the credit balance of 1310 贷款损失准备) and the adequacy (booked ÷ required).

`provision_book(month_end, user)` posts the difference at a month end: Dr 6711 信用减值损失 / Cr 1310
贷款损失准备 when more is required, the other way round (冲回) when less. Loans (借条) only: a 欠条 is a
trade receivable (应收账款), whose bad-debt allowance is not a loan-loss provision.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from ioudesk.calc.money import ZERO, to_fen
from ioudesk.calc.reporting import TIER_RATES, TIERS, provisions_required, rate_check, ratio
from ioudesk.core import audit, clock
from ioudesk.core.errors import PermissionDenied, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.ious.models import Classification, IouKind
from ioudesk.ledger.chart import AccountCode
from ioudesk.reports.links import iou_list_url
from ioudesk.reports.models import ReportSettings
from ioudesk.reports.params import ReportParams, month_end
from ioudesk.reports.portfolio import Source, sees_every_branch, tier_balances
from ioudesk.reports.registry import (
    Chart,
    Column,
    Figure,
    ReportAction,
    ReportResult,
    ReportSpec,
    Table,
    register_action,
    register_report,
)

PROVISION_ACCOUNT = str(AccountCode.PROVISION)  # 1310 贷款损失准备 (a contra-asset: its normal side is credit)
IMPAIRMENT_ACCOUNT = str(AccountCode.CREDIT_IMPAIRMENT)  # 6711 信用减值损失
# Who sets the rates books them: 财务 and 系统管理员 (reports.* / superuser); the ledger has no add permission.
BOOK_PERMISSION = "reports.change_reportsettings"


def settings_current() -> ReportSettings:
    """The one settings row (the defaults when none was saved)."""
    return ReportSettings.objects.order_by("pk").first() or ReportSettings()


def tier_rates(settings: ReportSettings) -> dict[str, Decimal]:
    return {"normal": settings.rate_normal, "special_mention": settings.rate_special_mention,
            "substandard": settings.rate_substandard, "doubtful": settings.rate_doubtful, "loss": settings.rate_loss}


def booked_balance(day: date | None = None) -> Decimal | None:
    """What 1310 holds at the end of `day` (a credit balance, as a positive amount); None when the
    account is not in the chart."""
    from ioudesk.ledger.models import Account
    from ioudesk.ledger.selectors import account_balance

    account = Account.objects.filter(code=PROVISION_ACCOUNT).first()
    if account is None:
        return None
    balance = account_balance(account, day=day)  # on the account's normal side
    return -balance if account.normal_side == "debit" else balance


def required(params: ReportParams, user) -> tuple[Source, dict, dict, ReportSettings]:
    settings = settings_current()
    source = Source(params, user, kind=IouKind.LOAN)
    cells = source.cube_rows(("classification",))  # PortfolioCube (or its SELECT); None: a filter it lacks
    if cells is None:
        found = tier_balances(source.qs)
    else:
        found = {r["classification"]: {"count": r["count"], "balance": r["principal_outstanding"]} for r in cells}
    balances = {tier: found.get(tier, {"balance": ZERO})["balance"] for tier in TIERS}
    amounts = provisions_required(balances, tier_rates(settings), settings.general_reserve_rate)
    return source, found, amounts, settings


COLUMNS = [
    Column("tier", _("五级分类")),
    Column("count", _("笔数"), "int", total=True),
    Column("balance", _("本金余额"), "money", total=True),
    Column("rate", _("计提比例"), "percent"),
    Column("required", _("应计提准备"), "money", total=True),
    Column("guideline", _("指引比例")),
]


def provisions(params: ReportParams, user) -> ReportResult:
    source, found, amounts, settings = required(params, user)
    rates = tier_rates(settings)
    labels = dict(Classification.choices)
    rows = []
    for tier in TIERS:
        base = TIER_RATES[tier]
        guideline = (_g("%(rate)s%%（可上下浮动20%%）") % {"rate": base} if tier in ("substandard", "doubtful")
                     else _g("不低于 %(rate)s%%") % {"rate": base} if base else "—")
        row = {"tier": str(labels[tier]), "count": found.get(tier, {"count": 0})["count"],
               "balance": found.get(tier, {"balance": ZERO})["balance"],
               "rate": rates[tier], "required": amounts[tier], "guideline": guideline}
        if source.live:
            row["_links"] = {"count": iou_list_url(params, live=1, classification__exact=tier)}
        rows.append(row)
    unfiltered = not any((params.branch_id, params.product_id, params.officer_id, params.category,
                          params.customer_kind, params.classification, params.bucket, params.customer_id))
    all_branches = sees_every_branch(user)
    whole_org = unfiltered and all_branches
    booked = booked_balance(source.as_of) if whole_org else None
    summary = [
        {"item": _g("专项准备（各类余额 × 比例）"), "amount": amounts["specific"]},
        {"item": _g("一般准备（本金余额 × %(rate)s%%）") % {"rate": settings.general_reserve_rate},
         "amount": amounts["general"]},
        {"item": _g("应计提准备合计"), "amount": amounts["total"]},
    ]
    notes = [_g("依据《贷款损失准备计提指引》（银发〔2002〕98号）：关注类 2%，次级类 25%，可疑类 50%，损失类 100%，次级和可疑类可上下浮动 20%；"
                "一般准备不低于贷款余额的 1%。比例在“报表设置”中修改。只计借条（贷款）；欠条属应收账款，不在此计提。")]
    if booked is not None:
        gap = amounts["total"] - booked
        summary += [{"item": _g("已计提（1310 贷款损失准备余额）"), "amount": booked},
                    {"item": _g("应补提（负数为应冲回）"), "amount": gap}]
    elif whole_org:
        notes.append(_g("科目表中没有 1310 贷款损失准备，已计提数无法读取。"))
    elif not all_branches:
        notes.append(_g("已计提数是全机构的总账余额，只对能查看全部网点的人员列出。"))
    else:
        notes.append(_g("已计提数是全机构的总账余额，按网点、产品等筛选时不列。"))
    bad = [str(labels[t]) for t in TIERS if not rate_check(t, rates[t])]
    if bad:
        notes.append(_g("注意：%(tiers)s 的计提比例不符合指引。") % {"tiers": "、".join(bad)})
    if settings.general_reserve_rate < Decimal("1"):
        notes.append(_g("注意：一般准备比例低于指引要求的 1%。"))
    adequacy = ratio(booked, amounts["total"]) if booked is not None else None
    result = ReportResult(
        title=_g("贷款损失准备"),
        tables=[Table(columns=COLUMNS, rows=rows, totals={"count": sum(r["count"] for r in rows),
                                                          "balance": amounts["balance"], "required": amounts["specific"]},
                      title=_g("专项准备")),
                Table(columns=[Column("item", _("项目")), Column("amount", _("金额"), "money")], rows=summary,
                      title=_g("准备合计与已计提"))],
        figures=[Figure(_("应计提准备"), amounts["total"]),
                 Figure(_("已计提准备"), booked),
                 Figure(_("拨备覆盖（已计提 ÷ 应计提）"), adequacy, "percent"),
                 Figure(_("不良贷款拨备覆盖率"), ratio(booked, sum((found.get(t, {"balance": ZERO})["balance"]
                                                           for t in ("substandard", "doubtful", "loss")), ZERO))
                        if booked is not None else None, "percent")],
        chart=Chart("bar", [r["tier"] for r in rows], [(_g("应计提准备"), [r["required"] for r in rows])],
                    title=_g("各类应计提准备")),
        notes=notes,
    )
    return source.stamp(result)


@transaction.atomic
def provision_book(month: date, user):
    """Post at month end `month` the difference between the provision required (whole organisation,
    loans) and the 1310 balance: Dr 6711 / Cr 1310 (补提) or Dr 1310 / Cr 6711 (冲回). Returns the
    JournalEntry, or None when nothing is to be posted. The month's figures: its snapshot when it
    has one, else (the business date's month end, or today) the live ones."""
    from ioudesk.ledger.models import Account, EntryKind
    from ioudesk.ledger.services import Line, post_entry

    if not user.has_perm(BOOK_PERMISSION):
        raise PermissionDenied(_g("您没有记账的权限，不能计提贷款损失准备。"))
    if not sees_every_branch(user):
        raise PermissionDenied(_g("计提贷款损失准备按全机构计算，只有能查看全部网点的人员可以操作。"))
    today = clock.today()
    if month != month_end(month):
        raise ValidationFailed(_g("计提日应为月末日，如 2026-11-30。"), extra={"field": "month"})
    day = min(month, today)
    missing = [code for code in (PROVISION_ACCOUNT, IMPAIRMENT_ACCOUNT) if not Account.objects.filter(code=code).exists()]
    if missing:
        raise ValidationFailed(_g("科目表中缺少 %(codes)s，请先增设科目。") % {"codes": "、".join(missing)})
    _source, _found, amounts, _settings = required(ReportParams(as_of=day), user)
    booked = booked_balance(day) or ZERO
    gap = amounts["total"] - booked
    if gap == 0:
        return None
    if gap > 0:
        lines = [Line(IMPAIRMENT_ACCOUNT, debit=gap), Line(PROVISION_ACCOUNT, credit=gap)]
        memo = _g("%(day)s 补提贷款损失准备") % {"day": day.isoformat()}
    else:
        lines = [Line(PROVISION_ACCOUNT, debit=-gap), Line(IMPAIRMENT_ACCOUNT, credit=-gap)]
        memo = _g("%(day)s 冲回贷款损失准备") % {"day": day.isoformat()}
    kind = EntryKind.PROVISION
    key = f"provision:{day.isoformat()}:{to_fen(booked)}:{to_fen(amounts['total'])}"
    entry = post_entry(kind=kind, lines=lines, memo=memo, day=day, idempotency_key=key, user=user, audited=False)
    audit.record(AuditAction.ACTION, obj=entry, verb=_g("计提贷款损失准备"), reason=memo,
                 changes={"required": [None, str(amounts["total"])], "booked": [str(booked), str(booked + gap)]})
    return entry


def _book_action(params: ReportParams, user) -> str:
    day = params.as_of or clock.today()
    entry = provision_book(month_end(day), user)
    if entry is None:
        return _g("已计提数与应计提数相等，无需记账。")
    return _g("已记账：凭证 %(number)s。") % {"number": entry.number}


def register() -> None:
    register_report(ReportSpec(
        code="provisions", title=_("贷款损失准备"), group="quality", run=provisions,
        filters=("as_of", "branch", "product", "officer", "category", "customer_kind"), order=70,
        description=_("各类贷款余额 × 计提比例、一般准备、应计提与已计提、拨备覆盖。")))
    register_action("provisions", ReportAction(
        key="book", label=_("计提/冲回准备"), permission=BOOK_PERMISSION, run=_book_action,
        confirm=_("按月末应计提数与 1310 贷款损失准备余额的差额记账（借 6711 信用减值损失 / 贷 1310，冲回反之）？")))
