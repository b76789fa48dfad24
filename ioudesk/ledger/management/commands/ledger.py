"""``ioudesk ledger verify`` and ``ioudesk ledger trial-balance``.

verify: exit 0 with a summary when the books add up; exit 1 with every difference (the first
``--limit`` per check, and the total count) otherwise.
trial-balance: the 试算平衡表 as of ``--date`` (default: the business date) as a text table;
exit 1 when it does not balance.
"""

import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from ioudesk.calc.money import format_yuan
from ioudesk.core import clock
from ioudesk.ledger import selectors
from ioudesk.ledger.verify import DEFAULT_LIMIT, verify


class Command(BaseCommand):
    help = "总账：verify 核对总账与各借据余额；trial-balance 打印试算平衡表。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{verify,trial-balance}")
        check = sub.add_parser("verify", help="核对：总账借贷平衡、每张凭证平衡、借据余额与分录一致")
        check.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help=f"每项最多列出的差异数（默认 {DEFAULT_LIMIT}）")
        table = sub.add_parser("trial-balance", help="试算平衡表")
        table.add_argument("--date", help="截至日期 YYYY-MM-DD（默认营业日）")
        table.add_argument("--all", action="store_true", help="也列出没有发生额的科目")

    def handle(self, *args, subcommand, **options):
        if subcommand == "verify":
            return self.verify(options["limit"])
        return self.trial_balance(options.get("date"), options.get("all", False))

    def verify(self, limit: int):
        if limit < 1:
            raise CommandError("--limit 必须大于 0")
        report = verify(limit=limit)
        if report.ok:
            self.stdout.write(self.style.SUCCESS(report.summary()))
            return
        for line in report.differences:
            self.stdout.write(f"- {line}")
        if report.omitted:
            self.stdout.write(f"……另有 {report.omitted:,} 处差异未列出（用 --limit 调整）")
        self.stderr.write(self.style.ERROR(report.summary()))
        sys.exit(1)

    def trial_balance(self, day_text: str | None, include_empty: bool):
        try:
            day = date.fromisoformat(day_text) if day_text else clock.today()
        except ValueError:
            raise CommandError(f"日期格式应为 YYYY-MM-DD：{day_text}") from None
        balance = selectors.trial_balance(day=day, include_empty=include_empty)
        self.stdout.write(f"试算平衡表  截至 {day.isoformat()}  （凭证 {balance.entries:,} 张，分录 {balance.postings:,} 条）")
        for title, section in (("表内科目", balance.on_balance), ("表外科目", balance.memo)):
            self.stdout.write("")
            self.stdout.write(title)
            self.stdout.write(_row("科目代码", "科目名称", "借方发生额", "贷方发生额", "借方余额", "贷方余额"))
            for row in section.rows:
                name = "  " * row.depth + row.account.name + ("（汇总）" if row.is_summary else "")
                self.stdout.write(_row(row.account.code, name, _money(row.debit), _money(row.credit),
                                       _money(row.debit_balance), _money(row.credit_balance)))
            self.stdout.write(_row("", "合计", _money(section.debit_total), _money(section.credit_total),
                                   _money(section.debit_balance_total), _money(section.credit_balance_total)))
            verdict = "平衡" if section.balanced else f"不平衡（相差 {format_yuan(section.difference)}）"
            self.stdout.write(f"{title}：{verdict}")
        if not balance.balanced:
            sys.exit(1)


def _money(value) -> str:
    return f"{value:,.2f}" if value else "-"


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    space = " " * max(width - _width(text), 0)
    return space + text if right else text + space


def _row(code, name, *amounts) -> str:
    return _pad(code, 10) + _pad(name, 28) + "".join(_pad(a, 20, right=True) for a in amounts)
