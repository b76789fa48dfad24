"""初筛 (screening rules), the score card and the recommendation (docs/domain.md §24).

``screen(facts)`` runs the active rules and the current score card over an applicant's facts and
returns every rule's outcome, the points of every attribute, the score and its band;
``recommend(...)`` suggests an amount, a term and a rate from the product, the band and the
applicant's income and debts, with the schedule, the annualised rate (IRR) and the legal-cap
verdict from ioudesk.calc. Both only read: the caller stores the results with the application.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _g

from ioudesk.calc.dates import Frequency, add_months
from ioudesk.calc.errors import CalcError
from ioudesk.calc.idcheck import validate as validate_id
from ioudesk.calc.inputs import cap_verdict
from ioudesk.calc.money import format_yuan, quantize, round_down, round_places
from ioudesk.calc.rates import parse_rate, percent, percent_text, round_rate
from ioudesk.calc.schedule import LastInstallment, LoanTerms, Method, Schedule, generate_schedule
from ioudesk.core import audit, clock
from ioudesk.core.calc_messages import calc_error_message
from ioudesk.core.errors import NotFound, ValidationFailed
from ioudesk.core.models.audit import AuditAction
from ioudesk.core.services import organisation_current
from ioudesk.customers.models import Customer
from ioudesk.ious.models import Installment, Iou, Status
from ioudesk.legal.selectors import defaulter_match
from ioudesk.products.models import Product
from ioudesk.screening import hooks
from ioudesk.screening.facts import ApplicantFacts, RuleOutcome, ScorePoint, ScreeningResult
from ioudesk.screening.models import Attribute, RuleKind, ScoreAttribute, ScoreBand, ScoreCard, ScreeningRule

HUNDRED = Decimal(100)
DEFAULT_MAX_RATIO = Decimal("0.5")
RATE_STEP = Decimal("0.0001")  # rates are stated to 0.01 %
#: terms tried, besides the product's longest, when a longer term would make the asked amount affordable
STANDARD_TERMS = (3, 6, 9, 12, 18, 24, 36, 48, 60, 72, 84, 96, 120, 180, 240, 360)


# --- age from the ID number ----------------------------------------------------------------------


def age_on(birth: date, day: date) -> int:
    """Full years (周岁) on ``day``: a year is complete the day after its anniversary (民法典 art.
    201–202: the day of birth does not count, a period in years ends on the corresponding day, or
    the month's last day when there is none; the courts' 周岁 is counted "从周岁生日的第二天起算").

    >>> age_on(date(2008, 3, 15), date(2026, 3, 15)), age_on(date(2008, 3, 15), date(2026, 3, 16))
    (17, 18)
    >>> age_on(date(2008, 2, 29), date(2026, 2, 28)), age_on(date(2008, 2, 29), date(2026, 3, 1))
    (17, 18)
    """
    years = day.year - birth.year
    while years > 0 and add_months(birth, 12 * years) >= day:
        years -= 1
    return max(years, 0)


def applicant_age(id_number: str, day: date) -> tuple[int | None, date | None, str]:
    """(age, birth date, "") from the ID number, or (None, None, what is wrong with the number)."""
    try:
        card = validate_id(id_number, today=day)
    except CalcError as error:
        return None, None, calc_error_message(error)
    return age_on(card.birth_date, day), card.birth_date, ""


def rules_for(product_id: int | None) -> list[ScreeningRule]:
    """The active rules for a product: for each kind, the product's own rules when it has any, else
    the general ones (product blank)."""
    rules = list(ScreeningRule.objects.filter(is_active=True).filter(
        Q(product__isnull=True) | Q(product_id=product_id)).order_by("order", "pk"))
    own_kinds = {r.kind for r in rules if r.product_id is not None}
    return [r for r in rules if r.product_id is not None or r.kind not in own_kinds]


def age_limits(product_id: int | None) -> tuple[int | None, int | None]:
    """(lowest, highest) age the active age rules allow for a product (None: no limit). For the
    application form's validation, which says the same as the rule."""
    lows = [r.min_age for r in rules_for(product_id) if r.kind == RuleKind.AGE_RANGE and r.min_age is not None]
    highs = [r.max_age for r in rules_for(product_id) if r.kind == RuleKind.AGE_RANGE and r.max_age is not None]
    return (max(lows) if lows else None, min(highs) if highs else None)


def max_debt_ratio(product_id: int | None) -> Decimal:
    ratios = [r.max_ratio for r in rules_for(product_id) if r.kind == RuleKind.DEBT_TO_INCOME and r.max_ratio]
    return min(ratios) if ratios else DEFAULT_MAX_RATIO


# --- the product's schedule for an amount --------------------------------------------------------


def product_terms(product: Product, *, amount: Decimal, term: int, start: date,
                  annual_rate: Decimal | None = None) -> LoanTerms:
    """The calc terms of a loan of ``amount`` over ``term`` on the product's terms (a custom-schedule
    product is measured as 等额本息). ``annual_rate`` replaces the product's rate."""
    method = Method.EQUAL_INSTALLMENT if product.method == Method.CUSTOM.value else Method.parse(product.method)
    rate = parse_rate(product.rate_text) if annual_rate is None else parse_rate(f"{percent_text(annual_rate)}%")
    return LoanTerms(
        principal=amount, rate=rate, term=term, start=start, method=method,
        frequency=Frequency.parse(product.frequency), day_count=product.day_count,
        fee_per_installment=product.installment_fee,
        upfront_fee=quantize(amount * product.upfront_fee_rate),
        last_installment=LastInstallment.parse(product.last_installment),
    )


def monthly_payment(schedule: Schedule, terms: LoanTerms) -> Decimal:
    """本笔月供 for debt-to-income: the first installment (the largest, for 等额本金) as a monthly
    amount (× periods a year ÷ 12); for 到期一次还本付息 everything repaid ÷ the months of the term."""
    per_year = terms.frequency.periods_per_year()
    if terms.method == Method.BULLET:
        months = Decimal(terms.term) * 12 / per_year
        return quantize(schedule.total_payment / months)
    return quantize(schedule.installments[0].total * per_year / 12)


# --- what is known of the applicant -------------------------------------------------------------


@dataclass
class Known:
    """The facts and what follows from them (computed once for the rules and the score card)."""

    facts: ApplicantFacts
    product: Product
    age: int | None = None
    birth: date | None = None
    id_error: str = ""
    customer: Customer | None = None
    installment: Decimal | None = None
    installment_error: str = ""
    bad_ious: int = 0
    settled: int = 0

    @property
    def debt_ratio(self) -> Decimal | None:
        income = self.facts.monthly_income
        if not income or income <= 0 or self.installment is None:
            return None
        return ((self.facts.monthly_debt or Decimal(0)) + self.installment) / income


def known_for(facts: ApplicantFacts) -> Known:
    product = Product.objects.filter(pk=facts.product_id).first()
    if product is None:
        raise NotFound("产品不存在", code="product_not_found")
    known = Known(facts=facts, product=product)
    known.age, known.birth, known.id_error = applicant_age(facts.id_number, facts.applied_on)
    try:
        terms = product_terms(product, amount=facts.amount, term=facts.term, start=facts.applied_on)
        known.installment = monthly_payment(generate_schedule(terms), terms)
    except CalcError as error:
        known.installment_error = calc_error_message(error)
    if facts.customer_id:
        known.customer = Customer.objects.filter(pk=facts.customer_id).first()
    if known.customer is not None:
        ious = Iou.objects.filter(customer=known.customer)
        known.settled = ious.filter(status=Status.SETTLED).count()
        bad = set(ious.filter(status__in=[Status.OVERDUE, Status.WRITTEN_OFF]).values_list("pk", flat=True))
        late = set(Installment.objects.filter(schedule__iou__customer=known.customer,
                                              paid_off_on__gt=F("due_date")).values_list("schedule__iou", flat=True))
        known.bad_ious = len(bad | late)
    return known


# --- the rules -----------------------------------------------------------------------------------


def _outcome(rule: ScreeningRule, passed: bool, detail: str) -> RuleOutcome:
    return RuleOutcome(code=rule.code, label=rule.name, passed=passed, knock_out=rule.knock_out, detail=detail,
                       kind=rule.kind)


def check_age(rule: ScreeningRule, known: Known) -> RuleOutcome:
    if known.age is None:
        return _outcome(rule, False, f"无法从身份证号得出年龄：{known.id_error}")
    said = f"出生日期{known.birth.isoformat()}，申请日{known.facts.applied_on.isoformat()}满{known.age}周岁"
    if rule.min_age is not None and known.age < rule.min_age:
        return _outcome(rule, False, f"未满{rule.min_age}周岁（{said}）")
    if rule.max_age is not None and known.age > rule.max_age:
        return _outcome(rule, False, f"超过{rule.max_age}周岁的上限（{said}）")
    return _outcome(rule, True, said)


def check_defaulter(rule: ScreeningRule, known: Known) -> RuleOutcome:
    listed = defaulter_match(customer=known.customer, id_number=known.facts.id_number, name=known.facts.name)
    if not listed:
        return _outcome(rule, True, "未命中失信/黑名单")
    first = listed[0]
    return _outcome(rule, False, f"命中失信/黑名单（{first.get_source_display()}，{first.listed_on.isoformat()}列入）："
                                 f"{first.reason}")


def check_overdue(rule: ScreeningRule, known: Known) -> RuleOutcome:
    if known.customer is None:
        return _outcome(rule, True, "新客户，无借据记录")
    overdue = Iou.objects.filter(customer=known.customer, status=Status.OVERDUE,
                                 days_past_due__gt=rule.max_overdue_days).count()
    written_off = Iou.objects.filter(customer=known.customer, status=Status.WRITTEN_OFF).count()
    count = overdue + written_off
    said = f"逾期超过{rule.max_overdue_days}天的借据{overdue}笔，已核销{written_off}笔"
    return _outcome(rule, count <= rule.max_count, said if count else "无逾期或核销借据")


def check_debt_ratio(rule: ScreeningRule, known: Known) -> RuleOutcome:
    facts = known.facts
    if known.installment is None:
        return _outcome(rule, False, f"无法测算本笔月供：{known.installment_error}")
    ratio = known.debt_ratio
    if ratio is None:
        return _outcome(rule, False, "未提供月收入，无法计算负债收入比")
    limit = rule.max_ratio if rule.max_ratio is not None else DEFAULT_MAX_RATIO
    said = (f"（现有月还款{format_yuan(facts.monthly_debt or Decimal('0.00'))} + 本笔月供{format_yuan(known.installment)}）"
            f"÷ 月收入{format_yuan(facts.monthly_income)} = {percent_text(ratio)}%")
    if ratio > limit:
        return _outcome(rule, False, f"{said}，超过上限{percent_text(limit)}%")
    return _outcome(rule, True, f"{said}，不超过上限{percent_text(limit)}%")


def check_duplicate(rule: ScreeningRule, known: Known) -> RuleOutcome:
    days = rule.window_days or 30
    if not hooks.DUPLICATE_COUNTERS:
        return _outcome(rule, True, "未接入申请查重")
    count = sum(counter(known.facts, days) for counter in hooks.DUPLICATE_COUNTERS)
    said = f"近{days}天内同一身份证号或手机号的其他申请{count}笔"
    return _outcome(rule, count <= rule.max_count, said if rule.max_count == 0 else f"{said}（允许{rule.max_count}笔）")


def check_amount(rule: ScreeningRule, known: Known) -> RuleOutcome:
    limit = rule.max_amount if rule.max_amount is not None else known.product.max_amount
    amount = known.facts.amount
    if amount > limit:
        return _outcome(rule, False, f"申请金额{format_yuan(amount)}超过上限{format_yuan(limit)}")
    return _outcome(rule, True, f"申请金额{format_yuan(amount)}不超过上限{format_yuan(limit)}")


CHECKS = {
    RuleKind.AGE_RANGE: check_age, RuleKind.DEFAULTER: check_defaulter, RuleKind.OVERDUE: check_overdue,
    RuleKind.DEBT_TO_INCOME: check_debt_ratio, RuleKind.DUPLICATE: check_duplicate,
    RuleKind.AMOUNT_LIMIT: check_amount,
}


# --- the score card ------------------------------------------------------------------------------


def current_card() -> ScoreCard | None:
    return ScoreCard.objects.filter(is_current=True).order_by("-version").first()


def card_version(version: int | None) -> ScoreCard | None:
    if version is None:
        return current_card()
    return ScoreCard.objects.filter(version=version).first()


def attribute_value(attribute: str, known: Known) -> tuple[Decimal | None, str]:
    """The applicant's value of an attribute, and how it is shown."""
    facts = known.facts
    if attribute == Attribute.AGE:
        return (None, "无法得出") if known.age is None else (Decimal(known.age), str(known.age))
    if attribute == Attribute.MONTHLY_INCOME:
        income = facts.monthly_income
        return (None, "未提供") if income is None else (income, format_yuan(income))
    if attribute == Attribute.DEBT_TO_INCOME:
        ratio = known.debt_ratio
        return (None, "无法计算") if ratio is None else (percent(ratio), f"{percent_text(ratio)}%")
    if attribute == Attribute.EMPLOYER:
        has = bool((facts.employer or "").strip())
        return Decimal(int(has)), "是" if has else "否"
    if attribute == Attribute.GOOD_HISTORY:
        good = known.settled > 0 and known.bad_ious == 0
        return Decimal(int(good)), (f"是（已结清{known.settled}笔，无逾期）" if good else "否")
    if attribute == Attribute.OVERDUE_HISTORY:
        return Decimal(known.bad_ious), str(known.bad_ious)
    if attribute == Attribute.AMOUNT_TO_INCOME:
        income = facts.monthly_income
        if not income or income <= 0:
            return None, "无法计算"
        multiple = round_places(facts.amount / income, 2)
        return multiple, f"{multiple}倍"
    raise ValueError(attribute)


def score_with(card: ScoreCard, known: Known) -> tuple[int, list[ScorePoint]]:
    bins: dict[str, list[ScoreAttribute]] = {}
    for row in card.attributes.order_by("order", "pk"):
        bins.setdefault(row.attribute, []).append(row)
    labels = dict(Attribute.choices)
    points, total = [], card.base_points
    for attribute, rows in bins.items():
        value, shown = attribute_value(attribute, known)
        match = next((row for row in rows if row.matches(value)), None)
        got = match.points if match else 0
        total += got
        points.append(ScorePoint(attribute=attribute, label=str(labels[attribute]), value=shown,
                                 bin=match.label if match else "（无匹配分箱，0分）", points=got))
    return total, points


def band_for(card: ScoreCard, score: int) -> ScoreBand | None:
    bands = list(card.bands.order_by("-min_score"))
    return next((b for b in bands if score >= b.min_score), bands[-1] if bands else None)


def screen(facts: ApplicantFacts, *, scorecard_version: int | None = None) -> ScreeningResult:
    """Every active rule's outcome and the score of the current (or the given) score card version."""
    known = known_for(facts)
    outcomes = [CHECKS[rule.kind](rule, known) for rule in rules_for(facts.product_id) if rule.kind in CHECKS]
    card = card_version(scorecard_version)
    score, band, points = None, None, []
    if card is not None:
        score, points = score_with(card, known)
        band = band_for(card, score)
    return ScreeningResult(
        outcomes=outcomes, knocked_out=any(o.rejects for o in outcomes), score=score,
        band=band.code if band else "", points=points, scorecard_version=card.version if card else None,
        base_points=card.base_points if card else 0, band_label=band.label if band else "",
        band_action=band.action if band else "", screened_on=facts.applied_on)


# --- the recommendation --------------------------------------------------------------------------


@dataclass(frozen=True)
class Recommendation:
    decline: bool
    amount: Decimal
    term: int
    rate_text: str
    annual_rate: Decimal | None
    reasons: list[str]
    schedule: Schedule | None = None
    monthly_payment: Decimal | None = None
    annualised_rate: Decimal | None = None
    cap: dict | None = None    # the calc verdict (cap_rate, rule, within_cap …) when the cap applies

    @property
    def within_cap(self) -> bool | None:
        return None if self.cap is None else self.cap.get("within_cap")

    def as_json(self) -> dict:
        schedule = self.schedule
        return {
            "decline": self.decline, "amount": str(self.amount), "term": self.term, "rate_text": self.rate_text,
            "annual_rate": None if self.annual_rate is None else str(self.annual_rate),
            "reasons": list(self.reasons),
            "monthly_payment": None if self.monthly_payment is None else str(self.monthly_payment),
            "annualised_rate": None if self.annualised_rate is None else str(self.annualised_rate),
            "annualised_text": None if self.annualised_rate is None else f"{percent_text(self.annualised_rate)}%",
            "cap": self.cap,
            "total_interest": None if schedule is None else str(schedule.total_interest),
            "total_payment": None if schedule is None else str(schedule.total_payment),
            "schedule": [] if schedule is None else [
                {"number": r.number, "due_date": r.due_date.isoformat(), "principal": str(r.principal),
                 "interest": str(r.interest), "fee": str(r.fee), "total": str(r.total), "balance": str(r.balance)}
                for r in schedule.installments],
        }


def _hundreds(amount: Decimal) -> Decimal:
    """Down to whole hundreds of yuan (a recommended amount is a round figure)."""
    return quantize(round_down(amount, HUNDRED))


def _plan(product, amount, term, start, rate) -> tuple[LoanTerms, Schedule]:
    terms = product_terms(product, amount=amount, term=term, start=start, annual_rate=rate)
    return terms, generate_schedule(terms)


def _affordable(product, *, room: Decimal, term: int, start: date, rate: Decimal, probe: Decimal) -> Decimal:
    """The largest amount (whole hundreds) whose 月供 is at most ``room`` (the 月供 is proportional
    to the amount, but for the rounding to the fen, which the check after the division catches)."""
    terms, schedule = _plan(product, probe, term, start, rate)
    per_yuan = monthly_payment(schedule, terms) / probe
    amount = _hundreds(room / per_yuan) if per_yuan > 0 else probe
    while amount > 0:
        terms, schedule = _plan(product, amount, term, start, rate)
        if monthly_payment(schedule, terms) <= room:
            break
        amount -= HUNDRED
    return max(amount, Decimal("0.00"))


def recommend(*, product: Product, score: int | None, band: str, monthly_income: Decimal | None,
              monthly_debt: Decimal | None, amount: Decimal, term: int, start: date | None = None,
              scorecard_version: int | None = None, knocked_out: bool = False) -> Recommendation:
    """The suggestion (see :func:`_recommend`); terms the calc engine refuses (a product whose rate
    does not parse …) give no suggestion, with calc's reason, rather than an error."""
    try:
        return _recommend(product=product, score=score, band=band, monthly_income=monthly_income,
                          monthly_debt=monthly_debt, amount=amount, term=term, start=start,
                          scorecard_version=scorecard_version, knocked_out=knocked_out)
    except CalcError as error:
        return Recommendation(decline=True, amount=Decimal("0.00"), term=term, rate_text="", annual_rate=None,
                              reasons=[f"无法测算建议方案：{calc_error_message(error)}"])


def _recommend(*, product: Product, score: int | None, band: str, monthly_income: Decimal | None,
               monthly_debt: Decimal | None, amount: Decimal, term: int, start: date | None,
               scorecard_version: int | None, knocked_out: bool) -> Recommendation:
    """Suggested amount, term and rate (docs/domain.md §24):

    1. amount = min(asked, product maximum) × the band's 额度系数, down to whole hundreds; a band
       with 系数 0 is 建议拒绝;
    2. rate = the product's annual rate + the band's 上浮; where the 4×LPR cap applies, lowered until
       the annualised rate (IRR, with the fees) is within the cap;
    3. term = the asked term within the product's range;
    4. affordability (income known): 月供 may take at most income × the debt-to-income limit −
       existing monthly debt; when the amount's 月供 is more, a longer term within the product's range
       that makes it affordable is suggested, else the amount is cut to what the room allows;
    5. below the product's minimum amount: 建议拒绝; an applicant a knock-out rule rejected
       (``knocked_out``): 建议拒绝.
    """
    start = start or clock.today()
    reasons: list[str] = []
    card = card_version(scorecard_version)
    the_band = card.bands.filter(code=band).first() if card is not None and band else None
    term = min(max(term, product.min_term), product.max_term)
    asked = min(amount, product.max_amount)
    if asked < amount:
        reasons.append(f"申请金额{format_yuan(amount)}超过产品上限，按{format_yuan(product.max_amount)}测算")

    def declined(reason: str) -> Recommendation:
        return Recommendation(decline=True, amount=Decimal("0.00"), term=term, rate_text="", annual_rate=None,
                              reasons=[*reasons, reason])

    if knocked_out:
        return declined("初筛未通过（一票否决规则），不建议放款")
    if the_band is None:
        factor, rate_add = Decimal(1), Decimal(0)
        reasons.append("无评分等级，按申请金额和产品利率测算")
    else:
        factor, rate_add = the_band.amount_factor, the_band.rate_add
        if factor <= 0:
            return declined(f"评分{score}分，评级{the_band.code}（{the_band.label}）：{the_band.action}")
        reasons.append(f"评分{score}分，评级{the_band.code}（{the_band.label}）：额度系数{factor}"
                       + (f"，利率上浮{percent_text(rate_add)}个百分点" if rate_add else ""))
    base = _hundreds(asked * factor)

    rate = parse_rate(product.rate_text).annual + rate_add
    cap_applies = organisation_current().interest_cap_applies and product.interest_cap_applies
    cap_rate = cap_verdict(contract_date=start).cap.cap_rate if cap_applies else None
    if cap_rate is not None and rate > cap_rate:
        reasons.append(f"年利率{percent_text(rate)}%超过法定保护上限{percent_text(cap_rate)}%，降至上限")
        rate = cap_rate
    rate = round_down(rate, RATE_STEP)

    if monthly_income and monthly_income > 0:
        limit = max_debt_ratio(product.pk)
        room = quantize(monthly_income * limit - (monthly_debt or Decimal(0)))
        if room <= 0:
            return declined(f"现有月还款{format_yuan(monthly_debt or Decimal(0))}已达月收入{format_yuan(monthly_income)}"
                            f"的{percent_text(limit)}%，无还款余力")
        probe = base if base > 0 else product.min_amount
        fits = _affordable(product, room=room, term=term, start=start, rate=rate, probe=probe)
        if fits < base:
            longer = sorted({t for t in (*STANDARD_TERMS, product.max_term) if term < t <= product.max_term})
            chosen = next((t for t in longer if _affordable(product, room=room, term=t, start=start, rate=rate,
                                                            probe=probe) >= base), None)
            if chosen is not None:
                reasons.append(f"月供上限{format_yuan(room)}（月收入×{percent_text(limit)}% − 现有月还款），"
                               f"期数由{term}期延长至{chosen}期")
                term = chosen
            else:
                reasons.append(f"月供上限{format_yuan(room)}（月收入×{percent_text(limit)}% − 现有月还款），"
                               f"金额由{format_yuan(base)}降至{format_yuan(fits)}")
                base = fits
    else:
        reasons.append("未提供月收入，未做还款能力测算")
    if base < product.min_amount or base <= 0:
        return declined(f"可建议金额{format_yuan(base)}低于产品最低金额{format_yuan(product.min_amount)}")

    terms, schedule = _plan(product, base, term, start, rate)
    cap = None
    if cap_rate is not None:
        quoted, first_irr = rate, schedule.annualised_rate
        for _attempt in range(20):  # fees can put the IRR above the cap: lower the rate by the excess
            stated = round_rate(schedule.annualised_rate)
            if stated <= cap_rate or rate <= 0:
                break
            rate = round_down(max(rate - (stated - cap_rate), Decimal(0)), RATE_STEP)
            terms, schedule = _plan(product, base, term, start, rate)
        if rate < quoted:
            reasons.append(f"含手续费的实际年化利率{percent_text(first_irr)}%超过上限{percent_text(cap_rate)}%，"
                           f"年利率由{percent_text(quoted)}%降至{percent_text(rate)}%")
        verdict = cap_verdict(contract_date=start, annual_rate=round_rate(schedule.annualised_rate))
        cap = verdict.as_dict()
        if not verdict.within_cap:
            reasons.append(f"含手续费的实际年化利率{percent_text(schedule.annualised_rate)}%仍超过上限"
                           f"{percent_text(cap_rate)}%（手续费过高）")
    rate_text = f"{percent_text(rate)}%"
    reasons.append(f"建议{format_yuan(base)}，{term}期，年利率{rate_text}，"
                   f"月供{format_yuan(monthly_payment(schedule, terms))}，实际年化利率{percent_text(schedule.annualised_rate)}%")
    return Recommendation(decline=False, amount=base, term=term, rate_text=rate_text, annual_rate=rate,
                          reasons=reasons, schedule=schedule, monthly_payment=monthly_payment(schedule, terms),
                          annualised_rate=schedule.annualised_rate, cap=cap)


# --- configuration -------------------------------------------------------------------------------

REQUIRED = {
    RuleKind.AGE_RANGE: ("min_age", "max_age"),
    RuleKind.DEBT_TO_INCOME: ("max_ratio",),
    RuleKind.DUPLICATE: ("window_days",),
}


def _refuse(errors: dict[str, list[str]]) -> None:
    """Refuse with every problem, each naming its field."""
    if errors:
        fields = {name: "；".join(messages) for name, messages in errors.items()}
        raise ValidationFailed("；".join(fields.values()), code="screening_invalid", extra={
            "field": next(iter(fields)), "fields": fields,
            "details": [{"field": name, "message": message} for name, message in fields.items()]})


@transaction.atomic
def rule_save(*, rule: ScreeningRule, user=None) -> ScreeningRule:
    """Save a rule after checking the parameters its kind uses."""
    errors: dict[str, list[str]] = {}
    if rule.kind not in RuleKind.values:
        errors["kind"] = [_g("请选择规则类型")]
    if rule.kind == RuleKind.AGE_RANGE:
        if rule.min_age is None and rule.max_age is None:
            errors["min_age"] = [_g("年龄范围规则须填写最低或最高年龄")]
        elif rule.min_age is not None and rule.max_age is not None and rule.min_age > rule.max_age:
            errors["max_age"] = [_g("最高年龄不能低于最低年龄")]
    if rule.kind == RuleKind.DEBT_TO_INCOME and (rule.max_ratio is None or not 0 < rule.max_ratio <= 5):
        errors["max_ratio"] = [_g("负债收入比上限须大于0（填小数：0.5 即百分之五十）")]
    if rule.kind == RuleKind.DUPLICATE and not rule.window_days:
        errors["window_days"] = [_g("重复申请规则须填写查重天数")]
    if rule.max_amount is not None and rule.max_amount <= 0:
        errors["max_amount"] = [_g("金额上限须大于0")]
    _refuse(errors)
    is_new = rule.pk is None
    rule.save()
    audit.record(AuditAction.CREATE if is_new else AuditAction.UPDATE, obj=rule,
                 verb=_g("新增初筛规则") if is_new else _g("修改初筛规则"),
                 changes={"kind": [None, rule.kind], "knock_out": [None, rule.knock_out],
                          "active": [None, rule.is_active]})
    return rule


@transaction.atomic
def scorecard_publish(*, name: str, base_points: int, attributes: list[dict], bands: list[dict], user=None,
                      note: str = "") -> ScoreCard:
    """Publish a new version of the score card (the previous versions stay, unchanged, for the
    applications scored with them). ``attributes``: dicts of ScoreAttribute fields (attribute, label,
    lower, upper, when_missing, points, order); ``bands``: of ScoreBand fields."""
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = [_g("请填写评分卡名称")]
    if not attributes:
        errors["attributes"] = [_g("评分卡至少要有一个属性分箱")]
    if not bands:
        errors["bands"] = [_g("评分卡至少要有一个评分等级")]
    for row in attributes:
        if row.get("attribute") not in Attribute.values:
            errors.setdefault("attributes", []).append(f"未知属性：{row.get('attribute')}")
        lower, upper = row.get("lower"), row.get("upper")
        if lower is not None and upper is not None and lower >= upper:
            errors.setdefault("attributes", []).append(f"{row.get('label')}：下限须小于上限")
    by_attribute: dict[str, list[dict]] = {}
    for row in attributes:
        if not row.get("when_missing"):
            by_attribute.setdefault(row.get("attribute"), []).append(row)
    for attribute, rows in by_attribute.items():
        ordered = sorted(rows, key=lambda r: (r.get("lower") is not None, r.get("lower") or 0))
        for a, b in zip(ordered, ordered[1:], strict=False):
            a_upper = a.get("upper")
            if a_upper is None or (b.get("lower") is None) or b["lower"] < a_upper:
                errors.setdefault("attributes", []).append(
                    f"{Attribute(attribute).label}：分箱“{a.get('label')}”与“{b.get('label')}”重叠")
    codes = [b.get("code") for b in bands]
    if len(set(codes)) != len(codes):
        errors.setdefault("bands", []).append("评级代码不能重复")
    scores = [b.get("min_score") for b in bands]
    if len(set(scores)) != len(scores):
        errors.setdefault("bands", []).append("各评级的最低分不能相同")
    for b in bands:
        if b.get("amount_factor") is not None and not 0 <= b["amount_factor"] <= 1:
            errors.setdefault("bands", []).append(f"评级{b.get('code')}：额度系数须在0到1之间")
    _refuse(errors)
    previous = ScoreCard.objects.select_for_update().filter(is_current=True)
    last = ScoreCard.objects.order_by("-version").values_list("version", flat=True).first() or 0
    previous.update(is_current=False)
    card = ScoreCard.objects.create(name=name.strip(), version=last + 1, base_points=base_points, is_current=True,
                                    note=note, published_by=user if getattr(user, "pk", None) else None)
    field_names = ("attribute", "label", "lower", "upper", "when_missing", "points", "order")
    ScoreAttribute.objects.bulk_create(
        [ScoreAttribute(card=card, **{k: row.get(k) for k in field_names if k in row}) for row in attributes])
    band_fields = ("code", "label", "min_score", "action", "amount_factor", "rate_add")
    ScoreBand.objects.bulk_create([ScoreBand(card=card, **{k: b.get(k) for k in band_fields if k in b})
                                   for b in bands])
    audit.record(AuditAction.ACTION, obj=card, verb=_g("发布评分卡新版本"),
                 changes={"version": [last or None, card.version]}, reason=note or "")
    return card


def card_rows(card: ScoreCard) -> tuple[list[dict], list[dict]]:
    """A version's attributes and bands as the dicts scorecard_publish takes (to edit a copy)."""
    attributes = [{k: getattr(a, k) for k in ("attribute", "label", "lower", "upper", "when_missing", "points",
                                              "order")} for a in card.attributes.order_by("order", "pk")]
    bands = [{k: getattr(b, k) for k in ("code", "label", "min_score", "action", "amount_factor", "rate_add")}
             for b in card.bands.order_by("-min_score")]
    return attributes, bands


def _d(text):
    return None if text is None else Decimal(text)


DEFAULT_RULES = [
    # code, name, kind, parameters, knock-out, order
    ("age", "年龄18至60周岁", RuleKind.AGE_RANGE, {"min_age": 18, "max_age": 60}, True, 10),
    ("defaulter", "失信/黑名单", RuleKind.DEFAULTER, {}, True, 20),
    ("overdue", "现有逾期借据", RuleKind.OVERDUE, {"max_count": 0, "max_overdue_days": 0}, True, 30),
    ("debt_to_income", "负债收入比不超过50%", RuleKind.DEBT_TO_INCOME, {"max_ratio": Decimal("0.5")}, False, 40),
    ("duplicate", "30天内重复申请", RuleKind.DUPLICATE, {"window_days": 30, "max_count": 0}, True, 50),
    ("amount_limit", "产品金额上限", RuleKind.AMOUNT_LIMIT, {}, True, 60),
]

# attribute, label, lower, upper, when_missing, points
DEFAULT_ATTRIBUTES = [
    (Attribute.AGE, "18–24岁", "18", "25", False, 20),
    (Attribute.AGE, "25–34岁", "25", "35", False, 50),
    (Attribute.AGE, "35–49岁", "35", "50", False, 70),
    (Attribute.AGE, "50岁及以上", "50", None, False, 40),
    (Attribute.AGE, "无法得出", None, None, True, 0),
    (Attribute.MONTHLY_INCOME, "未提供", None, None, True, 0),
    (Attribute.MONTHLY_INCOME, "3000元以下", None, "3000", False, 10),
    (Attribute.MONTHLY_INCOME, "3000–5999元", "3000", "6000", False, 40),
    (Attribute.MONTHLY_INCOME, "6000–9999元", "6000", "10000", False, 70),
    (Attribute.MONTHLY_INCOME, "10000元及以上", "10000", None, False, 100),
    (Attribute.DEBT_TO_INCOME, "无法计算", None, None, True, 0),
    (Attribute.DEBT_TO_INCOME, "30%以下", None, "30", False, 100),
    (Attribute.DEBT_TO_INCOME, "30%–49.99%", "30", "50", False, 60),
    (Attribute.DEBT_TO_INCOME, "50%–69.99%", "50", "70", False, 20),
    (Attribute.DEBT_TO_INCOME, "70%及以上", "70", None, False, 0),
    (Attribute.EMPLOYER, "无", None, "1", False, 0),
    (Attribute.EMPLOYER, "有", "1", None, False, 40),
    (Attribute.GOOD_HISTORY, "否", None, "1", False, 0),
    (Attribute.GOOD_HISTORY, "是", "1", None, False, 80),
    (Attribute.OVERDUE_HISTORY, "无", None, "1", False, 50),
    (Attribute.OVERDUE_HISTORY, "1笔及以上", "1", None, False, -100),
    (Attribute.AMOUNT_TO_INCOME, "无法计算", None, None, True, 0),
    (Attribute.AMOUNT_TO_INCOME, "6倍以下", None, "6", False, 80),
    (Attribute.AMOUNT_TO_INCOME, "6–11.99倍", "6", "12", False, 50),
    (Attribute.AMOUNT_TO_INCOME, "12–23.99倍", "12", "24", False, 20),
    (Attribute.AMOUNT_TO_INCOME, "24倍及以上", "24", None, False, 0),
]

# code, label, min score, action, amount factor, rate add
DEFAULT_BANDS = [
    ("A", "优", 700, "建议批准", "1.00", "0"),
    ("B", "良", 600, "建议批准，利率上浮1个百分点", "0.80", "0.01"),
    ("C", "中", 500, "谨慎审批，建议降额并上浮利率", "0.50", "0.02"),
    ("D", "差", 0, "建议拒绝", "0", "0"),
]
DEFAULT_BASE_POINTS = 400


@transaction.atomic
def screening_defaults_ensure() -> int:
    """Seed the default rules (when there is none) and score card version 1 (when there is no card):
    idempotent, an administrator's changes stay. Returns the rows created (rules + cards)."""
    created = 0
    if not ScreeningRule.objects.exists():
        for code, name, kind, params, knock_out, order in DEFAULT_RULES:
            rule_save(rule=ScreeningRule(code=code, name=name, kind=kind, knock_out=knock_out, order=order, **params))
            created += 1
    if not ScoreCard.objects.exists():
        scorecard_publish(
            name="个人贷款评分卡", base_points=DEFAULT_BASE_POINTS, note="初始版本",
            attributes=[{"attribute": a, "label": label, "lower": _d(lo), "upper": _d(hi), "when_missing": missing,
                         "points": pts, "order": n} for n, (a, label, lo, hi, missing, pts)
                        in enumerate(DEFAULT_ATTRIBUTES, start=1)],
            bands=[{"code": c, "label": label, "min_score": m, "action": action, "amount_factor": Decimal(f),
                    "rate_add": Decimal(r)} for c, label, m, action, f, r in DEFAULT_BANDS])
        created += 1
    return created
