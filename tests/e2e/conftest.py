"""Shared fixtures for the end-to-end tests of the `latebind` CLI.

The binary is taken from $LATEBIND_BIN, else <repo>/build/latebind. Every run goes through
`LatebindCLI.run`, which enforces a timeout (a hang fails the test) and fails the test when
the process died from a signal (a crash), so individual tests only check behaviour.
"""
from __future__ import annotations

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
