"""初筛 and the score card on worked examples (docs/domain.md §24): every rule's outcome and every
attribute's points, added up here to the score and the band; the recommendation's amount, term,
rate and the legal-cap verdict.

The product of the examples: 消费贷, 年利率 9 %, 等额本息 monthly, 30/360, ¥1,000 – ¥200,000, 3 – 36
periods, no fees. Applied on 2026-06-15: the one-year LPR is 3.00 % (since 2025-05-20), so the cap
is 12.00 %. The default rules and score card version 1 (screening_defaults_ensure): base 400 points.
"""

from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest

from ioudesk.calc.idcheck import check_character
from ioudesk.core.crypto import blind_index
from ioudesk.core.errors import ValidationFailed
from ioudesk.legal.models import Defaulter
from ioudesk.products.models import Product
from ioudesk.screening import hooks, services
from ioudesk.screening.facts import ApplicantFacts
from ioudesk.screening.models import RuleKind, ScoreCard, ScreeningRule

DAY = date(2026, 6, 15)


def ident(birth: str, sequence: str = "003") -> str:
    """A valid 身份证号 born on ``birth`` (YYYYMMDD), with its GB 11643 check character."""
    first17 = "110105" + birth + sequence
    return first17 + check_character(first17)


def level_payment(principal: D, annual: D, n: int) -> D:
    """等额本息 A = P·r·(1+r)ⁿ / ((1+r)ⁿ − 1), r = annual ÷ 12, half-up to the fen (docs/domain.md §4)."""
    r = annual / 12
    growth = (1 + r) ** n
    return (principal * r * growth / (growth - 1)).quantize(D("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture
def product(organisation):
    services.screening_defaults_ensure()
    return Product.objects.create(code="XF01", name="消费贷", rate_text="9%", annual_rate=D("0.09"),
                                  min_amount=D("1000"), max_amount=D("200000"), min_term=3, max_term=36)


def facts(product, **changes) -> ApplicantFacts:
    values = {"product_id": product.pk, "amount": D("60000"), "term": 12, "id_number": ident("19910520"),
              "name": "李明", "applied_on": DAY, "monthly_income": D("12000"), "monthly_debt": D("0"),
              "employer": "星辰科技有限公司"}
    return ApplicantFacts(**{**values, **changes})


def outcome(result, code):
    return next(o for o in result.outcomes if o.code == code)


def points(result) -> dict[str, tuple[str, int]]:
    return {p.attribute: (p.bin, p.points) for p in result.points}


def test_li_ming_passes_every_rule_and_scores_800_band_a(product):
    """李明, born 1991-05-20 (35 on 2026-06-15), ¥12,000 a month, no debts, employed, a new customer,
    asks ¥60,000 over 12 months."""
    result = services.screen(facts(product))

    # 月供 of ¥60,000 at 9 % over 12 months, and the debt-to-income ratio (0 + 5,247.09) ÷ 12,000
    assert level_payment(D("60000"), D("0.09"), 12) == D("5247.09")
    assert (D("5247.09") / D("12000") * 100).quantize(D("0.01")) == D("43.73")
    assert [(o.code, o.passed) for o in result.outcomes] == [
        ("age", True), ("defaulter", True), ("overdue", True), ("debt_to_income", True), ("duplicate", True),
        ("amount_limit", True)]
    assert outcome(result, "age").detail == "出生日期1991-05-20，申请日2026-06-15满35周岁"
    assert outcome(result, "debt_to_income").detail == (
        "（现有月还款¥0.00 + 本笔月供¥5,247.09）÷ 月收入¥12,000.00 = 43.73%，不超过上限50.00%")
    assert not result.knocked_out and result.reasons == []

    assert points(result) == {
        "age": ("35–49岁", 70),                 # 35
        "monthly_income": ("10000元及以上", 100),  # ¥12,000
        "debt_to_income": ("30%–49.99%", 60),   # 43.73 %
        "employer": ("有", 40),
        "good_history": ("否", 0),              # a new customer
        "overdue_history": ("无", 50),
        "amount_to_income": ("6倍以下", 80),     # 60,000 ÷ 12,000 = 5.00
    }
    assert result.base_points == 400
    assert 400 + 70 + 100 + 60 + 40 + 0 + 50 + 80 == 800 == result.score
    assert (result.band, result.band_label, result.band_action) == ("A", "优", "建议批准")  # A from 700
    assert result.scorecard_version == 1

    rec = services.recommend(product=product, score=result.score, band=result.band, monthly_income=D("12000"),
                             monthly_debt=D("0"), amount=D("60000"), term=12, start=DAY)
    # band A: 系数 1.00, no markup → ¥60,000 at 9 %; room 12,000 × 50 % − 0 = 6,000 ≥ 5,247.09 → 12 months
    assert (rec.decline, rec.amount, rec.term, rec.rate_text) == (False, D("60000.00"), 12, "9.00%")
    assert rec.monthly_payment == D("5247.09")
    assert rec.annualised_rate.quantize(D("0.0001")) == D("0.0900")  # no fees: IRR = the quoted rate
    assert rec.cap["cap_rate"] == "12.00" and rec.within_cap is True
    assert rec.as_json()["schedule"][0]["total"] == "5247.09" and len(rec.as_json()["schedule"]) == 12


def test_zhang_li_scores_620_band_b_and_gets_a_longer_term(product):
    """张丽, born 1999-11-02 (26), ¥6,500 a month, ¥1,200 of existing monthly repayments, no employer
    given, asks ¥50,000 over 12 months."""
    result = services.screen(facts(product, id_number=ident("19991102", "024"), name="张丽", amount=D("50000"),
                                   monthly_income=D("6500"), monthly_debt=D("1200"), employer=""))
    assert level_payment(D("50000"), D("0.09"), 12) == D("4372.57")
    # (1,200 + 4,372.57) ÷ 6,500 = 85.73 % > 50 %: the rule fails, but it is not a knock-out
    dti = outcome(result, "debt_to_income")
    assert (dti.passed, dti.knock_out) == (False, False)
    assert dti.detail == "（现有月还款¥1,200.00 + 本笔月供¥4,372.57）÷ 月收入¥6,500.00 = 85.73%，超过上限50.00%"
    assert not result.knocked_out

    assert points(result) == {
        "age": ("25–34岁", 50), "monthly_income": ("6000–9999元", 70), "debt_to_income": ("70%及以上", 0),
        "employer": ("无", 0), "good_history": ("否", 0), "overdue_history": ("无", 50),
        "amount_to_income": ("6–11.99倍", 50),  # 50,000 ÷ 6,500 = 7.69
    }
    assert 400 + 50 + 70 + 0 + 0 + 0 + 50 + 50 == 620 == result.score
    assert result.band == "B"  # 600 – 699

    rec = services.recommend(product=product, score=620, band="B", monthly_income=D("6500"), monthly_debt=D("1200"),
                             amount=D("50000"), term=12, start=DAY)
    # band B: 50,000 × 0.80 = 40,000 at 9 % + 1 = 10 %; room = 6,500 × 50 % − 1,200 = 2,050 a month.
    # 12 months: 3,516.64 > 2,050; 18 months: 2,402.28 > 2,050; 24 months: 1,845.80 ≤ 2,050 → 24
    assert level_payment(D("40000"), D("0.10"), 12) == D("3516.64")
    assert level_payment(D("40000"), D("0.10"), 18) == D("2402.28")
    assert level_payment(D("40000"), D("0.10"), 24) == D("1845.80")
    assert (rec.amount, rec.term, rec.rate_text, rec.monthly_payment) == (D("40000.00"), 24, "10.00%", D("1845.80"))
    assert "期数由12期延长至24期" in rec.reasons[1]
    assert rec.within_cap is True


def test_an_applicant_of_17_on_the_birthday_is_knocked_out_and_18_the_day_after(product):
    """王小明, born 2008-06-15: on 2026-06-15 (his 18th birthday) he is still 17 — 周岁 are complete
    the day after the birthday — and a minor is rejected (民法典 art. 17–19); on 2026-06-16 he is 18."""
    minor = facts(product, id_number=ident("20080615", "011"), name="王小明", amount=D("5000"), term=6,
                  monthly_income=D("3000"), employer="")
    result = services.screen(minor)
    age = outcome(result, "age")
    assert (age.passed, age.knock_out) == (False, True)
    assert age.detail == "未满18周岁（出生日期2008-06-15，申请日2026-06-15满17周岁）"
    assert result.knocked_out and result.reasons == [f"年龄18至60周岁：{age.detail}"]
    assert points(result)["age"] == ("（无匹配分箱，0分）", 0)  # the card has no bin under 18

    rec = services.recommend(product=product, score=result.score, band=result.band, monthly_income=D("3000"),
                             monthly_debt=None, amount=D("5000"), term=6, start=DAY, knocked_out=True)
    assert rec.decline and rec.amount == D("0.00") and rec.reasons[-1] == "初筛未通过（一票否决规则），不建议放款"

    next_day = services.screen(facts(product, id_number=minor.id_number, applied_on=date(2026, 6, 16)))
    assert outcome(next_day, "age").passed and outcome(next_day, "age").detail.endswith("满18周岁")


def test_over_the_age_limit_and_a_products_own_age_rule(product):
    # born 1965-06-14: 61 on 2026-06-15, over the general 60
    old = services.screen(facts(product, id_number=ident("19650614")))
    assert outcome(old, "age").detail == "超过60周岁的上限（出生日期1965-06-14，申请日2026-06-15满61周岁）"
    assert old.knocked_out
    assert services.age_limits(product.pk) == (18, 60)

    # a product's own age rule replaces the general one for that product only
    services.rule_save(rule=ScreeningRule(code="age-xf01", name="消费贷年龄22至65周岁", kind=RuleKind.AGE_RANGE,
                                          product=product, min_age=22, max_age=65, order=10))
    assert services.age_limits(product.pk) == (22, 65)
    assert services.age_limits(None) == (18, 60)
    assert outcome(services.screen(facts(product, id_number=ident("19650614"))), "age-xf01").passed
    young = services.screen(facts(product, id_number=ident("20050101")))  # 21
    assert [o.code for o in young.outcomes if o.kind == RuleKind.AGE_RANGE] == ["age-xf01"]
    assert outcome(young, "age-xf01").detail.startswith("未满22周岁")


def test_an_invalid_id_number_fails_the_age_rule_with_what_is_wrong(product):
    bad = ident("19910520")[:-1] + ("0" if ident("19910520")[-1] != "0" else "1")
    result = services.screen(facts(product, id_number=bad))
    assert outcome(result, "age").detail.startswith("无法从身份证号得出年龄：身份证号校验位应为")
    assert result.knocked_out and points(result)["age"] == ("无法得出", 0)


def test_a_listed_defaulter_is_knocked_out_with_the_listing_reason(product, head_office):
    number = ident("19880808")
    Defaulter.objects.create(branch=head_office, name="赵强", id_index=blind_index(number, "customer.id_number"),
                             id_last4=number[-4:], source="internal", reason="2024年借款逾期两年未还",
                             listed_on=date(2025, 3, 1))
    result = services.screen(facts(product, id_number=number, name="赵强"))
    listed = outcome(result, "defaulter")
    assert not listed.passed and result.knocked_out
    assert listed.detail == "命中失信/黑名单（本机构黑名单，2025-03-01列入）：2024年借款逾期两年未还"


def _loan_for(customer, manager, approver, finance):
    from ioudesk.core import clock
    from ioudesk.ious.models import Iou
    from ioudesk.ious.services import iou_approve, iou_create, iou_submit
    from ioudesk.ious.services.disbursement import iou_disburse

    with clock.frozen(date(2026, 1, 15)):
        created = iou_create(iou=Iou(kind="loan", customer=customer, principal=D("10000"), term=12, rate_text="12%",
                                     method="equal_installment", contract_date=date(2026, 1, 15)), user=manager)
        iou = created[0] if isinstance(created, tuple) else created
        iou_submit(iou=iou, user=manager)
        iou_approve(iou=iou, user=approver)
        iou_disburse(iou=iou, user=finance)
    return iou


def test_existing_customer_overdue_is_knocked_out_and_loses_points(product, debtor, manager, approver, finance):
    from ioudesk.ious.models import Iou

    iou = _loan_for(debtor, manager, approver, finance)
    Iou.objects.filter(pk=iou.pk).update(status="overdue", days_past_due=45)
    result = services.screen(facts(product, id_number=debtor.id_number, name=debtor.name, customer_id=debtor.pk))
    overdue = outcome(result, "overdue")
    assert (overdue.passed, overdue.detail) == (False, "逾期超过0天的借据1笔，已核销0笔")
    assert result.knocked_out
    # 王建国 was born 1949-12-31: 76, over 60 as well
    assert outcome(result, "age").detail.startswith("超过60周岁的上限")
    assert points(result)["overdue_history"] == ("1笔及以上", -100)
    assert points(result)["good_history"] == ("否", 0)


def test_existing_customer_with_a_settled_loan_earns_the_good_history_points(product, debtor, manager, approver,
                                                                            finance):
    from ioudesk.ious.models import Installment, Iou

    iou = _loan_for(debtor, manager, approver, finance)
    Iou.objects.filter(pk=iou.pk).update(status="settled")
    Installment.objects.filter(schedule__iou=iou).update(paid_off_on=date(2026, 2, 10))  # before each due date
    result = services.screen(facts(product, id_number=debtor.id_number, customer_id=debtor.pk))
    assert outcome(result, "overdue").detail == "无逾期或核销借据"
    assert points(result)["good_history"] == ("是", 80) and points(result)["overdue_history"] == ("无", 50)

    # one installment paid after its due date (2026-02-15): the history is no longer clean
    Installment.objects.filter(schedule__iou=iou, number=1).update(paid_off_on=date(2026, 2, 20))
    late = services.screen(facts(product, id_number=debtor.id_number, customer_id=debtor.pk))
    assert points(late)["good_history"] == ("否", 0) and points(late)["overdue_history"] == ("1笔及以上", -100)
    assert late.score == result.score - 80 - 150


def test_duplicate_applications_through_the_registered_counter(product, monkeypatch):
    asked = []

    def counter(facts, days):
        asked.append((facts.id_number_index, days))
        return 1

    monkeypatch.setattr(hooks, "DUPLICATE_COUNTERS", [counter])
    result = services.screen(facts(product, id_number_index="abc"))
    duplicate = outcome(result, "duplicate")
    assert asked == [("abc", 30)]
    assert (duplicate.passed, duplicate.detail) == (False, "近30天内同一身份证号或手机号的其他申请1笔")
    assert result.knocked_out


def test_amount_limit_rule(product):
    services.rule_save(rule=ScreeningRule(code="amount-xf01", name="消费贷单笔不超过10万元",
                                          kind=RuleKind.AMOUNT_LIMIT, product=product, max_amount=D("100000")))
    over = services.screen(facts(product, amount=D("120000")))
    assert outcome(over, "amount-xf01").detail == "申请金额¥120,000.00超过上限¥100,000.00"
    assert over.knocked_out and "amount_limit" not in [o.code for o in over.outcomes]


def test_editing_the_score_card_publishes_a_new_version_and_the_old_one_still_scores(product, admin_user_zh):
    v1 = ScoreCard.objects.get(version=1)
    attributes, bands = services.card_rows(v1)
    for row in attributes:
        if row["attribute"] == "employer" and row["label"] == "有":
            row["points"] = 60
    v2 = services.scorecard_publish(name=v1.name, base_points=420, attributes=attributes, bands=bands,
                                    user=admin_user_zh, note="工作单位加分")
    assert (v2.version, v2.is_current) == (2, True)
    v1.refresh_from_db()
    assert not v1.is_current and v1.attributes.get(attribute="employer", label="有").points == 40

    now = services.screen(facts(product))
    assert (now.scorecard_version, now.score) == (2, 800 + 20 + 20)  # base +20, employer +20
    before = services.screen(facts(product), scorecard_version=1)
    assert (before.scorecard_version, before.score) == (1, 800)


def test_a_score_card_with_overlapping_bins_is_refused(product):
    v1 = ScoreCard.objects.get(version=1)
    attributes, bands = services.card_rows(v1)
    attributes.append({"attribute": "age", "label": "30–40岁", "lower": D("30"), "upper": D("40"),
                       "when_missing": False, "points": 5, "order": 99})
    with pytest.raises(ValidationFailed) as refused:
        services.scorecard_publish(name="x", base_points=0, attributes=attributes, bands=bands)
    assert "重叠" in str(refused.value.message) and refused.value.extra["field"] == "attributes"
    assert ScoreCard.objects.count() == 1


def test_rule_parameters_are_checked(db):
    with pytest.raises(ValidationFailed) as refused:
        services.rule_save(rule=ScreeningRule(code="dti2", name="x", kind=RuleKind.DEBT_TO_INCOME))
    assert refused.value.extra["field"] == "max_ratio"
    with pytest.raises(ValidationFailed) as refused:
        services.rule_save(rule=ScreeningRule(code="age2", name="x", kind=RuleKind.AGE_RANGE, min_age=30, max_age=20))
    assert refused.value.extra["field"] == "max_age"


def test_recommendation_rate_is_lowered_to_the_legal_cap(product):
    """At 11.5 % a band-B applicant would pay 12.5 %: above 4 × 3.00 % = 12.00 %, so 12.00 %."""
    product.rate_text, product.annual_rate = "11.5%", D("0.115")
    product.save()
    rec = services.recommend(product=product, score=650, band="B", monthly_income=D("20000"), monthly_debt=D("0"),
                             amount=D("10000"), term=12, start=DAY)
    assert (rec.amount, rec.term, rec.rate_text) == (D("8000.00"), 12, "12.00%")
    assert "年利率12.50%超过法定保护上限12.00%，降至上限" in rec.reasons
    assert rec.monthly_payment == level_payment(D("8000"), D("0.12"), 12) == D("710.79")
    assert rec.within_cap is True


def test_fees_that_put_the_irr_over_the_cap_lower_the_rate(product):
    """11 % with a 2 % fee kept back at disbursement: ¥10,000 lent, ¥9,800 received, 12 × 883.82 repaid —
    an IRR of about 14.9 %, over 12 %; the recommendation lowers the rate until the IRR is within."""
    from ioudesk.calc.irr import annualised_rate

    product.rate_text, product.annual_rate, product.upfront_fee_rate = "11%", D("0.11"), D("0.02")
    product.save()
    assert annualised_rate(D("9800"), [level_payment(D("10000"), D("0.11"), 12)] * 12, periods_per_year=12) > D("0.12")
    rec = services.recommend(product=product, score=750, band="A", monthly_income=None, monthly_debt=None,
                             amount=D("10000"), term=12, start=DAY)
    # lowered by the excess of the IRR over the cap (to 0.01 %, down): 11 % → 8.15 %, IRR 11.97 %
    assert (rec.rate_text, rec.cap["rate"], rec.within_cap) == ("8.15%", "11.97", True)
    assert "年利率由11.00%降至8.15%" in rec.reasons[-2]
    payment = level_payment(D("10000"), D("0.0815"), 12)
    assert rec.monthly_payment == payment == D("870.58")
    repaid = [row.total for row in rec.schedule.installments]  # the last one settles the balance
    assert repaid[:11] == [payment] * 11
    assert annualised_rate(D("9800"), repaid, periods_per_year=12) == rec.annualised_rate


def test_recommendation_declines(product):
    assert services.recommend(product=product, score=450, band="D", monthly_income=D("9000"), monthly_debt=D("0"),
                              amount=D("10000"), term=12, start=DAY).reasons[-1] == "评分450分，评级D（差）：建议拒绝"
    no_room = services.recommend(product=product, score=720, band="A", monthly_income=D("4000"),
                                 monthly_debt=D("2000"), amount=D("10000"), term=12, start=DAY)
    assert no_room.decline and "无还款余力" in no_room.reasons[-1]
    # room 4,000 × 50 % − 1,950 = ¥50 a month; no term up to 36 makes ¥10,000 fit, so the amount is cut at
    # 12 months: 50 ÷ 0.0874515 (月供 per yuan) = 571.75 → ¥500, under the product's minimum of ¥1,000
    small = services.recommend(product=product, score=720, band="A", monthly_income=D("4000"),
                               monthly_debt=D("1950"), amount=D("10000"), term=12, start=DAY)
    assert small.decline and small.reasons[-1] == "可建议金额¥500.00低于产品最低金额¥1,000.00"


def test_a_product_the_calc_engine_refuses_gives_no_suggestion_rather_than_an_error(product):
    product.rate_text = "月息"  # no number: calc refuses it
    rec = services.recommend(product=product, score=720, band="A", monthly_income=None, monthly_debt=None,
                             amount=D("10000"), term=12, start=DAY)
    assert rec.decline and rec.reasons[0].startswith("无法测算建议方案：")


def test_defaults_are_seeded_once(organisation):
    assert services.screening_defaults_ensure() == 7  # six rules and the card
    ScreeningRule.objects.filter(code="age").update(max_age=65)
    assert services.screening_defaults_ensure() == 0
    assert ScreeningRule.objects.get(code="age").max_age == 65
