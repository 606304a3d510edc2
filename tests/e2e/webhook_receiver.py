"""A webhook sink for the e2e tests of drift alerts (issue 5): an http.server on 127.0.0.1
and a kernel-chosen port, in a thread, that records every POST (arrival time, path,
headers, body) and answers each one as a script says: 200, 500, or a hang past the
dispatcher's post timeout.

    with WebhookReceiver(script=["500", "hang"], default="200") as sink:
        url = sink.url            # http://127.0.0.1:PORT/hook
        sink.wait_for(1, timeout=2)
        sink.deliveries           # [Delivery(...)]

A real sink deduplicates by the Idempotency-Key header; `successful_keys()` and
`distinct_keys()` let a test count what such a sink would have acted on.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Longer than the dispatcher's post timeout (5 s, alert_dispatcher.h), so a "hang" is a
# timed-out attempt; shorter than anything a test waits for in total.
DEFAULT_HANG_S = 7.0


@dataclass
class Delivery:
    at: float  # time.monotonic() when the request had been read
    path: str
    headers: dict[str, str]  # lower-case names
    raw: bytes
    action: str  # "200", "500", "hang"
    answered: bool = False  # the response was written (for "hang": never counted as 2xx)
    body: object = field(default=None, repr=False)

    @property
    def key(self) -> str | None:
        return self.headers.get("idempotency-key")

    @property
    def succeeded(self) -> bool:
        return self.action.startswith("2") and self.answered


class WebhookReceiver:
    def __init__(self, script: list[str] | None = None, default: str = "200",
                 hang_s: float = DEFAULT_HANG_S, port: int = 0):
        self._lock = threading.Condition()
        self._script = list(script or [])
        self._default = default
        self.hang_s = hang_s
        self._release = threading.Event()  # ends every hang early (shutdown)
        self.deliveries: list[Delivery] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep pytest's output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                receiver._handle(self, raw)

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    # -- configuration -------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def answer(self, default: str, script: list[str] | None = None) -> None:
        """From now on: the script's actions first, then `default` for every request."""
        with self._lock:
            self._script = list(script or [])
            self._default = default

    def release_hangs(self) -> None:
        self._release.set()

    # -- what arrived --------------------------------------------------------------------

    def snapshot(self) -> list[Delivery]:
        with self._lock:
            return list(self.deliveries)

    def wait_for(self, n: int, timeout: float) -> list[Delivery]:
        """Waits until at least n requests arrived; returns them all (maybe fewer on timeout)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.deliveries) < n:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._lock.wait(remaining)
            return list(self.deliveries)

    def wait_until(self, predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._lock:
            while not predicate(self.deliveries):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(remaining)
            return True

    def distinct_keys(self) -> set[str | None]:
        return {d.key for d in self.snapshot()}

    def successful(self) -> list[Delivery]:
        return [d for d in self.snapshot() if d.succeeded]

    # -- internals -----------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        with self._lock:
            action = self._script.pop(0) if self._script else self._default
            d = Delivery(at=time.monotonic(), path=handler.path,
                         headers={k.lower(): v for k, v in handler.headers.items()},
                         raw=raw, action=action)
            try:
                d.body = json.loads(raw)
            except ValueError:
                d.body = None
            self.deliveries.append(d)
            self._lock.notify_all()
        if action == "hang":
            # Past the client's timeout: it gives up and this answer reaches nobody.
            self._release.wait(self.hang_s)
            handler.close_connection = True
            return
        status = int(action)
        payload = b'{"ok":true}' if status < 300 else b'{"error":"scripted failure"}'
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(payload)
            handler.wfile.flush()
            with self._lock:
                d.answered = True
                self._lock.notify_all()
        except OSError:
            pass  # the client went away first: not delivered
        handler.close_connection = True

    def close(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> "WebhookReceiver":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
