"""`ioudesk serve` (what `make run` starts): gunicorn and one background worker as one command.

Started for real in a subprocess on a free port with its own data directory: the login page and
static files answer, the worker is running, the access log carries no query strings, and one
SIGINT (Ctrl-C) stops the web server and the worker together."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

# The product's own processes on a SQLite data directory of their own, whatever the pass's database:
# run once, in the SQLite pass.
pytestmark = pytest.mark.sqlite_only

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[str]:
    out = subprocess.run(["ps", "-o", "args=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line.strip()]


@pytest.fixture
def environment(migrated_data_dir):
    env = {**os.environ, "IOUDESK_DATA_DIR": str(migrated_data_dir)}
    for name in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    return env


def test_serve_runs_gunicorn_and_a_worker_and_ctrl_c_stops_both(environment, tmp_path):
    port = _free_port()
    log = open(tmp_path / "serve.log", "w+")
    process = subprocess.Popen([sys.executable, "-m", "ioudesk.cli", "serve", "--port", str(port)], cwd=ROOT,
                               env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/?q=110101199003077777") as r:
                    assert r.status == 200
                    assert "欠条管家" in r.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail("serve did not answer within 60 s:\n" + log.read())
                time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/ioudesk/backoffice.css") as r:
            assert r.status == 200 and len(r.read()) > 100

        children = _children(process.pid)
        assert any("gunicorn" in c for c in children), children
        assert any("ioudesk.cli worker" in c for c in children), children
        deadline = time.monotonic() + 60  # the worker starts Django on its own, often after gunicorn answers
        while "scheduler every" not in (tmp_path / "serve.log").read_text() and time.monotonic() < deadline:
            time.sleep(0.2)

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
        while _children(process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log.seek(0)
    output = log.read()
    assert "Starting gunicorn" in output
    assert '"GET /admin/login/" 200' in output
    assert "scheduler every" in output and "stopped" in output  # the worker ticked and stopped cleanly
    assert "110101199003077777" not in output  # query strings stay out of the access log
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=2)


def test_ctrl_c_in_a_terminal_and_a_killed_serve_leave_nothing_behind(environment, tmp_path):
    """A terminal's Ctrl-C goes to the whole foreground process group: only serve is in it (the
    children have their own), so each child is stopped once, cleanly. And serve killed with
    SIGKILL takes its children with it."""
    for stop in ("ctrl-c", "kill -9"):
        port = _free_port()
        log = open(tmp_path / "serve.log", "w+")
        process = subprocess.Popen([sys.executable, "-m", "ioudesk.cli", "serve", "--port", str(port)], cwd=ROOT,
                                   env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while "scheduler every" not in (tmp_path / "serve.log").read_text() or not _answers(port):
                assert time.monotonic() < deadline and process.poll() is None, (tmp_path / "serve.log").read_text()
                time.sleep(0.5)
            children = [int(pid) for pid in subprocess.run(["ps", "-o", "pid=", "--ppid", str(process.pid)],
                                                           capture_output=True, text=True).stdout.split()]
            assert len(children) == 2
            if stop == "ctrl-c":
                os.killpg(process.pid, signal.SIGINT)  # what the terminal does
                assert process.wait(timeout=30) == 0
            else:
                process.kill()
                process.wait()
            deadline = time.monotonic() + 20
            while any(_alive(pid) for pid in children):
                assert time.monotonic() < deadline, f"{stop}: children left running"
                time.sleep(0.2)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        output = (tmp_path / "serve.log").read_text()
        if stop == "ctrl-c":
            assert "terminating current task" not in output and "stopped" in output


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
    return bool(state) and not state.startswith("Z")
