"""Calculation engine benchmark: schedule generation and amounts in words.

    python bench/calc_bench.py                         # print the markdown section
    python bench/calc_bench.py --output docs/benchmarks.md   # replace "## Calculation engine" there

Schedules are 等额本息 at 4.9 % (30/360, monthly) including the annualised-rate (IRR) solve,
timed one at a time after a warm-up; the target is a 360-period schedule in under 2 ms (median).
"""
import argparse
import os
import platform
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ioudesk.calc.money import from_fen  # noqa: E402
from ioudesk.calc.rates import parse_rate  # noqa: E402
from ioudesk.calc.schedule import LoanTerms, generate_schedule  # noqa: E402
from ioudesk.calc.words import amount_in_words  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import cpu_model, replace_section  # noqa: E402

SECTION = "## Calculation engine"
TARGET_360_MS = 2.0


def time_schedule(periods: int, runs: int) -> tuple[float, float]:
    """Median and p95 in milliseconds of generating one schedule of ``periods`` installments."""
    terms = LoanTerms(principal=Decimal("1000000"), rate=parse_rate("4.9%"), term=periods, start=date(2025, 1, 15))
    for _ in range(20):
        generate_schedule(terms)
    samples = []
    for _ in range(runs):
        started = time.perf_counter_ns()
        generate_schedule(terms)
        samples.append((time.perf_counter_ns() - started) / 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def words_per_second(seconds: float = 1.0) -> float:
    amounts = [from_fen(fen) for fen in range(1, 99_999_999_999_999, 7_777_777_777_77)]
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for amount in amounts:
            amount_in_words(amount)
        count += len(amounts)
    return count / (time.perf_counter() - started)


def render(runs: int) -> tuple[str, bool]:
    rows, met = [], True
    for periods in (12, 120, 360):
        median, p95 = time_schedule(periods, runs)
        if periods == 360:
            met = median < TARGET_360_MS
        rows.append(f"| {periods} | {median:.3f} | {p95:.3f} | {runs} |")
    throughput = words_per_second()
    text = "\n".join(
        [
            SECTION,
            "",
            "Run alone with `python bench/calc_bench.py --output docs/benchmarks.md`.",
            "Schedule: ¥1,000,000 等额本息 at 4.9 %, monthly, 30/360, including the annualised-rate (IRR)"
            " solve; each schedule timed alone after a warm-up.",
            "",
            "| periods | median (ms) | p95 (ms) | runs |",
            "|---:|---:|---:|---:|",
            *rows,
            "",
            f"Target: a 360-period schedule under {TARGET_360_MS:g} ms (median): **{'met' if met else 'NOT met'}**.",
            "",
            f"Amounts in words (大写金额, ¥0.01 to ¥9,999亿): **{throughput:,.0f} per second**.",
            "",
            f"- Platform: {platform.platform()}",
            f"- CPU: {cpu_model()} ({os.cpu_count()} logical CPUs)",
            f"- Python: {platform.python_implementation()} {platform.python_version()}",
            "",
        ]
    )
    return text, met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, help="markdown file whose section to write or replace")
    parser.add_argument("--runs", type=int, default=500, help="schedules timed per size (default 500)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the 360-period target is missed")
    args = parser.parse_args(argv)
    section, met = render(args.runs)
    print(section)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        replace_section(args.output, SECTION, section)
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
