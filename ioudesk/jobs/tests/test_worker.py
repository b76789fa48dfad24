"""`ioudesk worker` for real, in a subprocess on its own SQLite data directory: it runs a queued
task, its scheduler thread ticks (the hourly jobs.prune_slots slot appears), `--no-scheduler`
ticks nothing, and SIGTERM / SIGINT stop it with exit code 0."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

# The product's own processes on a SQLite data directory of their own, whatever the pass's database:
# run once, in the SQLite pass.
pytestmark = pytest.mark.sqlite_only

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def environment(migrated_data_dir):
    env = {**os.environ, "IOUDESK_DATA_DIR": str(migrated_data_dir), "IOUDESK_SCHEDULER_SECONDS": "1"}
    for name in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    return env


def slots(tmp_path) -> list[str]:
    with sqlite3.connect(tmp_path / "ioudesk.sqlite3") as db:
        return [row[0] for row in db.execute("SELECT name FROM jobs_scheduledslot")]


def wait_for(condition, seconds, what, log):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            log.seek(0)
            pytest.fail(f"{what} within {seconds} s:\n{log.read()}")
        time.sleep(0.2)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_worker_runs_tasks_and_the_scheduler_and_stops_cleanly(environment, tmp_path, stop_signal):
    log = open(tmp_path / "worker.log", "w+")
    process = subprocess.Popen([sys.executable, "-m", "ioudesk.cli", "worker"], cwd=ROOT, env=environment,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "jobs.prune_slots" in slots(tmp_path), 60, "the scheduler did not tick", log)
        marker = tmp_path / "ran.txt"
        subprocess.run([sys.executable, "manage.py", "shell", "-c",
                        f"from ioudesk.jobs.tests.tasks import touch; touch.enqueue({str(marker)!r}, '完成')"],
                       cwd=ROOT, env=environment, check=True, capture_output=True, timeout=120)
        # the file appears when the task opens it, its text a moment later: wait for the text
        wait_for(lambda: marker.exists() and marker.read_text() == "完成", 30, "the queued task did not run", log)
        process.send_signal(stop_signal)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log.seek(0)
    output = log.read()
    assert "scheduler every 1 s (" in output and "jobs.prune_slots" in output  # the periodics it ticks
    assert "stopped" in output
    # ticked every second, ran its hourly slot once (twice when the test straddles the hour)
    assert slots(tmp_path).count("jobs.prune_slots") in (1, 2)


def test_worker_without_scheduler_ticks_nothing(environment, tmp_path):
    log = open(tmp_path / "worker.log", "w+")
    process = subprocess.Popen([sys.executable, "-m", "ioudesk.cli", "worker", "--no-scheduler"], cwd=ROOT,
                               env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "scheduler off" in (tmp_path / "worker.log").read_text(), 60, "no start line", log)
        time.sleep(2.5)
        assert slots(tmp_path) == []  # no periodic of any app
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
