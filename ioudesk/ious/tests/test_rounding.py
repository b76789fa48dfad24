"""All rounding goes through calc, half-up to the fen (defect 14: the upfront fee was rounded
half-even in the service)."""

import re
from datetime import date
from decimal import Decimal as D
from pathlib import Path

from ioudesk.ious.services import iou_from_product
from ioudesk.products.models import Product
from ioudesk.products.services import product_save

ROOT = Path(__file__).resolve().parents[2]  # ioudesk/


def test_the_upfront_fee_is_rounded_half_up(organisation, debtor):
    # Given a product charging 1 % upfront, when ¥1,234.50 is lent, then the fee is
    # 1,234.50 × 1 % = 12.345 → 12.35 (四舍五入); half-even would have given 12.34.
    product = product_save(product=Product(code="SXF", name="手续费贷", rate_text="12%", method="equal_installment",
                                           min_amount=1000, max_amount=50000, min_term=3, max_term=12,
                                           upfront_fee_rate=D("0.0100")))
    iou = iou_from_product(product=product, customer=debtor, principal="1234.50", term=3,
                           contract_date=date(2026, 11, 28))
    assert iou.upfront_fee == D("12.35")


def test_nothing_outside_calc_rounds_by_itself():
    """`Decimal.quantize` and `round()` belong to ioudesk/calc (money.quantize, rates.percent,
    rates.round_rate), which round half-up; anywhere else they would round half-even."""
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] == "calc" or "tests" in relative.parts or "migrations" in relative.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\.quantize\(|(?<![\w.])round\(|ROUND_HALF", line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []
