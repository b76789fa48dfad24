"""Fixtures of the notify tests: moments in Asia/Shanghai, a recording gateway, stub HTTP servers on
127.0.0.1 (nothing here calls the internet)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest

from ioudesk.notify.channels import SendResult

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    """A moment written in Beijing time: at("2026-12-01 22:30")."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


class RecordingGateway:
    """A backend that records every message it was asked to send (optionally slowly, or failing)."""

    def __init__(self, delay: float = 0.0, fail_with: Exception | None = None):
        self.sent: list[int] = []
        self.delay = delay
        self.fail_with = fail_with
        self._lock = threading.Lock()

    def send(self, message):
        time.sleep(self.delay)
        with self._lock:
            self.sent.append(message.pk)
        if self.fail_with is not None:
            raise self.fail_with
        return SendResult(provider_message_id=f"gw-{message.pk}")


@pytest.fixture
def gateway():
    return RecordingGateway()


class Stub:
    """A tiny HTTP server on 127.0.0.1 answering with `answer(handler, body) -> (status, dict)`;
    it records every request (path, headers, body)."""

    def __init__(self, answer):
        self.requests: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stub.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status, data = answer(self, body)
                if status is None:
                    return  # the answer is a timeout: the handler slept and drops the connection
                payload = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub_server():
    servers = []

    def start(answer):
        stub = Stub(answer)
        servers.append(stub)
        return stub

    yield start
    for stub in servers:
        stub.close()


@pytest.fixture
def rules(organisation):
    """The sending rules with short retries (3 attempts, 60 s doubling)."""
    from ioudesk.notify.services import notify_settings

    settings = notify_settings()
    settings.max_attempts = 3
    settings.retry_base_seconds = 60
    settings.save()
    return settings
