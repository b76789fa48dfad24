"""`ioudesk serve`: the product as one command — the web server and one background worker.

The web side is gunicorn (a production WSGI server, threads in a few processes; static files come
from WhiteNoise), never Django's development server. The worker is `ioudesk worker` (django-tasks'
database worker over every queue, plus the scheduler: ioudesk/jobs/), so what the web side enqueues
(imports, the daily close, notifications) really runs and what is due (the close at its time,
reminders) is started.

Both are child processes of this one, each in its own process group, so a Ctrl-C in the terminal
reaches only `serve`, which then stops each child once with SIGTERM (gunicorn finishes its
requests, the worker its task in hand) instead of the child getting SIGINT and SIGTERM (a second
signal makes the worker drop its task); on Linux a child also gets SIGTERM should `serve` itself
be killed, so nothing is left behind. Ctrl-C (SIGINT) or SIGTERM stops both; if either child
exits on its own, the other is stopped too and `serve` exits with the child's code, so a process
supervisor (systemd, a container runtime) sees the failure and restarts the whole.
More workers on the same database: `ioudesk worker` in further processes or machines; `--no-worker`
serves the web side only (production: README, 生产部署 / Production).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand

GRACE_SECONDS = 10


def web_command(*, host: str, port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"{host}:{port}",
        "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
        "--timeout", "120", "--graceful-timeout", str(GRACE_SECONDS),
        "--access-logfile", "-", "--error-logfile", "-", "--no-control-socket",
        # Query strings can carry search words; the access log keeps the path only (decision: no
        # personal data in logs).
        "--access-logformat", '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
    ]


def worker_command() -> list[str]:
    return [sys.executable, "-m", "ioudesk.cli", "worker"]


def _child_setup() -> None:
    """In the child before exec: its own process group, and SIGTERM when its parent dies (Linux)."""
    os.setpgid(0, 0)
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _start(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command, preexec_fn=_child_setup)  # noqa: PLW1509 - serve has no threads


class Command(BaseCommand):
    help = "Serve the product: gunicorn (web) and one background worker; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("IOUDESK_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("IOUDESK_WEB_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("IOUDESK_WEB_THREADS", "4")))
        parser.add_argument("--no-worker", action="store_true", help="web only (workers run elsewhere)")

    def handle(self, *args, host, port, web_workers, threads, no_worker, **options):
        children: dict[str, subprocess.Popen] = {}
        children["web"] = _start(web_command(host=host, port=port, workers=web_workers, threads=threads))
        if not no_worker:
            children["worker"] = _start(worker_command())

        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)

        exit_code = 0
        try:
            while not stopping:
                for name, child in children.items():
                    code = child.poll()
                    if code is not None:
                        self.stderr.write(f"serve: {name} exited with {code}; stopping the rest")
                        exit_code = code or 1
                        stopping = True
                        break
                time.sleep(0.3)
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + GRACE_SECONDS
            for child in children.values():
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        if exit_code:
            sys.exit(exit_code)
