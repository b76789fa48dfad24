"""The production shape in a test (README, 生产部署 / Production): against the PostgreSQL test
database, exactly the commands the README gives —

    ioudesk serve --no-worker --web-workers 2     (gunicorn: 2 web processes)
    ioudesk worker                                (twice: 2 background workers)

The ``production`` fixture (registered for every test by the root conftest) starts them, waits
until the web side answers and both workers have started, hands the test a ``Production`` (its
base URL, an API caller, the logs), and stops them at the end with SIGTERM, checking that each
stopped cleanly.

The subprocesses are other database sessions: they see only committed data, so the fixture
depends on ``transactional_db`` (the test's writes are committed; pytest-django empties the tables
afterwards, once the subprocesses are gone). They read the business date from the database (the
organisation's 营业日), not from ``clock.frozen`` of the test process: set it with
``Production.business_date_set`` or the service. The workers run with ``--no-scheduler`` unless the
test asks for ``production_with_scheduler``, so that no periodic (the daily close at its time)
starts by surprise in the middle of another test.

PostgreSQL only: a test that uses it is marked ``postgres``; on SQLite it would share one file
between seven processes, which is not the production shape.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 90
STOP_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    """The URL of the database a connection's settings point to (the test database)."""
    from urllib.parse import quote

    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{quote(password, safe='')}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


@dataclass
class Production:
    url: str
    env: dict
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)

    def log(self, name: str) -> str:
        return self.logs[name].read_text(errors="replace")

    def all_logs(self) -> str:
        return "\n".join(f"--- {name} ---\n{self.log(name)[-6000:]}" for name in self.logs)

    def request(self, method: str, path: str, payload=None, *, token: str = "", headers: dict | None = None,
                timeout: float = 60) -> tuple[int, dict | str]:
        """One HTTP request to the web side; returns (status, JSON body or text)."""
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method.upper())
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read().decode()
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body

    def children(self, name: str) -> list[str]:
        return [args for _pid, args in _children(self.processes[name].pid)]

    def web_processes(self) -> int:
        """gunicorn's worker processes (the children of its master, the child of `serve`)."""
        masters = [pid for pid, args in _children(self.processes["web"].pid) if "gunicorn" in args]
        return sum(len(_children(pid)) for pid in masters)


def _children(pid: int) -> list[tuple[int, str]]:
    out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [(int(line.split(None, 1)[0]), line.split(None, 1)[1]) for line in out.splitlines() if line.strip()]


def _wait(condition, what: str, production: Production, seconds: float = START_SECONDS):
    deadline = time.monotonic() + seconds
    while True:
        for name, process in production.processes.items():
            if process.poll() is not None:
                pytest.fail(f"{name} exited with {process.returncode} while starting:\n{production.all_logs()}")
        if condition():
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds} s:\n{production.all_logs()}")
        time.sleep(0.3)


def _web_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/admin/login/", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def start(tmp_path: Path, *, web_processes: int = 2, workers: int = 2, scheduler: bool = False,
          extra_env: dict | None = None) -> Production:
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the production shape runs on PostgreSQL (the PostgreSQL pass of make test)")
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict),
           # the same data directory as this process: the same generated field keys and secret key,
           # so the web processes read the personal data this test wrote
           "IOUDESK_DATA_DIR": str(settings.DATA_DIR), "IOUDESK_SCHEDULER_SECONDS": "1",
           "IOUDESK_CLOSE_RETRY_SECONDS": "2",  # a close that met another one running tries again soon
           "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    production = Production(url=f"http://127.0.0.1:{port}", env=env)
    commands = {"web": [sys.executable, "-m", "ioudesk.cli", "serve", "--no-worker", "--port", str(port),
                        "--web-workers", str(web_processes)]}
    for number in range(1, workers + 1):
        commands[f"worker{number}"] = [sys.executable, "-m", "ioudesk.cli", "worker", "--worker-id",
                                       f"test-worker-{number}", *([] if scheduler else ["--no-scheduler"])]
    try:
        for name, command in commands.items():
            production.logs[name] = tmp_path / f"{name}.log"
            production.processes[name] = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=open(production.logs[name], "w"), stderr=subprocess.STDOUT)
        _wait(lambda: _web_answers(production.url), "the web side did not answer", production)
        for name in commands:
            if name.startswith("worker"):
                _wait(lambda name=name: "worker test-worker-" in production.log(name), f"{name} did not start",
                      production)
        _wait(lambda: production.web_processes() == web_processes, f"gunicorn did not start {web_processes} "
              "web processes", production, seconds=30)
    except BaseException:
        stop(production)
        raise
    return production


def stop(production: Production) -> dict[str, int]:
    """SIGTERM to every process; each has STOP_SECONDS to finish. Returns the exit codes."""
    for process in production.processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    codes = {}
    for name, process in production.processes.items():
        try:
            codes[name] = process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            codes[name] = process.wait()
    return codes


@pytest.fixture
def production_env() -> dict:
    """More environment for the production processes: a test module overrides this fixture (e.g.
    {"IOUDESK_CLOSE_SLOW_PARTITION_SECONDS": "0.5"})."""
    return {}


@pytest.fixture
def production(transactional_db, tmp_path, production_env):
    """2 gunicorn web processes and 2 `ioudesk worker` (no scheduler) on the test database."""
    running = start(tmp_path, extra_env=production_env)
    yield running
    codes = stop(running)
    assert all(code == 0 for code in codes.values()), (codes, running.all_logs())


@pytest.fixture
def production_with_scheduler(transactional_db, tmp_path, production_env):
    """The same, the workers ticking the scheduler every second."""
    running = start(tmp_path, scheduler=True, extra_env=production_env)
    yield running
    codes = stop(running)
    assert all(code == 0 for code in codes.values()), (codes, running.all_logs())
