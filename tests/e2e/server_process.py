"""Starts a real `latebind serve` on 127.0.0.1 with an ephemeral port, for e2e tests."""
import os
import re
import signal
import subprocess
import threading
import time


class ServerProcess:
    def __init__(self, latebind_bin, home, *args, env=None):
        self.lines = []
        self.proc = subprocess.Popen(
            [str(latebind_bin), "--home", str(home), "serve", "--listen", "127.0.0.1:0", *args],
            stderr=subprocess.PIPE, text=True, env=dict(os.environ, **(env or {})))
        self.port = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.port is None:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.lines.append(line)
            m = re.search(r'"address":"127\.0\.0\.1:(\d+)"', line)
            if m:
                self.port = int(m.group(1))
        if self.port is None:
            self.proc.kill()
            raise AssertionError("server did not start:\n" + "".join(self.lines))
        # Keep draining stderr so the server never blocks on a full pipe.
        threading.Thread(target=lambda: self.lines.extend(self.proc.stderr), daemon=True).start()

    def stop(self, timeout=10):
        """SIGTERM, then the exit code (the server drains in-flight requests first)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()

    def log(self):
        return "".join(self.lines)
