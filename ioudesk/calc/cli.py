"""The calculator on the command line: ``python -m ioudesk.calc …`` or ``ioudesk calc …``.

Pure Python (no Django), so it starts at once.  Exit codes: 0 done (or valid), 1 a domain
error or an invalid number (the reason in Chinese on stderr), 2 a usage error.

>>> main(["words", "1409.50", "--prefix"])
人民币壹仟肆佰零玖元伍角
0
"""
import argparse
import json
import sys
from datetime import date
from decimal import Decimal

from ioudesk.calc import aging, idcheck, uscc
from ioudesk.calc.dates import BusinessDay, Frequency, parse_date
from ioudesk.calc.daycount import DayCount
from ioudesk.calc.errors import CalcError
from ioudesk.calc.inputs import cap_verdict, loan_terms
from ioudesk.calc.limitation import Interruption, InterruptionKind, limitation_expiry
from ioudesk.calc.money import quantize
from ioudesk.calc.rates import parse_rate, percent_text
from ioudesk.calc.schedule import LastInstallment, Method, Schedule, generate_schedule
from ioudesk.calc.words import amount_in_words

SCHEDULE_METHODS = [m.value for m in Method if m is not Method.CUSTOM]


class _Parser(argparse.ArgumentParser):
    """argparse with the complaint in Chinese; still exits 2 like any usage error."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"参数错误：{message}\n")


def _money(amount: Decimal) -> str:
    return str(quantize(amount))


def schedule_as_dict(schedule: Schedule) -> dict:
    """The JSON shape shared by the CLI and the API: amounts as two-decimal strings, the
    annualised rate as a percent string ("12.00")."""
    return {
        "principal": _money(schedule.principal),
        "periodic_payment": _money(schedule.periodic_payment),
        "total_principal": _money(schedule.total_principal),
        "total_interest": _money(schedule.total_interest),
        "total_payment": _money(schedule.total_payment),
        "annualised_rate": percent_text(schedule.annualised_rate),
        "installments": [
            {
                "number": row.number,
                "due_date": row.due_date.isoformat(),
                "principal": _money(row.principal),
                "interest": _money(row.interest),
                "fee": _money(row.fee),
                "total": _money(row.total),
                "balance": _money(row.balance),
            }
            for row in schedule.installments
        ],
    }


def _schedule(args) -> int:
    terms = loan_terms(
        principal=args.principal, rate=args.rate, term=args.term, today=date.today(), method=args.method,
        frequency=args.frequency, day_count=args.day_count, start=args.start, first_due=args.first_due,
        deducted_interest=args.deducted_interest, fee=args.fee, upfront_fee=args.upfront_fee,
        business_day=args.business_day, last_installment=args.last_installment,
    )
    schedule = generate_schedule(terms)
    if args.json:
        _print_json(schedule_as_dict(schedule))
        return 0
    print(f"还款方式：{terms.method.label}　利率：{terms.rate.describe()}　期数：{terms.term}（{terms.frequency.label}）")
    print(f"本金 {schedule.principal:,.2f}　利息合计 {schedule.total_interest:,.2f}　"
          f"还款合计 {schedule.total_payment:,.2f}　年化利率（IRR） {percent_text(schedule.annualised_rate)}%")
    print(f"{'期次':>4} {'还款日':>10} {'本金':>14} {'利息':>12} {'费用':>10} {'合计':>14} {'剩余本金':>14}")
    for row in schedule.installments:
        print(f"{row.number:>6} {row.due_date.isoformat():>13} {row.principal:>16,.2f} {row.interest:>14,.2f} "
              f"{row.fee:>12,.2f} {row.total:>16,.2f} {row.balance:>16,.2f}")
    return 0


def _words(args) -> int:
    print(amount_in_words(args.amount, prefix=args.prefix))
    return 0


def _cap(args) -> int:
    contract_date = parse_date(args.contract_date, field="合同成立日")
    filing_date = parse_date(args.filing_date, field="起诉日") if args.filing_date else None
    verdict = cap_verdict(contract_date=contract_date, filing_date=filing_date,
                          annual_rate=parse_rate(args.rate).annual if args.rate else None)
    result = verdict.as_dict()
    if args.json:
        _print_json(result)
    else:
        print(f"保护上限：年化{result['cap_rate']}%\n依据：{result['rule']}")
        if args.rate:
            judgement = "在保护范围内" if result["within_cap"] else "超过保护上限，超出部分不受法律保护"
            print(f"约定利率年化{result['rate']}%：{judgement}")
    return 0


def _check_id(args) -> int:
    card = idcheck.validate(args.number)
    print(f"有效：{idcheck.mask(card.number)}，出生日期 {card.birth_date.isoformat()}，性别 {card.sex}")
    return 0


def _check_uscc(args) -> int:
    code = uscc.validate(args.code)
    print(f"有效：{code.code}，登记管理部门代码 {code.registration_authority}，行政区划码 {code.region_code}")
    return 0


def _interruption(text: str) -> Interruption:
    day, _, kind = text.partition(":")
    try:
        parsed_kind = InterruptionKind(kind or "demand")
    except ValueError:
        allowed = "、".join(k.value for k in InterruptionKind)
        raise CalcError(f"不支持的中断事由“{kind}”，请选择：{allowed}") from None
    return Interruption(parse_date(day, field="中断日期"), parsed_kind)


def _limitation(args) -> int:
    result = limitation_expiry(
        last_due=parse_date(args.last_due, field="最后到期日") if args.last_due else None,
        demand_on=parse_date(args.demand, field="催告日期") if args.demand else None,
        reasonable_days=args.reasonable_days,
        interruptions=[_interruption(text) for text in args.interruption],
    )
    if args.json:
        _print_json({"starts_on": result.starts_on.isoformat(), "expires_on": result.expires_on.isoformat(),
                     "outer_limit_on": result.outer_limit_on.isoformat(), "basis": result.basis})
    else:
        print(f"诉讼时效届满日：{result.expires_on.isoformat()}\n依据：{result.basis}")
    return 0


def _classify(args) -> int:
    tier = aging.classification_floor(args.dpd, grace_days=args.grace_days)
    bucket = aging.loan_bucket(args.dpd)
    if args.json:
        _print_json({"dpd": args.dpd, "bucket": bucket, "floor": tier.label, "non_performing": tier.non_performing})
    else:
        print(f"逾期{args.dpd}天：{bucket}，五级分类不得优于“{tier.label}”{'（不良）' if tier.non_performing else ''}")
    return 0


def _print_json(data: dict) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ioudesk calc", description="欠条管家计算器：还款计划、大写金额、利率上限、证件校验、诉讼时效")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = commands.add_parser("schedule", help="还款计划")
    p.add_argument("--principal", required=True, help="本金，如 100000")
    p.add_argument("--rate", required=True, help="利率，如 12%%、年化12%%、月息1分、日息万五")
    p.add_argument("--term", required=True, help="期数（1–600）")
    p.add_argument("--method", default="equal_installment", choices=SCHEDULE_METHODS)
    p.add_argument("--frequency", default="monthly", choices=[f.value for f in Frequency])
    p.add_argument("--day-count", default="30/360", choices=[d.value for d in DayCount])
    p.add_argument("--start", help="放款日 YYYY-MM-DD（默认今天）")
    p.add_argument("--first-due", help="首期还款日（首期不足或超过一个周期时）")
    p.add_argument("--deducted-interest", default="0", help="预扣利息（砍头息）")
    p.add_argument("--fee", default="0", help="每期手续费")
    p.add_argument("--upfront-fee", default="0", help="放款时扣除的手续费")
    p.add_argument("--business-day", default="none", choices=[b.value for b in BusinessDay])
    p.add_argument("--last-installment", default="settle_balance", choices=[m.value for m in LastInstallment])
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_schedule)

    p = commands.add_parser("words", help="大写金额")
    p.add_argument("amount")
    p.add_argument("--prefix", action="store_true", help="加“人民币”前缀")
    p.set_defaults(handler=_words)

    p = commands.add_parser("cap", help="民间借贷利率保护上限（4倍LPR）")
    p.add_argument("--contract-date", required=True)
    p.add_argument("--filing-date", help="起诉日（2020-08-20前成立的合同需要）")
    p.add_argument("--rate", help="约定利率，检查是否超过上限")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_cap)

    p = commands.add_parser("check-id", help="校验居民身份证号")
    p.add_argument("number")
    p.set_defaults(handler=_check_id)

    p = commands.add_parser("check-uscc", help="校验统一社会信用代码")
    p.add_argument("code")
    p.set_defaults(handler=_check_uscc)

    p = commands.add_parser("limitation", help="诉讼时效")
    p.add_argument("--last-due", help="最后一期到期日")
    p.add_argument("--demand", help="未约定期限时的催告日期")
    p.add_argument("--reasonable-days", type=int, default=30)
    p.add_argument("--interruption", action="extend", nargs="+", default=[], metavar="DATE[:KIND]",
                   help="中断事由 DATE[:kind]，kind 为 demand/acknowledgement/partial_payment/lawsuit/arbitration/other")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_limitation)

    p = commands.add_parser("classify", help="按逾期天数确定五级分类下限")
    p.add_argument("--dpd", type=int, required=True)
    p.add_argument("--grace-days", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_classify)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one calculator command; returns the exit code instead of exiting."""
    parser = build_parser()
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        return args.handler(args)
    except CalcError as error:
        print(error.message, file=sys.stderr)
        return 1
