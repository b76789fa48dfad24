"""calc.reporting: shares, provisions, the guideline's rate bands, size and term bands (docs/domain.md §27)."""

from decimal import Decimal as D

from ioudesk.calc import reporting


def test_share_is_half_up_and_none_of_nothing():
    assert reporting.share(D("1"), D("3")) == D("33.33")  # 33.333… %
    assert reporting.share(D("2"), D("3")) == D("66.67")  # 66.666… % half-up
    assert reporting.share(D("0.125"), D("1000")) == D("0.01")  # 0.0125 % → 0.01
    assert reporting.share(D("5"), D("0")) is None
    assert reporting.share(0, 7) == D("0.00")


def test_provisions_per_tier_general_reserve_and_total():
    # 关注 95,000 × 2 % = 1,900; 次级 120,000 × 25 % = 30,000; 可疑 30,000 × 50 % = 15,000;
    # 损失 333.33 × 100 % = 333.33; balance 650,000 + 95,000 + 120,000 + 30,000 + 333.33 = 895,333.33;
    # general 1 % = 8,953.3333 → 8,953.33
    balances = {"normal": D("650000.00"), "special_mention": D("95000.00"), "substandard": D("120000.00"),
                "doubtful": D("30000.00"), "loss": D("333.33")}
    out = reporting.provisions_required(balances, reporting.TIER_RATES, D("1"))
    assert (out["special_mention"], out["substandard"], out["doubtful"], out["loss"]) == (
        D("1900.00"), D("30000.00"), D("15000.00"), D("333.33"))
    assert (out["specific"], out["balance"], out["general"], out["total"]) == (
        D("47233.33"), D("895333.33"), D("8953.33"), D("56186.66"))
    assert reporting.provision(D("0.05"), D("50")) == D("0.03")  # 0.025 half-up


def test_rates_within_the_guideline():
    assert reporting.rate_check("substandard", D("20")) and reporting.rate_check("substandard", D("30"))
    assert not reporting.rate_check("substandard", D("19.99")) and not reporting.rate_check("substandard", D("30.01"))
    assert reporting.rate_check("doubtful", D("40")) and not reporting.rate_check("doubtful", D("61"))
    assert reporting.rate_check("special_mention", D("3")) and not reporting.rate_check("special_mention", D("1.5"))
    assert not reporting.rate_check("loss", D("99")) and not reporting.rate_check("normal", D("101"))


def test_size_and_term_bands_upper_bounds_inclusive():
    assert [reporting.size_band(D(x)) for x in ("100000", "100000.01", "500000", "1000000", "5000000", "5000000.01")] == [
        "le_10w", "10w_50w", "10w_50w", "50w_100w", "100w_500w", "gt_500w"]
    assert [reporting.term_band(n) for n in (1, 6, 7, 12, 13, 36, 37)] == [
        "le_6", "le_6", "7_12", "7_12", "13_36", "13_36", "gt_36"]
