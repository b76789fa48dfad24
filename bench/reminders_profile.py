"""The reminders day step of the close, timed per message: bulk (message_queue_many) or one by one.
A profiling aid run by hand, not one of make bench's *_bench.py (it needs a generated portfolio).

    python bench/portfolio.py --ious 30000 --dir /tmp/rb/pristine        # once (about 40 s)
    python bench/reminders_profile.py --pristine /tmp/rb/pristine --work /tmp/rb/work --mode bulk
    python bench/reminders_profile.py --pristine /tmp/rb/pristine --work /tmp/rb/work --mode single

Each run copies the pristine SQLite portfolio (bench/portfolio.py; its customers are copies of one
template without a phone, so each customer is given one here, before the clock starts), seeds the
default reminder rules, and times ``reminders_day_step`` for the bench day D (2026-12-15): the
rules' queries, the texts, the messages and their delivery tasks (on commit), the Reminder rows.
``--mode single`` replaces message_queue_many by message_queue called for each message in turn
(what the step did before). Prints the messages written, the delivery tasks and ms per message.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import setup_django  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pristine", type=Path, required=True, help="a bench/portfolio.py SQLite directory")
    parser.add_argument("--work", type=Path, required=True, help="the copy to run on (replaced)")
    parser.add_argument("--mode", choices=("bulk", "single"), default="bulk")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the step to this file")
    args = parser.parse_args(argv)
    if args.work.exists():
        shutil.rmtree(args.work)
    shutil.copytree(args.pristine, args.work)
    setup_django("sqlite", args.work)

    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult
    from portfolio import DAY

    from ioudesk.customers.models import Customer
    from ioudesk.notify import services as notify
    from ioudesk.notify.models import Message
    from ioudesk.reminders import services as reminders

    call_command("migrate", verbosity=0)
    reminders.reminder_defaults_ensure()
    customers = list(Customer.objects.only("pk"))
    for customer in customers:
        customer.phone = f"139{customer.pk:08d}"
    Customer.objects.bulk_update(customers, ["phone"], batch_size=500)
    queue_many = notify.message_queue_many
    if args.mode == "single":
        def queue_many(items):
            return [notify.message_queue(**item) for item in items]
    queueing = [0.0]

    def timed(items):
        started = time.perf_counter()
        try:
            return queue_many(items)
        finally:
            queueing[0] += time.perf_counter() - started
    notify.message_queue_many = timed

    messages, tasks = Message.objects.count(), DBTaskResult.objects.count()
    profile = None
    if args.profile:
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    started = time.perf_counter()
    counts = reminders.reminders_day_step(day=DAY)
    seconds = time.perf_counter() - started
    if profile is not None:
        profile.disable()
        profile.dump_stats(args.profile)
    messages, tasks = Message.objects.count() - messages, DBTaskResult.objects.count() - tasks
    print(f"{args.mode}: {messages:,} messages, {tasks:,} delivery tasks, step {seconds:.2f} s, "
          f"{seconds * 1000 / max(messages, 1):.2f} ms per message (of which queueing "
          f"{queueing[0] * 1000 / max(messages, 1):.2f} ms, without the on-commit enqueue); counts {counts}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("IOUDESK_QUIET", "1")
    sys.exit(main())
