"""Shared fixtures for the end-to-end tests of the `latebind` CLI.

The binary is taken from $LATEBIND_BIN, else <repo>/build/latebind. Every run goes through
`LatebindCLI.run`, which enforces a timeout (a hang fails the test) and fails the test when
the process died from a signal (a crash), so individual tests only check behaviour.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TIMEOUT_S = 30

# FILE:LINE:COL (byte N): [warning: ]message — COL and LINE are omitted by the binary when
# they are unknown, so both are optional here; tests that need them assert they are set.
PROBLEM_RE = re.compile(
    r"^(?P<file>.+?)(?::(?P<line>\d+))?(?::(?P<col>\d+))? \(byte (?P<byte>\d+)\): "
    r"(?P<warning>warning: )?(?P<message>.*)$"
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes more than ~20 s; deselect with -m 'not slow'")


@dataclass
class Problem:
    file: str
    line: int | None
    col: int | None
    byte: int
    warning: bool
    message: str
    raw: str


@dataclass
class Result:
    args: list[str]
    returncode: int
    stdout_bytes: bytes
    stderr_bytes: bytes
    _json: object = field(default=None, repr=False)

    @property
    def stdout(self) -> str:
        return self.stdout_bytes.decode("utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_bytes.decode("utf-8", errors="replace")

    def json(self) -> dict:
        if self._json is None:
            try:
                self._json = json.loads(self.stdout_bytes)
            except ValueError as e:  # pragma: no cover - reported as a test failure
                pytest.fail(f"stdout is not JSON ({e}): {self.stdout[:2000]!r}\nstderr: {self.stderr[:2000]}")
        return self._json

    def profile(self, index: int = 0) -> dict:
        doc = self.json()
        assert doc.get("latebind_profile") == 1, doc
        return doc["profiles"][index]

    def fields(self, index: int = 0) -> dict[str, dict]:
        return {f["path"]: f for f in self.profile(index)["fields"]}

    def problems(self) -> list[Problem]:
        out = []
        for line in self.stderr.splitlines():
            m = PROBLEM_RE.match(line)
            if m:
                out.append(
                    Problem(
                        file=m["file"],
                        line=int(m["line"]) if m["line"] else None,
                        col=int(m["col"]) if m["col"] else None,
                        byte=int(m["byte"]),
                        warning=bool(m["warning"]),
                        message=m["message"],
                        raw=line,
                    )
                )
        return out

    def errors(self) -> list[Problem]:
        return [p for p in self.problems() if not p.warning]

    def warnings(self) -> list[Problem]:
        return [p for p in self.problems() if p.warning]

    def describe(self) -> str:
        return (
            f"$ {' '.join(self.args)}\nexit code {self.returncode}\n"
            f"--- stderr ---\n{self.stderr[:4000]}\n--- stdout ---\n{self.stdout[:4000]}"
        )


def run_cli(binary: Path, args: list[str], timeout: float = DEFAULT_TIMEOUT_S) -> Result:
    """Runs the binary; fails the test on a timeout (hang) or a death by signal (crash)."""
    cmd = [str(binary), *[str(a) for a in args]]
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"hang: `{' '.join(cmd)}` did not finish within {timeout} s")
    result = Result(cmd, proc.returncode, proc.stdout, proc.stderr)
    if proc.returncode < 0 or proc.returncode >= 128:
        pytest.fail(f"crash: process died with exit status {proc.returncode}\n{result.describe()}")
    return result


class LatebindCLI:
    def __init__(self, binary: Path):
        self.bin = binary

    def run(self, *args, timeout: float = DEFAULT_TIMEOUT_S) -> Result:
        return run_cli(self.bin, list(args), timeout=timeout)

    def profile(self, *args, timeout: float = DEFAULT_TIMEOUT_S) -> Result:
        return self.run("profile", *args, timeout=timeout)

    def profile_json(self, *args, expect_rc: int | None = 0, timeout: float = DEFAULT_TIMEOUT_S) -> Result:
        """`latebind profile --json ARGS`; checks the exit code unless expect_rc is None."""
        res = self.profile("--json", *args, timeout=timeout)
        if expect_rc is not None:
            assert res.returncode == expect_rc, res.describe()
        return res


@pytest.fixture(scope="session")
def latebind_bin() -> Path:
    env = os.environ.get("LATEBIND_BIN")
    path = Path(env) if env else REPO_ROOT / "build" / "latebind"
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"latebind binary not found at {path} (build it, or set LATEBIND_BIN)")
    return path


@pytest.fixture(scope="session")
def latebind(latebind_bin: Path) -> LatebindCLI:
    return LatebindCLI(latebind_bin)


@pytest.fixture
def write(tmp_path: Path):
    """write(name, content) -> Path: a str is written as UTF-8 with no newline translation."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        data = content.encode("utf-8") if isinstance(content, str) else content
        path.write_bytes(data)
        return path

    return _write


# ---------------------------------------------------------------------------------------------
# `latebind serve`: a server process per test, on 127.0.0.1 and a kernel-chosen port.
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def operator_tokens(tmp_path: Path) -> Path:
    """An --auth-tokens file: "producer-secret" may post to source `orders` only;
    "operator-secret" (token name `oncall-alice`) is an operator allowed every source."""
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"tokens": [
        {"name": "orders-producer", "sha256": hashlib.sha256(b"producer-secret").hexdigest(),
         "sources": ["orders"]},
        {"name": "oncall-alice", "sha256": hashlib.sha256(b"operator-secret").hexdigest(),
         "sources": ["*"], "operator": True},
    ]}))
    return path


import signal as _signal
import threading as _threading
import time as _time

SERVE_START_TIMEOUT_S = 10
SERVE_STOP_TIMEOUT_S = 10


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the item (item.rep_setup / rep_call) for fixtures."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


class ServeProcess:
    """One `latebind --home HOME serve --listen 127.0.0.1:0 ARGS` process.

    stderr (JSON log lines) is drained by a thread into `log_lines`; the port comes from the
    "listening" line. Use `stop()` (SIGTERM, kill after 10 s) or `kill()` (SIGKILL).
    """

    def __init__(self, binary: Path, home: Path, args: list[str]):
        self.binary = binary
        self.home = home
        self.args = [str(a) for a in args]
        self.cmd = [str(binary), "--home", str(home), "serve", "--listen", "127.0.0.1:0", *self.args]
        self.log_lines: list[str] = []
        self._lock = _threading.Lock()
        self._listening = _threading.Event()
        self.port: int | None = None
        self.proc = subprocess.Popen(
            self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._reader = _threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        if not self._listening.wait(SERVE_START_TIMEOUT_S):
            rc = self.proc.poll()
            self.kill()
            pytest.fail(
                f"server did not log 'listening' within {SERVE_START_TIMEOUT_S} s (exit status {rc})"
                f"\n$ {' '.join(self.cmd)}\n{self.stderr_text()}"
            )

    def _read_stderr(self) -> None:
        for raw in iter(self.proc.stderr.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            with self._lock:
                self.log_lines.append(line)
            if self.port is None:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and entry.get("msg") == "listening":
                    m = re.fullmatch(r"127\.0\.0\.1:(\d+)", str(entry.get("address", "")))
                    if m:
                        self.port = int(m.group(1))
                        self._listening.set()
        self._listening.set()  # EOF: the process is gone; the waiter checks self.port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stderr_text(self) -> str:
        with self._lock:
            return "\n".join(self.log_lines)

    def logs(self) -> list[dict]:
        out = []
        with self._lock:
            lines = list(self.log_lines)
        for line in lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = SERVE_STOP_TIMEOUT_S) -> int | None:
        """SIGTERM; returns the exit status, or None when it had to be killed after `timeout`."""
        if self.proc.poll() is None:
            self.proc.send_signal(_signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        self._reader.join(5)
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass
        self._reader.join(5)


@pytest.fixture
def serve(latebind_bin: Path, tmp_path: Path, request):
    """serve(*args, home=None) -> ServeProcess, started on a fresh tmp home (or `home`) and
    healthy (GET /healthz == 200). Teardown stops every server still running (SIGTERM, kill
    after 10 s) and, when the test failed, prints their stderr."""
    import http.client

    started: list[ServeProcess] = []

    def _start(*args, home: Path | None = None) -> ServeProcess:
        home = Path(home) if home is not None else tmp_path / "home"
        srv = ServeProcess(latebind_bin, home, list(args))
        started.append(srv)
        if srv.port is None:
            srv.kill()
            pytest.fail(f"server exited before listening: {srv.proc.returncode}\n{srv.stderr_text()}")
        deadline = _time.monotonic() + SERVE_START_TIMEOUT_S
        last = None
        for _ in range(200):
            if _time.monotonic() > deadline:
                break
            try:
                conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=2)
                conn.request("GET", "/healthz")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return srv
                last = f"status {status}"
            except OSError as e:
                last = repr(e)
            _time.sleep(0.05)
        srv.kill()
        pytest.fail(f"server not healthy within {SERVE_START_TIMEOUT_S} s ({last})\n{srv.stderr_text()}")

    yield _start

    hung = []
    for srv in started:
        if srv.alive() and srv.stop() is None:
            hung.append(srv)
    rep = getattr(request.node, "rep_call", None)
    if rep is None or rep.failed or hung:
        for i, srv in enumerate(started):
            print(f"--- server #{i} stderr (exit status {srv.proc.returncode}) ---\n$ {' '.join(srv.cmd)}")
            print(srv.stderr_text())
    if hung:
        pytest.fail(f"{len(hung)} server(s) did not exit within {SERVE_STOP_TIMEOUT_S} s of SIGTERM")
