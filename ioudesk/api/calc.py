"""/api/v1/calc: the calculator over HTTP, with the same fields and JSON as `ioudesk calc`."""

from datetime import date
from typing import Literal

from ninja import Router, Schema

from ioudesk.api.errors import CALC_ERRORS
from ioudesk.calc import idcheck, uscc
from ioudesk.calc.cli import schedule_as_dict
from ioudesk.calc.inputs import cap_verdict, loan_terms
from ioudesk.calc.rates import parse_rate
from ioudesk.calc.schedule import generate_schedule
from ioudesk.calc.words import amount_in_words
from ioudesk.core import clock

router = Router(tags=["计算器"])

Amount = str  # "100000" or "100000.00": strings, so no amount ever passes through a float


class CalcScheduleIn(Schema):
    principal: Amount
    rate: str
    term: int
    method: Literal["equal_installment", "equal_principal", "interest_only", "bullet", "flat"] = "equal_installment"
    frequency: Literal["monthly", "quarterly", "weekly", "biweekly", "daily"] = "monthly"
    day_count: Literal["30/360", "ACT/360", "ACT/365"] = "30/360"
    start: date | None = None
    first_due: date | None = None
    deducted_interest: Amount = "0"
    fee: Amount = "0"
    upfront_fee: Amount = "0"
    business_day: Literal["none", "following", "preceding"] = "none"
    last_installment: Literal["settle_balance", "equal_payment"] = "settle_balance"


class CalcInstallmentOut(Schema):
    number: int
    due_date: str
    principal: str
    interest: str
    fee: str
    total: str
    balance: str


class CalcScheduleOut(Schema):
    """Named apart from the IOU API's ScheduleOut: OpenAPI component names are unique."""

    principal: str
    periodic_payment: str
    total_principal: str
    total_interest: str
    total_payment: str
    annualised_rate: str
    installments: list[CalcInstallmentOut]


@router.post("/schedule", response={200: CalcScheduleOut, **CALC_ERRORS}, summary="还款计划")
def schedule(request, payload: CalcScheduleIn):
    data = payload.dict()
    for key in ("start", "first_due"):
        data[key] = data[key].isoformat() if data[key] else None
    return schedule_as_dict(generate_schedule(loan_terms(**data, today=clock.today())))


class CalcCapIn(Schema):
    contract_date: date
    rate: str | None = None
    filing_date: date | None = None


class CalcCapOut(Schema):
    contract_date: str
    lpr_1y: str | None
    cap_rate: str
    rule: str
    rate: str | None = None
    within_cap: bool | None = None


@router.post("/cap", response={200: CalcCapOut, **CALC_ERRORS}, summary="民间借贷利率保护上限（4倍LPR）")
def cap(request, payload: CalcCapIn):
    rate = parse_rate(payload.rate).annual if payload.rate else None
    return cap_verdict(contract_date=payload.contract_date, annual_rate=rate, filing_date=payload.filing_date).as_dict()


class WordsIn(Schema):
    amount: Amount
    prefix: bool = False


class WordsOut(Schema):
    amount: str
    words: str


@router.post("/words", response={200: WordsOut, **CALC_ERRORS}, summary="大写金额")
def words(request, payload: WordsIn):
    return {"amount": payload.amount, "words": amount_in_words(payload.amount, prefix=payload.prefix)}


class IdIn(Schema):
    number: str


class IdCheckOut(Schema):
    valid: bool
    number: str
    birth_date: str
    sex: str


@router.post("/check-id", response={200: IdCheckOut, **CALC_ERRORS}, summary="校验居民身份证号")
def check_id(request, payload: IdIn):
    card = idcheck.validate(payload.number)
    return {"valid": True, "number": card.number, "birth_date": card.birth_date.isoformat(), "sex": card.sex}


class UsccIn(Schema):
    code: str


class UsccCheckOut(Schema):
    valid: bool
    code: str


@router.post("/check-uscc", response={200: UsccCheckOut, **CALC_ERRORS}, summary="校验统一社会信用代码")
def check_uscc(request, payload: UsccIn):
    return {"valid": True, "code": uscc.validate(payload.code).code}

