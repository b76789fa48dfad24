"""`ioudesk worker`: one background worker — django-tasks' database worker over every queue, plus
the scheduler ticking in a thread beside it (ioudesk/jobs/scheduler.py).

Run as many as the work needs, in further processes or on further machines against the same
PostgreSQL database: each takes queued tasks with SKIP LOCKED, and the scheduler's unique slots
make every periodic run once however many workers tick. `--no-scheduler` runs tasks only.

SIGTERM or SIGINT (Ctrl-C) stops it cleanly: the task in hand is finished (a second signal stops
it at once), the scheduler thread ends after its current tick, and the exit code is 0.
"""

from __future__ import annotations

import logging
import signal
import threading

from django.core.management.base import BaseCommand
from django.db import connection
from django.utils.crypto import get_random_string
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS
from django_tasks_db.management.commands.db_worker import Worker

from ioudesk.jobs import scheduler

logger = logging.getLogger("ioudesk.jobs.worker")


def scheduler_loop(stop: threading.Event, seconds: float) -> None:
    """Tick now and then every `seconds` until `stop` is set. A tick's own errors are logged by
    tick(); anything else (the database away for a while) is logged and tried again next time."""
    while not stop.is_set():
        try:
            scheduler.tick()
        except Exception:
            logger.exception("scheduler: tick failed; trying again in %s s", seconds)
        finally:
            connection.close()  # this thread's own connection; a new one next tick
        stop.wait(seconds)


class Command(BaseCommand):
    help = "Run a background worker: queued tasks of every queue, and the scheduler (what is due, once)."

    def add_arguments(self, parser):
        parser.add_argument("--no-scheduler", action="store_true", help="run queued tasks only, no scheduler")
        parser.add_argument("--queue-name", default="*", help="queues, comma separated ('*': all; the default)")
        parser.add_argument("--interval", type=float, default=1.0,
                            help="seconds between looks at the queue when it is empty (default 1)")
        parser.add_argument("--tick-seconds", type=float, default=scheduler.TICK_SECONDS,
                            help="seconds between scheduler ticks (default IOUDESK_SCHEDULER_SECONDS or 30)")
        parser.add_argument("--worker-id", default="", help="unique across the pool (default: generated)")
        parser.add_argument("--batch", action="store_true",
                            help="run what is queued (after one scheduler tick), then exit")

    def handle(self, *args, no_scheduler, queue_name, interval, tick_seconds, worker_id, batch, **options):
        worker = Worker(
            queue_names=queue_name.split(","), interval=interval, batch=batch,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS, startup_delay=not batch, max_tasks=None,
            worker_id=worker_id or get_random_string(32), excluded_queue_names=[],
        )
        stop = threading.Event()
        thread = None
        names = ", ".join(p.name for p in scheduler.periodics())
        if batch:
            if not no_scheduler:
                scheduler.tick()
        elif not no_scheduler:
            thread = threading.Thread(target=scheduler_loop, args=(stop, tick_seconds), name="scheduler",
                                      daemon=True)
        self.stdout.write(f"worker {worker.worker_id}: queues {queue_name}; scheduler "
                          + ("off" if no_scheduler else f"every {tick_seconds:g} s ({names})"))

        def shutdown(signum, frame):
            stop.set()
            worker.shutdown(signum, frame)  # exits at once when idle, else after the task in hand

        signal.signal(signal.SIGINT, shutdown)
        signal.signal(signal.SIGTERM, shutdown)
        if thread is not None:
            thread.start()
        try:
            worker.run()
        finally:
            stop.set()
            if thread is not None:
                thread.join(timeout=30)
            self.stdout.write(f"worker {worker.worker_id}: stopped")
